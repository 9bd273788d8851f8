#include "dynamodb_number.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>

#include "e2e/dynamodb.hpp"

namespace refstack::dynamodb {
namespace {

constexpr std::size_t kMaxDigits = 38;
constexpr long long kMaxAdjustedExponent = 125;   // largest magnitude < 1E+126
constexpr long long kMinAdjustedExponent = -130;  // smallest magnitude 1E-130
constexpr long long kExponentCap = 1'000'000;     // beyond this only overflow/underflow is possible

// value = (negative ? -1 : 1) * digits * 10^exponent; digits has no leading or trailing zeros and
// is empty for zero.
struct Decimal {
    bool negative = false;
    std::string digits;
    long long exponent = 0;
};

Decimal parse(std::string_view text) {
    if (!e2e::is_number_text(text))
        throw NumberError(fmt::format("A value provided cannot be converted into a number: \"{}\"", text.substr(0, 80)));
    Decimal out;
    std::size_t i = 0;
    if (text[i] == '+' || text[i] == '-') out.negative = text[i++] == '-';
    std::string digits;
    long long fraction_digits = 0;
    bool in_fraction = false;
    for (; i < text.size() && text[i] != 'e' && text[i] != 'E'; ++i) {
        if (text[i] == '.') {
            in_fraction = true;
            continue;
        }
        digits += text[i];
        if (in_fraction) ++fraction_digits;
    }
    long long exponent = 0;
    if (i < text.size()) {
        ++i;  // 'e'
        bool exponent_negative = false;
        if (text[i] == '+' || text[i] == '-') exponent_negative = text[i++] == '-';
        for (; i < text.size(); ++i) exponent = std::min(exponent * 10 + (text[i] - '0'), kExponentCap);
        if (exponent_negative) exponent = -exponent;
    }
    const auto first = digits.find_first_not_of('0');
    if (first == std::string::npos) return {};  // zero, whatever its sign or exponent
    const auto last = digits.find_last_not_of('0');
    out.exponent = exponent - fraction_digits + static_cast<long long>(digits.size() - 1 - last);
    out.digits = digits.substr(first, last - first + 1);
    return out;
}

void check_range(const Decimal& value) {
    if (value.digits.empty()) return;
    if (value.digits.size() > kMaxDigits)
        throw NumberError("Attempting to store more than 38 significant digits in a Number");
    const long long adjusted = static_cast<long long>(value.digits.size()) - 1 + value.exponent;
    if (adjusted > kMaxAdjustedExponent)
        throw NumberError("Number overflow. Attempting to store a number with magnitude larger than supported range");
    if (adjusted < kMinAdjustedExponent)
        throw NumberError("Number underflow. Attempting to store a number with magnitude smaller than supported range");
}

std::string format(const Decimal& value) {
    if (value.digits.empty()) return "0";
    std::string out = value.negative ? "-" : "";
    if (value.exponent >= 0) return out + value.digits + std::string(static_cast<std::size_t>(value.exponent), '0');
    const long long point = static_cast<long long>(value.digits.size()) + value.exponent;
    if (point > 0) {
        const auto split = static_cast<std::size_t>(point);
        return out + value.digits.substr(0, split) + "." + value.digits.substr(split);
    }
    return out + "0." + std::string(static_cast<std::size_t>(-point), '0') + value.digits;
}

// Magnitudes as equal-length digit strings (most significant first).
int compare_magnitude(const std::string& a, const std::string& b) {
    return a < b ? -1 : (a > b ? 1 : 0);
}

std::string add_magnitude(const std::string& a, const std::string& b) {
    std::string out(a.size() + 1, '0');
    int carry = 0;
    for (std::size_t i = a.size(); i-- > 0;) {
        const int sum = (a[i] - '0') + (b[i] - '0') + carry;
        out[i + 1] = static_cast<char>('0' + sum % 10);
        carry = sum / 10;
    }
    out[0] = static_cast<char>('0' + carry);
    return out;
}

std::string subtract_magnitude(const std::string& larger, const std::string& smaller) {
    std::string out(larger.size(), '0');
    int borrow = 0;
    for (std::size_t i = larger.size(); i-- > 0;) {
        int difference = (larger[i] - '0') - (smaller[i] - '0') - borrow;
        borrow = difference < 0 ? 1 : 0;
        if (difference < 0) difference += 10;
        out[i] = static_cast<char>('0' + difference);
    }
    return out;
}

std::string sum(std::string_view lhs_text, std::string_view rhs_text, bool negate_rhs) {
    const Decimal lhs = parse(lhs_text);
    Decimal rhs = parse(rhs_text);
    if (negate_rhs) rhs.negative = !rhs.negative;
    if (lhs.digits.empty()) return normalize_number(format(rhs));
    if (rhs.digits.empty()) return normalize_number(format(lhs));
    check_range(lhs);
    check_range(rhs);
    // Align both on the smaller exponent, then pad to one length; both stay within a few hundred digits.
    const long long exponent = std::min(lhs.exponent, rhs.exponent);
    std::string a = lhs.digits + std::string(static_cast<std::size_t>(lhs.exponent - exponent), '0');
    std::string b = rhs.digits + std::string(static_cast<std::size_t>(rhs.exponent - exponent), '0');
    const std::size_t width = std::max(a.size(), b.size());
    a.insert(0, width - a.size(), '0');
    b.insert(0, width - b.size(), '0');
    Decimal result;
    std::string magnitude;
    if (lhs.negative == rhs.negative) {
        magnitude = add_magnitude(a, b);
        result.negative = lhs.negative;
    } else if (compare_magnitude(a, b) >= 0) {
        magnitude = subtract_magnitude(a, b);
        result.negative = lhs.negative;
    } else {
        magnitude = subtract_magnitude(b, a);
        result.negative = rhs.negative;
    }
    result.digits = std::move(magnitude);
    result.exponent = exponent;
    return normalize_number(format(result));
}

}  // namespace

std::string normalize_number(std::string_view text) {
    const Decimal value = parse(text);
    check_range(value);
    return format(value);
}

std::string add_numbers(std::string_view lhs, std::string_view rhs) { return sum(lhs, rhs, false); }

std::string subtract_numbers(std::string_view lhs, std::string_view rhs) { return sum(lhs, rhs, true); }

}  // namespace refstack::dynamodb
