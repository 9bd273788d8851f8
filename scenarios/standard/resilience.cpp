// lambda-chaos through /api/faulty (contract 2.10, 1.16; 5.4 STD-017, STD-018): warm worker reuse
// and the circuit breaker. The breaker's threshold and recovery come from the environment's knobs
// (CIRCUIT_BREAKER_THRESHOLD, CIRCUIT_BREAKER_RECOVERY_TIMEOUT); recovery is polled, not slept.
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers.hpp>
#include <chrono>
#include <optional>
#include <string>

#include "e2e/matchers.hpp"
#include "e2e/scenario.hpp"

using namespace std::chrono_literals;

namespace {

e2e::HttpResponse faulty(std::string_view action) {
    return e2e::gateway().post("/api/faulty", {{"action", action}}, e2e::token());
}

void require_hello(const e2e::HttpResponse& res) {
    REQUIRE_THAT(res, e2e::Status(200));
    CHECK_THAT(e2e::Json::parse(res.body), e2e::Field("message", "Faulty Lambda is OK") && e2e::Field("action", "hello"));
}

std::chrono::milliseconds since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
}

}  // namespace

TEST_CASE("faulty function answers repeated hello calls from a warm worker", "[standard][STD-017]") {
    for (int i = 0; i < 3; ++i) {
        INFO("call " << i);
        require_hello(faulty("hello"));  // ESB checks the status only
    }
    // The calls were served by the pool without growing it past its capacity.
    auto res = e2e::gateway().get("/metrics/pools", e2e::token());
    REQUIRE_THAT(res, e2e::Status(200));
    std::optional<e2e::Json> chaos;
    for (const auto& entry : e2e::Json::parse(res.body).elements("pools"))
        if (entry.find("function_name") == e2e::Json::of("lambda-chaos") || entry.find("function_name") == e2e::Json::of("chaos"))
            chaos = entry;
    REQUIRE(chaos.has_value());
    INFO("chaos pool: " << *chaos);
    CHECK(chaos->integer("total_workers") >= 1);
    CHECK(chaos->integer("total_workers") <= chaos->integer("max_capacity"));
}

TEST_CASE("circuit breaker opens after repeated crashes and recovers", "[standard][STD-018][slow]") {
    const auto& settings = e2e::settings();
    const auto threshold = settings.integer("CIRCUIT_BREAKER_THRESHOLD", 3);  // ESB hard-codes 3
    // Not set: 10 s, the E2E value ESB's 11 s sleep assumes (contract 4.3).
    const auto recovery = settings.duration("CIRCUIT_BREAKER_RECOVERY_TIMEOUT", 10s);
    REQUIRE(threshold >= 1);

    // Warm-up, and a closed breaker to start from: a circuit left open by an earlier run lets a
    // call through once the recovery timeout has passed, and that success closes it.
    const auto warm = e2e::eventually(e2e::deadline_in(recovery + 5s), [&](std::string& seen) {
        auto res = faulty("hello");
        seen = e2e::describe_response(res, 300);
        return res.status == 200;
    }, {.interval = 250ms});
    INFO("warm-up: " << warm.describe());
    REQUIRE(warm.ok());

    std::chrono::steady_clock::time_point last_crash_sent;
    std::chrono::steady_clock::time_point last_failure;
    for (std::int64_t i = 1; i <= threshold; ++i) {
        INFO("crash " << i << " of " << threshold);
        last_crash_sent = std::chrono::steady_clock::now();
        auto res = faulty("crash");
        last_failure = std::chrono::steady_clock::now();
        REQUIRE_THAT(res, e2e::Status(502));
        // Each failing call gets its own 502, not the open circuit's (contract 1.16).
        CHECK_FALSE(res.body.find("Circuit is open") != std::string::npos);
    }

    const auto started = std::chrono::steady_clock::now();
    auto open = faulty("hello");
    const auto fail_fast = since(started);
    REQUIRE_THAT(open, e2e::Status(502));
    CHECK_THAT(e2e::Json::parse(open.body), e2e::FieldContains("message", "Circuit is open"));
    INFO("open circuit answered in " << fail_fast.count() << " ms");
    CHECK(fail_fast < 2000ms);

    // ESB sleeps 11 s for a 10 s recovery. Here: poll until hello answers 200 again, with a
    // deadline of the recovery timeout plus 5 s; meanwhile only the open circuit's 502 is allowed.
    std::optional<std::chrono::milliseconds> admitted_after;
    std::optional<std::string> unexpected;  // the first answer that was neither 200 nor the open circuit's
    const auto recovered = e2e::eventually(last_failure + recovery + 5s, [&](std::string& seen) {
        auto res = faulty("hello");
        seen = e2e::describe_response(res, 300);
        if (res.status == 200) {
            admitted_after = since(last_crash_sent);
            return true;
        }
        if ((res.status != 502 || res.body.find("Circuit is open") == std::string::npos) && !unexpected) unexpected = seen;
        return false;
    }, {.interval = 250ms});
    INFO("recovery: " << recovered.describe());
    REQUIRE(recovered.ok());
    if (unexpected) FAIL("while open, expected 502 Circuit is open; got " << *unexpected);
    REQUIRE(admitted_after.has_value());
    INFO("first success answered " << admitted_after->count() << " ms after the last crash was sent; recovery timeout "
                                    << recovery.count() << " ms");
    // Not let through before the recovery timeout: the breaker stamped the failure after the crash
    // was sent and admitted the call before its answer arrived, so this bound needs no tolerance.
    CHECK(*admitted_after >= recovery);
    require_hello(faulty("hello"));  // closed again
}
