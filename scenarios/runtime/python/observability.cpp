// RTP-002 and RTP-003: the Python worker's logs in VictoriaLogs (contract 1.10). Stricter than
// ESB's suite: RTP-002 counts only the function's own records (container_name lambda-echo; ESB's
// flags are satisfied by gateway records and its UNKNOWN check is vacuous), RTP-003 requires each of
// the four CloudWatch events exactly once with its level. Waits poll with the contract's 45 s log
// budget and return as soon as the records are there.
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers.hpp>

#include <algorithm>
#include <array>
#include <cstdio>
#include <random>
#include <set>

#include "e2e/matchers.hpp"
#include "e2e/scenario.hpp"

using namespace std::chrono_literals;

namespace {

constexpr auto kLogWait = 45s;  // contract 4.1: log wait timeout

std::string field(const e2e::Json& hit, std::string_view name) {
    const auto value = hit.find(name);
    return value && value->is_string() ? value->str() : std::string();
}

}  // namespace

TEST_CASE("python echo function writes structured logs with the trace and a DEBUG record", "[runtime][RTP-002]" E2E_RUNTIME_TAG "[docker]") {
    const std::string root = e2e::new_trace_root();
    auto res = e2e::gateway().post("/api/echo", {{"message", "Log quality test"}}, e2e::token(),
                                   {{"X-Amzn-Trace-Id", "Root=" + root + ";Sampled=1"}});
    REQUIRE_THAT(res, e2e::Status(200));

    // H8: every record of the trace; the flags are computed over lambda-echo's records only.
    const auto found = e2e::eventually(e2e::deadline_in(kLogWait), [&](std::string& seen) -> std::optional<std::vector<e2e::Json>> {
        auto hits = e2e::logs().query({{"trace_id", root}});
        bool structured = false, timed = false, debug = false, echoed = false;
        std::size_t function_records = 0;
        for (const auto& hit : hits) {
            if (field(hit, "container_name") != "lambda-echo") continue;
            ++function_records;
            const auto message = e2e::log_message(hit);
            structured = structured || (hit.has("level") && message.has_value());
            timed = timed || (hit.has("_time") && (hit.at("_time").is_string() || hit.at("_time").is_number()));
            debug = debug || field(hit, "level") == "DEBUG" || field(hit, "level") == "debug";
            echoed = echoed || message.value_or("") == "Echo: Log quality test";
        }
        seen = std::to_string(hits.size()) + " records of the trace, " + std::to_string(function_records) +
               " from lambda-echo; structured=" + (structured ? "yes" : "no") + " _time=" + (timed ? "yes" : "no") +
               " DEBUG=" + (debug ? "yes" : "no") + " echo message=" + (echoed ? "yes" : "no");
        if (structured && timed && debug && echoed) return hits;
        return std::nullopt;
    });
    INFO("trace " << root << ": " << found.describe());
    REQUIRE(found.ok());
    for (const auto& hit : *found.value) {
        const auto container = field(hit, "container_name");
        INFO("record: " << hit.excerpt());
        CHECK(container != "UNKNOWN");
        CHECK(container != "lambda-unknown");  // the stdout hook's real fallback name (contract 7.3)
    }
}

TEST_CASE("python CloudWatch Logs passthrough stores each event exactly once", "[runtime][RTP-003]" E2E_RUNTIME_TAG "[docker]") {
    // The unauthenticated Lambda invoke API (contract 1.8), as ESB's suite calls it.
    auto res = e2e::gateway().post("/2015-03-31/functions/lambda-connectivity/invocations",
                                   e2e::Json::object({{"body", R"({"action": "test_cloudwatch"})"}}));
    REQUIRE_THAT(res, e2e::Status(200));
    const auto payload = e2e::Json::parse(res.body).decoded("body");
    REQUIRE_THAT(payload, e2e::Field("success", true));
    const auto group = payload.str("log_group");
    const auto stream = payload.str("log_stream");
    const std::string query =
        "logger:cloudwatch.logs.python AND log_group:" + e2e::logsql_quote(group) + " AND log_stream:" + e2e::logsql_quote(stream);

    struct Event {
        std::string level;
        std::string message;  // the stored _msg (level prefix stripped); the first one is a prefix
        bool prefix;
    };
    const std::array<Event, 4> events{{{"INFO", "Test log from Lambda at ", true},
                                       {"DEBUG", "This is a debug message", false},
                                       {"ERROR", "This is an error message", false},
                                       {"INFO", "CloudWatch Logs E2E verification successful!", false}}};
    const auto matches = [](const Event& event, const e2e::Json& hit) {
        const auto message = field(hit, "_msg");  // RTP-003 reads only _msg
        return field(hit, "level") == event.level && (event.prefix ? message.starts_with(event.message) : message == event.message);
    };
    const auto describe = [](const std::vector<e2e::Json>& hits) {
        std::string out;
        for (const auto& hit : hits) out += "\n  " + hit.excerpt(300);
        return out;
    };

    // Poll until all four events are there, then read once more: a duplicate stored with or after
    // the fourth event is counted (ESB's query stops at four records and misses late duplicates).
    const auto all = e2e::eventually(e2e::deadline_in(kLogWait), [&](std::string& seen) -> std::optional<bool> {
        const auto hits = e2e::logs().query(query, {.limit = 20});
        std::size_t present = 0;
        for (const auto& event : events) {
            present += std::any_of(hits.begin(), hits.end(), [&](const e2e::Json& hit) { return matches(event, hit); }) ? 1 : 0;
        }
        seen = std::to_string(present) + " of 4 events among " + std::to_string(hits.size()) + " records:" + describe(hits);
        if (present == events.size()) return true;
        return std::nullopt;
    });
    INFO(query << ": " << all.describe());
    REQUIRE(all.ok());

    const auto hits = e2e::logs().query(query, {.limit = 20});
    INFO("records:" << describe(hits));
    CHECK(hits.size() == 4);
    for (const auto& event : events) {
        INFO("event: [" << event.level << "] " << event.message);
        CHECK(std::count_if(hits.begin(), hits.end(), [&](const e2e::Json& hit) { return matches(event, hit); }) == 1);
    }
    std::set<std::pair<std::string, std::string>> pairs;
    for (const auto& hit : hits) {
        pairs.emplace(field(hit, "level"), field(hit, "_msg"));
        CHECK(field(hit, "container_name") == "lambda-connectivity");
    }
    CHECK(pairs.size() == hits.size());
}
