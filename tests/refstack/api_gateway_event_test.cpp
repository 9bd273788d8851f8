#include "api_gateway_event.hpp"

#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include "base64.hpp"
#include "e2e/json.hpp"
#include "e2e/matchers.hpp"

using Catch::Matchers::ContainsSubstring;
using e2e::Field;
using e2e::HasField;
using e2e::Json;
using refstack::Headers;
using refstack::map_lambda_result;

namespace {

refstack::Request post(std::string body, Headers headers = {}, std::string query = {}) {
    refstack::Request request;
    request.method = "POST";
    request.path = "/api/echo";
    request.query = std::move(query);
    request.target = request.path + (request.query.empty() ? "" : "?" + request.query);
    request.headers = std::move(headers);
    request.body = std::move(body);
    request.peer = "127.0.0.1:40000";
    return request;
}

Json event_of(const refstack::Request& request, std::string_view user = "e2e-user") {
    return refstack::build_api_gateway_event({request, "/api/echo", "/api/echo", user, "11111111-2222-4333-8444-555555555555"});
}

std::string header_value(const refstack::Response& response, std::string_view name) {
    return refstack::find_header(response.headers, name).value_or("<absent>");
}

int header_count(const refstack::Response& response, std::string_view name) {
    int count = 0;
    for (const auto& [key, value] : response.headers) count += refstack::find_header({{key, value}}, name).has_value() ? 1 : 0;
    return count;
}

}  // namespace

TEST_CASE("the event carries route method path and lower-case headers", "[refstack][event]") {
    const auto event = event_of(post(R"({"message":"hi"})", {{"Content-Type", "application/json"},
                                                            {"Authorization", "Bearer t"},
                                                            {"X-Amzn-Trace-Id", "Root=1-a-b;Sampled=1"},
                                                            {"User-Agent", "e2e-test"}}));
    CHECK_THAT(event, Field("resource", "/api/echo") && Field("path", "/api/echo") && Field("httpMethod", "POST"));
    CHECK_THAT(event, Field("headers.authorization", "Bearer t") && Field("headers.content-type", "application/json") &&
                          Field("headers.x-amzn-trace-id", "Root=1-a-b;Sampled=1"));
    CHECK_THAT(event, Field("multiValueHeaders.authorization", Json::array({"Bearer t"})));
    CHECK_FALSE(event.has("headers.Authorization"));
    CHECK_THAT(event, Field("body", R"({"message":"hi"})") && Field("isBase64Encoded", false));
}

TEST_CASE("the event request context names the user the request id and the stage", "[refstack][event]") {
    const auto event = event_of(post("{}", {{"User-Agent", "e2e-test"}, {"X-Forwarded-For", "10.0.0.7"}}));
    const auto context = event.at("requestContext");
    CHECK_THAT(context, Field("identity.sourceIp", "10.0.0.7") && Field("identity.userAgent", "e2e-test"));
    CHECK_THAT(context, Field(R"(authorizer.claims["cognito:username"])", "e2e-user") &&
                            Field("authorizer.claims.username", "e2e-user") && Field(R"(authorizer["cognito:username"])", "e2e-user"));
    CHECK_THAT(context, Field("requestId", "11111111-2222-4333-8444-555555555555") && Field("stage", "prod") &&
                            Field("path", "/api/echo") && Field("protocol", "HTTP/1.1"));
}

TEST_CASE("the event source ip is unknown without x-forwarded-for and user agent is left out when absent", "[refstack][event]") {
    const auto event = event_of(post("{}"));
    CHECK_THAT(event, Field("requestContext.identity.sourceIp", "unknown"));
    CHECK_FALSE(event.has("requestContext.identity.userAgent"));
}

TEST_CASE("repeated headers keep the last value single and every value multi", "[refstack][event]") {
    const auto event = event_of(post("{}", {{"X-Tag", "one"}, {"x-tag", "two"}}));
    CHECK_THAT(event, Field("headers.x-tag", "two") && Field("multiValueHeaders.x-tag", Json::array({"one", "two"})));
}

TEST_CASE("query parameters appear only when a query string exists", "[refstack][event]") {
    const auto without = event_of(post("{}"));
    CHECK_FALSE(without.has("queryStringParameters"));
    CHECK_FALSE(without.has("multiValueQueryStringParameters"));
    CHECK_FALSE(without.has("pathParameters"));

    const auto with = event_of(post("{}", {}, "a=1&a=2&b=&c&msg=hello+world%21"));
    CHECK_THAT(with, Field("queryStringParameters", Json::object({{"a", "2"}, {"b", ""}, {"c", ""}, {"msg", "hello world!"}})));
    CHECK_THAT(with, Field("multiValueQueryStringParameters.a", Json::array({"1", "2"})) &&
                         Field("multiValueQueryStringParameters.msg", Json::array({"hello world!"})));
}

TEST_CASE("an empty body is left out and not base64 encoded", "[refstack][event]") {
    const auto event = event_of(post(""));
    CHECK_FALSE(event.has("body"));
    CHECK_THAT(event, Field("isBase64Encoded", false));
}

TEST_CASE("a gzip body is sent base64 encoded", "[refstack][event]") {
    const std::string gzip("\x1f\x8b\x08\x00\x00\x00\x00\x00", 8);
    const auto event = event_of(post(gzip, {{"Content-Encoding", "GZIP"}}));
    CHECK_THAT(event, Field("isBase64Encoded", true) && Field("body", refstack::base64_encode(gzip)));
    // Even valid UTF-8 text is encoded when the content is gzip.
    CHECK_THAT(event_of(post("plain", {{"Content-Encoding", "gzip"}})), Field("body", "cGxhaW4=") && Field("isBase64Encoded", true));
}

TEST_CASE("a body that is not UTF-8 is sent base64 encoded and UTF-8 text is sent as is", "[refstack][event]") {
    const std::string latin1("caf\xe9", 4);
    CHECK_THAT(event_of(post(latin1)), Field("isBase64Encoded", true) && Field("body", refstack::base64_encode(latin1)));
    CHECK_THAT(event_of(post("caf\xc3\xa9 \xf0\x9f\x98\x80")), Field("isBase64Encoded", false) && Field("body", "caf\xc3\xa9 \xf0\x9f\x98\x80"));
}

TEST_CASE("percent decoding decodes escapes and keeps bad ones", "[refstack][event]") {
    CHECK(refstack::percent_decode("arn%3Aaws%3Alambda") == "arn:aws:lambda");
    CHECK(refstack::percent_decode("a+b%2") == "a+b%2");
    CHECK(refstack::percent_decode("a+b%zz", true) == "a b%zz");
    CHECK(refstack::percent_decode("%e9") == "\xe9");
}

TEST_CASE("a statusCode result gives its status headers and re-serialised JSON body", "[refstack][event]") {
    const auto response = map_lambda_result(
        200, {}, R"({"statusCode": 201, "headers": {"Content-Type": "application/json", "X-Custom": "v"}, "body": "{\"a\": [1, 2]}"})");
    CHECK(response.status == 201);
    CHECK(response.body == R"({"a":[1,2]})");
    CHECK(header_value(response, "content-type") == "application/json");
    CHECK(header_value(response, "x-custom") == "v");
}

TEST_CASE("a statusCode 500 result is passed through as a plain answer", "[refstack][event]") {
    const auto response = map_lambda_result(200, {}, R"({"statusCode": 500, "body": "{\"error\": \"NoSuchKey\"}"})");
    CHECK(response.status == 500);
    CHECK(response.body == R"({"error":"NoSuchKey"})");
}

TEST_CASE("multi value headers win over single headers and hop-by-hop headers are dropped", "[refstack][event]") {
    const auto response = map_lambda_result(200, {}, R"({"statusCode": 200,
        "headers": {"Set-Cookie": "single", "X-Number": 7, "Content-Length": "999", "Connection": "close", "X-Null": null},
        "multiValueHeaders": {"set-cookie": ["a=1", "b=2"], "Transfer-Encoding": ["chunked"], "Keep-Alive": ["timeout=5"]},
        "body": ""})");
    CHECK(header_count(response, "set-cookie") == 2);
    CHECK(header_value(response, "set-cookie") == "a=1");
    CHECK(header_value(response, "x-number") == "7");
    CHECK(header_count(response, "content-length") == 0);
    CHECK(header_count(response, "connection") == 0);
    CHECK(header_count(response, "transfer-encoding") == 0);
    CHECK(header_count(response, "keep-alive") == 0);
    CHECK(header_count(response, "x-null") == 0);
}

TEST_CASE("a base64 encoded result body is decoded to bytes", "[refstack][event]") {
    const std::string png("\x89PNG\r\n\x1a\n\x00\x01", 10);
    const auto payload = Json::object({{"statusCode", 200},
                                       {"headers", Json::object({{"Content-Type", "image/png"}})},
                                       {"body", refstack::base64_encode(png)},
                                       {"isBase64Encoded", true}});
    const auto response = map_lambda_result(200, {}, payload.dump());
    CHECK(response.body == png);
    CHECK(header_value(response, "content-type") == "image/png");
}

TEST_CASE("result bodies that are not JSON objects are sent as text", "[refstack][event]") {
    const auto pong = map_lambda_result(200, {}, R"({"statusCode": 200, "body": "pong"})");
    CHECK(pong.body == "pong");
    CHECK_THAT(header_value(pong, "content-type"), ContainsSubstring("text/plain"));
    CHECK(map_lambda_result(200, {}, R"({"statusCode": 200, "body": "42"})").body == "42");
    CHECK(map_lambda_result(200, {}, R"({"statusCode": 200, "body": "\"quoted\""})").body == "quoted");
    CHECK(map_lambda_result(200, {}, R"({"statusCode": 200, "body": "[1, 2]"})").body == "[1,2]");
    CHECK(map_lambda_result(200, {}, R"({"statusCode": 200, "body": {"direct": true}})").body == R"({"direct":true})");
}

TEST_CASE("a null or absent result body gives an empty answer", "[refstack][event]") {
    const auto absent = map_lambda_result(200, {}, R"({"statusCode": 204})");
    CHECK(absent.status == 204);
    CHECK(absent.body.empty());
    CHECK(map_lambda_result(200, {}, R"({"statusCode": 200, "body": null})").body.empty());
}

TEST_CASE("a JSON result without statusCode is answered 200 re-serialised", "[refstack][event]") {
    const auto response = map_lambda_result(200, {}, R"({ "success" : true, "handler": "esb-e2e-image-python" })");
    CHECK(response.status == 200);
    CHECK(response.body == R"({"success":true,"handler":"esb-e2e-image-python"})");
    CHECK(header_value(response, "content-type") == "application/json");
    CHECK(map_lambda_result(200, {}, "[1, 2]").body == "[1,2]");
}

TEST_CASE("an empty result is answered 200 with an empty object", "[refstack][event]") {
    const auto response = map_lambda_result(200, {}, "");
    CHECK(response.status == 200);
    CHECK(response.body == "{}");
}

TEST_CASE("a result that is not JSON is passed through raw with the worker status", "[refstack][event]") {
    const auto response = map_lambda_result(207, {{"Content-Type", "text/csv"}}, "a,b\n1,2\n");
    CHECK(response.status == 207);
    CHECK(response.body == "a,b\n1,2\n");
    CHECK(header_value(response, "content-type") == "text/csv");
}

TEST_CASE("a result with an unusable statusCode or base64 body is an error", "[refstack][event]") {
    CHECK_THROWS_AS(map_lambda_result(200, {}, R"({"statusCode": "abc"})"), refstack::LambdaResultError);
    CHECK_THROWS_AS(map_lambda_result(200, {}, R"({"statusCode": 99})"), refstack::LambdaResultError);
    CHECK_THROWS_AS(map_lambda_result(200, {}, R"({"statusCode": 200.5})"), refstack::LambdaResultError);
    CHECK_THROWS_AS(map_lambda_result(200, {}, R"({"statusCode": 200, "body": "%%%", "isBase64Encoded": true})"),
                    refstack::LambdaResultError);
    CHECK(map_lambda_result(200, {}, R"({"statusCode": "202"})").status == 202);
}
