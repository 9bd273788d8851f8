// Stage 1 of the driver: the matrix file (environments/test_matrix.yaml) in ESB's shape, loaded
// and validated once. Every error names file:line and the culprit.
#pragma once

#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace e2e::driver {

// A configuration problem: exit code 2. The message already carries "file:line: ".
class ConfigError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct Suite {
    std::string name;
    std::string description;
    // binary name -> Catch2 tag expression; the key "*" applies to every binary.
    std::map<std::string, std::string> targets;
    std::vector<std::string> exclude;  // Catch2 test-spec terms removed from every target
};

enum class StackKind { reference, external, compose };
std::string to_string(StackKind kind);

struct Lifecycle {  // compose stacks only: shell commands run in order, output in the job log
    std::vector<std::string> reset, compose, deploy, cleanup;
};

struct Environment {
    std::string name;
    std::vector<std::string> suites;
    std::string mode = "docker";  // docker | containerd
    StackKind stack = StackKind::reference;
    std::filesystem::path env_file;   // absolute (resolved against the matrix file's folder)
    std::vector<std::string> binaries;  // empty: the matrix's binaries
    Lifecycle lifecycle;
    int line = 0;
};

struct Matrix {
    std::filesystem::path file;
    std::vector<std::string> binaries{"e2e-python", "e2e-java", "e2e-platform"};
    std::map<std::string, Suite> suites;
    std::vector<Environment> environments;

    const Environment* find(const std::string& env) const;
    std::vector<std::string> environment_names() const;
};

// Parses matrix text; `file` names the source in errors and anchors relative env files.
Matrix parse_matrix(const std::string& text, const std::filesystem::path& file);
// Reads and parses a matrix file; a missing file is a ConfigError "Matrix file not found: <path>".
Matrix load_matrix(const std::filesystem::path& file);

// The Catch2 test spec of one suite for one binary ("" when the suite has no target for it).
std::string suite_filter(const Suite& suite, const std::string& binary);
// Joins suite filters of one environment with ',' (Catch2's OR).
std::string combine_filters(const std::vector<std::string>& filters);

}  // namespace e2e::driver
