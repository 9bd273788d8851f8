// `esb-e2e self-check`: the suite proves it can fail. A clean baseline — every scenario of one
// reference environment against an esb-refstack with no fault — must be green; then, for each
// fault switch (`esb-refstack --list-faults`), the same scenarios run against a fresh refstack with
// only that switch set, and the test IDs that fail are the ones that catch it.
//   catalogue + options -> baseline run -> one run per fault (bounded pool) -> table + score + JSON
// The table logic works on plain data (CheckRun in, SelfCheckResult out) and is tested alone.
#pragma once

#include <chrono>
#include <filesystem>
#include <iosfwd>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "e2e/driver/catch_results.hpp"
#include "e2e/driver/runner.hpp"

namespace e2e::driver {

// Exit codes. 2 and 3 are the driver's own (usage/configuration, infrastructure).
inline constexpr int kSelfCheckPassed = 0;
inline constexpr int kSelfCheckUncaught = 1;     // a fault turned no test red
inline constexpr int kSelfCheckUsage = 2;        // bad option, bad matrix, unknown fault id
inline constexpr int kSelfCheckInfrastructure = 3;  // a refstack did not start (baseline or a fault's)
inline constexpr int kSelfCheckBaselineRed = 4;  // the run without faults is not green: nothing is proven

struct FaultSwitch {
    std::string id;           // "echo.wrong_message"
    std::string area;         // "functions"
    std::string description;  // one line
};

// `esb-refstack --list-faults`: one `id<TAB>area<TAB>description` a line. ConfigError on a line
// that does not have that shape, or on an empty list.
std::vector<FaultSwitch> parse_fault_catalogue(std::string_view text);

// `--faults all` or `--faults a,b`: the switches in catalogue order. ConfigError naming the first
// unknown id (and how to list the known ones), or an empty selection.
std::vector<FaultSwitch> select_faults(const std::vector<FaultSwitch>& catalogue, const std::string& spec);

// The test-ID tags of a Catch2 tag string: "[standard][STD-007][slow]" -> {"STD-007"}
// (capital letters, '-', digits).
std::vector<std::string> id_tags(std::string_view tags);

// One run of the environment's binaries against one refstack.
struct CheckRun {
    std::string fault;              // "" for the baseline
    std::optional<std::string> stack_error;  // the refstack did not start: no test ran
    int tests = 0, failed = 0, skipped = 0;
    std::set<std::string> failed_ids;        // ID tags of failed/errored cases; the case name when it has none
    std::vector<std::string> failures;       // "name [IDs]: first problem" per failed case, for the console
    double seconds = 0;
    bool green() const { return !stack_error && tests > 0 && failed == 0; }
};

// Folds the reports of one run (one per binary, exits already attributed) into a CheckRun.
CheckRun summarise_run(std::string fault, const std::vector<RunReport>& reports, double seconds);

enum class FaultVerdict { caught, uncaught, error };
std::string to_string(FaultVerdict verdict);  // "caught", "UNCAUGHT", "ERROR"

struct FaultRow {
    FaultSwitch fault;
    FaultVerdict verdict = FaultVerdict::uncaught;
    std::vector<std::string> caught_by;  // sorted, no duplicates
    std::string error;                   // verdict error: why the run could not happen
    double seconds = 0;
};

struct SelfCheckResult {
    CheckRun baseline;
    std::vector<FaultRow> rows;  // empty when the baseline is not green
    double seconds = 0;          // wall time of the whole check (0: not measured)
    int caught() const;
    int total() const { return static_cast<int>(rows.size()); }
    std::string score() const;  // "36/36 (100%)"; the percentage is rounded down
};

// `runs` holds one CheckRun per fault (matched by CheckRun::fault); a fault with no run is an error.
SelfCheckResult build_self_check(CheckRun baseline, const std::vector<FaultSwitch>& faults, const std::vector<CheckRun>& runs);
std::string render_self_check_table(const SelfCheckResult& result);
std::string render_self_check_json(const SelfCheckResult& result, const std::string& environment, const std::string& seed);
// 4 baseline red (or not run), 3 a refstack failed, 1 a fault uncaught, 0 every fault caught.
int self_check_exit_code(const SelfCheckResult& result);

struct SelfCheckOptions {
    std::filesystem::path matrix = "environments/test_matrix.yaml";
    std::string environment;      // "": the matrix's first reference environment
    std::string faults = "all";   // "all" or "a,b"
    int jobs = 2;                 // fault runs at once, each with its own refstack
    std::chrono::seconds timeout{600};  // per binary run
    std::filesystem::path report = "reports/self-check.json";
    std::filesystem::path bin_dir;   // test binaries
    std::filesystem::path refstack;  // esb-refstack
    std::filesystem::path work_dir = ".esb-e2e";
    std::optional<unsigned long> seed;
};

// The whole command. Throws ConfigError (exit 2) for bad input before anything runs.
int run_self_check(const SelfCheckOptions& options, ProcessLauncher& launcher, Clock& clock, std::ostream& out, std::ostream& err);

}  // namespace e2e::driver
