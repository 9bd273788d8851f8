// `esb-e2e run|list|merge|self-check`: flags to the pipeline
//   load matrix -> plan jobs -> start stacks -> run jobs (bounded pool) -> collect results
//   -> retries -> write JUnit + summary.
// Exit codes: 0 all passed, 1 a test failed, 2 usage or configuration error, 3 infrastructure error.
#pragma once

#include <filesystem>
#include <iosfwd>
#include <string>
#include <vector>

#include "e2e/driver/plan.hpp"
#include "e2e/driver/runner.hpp"

namespace e2e::driver {

struct CliEnvironment {
    std::filesystem::path self_dir;  // folder of the esb-e2e executable (defaults for --bin-dir, --refstack)
    ProcessLauncher* launcher = nullptr;  // nullptr: the real one
    Clock* clock = nullptr;
    bool stdout_is_tty = false;  // live status line (main() sets it from isatty)
};

// The process of one test job (docs/driver.md, "Jobs and the pool"): the binary with its filter or
// names, the XML and console reporters, the seed; `report` gets the XML report's path.
ProcessSpec job_process(const Job& job, const std::filesystem::path& jobs_dir, const std::string& seed,
                        const std::filesystem::path& env_file, std::filesystem::path& report);

int run_cli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err, const CliEnvironment& environment);

}  // namespace e2e::driver
