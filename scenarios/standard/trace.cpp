// Trace and request-ID propagation across chained invocations (contract 3 and 5.4, STD-009 and
// STD-026), observed in VictoriaLogs.
#include <algorithm>
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers.hpp>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "e2e/matchers.hpp"
#include "e2e/scenario.hpp"

namespace {

constexpr std::chrono::seconds kLogLatency{45};  // contract 5.1 H7

std::string replace_all(std::string text, std::string_view from) {
    for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at)) text.erase(at, from.size());
    return text;
}

bool is_hex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }

// Python's int(text, 16) for ASCII input: surrounding whitespace, an optional sign, an optional
// 0x prefix, then hex digits with single underscores between them (or after the prefix).
bool python_int16(std::string_view text) {
    const auto first = text.find_first_not_of(" \t\n\r\f\v");
    if (first == std::string_view::npos) return false;
    text = text.substr(first, text.find_last_not_of(" \t\n\r\f\v") - first + 1);
    if (text.front() == '+' || text.front() == '-') text.remove_prefix(1);
    bool after_prefix = false;
    if (text.size() >= 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
        text.remove_prefix(2);
        after_prefix = true;
    }
    if (text.empty()) return false;
    bool previous_digit = after_prefix;  // `0x_1` is valid, `_1` is not
    bool any_digit = false;
    for (const char c : text) {
        if (c == '_') {
            if (!previous_digit) return false;
            previous_digit = false;
        } else if (is_hex(c)) {
            previous_digit = true;
            any_digit = true;
        } else {
            return false;
        }
    }
    return any_digit && previous_digit;
}

// Python's uuid.UUID(str(x)): drop every `urn:` and `uuid:`, strip `{}` from both ends, drop every
// `-`; then exactly 32 characters that int(_, 16) accepts (contract 3, "valid UUID").
bool python_uuid_valid(const std::string& text) {
    std::string hex = replace_all(replace_all(text, "urn:"), "uuid:");
    const auto first = hex.find_first_not_of("{}");
    hex = first == std::string::npos ? std::string() : hex.substr(first, hex.find_last_not_of("{}") - first + 1);
    hex = replace_all(hex, "-");
    return hex.size() == 32 && python_int16(hex);
}

bool contains(const e2e::Json& hit, std::string_view field, std::string_view needle) {
    const auto value = hit.find(field);
    return value && value->is_string() && value->str().find(needle) != std::string::npos;
}

std::string field_or_empty(const e2e::Json& hit, std::string_view field) {
    const auto value = hit.find(field);
    return value && value->is_string() ? value->str() : std::string();
}

std::string join(const std::set<std::string>& values) {
    std::string out;
    for (const auto& value : values) out += (out.empty() ? "" : ", ") + value;
    return "{" + out + "}";
}

}  // namespace

TEST_CASE("chained invocation request IDs are distinct valid UUIDs under one trace", "[standard][STD-009]") {
    const std::string root = e2e::new_trace_root();
    INFO("trace root: " << root);
    auto res = e2e::gateway().post("/api/lambda",
                                   {{"next_target", "lambda-echo"}, {"message", "Chain Verification " + e2e::random_hex(12)}},
                                   e2e::token(), {{"X-Amzn-Trace-Id", "Root=" + root + ";Sampled=1"}});
    REQUIRE_THAT(res, e2e::Status(200));
    REQUIRE_THAT(e2e::Json::parse(res.body), e2e::Field("success", true));

    // ESB's classification, accumulated across polls: gateway, else integration, else echo.
    std::vector<e2e::Json> gateway_hits, integration_hits, echo_hits;
    std::set<std::string> seen_records;  // a record is counted once even when a later poll returns it again
    const std::string query = "trace_id:" + e2e::logsql_quote(root);
    auto all_three = e2e::eventually(e2e::deadline_in(kLogLatency), [&](std::string& seen) {
        for (const auto& hit : e2e::logs().query(query, {.limit = 100})) {
            if (!seen_records.insert(hit.dump()).second) continue;
            if (contains(hit, "container_name", "gateway") || field_or_empty(hit, "job") == "gateway") {
                gateway_hits.push_back(hit);
            } else if (contains(hit, "container_name", "lambda-integration")) {
                integration_hits.push_back(hit);
            } else if (contains(hit, "container_name", "lambda-echo")) {
                echo_hits.push_back(hit);
            }
        }
        seen = "gateway " + std::to_string(gateway_hits.size()) + ", lambda-integration " +
               std::to_string(integration_hits.size()) + ", lambda-echo " + std::to_string(echo_hits.size()) + " records";
        return !gateway_hits.empty() && !integration_hits.empty() && !echo_hits.empty();
    });
    INFO(all_three.describe());
    CHECK_FALSE(gateway_hits.empty());
    CHECK_FALSE(integration_hits.empty());
    REQUIRE_FALSE(echo_hits.empty());

    const auto request_ids = [](const std::vector<e2e::Json>& hits) {
        std::set<std::string> ids;
        for (const auto& hit : hits) {
            // str(x) of any present value, as the suite does; VictoriaLogs stores strings.
            if (const auto id = hit.find("aws_request_id"); id && !id->is_null()) {
                const std::string text = id->is_string() ? id->str() : id->dump();
                if (!text.empty()) ids.insert(text);
            }
        }
        return ids;
    };
    const auto integration_ids = request_ids(integration_hits);
    const auto echo_ids = request_ids(echo_hits);
    INFO("lambda-integration ids " << join(integration_ids) << " lambda-echo ids " << join(echo_ids));
    REQUIRE_FALSE(integration_ids.empty());
    REQUIRE_FALSE(echo_ids.empty());
    for (const auto& id : integration_ids) CHECK(python_uuid_valid(id));
    for (const auto& id : echo_ids) CHECK(python_uuid_valid(id));
    std::vector<std::string> shared;
    std::set_intersection(integration_ids.begin(), integration_ids.end(), echo_ids.begin(), echo_ids.end(),
                          std::back_inserter(shared));
    CHECK(shared.empty());
}

TEST_CASE("trace root is consistent across gateway and chained functions via the invoke API", "[standard][STD-026]") {
    // One second earlier than now, so the truncated `start` can never exclude this test's records.
    const auto start = std::chrono::system_clock::now() - std::chrono::seconds(1);
    const std::string root = e2e::new_trace_root();
    INFO("trace root: " << root);
    auto res = e2e::gateway().post("/2015-03-31/functions/lambda-integration/invocations",
                                   {{"next_target", "lambda-connectivity"}}, e2e::token(),
                                   {{"X-Amzn-Trace-Id", "Root=" + root + ";Sampled=1"}});
    REQUIRE_THAT(res, e2e::Status(200));
    const auto payload = e2e::Json::parse(res.body);
    REQUIRE_THAT(payload, e2e::FieldType("body", e2e::JsonType::string));
    const auto body = payload.decoded("body");
    REQUIRE_THAT(body, e2e::FieldType("trace_id", e2e::JsonType::string));
    CHECK(body.str("trace_id") != "not-found");
    CHECK_THAT(body, e2e::FieldContains("trace_id", "Root=" + root));
    CHECK_THAT(body, e2e::HasField("child"));

    // ESB needs all three in one 100-record answer (contract 7.2). Here each component is queried
    // on its own (trace and container), and a component once found stays found.
    const std::vector<std::string> components{"esb-gateway", "lambda-integration", "lambda-connectivity"};
    std::set<std::string> found;
    auto all_found = e2e::eventually(e2e::deadline_in(kLogLatency), [&](std::string& seen) {
        for (const auto& component : components) {
            if (found.contains(component)) continue;
            const auto hits = e2e::logs().query({{"trace_id", root}, {"container_name", component}},
                                                {.start = start, .limit = 100});
            const bool present = std::any_of(hits.begin(), hits.end(), [&](const e2e::Json& hit) {
                return contains(hit, "container_name", component) ||
                       contains(hit, "_stream", "container_name=\"" + component + "\"");
            });
            if (present) found.insert(component);
        }
        std::set<std::string> missing;
        for (const auto& component : components)
            if (!found.contains(component)) missing.insert(component);
        seen = "missing components " + join(missing);
        return missing.empty();
    });
    INFO(all_found.describe());
    CHECK(all_found.ok());
}
