#include "e2e/printable.hpp"

#include <fmt/format.h>

namespace e2e {

std::string printable_excerpt(std::string_view text, std::size_t max) {
    std::string out;
    for (const char c : text.substr(0, max)) {
        const auto byte = static_cast<unsigned char>(c);
        out += byte < 0x20 || byte == 0x7f ? fmt::format("\\x{:02x}", byte) : std::string(1, c);
    }
    if (text.size() > max) out += fmt::format("…({} more bytes)", text.size() - max);
    return out;
}

}  // namespace e2e
