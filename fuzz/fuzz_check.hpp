// What every harness shares: the input as text, and property checks whose failure is a finding.
// A broken property aborts, so libFuzzer saves the input as a crash file like any sanitizer report.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace e2e::fuzz {

inline std::string_view text_of(const std::uint8_t* data, std::size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

[[noreturn]] inline void property_failed(const char* expression, const char* file, int line, const std::string& detail) {
    std::fprintf(stderr, "\n%s:%d: fuzz property failed: %s\n%s\n", file, line, expression, detail.c_str());
    std::abort();
}

// 1 + the number of '\n': the last line number a parser can name.
inline std::size_t line_count(std::string_view text) {
    std::size_t lines = 1;
    for (const char c : text) lines += c == '\n' ? 1 : 0;
    return lines;
}

}  // namespace e2e::fuzz

// E2E_FUZZ_CHECK(condition, detail): `detail` (a std::string) is only built when the check fails.
#define E2E_FUZZ_CHECK(condition, detail)                                                   \
    do {                                                                                    \
        if (!(condition)) ::e2e::fuzz::property_failed(#condition, __FILE__, __LINE__, (detail)); \
    } while (false)
