#include "e2e/driver/stack.hpp"

#include <signal.h>
#include <sys/wait.h>

#include <fmt/format.h>

#include <cctype>
#include <fstream>
#include <optional>

namespace e2e::driver {
namespace {

void log_line(const std::filesystem::path& log, const std::string& line) { std::ofstream(log, std::ios::app) << line << '\n'; }

int wait_for(ProcessLauncher& launcher, Clock& clock, int handle) {
    while (true) {
        if (const auto status = launcher.poll(handle)) return *status;
        clock.sleep_for(std::chrono::milliseconds(20));
    }
}

void run_commands(const std::vector<std::string>& commands, const std::string& phase, const Environment& env,
                  const StackOptions& options, ProcessLauncher& launcher, Clock& clock, const std::filesystem::path& env_log) {
    for (const auto& command : commands) {
        log_line(env_log, fmt::format("[{}] {} ...", env.name, phase));
        ProcessSpec spec;
        spec.argv = {"/bin/sh", "-c", command};
        spec.env = {{"E2E_ENV_FILE", env.env_file.string()}, {"E2E_ENVIRONMENT", env.name}};
        spec.log_file = env_log;
        spec.append_log = true;
        spec.cwd = options.matrix_dir;
        const int status = wait_for(launcher, clock, launcher.start(spec));
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            const auto rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            throw StackError(fmt::format("{}: {} command failed with exit code {}: {}", env.name, phase, rc, command));
        }
    }
}

}  // namespace

std::vector<std::string> secrets_from_env_file(const std::filesystem::path& file) {
    std::vector<std::string> out;
    std::ifstream in(file);
    std::string line;
    while (std::getline(in, line)) {
        const auto eq = line.find('=');
        if (eq == std::string::npos || line.starts_with("#")) continue;
        auto key = line.substr(0, eq);
        auto value = line.substr(eq + 1);
        if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') && value.back() == value.front())
            value = value.substr(1, value.size() - 2);
        for (auto& c : key) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        const bool secret = key.find("PASS") != std::string::npos || key.find("SECRET") != std::string::npos ||
                            key.find("TOKEN") != std::string::npos || key.find("KEY") != std::string::npos;
        if (secret && value.size() >= 4) out.push_back(value);
    }
    return out;
}

StackHandle start_stack(const Environment& env, const StackOptions& options, ProcessLauncher& launcher, Clock& clock,
                        const std::filesystem::path& env_log) {
    StackHandle stack;
    stack.environment = env.name;
    stack.kind = env.stack;
    stack.env_file = env.env_file;
    if (env.stack == StackKind::compose && !options.skip_lifecycle) {
        run_commands(env.lifecycle.reset, "reset", env, options, launcher, clock, env_log);
        run_commands(env.lifecycle.compose, "compose", env, options, launcher, clock, env_log);
        run_commands(env.lifecycle.deploy, "deploy", env, options, launcher, clock, env_log);
    }
    if (env.stack != StackKind::reference) {
        stack.secrets = secrets_from_env_file(env.env_file);
        return stack;
    }
    if (!std::filesystem::is_regular_file(options.refstack_binary))
        throw StackError(fmt::format("{}: esb-refstack not found at {} (build it or pass --refstack PATH)", env.name,
                                     options.refstack_binary.string()));
    const auto dir = options.work_dir / "stacks" / env.name;
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir / "data");
    const auto ready = dir / "ready.env";
    stack.log_file = dir / "refstack.log";
    ProcessSpec spec{{options.refstack_binary.string(), "--env-file", env.env_file.string(), "--data-dir", (dir / "data").string(),
                      "--ready-file", ready.string()},
                     {},
                     stack.log_file};
    if (options.faults) {
        std::string list;
        for (const auto& id : *options.faults) list += (list.empty() ? "" : ",") + id;
        spec.argv.insert(spec.argv.end(), {"--faults", list});
    }
    log_line(env_log, fmt::format("[{}] starting esb-refstack (log {})", env.name, stack.log_file.string()));
    stack.handle = launcher.start(spec);
    const auto deadline = clock.now() + options.ready_timeout;
    while (!std::filesystem::exists(ready)) {
        if (const auto status = launcher.poll(stack.handle)) {
            stack.handle = 0;
            const auto rc = WIFEXITED(*status) ? WEXITSTATUS(*status) : 128 + WTERMSIG(*status);
            throw StackError(fmt::format("{}: esb-refstack exited with code {} before it was ready:\n{}", env.name, rc,
                                         tail_file(stack.log_file, 20)));
        }
        if (clock.now() >= deadline) {
            launcher.signal_group(stack.handle, SIGKILL);
            wait_for(launcher, clock, stack.handle);
            stack.handle = 0;
            throw StackError(fmt::format("{}: esb-refstack not ready after {}s:\n{}", env.name, options.ready_timeout.count() / 1000,
                                         tail_file(stack.log_file, 20)));
        }
        clock.sleep_for(std::chrono::milliseconds(50));
    }
    stack.env_file = ready;
    stack.secrets = secrets_from_env_file(ready);
    log_line(env_log, fmt::format("[{}] esb-refstack ready ({})", env.name, ready.string()));
    return stack;
}

void stop_stack(StackHandle& stack, const Environment& env, const StackOptions& options, ProcessLauncher& launcher, Clock& clock,
                const std::filesystem::path& env_log) {
    if (stack.handle != 0) {
        launcher.signal_group(stack.handle, SIGTERM);
        const auto deadline = clock.now() + std::chrono::seconds(15);
        std::optional<int> status;
        while (!(status = launcher.poll(stack.handle))) {
            if (clock.now() >= deadline) {
                launcher.signal_group(stack.handle, SIGKILL);
                status = wait_for(launcher, clock, stack.handle);
                break;
            }
            clock.sleep_for(std::chrono::milliseconds(20));
        }
        log_line(env_log, fmt::format("[{}] esb-refstack stopped", env.name));
        stack.handle = 0;
    }
    if (env.stack == StackKind::compose && !env.lifecycle.cleanup.empty())
        run_commands(env.lifecycle.cleanup, "cleanup", env, options, launcher, clock, env_log);
}

}  // namespace e2e::driver
