// The .env parser (e2e::parse_dotenv): ESB env files next to each environment of the matrix.
// Properties: only DotenvError escapes, naming the source and a line that exists; keys are
// identifiers on increasing lines; format_dotenv renders entries that parse back to the same keys
// and values, one per line, and formatting that again is stable.
#include <fmt/format.h>

#include "e2e/dotenv.hpp"
#include "fuzz_check.hpp"

namespace {

bool is_identifier(std::string_view key) {
    if (key.empty()) return false;
    const auto start = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; };
    if (!start(key.front())) return false;
    for (const char c : key) {
        if (!start(c) && !(c >= '0' && c <= '9')) return false;
    }
    return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto text = e2e::fuzz::text_of(data, size);
    const auto lines = e2e::fuzz::line_count(text);
    std::vector<e2e::DotenvEntry> entries;
    try {
        entries = e2e::parse_dotenv(text, "fuzz.env");
    } catch (const e2e::DotenvError& error) {
        E2E_FUZZ_CHECK(error.source() == "fuzz.env", error.what());
        E2E_FUZZ_CHECK(error.line() >= 1 && error.line() <= lines, fmt::format("line {} of {}: {}", error.line(), lines, error.what()));
        E2E_FUZZ_CHECK(std::string_view(error.what()).starts_with(fmt::format("fuzz.env:{}: ", error.line())), error.what());
        return 0;
    }

    std::size_t previous_line = 0;
    for (const auto& entry : entries) {
        E2E_FUZZ_CHECK(is_identifier(entry.key), fmt::format("key \"{}\"", entry.key));
        E2E_FUZZ_CHECK(entry.line > previous_line && entry.line <= lines, fmt::format("{} on line {} after {}", entry.key, entry.line, previous_line));
        previous_line = entry.line;
    }

    // The renderer's promise: what it writes reads back to the same values (a DotenvError here
    // escapes and is a finding too).
    const std::string formatted = e2e::format_dotenv(entries);
    const auto again = e2e::parse_dotenv(formatted, "formatted.env");
    E2E_FUZZ_CHECK(again.size() == entries.size(), fmt::format("{} entries, {} after formatting:\n{}", entries.size(), again.size(), formatted));
    for (std::size_t i = 0; i < entries.size(); ++i) {
        E2E_FUZZ_CHECK(again[i].key == entries[i].key && again[i].value == entries[i].value,
                       fmt::format("entry {}: {}={:?} became {}={:?}", i, entries[i].key, entries[i].value, again[i].key, again[i].value));
        E2E_FUZZ_CHECK(again[i].line == i + 1, fmt::format("entry {} formatted onto line {}", i, again[i].line));
    }
    E2E_FUZZ_CHECK(e2e::format_dotenv(again) == formatted, formatted);
    return 0;
}
