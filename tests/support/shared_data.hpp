// Locates data that lives in ../shared (never copied into the project). A missing path SKIPs the
// test with a message naming the CMake cache variable, except under CI=true, where it FAILs.
#pragma once

#include <catch2/catch_test_macros.hpp>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "e2e/settings.hpp"

namespace e2e::test {

inline bool running_in_ci() {
    const char* ci = std::getenv("CI");
    return ci != nullptr && e2e::esb_truthy(ci);
}

// `path` comes from a compile definition fed by the CMake cache variable `cache_variable`.
inline std::filesystem::path shared_path(const std::string& path, const std::string& cache_variable) {
    if (!path.empty() && std::filesystem::exists(path)) return path;
    const std::string message = "shared data not found at '" + path + "': set the CMake cache variable " +
                                cache_variable + " (cmake -D" + cache_variable + "=...) to its location";
    if (running_in_ci()) FAIL(message + " (CI=true: missing shared data is a failure)");
    SKIP(message);
    return {};
}

}  // namespace e2e::test
