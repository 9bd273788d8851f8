// Stage 4: Catch2's XML reporter output (xml-format-version 3) read tolerantly. A report cut off
// by a crash or a kill still yields every finished test case plus the one in flight, which then
// carries the crash (an error naming the signal and the log tail) or the timeout (a failure).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "e2e/driver/runner.hpp"

namespace e2e::driver {

// A forgiving XML tree: elements, attributes, text; a document cut anywhere is closed where it
// stops and elements left open are marked incomplete. Malformed markup is skipped, never thrown;
// elements nested deeper than 256 levels are left out with their content.
struct XmlNode {
    std::string name;
    std::vector<std::pair<std::string, std::string>> attributes;
    std::vector<XmlNode> children;
    std::string text;
    bool complete = false;  // the closing tag (or "/>") was seen
    std::string attr(std::string_view key) const;
    const XmlNode* child(std::string_view key) const;
};
XmlNode parse_tolerant_xml(std::string_view text);  // a synthetic root named "" holds the top elements

enum class CaseStatus { passed, failed, error, skipped };
std::string to_string(CaseStatus status);

struct CaseProblem {
    bool error = false;     // <error> (crash, exception) rather than <failure>
    std::string type;       // "REQUIRE", "CHECK_THAT", "FAIL", "exception", "SIGSEGV", "timeout"...
    std::string message;    // one line
    std::string details;    // expanded expression, messages, section path, file:line, log tail
};

struct CaseResult {
    std::string name;
    std::string tags;
    std::string file;
    int line = 0;
    double seconds = 0;
    CaseStatus status = CaseStatus::passed;
    std::vector<CaseProblem> problems;  // failures and errors of this run
    std::string skip_message;
    std::string stdout_text;
    std::string stderr_text;
    bool flaky = false;                          // failed, then passed on a retry
    std::vector<CaseProblem> flaky_problems;     // problems of the failed attempts (flaky)
    std::vector<CaseProblem> rerun_problems;     // problems of the retries that failed too
};

struct RunReport {
    std::vector<CaseResult> cases;
    std::string rng_seed;
    bool complete = false;               // </Catch2TestRun> was seen
    std::optional<std::size_t> in_flight;  // index in cases of a test case cut off
};

RunReport parse_catch_report(std::string_view xml);

// Folds the way the process ended into the report: a crash gives the test in flight an <error>
// naming the signal with the log tail; a timeout gives it a failure naming the timeout; a process
// that ended badly with no test to blame gets a synthetic case "<binary> (process)" with the reason.
void attribute_exit(RunReport& report, const ExitInfo& exit, double timeout_seconds, const std::string& binary,
                    const std::string& log_tail);

}  // namespace e2e::driver
