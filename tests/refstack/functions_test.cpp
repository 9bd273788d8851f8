// The E2E functions of the refstack (contract section 2) run in-process against a recording
// FunctionContext, with real S3 and DynamoDB services behind loopback servers: every action, its
// defaults and error shapes, the records each function logs, and each function fault switch.
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <chrono>
#include <set>
#include <string>

#include "base64.hpp"
#include "e2e/http.hpp"
#include "fake_function_context.hpp"
#include "function_runtime.hpp"
#include "functions/common.hpp"
#include "random_id.hpp"

using Catch::Matchers::ContainsSubstring;
using Catch::Matchers::Matches;
using Catch::Matchers::StartsWith;
using e2e::AttributeValue;
using e2e::Json;
using refstack::ChildInvocation;
using refstack::test::ClientCredentials;
using refstack::test::FakeFunctionContext;
using refstack::test::InvokeCall;
using refstack::test::function_services;

namespace fn = refstack::functions;

namespace {

constexpr const char* kTrace = "Root=1-65f0a1b2-0123456789abcdef01234567;Sampled=1";
constexpr const char* kBucket = "e2e-test-bucket";
constexpr const char* kTable = "e2e-test-table";
constexpr const char* kPythonIsoMillis = R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+00:00)";

// Runs the registered function on `payload` (JSON text) and parses what it returns.
Json run(std::string_view name, const std::string& payload, FakeFunctionContext& context) {
    return Json::parse(refstack::builtin_functions().at(std::string(name))(payload, context));
}
Json run(std::string_view name, const Json& event, FakeFunctionContext& context) { return run(name, event.dump(), context); }

// An API-Gateway-style result: statusCode, the JSON Content-Type header, the body decoded.
struct ApiAnswer {
    std::int64_t status = 0;
    Json body;
};

ApiAnswer api(const Json& result) {
    REQUIRE(result.is_object());
    CHECK(result.str(R"(headers["Content-Type"])") == "application/json");
    return {result.integer("statusCode"), result.decoded("body")};
}

ApiAnswer call(std::string_view name, const Json& event, FakeFunctionContext& context) {
    return api(run(name, event, context));
}

// What the gateway sends for a routed call (contract 1.7): the request body as text, the caller.
Json gateway_event(const Json& body, std::string_view user = "e2e-user") {
    return Json::object({{"resource", "/api/test"},
                         {"httpMethod", "POST"},
                         {"body", body.dump()},
                         {"isBase64Encoded", false},
                         {"requestContext", Json::object({{"authorizer", Json::object({{"cognito:username", user}})},
                                                           {"stage", "prod"}})}});
}

std::string unique(std::string_view prefix) { return std::string(prefix) + refstack::random_hex_digits(12); }

// lambda-echo's answer to {"message": m}, as the invoke API would return it.
ChildInvocation echo_child(std::string_view message) {
    return {200,
            Json::object({{"statusCode", 200},
                          {"headers", Json::object({{"Content-Type", "application/json"}})},
                          {"body", Json::object({{"success", true}, {"message", "Echo: " + std::string(message)}, {"user", "anonymous"}}).dump()}})
                .dump(),
            false};
}

std::optional<e2e::Item> stored_item(const std::string& id) {
    auto got = function_services().dynamodb_client()->get_item(kTable, {{"id", AttributeValue::string(id)}});
    REQUIRE(got.ok());
    return got->item;
}

std::string stored_object(const std::string& bucket, const std::string& key) {
    auto got = function_services().s3_client(function_services().s3_endpoint())->get_object(bucket, key);
    REQUIRE(got.ok());
    return got->body;
}

// lambda-s3 put through a routed call (a direct payload's own `body` field would be taken for the
// API Gateway body, contract 2.2).
void put_object(FakeFunctionContext& context, const std::string& key, const std::string& content) {
    const auto answer = call("lambda-s3", gateway_event(Json::object({{"action", "put"}, {"bucket", kBucket}, {"key", key}, {"body", content}})), context);
    REQUIRE(answer.status == 200);
    REQUIRE(stored_object(kBucket, key) == content);
}

std::int64_t now_seconds() { return fn::epoch_seconds(std::chrono::system_clock::now()); }

}  // namespace

// ---------------------------------------------------------------- common conventions (2.2)

TEST_CASE("python body parsing uses a JSON string body or an object body or the whole event", "[functions]") {
    CHECK(fn::python_body(Json::parse(R"({"body": "{\"a\": 1}"})")) == Json::parse(R"({"a": 1})"));
    CHECK(fn::python_body(Json::parse(R"({"body": {"a": 2}})")) == Json::parse(R"({"a": 2})"));
    CHECK(fn::python_body(Json::parse(R"({"a": 3})")) == Json::parse(R"({"a": 3})"));
    CHECK(fn::python_body(Json::parse(R"({"body": "not json"})")) == Json::object());
}

TEST_CASE("python body parsing fails like Python when the payload is not an object", "[functions]") {
    CHECK_THROWS_WITH(fn::python_body(Json::parse(R"({"body": "[1]"})")), ContainsSubstring("'list' object has no attribute 'get'"));
    CHECK_THROWS_WITH(fn::python_body(Json::parse("5")), ContainsSubstring("'int' object"));
}

TEST_CASE("java body parsing decodes base64 and wraps text that is not JSON as raw", "[functions]") {
    const Json encoded = Json::object({{"body", refstack::base64_encode(R"({"action":"echo"})")}, {"isBase64Encoded", true}});
    CHECK(fn::java_body(encoded) == Json::parse(R"({"action":"echo"})"));
    CHECK(fn::java_body(Json::parse(R"({"body": "plain words"})")) == Json::parse(R"({"raw": "plain words"})"));
    CHECK(fn::java_body(Json::parse(R"({"body": {"a": 1}})")) == Json::parse(R"({"a": 1})"));
    CHECK(fn::java_body(Json::parse(R"({"action": "x"})")) == Json::parse(R"({"action": "x"})"));
    CHECK(fn::java_body(Json::parse("[1]")) == Json::object());
}

TEST_CASE("python truthiness treats empty and zero values as false", "[functions]") {
    CHECK_FALSE(fn::truthy(std::nullopt));
    for (const char* falsy : {"null", "false", "0", "0.0", "\"\"", "[]", "{}"}) CHECK_FALSE(fn::truthy(Json::parse(falsy)));
    for (const char* true_value : {"true", "1", "-0.5", "\"x\"", "[0]", "{\"a\":0}"}) CHECK(fn::truthy(Json::parse(true_value)));
}

TEST_CASE("the response helper wraps the body as JSON text with the JSON content type", "[functions]") {
    const Json result = Json::parse(fn::api_response({{"success", true}, {"n", 2}}, 201));
    CHECK(result.integer("statusCode") == 201);
    CHECK(result.str(R"(headers["Content-Type"])") == "application/json");
    CHECK(result.at("body").is_string());
    CHECK(result.decoded("body") == Json::parse(R"({"success": true, "n": 2})"));
}

TEST_CASE("the caller comes from the authorizer and defaults to anonymous", "[functions]") {
    FakeFunctionContext context("lambda-echo");
    CHECK(fn::caller(gateway_event(Json::object(), "alice"), context) == Json::of("alice"));
    CHECK(fn::caller(Json::parse(R"({"requestContext": {"authorizer": {}}})"), context) == Json::of("anonymous"));
    CHECK(fn::caller(Json::parse(R"({"message": "direct"})"), context) == Json::of("anonymous"));
}

TEST_CASE("timestamps and identifiers have the formats the functions print", "[functions]") {
    const auto at = std::chrono::system_clock::time_point(std::chrono::microseconds(1714564800123456LL));  // 2024-05-01T12:00:00.123456Z
    CHECK(fn::python_iso_millis(at) == "2024-05-01T12:00:00.123+00:00");
    CHECK(fn::java_iso_millis(at) == "2024-05-01T12:00:00.123Z");
    CHECK(fn::python_utc_iso_micros(at) == "2024-05-01T12:00:00.123456");
    CHECK(fn::epoch_millis(at) == 1714564800123LL);
    CHECK(fn::epoch_seconds(at) == 1714564800LL);
    CHECK_THAT(refstack::make_uuid4(), Matches("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"));
    CHECK(refstack::make_uuid4() != refstack::make_uuid4());
    CHECK_THAT(refstack::random_hex_digits(8), Matches("[0-9a-f]{8}"));
}

TEST_CASE("python and java value conversions follow their languages", "[functions]") {
    const Json body = Json::parse(R"({"s": "text", "n": 5, "f": 0.5, "t": true, "z": null, "blank": "   ", "padded": " hi "})");
    CHECK(fn::python_text(body, "s", "d") == "text");
    CHECK(fn::python_text(body, "n", "d") == "5");
    CHECK(fn::python_text(body, "f", "d") == "0.5");
    CHECK(fn::python_text(body, "t", "d") == "True");
    CHECK(fn::python_text(body, "z", "d") == "None");
    CHECK(fn::python_text(body, "absent", "d") == "d");
    CHECK_THROWS_WITH(fn::python_string_param(body, "n", "d"), ContainsSubstring("Invalid type for parameter n"));
    CHECK(fn::java_text(body, "padded", "d") == "hi");
    CHECK(fn::java_text(body, "blank", "d") == "d");
    CHECK(fn::java_text(body, "z", "d") == "d");
    CHECK(fn::java_text(body, "n", "d") == "5");
}

TEST_CASE("invalid UTF-8 content is rejected with the Python decode error", "[functions]") {
    CHECK(fn::require_utf8("h\xc3\xa9llo") == "h\xc3\xa9llo");
    CHECK_THROWS_WITH(fn::require_utf8(std::string("ab\xff")), ContainsSubstring("can't decode byte 0xff in position 2"));
    CHECK_THROWS_WITH(fn::require_utf8(std::string("\xed\xa0\x80")), ContainsSubstring("position 0"));  // a surrogate
}

TEST_CASE("an AWS error answer is worded as botocore words it", "[functions]") {
    e2e::AwsError error;
    error.http_status = 404;
    error.code = "NoSuchKey";
    error.message = "The specified key does not exist.";
    error.operation = "GetObject";
    const fn::AwsCallError failure(error);
    CHECK(std::string(failure.what()) ==
          "An error occurred (NoSuchKey) when calling the GetObject operation: The specified key does not exist.");
    CHECK(failure.code() == "NoSuchKey");
}

TEST_CASE("a child invocation that answers an error status throws with the gateway message", "[functions]") {
    FakeFunctionContext context("lambda-integration");
    context.answer_invoke = [](const InvokeCall&) {
        return ChildInvocation{502, R"({"message": "Lambda Logic Error: boom"})", false};
    };
    CHECK_THROWS_WITH(fn::invoke_function(context, "lambda-chaos", Json::object(), false),
                      "An error occurred (502) when calling the Invoke operation: Lambda Logic Error: boom");
}

TEST_CASE("the registry holds every E2E function", "[functions]") {
    std::set<std::string> names;
    for (const auto& [name, handler] : refstack::builtin_functions()) {
        CHECK(static_cast<bool>(handler));
        names.insert(name);
    }
    CHECK(names == std::set<std::string>{"lambda-chaos", "lambda-connectivity", "lambda-connectivity-java", "lambda-dynamo",
                                         "lambda-echo", "lambda-echo-java", "lambda-image", "lambda-integration", "lambda-s3",
                                         "lambda-scaling", "lambda-scheduled"});
}

TEST_CASE("python functions answer pong to a ping event", "[functions]") {
    for (const char* name : {"lambda-echo", "lambda-connectivity", "lambda-dynamo", "lambda-s3", "lambda-integration", "lambda-chaos"}) {
        FakeFunctionContext context(name);
        const Json result = run(name, Json::parse(R"({"ping": true})"), context);
        CHECK(result == Json::parse(R"({"statusCode": 200, "body": "pong"})"));
        CHECK(context.invocations.empty());
    }
}

// ---------------------------------------------------------------- lambda-echo (2.3)

TEST_CASE("lambda-echo echoes the message for the authenticated caller", "[functions]") {
    FakeFunctionContext context("lambda-echo");
    const auto answer = call("lambda-echo", gateway_event(Json::object({{"message", "hello-basic"}}), "alice"), context);
    CHECK(answer.status == 200);
    CHECK(answer.body == Json::parse(R"({"success": true, "message": "Echo: hello-basic", "user": "alice"})"));
}

TEST_CASE("lambda-echo defaults the message to Hello and the user to anonymous", "[functions]") {
    FakeFunctionContext context("lambda-echo");
    const auto answer = call("lambda-echo", Json::object(), context);
    CHECK(answer.body == Json::parse(R"({"success": true, "message": "Echo: Hello", "user": "anonymous"})"));
}

TEST_CASE("lambda-echo prints an INFO and a DEBUG JSON line under the invocation trace", "[functions]") {
    FakeFunctionContext context("lambda-echo");
    context.trace = kTrace;
    call("lambda-echo", Json::object({{"message", "Log quality test"}}), context);
    const auto records = context.printed_json();
    REQUIRE(records.size() == 2);
    CHECK(records[0].str("level") == "INFO");
    CHECK(records[0].str("message") == "Echo: Log quality test");
    CHECK(records[1].str("level") == "DEBUG");
    CHECK(records[1].str("message") == "Debug log for quality test");
    for (const auto& record : records) {
        CHECK(record.str("trace_id") == kTrace);
        CHECK(record.str("function") == "lambda-echo");
        CHECK_THAT(record.str("_time"), Matches(kPythonIsoMillis));
    }
}

TEST_CASE("lambda-echo logs not-found as the trace when the invocation has none", "[functions]") {
    FakeFunctionContext context("lambda-echo");
    call("lambda-echo", Json::object({{"message", "no trace"}}), context);
    const auto records = context.printed_json();
    REQUIRE(records.size() == 2);
    CHECK(records[0].str("trace_id") == "not-found");
    CHECK(records[1].str("trace_id") == "not-found");
}

TEST_CASE("the echo.wrong_message fault drops the Echo prefix in both echo functions", "[functions]") {
    for (const char* name : {"lambda-echo", "lambda-echo-java"}) {
        FakeFunctionContext context(name);
        context.switches.force("echo.wrong_message", true);
        CHECK(call(name, Json::object({{"message", "m"}}), context).body.str("message") == "m");
    }
}

TEST_CASE("the echo.wrong_user fault reports anonymous for an authenticated caller", "[functions]") {
    for (const char* name : {"lambda-echo", "lambda-echo-java", "lambda-s3"}) {
        FakeFunctionContext context(name);
        context.switches.force("echo.wrong_user", true);
        const Json body = Json::object({{"action", "no-such-action"}, {"message", "m"}});
        CHECK(call(name, gateway_event(body, "alice"), context).body.str("user") == "anonymous");
    }
}

// ---------------------------------------------------------------- lambda-echo-java (2.4)

TEST_CASE("lambda-echo-java reads the message from a string body or a map body or the top level", "[functions]") {
    FakeFunctionContext context("lambda-echo-java");
    CHECK(call("lambda-echo-java", gateway_event(Json::object({{"message", "hello-java"}}), "bob"), context).body ==
          Json::parse(R"({"success": true, "message": "Echo: hello-java", "user": "bob"})"));
    CHECK(call("lambda-echo-java", Json::parse(R"({"body": {"message": "from-map"}})"), context).body.str("message") ==
          "Echo: from-map");
    CHECK(call("lambda-echo-java", Json::parse(R"({"message": "top-level"})"), context).body.str("message") ==
          "Echo: top-level");
    const Json encoded = Json::object({{"body", refstack::base64_encode(R"({"message":"encoded"})")}, {"isBase64Encoded", true}});
    CHECK(call("lambda-echo-java", encoded, context).body.str("message") == "Echo: encoded");
}

TEST_CASE("lambda-echo-java treats a blank message as absent", "[functions]") {
    FakeFunctionContext context("lambda-echo-java");
    CHECK(call("lambda-echo-java", Json::parse(R"({"message": "   "})"), context).body ==
          Json::parse(R"({"success": true, "message": "Echo: Hello", "user": "anonymous"})"));
}

TEST_CASE("lambda-echo-java logs with its function name and the trace", "[functions]") {
    FakeFunctionContext context("lambda-echo-java");
    context.trace = kTrace;
    context.environment["AWS_LAMBDA_FUNCTION_NAME"] = "lambda-echo-java";
    call("lambda-echo-java", Json::object({{"message", "Log quality test"}}), context);
    const auto records = context.printed_json();
    REQUIRE(records.size() == 2);
    CHECK(records[0].str("message") == "Echo: Log quality test");
    CHECK(records[1].str("level") == "DEBUG");
    for (const auto& record : records) {
        CHECK(record.str("function") == "lambda-echo-java");
        CHECK(record.str("trace_id") == kTrace);
        CHECK_THAT(record.str("_time"), Matches(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)"));
    }
}

TEST_CASE("lambda-echo-java answers pong to a ping event", "[functions]") {
    FakeFunctionContext context("lambda-echo-java");
    const Json result = run("lambda-echo-java", Json::parse(R"({"ping": true})"), context);
    CHECK(result.integer("statusCode") == 200);
    CHECK(result.str("body") == "pong");
    CHECK(context.printed.empty());
}

// ---------------------------------------------------------------- lambda-connectivity (2.5)

TEST_CASE("python connectivity echoes by default", "[functions]") {
    FakeFunctionContext context("lambda-connectivity");
    CHECK(call("lambda-connectivity", gateway_event(Json::object()), context).body ==
          Json::parse(R"({"success": true, "action": "echo", "message": "Echo: hello"})"));
    CHECK(call("lambda-connectivity", gateway_event(Json::object({{"action", "echo"}, {"message", "smoke-python"}})), context).body ==
          Json::parse(R"({"success": true, "action": "echo", "message": "Echo: smoke-python"})"));
}

TEST_CASE("python connectivity logs the action of each invocation", "[functions]") {
    FakeFunctionContext context("lambda-connectivity");
    call("lambda-connectivity", Json::object({{"message", "from-chain"}}), context);
    REQUIRE(context.logs.size() == 1);
    CHECK(context.logs[0].level == "INFO");
    CHECK(context.logs[0].message == "Processing action: echo");
}

TEST_CASE("python connectivity dynamodb_put stores the item in the table", "[functions]") {
    FakeFunctionContext context("lambda-connectivity");
    const std::string key = unique("smoke-python-");
    const auto answer = call("lambda-connectivity", gateway_event(Json::object({{"action", "dynamodb_put"}, {"key", key}, {"value", "ok"}})), context);
    CHECK(answer.status == 200);
    CHECK(answer.body == Json::parse(R"({"success": true, "action": "dynamodb_put"})"));
    const auto item = stored_item(key);
    REQUIRE(item);
    CHECK(item->at("value") == AttributeValue::string("ok"));
}

TEST_CASE("python connectivity dynamodb_put defaults the key and honours E2E_TABLE_NAME", "[functions]") {
    FakeFunctionContext context("lambda-connectivity");
    context.environment["E2E_TABLE_NAME"] = kTable;
    CHECK(call("lambda-connectivity", Json::object({{"action", "dynamodb_put"}, {"value", "defaulted"}}), context).status == 200);
    const auto item = stored_item("python-smoke");
    REQUIRE(item);
    CHECK(item->at("value") == AttributeValue::string("defaulted"));

    FakeFunctionContext elsewhere("lambda-connectivity");
    elsewhere.environment["E2E_TABLE_NAME"] = "no-such-table";
    const auto failed = call("lambda-connectivity", Json::object({{"action", "dynamodb_put"}}), elsewhere);
    CHECK(failed.status == 500);
    CHECK_THAT(failed.body.str("error"), ContainsSubstring("ResourceNotFoundException"));
}

TEST_CASE("python connectivity s3_put stores the object with its content", "[functions]") {
    FakeFunctionContext context("lambda-connectivity");
    const std::string key = unique("python-smoke-") + ".txt";
    const auto answer = call("lambda-connectivity",
                             gateway_event(Json::object({{"action", "s3_put"}, {"bucket", kBucket}, {"key", key}, {"content", "ok-content"}})),
                             context);
    CHECK(answer.status == 200);
    CHECK(answer.body == Json::parse(R"({"success": true, "action": "s3_put"})"));
    CHECK(stored_object(kBucket, key) == "ok-content");
}

TEST_CASE("python connectivity s3_put defaults the key and takes the bucket from E2E_BUCKET", "[functions]") {
    FakeFunctionContext context("lambda-connectivity");
    const std::string bucket = unique("conn-py-");
    context.environment["E2E_BUCKET"] = bucket;  // a new bucket: created before the put
    CHECK(call("lambda-connectivity", Json::object({{"action", "s3_put"}}), context).status == 200);
    CHECK(stored_object(bucket, "python-connectivity.txt") == "ok");
}

TEST_CASE("python connectivity chain_invoke returns the child answer parsed", "[functions]") {
    FakeFunctionContext context("lambda-connectivity");
    context.answer_invoke = [](const InvokeCall& invocation) { return echo_child(Json::parse(invocation.payload).str("message")); };
    const auto answer = call("lambda-connectivity",
                             gateway_event(Json::object({{"action", "chain_invoke"}, {"target", "lambda-echo"}, {"message", "from-smoke"}})),
                             context);
    CHECK(answer.status == 200);
    CHECK(answer.body.boolean("success"));
    CHECK(answer.body.str("action") == "chain_invoke");
    CHECK(answer.body.integer("child.statusCode") == 200);
    CHECK(answer.body.at("child").decoded("body") ==
          Json::parse(R"({"success": true, "message": "Echo: from-smoke", "user": "anonymous"})"));
    REQUIRE(context.invocations.size() == 1);
    CHECK(context.invocations[0].function_name == "lambda-echo");
    CHECK(Json::parse(context.invocations[0].payload) == Json::parse(R"({"message": "from-smoke"})"));
    CHECK_FALSE(context.invocations[0].event);
}

TEST_CASE("python connectivity chain_invoke defaults the target and message", "[functions]") {
    FakeFunctionContext context("lambda-connectivity");
    context.answer_invoke = [](const InvokeCall&) { return ChildInvocation{200, "plain text", false}; };
    const auto answer = call("lambda-connectivity", Json::object({{"action", "chain_invoke"}}), context);
    CHECK(answer.body.str("child") == "plain text");  // not JSON: the raw text
    REQUIRE(context.invocations.size() == 1);
    CHECK(context.invocations[0].function_name == "lambda-echo");
    CHECK(Json::parse(context.invocations[0].payload) == Json::parse(R"({"message": "from-python"})"));

    context.answer_invoke = [](const InvokeCall&) { return ChildInvocation{200, "[1, 2]", false}; };
    CHECK(call("lambda-connectivity", Json::object({{"action", "chain_invoke"}}), context).body.at("child") == Json::parse("[1, 2]"));
}

TEST_CASE("python connectivity answers 500 when the chained call fails", "[functions]") {
    FakeFunctionContext context("lambda-connectivity");  // default answer: 404 Function not found
    const auto answer = call("lambda-connectivity", Json::object({{"action", "chain_invoke"}, {"target", "lambda-nope"}}), context);
    CHECK(answer.status == 500);
    CHECK(answer.body.boolean("success") == false);
    CHECK(answer.body.str("action") == "chain_invoke");
    CHECK_THAT(answer.body.str("error"), ContainsSubstring("Function not found: lambda-nope"));
}

TEST_CASE("python connectivity answers 500 when S3 rejects the put", "[functions]") {
    FakeFunctionContext context("lambda-connectivity", ClientCredentials::wrong_secret);
    const auto answer = call("lambda-connectivity", Json::object({{"action", "s3_put"}, {"key", unique("denied-")}}), context);
    CHECK(answer.status == 500);
    CHECK(answer.body.boolean("success") == false);
    CHECK(answer.body.str("action") == "s3_put");
    CHECK_THAT(answer.body.str("error"), ContainsSubstring("SignatureDoesNotMatch"));
}

TEST_CASE("python connectivity test_cloudwatch sends four events one millisecond apart", "[functions]") {
    FakeFunctionContext context("lambda-connectivity");
    const auto answer = call("lambda-connectivity", Json::parse(R"({"body": "{\"action\": \"test_cloudwatch\"}"})"), context);
    CHECK(answer.status == 200);
    REQUIRE(context.cloudwatch.size() == 1);
    const auto& sent = context.cloudwatch[0];
    CHECK(sent.runtime == "python");
    CHECK(sent.log_group == "/lambda/hello-test");
    REQUIRE(sent.events.size() == 4);
    const std::int64_t t = sent.events[0].first;
    CHECK(sent.log_stream == "test-stream-" + std::to_string(t / 1000));
    CHECK(sent.events[0].second == "[INFO] Test log from Lambda at " + std::to_string(t));
    CHECK(sent.events[1] == std::pair<std::int64_t, std::string>{t + 1, "[DEBUG] This is a debug message"});
    CHECK(sent.events[2] == std::pair<std::int64_t, std::string>{t + 2, "[ERROR] This is an error message"});
    CHECK(sent.events[3] == std::pair<std::int64_t, std::string>{t + 3, "CloudWatch Logs E2E verification successful!"});
    CHECK(answer.body == Json::object({{"success", true}, {"action", "test_cloudwatch"}, {"log_group", sent.log_group},
                                       {"log_stream", sent.log_stream}}));
}

TEST_CASE("python connectivity answers success for an unknown action", "[functions]") {
    FakeFunctionContext context("lambda-connectivity");
    CHECK(call("lambda-connectivity", Json::object({{"action", "hello"}}), context).body ==
          Json::parse(R"({"success": true, "action": "hello"})"));
}

TEST_CASE("the connectivity.success_false fault answers success false", "[functions]") {
    for (const char* name : {"lambda-connectivity", "lambda-connectivity-java"}) {
        FakeFunctionContext context(name);
        context.switches.force("connectivity.success_false", true);
        const auto answer = call(name, Json::object({{"action", "echo"}, {"message", "m"}}), context);
        CHECK(answer.status == 200);
        CHECK(answer.body.boolean("success") == false);
        CHECK(answer.body.str("message") == "Echo: m");
    }
}

TEST_CASE("the connectivity.missing_child fault drops the chained child", "[functions]") {
    for (const char* name : {"lambda-connectivity", "lambda-connectivity-java"}) {
        FakeFunctionContext context(name);
        context.answer_invoke = [](const InvokeCall&) { return echo_child("x"); };
        context.switches.force("connectivity.missing_child", true);
        const auto answer = call(name, Json::object({{"action", "chain_invoke"}}), context);
        CHECK(answer.body.boolean("success"));
        CHECK_FALSE(answer.body.has("child"));
        CHECK(context.invocations.size() == 1);
    }
}

// ---------------------------------------------------------------- lambda-connectivity-java (2.6)

TEST_CASE("java connectivity defaults to the hello action", "[functions]") {
    FakeFunctionContext context("lambda-connectivity-java");
    CHECK(call("lambda-connectivity-java", gateway_event(Json::object()), context).body ==
          Json::parse(R"({"success": true, "action": "hello"})"));
    // Text that is not JSON becomes {"raw": ...}: still the default action.
    CHECK(call("lambda-connectivity-java", Json::parse(R"({"body": "not json"})"), context).body.str("action") == "hello");
}

TEST_CASE("java connectivity trims fields and treats blank ones as absent", "[functions]") {
    FakeFunctionContext context("lambda-connectivity-java");
    CHECK(call("lambda-connectivity-java", gateway_event(Json::object({{"action", " echo "}, {"message", "  smoke-java  "}})), context).body ==
          Json::parse(R"({"success": true, "action": "echo", "message": "Echo: smoke-java"})"));
    CHECK(call("lambda-connectivity-java", Json::object({{"action", "echo"}, {"message", "  "}}), context).body.str("message") ==
          "Echo: hello");
}

TEST_CASE("java connectivity reads a base64 encoded body", "[functions]") {
    FakeFunctionContext context("lambda-connectivity-java");
    const Json event = Json::object({{"body", refstack::base64_encode(R"({"action":"echo","message":"b64"})")}, {"isBase64Encoded", true}});
    CHECK(call("lambda-connectivity-java", event, context).body.str("message") == "Echo: b64");
}

TEST_CASE("java connectivity answers a ping with a pong message", "[functions]") {
    FakeFunctionContext context("lambda-connectivity-java");
    const auto answer = call("lambda-connectivity-java", Json::parse(R"({"ping": true})"), context);
    CHECK(answer.status == 200);
    CHECK(answer.body == Json::parse(R"({"message": "pong"})"));
}

TEST_CASE("java connectivity dynamodb_put and s3_put use the java defaults", "[functions]") {
    FakeFunctionContext context("lambda-connectivity-java");
    context.environment["E2E_TABLE_NAME"] = kTable;
    CHECK(call("lambda-connectivity-java", Json::object({{"action", "dynamodb_put"}, {"value", "java-ok"}}), context).body ==
          Json::parse(R"({"success": true, "action": "dynamodb_put"})"));
    const auto item = stored_item("java-connectivity");
    REQUIRE(item);
    CHECK(item->at("value") == AttributeValue::string("java-ok"));

    const std::string key = unique("java-smoke-") + ".txt";
    CHECK(call("lambda-connectivity-java", gateway_event(Json::object({{"action", "s3_put"}, {"bucket", kBucket}, {"key", key}, {"content", "ok"}})), context)
              .body == Json::parse(R"({"success": true, "action": "s3_put"})"));
    CHECK(stored_object(kBucket, key) == "ok");
    CHECK(call("lambda-connectivity-java", Json::object({{"action", "s3_put"}, {"content", "java-default"}}), context).status == 200);
    CHECK(stored_object(kBucket, "java-connectivity.txt") == "java-default");
}

TEST_CASE("java connectivity lambda_invoke and chain_invoke send their default messages", "[functions]") {
    FakeFunctionContext context("lambda-connectivity-java");
    context.answer_invoke = [](const InvokeCall& invocation) { return echo_child(Json::parse(invocation.payload).str("message")); };
    const auto invoked = call("lambda-connectivity-java", Json::object({{"action", "lambda_invoke"}}), context);
    CHECK(invoked.body.str("action") == "lambda_invoke");
    CHECK(invoked.body.at("child").decoded("body").str("message") == "Echo: hello-from-java");
    const auto chained = call("lambda-connectivity-java", Json::object({{"action", "chain_invoke"}}), context);
    CHECK(chained.body.str("action") == "chain_invoke");
    CHECK(chained.body.at("child").decoded("body").str("message") == "Echo: from-java");
    REQUIRE(context.invocations.size() == 2);
    CHECK(context.invocations[0].function_name == "lambda-echo");
    CHECK(Json::parse(context.invocations[0].payload) == Json::parse(R"({"message": "hello-from-java"})"));
    CHECK(Json::parse(context.invocations[1].payload) == Json::parse(R"({"message": "from-java"})"));
}

TEST_CASE("java connectivity keeps a child that is not a JSON object as text", "[functions]") {
    FakeFunctionContext context("lambda-connectivity-java");
    for (const char* payload : {"[1, 2]", "{}", "\"quoted\"", "plain"}) {
        context.answer_invoke = [payload](const InvokeCall&) { return ChildInvocation{200, payload, false}; };
        CHECK(call("lambda-connectivity-java", Json::object({{"action", "chain_invoke"}}), context).body.at("child") == Json::of(payload));
    }
}

TEST_CASE("java connectivity test_cloudwatch sends the java events to a millisecond stream", "[functions]") {
    FakeFunctionContext context("lambda-connectivity-java");
    const auto answer = call("lambda-connectivity-java", gateway_event(Json::object({{"action", "test_cloudwatch"}})), context);
    REQUIRE(context.cloudwatch.size() == 1);
    const auto& sent = context.cloudwatch[0];
    CHECK(sent.runtime == "java");
    CHECK(sent.log_group == "/aws/lambda/java-connectivity");
    REQUIRE(sent.events.size() == 4);
    const std::int64_t t = sent.events[0].first;
    CHECK(sent.log_stream == "test-stream-" + std::to_string(t));
    CHECK(sent.events[0].second == "[INFO] Java CloudWatch log test");
    CHECK(sent.events[1] == std::pair<std::int64_t, std::string>{t + 1, "[DEBUG] Debug log from java connectivity"});
    CHECK(sent.events[2] == std::pair<std::int64_t, std::string>{t + 2, "[ERROR] Error log from java connectivity"});
    CHECK(sent.events[3] == std::pair<std::int64_t, std::string>{t + 3, "CloudWatch Logs E2E verification successful!"});
    CHECK(answer.body == Json::object({{"success", true}, {"action", "test_cloudwatch"}, {"log_group", sent.log_group},
                                       {"log_stream", sent.log_stream}}));
}

TEST_CASE("java connectivity answers 500 when DynamoDB rejects the put", "[functions]") {
    FakeFunctionContext context("lambda-connectivity-java", ClientCredentials::wrong_secret);
    const auto answer = call("lambda-connectivity-java", Json::object({{"action", "dynamodb_put"}}), context);
    CHECK(answer.status == 500);
    CHECK(answer.body.boolean("success") == false);
    CHECK(answer.body.str("action") == "dynamodb_put");
    CHECK_THAT(answer.body.str("error"), ContainsSubstring("An error occurred ("));
}

// ---------------------------------------------------------------- lambda-dynamo (2.7)

TEST_CASE("lambda-dynamo put_get writes an item and reads it back typed", "[functions]") {
    FakeFunctionContext context("lambda-dynamo");
    const std::int64_t before = now_seconds();
    const auto answer = call("lambda-dynamo", gateway_event(Json::object({{"action", "put_get"}})), context);
    CHECK(answer.status == 200);
    CHECK(answer.body.boolean("success"));
    const std::string id = answer.body.str("item_id");
    CHECK_THAT(id, Matches("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"));
    CHECK(answer.body.str("retrieved_item.id.S") == id);
    CHECK(answer.body.str("retrieved_item.message.S") == "Hello from ScyllaDB Lambda");
    const std::int64_t stamp = std::stoll(answer.body.str("retrieved_item.timestamp.N"));
    CHECK(stamp >= before);
    CHECK(stamp <= now_seconds());
    CHECK(stored_item(id).has_value());
}

TEST_CASE("lambda-dynamo defaults to put_get", "[functions]") {
    FakeFunctionContext context("lambda-dynamo");
    const auto answer = call("lambda-dynamo", Json::object({{"message", "custom"}}), context);
    CHECK(answer.body.str("retrieved_item.message.S") == "custom");
}

TEST_CASE("lambda-dynamo put then get finds the typed item", "[functions]") {
    FakeFunctionContext context("lambda-dynamo");
    const auto put = call("lambda-dynamo", gateway_event(Json::object({{"action", "put"}, {"message", "Original message"}})), context);
    CHECK(put.status == 200);
    const std::string id = put.body.str("item_id");
    CHECK(put.body == Json::object({{"success", true}, {"item_id", id}}));
    const auto got = call("lambda-dynamo", gateway_event(Json::object({{"action", "get"}, {"id", id}})), context);
    CHECK(got.status == 200);
    CHECK(got.body.boolean("success"));
    CHECK(got.body.boolean("found"));
    CHECK(got.body.str("item.id.S") == id);
    CHECK(got.body.str("item.message.S") == "Original message");
    CHECK(got.body.has("item.timestamp.N"));
}

TEST_CASE("lambda-dynamo put keeps a given id", "[functions]") {
    FakeFunctionContext context("lambda-dynamo");
    const std::string id = unique("given-");
    CHECK(call("lambda-dynamo", Json::object({{"action", "put"}, {"id", id}}), context).body.str("item_id") == id);
    const auto item = stored_item(id);
    REQUIRE(item);
    CHECK(item->at("message") == AttributeValue::string("Hello from ScyllaDB Lambda"));
}

TEST_CASE("lambda-dynamo update changes the message and creates a missing item", "[functions]") {
    FakeFunctionContext context("lambda-dynamo");
    const std::string id = call("lambda-dynamo", Json::object({{"action", "put"}, {"message", "Original message"}}), context).body.str("item_id");
    const auto updated = call("lambda-dynamo", Json::object({{"action", "update"}, {"id", id}, {"message", "Updated message"}}), context);
    CHECK(updated.status == 200);
    CHECK(updated.body == Json::object({{"success", true}, {"item_id", id}}));
    CHECK(call("lambda-dynamo", Json::object({{"action", "get"}, {"id", id}}), context).body.str("item.message.S") == "Updated message");

    const std::string fresh = unique("upsert-");
    CHECK(call("lambda-dynamo", Json::object({{"action", "update"}, {"id", fresh}}), context).status == 200);
    const auto item = stored_item(fresh);
    REQUIRE(item);
    CHECK(item->at("message") == AttributeValue::string("Updated message"));
    CHECK(item->at("timestamp").is(e2e::AttributeType::number));
}

TEST_CASE("lambda-dynamo delete removes the item", "[functions]") {
    FakeFunctionContext context("lambda-dynamo");
    const std::string id = call("lambda-dynamo", Json::object({{"action", "put"}, {"message", "To be deleted"}}), context).body.str("item_id");
    const auto deleted = call("lambda-dynamo", Json::object({{"action", "delete"}, {"id", id}}), context);
    CHECK(deleted.status == 200);
    CHECK(deleted.body == Json::object({{"success", true}, {"item_id", id}, {"deleted", true}}));
    CHECK_FALSE(stored_item(id).has_value());
    CHECK(call("lambda-dynamo", Json::object({{"action", "get"}, {"id", id}}), context).body.boolean("found") == false);
}

TEST_CASE("lambda-dynamo get of a missing item answers found false with a null item", "[functions]") {
    FakeFunctionContext context("lambda-dynamo");
    const auto answer = call("lambda-dynamo", Json::object({{"action", "get"}, {"id", refstack::make_uuid4()}}), context);
    CHECK(answer.status == 200);
    CHECK(answer.body == Json::parse(R"({"success": true, "item": null, "found": false})"));
}

TEST_CASE("lambda-dynamo answers 400 without an id or for an unknown action", "[functions]") {
    FakeFunctionContext context("lambda-dynamo");
    for (const char* action : {"get", "update", "delete"}) {
        const auto answer = call("lambda-dynamo", Json::object({{"action", action}}), context);
        CHECK(answer.status == 400);
        CHECK(answer.body == Json::parse(R"({"success": false, "error": "id is required"})"));
    }
    CHECK(call("lambda-dynamo", Json::object({{"action", "get"}, {"id", ""}}), context).status == 400);
    const auto unknown = call("lambda-dynamo", Json::object({{"action", "scan"}}), context);
    CHECK(unknown.status == 400);
    CHECK(unknown.body == Json::parse(R"({"success": false, "error": "Unknown action: scan"})"));
}

TEST_CASE("lambda-dynamo answers 500 when the database rejects the call", "[functions]") {
    FakeFunctionContext context("lambda-dynamo", ClientCredentials::wrong_secret);
    const auto answer = call("lambda-dynamo", Json::object({{"action", "put_get"}}), context);
    CHECK(answer.status == 500);
    CHECK(answer.body.boolean("success") == false);
    CHECK_THAT(answer.body.str("error"), StartsWith("An error occurred ("));
    CHECK(answer.body.keys() == std::vector<std::string>{"success", "error"});
}

TEST_CASE("the dynamo.get_not_found fault hides a stored item", "[functions]") {
    FakeFunctionContext context("lambda-dynamo");
    const std::string id = call("lambda-dynamo", Json::object({{"action", "put"}}), context).body.str("item_id");
    context.switches.force("dynamo.get_not_found", true);
    const auto answer = call("lambda-dynamo", Json::object({{"action", "get"}, {"id", id}}), context);
    CHECK(answer.body == Json::parse(R"({"success": true, "item": null, "found": false})"));
    CHECK(stored_item(id).has_value());
}

// ---------------------------------------------------------------- lambda-s3 (2.8)

TEST_CASE("lambda-s3 test lists the buckets for the caller", "[functions]") {
    FakeFunctionContext context("lambda-s3");
    const auto answer = call("lambda-s3", gateway_event(Json::object(), "carol"), context);
    CHECK(answer.status == 200);
    CHECK(answer.body.str("action") == "test");
    CHECK(answer.body.boolean("success"));
    CHECK(answer.body.str("user") == "carol");
    bool listed = false;
    for (const auto& name : answer.body.elements("buckets")) listed = listed || name.str() == kBucket;
    CHECK(listed);
}

TEST_CASE("lambda-s3 logs the received action", "[functions]") {
    FakeFunctionContext context("lambda-s3");
    context.trace = kTrace;
    call("lambda-s3", Json::object({{"action", "list"}, {"bucket", kBucket}}), context);
    const auto records = context.printed_json();
    REQUIRE(records.size() == 1);
    CHECK(records[0].str("level") == "INFO");
    CHECK(records[0].str("message") == "Received event: action=list");
    CHECK(records[0].str("function") == "s3-integration");
    CHECK(records[0].str("trace_id") == kTrace);
    CHECK_THAT(records[0].str("_time"), Matches(kPythonIsoMillis));
}

TEST_CASE("lambda-s3 put then get returns the stored content", "[functions]") {
    FakeFunctionContext context("lambda-s3");
    const std::string key = unique("test-object-") + ".txt";
    const auto put = call("lambda-s3", gateway_event(Json::object({{"action", "put"}, {"bucket", kBucket}, {"key", key}, {"body", "Hello from E2E test!"}}), "dave"), context);
    CHECK(put.status == 200);
    CHECK(put.body.str("action") == "put");
    CHECK(put.body.boolean("success"));
    CHECK(put.body.str("bucket") == kBucket);
    CHECK(put.body.str("key") == key);
    CHECK(put.body.str("user") == "dave");
    CHECK_THAT(put.body.str("etag"), Matches(R"("[0-9a-f]{32}")"));
    auto head = function_services().s3_client(function_services().s3_endpoint())->head_object(kBucket, key);
    REQUIRE(head.ok());
    CHECK(head->content_type == "application/octet-stream");
    CHECK(head->etag == put.body.str("etag"));

    const auto got = call("lambda-s3", gateway_event(Json::object({{"action", "get"}, {"bucket", kBucket}, {"key", key}}), "dave"), context);
    CHECK(got.status == 200);
    CHECK(got.body == Json::object({{"action", "get"}, {"success", true}, {"bucket", kBucket}, {"key", key},
                                    {"content", "Hello from E2E test!"}, {"user", "dave"}}));
}

TEST_CASE("lambda-s3 put takes data when there is no body field and has a default", "[functions]") {
    FakeFunctionContext context("lambda-s3");
    const std::string key = unique("data-") + ".txt";
    CHECK(call("lambda-s3", Json::object({{"action", "put"}, {"bucket", kBucket}, {"key", key}, {"data", "from data"}}), context).status == 200);
    CHECK(stored_object(kBucket, key) == "from data");
    const std::string other = unique("default-") + ".txt";
    CHECK(call("lambda-s3", Json::object({{"action", "put"}, {"bucket", kBucket}, {"key", other}}), context).status == 200);
    CHECK(stored_object(kBucket, other) == "Hello from Lambda!");
}

TEST_CASE("lambda-s3 overwrites an object", "[functions]") {
    FakeFunctionContext context("lambda-s3");
    const std::string key = unique("overwrite-") + ".txt";
    put_object(context, key, "original");
    put_object(context, key, "overwritten");
    CHECK(call("lambda-s3", Json::object({{"action", "get"}, {"bucket", kBucket}, {"key", key}}), context).body.str("content") == "overwritten");
}

TEST_CASE("lambda-s3 get of a missing key answers 500 with NoSuchKey", "[functions]") {
    FakeFunctionContext context("lambda-s3");
    const auto answer = call("lambda-s3", gateway_event(Json::object({{"action", "get"}, {"bucket", kBucket}, {"key", unique("missing-")}}), "erin"), context);
    CHECK(answer.status == 500);
    CHECK(answer.body.boolean("success") == false);
    CHECK(answer.body.str("action") == "get");
    CHECK(answer.body.str("user") == "erin");
    CHECK_THAT(answer.body.str("error"), ContainsSubstring("NoSuchKey"));
}

TEST_CASE("lambda-s3 list returns the keys under the prefix", "[functions]") {
    FakeFunctionContext context("lambda-s3");
    const std::string prefix = unique("prefix-test-") + "/";
    for (const char* file : {"file0.txt", "file1.txt", "file2.txt"}) {
        put_object(context, prefix + file, "x");
    }
    const auto answer = call("lambda-s3", Json::object({{"action", "list"}, {"bucket", kBucket}, {"prefix", prefix}}), context);
    CHECK(answer.status == 200);
    CHECK(answer.body == Json::object({{"action", "list"}, {"success", true}, {"bucket", kBucket},
                                       {"objects", Json::array({prefix + "file0.txt", prefix + "file1.txt", prefix + "file2.txt"})},
                                       {"user", "anonymous"}}));
    const auto all = call("lambda-s3", Json::object({{"action", "list"}, {"bucket", kBucket}}), context);
    CHECK(all.body.size("objects") >= 3);
}

TEST_CASE("the s3fn.list_missing_keys fault lists no objects", "[functions]") {
    FakeFunctionContext context("lambda-s3");
    const std::string prefix = unique("hidden-") + "/";
    put_object(context, prefix + "a.txt", "a");
    context.switches.force("s3fn.list_missing_keys", true);
    const auto answer = call("lambda-s3", Json::object({{"action", "list"}, {"bucket", kBucket}, {"prefix", prefix}}), context);
    CHECK(answer.body.boolean("success"));
    CHECK(answer.body.size("objects") == 0);
}

TEST_CASE("lambda-s3 delete removes the object and is idempotent", "[functions]") {
    FakeFunctionContext context("lambda-s3");
    const std::string key = unique("test-delete-") + ".txt";
    put_object(context, key, "to be deleted");
    const Json request = Json::object({{"action", "delete"}, {"bucket", kBucket}, {"key", key}});
    for (int round = 0; round < 2; ++round) {
        const auto answer = call("lambda-s3", request, context);
        CHECK(answer.status == 200);
        CHECK(answer.body == Json::object({{"action", "delete"}, {"success", true}, {"bucket", kBucket}, {"key", key}, {"user", "anonymous"}}));
    }
    CHECK(call("lambda-s3", Json::object({{"action", "get"}, {"bucket", kBucket}, {"key", key}}), context).status == 500);
}

TEST_CASE("lambda-s3 presign_get signs for the presign endpoint and the URL downloads the object", "[functions]") {
    FakeFunctionContext context("lambda-s3");
    const std::string key = unique("test-presign-") + ".txt";
    put_object(context, key, "presign-content");
    const auto answer = call("lambda-s3", Json::object({{"action", "presign_get"}, {"bucket", kBucket}, {"key", key}, {"expires_in", 120}}), context);
    CHECK(answer.status == 200);
    CHECK(answer.body.boolean("success"));
    CHECK(answer.body.str("action") == "presign_get");
    CHECK(answer.body.integer("expires_in") == 120);
    const std::string url = answer.body.str("url");
    CHECK_THAT(url, StartsWith(function_services().s3_presign_endpoint() + "/" + kBucket + "/"));
    CHECK_THAT(url, ContainsSubstring("X-Amz-Expires=120"));
    e2e::HttpClient http;
    const auto downloaded = http.get(url);
    CHECK(downloaded.status == 200);
    CHECK(downloaded.body == "presign-content");
}

TEST_CASE("lambda-s3 presign_get defaults to 300 seconds", "[functions]") {
    FakeFunctionContext context("lambda-s3");
    const auto answer = call("lambda-s3", Json::object({{"action", "presign_get"}, {"bucket", kBucket}, {"key", "any.txt"}}), context);
    CHECK(answer.body.integer("expires_in") == 300);
    CHECK_THAT(answer.body.str("url"), ContainsSubstring("X-Amz-Expires=300"));
    const auto bad = call("lambda-s3", Json::object({{"action", "presign_get"}, {"expires_in", "soon"}}), context);
    CHECK(bad.status == 500);
    CHECK_THAT(bad.body.str("error"), ContainsSubstring("invalid literal for int()"));
}

TEST_CASE("the s3.presign_wrong_port fault signs URLs for the in-network endpoint", "[functions]") {
    FakeFunctionContext context("lambda-s3");
    context.switches.force("s3.presign_wrong_port", true);
    const auto answer = call("lambda-s3", Json::object({{"action", "presign_get"}, {"bucket", kBucket}, {"key", "any.txt"}}), context);
    CHECK(answer.body.boolean("success"));
    CHECK_THAT(answer.body.str("url"), StartsWith(function_services().s3_endpoint() + "/"));
    CHECK_THAT(answer.body.str("url"), !StartsWith(function_services().s3_presign_endpoint()));
}

TEST_CASE("lambda-s3 create_bucket creates a bucket and reports one that exists", "[functions]") {
    FakeFunctionContext context("lambda-s3");
    const std::string bucket = unique("fn-created-");
    const auto created = call("lambda-s3", Json::object({{"action", "create_bucket"}, {"bucket", bucket}}), context);
    CHECK(created.status == 200);
    CHECK(created.body == Json::object({{"action", "create_bucket"}, {"success", true}, {"bucket", bucket}, {"user", "anonymous"}}));
    const auto again = call("lambda-s3", Json::object({{"action", "create_bucket"}, {"bucket", bucket}}), context);
    CHECK(again.body == Json::object({{"action", "create_bucket"}, {"success", true}, {"bucket", bucket},
                                      {"message", "Bucket already exists"}, {"user", "anonymous"}}));
    const auto listed = call("lambda-s3", Json::object({{"action", "test"}}), context);
    bool found = false;
    for (const auto& name : listed.body.elements("buckets")) found = found || name.str() == bucket;
    CHECK(found);
}

TEST_CASE("lambda-s3 answers an unknown action with success false and status 200", "[functions]") {
    FakeFunctionContext context("lambda-s3");
    const auto answer = call("lambda-s3", Json::object({{"action", "copy"}}), context);
    CHECK(answer.status == 200);
    CHECK(answer.body == Json::parse(R"({"action": "copy", "success": false, "error": "Unknown action: copy", "user": "anonymous"})"));
}

TEST_CASE("lambda-s3 answers 500 when S3 rejects the signature", "[functions]") {
    FakeFunctionContext context("lambda-s3", ClientCredentials::wrong_secret);
    const auto answer = call("lambda-s3", gateway_event(Json::object({{"action", "test"}}), "frank"), context);
    CHECK(answer.status == 500);
    CHECK(answer.body.boolean("success") == false);
    CHECK(answer.body.str("action") == "test");
    CHECK(answer.body.str("user") == "frank");
    CHECK_THAT(answer.body.str("error"), ContainsSubstring("SignatureDoesNotMatch"));
}

// ---------------------------------------------------------------- lambda-integration (2.9)

TEST_CASE("lambda-integration without a next target returns its trace and a null child", "[functions]") {
    FakeFunctionContext context("lambda-integration");
    context.trace = kTrace;
    const auto answer = call("lambda-integration", gateway_event(Json::object({{"message", "ignored"}})), context);
    CHECK(answer.status == 200);
    CHECK(answer.body == Json::object({{"success", true}, {"trace_id", kTrace}, {"child", nullptr}}));
    CHECK(context.invocations.empty());
    REQUIRE(context.logs.size() == 1);
    CHECK(context.logs[0].level == "INFO");
    CHECK(context.logs[0].message == std::string("Trace ID in environment: ") + kTrace);
}

TEST_CASE("lambda-integration reports not-found without a trace", "[functions]") {
    FakeFunctionContext context("lambda-integration");
    CHECK(call("lambda-integration", Json::object(), context).body.str("trace_id") == "not-found");
}

TEST_CASE("lambda-integration chains a synchronous invocation and returns the child", "[functions]") {
    FakeFunctionContext context("lambda-integration");
    context.trace = kTrace;
    context.answer_invoke = [](const InvokeCall& invocation) { return echo_child(Json::parse(invocation.payload).str("message")); };
    const auto answer = call("lambda-integration", gateway_event(Json::object({{"next_target", "lambda-echo"}, {"message", "Chain Verification"}})), context);
    CHECK(answer.status == 200);
    CHECK(answer.body.boolean("success"));
    CHECK(answer.body.integer("child.statusCode") == 200);
    CHECK(answer.body.at("child").decoded("body").str("message") == "Echo: from-chain");
    REQUIRE(context.invocations.size() == 1);
    CHECK(context.invocations[0].function_name == "lambda-echo");
    CHECK(Json::parse(context.invocations[0].payload) == Json::parse(R"({"message": "from-chain"})"));
    CHECK_FALSE(context.invocations[0].event);
    REQUIRE(context.logs.size() == 2);
    CHECK(context.logs[1].message == "Chaining sync invocation to lambda-echo");
}

TEST_CASE("lambda-integration chains an asynchronous invocation", "[functions]") {
    FakeFunctionContext context("lambda-integration");
    context.answer_invoke = [](const InvokeCall&) { return ChildInvocation{202, "", false}; };
    const auto answer = call("lambda-integration", gateway_event(Json::object({{"next_target", "lambda-echo"}, {"async", true}})), context);
    CHECK(answer.body.at("child") == Json::parse(R"({"status": "async-started", "status_code": 202})"));
    REQUIRE(context.invocations.size() == 1);
    CHECK(context.invocations[0].event);
    REQUIRE(context.logs.size() == 2);
    CHECK(context.logs[1].message == "Chaining async invocation to lambda-echo");
}

TEST_CASE("lambda-integration fails the invocation when the child fails or is not JSON", "[functions]") {
    const auto& handler = refstack::builtin_functions().at("lambda-integration");
    FakeFunctionContext failing("lambda-integration");
    failing.answer_invoke = [](const InvokeCall&) { return ChildInvocation{502, R"json({"message": "Circuit is open (failures: 3)"})json", false}; };
    const std::string payload = R"({"next_target": "lambda-chaos"})";
    CHECK_THROWS_WITH(handler(payload, failing), ContainsSubstring("Circuit is open"));
    FakeFunctionContext text("lambda-integration");
    text.answer_invoke = [](const InvokeCall&) { return ChildInvocation{200, "not json", false}; };
    CHECK_THROWS_AS(handler(payload, text), e2e::JsonError);
}

TEST_CASE("the integration.trace_not_found fault reports not-found under a real trace", "[functions]") {
    FakeFunctionContext context("lambda-integration");
    context.trace = kTrace;
    context.switches.force("integration.trace_not_found", true);
    const auto answer = call("lambda-integration", gateway_event(Json::object({{"message", "m"}})), context);
    CHECK(answer.status == 200);
    CHECK(answer.body.str("trace_id") == "not-found");
}

// ---------------------------------------------------------------- lambda-chaos (2.10)

TEST_CASE("lambda-chaos says hello by default and for unknown actions", "[functions]") {
    FakeFunctionContext context("lambda-chaos");
    CHECK(call("lambda-chaos", gateway_event(Json::object()), context).body == Json::parse(R"({"message": "Faulty Lambda is OK", "action": "hello"})"));
    CHECK(call("lambda-chaos", Json::object({{"action", "dance"}}), context).body ==
          Json::parse(R"({"message": "Faulty Lambda is OK", "action": "dance"})"));
    CHECK(context.printed == std::vector<std::string>{"DEBUG: Processing action='hello'", "DEBUG: Processing action='dance'"});
}

TEST_CASE("lambda-chaos crash crashes the runtime after printing", "[functions]") {
    FakeFunctionContext context("lambda-chaos");
    const auto& handler = refstack::builtin_functions().at("lambda-chaos");
    CHECK_THROWS_AS(handler(gateway_event(Json::object({{"action", "crash"}})).dump(), context), refstack::RuntimeCrash);
    CHECK(context.printed == std::vector<std::string>{"DEBUG: Processing action='crash'", "DEBUG: CRASHING NOW"});
}

TEST_CASE("the chaos.crash_is_ok fault answers a crash with 200", "[functions]") {
    FakeFunctionContext context("lambda-chaos");
    context.switches.force("chaos.crash_is_ok", true);
    const auto answer = call("lambda-chaos", Json::object({{"action", "crash"}}), context);
    CHECK(answer.status == 200);
    CHECK(answer.body == Json::parse(R"({"message": "Faulty Lambda is OK", "action": "crash"})"));
}

TEST_CASE("lambda-chaos delay sleeps for the given seconds", "[functions]") {
    FakeFunctionContext context("lambda-chaos");
    const auto started = std::chrono::steady_clock::now();
    const auto answer = call("lambda-chaos", Json::parse(R"({"action": "delay", "seconds": 0.05})"), context);
    CHECK(std::chrono::steady_clock::now() - started >= std::chrono::milliseconds(50));
    CHECK(answer.body == Json::parse(R"({"message": "Delayed for 0.05s"})"));
    CHECK(context.printed.back() == "DELAYING FOR 0.05 SECONDS");
    const auto& handler = refstack::builtin_functions().at("lambda-chaos");
    CHECK_THROWS_WITH(handler(R"({"action": "delay", "seconds": "1"})", context), ContainsSubstring("'str'"));
}

// ---------------------------------------------------------------- lambda-scaling (2.11)

TEST_CASE("lambda-scaling sleeps for sleep_ms and reports it", "[functions]") {
    FakeFunctionContext context("lambda-scaling");
    const auto started = std::chrono::steady_clock::now();
    const auto answer = call("lambda-scaling", gateway_event(Json::object({{"message", "scale"}, {"sleep_ms", 60}})), context);
    CHECK(std::chrono::steady_clock::now() - started >= std::chrono::milliseconds(60));
    CHECK(answer.status == 200);
    CHECK(answer.body == Json::parse(R"({"message": "scaling-test", "slept_ms": 60})"));
    CHECK(call("lambda-scaling", Json::object(), context).body == Json::parse(R"({"message": "scaling-test", "slept_ms": 0})"));
}

TEST_CASE("lambda-scaling has no ping answer", "[functions]") {
    FakeFunctionContext context("lambda-scaling");
    CHECK(call("lambda-scaling", Json::parse(R"({"ping": true})"), context).body.str("message") == "scaling-test");
}

TEST_CASE("the scaling.ignores_sleep fault returns at once with slept_ms 0", "[functions]") {
    FakeFunctionContext context("lambda-scaling");
    context.switches.force("scaling.ignores_sleep", true);
    const auto started = std::chrono::steady_clock::now();
    const auto answer = call("lambda-scaling", Json::object({{"sleep_ms", 3000}}), context);
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::milliseconds(1500));
    CHECK(answer.body.integer("slept_ms") == 0);
}

// ---------------------------------------------------------------- lambda-image (2.12)

TEST_CASE("lambda-image echoes with the python handler by default", "[functions]") {
    FakeFunctionContext context("lambda-image");
    const Json result = run("lambda-image", gateway_event(Json::object({{"message", "hello-image"}})), context);
    CHECK(result == Json::parse(R"({"success": true, "action": "echo", "handler": "esb-e2e-image-python", "message": "hello-image"})"));
    CHECK(run("lambda-image", Json::object(), context).str("message") == "hello-image");
}

TEST_CASE("lambda-image runs the java handler when the environment expects the java logger", "[functions]") {
    FakeFunctionContext context("lambda-image");
    context.environment["E2E_IMAGE_EXPECTED_LOGGER"] = "cloudwatch.logs.java";
    const Json result = run("lambda-image", gateway_event(Json::object({{"message", " padded "}})), context);
    CHECK(result == Json::parse(R"({"success": true, "action": "echo", "handler": "esb-e2e-image-java", "message": "padded"})"));
}

TEST_CASE("lambda-image fills missing fields from top-level strings", "[functions]") {
    FakeFunctionContext python("lambda-image");
    CHECK(run("lambda-image", Json::parse(R"({"body": "{\"action\": \"echo\"}", "message": "top"})"), python).str("message") == "top");
    CHECK(run("lambda-image", Json::parse(R"({"body": {"message": "inner"}, "message": "outer"})"), python).str("message") == "inner");
    CHECK(run("lambda-image", Json::parse(R"({"message": 5})"), python).str("message") == "hello-image");
    CHECK(run("lambda-image", Json::parse(R"({"action": "other"})"), python).str("action") == "other");
    FakeFunctionContext java("lambda-image");
    java.environment["E2E_IMAGE_EXPECTED_LOGGER"] = "cloudwatch.logs.java";
    CHECK(run("lambda-image", Json::parse(R"({"message": "   "})"), java).str("message") == "hello-image");
}

TEST_CASE("lambda-image chain_invoke returns the synchronous child", "[functions]") {
    FakeFunctionContext context("lambda-image");
    context.answer_invoke = [](const InvokeCall& invocation) { return echo_child(Json::parse(invocation.payload).str("message")); };
    const Json result = run("lambda-image", gateway_event(Json::object({{"action", "chain_invoke"}, {"target", "lambda-echo"}, {"message", "from-image-chain"}})), context);
    CHECK(result.boolean("success"));
    CHECK(result.str("chain.target") == "lambda-echo");
    CHECK(result.str("chain.invocation_type") == "RequestResponse");
    CHECK(result.integer("chain.status_code") == 200);
    CHECK(result.integer("chain.child.statusCode") == 200);
    CHECK(result.at("chain.child").decoded("body").str("message") == "Echo: from-image-chain");
    REQUIRE(context.invocations.size() == 1);
    CHECK(Json::parse(context.invocations[0].payload) == Json::parse(R"({"message": "from-image-chain"})"));
    CHECK_FALSE(context.invocations[0].event);
}

TEST_CASE("lambda-image chain_invoke can invoke asynchronously without a child", "[functions]") {
    FakeFunctionContext context("lambda-image");
    context.answer_invoke = [](const InvokeCall&) { return ChildInvocation{202, "", false}; };
    const Json result = run("lambda-image", Json::parse(R"({"action": "chain_invoke", "async": true})"), context);
    CHECK(result.at("chain") == Json::parse(R"({"target": "lambda-echo", "invocation_type": "Event", "status_code": 202})"));
    REQUIRE(context.invocations.size() == 1);
    CHECK(context.invocations[0].event);
    CHECK(Json::parse(context.invocations[0].payload) == Json::parse(R"({"message": "hello-image"})"));
}

TEST_CASE("lambda-image java chain keeps a child that is not a JSON object as text", "[functions]") {
    FakeFunctionContext context("lambda-image");
    context.environment["E2E_IMAGE_EXPECTED_LOGGER"] = "cloudwatch.logs.java";
    context.answer_invoke = [](const InvokeCall&) { return ChildInvocation{200, "[1]", false}; };
    CHECK(run("lambda-image", Json::parse(R"({"action": "chain_invoke"})"), context).str("chain.child") == "[1]");
    FakeFunctionContext python("lambda-image");
    python.answer_invoke = context.answer_invoke;
    CHECK(run("lambda-image", Json::parse(R"({"action": "chain_invoke"})"), python).at("chain.child") == Json::parse("[1]"));
}

TEST_CASE("lambda-image s3_roundtrip writes and reads back the object", "[functions]") {
    FakeFunctionContext context("lambda-image");
    const std::string key = unique("image-") + ".txt";
    const Json result = run("lambda-image", gateway_event(Json::object({{"action", "s3_roundtrip"}, {"bucket", kBucket}, {"key", key}, {"content", "from-image-s3"}})), context);
    CHECK(result.boolean("success"));
    CHECK(result.at("s3") == Json::object({{"bucket", kBucket}, {"key", key}, {"content", "from-image-s3"}}));
    CHECK(stored_object(kBucket, key) == "from-image-s3");
}

TEST_CASE("lambda-image s3_roundtrip defaults the bucket and key and content", "[functions]") {
    FakeFunctionContext context("lambda-image");
    const Json result = run("lambda-image", Json::parse(R"({"action": "s3_roundtrip"})"), context);
    CHECK(result.str("s3.bucket") == kBucket);
    CHECK_THAT(result.str("s3.key"), Matches("image-[0-9a-f]{8}\\.txt"));
    CHECK(result.str("s3.content") == "from-image-s3");
    CHECK(stored_object(kBucket, result.str("s3.key")) == "from-image-s3");
}

TEST_CASE("lambda-image test_cloudwatch sends the marker and prints it", "[functions]") {
    for (const bool java : {false, true}) {
        FakeFunctionContext context("lambda-image");
        if (java) context.environment["E2E_IMAGE_EXPECTED_LOGGER"] = "cloudwatch.logs.java";
        const std::string marker = "image-cloudwatch-" + refstack::random_hex_digits(32);
        const Json result = run("lambda-image", gateway_event(Json::object({{"action", "test_cloudwatch"}, {"marker", marker}})), context);
        CHECK(result.boolean("success"));
        REQUIRE(context.cloudwatch.size() == 1);
        const auto& sent = context.cloudwatch[0];
        CHECK(sent.runtime == (java ? "java" : "python"));
        CHECK(sent.log_group == "/lambda/image-function");
        CHECK_THAT(sent.log_stream, Matches("image-stream-[0-9]{13}"));
        REQUIRE(sent.events.size() == 1);
        CHECK(sent.events[0].second == "[INFO] " + marker);
        CHECK(result.at("cloudwatch") == Json::object({{"marker", marker}, {"log_group", sent.log_group}, {"log_stream", sent.log_stream}}));
        const auto records = context.printed_json();
        REQUIRE(records.size() == 1);
        CHECK(records[0] == Json::object({{"level", "INFO"}, {"message", marker}, {"function", "lambda-image"}}));
    }
}

TEST_CASE("lambda-image test_cloudwatch generates a marker when none is given", "[functions]") {
    FakeFunctionContext context("lambda-image");
    const Json result = run("lambda-image", Json::parse(R"({"action": "test_cloudwatch"})"), context);
    CHECK_THAT(result.str("cloudwatch.marker"), Matches("image-cloudwatch-[0-9a-f]{32}"));
}

TEST_CASE("lambda-image reports a failure as a plain object", "[functions]") {
    FakeFunctionContext context("lambda-image");  // the default child answer is a 404
    const Json result = run("lambda-image", Json::parse(R"({"action": "chain_invoke", "target": "lambda-nope"})"), context);
    CHECK_FALSE(result.has("statusCode"));
    CHECK(result.boolean("success") == false);
    CHECK(result.str("action") == "chain_invoke");
    CHECK(result.str("handler") == "esb-e2e-image-python");
    CHECK_THAT(result.str("error"), ContainsSubstring("Function not found: lambda-nope"));
}

TEST_CASE("the image.wrong_handler fault reports the other runtime", "[functions]") {
    FakeFunctionContext context("lambda-image");
    context.switches.force("image.wrong_handler", true);
    CHECK(run("lambda-image", Json::object(), context).str("handler") == "esb-e2e-image-java");
    context.environment["E2E_IMAGE_EXPECTED_LOGGER"] = "cloudwatch.logs.java";
    CHECK(run("lambda-image", Json::object(), context).str("handler") == "esb-e2e-image-python");
}

// ---------------------------------------------------------------- lambda-scheduled (2.13)

TEST_CASE("lambda-scheduled records the run that lambda-dynamo reads back", "[functions]") {
    FakeFunctionContext context("lambda-scheduled");
    const Json result = run("lambda-scheduled", std::string(R"({"scheduled": true})"), context);
    CHECK(result == Json::parse(R"({"statusCode": 200, "body": "{\"message\": \"Successfully updated schedule record\"}"})"));
    const auto item = stored_item("scheduled-run");
    REQUIRE(item);
    CHECK_THAT(item->at("last_run").as_string(), Matches(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6})"));

    FakeFunctionContext reader("lambda-dynamo");
    const auto got = call("lambda-dynamo", gateway_event(Json::object({{"action", "get"}, {"id", "scheduled-run"}})), reader);
    CHECK(got.body.boolean("found"));
    CHECK(got.body.str("item.id.S") == "scheduled-run");
    CHECK(got.body.at("item.event") == Json::parse(R"({"M": {"scheduled": {"BOOL": true}}})"));
    CHECK(got.body.str("item.last_run.S") == item->at("last_run").as_string());
}

TEST_CASE("the scheduled.event_not_recorded fault records the run with an empty event", "[functions]") {
    FakeFunctionContext context("lambda-scheduled");
    context.switches.force("scheduled.event_not_recorded", true);
    run("lambda-scheduled", std::string(R"({"scheduled": true})"), context);
    const auto item = stored_item("scheduled-run");
    REQUIRE(item);
    CHECK(item->contains("last_run"));
    REQUIRE(item->contains("event"));
    CHECK(item->at("event") == e2e::AttributeValue::from_plain_json(Json::object()));
}

TEST_CASE("lambda-scheduled fails the invocation when the database rejects the write", "[functions]") {
    FakeFunctionContext context("lambda-scheduled", ClientCredentials::wrong_secret);
    const auto& handler = refstack::builtin_functions().at("lambda-scheduled");
    CHECK_THROWS_AS(handler(R"({"scheduled": true})", context), fn::AwsCallError);
}
