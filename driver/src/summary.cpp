#include "e2e/driver/summary.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace e2e::driver {

std::vector<EnvironmentTotals> totals_by_environment(const std::vector<SuiteResult>& suites) {
    std::vector<EnvironmentTotals> out;
    for (const auto& s : suites) {
        auto it = std::find_if(out.begin(), out.end(), [&](const auto& t) { return t.environment == s.environment; });
        if (it == out.end()) {
            out.push_back({s.environment});
            it = std::prev(out.end());
        }
        for (const auto& c : s.cases) {
            switch (c.status) {
                case CaseStatus::passed: ++it->passed; break;
                case CaseStatus::skipped: ++it->skipped; break;
                case CaseStatus::failed:
                case CaseStatus::error: ++it->failed; break;
            }
            it->flaky += c.flaky;
            it->seconds += c.seconds;
        }
    }
    return out;
}

bool all_passed(const std::vector<SuiteResult>& suites) {
    for (const auto& s : suites)
        for (const auto& c : s.cases)
            if (c.status == CaseStatus::failed || c.status == CaseStatus::error) return false;
    return true;
}

std::string render_summary(const std::vector<SuiteResult>& suites, std::size_t slowest) {
    const auto totals = totals_by_environment(suites);
    std::size_t width = 11;
    for (const auto& t : totals) width = std::max(width, t.environment.size());
    std::string out = fmt::format("{:<{}}  {:>6}  {:>6}  {:>7}  {:>5}  {:>8}\n", "environment", width, "passed", "failed", "skipped",
                                  "flaky", "time");
    for (const auto& t : totals)
        out += fmt::format("{:<{}}  {:>6}  {:>6}  {:>7}  {:>5}  {:>7.1f}s\n", t.environment, width, t.passed, t.failed, t.skipped,
                           t.flaky, t.seconds);
    struct Slow {
        double seconds;
        std::string name;
    };
    std::vector<Slow> all;
    for (const auto& s : suites)
        for (const auto& c : s.cases) all.push_back({c.seconds, s.name() + ": " + c.name});
    std::stable_sort(all.begin(), all.end(), [](const Slow& a, const Slow& b) { return a.seconds > b.seconds; });
    if (!all.empty() && slowest > 0) {
        out += "slowest tests:\n";
        for (std::size_t i = 0; i < std::min(slowest, all.size()); ++i) out += fmt::format("  {:>7.2f}s  {}\n", all[i].seconds, all[i].name);
    }
    return out;
}

}  // namespace e2e::driver
