#include "e2e/driver/retries.hpp"

namespace e2e::driver {

std::vector<std::string> retry_names(const std::vector<CaseResult>& cases) {
    std::vector<std::string> out;
    for (const auto& c : cases)
        if ((c.status == CaseStatus::failed || c.status == CaseStatus::error) && !c.name.ends_with(" (process)"))
            out.push_back(c.name);
    return out;
}

void merge_retry(std::vector<CaseResult>& cases, const RunReport& retry) {
    for (const auto& r : retry.cases) {
        for (auto& c : cases) {
            if (c.name != r.name || !(c.status == CaseStatus::failed || c.status == CaseStatus::error)) continue;
            if (r.status == CaseStatus::passed) {
                c.flaky = true;
                for (auto& p : c.problems) c.flaky_problems.push_back(std::move(p));
                for (auto& p : c.rerun_problems) c.flaky_problems.push_back(std::move(p));
                c.problems.clear();
                c.rerun_problems.clear();
                c.status = CaseStatus::passed;
                c.seconds = r.seconds;
                c.stdout_text = r.stdout_text;
                c.stderr_text = r.stderr_text;
            } else if (r.status == CaseStatus::failed || r.status == CaseStatus::error) {
                for (const auto& p : r.problems) c.rerun_problems.push_back(p);
            }
            break;
        }
    }
}

}  // namespace e2e::driver
