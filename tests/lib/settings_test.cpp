#include "e2e/settings.hpp"

#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "e2e/dotenv.hpp"

using Catch::Matchers::ContainsSubstring;
using namespace std::chrono_literals;

namespace {

struct TempEnvFile {
    std::filesystem::path path;
    TempEnvFile(const std::string& name, const std::string& text)
        : path(std::filesystem::temp_directory_path() / ("e2e-settings-" + name + ".env")) {
        std::ofstream(path) << text;
    }
    ~TempEnvFile() { std::filesystem::remove(path); }
};

struct ScopedEnv {
    std::string name;
    ScopedEnv(std::string n, const char* value) : name(std::move(n)) { ::setenv(name.c_str(), value, 1); }
    ~ScopedEnv() { ::unsetenv(name.c_str()); }
};

e2e::Settings from(std::map<std::string, std::string, std::less<>> values) {
    return e2e::Settings::from_map(values, "test");
}

}  // namespace

TEST_CASE("settings layers defaults then env files then the process environment", "[settings]") {
    TempEnvFile first("first", "E2E_T_LAYER_A=file1\nE2E_T_LAYER_B=file1\nE2E_T_LAYER_C=file1\n");
    TempEnvFile second("second", "E2E_T_LAYER_B=file2\n");
    ScopedEnv env("E2E_T_LAYER_C", "process");
    e2e::Settings settings({.defaults = {{"E2E_T_LAYER_A", "default"}, {"E2E_T_LAYER_D", "default"}},
                            .env_files = {first.path, second.path},
                            .process_environment = true});
    CHECK(settings.str("E2E_T_LAYER_A") == "file1");
    CHECK(settings.str("E2E_T_LAYER_B") == "file2");
    CHECK(settings.str("E2E_T_LAYER_C") == "process");
    CHECK(settings.str("E2E_T_LAYER_D") == "default");
    CHECK(settings.lookup("E2E_T_LAYER_B")->origin == second.path.string() + ":1");
    CHECK(settings.lookup("E2E_T_LAYER_C")->origin == "environment");
    CHECK(settings.lookup("E2E_T_LAYER_D")->origin == "default");
}

TEST_CASE("settings without the process layer ignore the environment", "[settings]") {
    ScopedEnv env("E2E_T_ISOLATED", "process");
    e2e::Settings settings({.defaults = {{"E2E_T_ISOLATED", "default"}}, .env_files = {}, .process_environment = false});
    CHECK(settings.str("E2E_T_ISOLATED") == "default");
}

TEST_CASE("settings report a malformed env file with its path and line", "[settings]") {
    TempEnvFile bad("bad", "OK=1\nnot valid\n");
    CHECK_THROWS_AS(e2e::Settings({.defaults = {}, .env_files = {bad.path}, .process_environment = false}), e2e::DotenvError);
    CHECK_THROWS_WITH(e2e::Settings({.defaults = {}, .env_files = {bad.path}, .process_environment = false}),
                      ContainsSubstring(bad.path.string() + ":2"));
}

TEST_CASE("bool settings follow ESB's rule of 1 true yes on only", "[settings]") {
    const auto [text, expected] = GENERATE(table<std::string, bool>({
        {"1", true}, {"true", true}, {"TRUE", true}, {" Yes ", true}, {"on", true}, {"\tOn\n", true},
        {"0", false}, {"false", false}, {"no", false}, {"off", false}, {"2", false}, {"y", false},
        {"enabled", false}, {"truee", false}}));
    CAPTURE(text);
    CHECK(e2e::esb_truthy(text) == expected);
    CHECK(from({{"VERIFY_SSL", text}}).flag("VERIFY_SSL", !expected) == expected);
}

TEST_CASE("bool settings fall back when missing or blank", "[settings]") {
    const auto settings = from({{"BLANK", "  "}});
    CHECK(settings.flag("BLANK", true));
    CHECK_FALSE(settings.flag("BLANK", false));
    CHECK(settings.flag("MISSING", true));
    CHECK_FALSE(settings.flag("MISSING"));
}

TEST_CASE("integer settings parse and name the variable and value on error", "[settings]") {
    const auto settings = from({{"PORT_S3", " 9000 "}, {"BAD_PORT", "90x0"}, {"FLOATY", "1.5"}, {"NEG", "-3"}});
    CHECK(settings.integer("PORT_S3") == 9000);
    CHECK(settings.integer("NEG") == -3);
    CHECK(settings.integer("MISSING", 7) == 7);
    CHECK_THROWS_WITH(settings.integer("BAD_PORT"), ContainsSubstring("BAD_PORT=\"90x0\" is not an integer (from test)"));
    CHECK_THROWS_WITH(settings.integer("FLOATY", 1), ContainsSubstring("FLOATY=\"1.5\""));
    CHECK_THROWS_WITH(settings.integer("MISSING"), ContainsSubstring("required setting MISSING is not set"));
}

TEST_CASE("number settings accept decimals and reject garbage", "[settings]") {
    const auto settings = from({{"CIRCUIT_BREAKER_RECOVERY_TIMEOUT", "10.0"}, {"PING_TIMEOUT", "fast"}, {"INF", "inf"}});
    CHECK(settings.number("CIRCUIT_BREAKER_RECOVERY_TIMEOUT") == 10.0);
    CHECK(settings.number("MISSING", 2.5) == 2.5);
    CHECK_THROWS_WITH(settings.number("PING_TIMEOUT"), ContainsSubstring("PING_TIMEOUT=\"fast\" is not a number"));
    CHECK_THROWS_WITH(settings.number("INF"), ContainsSubstring("INF=\"inf\""));
}

TEST_CASE("duration settings read bare seconds and unit suffixes", "[settings]") {
    const auto settings = from({{"RECOVERY", "10.0"}, {"IDLE", "15"}, {"MS", "250ms"}, {"SEC", "2s"}, {"MIN", "1.5m"},
                                {"HOUR", "1h"}, {"BAD", "10 parsecs"}, {"NEGATIVE", "-1"}});
    CHECK(settings.duration("RECOVERY") == 10s);
    CHECK(settings.duration("IDLE") == 15s);
    CHECK(settings.duration("MS") == 250ms);
    CHECK(settings.duration("SEC") == 2s);
    CHECK(settings.duration("MIN") == 90s);
    CHECK(settings.duration("HOUR") == 1h);
    CHECK(settings.duration("MISSING", 3s) == 3s);
    CHECK_THROWS_WITH(settings.duration("BAD"), ContainsSubstring("BAD=\"10 parsecs\" is not a duration"));
    CHECK_THROWS_WITH(settings.duration("NEGATIVE"), ContainsSubstring("NEGATIVE=\"-1\""));
}

TEST_CASE("url settings parse scheme host port and target", "[settings]") {
    const auto settings = from({{"GATEWAY_URL", "https://localhost:8443"}, {"VICTORIALOGS_URL", "http://127.0.0.1:9428/select?x=1"},
                                {"BARE", "https://example.test"}, {"V6", "http://[::1]:9000/"}, {"BAD", "localhost:443"},
                                {"BAD_PORT", "http://localhost:99999"}});
    const auto gateway = settings.url("GATEWAY_URL");
    CHECK(gateway.scheme == "https");
    CHECK(gateway.host == "localhost");
    CHECK(gateway.port == 8443);
    CHECK(gateway.target == "/");
    CHECK(gateway.str() == "https://localhost:8443/");
    CHECK(settings.url("VICTORIALOGS_URL").target == "/select?x=1");
    CHECK(settings.url("BARE").port == 443);
    CHECK(settings.url("V6").host == "::1");
    CHECK(settings.url("MISSING", "http://localhost:9091").port == 9091);
    CHECK_THROWS_WITH(settings.url("BAD"), ContainsSubstring("BAD=\"localhost:443\" is not an http(s) URL"));
    CHECK_THROWS_WITH(settings.url("BAD_PORT"), ContainsSubstring("BAD_PORT"));
}

TEST_CASE("string settings treat blank values as missing for required reads", "[settings]") {
    const auto settings = from({{"X_API_KEY", ""}, {"AUTH_USER", "esb"}});
    CHECK(settings.has("X_API_KEY"));
    CHECK(settings.str("AUTH_USER") == "esb");
    CHECK(settings.str("X_API_KEY", "fallback") == "fallback");
    CHECK_THROWS_WITH(settings.str("X_API_KEY"), ContainsSubstring("required setting X_API_KEY is blank"));
}

TEST_CASE("settings report every missing required variable at once", "[settings]") {
    const auto settings = from({{"AUTH_USER", "esb"}, {"AUTH_PASS", " "}});
    try {
        settings.require({"X_API_KEY", "AUTH_USER", "AUTH_PASS", "RUSTFS_SECRET_KEY"});
        FAIL("require accepted missing settings");
    } catch (const e2e::SettingsError& error) {
        const std::string text = error.what();
        CHECK_THAT(text, ContainsSubstring("X_API_KEY, AUTH_PASS, RUSTFS_SECRET_KEY"));
        CHECK_THAT(text, !ContainsSubstring("AUTH_USER"));
    }
    CHECK_NOTHROW(settings.require({"AUTH_USER"}));
}

TEST_CASE("settings errors never show the value of a secret", "[settings]") {
    const auto settings = from({{"JWT_SECRET_KEY_TTL", "s3cr3t-value"}, {"AUTH_PASS", "hunter2-not-a-number"}});
    CHECK_THROWS_WITH(settings.integer("JWT_SECRET_KEY_TTL"), !ContainsSubstring("s3cr3t-value") && ContainsSubstring("JWT_SECRET_KEY_TTL=***"));
    CHECK_THROWS_WITH(settings.number("AUTH_PASS"), !ContainsSubstring("hunter2"));
}

TEST_CASE("settings overrides win over every layer", "[settings]") {
    auto settings = from({{"MODE", "docker"}});
    settings.set("MODE", "containerd");
    CHECK(settings.str("MODE") == "containerd");
    CHECK(settings.lookup("MODE")->origin == "override");
    CHECK(settings.names() == std::vector<std::string>{"MODE"});
}

TEST_CASE("url parsing rejects what is not an absolute http url", "[settings]") {
    CHECK_FALSE(e2e::parse_url("ftp://host/x").has_value());
    CHECK_FALSE(e2e::parse_url("https://").has_value());
    CHECK_FALSE(e2e::parse_url("https://user@host/").has_value());
    CHECK_FALSE(e2e::parse_url("https://host:0/").has_value());
    CHECK_FALSE(e2e::parse_url("http://[::1/").has_value());
    REQUIRE(e2e::parse_url("HTTP://Host:81?q=1#frag").has_value());
    CHECK(e2e::parse_url("HTTP://Host:81?q=1#frag")->target == "/?q=1");
}
