#include "supervisor.hpp"

#include <fcntl.h>
#include <fmt/chrono.h>
#include <fmt/format.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <fstream>
#include <stdexcept>

extern char** environ;  // NOLINT: POSIX

namespace refstack {
namespace {

std::string now_iso_nanoseconds() {
    const auto now = std::chrono::system_clock::now();
    const auto seconds = std::chrono::floor<std::chrono::seconds>(now);
    const auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(now - seconds).count();
    return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:09d}Z", seconds, nanos);
}

int exit_code_of(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return -1;
}

}  // namespace

struct Supervisor::Child {
    ComponentStatus state;
    bool expected_exit = false;  // restart/stop in progress: do not auto-restart
};

Supervisor::Supervisor(Options options) : options_(std::move(options)) {
    std::filesystem::create_directories(options_.log_dir);
}

Supervisor::~Supervisor() {
    stop_all();
    for (auto& watcher : watchers_) {
        if (watcher.joinable()) watcher.join();
    }
}

void Supervisor::spawn_locked(Child& child) {
    if (options_.before_start) options_.before_start(child.state.name);
    const auto log_file = options_.log_dir / (child.state.name + ".log");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
    const std::string executable = options_.executable.string();
    const std::string config = options_.config.string();
    std::vector<std::string> args{executable, "component", child.state.name, "--config", config};
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    pid_t pid = 0;
    const int rc = posix_spawn(&pid, executable.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) throw std::runtime_error(fmt::format("cannot start component {}: {}", child.state.name, std::strerror(rc)));
    child.state.pid = pid;
    child.state.started_at = now_iso_nanoseconds();
    child.state.status = "running";
    child.expected_exit = false;
    watchers_.emplace_back([this, name = child.state.name, pid] { watch(name, pid); });
}

void Supervisor::watch(const std::string& name, pid_t pid) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    std::unique_lock lock(mutex_);
    auto* child = children_.at(name);
    if (child->state.pid != pid) return;
    child->state.pid = 0;
    child->state.last_exit_code = exit_code_of(status);
    if (child->expected_exit || stopping_) {
        child->state.status = "exited";
        changed_.notify_all();
        return;
    }
    // Exited on its own: restart like Docker's unless-stopped policy, and count it.
    child->state.status = "restarting";
    ++child->state.restart_count;
    try {
        spawn_locked(*child);
    } catch (const std::exception& error) {
        child->state.status = "exited";
        fmt::print(stderr, "esb-refstack: {}\n", error.what());
    }
    changed_.notify_all();
    lock.unlock();
    if (options_.wait_ready) {
        try {
            options_.wait_ready(name, options_.ready_timeout);
        } catch (const std::exception& error) {
            fmt::print(stderr, "esb-refstack: component {} did not come back: {}\n", name, error.what());
        }
    }
}

void Supervisor::start(const std::string& component) {
    {
        std::lock_guard lock(mutex_);
        auto it = children_.find(component);
        if (it == children_.end()) {
            storage_.push_back(std::make_unique<Child>());
            storage_.back()->state.name = component;
            it = children_.emplace(component, storage_.back().get()).first;
        }
        if (it->second->state.pid != 0) return;
        spawn_locked(*it->second);
    }
    if (options_.wait_ready) options_.wait_ready(component, options_.ready_timeout);
}

void Supervisor::terminate_and_wait(std::unique_lock<std::mutex>& lock, Child& child) {
    if (child.state.pid == 0) return;
    child.expected_exit = true;
    const pid_t pid = child.state.pid;
    ::kill(pid, SIGTERM);
    if (!changed_.wait_for(lock, std::chrono::seconds(10), [&] { return child.state.pid == 0; })) {
        ::kill(pid, SIGKILL);
        changed_.wait(lock, [&] { return child.state.pid == 0; });
    }
}

void Supervisor::restart(const std::string& component) {
    {
        std::unique_lock lock(mutex_);
        auto* child = children_.at(component);
        terminate_and_wait(lock, *child);
        if (stopping_) return;
        spawn_locked(*child);
    }
    if (options_.wait_ready) options_.wait_ready(component, options_.ready_timeout);
}

void Supervisor::crash(const std::string& component) {
    std::lock_guard lock(mutex_);
    auto* child = children_.at(component);
    if (child->state.pid != 0) ::kill(child->state.pid, SIGTERM);
}

void Supervisor::stop_all() {
    std::unique_lock lock(mutex_);
    stopping_ = true;
    for (auto& [name, child] : children_) terminate_and_wait(lock, *child);
}

std::vector<ComponentStatus> Supervisor::status() const {
    std::lock_guard lock(mutex_);
    std::vector<ComponentStatus> out;
    for (const auto& [name, child] : children_) out.push_back(child->state);
    return out;
}

ComponentStatus Supervisor::status(const std::string& component) const {
    std::lock_guard lock(mutex_);
    const auto it = children_.find(component);
    if (it == children_.end()) throw std::out_of_range(fmt::format("unknown component \"{}\"", component));
    return it->second->state;
}

std::string Supervisor::log_tail(const std::string& component, std::size_t lines) const {
    std::ifstream in(options_.log_dir / (component + ".log"));
    std::deque<std::string> tail;
    for (std::string line; std::getline(in, line);) {
        tail.push_back(line);
        if (tail.size() > lines) tail.pop_front();
    }
    std::string out;
    for (const auto& line : tail) out += line + "\n";
    return out;
}

}  // namespace refstack
