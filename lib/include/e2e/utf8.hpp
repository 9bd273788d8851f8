// UTF-8 as RFC 3629 and Python's strict codec define it: no overlong forms, no surrogates
// (U+D800-U+DFFF), nothing above U+10FFFF. One implementation for every reader and writer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace e2e {

struct Utf8Char {
    std::uint32_t code_point;
    std::size_t length;  // 1 to 4 bytes
};

// The well-formed sequence starting at byte `at`; nullopt when it is malformed, truncated, a stray
// continuation byte, or `at` is past the end.
std::optional<Utf8Char> decode_utf8(std::string_view text, std::size_t at);

// The length of the longest prefix of `text` that is well-formed (text.size() when all of it is),
// i.e. the offset of the first bad sequence.
std::size_t valid_utf8_prefix(std::string_view text);

bool is_valid_utf8(std::string_view text);

// Appends the encoding of `code_point` (at most U+10FFFF; not checked for surrogates).
void append_utf8(std::string& out, std::uint32_t code_point);

// The longest prefix of at most `max` bytes that does not split a UTF-8 sequence.
std::size_t utf8_cut(std::string_view text, std::size_t max);

}  // namespace e2e
