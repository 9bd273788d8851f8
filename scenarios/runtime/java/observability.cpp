// RTJ-002 and RTJ-003: the Java worker's logs in VictoriaLogs (contract 1.10). Stricter than ESB's
// suite: only records whose container_name is exactly lambda-echo-java count for RTJ-002 (the
// LogsQL phrase filter also matches longer names), and RTJ-003 requires each of the four
// CloudWatch events exactly once with its level. Waits poll with the contract's 45 s log budget.
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <random>

#include "e2e/matchers.hpp"
#include "e2e/scenario.hpp"

using namespace std::chrono_literals;

namespace {

constexpr auto kLogWait = 45s;  // contract 4.1: log wait timeout

std::string field(const e2e::Json& hit, std::string_view name) {
    const auto value = hit.find(name);
    return value && value->is_string() ? value->str() : std::string();
}

std::string upper_level(const e2e::Json& hit) {  // RTJ-002/003 upper-case the level
    auto level = field(hit, "level");
    std::transform(level.begin(), level.end(), level.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return level;
}

}  // namespace

TEST_CASE("java echo function writes logs with the trace and a DEBUG record", "[runtime][RTJ-002]" E2E_RUNTIME_TAG "[docker]") {
    const std::string root = e2e::new_trace_root();
    auto res = e2e::gateway().post("/api/echo-java", {{"message", "Log quality test"}}, e2e::token(),
                                   {{"X-Amzn-Trace-Id", "Root=" + root + ";Sampled=1"}});
    REQUIRE_THAT(res, e2e::Status(200));

    const auto found = e2e::eventually(e2e::deadline_in(kLogWait), [&](std::string& seen) -> std::optional<std::vector<e2e::Json>> {
        const auto hits = e2e::logs().query({{"trace_id", root}, {"container_name", "lambda-echo-java"}});
        std::vector<e2e::Json> own;
        for (const auto& hit : hits) {
            if (field(hit, "container_name") == "lambda-echo-java") own.push_back(hit);
        }
        const bool echoed = std::any_of(own.begin(), own.end(), [](const e2e::Json& hit) {
            return e2e::log_message(hit).value_or("").find("Echo: Log quality test") != std::string::npos;
        });
        const bool debug = std::any_of(own.begin(), own.end(), [](const e2e::Json& hit) { return upper_level(hit) == "DEBUG"; });
        const bool timed = std::any_of(own.begin(), own.end(), [](const e2e::Json& hit) { return hit.has("_time"); });
        seen = std::to_string(hits.size()) + " records, " + std::to_string(own.size()) + " from lambda-echo-java; echo message=" +
               (echoed ? "yes" : "no") + " DEBUG=" + (debug ? "yes" : "no") + " _time=" + (timed ? "yes" : "no");
        if (own.size() >= 2 && echoed && debug && timed) return own;
        return std::nullopt;
    });
    INFO("trace " << root << ": " << found.describe());
    REQUIRE(found.ok());
}

TEST_CASE("java CloudWatch Logs passthrough stores each event exactly once", "[runtime][RTJ-003]" E2E_RUNTIME_TAG "[docker]") {
    auto res = e2e::gateway().post("/api/connectivity/java", {{"action", "test_cloudwatch"}}, e2e::token());
    REQUIRE_THAT(res, e2e::Status(200));
    const auto payload = e2e::Json::parse(res.body);
    REQUIRE_THAT(payload, e2e::Field("success", true));
    const auto group = payload.str("log_group");
    const auto stream = payload.str("log_stream");
    REQUIRE_FALSE(group.empty());
    REQUIRE_FALSE(stream.empty());
    const e2e::LogFilters filters{{"logger", "cloudwatch.logs.java"}, {"log_group", group}, {"log_stream", stream}};

    struct Event {
        std::string level;
        std::string message;
    };
    const std::array<Event, 4> events{{{"INFO", "Java CloudWatch log test"},
                                       {"DEBUG", "Debug log from java connectivity"},
                                       {"ERROR", "Error log from java connectivity"},
                                       {"INFO", "CloudWatch Logs E2E verification successful!"}}};
    const auto matches = [](const Event& event, const e2e::Json& hit) {
        return upper_level(hit) == event.level && e2e::log_message(hit).value_or("") == event.message;
    };
    const auto describe = [](const std::vector<e2e::Json>& hits) {
        std::string out;
        for (const auto& hit : hits) out += "\n  " + hit.excerpt(300);
        return out;
    };

    // Poll until the four events are there, then read once more and require no duplicates.
    const auto all = e2e::eventually(e2e::deadline_in(kLogWait), [&](std::string& seen) -> std::optional<bool> {
        const auto hits = e2e::logs().query(filters, {.limit = 20});
        std::size_t present = 0;
        for (const auto& event : events) {
            present += std::any_of(hits.begin(), hits.end(), [&](const e2e::Json& hit) { return matches(event, hit); }) ? 1 : 0;
        }
        seen = std::to_string(present) + " of 4 events among " + std::to_string(hits.size()) + " records:" + describe(hits);
        if (present == events.size()) return true;
        return std::nullopt;
    });
    INFO(e2e::build_logsql(filters) << ": " << all.describe());
    REQUIRE(all.ok());

    const auto hits = e2e::logs().query(filters, {.limit = 20});
    INFO("records:" << describe(hits));
    CHECK(hits.size() == 4);
    for (const auto& event : events) {
        INFO("event: [" << event.level << "] " << event.message);
        CHECK(std::count_if(hits.begin(), hits.end(), [&](const e2e::Json& hit) { return matches(event, hit); }) == 1);
    }
    for (const auto& hit : hits) CHECK(field(hit, "container_name") == "lambda-connectivity-java");
}
