#include "e2e/utf8.hpp"

#include <catch2/catch_test_macros.hpp>

#include <cstdint>
#include <string>

using e2e::decode_utf8;
using e2e::is_valid_utf8;

TEST_CASE("utf-8 accepts ascii and every sequence length up to U+10FFFF", "[utf8]") {
    CHECK(is_valid_utf8(""));
    CHECK(is_valid_utf8(std::string("a\0b", 3)));
    CHECK(is_valid_utf8("\x7f"));
    CHECK(is_valid_utf8("\xc2\x80 \xdf\xbf"));                  // U+0080, U+07FF
    CHECK(is_valid_utf8("\xe0\xa0\x80 \xef\xbf\xbf"));          // U+0800, U+FFFF
    CHECK(is_valid_utf8("\xed\x9f\xbf \xee\x80\x80"));          // either side of the surrogates
    CHECK(is_valid_utf8("\xf0\x90\x80\x80 \xf4\x8f\xbf\xbf"));  // U+10000, U+10FFFF
}

TEST_CASE("utf-8 decoding gives the code point and the sequence length", "[utf8]") {
    const std::string text = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80";  // a é € 😀
    const auto a = decode_utf8(text, 0);
    const auto e_acute = decode_utf8(text, 1);
    const auto euro = decode_utf8(text, 3);
    const auto smiley = decode_utf8(text, 6);
    REQUIRE(a);
    REQUIRE(e_acute);
    REQUIRE(euro);
    REQUIRE(smiley);
    CHECK((a->code_point == 0x61 && a->length == 1));
    CHECK((e_acute->code_point == 0xE9 && e_acute->length == 2));
    CHECK((euro->code_point == 0x20AC && euro->length == 3));
    CHECK((smiley->code_point == 0x1F600 && smiley->length == 4));
    CHECK_FALSE(decode_utf8(text, 2));  // inside é
    CHECK_FALSE(decode_utf8(text, text.size()));
}

TEST_CASE("utf-8 refuses overlong forms", "[utf8]") {
    CHECK_FALSE(is_valid_utf8("\xc0\x80"));
    CHECK_FALSE(is_valid_utf8("\xc1\xbf"));
    CHECK_FALSE(is_valid_utf8("\xe0\x9f\xbf"));
    CHECK_FALSE(is_valid_utf8("\xf0\x8f\xbf\xbf"));
}

TEST_CASE("utf-8 refuses surrogates and code points above U+10FFFF", "[utf8]") {
    CHECK_FALSE(is_valid_utf8("\xed\xa0\x80"));  // U+D800
    CHECK_FALSE(is_valid_utf8("\xed\xbf\xbf"));  // U+DFFF
    CHECK_FALSE(is_valid_utf8("\xf4\x90\x80\x80"));
    CHECK_FALSE(is_valid_utf8("\xf5\x80\x80\x80"));
    CHECK_FALSE(is_valid_utf8("\xf8\x88\x80\x80\x80"));
    CHECK_FALSE(is_valid_utf8("\xff"));
}

TEST_CASE("utf-8 refuses truncated sequences and stray continuation bytes", "[utf8]") {
    CHECK_FALSE(is_valid_utf8("\xc3"));
    CHECK_FALSE(is_valid_utf8("\xe2\x82"));
    CHECK_FALSE(is_valid_utf8("\xf0\x9f\x98"));
    CHECK_FALSE(is_valid_utf8("\xe2\x82x"));  // a lead byte cut short by ASCII
    CHECK_FALSE(is_valid_utf8("\x80"));
    CHECK_FALSE(is_valid_utf8("ok\xbf"));
    CHECK_FALSE(is_valid_utf8("\xc3\xa9\xa9"));
}

TEST_CASE("the valid utf-8 prefix ends at the first bad sequence", "[utf8]") {
    CHECK(e2e::valid_utf8_prefix("h\xc3\xa9llo") == 6);
    CHECK(e2e::valid_utf8_prefix("ab\xff") == 2);
    CHECK(e2e::valid_utf8_prefix("\xed\xa0\x80") == 0);
    CHECK(e2e::valid_utf8_prefix("caf\xc3") == 3);
}

// Moved from the API Gateway event tests when the validator moved into the library.
TEST_CASE("utf-8 validation refuses overlong forms surrogates and truncation", "[utf8]") {
    CHECK(is_valid_utf8("ascii"));
    CHECK(is_valid_utf8("\xf4\x8f\xbf\xbf"));
    CHECK_FALSE(is_valid_utf8("\xc0\xaf"));
    CHECK_FALSE(is_valid_utf8("\xe0\x80\xaf"));
    CHECK_FALSE(is_valid_utf8("\xed\xa0\x80"));
    CHECK_FALSE(is_valid_utf8("\xf4\x90\x80\x80"));
    CHECK_FALSE(is_valid_utf8("\xe2\x82"));
    CHECK_FALSE(is_valid_utf8("\x80"));
}

TEST_CASE("utf-8 encoding round-trips every sequence length", "[utf8]") {
    for (const std::uint32_t code_point : {0x24u, 0xA2u, 0x20ACu, 0x10348u}) {
        std::string out;
        e2e::append_utf8(out, code_point);
        const auto decoded = decode_utf8(out, 0);
        REQUIRE(decoded);
        CHECK(decoded->code_point == code_point);
        CHECK(decoded->length == out.size());
    }
}

TEST_CASE("a utf-8 cut never splits a sequence", "[utf8]") {
    const std::string text = "a\xe2\x82\xac";  // a €
    CHECK(e2e::utf8_cut(text, 10) == 4);
    CHECK(e2e::utf8_cut(text, 4) == 4);
    CHECK(e2e::utf8_cut(text, 3) == 1);
    CHECK(e2e::utf8_cut(text, 2) == 1);
    CHECK(e2e::utf8_cut(text, 0) == 0);
}
