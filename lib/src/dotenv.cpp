#include "e2e/dotenv.hpp"

#include <fmt/format.h>

#include <fstream>
#include <sstream>

namespace e2e {
namespace {

bool is_key_start(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }
bool is_key_char(char c) { return is_key_start(c) || (c >= '0' && c <= '9'); }
bool is_blank(char c) { return c == ' ' || c == '\t'; }

std::string printable(std::string_view text) {
    constexpr std::size_t kMax = 60;
    std::string out;
    for (char c : text.substr(0, kMax)) {
        if (static_cast<unsigned char>(c) < 0x20) {
            out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
        } else {
            out += c;
        }
    }
    if (text.size() > kMax) out += "...";
    return out;
}

// Walks the text line by line; quoted values may span lines, so the cursor is shared.
class DotenvParser {
public:
    DotenvParser(std::string_view text, std::string_view source) : text_(text), source_(source) {
        if (text_.starts_with("\xEF\xBB\xBF")) text_.remove_prefix(3);  // UTF-8 BOM
    }

    std::vector<DotenvEntry> parse() {
        std::vector<DotenvEntry> entries;
        while (pos_ < text_.size()) {
            const std::size_t start_line = line_;
            skip_blanks();
            if (at_line_end()) {
                next_line();
                continue;
            }
            if (peek() == '#') {
                skip_to_line_end();
                next_line();
                continue;
            }
            entries.push_back(parse_assignment(start_line));
            next_line();
        }
        return entries;
    }

private:
    char peek() const { return text_[pos_]; }
    bool at_end() const { return pos_ >= text_.size(); }
    bool at_line_end() const { return at_end() || peek() == '\n' || (peek() == '\r' && (pos_ + 1 >= text_.size() || text_[pos_ + 1] == '\n')); }
    void skip_blanks() { while (!at_end() && is_blank(peek())) ++pos_; }
    void skip_to_line_end() { while (!at_line_end()) ++pos_; }
    void next_line() {
        skip_to_line_end();
        if (!at_end() && peek() == '\r') ++pos_;
        if (!at_end() && peek() == '\n') ++pos_;
        ++line_;
        line_begin_ = pos_;
    }
    std::string_view current_line_text() const {
        std::string_view rest = text_.substr(line_begin_);
        rest = rest.substr(0, rest.find('\n'));
        if (rest.ends_with('\r')) rest.remove_suffix(1);
        return rest;
    }
    [[noreturn]] void fail(std::size_t line, const std::string& what) const {
        throw DotenvError(std::string(source_), line, what);
    }

    DotenvEntry parse_assignment(std::size_t line) {
        if (text_.substr(pos_).starts_with("export") && pos_ + 6 < text_.size() && is_blank(text_[pos_ + 6])) {
            pos_ += 6;
            skip_blanks();
        }
        const std::size_t key_begin = pos_;
        if (at_end() || !is_key_start(peek())) {
            fail(line, fmt::format("expected KEY=VALUE, got \"{}\"", printable(current_line_text())));
        }
        while (!at_end() && is_key_char(peek())) ++pos_;
        std::string key(text_.substr(key_begin, pos_ - key_begin));
        skip_blanks();
        if (at_end() || peek() != '=') {
            fail(line, fmt::format("expected '=' after key {} in \"{}\"", key, printable(current_line_text())));
        }
        ++pos_;
        skip_blanks();
        std::string value;
        if (!at_line_end() && (peek() == '"' || peek() == '\'')) {
            value = parse_quoted(line, key);
            skip_blanks();
            if (!at_line_end() && peek() != '#') {
                fail(line, fmt::format("unexpected text after the closing quote of {}: \"{}\"", key,
                                       printable(text_.substr(pos_, 40))));
            }
        } else {
            value = parse_unquoted();
        }
        return DotenvEntry{std::move(key), std::move(value), line};
    }

    std::string parse_quoted(std::size_t line, const std::string& key) {
        const char quote = peek();
        ++pos_;
        std::string value;
        while (true) {
            if (at_end()) fail(line, fmt::format("unterminated {} quote in the value of {}", quote == '"' ? "double" : "single", key));
            const char c = peek();
            if (c == quote) {
                ++pos_;
                return value;
            }
            if (c == '\n') ++line_;
            if (quote == '"' && c == '\\' && pos_ + 1 < text_.size()) {
                const char escaped = text_[pos_ + 1];
                switch (escaped) {
                    case 'n': value += '\n'; break;
                    case 't': value += '\t'; break;
                    case 'r': value += '\r'; break;
                    case '\\': value += '\\'; break;
                    case '"': value += '"'; break;
                    case '$': value += '$'; break;
                    default: value += '\\'; value += escaped; break;
                }
                pos_ += 2;
                continue;
            }
            value += c;
            ++pos_;
        }
    }

    // An unquoted value ends at the line end or at a ` #` comment; surrounding blanks are dropped.
    std::string parse_unquoted() {
        const std::size_t begin = pos_;
        std::size_t end = pos_;
        while (!at_line_end()) {
            if (peek() == '#' && pos_ > begin && is_blank(text_[pos_ - 1])) break;
            ++pos_;
            end = pos_;
        }
        std::string_view value = text_.substr(begin, end - begin);
        while (!value.empty() && is_blank(value.back())) value.remove_suffix(1);
        return std::string(value);
    }

    std::string_view text_;
    std::string_view source_;
    std::size_t pos_ = 0;
    std::size_t line_ = 1;
    std::size_t line_begin_ = 0;
};

bool needs_quotes(std::string_view value) {
    if (value.empty()) return false;
    if (is_blank(value.front()) || is_blank(value.back())) return true;
    for (char c : value) {
        if (c == '#' || c == '"' || c == '\'' || c == '\\' || static_cast<unsigned char>(c) < 0x20) return true;
    }
    return false;
}

}  // namespace

DotenvError::DotenvError(std::string source, std::size_t line, const std::string& what)
    : std::runtime_error(line == 0 ? fmt::format("{}: {}", source, what) : fmt::format("{}:{}: {}", source, line, what)),
      source_(std::move(source)),
      line_(line) {}

std::vector<DotenvEntry> parse_dotenv(std::string_view text, std::string_view source) {
    return DotenvParser(text, source).parse();
}

std::vector<DotenvEntry> read_dotenv_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw DotenvError(path.string(), 0, "cannot read the .env file (missing or unreadable)");
    std::ostringstream buffer;
    buffer << in.rdbuf();
    return parse_dotenv(buffer.str(), path.string());
}

std::string format_dotenv(const std::vector<DotenvEntry>& entries) {
    std::string out;
    for (const auto& entry : entries) {
        out += entry.key;
        out += '=';
        if (!needs_quotes(entry.value)) {
            out += entry.value;
        } else {
            out += '"';
            for (char c : entry.value) {
                switch (c) {
                    case '\n': out += "\\n"; break;
                    case '\t': out += "\\t"; break;
                    case '\r': out += "\\r"; break;
                    case '\\': out += "\\\\"; break;
                    case '"': out += "\\\""; break;
                    default: out += c; break;
                }
            }
            out += '"';
        }
        out += '\n';
    }
    return out;
}

}  // namespace e2e
