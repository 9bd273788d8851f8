// The driver's matrix loader (e2e::driver::parse_matrix): environments/test_matrix.yaml, the
// driver's main input. The matrix file sits in a scratch folder holding the env files the default
// names resolve to, so the fuzzer gets past the env-file check. Properties: only ConfigError
// escapes, its message naming the file; a loaded matrix holds what its validation promises (named,
// unique environments whose suites exist, absolute env files that exist, lifecycle only for compose
// stacks, single-term exclusions), and the suite filters build for every binary.
#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>

#include "e2e/driver/matrix.hpp"
#include "fuzz_check.hpp"

namespace fs = std::filesystem;
using namespace e2e::driver;

namespace {

fs::path scratch;  // removed at exit

void remove_scratch() {
    std::error_code ignored;
    fs::remove_all(scratch, ignored);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    std::string pattern = (fs::temp_directory_path() / "e2e-matrix-fuzz-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
        std::perror("mkdtemp");
        std::abort();
    }
    scratch = pattern;
    std::atexit(remove_scratch);
    for (const char* relative : {".env", "refstack.env", "e2e-docker/.env", "e2e-docker/refstack.env", "e2e-containerd/.env",
                                 "e2e-containerd/refstack.env", "a/.env", "a/refstack.env"}) {
        const auto file = scratch / relative;
        fs::create_directories(file.parent_path());
        std::ofstream(file) << "X=1\n";
    }
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(e2e::fuzz::text_of(data, size));
    const auto file = scratch / "test_matrix.yaml";
    Matrix matrix;
    try {
        matrix = parse_matrix(text, file);
    } catch (const ConfigError& error) {
        E2E_FUZZ_CHECK(std::string_view(error.what()).starts_with(file.string()), error.what());
        return 0;
    }

    E2E_FUZZ_CHECK(matrix.file == file, matrix.file.string());
    std::set<std::string> names;
    for (const auto& env : matrix.environments) {
        E2E_FUZZ_CHECK(!env.name.empty() && names.insert(env.name).second, env.name);
        E2E_FUZZ_CHECK(matrix.find(env.name) == &env, env.name);
        E2E_FUZZ_CHECK(env.line >= 1, env.name);
        E2E_FUZZ_CHECK(env.mode == "docker" || env.mode == "containerd", env.mode);
        E2E_FUZZ_CHECK(env.env_file.is_absolute() && fs::is_regular_file(env.env_file), env.env_file.string());
        for (const auto& suite : env.suites) E2E_FUZZ_CHECK(matrix.suites.contains(suite), suite);
        const bool has_lifecycle = !env.lifecycle.reset.empty() || !env.lifecycle.compose.empty() || !env.lifecycle.deploy.empty() ||
                                   !env.lifecycle.cleanup.empty();
        E2E_FUZZ_CHECK(!has_lifecycle || env.stack == StackKind::compose, env.name);
        E2E_FUZZ_CHECK(to_string(env.stack) != "?", env.name);
    }
    E2E_FUZZ_CHECK(matrix.environment_names().size() == matrix.environments.size(), "environment_names");

    std::vector<std::string> binaries = matrix.binaries;
    binaries.emplace_back("e2e-unlisted");
    for (const auto& [name, suite] : matrix.suites) {
        E2E_FUZZ_CHECK(suite.name == name, name);
        for (const auto& term : suite.exclude) E2E_FUZZ_CHECK(term.find(',') == std::string::npos, term);
        std::vector<std::string> filters;
        for (const auto& binary : binaries) filters.push_back(suite_filter(suite, binary));
        const auto combined = combine_filters(filters);
        E2E_FUZZ_CHECK(combined.empty() || (combined.front() != ',' && combined.back() != ','), combined);
    }
    return 0;
}
