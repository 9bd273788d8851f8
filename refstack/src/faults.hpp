// Fault switches: realistic regressions the suite must catch (issue: the suite proves it can fail).
// They are shared by every refstack process through one file, `<data_dir>/faults`, one switch id
// per line; the control API and `REFSTACK_FAULTS` (comma-separated, at start) write it, and
// components read it on every check, so a switch takes effect at once.
#pragma once

#include <filesystem>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace refstack {

struct FaultInfo {
    std::string id;           // "echo.wrong_message"
    std::string area;         // "functions", "auth", "routing", "s3", "dynamodb", "logs", "metrics", ...
    std::string description;  // what regresses, in one line
};

// Every switch the refstack knows; ids not listed here are rejected when set.
const std::vector<FaultInfo>& fault_catalogue();
bool is_known_fault(std::string_view id);

class FaultSwitches {
public:
    FaultSwitches() = default;  // no file: everything off (unit tests)
    explicit FaultSwitches(std::filesystem::path file);

    bool on(std::string_view id) const;   // reads the (tiny) file
    std::set<std::string> active() const;
    // Replaces the active set (writes the file durably). Throws std::invalid_argument naming an unknown id.
    void set_active(const std::set<std::string>& ids);
    // In-memory only (unit tests of components).
    void force(std::string_view id, bool enabled);

private:
    void refresh() const;

    std::filesystem::path file_;
    mutable std::mutex mutex_;
    mutable std::set<std::string, std::less<>> active_;
    mutable std::set<std::string, std::less<>> forced_;
};

}  // namespace refstack
