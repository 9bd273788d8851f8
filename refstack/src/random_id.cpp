#include "random_id.hpp"

#include <fmt/format.h>

#include <cstdint>
#include <random>

namespace refstack {
namespace {

std::mt19937_64& generator() {
    thread_local std::mt19937_64 engine([] {
        std::random_device device;
        std::seed_seq seed{device(), device(), device(), device()};
        return std::mt19937_64(seed);
    }());
    return engine;
}

}  // namespace

std::string random_hex_digits(std::size_t count) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(count);
    std::uint64_t bits = 0;
    for (std::size_t i = 0; i < count; ++i) {
        if (i % 16 == 0) bits = generator()();
        out += kHex[bits & 0xF];
        bits >>= 4;
    }
    return out;
}

std::string make_uuid4() {
    auto& engine = generator();
    const std::uint64_t high = (engine() & ~0xF000ULL) | 0x4000ULL;                          // version 4
    const std::uint64_t low = (engine() & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL;  // RFC 4122 variant
    return fmt::format("{:08x}-{:04x}-{:04x}-{:04x}-{:012x}", high >> 32, (high >> 16) & 0xFFFF, high & 0xFFFF,
                       low >> 48, low & 0xFFFFFFFFFFFFULL);
}

std::string make_container_id() { return random_hex_digits(32); }

}  // namespace refstack
