// Stage 5a: one JUnit document (junit-10.xsd) for the whole run: <testsuites>, one <testsuite> per
// (environment, binary) with its properties. Text is cleaned (ANSI escapes, C0 controls, invalid
// UTF-8) and secrets are replaced by *** before anything is written; the file is replaced atomically.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "e2e/driver/catch_results.hpp"

namespace e2e::driver {

struct SuiteResult {
    std::string environment;
    std::string binary;
    std::string filter;
    std::string mode;
    std::string seed;
    std::string shard;
    std::vector<CaseResult> cases;
    std::string name() const { return environment + "." + binary; }
    double seconds() const;
};

// Removes ANSI escape sequences and C0 controls except tab/LF/CR; invalid UTF-8 becomes U+FFFD.
std::string clean_text(std::string_view text);
// Every occurrence of a (non-empty) secret becomes "***".
std::string redact(std::string text, const std::vector<std::string>& secrets);

std::string render_junit(const std::vector<SuiteResult>& suites, const std::vector<std::string>& secrets = {});

// Writes <path>.tmp.<pid>, fsyncs it and renames it over <path>; the folder is created.
void write_file_atomically(const std::filesystem::path& path, const std::string& content);

// `esb-e2e merge`: the testsuites of several reports in one document; suites with the same name
// (one environment and binary split over shards) become one, counts recomputed from the testcases.
std::string merge_junit(const std::vector<std::string>& documents);

struct JunitCounts {
    int tests = 0, failures = 0, errors = 0, skipped = 0;
};
JunitCounts count_junit(const std::string& document);

}  // namespace e2e::driver
