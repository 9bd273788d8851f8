#include "random_id.hpp"

#include <fmt/format.h>

#include <array>
#include <cstdint>
#include <random>

namespace refstack {
namespace {

std::mt19937_64& generator() {
    thread_local std::mt19937_64 engine([] {
        std::random_device device;
        return (static_cast<std::uint64_t>(device()) << 32) ^ device();
    }());
    return engine;
}

std::string hex_digits(std::size_t digits) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(digits);
    std::uint64_t bits = 0;
    for (std::size_t i = 0; i < digits; ++i) {
        if (i % 16 == 0) bits = generator()();
        out += kHex[bits & 0xF];
        bits >>= 4;
    }
    return out;
}

}  // namespace

std::string make_container_id() { return hex_digits(32); }

std::string make_invocation_id() {
    std::string hex = hex_digits(32);
    hex[12] = '4';                                       // version 4
    hex[16] = "89ab"[static_cast<unsigned char>(hex[16]) % 4];  // RFC 4122 variant
    return fmt::format("{}-{}-{}-{}-{}", hex.substr(0, 8), hex.substr(8, 4), hex.substr(12, 4), hex.substr(16, 4),
                       hex.substr(20));
}

}  // namespace refstack
