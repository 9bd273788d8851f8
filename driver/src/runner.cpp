#include "e2e/driver/runner.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <deque>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace e2e::driver {
namespace {

// Process groups started and not yet reaped, readable from a signal handler: lock-free atomics
// only. More children than slots at once is not a configuration the driver makes (jobs are
// bounded), and one that finds no slot is simply not stopped on an interrupt.
std::array<std::atomic<int>, 1024> live_groups{};
static_assert(std::atomic<int>::is_always_lock_free);

void remember_group(int group) {
    for (auto& slot : live_groups) {
        int empty = 0;
        if (slot.compare_exchange_strong(empty, group)) return;
    }
}

void forget_group(int group) {
    for (auto& slot : live_groups) {
        int expected = group;
        if (slot.compare_exchange_strong(expected, 0)) return;
    }
}

void on_interrupt(int signal) {
    const char message[] = "esb-e2e: interrupted; stopping the test binaries and stacks it started\n";
    [[maybe_unused]] const auto written = ::write(STDERR_FILENO, message, sizeof message - 1);
    for (auto& slot : live_groups) {
        if (const int group = slot.load(); group > 0) ::kill(-group, SIGTERM);
    }
    ::raise(signal);  // SA_RESETHAND restored the default action: die of the same signal
}

}  // namespace

std::string signal_name(int signal) {
    switch (signal) {
        case SIGSEGV: return "SIGSEGV";
        case SIGABRT: return "SIGABRT";
        case SIGBUS: return "SIGBUS";
        case SIGFPE: return "SIGFPE";
        case SIGILL: return "SIGILL";
        case SIGKILL: return "SIGKILL";
        case SIGTERM: return "SIGTERM";
        case SIGINT: return "SIGINT";
        case SIGPIPE: return "SIGPIPE";
        case SIGHUP: return "SIGHUP";
        default: return fmt::format("signal {}", signal);
    }
}

std::string ExitInfo::describe() const {
    if (timed_out) return fmt::format("timed out after {:.1f}s", seconds);
    if (signal != 0) return fmt::format("killed by {} (signal {})", signal_name(signal), signal);
    return fmt::format("exit code {}", code);
}

int PosixLauncher::start(const ProcessSpec& spec) {
    if (spec.argv.empty()) throw std::runtime_error("empty command");
    {
        std::ofstream header(spec.log_file, spec.append_log ? std::ios::app : std::ios::trunc);
        if (!header) throw std::runtime_error("cannot write log file " + spec.log_file.string());
        header << "$";
        for (const auto& a : spec.argv) header << ' ' << a;
        header << '\n';
    }
    // Everything the child needs is prepared before fork: after it only async-signal-safe calls.
    std::vector<std::string> env_strings;
    std::set<std::string> overridden;
    for (const auto& [k, v] : spec.env) {
        env_strings.push_back(k + "=" + v);
        overridden.insert(k);
    }
    for (char** e = environ; *e != nullptr; ++e) {
        std::string entry(*e);
        if (!overridden.contains(entry.substr(0, entry.find('=')))) env_strings.push_back(std::move(entry));
    }
    std::vector<char*> envp;
    for (auto& s : env_strings) envp.push_back(s.data());
    envp.push_back(nullptr);
    std::vector<std::string> args = spec.argv;
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    const std::string log = spec.log_file.string();
    const std::string cwd = spec.cwd.string();

    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error(fmt::format("fork failed: {}", std::strerror(errno)));
    if (pid == 0) {
        ::setpgid(0, 0);
        const int fd = ::open(log.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
        const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (fd < 0 || null_fd < 0) ::_exit(126);
        ::dup2(null_fd, 0);
        ::dup2(fd, 1);
        ::dup2(fd, 2);
        if (!cwd.empty() && ::chdir(cwd.c_str()) != 0) ::_exit(126);
        ::execve(argv[0], argv.data(), envp.data());
        const char msg[] = "esb-e2e: cannot execute the command\n";
        [[maybe_unused]] auto ignored = ::write(2, msg, sizeof msg - 1);
        ::_exit(127);
    }
    ::setpgid(pid, pid);  // also here: whoever runs first wins the race, both agree
    remember_group(pid);
    return pid;
}

std::optional<int> PosixLauncher::poll(int handle) {
    int status = 0;
    const pid_t r = ::waitpid(handle, &status, WNOHANG);
    if (r == 0) return std::nullopt;
    forget_group(handle);
    if (r < 0) return 0;  // already reaped: treat as a clean exit rather than spin forever
    return status;
}

void PosixLauncher::signal_group(int handle, int signal) { ::kill(-handle, signal); }

void install_interrupt_handler() {
    struct sigaction action {};
    action.sa_handler = on_interrupt;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESETHAND;  // a second Ctrl-C kills at once
    for (const int signal : {SIGINT, SIGTERM, SIGHUP}) ::sigaction(signal, &action, nullptr);
}

void SystemClock::sleep_for(std::chrono::milliseconds duration) { std::this_thread::sleep_for(duration); }

std::vector<TaskResult> run_tasks(const std::vector<Task>& tasks, const RunnerOptions& options, ProcessLauncher& launcher,
                                  Clock& clock, const RunnerEvents& events) {
    struct Running {
        std::size_t index;
        int handle;
        std::chrono::steady_clock::time_point started;
        std::optional<std::chrono::steady_clock::time_point> terminated;
        bool killed = false;
    };
    std::vector<TaskResult> results(tasks.size());
    std::deque<std::size_t> pending;
    for (std::size_t i = 0; i < tasks.size(); ++i) pending.push_back(i);
    std::vector<Running> running;
    std::set<std::string> busy_lanes;
    const auto limit = static_cast<std::size_t>(std::max(1, options.jobs));

    while (!pending.empty() || !running.empty()) {
        // Start what the pool and the lanes allow, in order.
        for (auto it = pending.begin(); it != pending.end() && running.size() < limit;) {
            const auto& task = tasks[*it];
            if (!task.lane.empty() && busy_lanes.contains(task.lane)) {
                ++it;
                continue;
            }
            const auto now = clock.now();
            if (events.started) events.started(task);
            try {
                const int handle = launcher.start(task.spec);
                running.push_back({*it, handle, now, std::nullopt});
                if (!task.lane.empty()) busy_lanes.insert(task.lane);
            } catch (const std::exception& e) {
                results[*it] = {task.id, ExitInfo{127, 0, false, 0}};
                std::ofstream(task.spec.log_file, std::ios::app) << "[ERROR] " << e.what() << '\n';
                if (events.finished) events.finished(task, results[*it]);
            }
            it = pending.erase(it);
        }
        bool any_finished = false;
        for (auto it = running.begin(); it != running.end();) {
            const auto& task = tasks[it->index];
            const auto now = clock.now();
            if (const auto status = launcher.poll(it->handle)) {
                ExitInfo exit;
                exit.seconds = std::chrono::duration<double>(now - it->started).count();
                if (WIFSIGNALED(*status)) exit.signal = WTERMSIG(*status);
                else if (WIFEXITED(*status)) exit.code = WEXITSTATUS(*status);
                exit.timed_out = it->terminated.has_value();
                // The group may still hold children of the test binary: they go with it.
                launcher.signal_group(it->handle, SIGKILL);
                results[it->index] = {task.id, exit};
                if (!task.lane.empty()) busy_lanes.erase(task.lane);
                if (events.finished) events.finished(task, results[it->index]);
                it = running.erase(it);
                any_finished = true;
                continue;
            }
            if (options.timeout.count() > 0 && !it->terminated && now - it->started >= options.timeout) {
                launcher.signal_group(it->handle, SIGTERM);
                it->terminated = now;
                std::ofstream(task.spec.log_file, std::ios::app)
                    << fmt::format("\n[esb-e2e] timeout after {}s: SIGTERM to the process group\n",
                                   std::chrono::duration<double>(options.timeout).count());
            } else if (it->terminated && !it->killed && now - *it->terminated >= options.kill_grace) {
                launcher.signal_group(it->handle, SIGKILL);
                it->killed = true;
                std::ofstream(task.spec.log_file, std::ios::app) << "[esb-e2e] still running: SIGKILL to the process group\n";
            }
            ++it;
        }
        if (!any_finished && !running.empty()) clock.sleep_for(options.poll_interval);
    }
    return results;
}

std::string tail_file(const std::filesystem::path& file, std::size_t lines) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return {};
    // Read at most the last 256 KiB: a huge log must not be loaded to show 40 lines.
    in.seekg(0, std::ios::end);
    const auto size = static_cast<std::streamoff>(in.tellg());
    const std::streamoff window = 256 * 1024;
    in.seekg(size > window ? size - window : 0);
    std::ostringstream buffer;  // not istreambuf_iterator: GCC 12 -O3 warns falsely on it
    buffer << in.rdbuf();
    const std::string text = buffer.str();
    std::size_t count = 0;
    std::size_t pos = text.size();
    if (pos > 0 && text[pos - 1] == '\n') --pos;
    while (pos > 0) {
        if (text[pos - 1] == '\n' && ++count == lines) break;
        --pos;
    }
    return text.substr(pos);
}

}  // namespace e2e::driver
