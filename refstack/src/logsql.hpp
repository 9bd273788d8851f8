// The LogsQL subset the suite sends to VictoriaLogs (contract 1.10): `field:"phrase"` clauses
// joined by AND, the unquoted form `logger:cloudwatch.logs.python`, a bare phrase (which searches
// `_msg`), `field:*` (any non-empty value) and `*` alone (everything). Anything else LogsQL has
// (OR, NOT, parentheses, pipes, prefix/regexp/time/stream filters) is rejected with a LogsqlError
// rather than silently answered with other semantics.
//
// Matching is VictoriaLogs' phrase filter: the phrase occurs in the value with a non-word
// character (anything but a letter, a digit or `_`) or the string boundary on each side where the
// phrase itself starts / ends with a word character. Case-sensitive; a missing field is an empty value.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace refstack {

// One flat log record: field name -> string value, `_msg` included (contract 1.10).
using LogFields = std::vector<std::pair<std::string, std::string>>;

// The message names the query (trimmed) and the byte offset of the problem, as VictoriaLogs'
// "cannot parse query" answers do.
class LogsqlError : public std::invalid_argument {
public:
    LogsqlError(const std::string& message, std::size_t offset) : std::invalid_argument(message), offset_(offset) {}
    std::size_t offset() const noexcept { return offset_; }

private:
    std::size_t offset_;
};

// True when `phrase` occurs in `value` as a whole token sequence (see above). The empty phrase
// matches only the empty value.
bool phrase_matches(std::string_view value, std::string_view phrase);

// Letters, digits and `_`; every byte of a multi-byte UTF-8 sequence counts as a word character
// (non-ASCII text in logs is overwhelmingly letters; the suite never depends on it).
bool is_word_byte(unsigned char byte) noexcept;

class LogsQuery {
public:
    struct Clause {
        std::string field;   // "_msg" for a bare phrase
        std::string phrase;  // unescaped
        bool any_value = false;  // `field:*`
    };

    static constexpr std::size_t kMaxQueryBytes = 64u * 1024u;
    static constexpr std::size_t kMaxClauses = 1024;

    // Throws LogsqlError for anything outside the subset, with the offending offset.
    static LogsQuery parse(std::string_view text);

    // Every clause holds (logical AND); no clauses means `*`.
    bool matches(const LogFields& fields) const;

    const std::vector<Clause>& clauses() const noexcept { return clauses_; }
    bool match_all() const noexcept { return clauses_.empty(); }

    // Canonical text: `field:"phrase" AND ...` quoted as e2e::logsql_quote quotes (so it parses back
    // to the same clauses), or `*`.
    std::string str() const;

private:
    std::vector<Clause> clauses_;
};

}  // namespace refstack
