// Stage 5b: the console summary: passed/failed/skipped/flaky/time per environment, then the five
// slowest tests.
#pragma once

#include <string>
#include <vector>

#include "e2e/driver/junit_writer.hpp"

namespace e2e::driver {

struct EnvironmentTotals {
    std::string environment;
    int passed = 0, failed = 0, skipped = 0, flaky = 0;
    double seconds = 0;
};

std::vector<EnvironmentTotals> totals_by_environment(const std::vector<SuiteResult>& suites);
std::string render_summary(const std::vector<SuiteResult>& suites, std::size_t slowest = 5);
bool all_passed(const std::vector<SuiteResult>& suites);

}  // namespace e2e::driver
