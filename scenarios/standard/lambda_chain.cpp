// Chained invocations through lambda-integration (contract 2.9 and 5.4, STD-011 and STD-012).
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers.hpp>
#include <chrono>
#include <string>

#include "e2e/matchers.hpp"
#include "e2e/scenario.hpp"

namespace {

// The ingestion latency the contract tolerates for log records (5.1 H7); a pass returns at once.
constexpr std::chrono::seconds kLogLatency{45};

// Contract 3: the text before the first ';' with `Root=` removed.
std::string trace_root(const std::string& trace_id) {
    std::string root = trace_id.substr(0, trace_id.find(';'));
    if (const auto at = root.find("Root="); at != std::string::npos) root.erase(at, 5);
    return root;
}

}  // namespace

TEST_CASE("lambda integration synchronously invokes the echo function", "[standard][STD-011]") {
    auto res = e2e::gateway().post("/api/lambda", {{"next_target", "lambda-echo"}}, e2e::token());
    REQUIRE_THAT(res, e2e::Status(200));
    const auto body = e2e::Json::parse(res.body);
    CHECK_THAT(body, e2e::Field("success", true));
    REQUIRE_THAT(body, e2e::FieldType("child", e2e::JsonType::object));
    CHECK_THAT(body, e2e::Field("child.statusCode", 200));

    // `child.body` parsed as JSON (ESB defaults a missing body to {}, which then fails below).
    const auto child_body = body.has("child.body") ? body.decoded("child.body") : e2e::Json::object();
    INFO("child body: " << child_body.excerpt());
    CHECK_THAT(child_body, e2e::Field("success", true));
    CHECK_THAT(child_body, e2e::Field("message", "Echo: from-chain"));
}

TEST_CASE("lambda integration asynchronous chain logs the echo under the same trace", "[standard][STD-012]") {
    auto res = e2e::gateway().post("/api/lambda", {{"next_target", "lambda-echo"}, {"async", true}}, e2e::token());
    REQUIRE_THAT(res, e2e::Status(200));
    const auto body = e2e::Json::parse(res.body);
    CHECK_THAT(body, e2e::Field("success", true));
    CHECK_THAT(body, e2e::Field("child.status", "async-started"));
    CHECK_THAT(body, e2e::Field("child.status_code", 202));
    REQUIRE_THAT(body, e2e::FieldType("trace_id", e2e::JsonType::string));
    const std::string root = trace_root(body.str("trace_id"));
    INFO("trace_id: " << body.str("trace_id") << " root: " << root);
    REQUIRE_FALSE(root.empty());
    REQUIRE(root != "not-found");

    // The child runs after the 202: its records arrive later, so poll with a deadline.
    auto wait = e2e::logs().wait_for_hits({{"trace_id", root}, {"container_name", "lambda-echo"}},
                                          e2e::deadline_in(kLogLatency), {}, [](const e2e::Json& hit) {
                                              return e2e::log_message(hit).value_or("").find("Echo: from-chain") !=
                                                     std::string::npos;
                                          });
    INFO(wait.describe());
    CHECK(wait.matched);
}
