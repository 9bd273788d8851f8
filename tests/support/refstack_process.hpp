// Starts the real `esb-refstack` binary for a test and stops it (SIGTERM) at the end: the stack as
// a user runs it, ports picked free, data in a fresh folder unless one is given.
#pragma once

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "e2e/dotenv.hpp"

namespace e2e::test {

class RefstackProcess {
public:
    struct Options {
        std::filesystem::path binary;
        std::filesystem::path env_file;
        std::filesystem::path data_dir;  // empty: a fresh temporary folder, removed at the end
        std::chrono::milliseconds ready_timeout{15'000};
        std::vector<std::string> extra_args;  // after --env-file and --data-dir ("--faults", "...")
    };

    explicit RefstackProcess(Options options) : options_(std::move(options)) {
        if (options_.data_dir.empty()) {
            std::string pattern = (std::filesystem::temp_directory_path() / "e2e-refstack-test-XXXXXX").string();
            if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
            options_.data_dir = pattern;
            owns_data_ = true;
        }
        start();
    }
    ~RefstackProcess() {
        stop();
        if (owns_data_) std::filesystem::remove_all(options_.data_dir);
    }
    RefstackProcess(const RefstackProcess&) = delete;
    RefstackProcess& operator=(const RefstackProcess&) = delete;

    void start() {
        const auto ready = options_.data_dir / "ready.env";
        std::filesystem::remove(ready);
        output_ = options_.data_dir.parent_path() / (options_.data_dir.filename().string() + ".out");
        std::vector<std::string> args{options_.binary.string(), "--env-file", options_.env_file.string(), "--data-dir",
                                      options_.data_dir.string()};
        args.insert(args.end(), options_.extra_args.begin(), options_.extra_args.end());
        pid_ = spawn(args, output_);
        const auto deadline = std::chrono::steady_clock::now() + options_.ready_timeout;
        while (!std::filesystem::exists(ready)) {
            int status = 0;
            if (::waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = 0;
                throw std::runtime_error("esb-refstack exited before it was ready: " + output());
            }
            if (std::chrono::steady_clock::now() > deadline) throw std::runtime_error("esb-refstack not ready in time: " + output());
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        env_.clear();
        for (auto& entry : e2e::read_dotenv_file(ready)) env_[entry.key] = entry.value;
    }

    // SIGTERM and wait; returns the exit code (or -1 when it had to be killed).
    int stop() {
        if (pid_ == 0) return exit_code_;
        ::kill(pid_, SIGTERM);
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
        int status = 0;
        while (::waitpid(pid_, &status, WNOHANG) == 0) {
            if (std::chrono::steady_clock::now() > deadline) {
                ::kill(pid_, SIGKILL);
                ::waitpid(pid_, &status, 0);
                pid_ = 0;
                return exit_code_ = -1;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        pid_ = 0;
        return exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }

    const std::string& env(const std::string& name) const { return env_.at(name); }
    const std::map<std::string, std::string>& env() const { return env_; }
    const std::filesystem::path& data_dir() const { return options_.data_dir; }
    std::string output() const {
        std::ifstream in(output_);
        return std::string(std::istreambuf_iterator<char>(in), {});
    }

    // Runs the binary with `args` to completion; returns {exit code, combined output}.
    static std::pair<int, std::string> run(const std::vector<std::string>& args) {
        const auto out = std::filesystem::temp_directory_path() / ("e2e-refstack-run-" + std::to_string(::getpid()) + ".out");
        const pid_t pid = spawn(args, out);
        int status = 0;
        ::waitpid(pid, &status, 0);
        std::ifstream in(out);
        std::string text(std::istreambuf_iterator<char>(in), {});
        std::filesystem::remove(out);
        return {WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), text};
    }

private:
    static pid_t spawn(std::vector<std::string> args, const std::filesystem::path& output) {
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, output.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
        std::vector<char*> argv;
        for (auto& arg : args) argv.push_back(arg.data());
        argv.push_back(nullptr);
        pid_t pid = 0;
        const int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&actions);
        if (rc != 0) throw std::runtime_error("cannot start " + args[0]);
        return pid;
    }

    Options options_;
    bool owns_data_ = false;
    pid_t pid_ = 0;
    int exit_code_ = 0;
    std::filesystem::path output_;
    std::map<std::string, std::string> env_;
};

}  // namespace e2e::test
