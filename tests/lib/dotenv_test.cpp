#include "e2e/dotenv.hpp"

#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <filesystem>
#include <fstream>

using Catch::Matchers::ContainsSubstring;

namespace {
std::string value_of(const std::vector<e2e::DotenvEntry>& entries, std::string_view key) {
    std::string found = "<missing>";
    for (const auto& entry : entries) {
        if (entry.key == key) found = entry.value;
    }
    return found;
}
}  // namespace

TEST_CASE("dotenv reads ESB env files with comments and blank lines", "[dotenv]") {
    const auto entries = e2e::parse_dotenv(
        "# E2E docker environment\n"
        "\n"
        "LOG_LEVEL=DEBUG\n"
        "   # indented comment\n"
        "CIRCUIT_BREAKER_RECOVERY_TIMEOUT=10.0\r\n"
        "PORT_GATEWAY_HTTPS=0\n"
        "EMPTY=\n");
    REQUIRE(entries.size() == 4);
    CHECK(entries[0].key == "LOG_LEVEL");
    CHECK(entries[0].value == "DEBUG");
    CHECK(entries[0].line == 3);
    CHECK(entries[1].value == "10.0");
    CHECK(entries[1].line == 5);
    CHECK(value_of(entries, "EMPTY").empty());
}

TEST_CASE("dotenv strips optional quotes and understands escapes in double quotes", "[dotenv]") {
    const auto entries = e2e::parse_dotenv(
        "A=\"quoted value\"\n"
        "B='single # not a comment'\n"
        "C=\"line1\\nline2 \\\"q\\\"\"\n"
        "D='raw \\n stays'\n"
        "export E=exported\n"
        "F = spaced   \n"
        "G=value # trailing comment\n"
        "H=a#b\n");
    CHECK(value_of(entries, "A") == "quoted value");
    CHECK(value_of(entries, "B") == "single # not a comment");
    CHECK(value_of(entries, "C") == "line1\nline2 \"q\"");
    CHECK(value_of(entries, "D") == "raw \\n stays");
    CHECK(value_of(entries, "E") == "exported");
    CHECK(value_of(entries, "F") == "spaced");
    CHECK(value_of(entries, "G") == "value");
    CHECK(value_of(entries, "H") == "a#b");
}

TEST_CASE("dotenv quoted values may span lines and keep their first line number", "[dotenv]") {
    const auto entries = e2e::parse_dotenv("CERT=\"-----BEGIN\nabc\n-----END\"\nNEXT=1\n");
    REQUIRE(entries.size() == 2);
    CHECK(entries[0].value == "-----BEGIN\nabc\n-----END");
    CHECK(entries[0].line == 1);
    CHECK(entries[1].line == 4);
}

TEST_CASE("dotenv rejects a line without an equals sign with file and line", "[dotenv]") {
    try {
        e2e::parse_dotenv("A=1\n# ok\nTHIS IS NOT AN ASSIGNMENT\n", "envs/docker/.env");
        FAIL("a malformed line was accepted");
    } catch (const e2e::DotenvError& error) {
        CHECK(error.line() == 3);
        CHECK(error.source() == "envs/docker/.env");
        CHECK_THAT(std::string(error.what()), ContainsSubstring("envs/docker/.env:3:"));
        CHECK_THAT(std::string(error.what()), ContainsSubstring("THIS"));
    }
}

TEST_CASE("dotenv rejects bad keys unterminated quotes and text after a closing quote", "[dotenv]") {
    CHECK_THROWS_WITH(e2e::parse_dotenv("1ABC=x\n", "f"), ContainsSubstring("f:1:"));
    CHECK_THROWS_WITH(e2e::parse_dotenv("=x\n", "f"), ContainsSubstring("expected KEY=VALUE"));
    CHECK_THROWS_WITH(e2e::parse_dotenv("A=1\nB=\"open\n", "f"), ContainsSubstring("f:2: unterminated double quote in the value of B"));
    CHECK_THROWS_WITH(e2e::parse_dotenv("A='x' y\n", "f"), ContainsSubstring("unexpected text after the closing quote of A"));
    CHECK_THROWS_WITH(e2e::parse_dotenv("A-B=1\n", "f"), ContainsSubstring("expected '=' after key A"));
}

TEST_CASE("dotenv escapes control characters in error messages", "[dotenv]") {
    CHECK_THROWS_WITH(e2e::parse_dotenv("bad\x01line\n", "f"), ContainsSubstring("\\x01"));
}

TEST_CASE("dotenv formatting round-trips awkward values", "[dotenv]") {
    const std::vector<e2e::DotenvEntry> entries{
        {"PLAIN", "abc", 0}, {"SPACES", "  padded  ", 0}, {"HASH", "a #b", 0},
        {"QUOTES", "say \"hi\" 'x'", 0}, {"NEWLINE", "a\nb", 0}, {"EMPTY", "", 0}, {"BACKSLASH", "C:\\dir", 0}};
    const auto parsed = e2e::parse_dotenv(e2e::format_dotenv(entries));
    REQUIRE(parsed.size() == entries.size());
    for (std::size_t i = 0; i < entries.size(); ++i) {
        CHECK(parsed[i].key == entries[i].key);
        CHECK(parsed[i].value == entries[i].value);
    }
}

TEST_CASE("dotenv reports a missing file by name", "[dotenv]") {
    const auto path = std::filesystem::temp_directory_path() / "e2e-dotenv-does-not-exist.env";
    CHECK_THROWS_WITH(e2e::read_dotenv_file(path), ContainsSubstring("e2e-dotenv-does-not-exist.env"));
}

TEST_CASE("dotenv reads a file and names it in errors", "[dotenv]") {
    const auto path = std::filesystem::temp_directory_path() / "e2e-dotenv-read-test.env";
    {
        std::ofstream out(path);
        out << "\xEF\xBB\xBFGOOD=1\nBROKEN\n";
    }
    CHECK_THROWS_WITH(e2e::read_dotenv_file(path), ContainsSubstring(path.string() + ":2:"));
    {
        std::ofstream out(path);
        out << "\xEF\xBB\xBFGOOD=1\n";
    }
    const auto entries = e2e::read_dotenv_file(path);
    REQUIRE(entries.size() == 1);
    CHECK(entries[0].key == "GOOD");
    std::filesystem::remove(path);
}
