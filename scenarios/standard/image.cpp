// The container-image function lambda-image (contract 2.12 and 5.4, STD-010 and STD-027..029).
// E2E_IMAGE_TEST_EXPECT_SUCCESS false (0/false/no/off) selects the failure mode: STD-010 then
// expects an IMAGE_* error and STD-027..029 skip naming the variable.
#include <algorithm>
#include <array>
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers.hpp>
#include <cctype>
#include <chrono>
#include <optional>
#include <random>
#include <string>
#include <thread>

#include "e2e/matchers.hpp"
#include "e2e/scenario.hpp"

namespace {

constexpr std::chrono::seconds kLogLatency{45};  // contract 5.1 H7
constexpr std::string_view kBucket = "e2e-test-bucket";

// Contract 4.1: success expected unless the value (trimmed, lower-case) is 0/false/no/off.
bool expect_success() {
    std::string value = e2e::settings().raw("E2E_IMAGE_TEST_EXPECT_SUCCESS").value_or("1");
    value.erase(0, value.find_first_not_of(" \t\r\n"));
    value.erase(value.find_last_not_of(" \t\r\n") + 1);
    std::transform(value.begin(), value.end(), value.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return value != "0" && value != "false" && value != "no" && value != "off";
}

std::string expected_logger() { return e2e::settings().str("E2E_IMAGE_EXPECTED_LOGGER", "cloudwatch.logs.python"); }

// The image's handler follows its runtime, as the CloudWatch logger does: cloudwatch.logs.<rt>
// -> esb-e2e-image-<rt>.
std::string expected_handler() {
    const std::string logger = expected_logger();
    return "esb-e2e-image-" + logger.substr(logger.rfind('.') + 1);
}

void skip_in_failure_mode() {
    if (!expect_success())
        SKIP("E2E_IMAGE_TEST_EXPECT_SUCCESS is false (failure mode): this case needs a working image function");
}

// Contract H11: up to 20 attempts; a transport error or a 500/502/503/504 waits 2 s and retries
// (an image pull may still be running); any other answer returns. The last 5xx answer is returned;
// with no answer at all the last transport error propagates.
e2e::HttpResponse invoke_image(const e2e::Json& payload) {
    constexpr int kAttempts = 20;
    constexpr std::chrono::seconds kInterval{2};
    std::optional<e2e::HttpResponse> last;
    for (int attempt = 1; attempt <= kAttempts; ++attempt) {
        try {
            auto res = e2e::gateway().post("/api/image", payload, e2e::token());
            if (res.status != 500 && res.status != 502 && res.status != 503 && res.status != 504) return res;
            last = std::move(res);
        } catch (const e2e::HttpError&) {
            if (attempt == kAttempts && !last) throw;
        }
        if (attempt < kAttempts) std::this_thread::sleep_for(kInterval);
    }
    return *last;
}

e2e::Json require_success(const e2e::HttpResponse& res) {
    REQUIRE_THAT(res, e2e::Status(200));
    const auto body = e2e::Json::parse(res.body);
    REQUIRE_THAT(body, e2e::Field("success", true));
    return body;
}

}  // namespace

TEST_CASE("image function answers the basic invocation", "[standard][STD-010]") {
    const auto res = invoke_image(e2e::Json::object({{"message", "hello-image"}}));
    if (!expect_success()) {
        REQUIRE(res.status >= 500);
        constexpr std::array<std::string_view, 4> kCodes{"IMAGE_PULL_FAILED", "IMAGE_AUTH_FAILED", "IMAGE_PUSH_FAILED",
                                                         "IMAGE_DIGEST_MISMATCH"};
        INFO("body: " << res.body);
        CHECK(std::any_of(kCodes.begin(), kCodes.end(),
                          [&](std::string_view code) { return res.body.find(code) != std::string::npos; }));
        return;
    }
    // ESB accepts any 200 whose body lacks `success` (contract 7.3); here the echo answer is checked.
    const auto body = require_success(res);
    CHECK_THAT(body, e2e::Field("action", "echo"));
    CHECK_THAT(body, e2e::Field("message", "hello-image"));
    CHECK_THAT(body, e2e::Field("handler", expected_handler()));
}

TEST_CASE("image function chain invokes the echo function", "[standard][STD-027]") {
    skip_in_failure_mode();
    const auto body = require_success(invoke_image(
        e2e::Json::object({{"action", "chain_invoke"}, {"target", "lambda-echo"}, {"message", "from-image-chain"}})));
    REQUIRE_THAT(body, e2e::FieldType("chain", e2e::JsonType::object));
    CHECK_THAT(body, e2e::Field("chain.status_code", 200));
    REQUIRE_THAT(body, e2e::FieldType("chain.child", e2e::JsonType::object));
    CHECK_THAT(body, e2e::Field("chain.child.statusCode", 200));

    // `child.body`: a JSON string (parsed; ESB defaults a missing one to {}) or an object.
    const auto raw = body.find("chain.child.body");
    const e2e::Json child_body = !raw ? e2e::Json::object() : raw->is_string() ? raw->decoded() : *raw;
    INFO("child body: " << child_body.excerpt());
    REQUIRE(child_body.is_object());
    CHECK_THAT(child_body, e2e::Field("success", true));
    CHECK_THAT(child_body, e2e::Field("message", "Echo: from-image-chain"));
}

TEST_CASE("image function round trips an object through S3", "[standard][STD-028]") {
    skip_in_failure_mode();
    const std::string key = "image-" + e2e::random_hex(8) + ".txt";
    const auto body = require_success(invoke_image(e2e::Json::object(
        {{"action", "s3_roundtrip"}, {"bucket", kBucket}, {"key", key}, {"content", "from-image-s3"}})));
    REQUIRE_THAT(body, e2e::FieldType("s3", e2e::JsonType::object));
    CHECK_THAT(body, e2e::Field("s3.bucket", kBucket));
    CHECK_THAT(body, e2e::Field("s3.key", key));
    CHECK_THAT(body, e2e::Field("s3.content", "from-image-s3"));

    // Deliberate improvement: the object is read back from S3 itself.
    const auto got = e2e::s3().get_object(kBucket, key);
    INFO("GetObject: " << (got.ok() ? std::string("ok") : e2e::to_string(got.error())));
    REQUIRE(got.ok());
    CHECK(got->body == "from-image-s3");
}

TEST_CASE("image function CloudWatch records reach VictoriaLogs with the expected logger", "[standard][STD-029]") {
    skip_in_failure_mode();
    const std::string marker = "image-cloudwatch-" + e2e::random_hex(32);
    const auto body = require_success(invoke_image(e2e::Json::object({{"action", "test_cloudwatch"}, {"marker", marker}})));
    REQUIRE_THAT(body, e2e::FieldType("cloudwatch", e2e::JsonType::object));
    REQUIRE_THAT(body, e2e::FieldType("cloudwatch.log_group", e2e::JsonType::string));
    REQUIRE_THAT(body, e2e::FieldType("cloudwatch.log_stream", e2e::JsonType::string));
    const std::string log_group = body.str("cloudwatch.log_group");
    const std::string log_stream = body.str("cloudwatch.log_stream");
    REQUIRE_FALSE(log_group.empty());
    REQUIRE_FALSE(log_stream.empty());

    auto wait = e2e::logs().wait_for_hits({{"container_name", "lambda-image"},
                                           {"logger", expected_logger()},
                                           {"log_group", log_group},
                                           {"log_stream", log_stream}},
                                          e2e::deadline_in(kLogLatency), {}, [&](const e2e::Json& hit) {
                                              const auto has = [&](std::string_view field) {
                                                  const auto value = hit.find(field);
                                                  return value && value->is_string() &&
                                                         value->str().find(marker) != std::string::npos;
                                              };
                                              return has("message") || has("_msg");
                                          });
    INFO(wait.describe());
    CHECK(wait.matched);
}
