// Runs the restartable components (gateway, agent) as child processes of `esb-refstack`, restarts
// one that exits on its own (Docker's `unless-stopped` policy) and reports restart counts and start
// times (what RST-001 reads from `docker inspect`).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace refstack {

struct ComponentStatus {
    std::string name;
    pid_t pid = 0;
    int restart_count = 0;   // automatic restarts after the process exited on its own
    std::string started_at;  // ISO-8601 UTC with nanoseconds, changes on every start
    std::string status;      // "running", "restarting", "exited"
    int last_exit_code = 0;  // exit status, or 128 + signal
};

class Supervisor {
public:
    struct Options {
        std::filesystem::path executable;  // this program (/proc/self/exe)
        std::filesystem::path config;      // the resolved env file handed to components
        std::filesystem::path log_dir;     // <component>.log files (stdout + stderr, appended)
        // Called before each start of a component (e.g. to rewrite the config).
        std::function<void(const std::string& component)> before_start;
        // Blocks until the component answers; throws std::runtime_error naming it on timeout.
        std::function<void(const std::string& component, std::chrono::milliseconds timeout)> wait_ready;
        std::chrono::milliseconds ready_timeout{15'000};
    };

    explicit Supervisor(Options options);
    ~Supervisor();  // stops every component
    Supervisor(const Supervisor&) = delete;
    Supervisor& operator=(const Supervisor&) = delete;

    void start(const std::string& component);    // spawns and waits until ready
    void restart(const std::string& component);  // SIGTERM, wait for exit, start again (not counted)
    void crash(const std::string& component);    // SIGTERM without stopping: the supervisor restarts it (counted)
    void stop_all();
    std::vector<ComponentStatus> status() const;
    ComponentStatus status(const std::string& component) const;
    std::string log_tail(const std::string& component, std::size_t lines = 40) const;

private:
    struct Child;
    void spawn_locked(Child& child);
    void watch(const std::string& name, pid_t pid);
    void terminate_and_wait(std::unique_lock<std::mutex>& lock, Child& child);

    Options options_;
    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::map<std::string, Child*> children_;
    std::vector<std::unique_ptr<Child>> storage_;
    std::vector<std::thread> watchers_;
    bool stopping_ = false;
};

}  // namespace refstack
