// boto3 (Debian's python3-boto3, what ESB's Python functions use) against the refstack S3
// service: runs tests/refstack/boto3_s3_interop.py with /usr/bin/python3.
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <fmt/format.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <string>

#include "s3_test_stack.hpp"

using Catch::Matchers::ContainsSubstring;

namespace {

// Debian's interpreter: a pyenv/venv python3 earlier on PATH lacks python3-boto3.
constexpr const char* kPython = "/usr/bin/python3";

struct ProcessResult {
    int exit_code = -1;
    std::string output;  // stdout and stderr, interleaved
};

std::string shell_quote(const std::string& text) {
    std::string out = "'";
    for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

ProcessResult run(const std::string& command) {
    ProcessResult result;
    FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
    if (pipe == nullptr) return result;
    std::array<char, 4096> buffer{};
    while (const std::size_t n = std::fread(buffer.data(), 1, buffer.size(), pipe)) result.output.append(buffer.data(), n);
    const int status = ::pclose(pipe);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return result;
}

}  // namespace

TEST_CASE("boto3 talks to the refstack S3 service path style with SigV4", "[s3][boto3]") {
    const auto probe = run(fmt::format("{} -c 'import boto3, botocore'", kPython));
    if (probe.exit_code != 0)
        FAIL(fmt::format("{} cannot import boto3 (exit {}): {}\nrun scripts/install-deps (it installs python3-boto3)", kPython,
                         probe.exit_code, probe.output));

    const std::filesystem::path script = std::filesystem::path(E2E_SOURCE_DIR) / "tests/refstack/boto3_s3_interop.py";
    REQUIRE(std::filesystem::exists(script));
    refstack::test::TempDir dir("boto3");
    refstack::test::S3TestStack stack(dir.path());

    const auto result = run(fmt::format("{} {} --endpoint {} --access-key {} --secret-key {} --bucket {}", kPython,
                                        shell_quote(script.string()), shell_quote(stack.endpoint()),
                                        shell_quote(refstack::test::kS3AccessKey), shell_quote(refstack::test::kS3SecretKey),
                                        shell_quote(refstack::test::kS3Bucket)));
    INFO("boto3_s3_interop.py output:\n" << result.output);
    CHECK(result.exit_code == 0);
    CHECK_THAT(result.output, ContainsSubstring("boto3 checks passed"));
    CHECK_THAT(result.output, !ContainsSubstring("FAIL"));
}
