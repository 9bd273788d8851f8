#include "base64.hpp"

#include <catch2/catch_test_macros.hpp>

#include <string>

using refstack::Base64Alphabet;
using refstack::base64_decode;
using refstack::base64_encode;

TEST_CASE("base64 encodes the RFC 4648 test vectors with padding", "[refstack][base64]") {
    CHECK(base64_encode("") == "");
    CHECK(base64_encode("f") == "Zg==");
    CHECK(base64_encode("fo") == "Zm8=");
    CHECK(base64_encode("foo") == "Zm9v");
    CHECK(base64_encode("foob") == "Zm9vYg==");
    CHECK(base64_encode("fooba") == "Zm9vYmE=");
    CHECK(base64_encode("foobar") == "Zm9vYmFy");
}

TEST_CASE("base64url encodes without padding and with the url alphabet", "[refstack][base64]") {
    const std::string bytes("\xfb\xff\xbf", 3);
    CHECK(base64_encode(bytes) == "+/+/");
    CHECK(base64_encode(bytes, Base64Alphabet::url) == "-_-_");
    CHECK(base64_encode("f", Base64Alphabet::url) == "Zg");
    CHECK(base64_encode("fo", Base64Alphabet::url) == "Zm8");
}

TEST_CASE("base64 decoding round trips every byte value", "[refstack][base64]") {
    std::string all;
    for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
    for (std::size_t length = 0; length <= all.size(); length += 37) {
        const auto slice = all.substr(0, length);
        CHECK(base64_decode(base64_encode(slice)) == slice);
        CHECK(base64_decode(base64_encode(slice, Base64Alphabet::url), Base64Alphabet::url) == slice);
    }
}

TEST_CASE("base64 decoding accepts missing padding and rejects malformed text", "[refstack][base64]") {
    CHECK(base64_decode("Zg") == "f");
    CHECK(base64_decode("Zg==") == "f");
    CHECK_FALSE(base64_decode("Zg=").has_value());
    CHECK_FALSE(base64_decode("Z").has_value());
    CHECK_FALSE(base64_decode("Zm9v YmFy").has_value());
    CHECK_FALSE(base64_decode("Zh==").has_value());  // non-zero unused bits
    CHECK_FALSE(base64_decode("Zg==Zg==").has_value());
    CHECK_FALSE(base64_decode("-_-_").has_value());
    CHECK_FALSE(base64_decode("+/+/", Base64Alphabet::url).has_value());
}
