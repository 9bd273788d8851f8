// Parser for ESB's .env format: `KEY=VALUE` lines, `#` comments, blank lines, optional `export `,
// optional single or double quotes. A malformed line is an error naming file:line.
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace e2e {

struct DotenvEntry {
    std::string key;
    std::string value;
    std::size_t line = 0;
};

class DotenvError : public std::runtime_error {
public:
    DotenvError(std::string source, std::size_t line, const std::string& what);
    const std::string& source() const noexcept { return source_; }
    std::size_t line() const noexcept { return line_; }

private:
    std::string source_;
    std::size_t line_;
};

// `source` names the text in errors (usually the file path). Later duplicates win when the entries
// are applied in order; all entries are returned.
std::vector<DotenvEntry> parse_dotenv(std::string_view text, std::string_view source = "<string>");

// Reads and parses a file; an unreadable file is a DotenvError with line 0.
std::vector<DotenvEntry> read_dotenv_file(const std::filesystem::path& path);

// Renders entries as a .env text that parse_dotenv reads back to the same values.
std::string format_dotenv(const std::vector<DotenvEntry>& entries);

}  // namespace e2e
