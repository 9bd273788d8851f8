// Stage 3: a bounded pool of processes. Each task runs in its own process group with its output
// in its own log file; past the timeout the group gets SIGTERM, then SIGKILL after a grace
// period. Spawning and time are injected so tests can fake crashes and hangs without sleeping.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace e2e::driver {

struct ProcessSpec {
    std::vector<std::string> argv;
    std::vector<std::pair<std::string, std::string>> env;  // added to (or replacing in) the driver's environment
    std::filesystem::path log_file;                         // stdout+stderr, truncated first
    bool append_log = false;                                // append instead of truncating
    std::filesystem::path cwd;                              // empty: the driver's
};

struct ExitInfo {
    int code = 0;          // exit code when the process exited
    int signal = 0;        // terminating signal, 0 when it exited
    bool timed_out = false;
    double seconds = 0;
    bool passed() const { return code == 0 && signal == 0 && !timed_out; }
    std::string describe() const;  // "exit code 1", "killed by SIGSEGV (signal 11)", "timed out after ..."
};

std::string signal_name(int signal);  // "SIGSEGV"

class ProcessLauncher {
public:
    virtual ~ProcessLauncher() = default;
    virtual int start(const ProcessSpec& spec) = 0;          // a handle; throws std::runtime_error when it cannot start
    virtual std::optional<int> poll(int handle) = 0;         // the wait status once the process has ended
    virtual void signal_group(int handle, int signal) = 0;   // to the whole process group
};

class Clock {
public:
    virtual ~Clock() = default;
    virtual std::chrono::steady_clock::time_point now() = 0;
    virtual void sleep_for(std::chrono::milliseconds duration) = 0;
};

// fork + exec, setpgid, waitpid(WNOHANG), kill(-pgid). Every process group it starts is
// remembered until reaped, for install_interrupt_handler.
class PosixLauncher final : public ProcessLauncher {
public:
    int start(const ProcessSpec& spec) override;
    std::optional<int> poll(int handle) override;
    void signal_group(int handle, int signal) override;
};

// On SIGINT, SIGTERM or SIGHUP: sends SIGTERM to every process group a PosixLauncher started
// and has not reaped yet (test binaries, esb-refstack, lifecycle commands; a refstack stops its
// gateway and agent on SIGTERM), prints one line, then dies of the same signal. Without it an
// interrupted esb-e2e would leave them running, since each child leads its own process group.
void install_interrupt_handler();

class SystemClock final : public Clock {
public:
    std::chrono::steady_clock::time_point now() override { return std::chrono::steady_clock::now(); }
    void sleep_for(std::chrono::milliseconds duration) override;
};

struct Task {
    std::string id;
    std::string lane;  // tasks of one lane run one after the other
    ProcessSpec spec;
};

struct TaskResult {
    std::string id;
    ExitInfo exit;
};

struct RunnerOptions {
    int jobs = 1;
    std::chrono::milliseconds timeout{0};  // 0: none
    std::chrono::milliseconds kill_grace{5000};
    std::chrono::milliseconds poll_interval{20};
};

struct RunnerEvents {
    std::function<void(const Task&)> started;
    std::function<void(const Task&, const TaskResult&)> finished;
};

// Runs every task, at most options.jobs at a time and one per lane; results in task order.
std::vector<TaskResult> run_tasks(const std::vector<Task>& tasks, const RunnerOptions& options, ProcessLauncher& launcher,
                                  Clock& clock, const RunnerEvents& events = {});

// The last `lines` lines of a file ("" when missing).
std::string tail_file(const std::filesystem::path& file, std::size_t lines = 40);

}  // namespace e2e::driver
