// --retries N: failed tests are re-run by name; a pass after failures makes the case passed and
// flaky (its earlier failures become <flakyFailure>/<flakyError>), a failure again adds
// <rerunFailure>/<rerunError>.
#pragma once

#include <string>
#include <vector>

#include "e2e/driver/catch_results.hpp"

namespace e2e::driver {

// Names of failed or errored cases that can be re-run (synthetic "(process)" cases cannot).
std::vector<std::string> retry_names(const std::vector<CaseResult>& cases);

// Folds a retry's report into the cases of the first run.
void merge_retry(std::vector<CaseResult>& cases, const RunReport& retry);

}  // namespace e2e::driver
