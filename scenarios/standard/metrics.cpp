// Metrics (contract 1.9, 1.11; 5.4 STD-013, STD-014): the gateway's pool and container metrics
// JSON with type-strict fields, and the agent's Prometheus exposition parsed, not grepped.
#include <algorithm>
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers.hpp>
#include <cctype>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "e2e/matchers.hpp"
#include "e2e/prometheus.hpp"
#include "e2e/scenario.hpp"

using namespace std::chrono_literals;

namespace {

std::string lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

std::string mode() {
    std::string value = e2e::settings().str("MODE", "docker");
    value.erase(0, value.find_first_not_of(" \t"));
    value.erase(value.find_last_not_of(" \t") + 1);
    return lower(value);
}

bool is_integer(const e2e::Json& value) { return value.is_integer(); }

void check_pool_entry(const e2e::Json& entry) {
    INFO("pool entry: " << entry);
    const auto integer = [](const e2e::Json& v) { return is_integer(v); };
    CHECK_THAT(entry, e2e::FieldType("function_name", e2e::JsonType::string));
    for (const char* field : {"total_workers", "idle", "busy", "provisioning", "max_capacity", "min_capacity"})
        CHECK_THAT(entry, e2e::FieldMatches(field, integer, "is an integer"));
    CHECK_THAT(entry, e2e::FieldType("acquire_timeout", e2e::JsonType::number));
    const auto total = entry.integer("total_workers");
    const auto idle = entry.integer("idle");
    CHECK(idle >= 0);
    CHECK(idle <= total);
    CHECK(entry.integer("busy") == std::max<std::int64_t>(0, total - idle));
    CHECK(entry.integer("provisioning") >= 0);
    CHECK(entry.integer("min_capacity") <= entry.integer("max_capacity"));
    CHECK(total <= entry.integer("max_capacity"));
    CHECK(entry.number("acquire_timeout") > 0);
}

}  // namespace

TEST_CASE("metrics API reports pools and containers", "[standard][STD-013]") {
    auto& gw = e2e::gateway();
    REQUIRE_THAT(gw.post("/api/echo", {{"message", "metrics"}}, e2e::token()), e2e::Status(200));

    auto pools_res = gw.get("/metrics/pools", e2e::token());
    REQUIRE_THAT(pools_res, e2e::Status(200));
    const auto pools = e2e::Json::parse(pools_res.body);
    REQUIRE_THAT(pools, e2e::FieldType("pools", e2e::JsonType::array) &&
                            e2e::FieldType("collected_at", e2e::JsonType::string));
    std::optional<e2e::Json> echo;
    std::vector<std::string> names;
    for (const auto& entry : pools.elements("pools")) {
        check_pool_entry(entry);
        if (!entry.has("function_name") || !entry.at("function_name").is_string()) continue;
        names.push_back(entry.str("function_name"));
        if (names.back() == "echo" || names.back() == "lambda-echo") echo = entry;
    }
    INFO("pools: " << pools);
    REQUIRE(echo.has_value());
    CHECK(std::is_sorted(names.begin(), names.end()));  // contract 1.9: sorted by function_name
    CHECK(echo->integer("total_workers") >= 1);

    if (mode() == "containerd") {
        // ESB: up to 10 tries 1 s apart until lambda-echo has memory_max > 0.
        std::optional<e2e::Json> container;
        e2e::HttpResponse last;
        const auto found = e2e::eventually(e2e::deadline_in(10s), [&](std::string& seen) -> std::optional<e2e::Json> {
            last = gw.get("/metrics/containers", e2e::token());
            seen = e2e::describe_response(last, 400);
            if (last.status != 200) return std::nullopt;
            for (const auto& element : e2e::Json::parse(last.body).elements("containers"))
                if (element.find("function_name") == e2e::Json::of("lambda-echo") && element.has("memory_max") &&
                    element.at("memory_max").is_number() && element.number("memory_max") > 0)
                    return element;
            return std::nullopt;
        }, {.interval = 1s});
        INFO(found.describe());
        REQUIRE(found.ok());
        const auto& entry = *found.value;
        INFO("container: " << entry);
        CHECK_THAT(entry, e2e::FieldMatches("state", [](const e2e::Json& v) {
            return v.is_string() && (v.str() == "RUNNING" || v.str() == "PAUSED");
        }, "is RUNNING or PAUSED"));
        CHECK_THAT(entry, e2e::Field("memory_max", 536870912));
        CHECK_THAT(entry, e2e::FieldMatches("memory_current", [](const e2e::Json& v) { return v.is_integer() && v.integer() >= 0; }, "is an integer >= 0"));
        CHECK_THAT(entry, e2e::FieldMatches("cpu_usage_ns", [](const e2e::Json& v) { return v.is_integer() && v.integer() >= 0; }, "is an integer >= 0"));
    } else {
        // Docker: the agent has no container metrics; the gateway must say so with 501 (ESB also
        // passes on any 501 naming docker; here the status is exact and nothing else is accepted).
        auto res = gw.get("/metrics/containers", e2e::token());
        REQUIRE_THAT(res, e2e::Status(501));
        const auto body = e2e::Json::parse(res.body);
        REQUIRE_THAT(body, e2e::FieldType("message", e2e::JsonType::string));
        const auto message = lower(body.str("message"));
        INFO("message: " << message);
        CHECK((message.find("metrics are not implemented") != std::string::npos || message.find("docker") != std::string::npos));
    }
}

TEST_CASE("agent metrics expose the Go and gRPC families", "[standard][STD-014]") {
    const auto url = e2e::settings().str("AGENT_METRICS_URL");
    auto res = e2e::aux_http().get(url + "/metrics");  // a connection error fails the case
    REQUIRE_THAT(res, e2e::Status(200));
    const auto type = res.header("Content-Type").value_or("");
    INFO("Content-Type: " << type);
    CHECK(type.starts_with("text/plain"));

    // ESB looks for four substrings; here the exposition must parse and hold the families with
    // their Prometheus types.
    const auto exposition = e2e::prometheus::parse(res.body);
    const auto check_family = [&](std::string_view name, e2e::prometheus::MetricType expected) {
        INFO("family " << name);
        const auto* family = exposition.family(name);
        REQUIRE(family != nullptr);
        CHECK(e2e::prometheus::to_string(family->type) == e2e::prometheus::to_string(expected));
        CHECK_FALSE(family->samples.empty());
    };
    check_family("go_goroutines", e2e::prometheus::MetricType::gauge);
    check_family("go_memstats_alloc_bytes", e2e::prometheus::MetricType::gauge);
    check_family("grpc_server_handled_total", e2e::prometheus::MetricType::counter);
    check_family("grpc_server_handling_seconds", e2e::prometheus::MetricType::histogram);
    CHECK(exposition.has_sample("grpc_server_handling_seconds_bucket"));
}
