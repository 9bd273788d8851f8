// esb-e2e: the matrix driver. See docs/driver.md.
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "e2e/driver/cli.hpp"
#include "e2e/driver/runner.hpp"

int main(int argc, char** argv) {
    std::vector<std::string> args(argv, argv + argc);
    std::error_code ec;
    auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (ec) self = std::filesystem::absolute(argv[0]);
    e2e::driver::install_interrupt_handler();
    e2e::driver::CliEnvironment environment;
    environment.self_dir = self.parent_path();
    environment.stdout_is_tty = ::isatty(STDOUT_FILENO) == 1;
    return e2e::driver::run_cli(args, std::cout, std::cerr, environment);
}
