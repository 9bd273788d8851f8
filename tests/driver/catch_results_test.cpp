#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <signal.h>

#include "e2e/driver/catch_results.hpp"

using namespace e2e::driver;
using Catch::Matchers::ContainsSubstring;

namespace {

constexpr const char* kReport = R"(<?xml version="1.0" encoding="UTF-8"?>
<Catch2TestRun name="e2e-python" rng-seed="1234" xml-format-version="3" catch2-version="3.7.1" filters="[smoke]">
  <TestCase name="health answers" tags="[smoke][SMK-001]" filename="/s/health.cpp" line="5">
    <OverallResult success="true" skips="0" durationInSeconds="0.25"/>
  </TestCase>
  <TestCase name="echo &amp; friends" tags="[smoke]" filename="/s/conn.cpp" line="9">
    <Section name="with a token" filename="/s/conn.cpp" line="11">
      <Expression success="false" type="CHECK" filename="/s/conn.cpp" line="14">
        <Original>res.json().str("message") == "Echo: x"</Original>
        <Expanded>"x" == "Echo: x"</Expanded>
        <Info>POST https://127.0.0.1:1234/api/echo -> 200</Info>
      </Expression>
      <OverallResults successes="1" failures="1" expectedFailures="0" skipped="false"/>
    </Section>
    <OverallResult success="false" skips="0" durationInSeconds="0.5">
      <StdOut>out line</StdOut>
    </OverallResult>
  </TestCase>
  <TestCase name="java only" tags="[smoke]" filename="/s/j.cpp" line="1">
    <Skip filename="/s/j.cpp" line="2">no java</Skip>
    <OverallResult success="true" skips="1" durationInSeconds="0"/>
  </TestCase>
  <TestCase name="throws" tags="[smoke]" filename="/s/t.cpp" line="3">
    <Exception filename="/s/t.cpp" line="4">connection refused</Exception>
    <OverallResult success="false" skips="0" durationInSeconds="0.1"/>
  </TestCase>
  <OverallResults successes="3" failures="2" expectedFailures="0" skips="1"/>
  <OverallResultsCases successes="1" failures="2" expectedFailures="0" skips="1"/>
</Catch2TestRun>
)";

}  // namespace

TEST_CASE("a complete Catch2 report gives statuses locations durations and expanded failures", "[driver][catch]") {
    const auto r = parse_catch_report(kReport);
    CHECK(r.complete);
    CHECK(r.rng_seed == "1234");
    CHECK_FALSE(r.in_flight);
    REQUIRE(r.cases.size() == 4);
    CHECK(r.cases[0].status == CaseStatus::passed);
    CHECK(r.cases[0].seconds == 0.25);
    CHECK(r.cases[0].file == "/s/health.cpp");
    CHECK(r.cases[0].line == 5);
    const auto& failed = r.cases[1];
    CHECK(failed.name == "echo & friends");
    CHECK(failed.status == CaseStatus::failed);
    REQUIRE(failed.problems.size() == 1);
    CHECK(failed.problems[0].type == "CHECK");
    CHECK_THAT(failed.problems[0].message, ContainsSubstring(R"("x" == "Echo: x")"));
    CHECK_THAT(failed.problems[0].details, ContainsSubstring("/s/conn.cpp:14") && ContainsSubstring("in section: with a token") &&
                                               ContainsSubstring("POST https://127.0.0.1:1234/api/echo"));
    CHECK(failed.stdout_text == "out line");
    CHECK(r.cases[2].status == CaseStatus::skipped);
    CHECK(r.cases[2].skip_message == "no java");
    CHECK(r.cases[3].status == CaseStatus::error);
    CHECK_THAT(r.cases[3].problems[0].message, ContainsSubstring("connection refused"));
}

TEST_CASE("a report cut at any byte never throws and keeps finished cases", "[driver][catch]") {
    const std::string full = kReport;
    for (std::size_t n = 0; n <= full.size(); ++n) {
        const auto r = parse_catch_report(std::string_view(full).substr(0, n));
        if (n < full.size() - 2) CHECK_FALSE(r.complete);
        if (r.in_flight) CHECK(*r.in_flight == r.cases.size() - 1);
    }
    const auto cut = full.find("<Section");
    const auto r = parse_catch_report(full.substr(0, cut));
    REQUIRE(r.cases.size() == 2);
    CHECK(r.cases[0].status == CaseStatus::passed);
    REQUIRE(r.in_flight);
    CHECK(r.cases[1].name == "echo & friends");
}

TEST_CASE("a crash gives the test in flight an error with the signal and the log tail", "[driver][catch]") {
    const std::string full = kReport;
    auto r = parse_catch_report(full.substr(0, full.find("<Section")));
    ExitInfo exit;
    exit.signal = SIGSEGV;
    attribute_exit(r, exit, 60, "e2e-python", "last words\n");
    const auto& c = r.cases[1];
    CHECK(c.status == CaseStatus::error);
    REQUIRE(c.problems.size() == 1);
    CHECK(c.problems[0].error);
    CHECK(c.problems[0].type == "SIGSEGV");
    CHECK_THAT(c.problems[0].message, ContainsSubstring("SIGSEGV (signal 11)"));
    CHECK_THAT(c.problems[0].details, ContainsSubstring("last words"));
}

TEST_CASE("a timeout is a failure of the test in flight naming the timeout", "[driver][catch]") {
    const std::string full = kReport;
    auto r = parse_catch_report(full.substr(0, full.find("<Section")));
    ExitInfo exit;
    exit.signal = SIGTERM;
    exit.timed_out = true;
    attribute_exit(r, exit, 90, "e2e-python", "");
    CHECK(r.cases[1].status == CaseStatus::failed);
    CHECK_THAT(r.cases[1].problems[0].message, ContainsSubstring("timeout of 90s"));
}

TEST_CASE("a process that fails without a report gets a synthetic error case", "[driver][catch]") {
    RunReport r = parse_catch_report("");
    ExitInfo exit;
    exit.code = 4;
    attribute_exit(r, exit, 60, "e2e-java", "cannot read E2E_ENV_FILE\n");
    REQUIRE(r.cases.size() == 1);
    CHECK(r.cases[0].name == "e2e-java (process)");
    CHECK(r.cases[0].status == CaseStatus::error);
    CHECK_THAT(r.cases[0].problems[0].message, ContainsSubstring("exit code 4 without a report"));
    CHECK_THAT(r.cases[0].problems[0].details, ContainsSubstring("cannot read E2E_ENV_FILE"));
}

TEST_CASE("a complete report with failures explains a non zero exit by itself", "[driver][catch]") {
    auto r = parse_catch_report(kReport);
    ExitInfo exit;
    exit.code = 2;
    attribute_exit(r, exit, 60, "e2e-python", "");
    CHECK(r.cases.size() == 4);
}

TEST_CASE("the tolerant reader survives garbage", "[driver][catch]") {
    for (const char* text : {"<", "<<<>>>", "<a b=>", "<a b=\"1", "</x>", "&&&;", "<a><b></a>", "<![CDATA[x", "<!-- x", "\x01\x02<a>\xff</a>"})
        CHECK_NOTHROW(parse_tolerant_xml(text));
    const auto root = parse_tolerant_xml("<a x='1'><b>t&lt;&#65;&#x42;</b><c/></a>");
    REQUIRE(root.child("a"));
    CHECK(root.child("a")->attr("x") == "1");
    CHECK(root.child("a")->child("b")->text == "t<AB");
    CHECK(root.child("a")->complete);
}

TEST_CASE("Catch2 exit code 4 for all skipped is not an error", "[driver][catch]") {
    auto r = parse_catch_report(R"(<Catch2TestRun rng-seed="1"><TestCase name="s" filename="/f" line="1"><Skip>not here</Skip>
<OverallResult success="true" skips="1" durationInSeconds="0"/></TestCase></Catch2TestRun>)");
    ExitInfo exit;
    exit.code = 4;
    attribute_exit(r, exit, 60, "e2e-platform", "");
    REQUIRE(r.cases.size() == 1);
    CHECK(r.cases[0].status == CaseStatus::skipped);
    auto none = parse_catch_report(R"(<Catch2TestRun rng-seed="1"></Catch2TestRun>)");
    exit.code = 2;
    attribute_exit(none, exit, 60, "e2e-platform", "");
    CHECK(none.cases.empty());
}

// Fuzzing (fuzz/catch_results_fuzz.cpp checks that valid UTF-8 stays valid) found &#xD800;
// decoded into the bytes of a lone surrogate.
TEST_CASE("character references to what is no XML character stay text", "[driver][catch][fuzz]") {
    const auto root = parse_tolerant_xml("<a n=\"&#xD800;&#0;&#x110000;&#12ab;\">&#xdfff;&#65;&#x1F600;&#9;</a>");
    REQUIRE(root.child("a"));
    CHECK(root.child("a")->attr("n") == "&#xD800;&#0;&#x110000;&#12ab;");
    CHECK(root.child("a")->text == "&#xdfff;A\xF0\x9F\x98\x80\t");
}

// 200000 nested <Section> elements overflowed the stack (found while fuzzing with deep inputs):
// the tree is walked and destroyed recursively. Elements past 256 levels are now left out.
TEST_CASE("elements nested deeper than 256 levels are left out instead of overflowing the stack", "[driver][catch][fuzz]") {
    const std::size_t deep = 200'000;
    std::string xml = R"(<Catch2TestRun rng-seed="1"><TestCase name="deep" filename="/f" line="1">)";
    for (std::size_t i = 0; i < deep; ++i) xml += R"(<Section name="s">)";
    xml += "lost text";
    for (std::size_t i = 0; i < deep; ++i) xml += "</Section>";
    xml += R"(<OverallResult success="true" skips="0" durationInSeconds="0"/></TestCase></Catch2TestRun>)";
    const auto report = parse_catch_report(xml);
    REQUIRE(report.cases.size() == 1);
    CHECK(report.cases[0].name == "deep");
    CHECK(report.cases[0].status == CaseStatus::passed);  // the closing tags of left-out elements closed nothing else
    CHECK(report.complete);

    std::string nested;
    for (std::size_t i = 0; i < deep; ++i) nested += "<a>";
    const auto root = parse_tolerant_xml(nested);
    std::size_t depth = 0;
    for (const XmlNode* node = &root; !node->children.empty(); node = &node->children.back()) ++depth;
    CHECK(depth <= 256);
}

// Fuzzing found `<ixml"veco\0 </\xc4\xa3arning>` leaving a lone continuation byte in the text: a '/'
// inside a start tag was taken for "/>" and the byte after it skipped.
TEST_CASE("a slash inside a start tag not followed by the closing bracket is skipped alone", "[driver][catch][fuzz]") {
    const auto root = parse_tolerant_xml("<p><i/\xc4\xa3>x</i><j/></p>");
    REQUIRE(root.child("p"));
    const auto* i = root.child("p")->child("i");
    REQUIRE(i);
    CHECK(i->text == "x");
    CHECK(i->complete);
    CHECK(root.child("p")->text.empty());
    REQUIRE(root.child("p")->child("j"));
    CHECK(root.child("p")->child("j")->complete);
    CHECK(root.child("p")->complete);
}
