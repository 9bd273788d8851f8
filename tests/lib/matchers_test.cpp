#include "e2e/matchers.hpp"

#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <chrono>
#include <string>

using Catch::Matchers::ContainsSubstring;
using e2e::Field;
using e2e::FieldContains;
using e2e::FieldIsNull;
using e2e::FieldMatches;
using e2e::FieldType;
using e2e::HasField;
using e2e::Json;
using e2e::JsonType;

namespace {

const Json& response_body() {
    static const Json json = Json::parse(R"({
        "success": true, "action": "echo", "message": "Echo: smoke-42", "count": 3,
        "text_flag": "true", "one": 1, "item": null, "ratio": 0.5,
        "child": {"statusCode": 200, "body": "{\"ok\": true}"},
        "pools": [{"idle": 2}], "requestContext": {"authorizer": {"cognito:username": "alice"}}
    })");
    return json;
}

// What Catch2 prints for a failed CHECK_THAT: the stringified argument, a space, the description.
template <typename Arg, typename Matcher>
std::string failure_text(const Arg& arg, const Matcher& matcher) {
    REQUIRE_FALSE(matcher.match(arg));
    return Catch::Detail::stringify(arg) + " " + matcher.toString();
}

e2e::HttpResponse bad_gateway(std::string body) {
    e2e::HttpResponse response;
    response.status = 502;
    response.reason = "Bad Gateway";
    response.method = "POST";
    response.url = "https://localhost:8443/api/echo";
    response.headers = {{"Content-Type", "application/json"}, {"x-amzn-RequestId", "req-1"}};
    response.body = std::move(body);
    response.elapsed = std::chrono::milliseconds(12);
    return response;
}

}  // namespace

TEST_CASE("Field passes on an equal value of the same JSON type", "[matchers]") {
    const Json& json = response_body();
    CHECK_THAT(json, Field("success", true));
    CHECK_THAT(json, Field("action", "echo"));
    CHECK_THAT(json, Field("message", std::string("Echo: smoke-42")));
    CHECK_THAT(json, Field("count", 3));
    CHECK_THAT(json, Field("count", 3.0));
    CHECK_THAT(json, Field("ratio", 0.5));
    CHECK_THAT(json, Field("pools[0].idle", 2u));
    CHECK_THAT(json, Field(R"(requestContext.authorizer["cognito:username"])", "alice"));
    CHECK_THAT(json, Field("child", Json::parse(R"({"body": "{\"ok\": true}", "statusCode": 200.0})")));
}

TEST_CASE("Field fails on a value of another JSON type and shows both", "[matchers]") {
    const Json& json = response_body();
    CHECK_FALSE(Field("text_flag", true).match(json));
    CHECK_FALSE(Field("one", true).match(json));
    CHECK_FALSE(Field("success", 1).match(json));
    CHECK_FALSE(Field("count", "3").match(json));
    CHECK_FALSE(Field("item", false).match(json));

    const auto matcher = Field("text_flag", true);
    const std::string text = failure_text(json, matcher);
    CHECK_THAT(text, ContainsSubstring(R"({"success":true,"action":"echo")") &&  // the document
                         ContainsSubstring(R"(has field "text_flag" equal to true (boolean))") &&
                         ContainsSubstring(R"(actual: "true" (string))"));
}

TEST_CASE("Field fails on a missing field and says which segment failed", "[matchers]") {
    const Json& json = response_body();
    const auto matcher = Field("child.bodyy", "x");
    CHECK_THAT(failure_text(json, matcher),
               ContainsSubstring(R"(has field "child.bodyy" equal to "x" (string); actual: missing)") &&
                   ContainsSubstring(R"(no key "bodyy" in the object at "child" (keys: "statusCode", "body"))"));
    const auto deep = Field("pools[3].idle", 2);
    CHECK_THAT(failure_text(json, deep), ContainsSubstring("index [3] is out of range"));
}

TEST_CASE("Field with nullptr needs a present null", "[matchers]") {
    const Json& json = response_body();
    CHECK_THAT(json, Field("item", nullptr));
    CHECK_THAT(json, FieldIsNull("item"));
    CHECK_THAT(json, HasField("item"));
    CHECK_FALSE(Field("absent", nullptr).match(json));
    CHECK_FALSE(FieldIsNull("absent").match(json));
    CHECK_FALSE(FieldIsNull("count").match(json));
    CHECK_FALSE(HasField("absent").match(json));
    const auto matcher = HasField("absent");
    CHECK_THAT(failure_text(json, matcher),
               ContainsSubstring(R"(has field "absent" present (null allowed); actual: missing (no key "absent")"));
}

TEST_CASE("FieldType checks the JSON type at a path", "[matchers]") {
    const Json& json = response_body();
    CHECK_THAT(json, FieldType("pools", JsonType::array) && FieldType("child", JsonType::object) &&
                         FieldType("item", JsonType::null) && FieldType("ratio", JsonType::number) &&
                         FieldType("text_flag", JsonType::string) && FieldType("success", JsonType::boolean));
    const auto matcher = FieldType("child.body", JsonType::object);
    CHECK_THAT(failure_text(json, matcher), ContainsSubstring(R"(has field "child.body" of type object; actual: )") &&
                                                ContainsSubstring("(string)"));
    CHECK_FALSE(FieldType("absent", JsonType::null).match(json));
}

TEST_CASE("FieldContains matches substrings of string fields only", "[matchers]") {
    const Json& json = response_body();
    CHECK_THAT(json, FieldContains("message", "smoke-42"));
    CHECK_FALSE(FieldContains("message", "smoke-43").match(json));
    CHECK_FALSE(FieldContains("count", "3").match(json));  // a number is not a string
    CHECK_FALSE(FieldContains("absent", "").match(json));
    const auto matcher = FieldContains("message", "Bye \"you\"");
    CHECK_THAT(failure_text(json, matcher),
               ContainsSubstring(R"(that is a string containing "Bye \"you\""; actual: "Echo: smoke-42" (string))"));
}

TEST_CASE("FieldMatches applies a predicate and shows its description", "[matchers]") {
    const Json& json = response_body();
    const auto positive = [](const Json& value) { return value.is_integer() && value.integer() > 0; };
    CHECK_THAT(json, FieldMatches("count", positive, "is a positive integer"));
    CHECK_FALSE(FieldMatches("ratio", positive, "is a positive integer").match(json));
    CHECK_FALSE(FieldMatches("absent", positive, "is a positive integer").match(json));
    const auto matcher = FieldMatches("item", positive, "is a positive integer");
    CHECK_THAT(failure_text(json, matcher),
               ContainsSubstring(R"(has field "item" that is a positive integer; actual: null)"));
}

TEST_CASE("field matchers compose with and or and not", "[matchers]") {
    const Json& json = response_body();
    CHECK_THAT(json, Field("success", true) && Field("action", "echo"));
    CHECK_THAT(json, Field("action", "nope") || Field("action", "echo"));
    CHECK_THAT(json, !Field("success", "true"));
    CHECK_THAT(json, !HasField("absent") && HasField("item"));

    // Catch2's composites refer to their operands: keep the operands alive, compose in place.
    const auto success = Field("success", true);
    const auto other = Field("action", "other");
    CHECK_THAT(failure_text(json, success && other),
               ContainsSubstring(R"(has field "success" equal to true (boolean); actual: true (boolean))") &&
                   ContainsSubstring(" and ") && ContainsSubstring(R"(actual: "echo" (string))"));
    CHECK_THAT(failure_text(json, !success), ContainsSubstring(R"(not has field "success" equal to true)"));
}

TEST_CASE("a malformed path in a matcher is an error in the test", "[matchers]") {
    CHECK_THROWS_AS(Field("a..b", 1).match(response_body()), e2e::JsonError);
}

TEST_CASE("Status passes on the expected code and describes a miss", "[matchers]") {
    e2e::HttpResponse ok = bad_gateway("{}");
    ok.status = 200;
    ok.reason = "OK";
    CHECK_THAT(ok, e2e::Status(200));
    const auto matcher = e2e::Status(200);
    const std::string text = failure_text(bad_gateway(R"({"message": "Bad Gateway"})"), matcher);
    CHECK_THAT(text, ContainsSubstring("POST https://localhost:8443/api/echo -> 502 Bad Gateway in 12 ms") &&
                         ContainsSubstring(R"(body (26 bytes): {"message": "Bad Gateway"})") &&
                         ContainsSubstring("has status 200 (got 502)"));
}

TEST_CASE("StatusIn accepts any of the listed codes", "[matchers]") {
    e2e::HttpResponse response = bad_gateway("");
    response.status = 204;
    CHECK_THAT(response, e2e::StatusIn({200, 204}));
    CHECK_THAT(response, !e2e::StatusIn({500, 502, 503, 504}));
    const auto matcher = e2e::StatusIn({200, 204});
    CHECK_THAT(failure_text(bad_gateway(""), matcher),
               ContainsSubstring("has status in {200, 204} (got 502)") && ContainsSubstring("empty body"));
}

TEST_CASE("the response printout trims the body and leaves out headers", "[matchers]") {
    e2e::HttpResponse response = bad_gateway(std::string(5000, 'x') + "\x01");
    response.headers.emplace_back("Authorization", "Bearer secret-token");
    const std::string text = Catch::Detail::stringify(response);
    CHECK_THAT(text, ContainsSubstring("POST https://localhost:8443/api/echo -> 502 Bad Gateway") &&
                         ContainsSubstring("body (5001 bytes): xxx") && ContainsSubstring("…(4001 more bytes)"));
    CHECK(text.size() < 1200u);
    CHECK_THAT(text, !ContainsSubstring("secret-token") && !ContainsSubstring("application/json"));
    CHECK_THAT(e2e::describe_response(bad_gateway("a\x01z")), ContainsSubstring("a\\x01z"));
    CHECK_THAT(Catch::Detail::stringify(e2e::HttpResponse{}), ContainsSubstring("(unknown request) -> 0"));
}

TEST_CASE("Json prints through Catch as its trimmed dump", "[matchers]") {
    const Json big = Json::of(std::string(3000, 'y'));
    CHECK(Catch::Detail::stringify(big) == big.excerpt(1000));
    CHECK(Catch::Detail::stringify(Json::object({{"a", 1}})) == R"({"a":1})");
}

TEST_CASE("the response printout masks secrets in the body and the URL", "[matchers]") {
    e2e::HttpResponse response;
    response.method = "POST";
    response.url = "http://localhost:9000/b/k?X-Amz-Signature=abcdef0123&x=1";
    response.status = 200;
    response.body = R"({"AuthenticationResult": {"IdToken": "eyJhbGciOi.secret-token"}, "password": "hunter2"})";
    const auto text = e2e::describe_response(response);
    CHECK_THAT(text, !ContainsSubstring("secret-token") && !ContainsSubstring("hunter2") && !ContainsSubstring("abcdef0123"));
    CHECK_THAT(text, ContainsSubstring("IdToken") && ContainsSubstring("x=1"));
}
