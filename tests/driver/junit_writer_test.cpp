#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include "e2e/driver/junit_writer.hpp"
#include "e2e/driver/retries.hpp"
#include "e2e/driver/summary.hpp"
#include "fake_binary.hpp"
#include "junit_support.hpp"

using namespace e2e::driver;
using Catch::Matchers::ContainsSubstring;

namespace {

CaseResult make_case(std::string name, CaseStatus status, double seconds = 0.1) {
    CaseResult c;
    c.name = std::move(name);
    c.status = status;
    c.seconds = seconds;
    c.file = "/s/x.cpp";
    c.line = 7;
    if (status == CaseStatus::failed) c.problems.push_back({false, "CHECK", "CHECK( a == b ) with expansion: 1 == 2", "/s/x.cpp:9\n1 == 2"});
    if (status == CaseStatus::error) c.problems.push_back({true, "SIGSEGV", "crashed: SIGSEGV", "tail"});
    if (status == CaseStatus::skipped) c.skip_message = "not here";
    return c;
}

std::vector<SuiteResult> sample() {
    SuiteResult a{"e2e-docker", "e2e-python", "[smoke]", "docker", "42", "", {}};
    a.cases = {make_case("ok one", CaseStatus::passed, 2.0), make_case("bad one", CaseStatus::failed),
               make_case("skipped one", CaseStatus::skipped), make_case("crashed one", CaseStatus::error, 3.0)};
    SuiteResult b{"e2e-containerd", "e2e-java", "[smoke]", "containerd", "42", "1/2", {}};
    b.cases = {make_case("ok two", CaseStatus::passed, 1.0)};
    return {a, b};
}

}  // namespace

TEST_CASE("control characters ANSI escapes and invalid UTF-8 are removed", "[driver][junit]") {
    CHECK(clean_text("\x1b[31mred\x1b[0m and \x1b]0;title\x07plain") == "red and plain");
    CHECK(clean_text(std::string("a\x01\x02\x08\x0b\x0c\x1f\tb\nc\rd", 14)) == "a\tb\nc\rd");
    CHECK(clean_text(std::string("nul\0byte", 8)) == "nulbyte");
    CHECK(clean_text("caf\xc3\xa9") == "caf\xc3\xa9");
    CHECK(clean_text("bad \xff\xfe end") == "bad \xEF\xBF\xBD\xEF\xBF\xBD end");
    CHECK(clean_text("\xc2\x85") == "\xEF\xBF\xBD");  // C1 control
}

TEST_CASE("secrets are replaced wherever they appear", "[driver][junit]") {
    CHECK(redact("token=abcd1234 and abcd1234", {"abcd1234", ""}) == "token=*** and ***");
    auto suites = sample();
    suites[0].cases[1].problems[0].details += "\nAuthorization: Bearer s3cr3t-v4lue";
    const auto xml = render_junit(suites, {"s3cr3t-v4lue"});
    CHECK_THAT(xml, !ContainsSubstring("s3cr3t-v4lue") && ContainsSubstring("Bearer ***"));
}

TEST_CASE("the report has one testsuite per environment and binary with properties", "[driver][junit]") {
    e2e::test::TempDir dir;
    auto suites = sample();
    suites[0].cases[0].stdout_text = "out \x1b[1mbold\x1b[0m \x01";
    const auto xml = render_junit(suites);
    CHECK_THAT(xml, ContainsSubstring(R"(<testsuite name="e2e-docker.e2e-python" tests="4" failures="1" errors="1" skipped="1")"));
    CHECK_THAT(xml, ContainsSubstring(R"(<property name="mode" value="containerd"/>)"));
    CHECK_THAT(xml, ContainsSubstring(R"(<property name="shard" value="1/2"/>)"));
    CHECK_THAT(xml, ContainsSubstring(R"(<testcase name="bad one" classname="e2e-docker.e2e-python" time="0.100">)"));
    CHECK_THAT(xml, ContainsSubstring("test case at /s/x.cpp:7"));
    CHECK_THAT(xml, ContainsSubstring("<system-out>out bold </system-out>"));
    const auto file = dir.path() / "reports" / "junit.xml";
    write_file_atomically(file, xml);
    CHECK(e2e::test::read_text(file) == xml);
    CHECK_FALSE(std::filesystem::exists(file.string() + ".tmp." + std::to_string(::getpid())));
    e2e::test::require_valid_junit(file);
    CHECK(e2e::test::junitparser_counts(file) == "5 1 1 1");
}

TEST_CASE("retries turn a later pass into flaky and a repeated failure into reruns", "[driver][junit]") {
    e2e::test::TempDir dir;
    auto suites = sample();
    auto& cases = suites[0].cases;
    CHECK(retry_names(cases) == std::vector<std::string>{"bad one", "crashed one"});
    RunReport retry;
    retry.cases = {make_case("bad one", CaseStatus::passed, 0.3), make_case("crashed one", CaseStatus::error)};
    merge_retry(cases, retry);
    CHECK(cases[1].status == CaseStatus::passed);
    CHECK(cases[1].flaky);
    CHECK(cases[1].flaky_problems.size() == 1);
    CHECK(cases[3].status == CaseStatus::error);
    CHECK(cases[3].rerun_problems.size() == 1);
    const auto xml = render_junit(suites);
    CHECK_THAT(xml, ContainsSubstring("<flakyFailure") && ContainsSubstring("<rerunError"));
    const auto totals = totals_by_environment(suites);
    CHECK(totals[0].flaky == 1);
    CHECK(totals[0].passed == 2);
    CHECK(totals[0].failed == 1);
    const auto summary = render_summary(suites);
    CHECK_THAT(summary, ContainsSubstring("slowest tests:") && ContainsSubstring("3.00s  e2e-docker.e2e-python: crashed one"));
    const auto file = dir.path() / "junit.xml";
    write_file_atomically(file, xml);
    e2e::test::require_valid_junit(file);
    CHECK(e2e::test::junitparser_counts(file) == "5 0 1 1");
}

TEST_CASE("merge joins shard reports and recomputes the counts", "[driver][junit]") {
    e2e::test::TempDir dir;
    auto one = sample();
    one[0].shard = "1/2";
    auto two = sample();
    two[0].shard = "2/2";
    two[0].cases = {make_case("another", CaseStatus::failed)};
    two.pop_back();
    const auto merged = merge_junit({render_junit(one), render_junit(two)});
    const auto c = count_junit(merged);
    CHECK(c.tests == 6);
    CHECK(c.failures == 2);
    CHECK(c.errors == 1);
    CHECK(c.skipped == 1);
    CHECK_THAT(merged, ContainsSubstring(R"(<property name="shard" value="1/2,2/2"/>)"));
    const auto file = dir.path() / "merged.xml";
    write_file_atomically(file, merged);
    e2e::test::require_valid_junit(file);
    CHECK(e2e::test::junitparser_counts(file) == "6 2 1 1");
    CHECK_THROWS(merge_junit({"<html/>"}));
}
