#include "e2e/printable.hpp"

#include <catch2/catch_test_macros.hpp>

#include <string>

TEST_CASE("a printable excerpt escapes control bytes and DEL and keeps other bytes", "[printable]") {
    CHECK(e2e::printable_excerpt(std::string("a\nb\0c\x7f\xc3\xa9", 8), 100) == "a\\x0ab\\x00c\\x7f\xc3\xa9");
}

TEST_CASE("a printable excerpt is cut at max bytes with a count of the rest", "[printable]") {
    CHECK(e2e::printable_excerpt("abcdef", 6) == "abcdef");
    CHECK(e2e::printable_excerpt("abcdef", 4) == "abcd…(2 more bytes)");
    CHECK(e2e::printable_excerpt("", 4).empty());
}
