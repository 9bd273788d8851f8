#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>
#include <catch2/matchers/catch_matchers_predicate.hpp>

#include "e2e/driver/matrix.hpp"
#include "fake_binary.hpp"

using namespace e2e::driver;
using Catch::Matchers::ContainsSubstring;

namespace {

constexpr const char* kSuites = R"(suites:
  smoke:
    description: fast
    targets: "[smoke]"
  runtime:
    targets:
      e2e-python: "[runtime],[python]"
    exclude: ["[slow]"]
)";

std::string error_of(const std::string& text, const std::filesystem::path& file) {
    try {
        parse_matrix(text, file);
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "no error";
}

}  // namespace

TEST_CASE("a matrix in ESB shape loads suites environments and env files", "[driver][matrix]") {
    e2e::test::TempDir dir;
    e2e::test::write_text(dir.path() / "a" / "refstack.env", "MODE=docker\n");
    const auto m = parse_matrix(std::string(kSuites) + R"(matrix:
  - env: a
    suites: [smoke, runtime]
  - env: b
    mode: containerd
    stack: external
    env_file: a/refstack.env
    suites: [smoke]
)", dir.path() / "m.yaml");
    REQUIRE(m.environments.size() == 2);
    CHECK(m.environments[0].env_file == dir.path() / "a" / "refstack.env");
    CHECK(m.environments[0].stack == StackKind::reference);
    CHECK(m.environments[1].mode == "containerd");
    CHECK(m.environments[1].stack == StackKind::external);
    CHECK(suite_filter(m.suites.at("smoke"), "e2e-java") == "[smoke]");
    CHECK(suite_filter(m.suites.at("runtime"), "e2e-python") == "[runtime]~[slow],[python]~[slow]");
    CHECK(suite_filter(m.suites.at("runtime"), "e2e-java").empty());
}

TEST_CASE("bad YAML names the file and the line", "[driver][matrix]") {
    const auto e = error_of("suites:\n  smoke:\n    targets: \"[smoke]\"\n    exclude: [a, b\nmatrix: []\n", "/m/bad.yaml");
    CHECK_THAT(e, Catch::Matchers::Matches("/m/bad\\.yaml:[0-9]+: bad YAML: .*"));
}

TEST_CASE("an unknown suite names the suite the environment and the line", "[driver][matrix]") {
    e2e::test::TempDir dir;
    e2e::test::write_text(dir.path() / "a" / "refstack.env", "");
    const auto e = error_of(std::string(kSuites) + "matrix:\n  - env: a\n    suites:\n      - smoke\n      - nightly\n", dir.path() / "m.yaml");
    CHECK_THAT(e, ContainsSubstring("m.yaml:13:") && ContainsSubstring("Suite 'nightly' not defined") && ContainsSubstring("'a'"));
}

TEST_CASE("an unknown key is rejected with the allowed keys", "[driver][matrix]") {
    e2e::test::TempDir dir;
    e2e::test::write_text(dir.path() / "a" / "refstack.env", "");
    const auto e = error_of(std::string(kSuites) + "matrix:\n  - env: a\n    suites: [smoke]\n    artifact_manifest: x.yml\n", dir.path() / "m.yaml");
    CHECK_THAT(e, ContainsSubstring("m.yaml:12:") && ContainsSubstring("unknown key 'artifact_manifest'") &&
                      ContainsSubstring("allowed:"));
    const auto top = error_of(std::string(kSuites) + "matrix: []\nenvironments: []\n", dir.path() / "m.yaml");
    CHECK_THAT(top, ContainsSubstring("unknown key 'environments'"));
}

TEST_CASE("a duplicate environment points at both definitions", "[driver][matrix]") {
    e2e::test::TempDir dir;
    e2e::test::write_text(dir.path() / "a" / "refstack.env", "");
    const auto e = error_of(std::string(kSuites) + "matrix:\n  - env: a\n    suites: [smoke]\n  - env: a\n    suites: [runtime]\n",
                            dir.path() / "m.yaml");
    CHECK_THAT(e, ContainsSubstring("m.yaml:12:") && ContainsSubstring("duplicate environment 'a'") && ContainsSubstring("line 10"));
}

TEST_CASE("a missing env file names the resolved path", "[driver][matrix]") {
    e2e::test::TempDir dir;
    const auto e = error_of(std::string(kSuites) + "matrix:\n  - env: a\n    env_file: nowhere/x.env\n    suites: [smoke]\n",
                            dir.path() / "m.yaml");
    CHECK_THAT(e, ContainsSubstring("m.yaml:11:") && ContainsSubstring("env file of environment 'a' not found") &&
                      ContainsSubstring((dir.path() / "nowhere" / "x.env").string()));
}

TEST_CASE("a missing matrix file says so", "[driver][matrix]") {
    try {
        load_matrix("/nonexistent/test_matrix.yaml");
        FAIL("no error");
    } catch (const ConfigError& e) {
        CHECK_THAT(e.what(), ContainsSubstring("Matrix file not found: /nonexistent/test_matrix.yaml"));
    }
}

TEST_CASE("the default matrix mirrors ESB with two reference environments", "[driver][matrix]") {
    const auto m = load_matrix(std::filesystem::path(E2E_SOURCE_DIR) / "environments" / "test_matrix.yaml");
    REQUIRE(m.environment_names() == std::vector<std::string>{"e2e-docker", "e2e-containerd"});
    CHECK(m.environments[0].suites == std::vector<std::string>{"smoke", "standard", "runtime", "restart"});
    CHECK(m.environments[1].suites == std::vector<std::string>{"smoke", "standard"});
    CHECK(m.environments[0].mode == "docker");
    CHECK(m.environments[1].mode == "containerd");
    for (const auto& env : m.environments) {
        CHECK(env.stack == StackKind::reference);
        CHECK(std::filesystem::is_regular_file(env.env_file));
    }
}

TEST_CASE("the compose example matrix is valid apart from the ESB checkout it points at", "[driver][matrix]") {
    const auto file = std::filesystem::path(E2E_SOURCE_DIR) / "environments" / "compose.example.yaml";
    try {
        const auto m = load_matrix(file);
        CHECK(m.environments.size() == 2);  // an ESB checkout beside the project
    } catch (const ConfigError& e) {
        CHECK_THAT(e.what(), ContainsSubstring("env file of environment 'esb-docker' not found"));
    }
}

// Fuzzing (fuzz/matrix_fuzz.cpp) found `? - env: a` (a list as a mapping key) escaping as
// YAML::TypedBadConversion instead of a ConfigError.
TEST_CASE("a list or a mapping as a key is a ConfigError naming the line", "[driver][matrix][fuzz]") {
    CHECK_THAT(error_of("suites: {}\nmatrix: []\n? - env: a\n: x\n", "/m/m.yaml"),
               ContainsSubstring("/m/m.yaml:3: keys of the matrix file must be plain strings"));
    CHECK_THAT(error_of("suites:\n  ? {s: 1}\n  : {targets: \"[x]\"}\nmatrix: []\n", "/m/m.yaml"),
               ContainsSubstring("/m/m.yaml:2: keys of 'suites' must be plain strings"));
    CHECK_THAT(error_of("suites:\n  s:\n    targets:\n      ? [e2e-python]\n      : \"[x]\"\nmatrix: []\n", "/m/m.yaml"),
               ContainsSubstring("/m/m.yaml:4: keys of the targets of suite 's' must be plain strings"));
    CHECK_THAT(error_of("suites: {}\nmatrix:\n  - env: a\n    ? [suites]\n    : []\n", "/m/m.yaml"),
               ContainsSubstring("/m/m.yaml:4: keys of environment 'a' must be plain strings"));
}

// Seen while writing fuzz/matrix_fuzz.cpp and confirmed by it: an environment name of 300 letters
// ended the driver with "filesystem error: status: File name too long" (std::filesystem_error), the
// default env file path having a component longer than the file system takes.
TEST_CASE("an env file path too long for the file system is a missing env file", "[driver][matrix][fuzz]") {
    e2e::test::TempDir dir;
    const std::string name(300, 'a');
    const auto e = error_of(std::string(kSuites) + "matrix:\n  - env: " + name + "\n    suites: [smoke]\n", dir.path() / "m.yaml");
    CHECK_THAT(e, ContainsSubstring("m.yaml:10: env file of environment '" + name + "' not found:") && ContainsSubstring("File name too long"));
}
