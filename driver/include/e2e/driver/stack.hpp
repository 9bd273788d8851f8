// How an environment's system under test is reached, around the test jobs:
//   reference — one esb-refstack per environment (own data folder, ports 0 = free), ready file
//               passed to the binaries as E2E_ENV_FILE, SIGTERM at the end;
//   external  — the environment's env file is E2E_ENV_FILE as is;
//   compose   — the matrix's reset/compose/deploy commands in order (output in the env log),
//               cleanup after; then like external.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "e2e/driver/matrix.hpp"
#include "e2e/driver/runner.hpp"

namespace e2e::driver {

// Infrastructure failure (exit code 3).
class StackError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct StackOptions {
    std::filesystem::path refstack_binary;
    std::filesystem::path work_dir;  // <work_dir>/stacks/<env>/{data,ready.env,refstack.log}
    std::filesystem::path matrix_dir;  // cwd of lifecycle commands
    std::chrono::milliseconds ready_timeout{60'000};
    bool skip_lifecycle = false;  // --test-only
    // Reference stacks: the fault switches active from the start (`esb-refstack --faults`, which
    // replaces the env file's REFSTACK_FAULTS; empty = none). nullopt: the env file decides.
    std::optional<std::vector<std::string>> faults;
};

struct StackHandle {
    std::string environment;
    StackKind kind = StackKind::reference;
    std::filesystem::path env_file;  // what the binaries get as E2E_ENV_FILE
    std::filesystem::path log_file;
    int handle = 0;                  // refstack process (group) handle, 0 when none
    std::vector<std::string> secrets;
};

// Values of keys that look secret (PASS, SECRET, TOKEN, KEY in the name) in a .env file.
std::vector<std::string> secrets_from_env_file(const std::filesystem::path& file);

// Starts (or reaches) the stack; lines go to env_log. StackError when it cannot.
StackHandle start_stack(const Environment& env, const StackOptions& options, ProcessLauncher& launcher, Clock& clock,
                        const std::filesystem::path& env_log);
void stop_stack(StackHandle& stack, const Environment& env, const StackOptions& options, ProcessLauncher& launcher, Clock& clock,
                const std::filesystem::path& env_log);

}  // namespace e2e::driver
