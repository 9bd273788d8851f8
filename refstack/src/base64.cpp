#include "base64.hpp"

#include <array>
#include <cstdint>

namespace refstack {
namespace {

constexpr std::string_view kStandard = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::string_view kUrl = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string_view chars_of(Base64Alphabet alphabet) { return alphabet == Base64Alphabet::url ? kUrl : kStandard; }

// 0..63 for a character of the alphabet, -1 otherwise.
std::array<int, 256> decode_table(Base64Alphabet alphabet) {
    std::array<int, 256> table{};
    table.fill(-1);
    const auto chars = chars_of(alphabet);
    for (std::size_t i = 0; i < chars.size(); ++i) table[static_cast<unsigned char>(chars[i])] = static_cast<int>(i);
    return table;
}

}  // namespace

std::string base64_encode(std::string_view bytes, Base64Alphabet alphabet) {
    const auto chars = chars_of(alphabet);
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 3 <= bytes.size(); i += 3) {
        const std::uint32_t n = (std::uint32_t{static_cast<unsigned char>(bytes[i])} << 16) |
                                (std::uint32_t{static_cast<unsigned char>(bytes[i + 1])} << 8) |
                                std::uint32_t{static_cast<unsigned char>(bytes[i + 2])};
        out += chars[(n >> 18) & 63];
        out += chars[(n >> 12) & 63];
        out += chars[(n >> 6) & 63];
        out += chars[n & 63];
    }
    const std::size_t rest = bytes.size() - i;
    if (rest > 0) {
        std::uint32_t n = std::uint32_t{static_cast<unsigned char>(bytes[i])} << 16;
        if (rest == 2) n |= std::uint32_t{static_cast<unsigned char>(bytes[i + 1])} << 8;
        out += chars[(n >> 18) & 63];
        out += chars[(n >> 12) & 63];
        if (rest == 2) out += chars[(n >> 6) & 63];
        if (alphabet == Base64Alphabet::standard) out.append(rest == 1 ? 2 : 1, '=');
    }
    return out;
}

std::optional<std::string> base64_decode(std::string_view text, Base64Alphabet alphabet) {
    static const auto standard_table = decode_table(Base64Alphabet::standard);
    static const auto url_table = decode_table(Base64Alphabet::url);
    const auto& table = alphabet == Base64Alphabet::url ? url_table : standard_table;

    std::size_t length = text.size();
    std::size_t padding = 0;
    while (length > 0 && text[length - 1] == '=' && padding < 2) {
        --length;
        ++padding;
    }
    if (padding > 0 && text.size() % 4 != 0) return std::nullopt;
    if (length % 4 == 1) return std::nullopt;
    if (padding > 0 && (length + padding) % 4 != 0) return std::nullopt;

    std::string out;
    out.reserve(length * 3 / 4);
    std::uint32_t buffer = 0;
    int bits = 0;
    for (std::size_t i = 0; i < length; ++i) {
        const int value = table[static_cast<unsigned char>(text[i])];
        if (value < 0) return std::nullopt;
        buffer = (buffer << 6) | static_cast<std::uint32_t>(value);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((buffer >> bits) & 0xFFu);
        }
    }
    // Leftover bits must be zero, or two encodings would decode to the same bytes.
    if (bits > 0 && (buffer & ((1u << bits) - 1u)) != 0) return std::nullopt;
    return out;
}

}  // namespace refstack
