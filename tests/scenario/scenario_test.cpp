#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <unistd.h>

#include "e2e/scenario.hpp"

using Catch::Matchers::ContainsSubstring;
using namespace std::chrono_literals;

namespace {

const std::map<std::string, std::string, std::less<>> kCredentials{
    {"X_API_KEY", "k"}, {"AUTH_USER", "u"}, {"AUTH_PASS", "p"}};

std::string run(const std::string& command) {
    std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
    if (!pipe) throw std::runtime_error("popen failed: " + command);
    std::string output;
    std::array<char, 4096> buffer{};
    while (const auto n = std::fread(buffer.data(), 1, buffer.size(), pipe.get())) output.append(buffer.data(), n);
    return output;
}

}  // namespace

TEST_CASE("scenario settings report every missing credential at once", "[scenario][settings]") {
    try {
        (void)e2e::load_scenario_settings(std::map<std::string, std::string, std::less<>>{});
        FAIL("no error");
    } catch (const e2e::SettingsError& error) {
        CHECK_THAT(error.what(), ContainsSubstring("X_API_KEY") && ContainsSubstring("AUTH_USER") &&
                                     ContainsSubstring("AUTH_PASS"));
    }
}

TEST_CASE("scenario settings fill the contract defaults", "[scenario][settings]") {
    const auto settings = e2e::load_scenario_settings(kCredentials);
    CHECK(settings.str("GATEWAY_URL") == "https://localhost:443");
    CHECK(settings.str("VICTORIALOGS_URL") == "http://localhost:9428");
    CHECK(settings.str("AGENT_METRICS_URL") == "http://localhost:9091");
    CHECK(settings.str("AUTH_ENDPOINT_PATH") == "/user/auth/v1");
    CHECK(settings.integer("GATEWAY_IDLE_TIMEOUT_SECONDS") == 300);
    CHECK_FALSE(settings.flag("VERIFY_SSL"));
    CHECK(settings.str("MODE") == "docker");
}

TEST_CASE("scenario settings layer the env file under the environment", "[scenario][settings]") {
    const auto file = std::filesystem::temp_directory_path() / ("e2e-scenario-" + std::to_string(::getpid()) + ".env");
    {
        std::ofstream out(file);
        out << "GATEWAY_PORT=8443\nVICTORIALOGS_URL=http://127.0.0.1:1234\nX_API_KEY=from-file\nAUTH_USER=file-user\n";
    }
    auto environment = kCredentials;
    environment.erase("X_API_KEY");
    environment["E2E_ENV_FILE"] = file.string();
    environment["AUTH_USER"] = "env-user";
    const auto settings = e2e::load_scenario_settings(environment);
    std::filesystem::remove(file);
    CHECK(settings.str("GATEWAY_URL") == "https://localhost:8443");  // derived from the file's port
    CHECK(settings.str("VICTORIALOGS_URL") == "http://127.0.0.1:1234");
    CHECK(settings.str("X_API_KEY") == "from-file");
    CHECK(settings.str("AUTH_USER") == "env-user");  // the environment wins over the file
}

TEST_CASE("scenario settings name an unreadable env file", "[scenario][settings]") {
    auto environment = kCredentials;
    environment["E2E_ENV_FILE"] = "/nonexistent/ready.env";
    CHECK_THROWS_WITH(e2e::load_scenario_settings(environment), ContainsSubstring("E2E_ENV_FILE=/nonexistent/ready.env"));
}

TEST_CASE("eventually returns the value once the condition holds", "[scenario][eventually]") {
    int calls = 0;
    const auto result = e2e::eventually(e2e::deadline_in(5s), [&]() -> std::optional<int> {
        ++calls;
        if (calls < 3) return std::nullopt;
        return calls * 10;
    }, {.interval = 1ms});
    REQUIRE(result.ok());
    CHECK(*result.value == 30);
    CHECK(result.attempts == 3);
}

TEST_CASE("eventually reports what it last saw at the deadline", "[scenario][eventually]") {
    int calls = 0;
    const auto result = e2e::eventually(e2e::deadline_in(30ms), [&](std::string& seen) {
        seen = "attempt " + std::to_string(++calls);
        if (calls == 1) throw std::runtime_error("boom");
        return false;
    }, {.interval = 5ms});
    CHECK_FALSE(result.ok());
    CHECK(result.attempts >= 2);
    CHECK(result.last_seen == "attempt " + std::to_string(calls));
    CHECK_THAT(result.describe(), ContainsSubstring("never held") && ContainsSubstring("last seen: attempt"));
}

TEST_CASE("eventually makes one attempt even past the deadline", "[scenario][eventually]") {
    const auto result = e2e::eventually(e2e::deadline_in(-1s), [] { return std::optional<std::string>("x"); });
    REQUIRE(result.ok());
    CHECK(result.attempts == 1);
}

TEST_CASE("runtime helpers build the connectivity path and tags", "[scenario][runtime]") {
    const e2e::Runtime python("python");
    CHECK(python.connectivity_path() == "/api/connectivity/python");
    CHECK(python.tag("smoke") == "smoke-python");
    CHECK_THROWS_AS(e2e::Runtime("platform").connectivity_path(), std::logic_error);
}

TEST_CASE("child success follows the contract rules", "[scenario][helpers]") {
    // Only the passing shapes here; the failing ones would fail this test case by design.
    e2e::assert_child_success(e2e::Json::parse(R"({"statusCode":200,"body":"{\"success\": true}"})"));
    e2e::assert_child_success(e2e::Json::parse(R"({"success":true})"));
    e2e::assert_child_success(e2e::Json::parse(R"("{\"any\": 1}")"));
}

TEST_CASE("failure listener attaches redacted exchanges and a curl line to JUnit", "[scenario][listener]") {
    const std::string report = run(std::string("'") + E2E_FAILURE_PROBE + "' '[probe]' --reporter JUnit 2>&1");
    INFO(report);
    CHECK_THAT(report, ContainsSubstring("<failure"));
    CHECK_THAT(report, ContainsSubstring("HTTP exchanges of this test case"));
    CHECK_THAT(report, ContainsSubstring("reproduce the last one: curl"));
    CHECK_THAT(report, ContainsSubstring("http://127.0.0.1:1/user/auth/v1"));  // the real, failed request
    for (const char* secret : {"SECRET-AUTH-PASS-1", "SECRET-TOKEN-2", "SECRET-API-KEY-3", "SECRET-SIG-4", "SECRET-S3-KEY-5"}) {
        CHECK_THAT(report, !ContainsSubstring(secret));
    }
}

TEST_CASE("failure listener output reaches the console reporter", "[scenario][listener]") {
    const std::string report = run(std::string("'") + E2E_FAILURE_PROBE + "' '[probe]' 2>&1");
    INFO(report);
    CHECK_THAT(report, ContainsSubstring("reproduce the last one: curl"));
    CHECK_THAT(report, !ContainsSubstring("SECRET-"));
}
