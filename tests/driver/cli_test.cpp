// The whole pipeline through `esb-e2e` arguments, with fake test binaries and a fake refstack.
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <sstream>
#include <thread>
#include <vector>

#include "e2e/driver/cli.hpp"
#include "fake_binary.hpp"
#include "junit_support.hpp"

using namespace e2e::driver;
using Catch::Matchers::ContainsSubstring;

namespace {

struct Run {
    int code;
    std::string out, err, junit;
};

// A matrix with external environments "ext" (and "ext2") running the fake binary "e2e-fake".
class Fixture {
public:
    Fixture() {
        e2e::test::write_text(root() / "env" / "ext.env", "GATEWAY_URL=https://127.0.0.1:1\nAPI_SECRET=hunter2-very-secret\n");
        write_matrix(R"(binaries: [e2e-fake]
suites:
  smoke:
    targets: "[smoke]"
matrix:
  - env: ext
    stack: external
    env_file: env/ext.env
    suites: [smoke]
)");
    }
    const std::filesystem::path& root() const { return dir_.path(); }
    void write_matrix(const std::string& text) { e2e::test::write_text(root() / "matrix.yaml", text); }
    void fake(const std::string& cases, const std::string& body, const std::string& name = "e2e-fake") {
        e2e::test::write_fake_binary(root() / "bin" / name, cases, body);
    }
    Run run(std::vector<std::string> extra, const std::string& command = "run") {
        std::vector<std::string> args{"esb-e2e", command};
        if (command != "merge")
            for (const auto& a : std::vector<std::string>{"--matrix", (root() / "matrix.yaml").string(), "--bin-dir", (root() / "bin").string(),
                                                          "--work-dir", (root() / "work").string(), "--no-live"})
                args.push_back(a);
        if (command == "run")
            for (const auto& a : std::vector<std::string>{"--junit", (root() / "junit.xml").string(), "--seed", "7"}) args.push_back(a);
        args.insert(args.end(), extra.begin(), extra.end());
        std::ostringstream out, err;
        CliEnvironment env;
        env.self_dir = root() / "build" / "driver";
        Run r{run_cli(args, out, err, env), out.str(), err.str(), {}};
        if (std::filesystem::exists(root() / "junit.xml")) r.junit = e2e::test::read_text(root() / "junit.xml");
        UNSCOPED_INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
        return r;
    }
    std::filesystem::path junit() const { return root() / "junit.xml"; }

private:
    e2e::test::TempDir dir_;
};

}  // namespace

TEST_CASE("a passing fake gives exit 0 a valid report and the environment log", "[driver][cli]") {
    Fixture f;
    f.fake(R"("a passes" "b passes" "c skips")", R"(start_report; pass "a passes" 1.5; pass "b passes"; skip "c skips"; finish; exit 0)");
    const auto r = f.run({});
    CHECK(r.code == 0);
    CHECK_THAT(r.out, ContainsSubstring("[PASSED] ALL MATRIX ENTRIES PASSED!") && ContainsSubstring("slowest tests:"));
    CHECK_THAT(r.junit, ContainsSubstring(R"(<property name="seed" value="4242"/>)") &&
                            ContainsSubstring(R"(classname="ext.e2e-fake")") && ContainsSubstring(R"(time="1.500")"));
    const auto log = e2e::test::read_text(f.root() / "work" / ".parallel-ext.log");
    CHECK_THAT(log, ContainsSubstring("[ext] started") && ContainsSubstring("--rng-seed 7") && ContainsSubstring("[ext] done ... PASSED"));
    e2e::test::require_valid_junit(f.junit());
    CHECK(e2e::test::junitparser_counts(f.junit()) == "3 0 0 1");
}

TEST_CASE("a failing fake with control characters huge output and a secret gives exit 1 and a clean report", "[driver][cli]") {
    Fixture f;
    f.fake(R"("a passes" "b fails")", R"(
start_report; pass "a passes"
head -c 3000000 /dev/zero | tr '\0' 'x'; echo
printf 'colour \033[31mred\033[0m bell \a\n'
SECRET=$(grep API_SECRET "$E2E_ENV_FILE" | cut -d= -f2)
fail "b fails" "$(printf '401 == 200 \033[1m\001\002') key=$SECRET"
finish; exit 1)");
    const auto r = f.run({});
    CHECK(r.code == 1);
    CHECK_THAT(r.out, ContainsSubstring("[PARALLEL] Last 40 lines for ext") && ContainsSubstring("The following environments failed: ext"));
    CHECK_THAT(r.junit, ContainsSubstring("401 == 200  key=***") && !ContainsSubstring("hunter2-very-secret"));
    CHECK(r.junit.size() < 100'000);  // the huge output stays in the log
    e2e::test::require_valid_junit(f.junit());
    CHECK(e2e::test::junitparser_counts(f.junit()) == "2 1 0 0");
}

TEST_CASE("a crash mid test is an error on that test with the signal and the log tail and the matrix goes on", "[driver][cli]") {
    Fixture f;
    e2e::test::write_text(f.root() / "env" / "ext2.env", "X=1\n");
    f.write_matrix(R"(binaries: [e2e-fake, e2e-other]
suites:
  smoke:
    targets: "[smoke]"
matrix:
  - env: ext
    stack: external
    env_file: env/ext.env
    suites: [smoke]
  - env: ext2
    stack: external
    env_file: env/ext2.env
    suites: [smoke]
)");
    f.fake(R"("a passes" "b crashes" "c never runs")",
           R"(start_report; pass "a passes"; begin "b crashes"; echo "segfault coming in b"; kill -SEGV $$)");
    f.fake(R"("other passes")", R"(start_report; pass "other passes"; finish; exit 0)", "e2e-other");
    const auto r = f.run({"--jobs", "4"});
    CHECK(r.code == 1);
    CHECK_THAT(r.junit, ContainsSubstring(R"(<error type="SIGSEGV" message="crashed: SIGSEGV (signal 11) while this test was running">)"));
    CHECK_THAT(r.junit, ContainsSubstring("segfault coming in b"));
    CHECK_THAT(r.junit, ContainsSubstring(R"(<testsuite name="ext2.e2e-fake")") && ContainsSubstring(R"(<testsuite name="ext.e2e-other")"));
    e2e::test::require_valid_junit(f.junit());
    // ext: a, b(error); ext: other; ext2: a, b(error); ext2: other.
    CHECK(e2e::test::junitparser_counts(f.junit()) == "6 0 2 0");
}

TEST_CASE("a hang is a failure of the test in flight naming the timeout", "[driver][cli]") {
    Fixture f;
    f.fake(R"("a passes" "b hangs")", R"(start_report; pass "a passes"; begin "b hangs"; sleep 60)");
    const auto r = f.run({"--timeout", "1"});
    CHECK(r.code == 1);
    CHECK_THAT(r.junit, ContainsSubstring(R"(<failure type="timeout" message="timed out: the job exceeded its timeout of 1s)"));
    e2e::test::require_valid_junit(f.junit());
    CHECK(e2e::test::junitparser_counts(f.junit()) == "2 1 0 0");
}

TEST_CASE("a binary that exits non zero without a report gets a process error", "[driver][cli]") {
    Fixture f;
    f.fake(R"("a passes")", R"(echo "E2E_ENV_FILE unreadable" >&2; exit 4)");
    const auto r = f.run({});
    CHECK(r.code == 1);
    CHECK_THAT(r.junit, ContainsSubstring(R"~(<testcase name="e2e-fake (process)")~") &&
                            ContainsSubstring("exit code 4 without a report") && ContainsSubstring("E2E_ENV_FILE unreadable"));
    e2e::test::require_valid_junit(f.junit());
    CHECK(e2e::test::junitparser_counts(f.junit()) == "1 0 1 0");
}

TEST_CASE("retries re run failed tests by name and a later pass is flaky", "[driver][cli]") {
    Fixture f;
    f.fake(R"("a passes" "b flaky")", R"(
start_report; pass "a passes"
if [ -f "$HERE/ran-once" ]; then pass "b flaky"; else touch "$HERE/ran-once"; fail "b flaky" "503 == 200"; fi
finish)");
    const auto r = f.run({"--retries", "2"});
    CHECK(r.code == 0);
    CHECK_THAT(r.out, ContainsSubstring("retry 1 of 2"));
    CHECK_THAT(r.junit, ContainsSubstring("<flakyFailure") && ContainsSubstring("503 == 200"));
    CHECK_THAT(r.out, ContainsSubstring("flaky"));
    CHECK_THAT(e2e::test::read_text(f.root() / "work" / "jobs" / "ext.e2e-fake.r1.names"), ContainsSubstring("b flaky") && !ContainsSubstring("a passes"));
    e2e::test::require_valid_junit(f.junit());
    CHECK(e2e::test::junitparser_counts(f.junit()) == "2 0 0 0");
}

TEST_CASE("shards across machines merge back into the full report", "[driver][cli]") {
    Fixture f;
    f.fake(R"("t1" "t2" "t3" "t4" "t5")",
           R"(start_report; for t in t1 t2 t3 t4 t5; do pass "$t"; done; finish)");
    std::vector<std::string> reports;
    for (const char* k : {"1/2", "2/2"}) {
        const auto r = f.run({"--shard", k});
        CHECK(r.code == 0);
        const auto copy = f.root() / (std::string("shard-") + k[0] + ".xml");
        std::filesystem::copy_file(f.junit(), copy);
        reports.push_back(copy.string());
    }
    CHECK(e2e::test::junitparser_counts(reports[0]) == "3 0 0 0");
    CHECK(e2e::test::junitparser_counts(reports[1]) == "2 0 0 0");
    const auto merged = f.root() / "merged.xml";
    const auto m = f.run({merged.string(), reports[0], reports[1]}, "merge");
    CHECK(m.code == 0);
    e2e::test::require_valid_junit(merged);
    CHECK(e2e::test::junitparser_counts(merged) == "5 0 0 0");
    const auto list = f.run({"--shard", "2/2"}, "list");
    CHECK(list.code == 0);
    CHECK_THAT(list.out, ContainsSubstring("ext") && ContainsSubstring("e2e-fake") && ContainsSubstring(" 2  [smoke]"));
}

TEST_CASE("usage and configuration errors exit 2 with one clear line", "[driver][cli]") {
    Fixture f;
    f.fake(R"("a")", "exit 0");
    auto r = f.run({"--build-only", "--test-only"});
    CHECK(r.code == 2);
    CHECK_THAT(r.err, ContainsSubstring("[ERROR] --build-only and --test-only cannot be used together."));
    r = f.run({"--bogus"});
    CHECK(r.code == 2);
    CHECK_THAT(r.err, ContainsSubstring("unknown option '--bogus'"));
    r = f.run({"--jobs"});
    CHECK(r.code == 2);
    r = f.run({"--profile", "nope"});
    CHECK(r.code == 2);
    CHECK_THAT(r.err, ContainsSubstring("Environment 'nope' not found in matrix"));
    r = f.run({"--shard", "3/2"});
    CHECK(r.code == 2);
    f.write_matrix("suites:\n  smoke:\n    targets: [\n");
    r = f.run({});
    CHECK(r.code == 2);
    CHECK_THAT(r.err, ContainsSubstring("matrix.yaml:") && ContainsSubstring("bad YAML"));
    std::filesystem::remove(f.root() / "bin" / "e2e-fake");
    f.write_matrix("binaries: [e2e-fake]\nsuites:\n  smoke:\n    targets: \"[smoke]\"\nmatrix:\n  - env: ext\n    stack: external\n    env_file: env/ext.env\n    suites: [smoke]\n");
    r = f.run({});
    CHECK(r.code == 2);
    CHECK_THAT(r.err, ContainsSubstring("test binary not found"));
    std::ostringstream out, err;
    CHECK(run_cli({"esb-e2e", "run", "--help"}, out, err, {}) == 0);
    CHECK_THAT(out.str(), ContainsSubstring("--shard K/N"));
    CHECK(run_cli({"esb-e2e", "frobnicate"}, out, err, {}) == 2);
}

TEST_CASE("a reference environment starts one refstack passes its ready file and stops it", "[driver][cli]") {
    Fixture f;
    e2e::test::write_text(f.root() / "env" / "ref.env", "MODE=containerd\nPORT_S3=0\n");
    f.write_matrix(R"(binaries: [e2e-fake]
suites:
  smoke:
    targets: "[smoke]"
matrix:
  - env: ref
    mode: containerd
    env_file: env/ref.env
    suites: [smoke]
)");
    // The fake refstack writes its ready file with a secret, then waits for SIGTERM.
    const auto refstack = f.root() / "fake-refstack";
    e2e::test::write_text(refstack, R"(#!/bin/bash
while [ $# -gt 0 ]; do case "$1" in --ready-file) shift; READY="$1";; --env-file) shift; ENVF="$1";; --data-dir) shift; DATA="$1";; esac; shift; done
trap 'echo stopped > "$DATA/../stopped"; exit 0' TERM
grep -q MODE=containerd "$ENVF" || exit 3
printf 'GATEWAY_URL=https://127.0.0.1:4443\nAUTH_PASS=pa55w0rd-generated\n' > "$READY"
while true; do sleep 0.1; done
)");
    ::chmod(refstack.c_str(), 0755);
    f.fake(R"("a sees the stack")", R"~(start_report
if grep -q GATEWAY_URL=https://127.0.0.1:4443 "$E2E_ENV_FILE" && [ "$E2E_MODE" = containerd ]; then pass "a sees the stack"; else fail "a sees the stack" "no ready file: $E2E_ENV_FILE $(cat "$E2E_ENV_FILE")"; fi
finish)~");
    auto r = f.run({"--refstack", refstack.string()});
    CHECK(r.code == 0);
    CHECK(std::filesystem::exists(f.root() / "work" / "stacks" / "ref" / "stopped"));
    CHECK_THAT(e2e::test::read_text(f.root() / "work" / ".parallel-ref.log"), ContainsSubstring("esb-refstack ready"));

    r = f.run({"--refstack", (f.root() / "missing-refstack").string()});
    CHECK(r.code == 3);
    CHECK_THAT(r.err, ContainsSubstring("esb-refstack not found"));
    CHECK_THAT(r.junit, ContainsSubstring(R"(<testcase name="ref stack")"));
    e2e::test::require_valid_junit(f.junit());
}

TEST_CASE("a compose environment runs its lifecycle commands and a failing one is an infrastructure error", "[driver][cli]") {
    Fixture f;
    f.write_matrix(R"(binaries: [e2e-fake]
suites:
  smoke:
    targets: "[smoke]"
matrix:
  - env: esb
    stack: compose
    env_file: env/ext.env
    suites: [smoke]
    lifecycle:
      reset: ["echo resetting $E2E_ENVIRONMENT"]
      compose: ["echo composing"]
      deploy: ["echo deploying; exit 7"]
)");
    f.fake(R"("a")", R"(start_report; pass "a"; finish)");
    auto r = f.run({});
    CHECK(r.code == 3);
    CHECK_THAT(r.err, ContainsSubstring("deploy command failed with exit code 7"));
    const auto log = e2e::test::read_text(f.root() / "work" / ".parallel-esb.log");
    CHECK_THAT(log, ContainsSubstring("resetting esb") && ContainsSubstring("composing") && ContainsSubstring("deploying"));
    r = f.run({"--test-only"});  // the lifecycle is skipped: the stack is assumed up
    CHECK(r.code == 0);
}

// The real executable, interrupted: nothing it started may outlive it (each child leads its own
// process group, so the terminal's Ctrl-C does not reach them by itself).
TEST_CASE("an interrupted esb-e2e stops the refstack and the test binary it started", "[driver][cli]") {
    Fixture f;
    e2e::test::write_text(f.root() / "env" / "ref.env", "MODE=docker\n");
    f.write_matrix(R"(binaries: [e2e-fake]
suites:
  smoke:
    targets: "[smoke]"
matrix:
  - env: ref
    env_file: env/ref.env
    suites: [smoke]
)");
    const auto pids = f.root() / "pids";
    const auto refstack = f.root() / "fake-refstack";
    e2e::test::write_text(refstack, "#!/bin/bash\n"
                                    "while [ $# -gt 0 ]; do case \"$1\" in --ready-file) shift; READY=\"$1\";; esac; shift; done\n"
                                    "echo $$ >> " + pids.string() + "\n"
                                    "printf 'GATEWAY_URL=https://127.0.0.1:4443\\n' > \"$READY\"\n"
                                    "while true; do sleep 0.1; done\n");
    ::chmod(refstack.c_str(), 0755);
    f.fake(R"("a hangs")", "start_report\nbegin \"a hangs\"\necho $$ >> " + pids.string() + "\nwhile true; do sleep 0.1; done");

    const pid_t driver = ::fork();
    REQUIRE(driver >= 0);
    if (driver == 0) {
        const std::string m = (f.root() / "matrix.yaml").string(), b = (f.root() / "bin").string(), w = (f.root() / "work").string(),
                          r = refstack.string(), log = (f.root() / "driver.log").string();
        const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        ::dup2(fd, 1);
        ::dup2(fd, 2);
        ::execl(ESB_E2E_BINARY, "esb-e2e", "run", "--matrix", m.c_str(), "--bin-dir", b.c_str(), "--work-dir", w.c_str(), "--refstack",
                r.c_str(), "--no-live", "--junit", (f.root() / "junit.xml").c_str(), static_cast<char*>(nullptr));
        ::_exit(127);
    }
    auto pid_list = [&] {
        std::vector<pid_t> out;
        std::istringstream in(e2e::test::read_text(pids));
        for (pid_t pid = 0; in >> pid;) out.push_back(pid);
        return out;
    };
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (pid_list().size() < 2 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    const auto started = pid_list();
    INFO("driver log:\n" << e2e::test::read_text(f.root() / "driver.log"));
    ::kill(driver, SIGINT);
    int status = 0;
    REQUIRE(::waitpid(driver, &status, 0) == driver);
    REQUIRE(started.size() == 2);  // the refstack and the hanging binary were both running
    CHECK(WIFSIGNALED(status));
    CHECK(WTERMSIG(status) == SIGINT);
    CHECK_THAT(e2e::test::read_text(f.root() / "driver.log"), ContainsSubstring("esb-e2e: interrupted"));
    for (const pid_t pid : started) {
        // Orphans are reaped by init; until then kill(pid, 0) still finds them, hence the wait.
        const auto gone_by = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (::kill(pid, 0) == 0 && std::chrono::steady_clock::now() < gone_by)
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        const bool alive = ::kill(pid, 0) == 0;
        if (alive) ::kill(pid, SIGKILL);
        CHECK_FALSE(alive);
    }
}
