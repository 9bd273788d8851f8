// The driver's Catch2 XML reader (e2e::driver::parse_catch_report): the report a scenario binary
// writes, which a crash or a kill may cut anywhere. Documented as never throwing, so nothing is
// caught here. Properties: the in-flight index names a case; text that was valid UTF-8 decodes to
// valid UTF-8 (character references included); attribute_exit blames the case in flight or adds
// the synthetic process case, for any way the process may have ended.
#include <fmt/format.h>
#include <signal.h>

#include "e2e/driver/catch_results.hpp"
#include "e2e/utf8.hpp"
#include "fuzz_check.hpp"

using namespace e2e::driver;

namespace {

void check_utf8(const XmlNode& node) {
    // Iterative: the tree may be as deep as the input is long.
    std::vector<const XmlNode*> pending{&node};
    while (!pending.empty()) {
        const XmlNode* current = pending.back();
        pending.pop_back();
        E2E_FUZZ_CHECK(e2e::is_valid_utf8(current->name), current->name);
        E2E_FUZZ_CHECK(e2e::is_valid_utf8(current->text), fmt::format("text of <{}>: {:?}", current->name, current->text));
        for (const auto& [key, value] : current->attributes) {
            E2E_FUZZ_CHECK(e2e::is_valid_utf8(value), fmt::format("<{} {}={:?}>", current->name, key, value));
        }
        for (const auto& child : current->children) pending.push_back(&child);
    }
}

void check_case_utf8(const CaseResult& result) {
    for (const std::string* s : {&result.name, &result.tags, &result.file, &result.skip_message, &result.stdout_text, &result.stderr_text}) {
        E2E_FUZZ_CHECK(e2e::is_valid_utf8(*s), fmt::format("case {:?}: {:?}", result.name, *s));
    }
    for (const auto& problem : result.problems) {
        for (const std::string* s : {&problem.type, &problem.message, &problem.details}) {
            E2E_FUZZ_CHECK(e2e::is_valid_utf8(*s), fmt::format("case {:?}: {:?}", result.name, *s));
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto text = e2e::fuzz::text_of(data, size);
    const bool utf8_input = e2e::is_valid_utf8(text);

    const auto root = parse_tolerant_xml(text);
    E2E_FUZZ_CHECK(root.name.empty() && root.complete, root.name);
    if (utf8_input) check_utf8(root);

    const auto report = parse_catch_report(text);
    if (report.in_flight) E2E_FUZZ_CHECK(*report.in_flight < report.cases.size(), fmt::format("in flight {} of {}", *report.in_flight, report.cases.size()));
    for (const auto& result : report.cases) {
        if (utf8_input) check_case_utf8(result);
        E2E_FUZZ_CHECK(result.status != CaseStatus::passed || result.problems.empty(),
                       fmt::format("case {:?} passed with problems", result.name));
    }

    const ExitInfo ends[] = {{0, 0, false, 1.0}, {1, 0, false, 1.0}, {0, SIGSEGV, false, 1.0}, {0, SIGKILL, true, 60.0}, {4, 0, false, 1.0}};
    for (const auto& exit : ends) {
        RunReport folded = report;
        attribute_exit(folded, exit, 60.0, "e2e-fuzz", "last log line");
        if (exit.passed() && !report.in_flight) {
            E2E_FUZZ_CHECK(folded.cases.size() == report.cases.size(), exit.describe());
            continue;
        }
        if (report.in_flight) {
            const auto& blamed = folded.cases[*report.in_flight];
            E2E_FUZZ_CHECK(folded.cases.size() == report.cases.size(), exit.describe());
            E2E_FUZZ_CHECK(blamed.status == CaseStatus::failed || blamed.status == CaseStatus::error, exit.describe());
            E2E_FUZZ_CHECK(blamed.problems.size() == report.cases[*report.in_flight].problems.size() + 1, exit.describe());
        } else {
            E2E_FUZZ_CHECK(folded.cases.size() == report.cases.size() || folded.cases.size() == report.cases.size() + 1, exit.describe());
        }
    }
    return 0;
}
