#include "logsql.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <optional>

#include "e2e/printable.hpp"
#include "e2e/utf8.hpp"
#include "e2e/victorialogs.hpp"

namespace refstack {

namespace {

constexpr std::size_t kExcerptBytes = 200;

bool is_space(char c) noexcept { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

bool is_quote(char c) noexcept { return c == '"' || c == '\'' || c == '`'; }

// Characters that end an unquoted word: whitespace, quotes and LogsQL's structural characters.
bool ends_word(char c) noexcept {
    if (is_space(c) || is_quote(c)) return true;
    switch (c) {
        case '(': case ')': case '|': case ':': case '*': case ',': case '{': case '}':
            return true;
        default:
            return false;
    }
}

bool iequals(std::string_view a, std::string_view b) noexcept {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
               return lower(x) == lower(y);
           });
}

// Printable excerpt of the query for error messages: control bytes escaped, long queries cut.
std::string excerpt(std::string_view text) { return e2e::printable_excerpt(text, kExcerptBytes); }

std::optional<std::uint32_t> hex_value(std::string_view digits) {
    std::uint32_t value = 0;
    for (const char c : digits) {
        value <<= 4;
        if (c >= '0' && c <= '9') {
            value |= static_cast<std::uint32_t>(c - '0');
        } else if (c >= 'a' && c <= 'f') {
            value |= static_cast<std::uint32_t>(c - 'a' + 10);
        } else if (c >= 'A' && c <= 'F') {
            value |= static_cast<std::uint32_t>(c - 'A' + 10);
        } else {
            return std::nullopt;
        }
    }
    return value;
}

// A term as read: a quoted string (unescaped) or an unquoted word, with where it started.
struct Term {
    std::string text;
    bool quoted = false;
    std::size_t offset = 0;
};

class Parser {
public:
    explicit Parser(std::string_view text) : text_(text) {}

    std::vector<LogsQuery::Clause> run() {
        if (text_.size() > LogsQuery::kMaxQueryBytes) {
            fail(fmt::format("the query is {} bytes; at most {} are accepted", text_.size(), LogsQuery::kMaxQueryBytes), 0);
        }
        std::vector<LogsQuery::Clause> clauses;
        skip_space();
        if (at_end()) fail("empty query; use * to select every record", pos_);
        bool need_clause = true;  // at the start and after AND
        while (true) {
            skip_space();
            if (at_end()) {
                if (need_clause) fail("missing filter after AND", pos_);
                break;
            }
            if (!need_clause) {
                // Between clauses: AND, or nothing (LogsQL's implicit AND).
                if (const auto keyword = peek_keyword()) {
                    if (iequals(*keyword, "AND")) {
                        pos_ += keyword->size();
                        need_clause = true;
                        continue;
                    }
                }
            }
            read_clause(clauses);
            if (clauses.size() > LogsQuery::kMaxClauses) {
                fail(fmt::format("more than {} filters", LogsQuery::kMaxClauses), pos_);
            }
            need_clause = false;
        }
        return clauses;
    }

private:
    [[noreturn]] void fail(const std::string& reason, std::size_t offset) const {
        throw LogsqlError(fmt::format("cannot parse query \"{}\": {} (at offset {})", excerpt(text_), reason, offset), offset);
    }

    bool at_end() const noexcept { return pos_ >= text_.size(); }
    char peek() const noexcept { return text_[pos_]; }
    void skip_space() noexcept {
        while (!at_end() && is_space(peek())) ++pos_;
    }

    // The unquoted word at the cursor, without consuming it, when it is a keyword (AND, OR, NOT).
    std::optional<std::string_view> peek_keyword() const {
        std::size_t end = pos_;
        while (end < text_.size() && !ends_word(text_[end])) ++end;
        const auto word = text_.substr(pos_, end - pos_);
        if (iequals(word, "AND") || iequals(word, "OR") || iequals(word, "NOT")) return word;
        return std::nullopt;
    }

    void reject_structural(char c, std::size_t offset) const {
        switch (c) {
            case '(': case ')':
                fail("parentheses are not supported by the refstack's LogsQL subset", offset);
            case '|':
                fail("pipes are not supported by the refstack's LogsQL subset", offset);
            case ':':
                fail("unexpected ':' without a field name before it", offset);
            case ',': case '{': case '}':
                fail(fmt::format("unexpected '{}'", c), offset);
            case '-': case '!':
                fail("negation is not supported by the refstack's LogsQL subset", offset);
            default:
                break;
        }
    }

    Term read_quoted() {
        Term term{{}, true, pos_};
        const char quote = peek();
        ++pos_;
        while (true) {
            if (at_end()) fail(fmt::format("unterminated {} string", quote), term.offset);
            const char c = peek();
            if (c == quote) {
                ++pos_;
                return term;
            }
            if (c != '\\' || quote == '`') {  // backquoted strings are raw
                term.text += c;
                ++pos_;
                continue;
            }
            const std::size_t escape_at = pos_;
            ++pos_;
            if (at_end()) fail(fmt::format("unterminated {} string", quote), term.offset);
            const char e = peek();
            ++pos_;
            switch (e) {
                case '\\': term.text += '\\'; break;
                case '"': term.text += '"'; break;
                case '\'': term.text += '\''; break;
                case '/': term.text += '/'; break;
                case 'n': term.text += '\n'; break;
                case 'r': term.text += '\r'; break;
                case 't': term.text += '\t'; break;
                case 'b': term.text += '\b'; break;
                case 'f': term.text += '\f'; break;
                case 'v': term.text += '\v'; break;
                case 'a': term.text += '\a'; break;
                case 'x': {
                    const auto value = pos_ + 2 <= text_.size() ? hex_value(text_.substr(pos_, 2)) : std::nullopt;
                    if (!value) fail("\\x needs two hex digits", escape_at);
                    term.text += static_cast<char>(*value);
                    pos_ += 2;
                    break;
                }
                case 'u': case 'U': {
                    const std::size_t digits = e == 'u' ? 4 : 8;
                    const auto value = pos_ + digits <= text_.size() ? hex_value(text_.substr(pos_, digits)) : std::nullopt;
                    if (!value) fail(fmt::format("\\{} needs {} hex digits", e, digits), escape_at);
                    if (*value > 0x10FFFF || (*value >= 0xD800 && *value <= 0xDFFF)) {
                        fail("the escape is not a Unicode scalar value", escape_at);
                    }
                    e2e::append_utf8(term.text, *value);
                    pos_ += digits;
                    break;
                }
                default:
                    fail(fmt::format("unknown escape \\{}", excerpt(std::string_view(&e, 1))), escape_at);
            }
        }
    }

    Term read_word() {
        Term term{{}, false, pos_};
        while (!at_end() && !ends_word(peek())) {
            term.text += peek();
            ++pos_;
        }
        return term;
    }

    // A quoted string or an unquoted word; rejects what would start another LogsQL construct.
    Term read_term() {
        if (at_end()) fail("missing value", pos_);
        const char c = peek();
        if (is_quote(c)) return read_quoted();
        reject_structural(c, pos_);
        Term term = read_word();
        if (term.text.empty()) fail(fmt::format("unexpected '{}'", excerpt(std::string_view(&c, 1))), pos_);
        return term;
    }

    // A '*' right after a term is a prefix filter (`foo*`), which the subset does not have.
    void reject_prefix_star() const {
        if (!at_end() && peek() == '*') fail("prefix filters (word*) are not supported by the refstack's LogsQL subset", pos_);
    }

    void read_clause(std::vector<LogsQuery::Clause>& clauses) {
        const std::size_t start = pos_;
        if (peek() == '*') {
            ++pos_;
            if (!at_end() && !is_space(peek())) fail("unexpected text after *", pos_);
            return;  // match-all: adds no condition
        }
        if (const auto keyword = peek_keyword()) {
            if (iequals(*keyword, "AND")) fail("AND without a filter before it", start);
            fail(fmt::format("{} is not supported by the refstack's LogsQL subset (only AND)", *keyword), start);
        }
        Term first = read_term();
        reject_prefix_star();
        std::size_t after = pos_;
        while (after < text_.size() && is_space(text_[after])) ++after;
        if (after >= text_.size() || text_[after] != ':') {
            clauses.push_back({"_msg", std::move(first.text), false});  // a bare phrase searches _msg
            return;
        }
        // `field:value`
        const std::string field = std::move(first.text);
        if (field.empty()) fail("empty field name", start);
        if (field == "_time" || field == "_stream" || field == "_stream_id") {
            fail(fmt::format("{} filters are not supported by the refstack's LogsQL subset", field), start);
        }
        pos_ = after + 1;
        skip_space();
        if (at_end()) fail(fmt::format("missing value after \"{}:\"", excerpt(field)), pos_);
        const char c = peek();
        if (c == '*') {
            ++pos_;
            if (!at_end() && !is_space(peek())) fail("unexpected text after *", pos_);
            clauses.push_back({field, {}, true});
            return;
        }
        if (c == '=' || c == '~' || c == '>' || c == '<' || c == '[' || c == '!') {
            fail(fmt::format("'{}' filters are not supported by the refstack's LogsQL subset", c), pos_);
        }
        if (!is_quote(c)) {
            if (const auto keyword = peek_keyword()) {
                fail(fmt::format("the value {} is a keyword; quote it", *keyword), pos_);
            }
        }
        Term value = read_term();
        reject_prefix_star();
        if (!at_end() && peek() == ':') fail("unexpected ':' after the value; quote values that contain ':'", pos_);
        clauses.push_back({field, std::move(value.text), false});
    }

    std::string_view text_;
    std::size_t pos_ = 0;
};

}  // namespace

bool is_word_byte(unsigned char byte) noexcept {
    return (byte >= 'a' && byte <= 'z') || (byte >= 'A' && byte <= 'Z') || (byte >= '0' && byte <= '9') || byte == '_' ||
           byte >= 0x80;
}

bool phrase_matches(std::string_view value, std::string_view phrase) {
    if (phrase.empty()) return value.empty();
    if (phrase.size() > value.size()) return false;
    const bool starts_with_word = is_word_byte(static_cast<unsigned char>(phrase.front()));
    const bool ends_with_word = is_word_byte(static_cast<unsigned char>(phrase.back()));
    std::size_t from = 0;
    while (true) {
        const std::size_t at = value.find(phrase, from);
        if (at == std::string_view::npos) return false;
        const std::size_t end = at + phrase.size();
        const bool left_ok = !starts_with_word || at == 0 || !is_word_byte(static_cast<unsigned char>(value[at - 1]));
        const bool right_ok = !ends_with_word || end == value.size() || !is_word_byte(static_cast<unsigned char>(value[end]));
        if (left_ok && right_ok) return true;
        from = at + 1;
    }
}

LogsQuery LogsQuery::parse(std::string_view text) {
    LogsQuery query;
    query.clauses_ = Parser(text).run();
    return query;
}

bool LogsQuery::matches(const LogFields& fields) const {
    for (const auto& clause : clauses_) {
        const auto found = std::find_if(fields.begin(), fields.end(), [&](const auto& field) { return field.first == clause.field; });
        const std::string_view value = found == fields.end() ? std::string_view{} : std::string_view(found->second);
        const bool ok = clause.any_value ? !value.empty() : phrase_matches(value, clause.phrase);
        if (!ok) return false;
    }
    return true;
}

std::string LogsQuery::str() const {
    if (clauses_.empty()) return "*";
    std::string out;
    for (const auto& clause : clauses_) {
        if (!out.empty()) out += " AND ";
        const bool plain_field = !clause.field.empty() && std::none_of(clause.field.begin(), clause.field.end(), ends_word) &&
                                 !iequals(clause.field, "AND") && !iequals(clause.field, "OR") && !iequals(clause.field, "NOT") &&
                                 clause.field.front() != '-' && clause.field.front() != '!';
        out += plain_field ? clause.field : e2e::logsql_quote(clause.field);
        out += ':';
        out += clause.any_value ? std::string("*") : e2e::logsql_quote(clause.phrase);
    }
    return out;
}

}  // namespace refstack
