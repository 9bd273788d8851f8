// `esb-e2e self-check`: the table logic on plain data, then the whole command with a fake
// esb-refstack (fault catalogue, --faults into its ready file) and fake test binaries that fail
// only under some faults.
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <sys/stat.h>

#include <sstream>

#include "e2e/driver/cli.hpp"
#include "e2e/driver/matrix.hpp"
#include "e2e/driver/self_check.hpp"
#include "e2e/json.hpp"
#include "fake_binary.hpp"

using namespace e2e::driver;
using Catch::Matchers::ContainsSubstring;

namespace {

CaseResult test_case(const std::string& name, const std::string& tags, CaseStatus status, const std::string& message = "") {
    CaseResult c;
    c.name = name;
    c.tags = tags;
    c.status = status;
    if (status == CaseStatus::failed || status == CaseStatus::error) c.problems.push_back({status == CaseStatus::error, "CHECK", message, ""});
    return c;
}

RunReport report_of(std::vector<CaseResult> cases) {
    RunReport r;
    r.cases = std::move(cases);
    r.complete = true;
    return r;
}

CheckRun green_baseline() {
    return summarise_run("", {report_of({test_case("a", "[smoke][SMK-001]", CaseStatus::passed),
                                         test_case("b", "[standard][STD-002]", CaseStatus::passed),
                                         test_case("c", "[smoke][SMK-011][containerd]", CaseStatus::skipped)})},
                         12.5);
}

const std::vector<FaultSwitch> kFaults{{"x.one", "auth", "one"}, {"y.two", "s3", "two"}, {"z.three", "logs", "three"}};

}  // namespace

TEST_CASE("id tags are the capital-dash-digits tags of a Catch2 tag string", "[driver][self-check]") {
    CHECK(id_tags("[standard][STD-007][slow]") == std::vector<std::string>{"STD-007"});
    CHECK(id_tags("[smoke][SMK-003][python]") == std::vector<std::string>{"SMK-003"});
    CHECK(id_tags("[autoscaling][ASC-001][ASC-002]") == std::vector<std::string>{"ASC-001", "ASC-002"});
    CHECK(id_tags("[e2e-python][SMK-][-001][smk-001][SMK001][Smk-001]").empty());
    CHECK(id_tags("[STD-012").empty());
    CHECK(id_tags("").empty());
}

TEST_CASE("the fault catalogue is read from id tab area tab description lines", "[driver][self-check]") {
    const auto faults = parse_fault_catalogue("auth.accept_missing_token\tauth\troutes answer without a token\n\ns3.put_not_stored\ts3\tPut is lost\n");
    REQUIRE(faults.size() == 2);
    CHECK(faults[0].id == "auth.accept_missing_token");
    CHECK(faults[0].area == "auth");
    CHECK(faults[1].description == "Put is lost");
    CHECK_THROWS_WITH(parse_fault_catalogue("ok.one\tauth\tfine\nbroken line\n"), ContainsSubstring("line 2") && ContainsSubstring("broken line"));
    CHECK_THROWS_AS(parse_fault_catalogue(""), ConfigError);
}

TEST_CASE("fault selection keeps catalogue order and names an unknown id", "[driver][self-check]") {
    CHECK(select_faults(kFaults, "all").size() == 3);
    const auto two = select_faults(kFaults, "z.three,x.one,x.one");
    REQUIRE(two.size() == 2);
    CHECK(two[0].id == "x.one");
    CHECK(two[1].id == "z.three");
    CHECK_THROWS_WITH(select_faults(kFaults, "x.one,nope.missing"), ContainsSubstring("unknown fault switch 'nope.missing'") &&
                                                                        ContainsSubstring("--list-faults"));
    CHECK_THROWS_AS(select_faults(kFaults, ","), ConfigError);
}

TEST_CASE("a run summary counts failures by test ID and by name when a case has none", "[driver][self-check]") {
    const auto run = summarise_run("x.one",
                                   {report_of({test_case("a", "[smoke][SMK-001]", CaseStatus::failed, "401 == 200"),
                                               test_case("a2", "[smoke][SMK-001]", CaseStatus::error, "boom")}),
                                    report_of({test_case("e2e-platform (process)", "", CaseStatus::error, "exit code 2 without a report"),
                                               test_case("b", "[standard][STD-002]", CaseStatus::passed),
                                               test_case("c", "[smoke][SMK-011]", CaseStatus::skipped)})},
                                   3.0);
    CHECK(run.tests == 5);
    CHECK(run.failed == 3);
    CHECK(run.skipped == 1);
    CHECK(run.failed_ids == std::set<std::string>{"SMK-001", "e2e-platform (process)"});
    CHECK_FALSE(run.green());
    REQUIRE(run.failures.size() == 3);
    CHECK(run.failures[0] == "a [SMK-001]: 401 == 200");
    CHECK(green_baseline().green());
    CHECK_FALSE(summarise_run("", {}, 0).green());  // nothing ran: not a baseline
}

TEST_CASE("the table lists each fault with its sorted catching IDs and the score", "[driver][self-check]") {
    auto caught_twice = summarise_run("x.one", {report_of({test_case("b", "[standard][STD-002]", CaseStatus::failed),
                                                           test_case("a", "[smoke][SMK-001]", CaseStatus::failed)}),
                                                report_of({test_case("b again", "[standard][STD-002]", CaseStatus::failed)})},
                                      5);
    auto uncaught = summarise_run("y.two", {report_of({test_case("a", "[smoke][SMK-001]", CaseStatus::passed)})}, 4);
    auto caught = summarise_run("z.three", {report_of({test_case("c", "[runtime][RTP-002]", CaseStatus::error)})}, 6);

    SECTION("one uncaught fault fails the check with exit 1") {
        const auto result = build_self_check(green_baseline(), kFaults, {uncaught, caught_twice, caught});
        REQUIRE(result.rows.size() == 3);
        CHECK(result.rows[0].fault.id == "x.one");
        CHECK(result.rows[0].verdict == FaultVerdict::caught);
        CHECK(result.rows[0].caught_by == std::vector<std::string>{"SMK-001", "STD-002"});
        CHECK(result.rows[1].verdict == FaultVerdict::uncaught);
        CHECK(result.rows[1].caught_by.empty());
        CHECK(result.caught() == 2);
        CHECK(result.score() == "2/3 (66%)");
        CHECK(self_check_exit_code(result) == kSelfCheckUncaught);
        const auto table = render_self_check_table(result);
        CHECK_THAT(table, ContainsSubstring("baseline (no fault): green, 3 tests, 0 failed, 1 skipped"));
        CHECK_THAT(table, ContainsSubstring("x.one") && ContainsSubstring("SMK-001, STD-002"));
        CHECK_THAT(table, ContainsSubstring("UNCAUGHT"));
        CHECK_THAT(table, ContainsSubstring("score: 2/3 (66%)"));
    }
    SECTION("every fault caught exits 0 with 100%") {
        const auto result = build_self_check(green_baseline(), {kFaults[0], kFaults[2]}, {caught_twice, caught});
        CHECK(result.score() == "2/2 (100%)");
        CHECK(self_check_exit_code(result) == kSelfCheckPassed);
    }
    SECTION("a fault whose refstack did not start is an error, exit 3, not a catch") {
        CheckRun broken;
        broken.fault = "y.two";
        broken.stack_error = "e2e-docker: esb-refstack exited with code 3 before it was ready:\nlog tail";
        const auto result = build_self_check(green_baseline(), kFaults, {caught_twice, broken, caught});
        CHECK(result.rows[1].verdict == FaultVerdict::error);
        CHECK(result.rows[1].error == "e2e-docker: esb-refstack exited with code 3 before it was ready:");
        CHECK(result.caught() == 2);
        CHECK(self_check_exit_code(result) == kSelfCheckInfrastructure);
        CHECK_THAT(render_self_check_table(result), ContainsSubstring("ERROR"));
    }
    SECTION("a red baseline checks no fault and exits 4") {
        auto red = summarise_run("", {report_of({test_case("a", "[smoke][SMK-001]", CaseStatus::failed, "503 == 200")})}, 2);
        const auto result = build_self_check(red, kFaults, {caught_twice, uncaught, caught});
        CHECK(result.rows.empty());
        CHECK(self_check_exit_code(result) == kSelfCheckBaselineRed);
        const auto table = render_self_check_table(result);
        CHECK_THAT(table, ContainsSubstring("RED") && ContainsSubstring("a [SMK-001]: 503 == 200") &&
                              ContainsSubstring("no fault was checked"));
        CheckRun no_stack;
        no_stack.stack_error = "not ready";
        CHECK(self_check_exit_code(build_self_check(no_stack, kFaults, {})) == kSelfCheckInfrastructure);
    }
    SECTION("the JSON report carries the same table") {
        auto result = build_self_check(green_baseline(), kFaults, {caught_twice, uncaught, caught});
        result.seconds = 61.5;
        CHECK_THAT(render_self_check_table(result), ContainsSubstring("wall time: 62s"));
        const auto json = e2e::Json::parse(render_self_check_json(result, "e2e-docker", "42"));
        CHECK(json.number("seconds") == 61.5);
        CHECK(json.str("environment") == "e2e-docker");
        CHECK(json.str("seed") == "42");
        CHECK(json.boolean("baseline.green"));
        CHECK(json.integer("caught") == 2);
        CHECK(json.integer("total") == 3);
        CHECK(json.str("score") == "2/3 (66%)");
        CHECK(json.integer("exit_code") == 1);
        REQUIRE(json.size("faults") == 3);
        const auto first = json.elements("faults")[0];
        CHECK(first.str("fault") == "x.one");
        CHECK(first.str("result") == "caught");
        CHECK(first.at("caught_by") == e2e::Json::parse(R"(["SMK-001", "STD-002"])"));
        CHECK(json.elements("faults")[1].str("result") == "uncaught");
    }
}

namespace {

// A matrix with one reference environment "ref", a fake esb-refstack and a fake test binary.
class SelfCheckFixture {
public:
    SelfCheckFixture() {
        write_env("MODE=docker\n");
        e2e::test::write_text(root() / "matrix.yaml", R"(binaries: [e2e-fake]
suites:
  smoke:
    targets: "[smoke]"
matrix:
  - env: ext
    stack: external
    env_file: env/ref.env
    suites: [smoke]
  - env: ref
    env_file: env/ref.env
    suites: [smoke]
)");
        // --list-faults prints the catalogue; otherwise the ready file is the env file plus the
        // active faults, so the fake binary can misbehave under some of them.
        e2e::test::write_text(refstack(), R"(#!/bin/bash
if [ "$1" = --list-faults ]; then
  printf 'auth.open\tauth\troutes answer without a token\ns3.lost\ts3\tobjects are not stored\nlogs.quiet\tlogs\tnothing is logged\n'
  exit 0
fi
FAULTS=unset
while [ $# -gt 0 ]; do case "$1" in --ready-file) shift; READY="$1";; --env-file) shift; ENVF="$1";; --faults) shift; FAULTS="$1";; esac; shift; done
case ",$FAULTS," in *,bad.start,*) echo "unknown fault switch" >&2; exit 3;; esac
trap 'exit 0' TERM
{ cat "$ENVF"; echo "FAULTS=$FAULTS"; } > "$READY.tmp" && mv "$READY.tmp" "$READY"
while true; do sleep 0.05; done
)");
        ::chmod(refstack().c_str(), 0755);
        // auth.open turns SMK-001 red, s3.lost turns STD-002 and SMK-001 red, logs.quiet nothing.
        e2e::test::write_fake_binary(root() / "bin" / "e2e-fake", R"("a" "b")", R"~(
tagged() { report "  <TestCase name=\"$1\" tags=\"$2\" filename=\"/src/fake.cpp\" line=\"10\">"
  if [ "$3" = ok ]; then report '    <OverallResult success="true" skips="0" durationInSeconds="0.01"/>'
  else report '    <Expression success="false" type="CHECK" filename="/src/fake.cpp" line="11"><Original>x</Original><Expanded>red</Expanded></Expression>'
       report '    <OverallResult success="false" skips="0" durationInSeconds="0.01"/>'; fi
  report "  </TestCase>"; }
F=$(grep '^FAULTS=' "$E2E_ENV_FILE" | cut -d= -f2)
BROKEN=$(grep -c '^BROKEN=1' "$E2E_ENV_FILE")
A=ok; B=ok
case ",$F," in *,auth.open,*|*,s3.lost,*) A=red;; esac
case ",$F," in *,s3.lost,*) B=red;; esac
[ "$BROKEN" = 1 ] && B=red
[ "$F" = unset ] && A=red   # the driver must always pass --faults, also "" for the baseline
start_report; tagged "a answers" "[smoke][SMK-001]" $A; tagged "b stores" "[smoke][STD-002][slow]" $B; finish
[ $A = ok ] && [ $B = ok ])~");
    }
    const std::filesystem::path& root() const { return dir_.path(); }
    std::filesystem::path refstack() const { return root() / "fake-refstack"; }
    std::filesystem::path report() const { return root() / "reports" / "self-check.json"; }
    void write_env(const std::string& text) { e2e::test::write_text(root() / "env" / "ref.env", text); }

    struct Result {
        int code;
        std::string out, err;
    };
    Result run(std::vector<std::string> extra) {
        std::vector<std::string> args{"esb-e2e",  "self-check", "--matrix", (root() / "matrix.yaml").string(), "--bin-dir",
                                      (root() / "bin").string(), "--refstack", refstack().string(), "--work-dir", (root() / "work").string(),
                                      "--report", report().string(), "--seed", "7"};
        args.insert(args.end(), extra.begin(), extra.end());
        std::ostringstream out, err;
        CliEnvironment env;
        env.self_dir = root() / "build" / "driver";
        Result r{run_cli(args, out, err, env), out.str(), err.str()};
        UNSCOPED_INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
        return r;
    }

private:
    e2e::test::TempDir dir_;
};

}  // namespace

TEST_CASE("self-check runs a baseline then each fault alone and reports the uncaught one", "[driver][self-check][cli]") {
    SelfCheckFixture f;
    const auto r = f.run({"--jobs", "2"});
    CHECK(r.code == kSelfCheckUncaught);
    CHECK_THAT(r.out, ContainsSubstring("environment ref:"));  // the first reference environment, not "ext"
    CHECK_THAT(r.out, ContainsSubstring("baseline (no fault): green, 2 tests, 0 failed"));
    CHECK_THAT(r.out, ContainsSubstring("score: 2/3 (66%)"));
    CHECK_THAT(r.out, ContainsSubstring("[FAILED] some fault switches were not caught: 2/3 (66%)"));
    const auto json = e2e::Json::parse(e2e::test::read_text(f.report()));
    REQUIRE(json.size("faults") == 3);
    const auto rows = json.elements("faults");
    CHECK(rows[0].str("fault") == "auth.open");
    CHECK(rows[0].at("caught_by") == e2e::Json::parse(R"(["SMK-001"])"));
    CHECK(rows[1].str("fault") == "s3.lost");
    CHECK(rows[1].at("caught_by") == e2e::Json::parse(R"(["SMK-001", "STD-002"])"));
    CHECK(rows[2].str("fault") == "logs.quiet");
    CHECK(rows[2].str("result") == "uncaught");
    // Each run has its own refstack, started with only its fault.
    CHECK_THAT(e2e::test::read_text(f.root() / "work" / "self-check" / "s3.lost" / "stacks" / "ref" / "refstack.log"),
               ContainsSubstring("--faults s3.lost"));
    CHECK(std::filesystem::exists(f.root() / "work" / "self-check" / "baseline" / "junit.xml"));
}

TEST_CASE("self-check with only caught faults exits 0", "[driver][self-check][cli]") {
    SelfCheckFixture f;
    const auto r = f.run({"--faults", "s3.lost,auth.open", "--jobs", "1"});
    CHECK(r.code == kSelfCheckPassed);
    CHECK_THAT(r.out, ContainsSubstring("[PASSED] every fault switch was caught: 2/2 (100%)"));
    CHECK_THAT(r.out, !ContainsSubstring("logs.quiet"));
}

TEST_CASE("self-check stops after a red baseline with exit 4", "[driver][self-check][cli]") {
    SelfCheckFixture f;
    f.write_env("MODE=docker\nBROKEN=1\n");
    const auto r = f.run({});
    CHECK(r.code == kSelfCheckBaselineRed);
    CHECK_THAT(r.out, ContainsSubstring("baseline (no fault): RED") && ContainsSubstring("b stores [STD-002]"));
    CHECK_THAT(r.out, !ContainsSubstring("auth.open"));  // no fault ran
    CHECK_FALSE(e2e::Json::parse(e2e::test::read_text(f.report())).boolean("baseline.green"));
}

TEST_CASE("self-check bad input is one error line with the driver's exit 2", "[driver][self-check][cli]") {
    SelfCheckFixture f;
    auto r = f.run({"--faults", "auth.open,no.such_fault"});
    CHECK(r.code == kSelfCheckUsage);
    CHECK(r.err == "[ERROR] unknown fault switch 'no.such_fault' in --faults (esb-refstack --list-faults lists the 3 known ones)\n");
    CHECK_FALSE(std::filesystem::exists(f.root() / "work" / "self-check" / "baseline"));  // checked before anything runs
    r = f.run({"--env", "ext"});
    CHECK(r.code == kSelfCheckUsage);
    CHECK_THAT(r.err, ContainsSubstring("self-check needs a reference environment") && ContainsSubstring("'ext' is external"));
    r = f.run({"--env", "nope"});
    CHECK(r.code == kSelfCheckUsage);
    r = f.run({"--jobs", "0"});
    CHECK(r.code == kSelfCheckUsage);
    CHECK_THAT(r.err, ContainsSubstring("--jobs expects an integer >= 1"));
    r = f.run({"--bogus"});
    CHECK(r.code == kSelfCheckUsage);
    r = f.run({"--refstack", (f.root() / "missing").string()});
    CHECK(r.code == kSelfCheckInfrastructure);
    CHECK_THAT(r.err, ContainsSubstring("esb-refstack not found"));
    std::ostringstream out, err;
    CHECK(run_cli({"esb-e2e", "self-check", "--help"}, out, err, {}) == 0);
    CHECK_THAT(out.str(), ContainsSubstring("--faults LIST"));
}

TEST_CASE("self-check reports a fault whose refstack does not start as an error with exit 3", "[driver][self-check][cli]") {
    SelfCheckFixture f;
    // The fake refstack refuses "bad.start"; make the catalogue list it.
    auto script = e2e::test::read_text(f.refstack());
    script.replace(script.find("logs.quiet\\tlogs"), 16, "bad.start\\tauth");
    e2e::test::write_text(f.refstack(), script);
    ::chmod(f.refstack().c_str(), 0755);
    const auto r = f.run({"--faults", "auth.open,bad.start"});
    CHECK(r.code == kSelfCheckInfrastructure);
    CHECK_THAT(r.out, ContainsSubstring("bad.start") && ContainsSubstring("ERROR") && ContainsSubstring("exited with code 3"));
    CHECK(r.err == "[ERROR] a refstack did not start (see the table)\n");
}
