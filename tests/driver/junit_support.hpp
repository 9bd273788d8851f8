// Checks every report the driver tests produce: valid against junit-10.xsd (xmllint) and read by
// Debian's python3-junitparser with the expected counts.
#pragma once

#include <catch2/catch_test_macros.hpp>

#include <cstdio>
#include <filesystem>
#include <string>

#include "support/shared_data.hpp"

namespace e2e::test {

inline std::string run_capture(const std::string& command) {
    std::string out;
    FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
    if (!pipe) return "popen failed";
    char buffer[4096];
    while (const auto n = std::fread(buffer, 1, sizeof buffer, pipe)) out.append(buffer, n);
    const int status = ::pclose(pipe);
    return out + "\n[status " + std::to_string(status) + "]";
}

inline void require_valid_junit(const std::filesystem::path& report) {
    const auto xsd = shared_path(E2E_JUNIT_XSD, "E2E_JUNIT_XSD");
    const auto out = run_capture("xmllint --noout --schema '" + xsd.string() + "' '" + report.string() + "'");
    INFO(out);
    REQUIRE(out.find("validates") != std::string::npos);
    REQUIRE(out.find("[status 0]") != std::string::npos);
}

// "tests failures errors skipped" as junitparser counts them from the testcases, checked against
// the attributes of every testsuite.
inline std::string junitparser_counts(const std::filesystem::path& report) {
    const std::string script = R"PY(
import sys, junitparser
xml = junitparser.JUnitXml.fromfile(sys.argv[1])
t = f = e = s = 0
for suite in xml:
    st = sf = se = ss = 0
    for case in suite:
        st += 1
        kinds = [type(r).__name__ for r in case.result]
        sf += "Failure" in kinds
        se += "Error" in kinds
        ss += "Skipped" in kinds
    assert (st, sf, se, ss) == (suite.tests, suite.failures, suite.errors, suite.skipped), (suite.name, st, sf, se, ss, suite.tests, suite.failures, suite.errors, suite.skipped)
    t += st; f += sf; e += se; s += ss
print(f"counts {t} {f} {e} {s}")
)PY";
    const auto out = run_capture("/usr/bin/python3 -c '" + script + "' '" + report.string() + "'");
    INFO(out);
    REQUIRE(out.find("[status 0]") != std::string::npos);
    const auto at = out.find("counts ");
    REQUIRE(at != std::string::npos);
    return out.substr(at + 7, out.find('\n', at) - at - 7);
}

}  // namespace e2e::test
