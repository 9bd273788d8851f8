#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <signal.h>

#include <algorithm>
#include <map>

#include "e2e/driver/runner.hpp"
#include "fake_binary.hpp"

using namespace e2e::driver;
using namespace std::chrono_literals;

namespace {

struct FakeClock final : Clock {
    std::chrono::steady_clock::time_point t{};
    std::chrono::steady_clock::time_point now() override { return t; }
    void sleep_for(std::chrono::milliseconds d) override { t += d; }
};

// Processes are scripted by argv[0]: how long they run, how they end, whether SIGTERM stops them.
struct FakeLauncher final : ProcessLauncher {
    struct Script {
        std::chrono::milliseconds runs{10};
        int status = 0;  // raw wait status
        bool ignores_term = false;
    };
    explicit FakeLauncher(FakeClock& c) : clock(c) {}
    FakeClock& clock;
    std::map<std::string, Script> scripts;
    struct Proc {
        Script script;
        std::chrono::steady_clock::time_point started;
        std::optional<int> ended_by;
        bool done = false;
    };
    std::map<int, Proc> procs;
    std::vector<std::pair<int, int>> signals;
    int next = 100;
    int running = 0;
    int max_running = 0;

    int start(const ProcessSpec& spec) override {
        procs[next] = {scripts[spec.argv.at(0)], clock.now(), std::nullopt};
        max_running = std::max(max_running, ++running);
        return next++;
    }
    std::optional<int> poll(int handle) override {
        auto& p = procs.at(handle);
        if (p.done) return std::nullopt;
        std::optional<int> status;
        if (p.ended_by) status = *p.ended_by;  // killed: wait status = signal number
        else if (clock.now() - p.started >= p.script.runs) status = p.script.status;
        if (status) {
            p.done = true;
            --running;
        }
        return status;
    }
    void signal_group(int handle, int signal) override {
        signals.emplace_back(handle, signal);
        auto& p = procs.at(handle);
        if (!p.done && !p.ended_by && (signal == SIGKILL || !p.script.ignores_term)) p.ended_by = signal;
    }
};

Task task(const std::string& id, const std::string& program, const std::string& lane = "") {
    Task t;
    t.id = id;
    t.lane = lane;
    t.spec.argv = {program};
    t.spec.log_file = std::filesystem::temp_directory_path() / ("esb-e2e-runner-test-" + id + ".log");
    return t;
}

}  // namespace

TEST_CASE("the pool never runs more than jobs processes at once", "[driver][runner]") {
    FakeClock clock;
    FakeLauncher launcher(clock);
    launcher.scripts["slow"] = {1000ms, 0};
    std::vector<Task> tasks;
    for (const char* id : {"t0", "t1", "t2", "t3", "t4", "t5", "t6"}) tasks.push_back(task(id, "slow"));
    RunnerOptions o;
    o.jobs = 3;
    const auto results = run_tasks(tasks, o, launcher, clock);
    CHECK(launcher.max_running == 3);
    REQUIRE(results.size() == 7);
    for (const auto& r : results) CHECK(r.exit.passed());
    // 7 jobs of 1 s on 3 workers: 3 waves.
    CHECK(clock.t.time_since_epoch() >= 3000ms);
    CHECK(clock.t.time_since_epoch() < 3200ms);
}

TEST_CASE("jobs of one lane run one after the other", "[driver][runner]") {
    FakeClock clock;
    FakeLauncher launcher(clock);
    launcher.scripts["x"] = {100ms, 0};
    RunnerOptions o;
    o.jobs = 8;
    run_tasks({task("a", "x", "env-a"), task("b", "x", "env-a"), task("c", "x", "env-b")}, o, launcher, clock);
    CHECK(launcher.max_running == 2);
}

TEST_CASE("exit codes and signals are reported", "[driver][runner]") {
    FakeClock clock;
    FakeLauncher launcher(clock);
    launcher.scripts["fails"] = {10ms, 1 << 8};
    launcher.scripts["crashes"] = {10ms, SIGSEGV};
    const auto r = run_tasks({task("f", "fails"), task("c", "crashes")}, RunnerOptions{2}, launcher, clock);
    CHECK(r[0].exit.code == 1);
    CHECK(r[0].exit.describe() == "exit code 1");
    CHECK(r[1].exit.signal == SIGSEGV);
    CHECK(r[1].exit.describe() == "killed by SIGSEGV (signal 11)");
}

TEST_CASE("a hang gets SIGTERM at the timeout and SIGKILL after the grace period", "[driver][runner]") {
    FakeClock clock;
    FakeLauncher launcher(clock);
    launcher.scripts["hangs"] = {std::chrono::hours(10), 0, true};
    launcher.scripts["quick"] = {50ms, 0};
    RunnerOptions o;
    o.jobs = 2;
    o.timeout = 5s;
    o.kill_grace = 2s;
    const auto r = run_tasks({task("h", "hangs"), task("q", "quick")}, o, launcher, clock);
    CHECK(r[0].exit.timed_out);
    CHECK(r[0].exit.signal == SIGKILL);
    CHECK(r[0].exit.seconds >= 7.0);
    CHECK(r[0].exit.seconds < 7.2);
    CHECK(r[1].exit.passed());
    REQUIRE(launcher.signals.size() >= 2);
    CHECK(std::find(launcher.signals.begin(), launcher.signals.end(), std::pair{100, SIGTERM}) != launcher.signals.end());
    CHECK(std::find(launcher.signals.begin(), launcher.signals.end(), std::pair{100, SIGKILL}) != launcher.signals.end());
    CHECK_THAT(e2e::test::read_text(std::filesystem::temp_directory_path() / "esb-e2e-runner-test-h.log"),
               Catch::Matchers::ContainsSubstring("timeout after 5s"));
}

TEST_CASE("real processes run in their own group with their output in the log", "[driver][runner]") {
    e2e::test::TempDir dir;
    const auto script = dir.path() / "child.sh";
    e2e::test::write_text(script, "#!/bin/bash\necho \"pgid=$(cut -d' ' -f5 /proc/$$/stat) pid=$$ env=$FAKE_VAR\"\nsleep 30 &\nkill -SEGV $$\n");
    ::chmod(script.c_str(), 0755);
    PosixLauncher launcher;
    SystemClock clock;
    Task t;
    t.id = "real";
    t.spec.argv = {script.string()};
    t.spec.env = {{"FAKE_VAR", "hello"}};
    t.spec.log_file = dir.path() / "real.log";
    const auto r = run_tasks({t}, RunnerOptions{1}, launcher, clock);
    CHECK(r[0].exit.signal == SIGSEGV);
    const auto log = e2e::test::read_text(t.spec.log_file);
    CHECK_THAT(log, Catch::Matchers::StartsWith("$ " + script.string()));
    CHECK_THAT(log, Catch::Matchers::ContainsSubstring("env=hello"));
    // Own group: pgid == pid.
    const auto pid = log.substr(log.find("pid=") + 4, log.find(" env") - log.find("pid=") - 4);
    CHECK_THAT(log, Catch::Matchers::ContainsSubstring("pgid=" + pid + " "));
}

TEST_CASE("tail_file returns the last lines", "[driver][runner]") {
    e2e::test::TempDir dir;
    std::string text;
    for (int i = 1; i <= 100; ++i) text += "line " + std::to_string(i) + "\n";
    e2e::test::write_text(dir.path() / "x.log", text);
    const auto tail = tail_file(dir.path() / "x.log", 3);
    CHECK(tail == "line 98\nline 99\nline 100\n");
    CHECK(tail_file(dir.path() / "missing.log").empty());
}
