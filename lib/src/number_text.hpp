// Internal to lib: reading a number's text when std::from_chars found it out of range, to tell a
// huge number from a tiny one. Used by json.cpp and prometheus_text.cpp.
#pragma once

#include <algorithm>
#include <optional>
#include <string_view>

namespace e2e::detail {

// The power of the base at which the first significant digit of an unsigned number sits once the
// exponent is applied (123.4 -> 2, 0.001 -> -3, 1e5 -> 5; hex digits count 4 binary places against
// a `p` exponent), or nullopt when the mantissa has no significant digit. Not the exponent's sign
// alone: 0.000…01 has none, 1000…0e-5 is huge. The exponent saturates instead of overflowing.
inline std::optional<long long> leading_digit_exponent(std::string_view text, bool hex) {
    const auto marker = text.find_first_of(hex ? "pP" : "eE");
    const auto mantissa = text.substr(0, marker);
    const auto point = mantissa.find('.');
    const auto integer_digits = static_cast<long long>(point == std::string_view::npos ? mantissa.size() : point);
    const auto first = mantissa.find_first_not_of("0.");
    if (first == std::string_view::npos) return std::nullopt;
    const auto at = static_cast<long long>(first);
    const long long magnitude = at < integer_digits ? integer_digits - at - 1 : integer_digits - at;
    long long exponent = 0;
    if (marker != std::string_view::npos) {
        auto digits = text.substr(marker + 1);
        const bool negative = digits.starts_with('-');
        if (digits.starts_with('-') || digits.starts_with('+')) digits.remove_prefix(1);
        for (const char c : digits) exponent = std::min(exponent * 10 + (c - '0'), 1'000'000'000LL);
        if (negative) exponent = -exponent;
    }
    return magnitude * (hex ? 4 : 1) + exponent;
}

}  // namespace e2e::detail
