// Stage 2: the matrix becomes jobs, one per (environment, binary, tag filter), optionally split
// with Catch2's --shard-count/--shard-index and sharded across machines with --shard K/N.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "e2e/driver/matrix.hpp"

namespace e2e::driver {

struct Shard {
    int index = 1;  // K, 1-based
    int count = 1;  // N
    std::string label() const;
};
// "K/N" with 1 <= K <= N; ConfigError otherwise.
Shard parse_shard(const std::string& text);

struct Job {
    std::string id;  // "<env>.<binary>" plus ".s<i>" for Catch2 shards and ".r<n>" for retries
    std::string environment;
    std::string binary;
    std::string filter;  // Catch2 test spec
    std::string mode;
    std::filesystem::path binary_path;
    std::vector<std::string> names;  // non-empty: run exactly these cases (Catch2 --input-file)
    int catch_shard_count = 1;
    int catch_shard_index = 0;
    std::string shard;  // the --shard K/N label, "" when not sharded across machines
    std::string lane;   // jobs of one lane never run at the same time (one stack per environment)
    int attempt = 0;    // 0 = first run, n = n-th retry
};

struct PlanOptions {
    std::vector<std::string> profiles;  // empty: every environment
    std::string suite;                  // restrict to this suite
    std::string test_target;            // replaces every suite filter
    std::filesystem::path bin_dir;      // where the test binaries are
    int split = 1;                      // Catch2 shards per (environment, binary)
    bool serial_per_environment = true; // jobs of one environment share a lane
};

// Jobs in matrix order, then binary order. ConfigError for an unknown profile or suite.
std::vector<Job> plan_jobs(const Matrix& matrix, const PlanOptions& options);

// Lists the cases a job would run (the real one runs `<binary> --list-tests --reporter xml`).
using CaseLister = std::function<std::vector<std::string>(const Job&)>;

// --shard K/N across machines: every case of every job is numbered in (environment, binary,
// name) order and shard K keeps those with number % N == K-1; jobs left empty are dropped.
// The union over K = 1..N is the full case list and the shards are pairwise disjoint.
std::vector<Job> apply_shard(const std::vector<Job>& jobs, const Shard& shard, const CaseLister& lister);

}  // namespace e2e::driver
