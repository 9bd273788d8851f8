// The restartable components' process entry points (`esb-refstack component <name> --config F`).
#pragma once

#include <filesystem>
#include <string>

namespace refstack {

// Runs until SIGTERM/SIGINT; returns the process exit code. Throws nothing: errors are printed as
// one line naming the culprit and turned into exit codes.
int run_component(const std::string& name, const std::filesystem::path& config);

}  // namespace refstack
