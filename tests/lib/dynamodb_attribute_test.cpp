#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <functional>
#include <optional>
#include <string>

#include "e2e/dynamodb.hpp"

using Catch::Matchers::ContainsSubstring;
using e2e::AttributeType;
using e2e::AttributeValue;
using e2e::AttributeValueError;
using e2e::Json;

namespace {

struct Failure {
    AttributeValueError::Kind kind;
    std::string message;
};

// The AttributeValueError `action` throws, or nullopt when it throws none.
std::optional<Failure> failure_of(const std::function<void()>& action) {
    try {
        action();
    } catch (const AttributeValueError& error) {
        return Failure{error.kind(), error.what()};
    }
    return std::nullopt;
}

AttributeValue from_text(std::string_view typed_json, std::string_view where = "value") {
    return AttributeValue::from_json(Json::parse(typed_json), where);
}

}  // namespace

TEST_CASE("attribute values convert to the DynamoDB wire form", "[dynamodb]") {
    CHECK(AttributeValue::string("hi").to_json() == Json::parse(R"({"S":"hi"})"));
    CHECK(AttributeValue::number("1.50").to_json() == Json::parse(R"({"N":"1.50"})"));
    CHECK(AttributeValue::number(std::int64_t{-42}).to_json() == Json::parse(R"({"N":"-42"})"));
    CHECK(AttributeValue::binary("hello").to_json() == Json::parse(R"({"B":"aGVsbG8="})"));
    CHECK(AttributeValue::boolean(true).to_json() == Json::parse(R"({"BOOL":true})"));
    CHECK(AttributeValue::null().to_json() == Json::parse(R"({"NULL":true})"));
    CHECK(AttributeValue::list({AttributeValue::string("a"), AttributeValue::boolean(false)}).to_json() ==
          Json::parse(R"({"L":[{"S":"a"},{"BOOL":false}]})"));
    const auto event = AttributeValue::map({{"scheduled", AttributeValue::boolean(true)}});
    CHECK(event.to_json() == Json::parse(R"({"M":{"scheduled":{"BOOL":true}}})"));
    // The N stays a JSON string: DynamoDB never sends numbers as JSON numbers.
    CHECK(AttributeValue::number("7").to_json().at("N").is_string());
}

TEST_CASE("attribute values read back from the wire form equal the original", "[dynamodb]") {
    const e2e::Item item{
        {"id", AttributeValue::string("scheduled-run")},
        {"count", AttributeValue::number("12345678901234567890.5")},
        {"raw", AttributeValue::binary(std::string("\x00\xff\x10 z", 5))},
        {"flag", AttributeValue::boolean(false)},
        {"nothing", AttributeValue::null()},
        {"event", AttributeValue::map({{"scheduled", AttributeValue::boolean(true)},
                                       {"tags", AttributeValue::list({AttributeValue::string(""),
                                                                      AttributeValue::number("0")})}})},
    };
    const auto wire = e2e::to_json(item);
    CHECK(wire.boolean("event.M.scheduled.BOOL"));
    CHECK(wire.str("id.S") == "scheduled-run");
    const auto back = e2e::item_from_json(Json::parse(wire.dump()), "Item");
    CHECK(back == item);
    CHECK(back.at("raw").as_binary() == std::string("\x00\xff\x10 z", 5));
    CHECK(back.at("event").as_map().at("tags").as_list().at(1).as_number() == "0");
}

TEST_CASE("binary values of every padding length survive base64", "[dynamodb]") {
    for (const std::string& bytes : {std::string(), std::string("a"), std::string("ab"), std::string("abc"),
                                    std::string("abcd"), std::string("\xfb\xff\xfe", 3)}) {
        const auto wire = AttributeValue::binary(bytes).to_json();
        CHECK(wire.str("B").size() % 4 == 0);
        CHECK(AttributeValue::from_json(wire).as_binary() == bytes);
    }
    CHECK(AttributeValue::binary("\xfb\xff\xfe").to_json().str("B") == "+//+");
    for (const char* bad : {R"({"B":"abc"})", R"({"B":"ab=c"})", R"({"B":"a*bc"})", R"({"B":"=abc"})"}) {
        INFO(bad);
        const auto failure = failure_of([&] { from_text(bad); });
        REQUIRE(failure);
        CHECK(failure->kind == AttributeValueError::Kind::validation);
        CHECK_THAT(failure->message, ContainsSubstring("base64"));
    }
}

TEST_CASE("an attribute value without exactly one type is a validation error naming its place", "[dynamodb]") {
    const auto empty = failure_of([] { e2e::item_from_json(Json::parse(R"({"a":{}})"), "Item"); });
    REQUIRE(empty);
    CHECK(empty->kind == AttributeValueError::Kind::validation);
    CHECK_THAT(empty->message, ContainsSubstring("Supplied AttributeValue is empty") && ContainsSubstring("Item.a"));

    const auto two = failure_of([] { e2e::item_from_json(Json::parse(R"({"a":{"M":{"b":{"S":"x","N":"1"}}}})"), "Item"); });
    REQUIRE(two);
    CHECK(two->kind == AttributeValueError::Kind::validation);
    CHECK_THAT(two->message, ContainsSubstring("more than one datatypes") && ContainsSubstring("Item.a.b"));

    const auto unknown = failure_of([] { from_text(R"({"X":"1"})"); });
    REQUIRE(unknown);
    CHECK_THAT(unknown->message, ContainsSubstring("unknown attribute value type \"X\""));

    const auto set = failure_of([] { from_text(R"({"SS":["a"]})"); });
    REQUIRE(set);
    CHECK_THAT(set->message, ContainsSubstring("SS is not supported"));

    const auto null_false = failure_of([] { from_text(R"({"NULL":false})"); });
    REQUIRE(null_false);
    CHECK_THAT(null_false->message, ContainsSubstring("Null attribute value types must have the value of true"));
}

TEST_CASE("an attribute value of the wrong JSON shape is a serialization error", "[dynamodb]") {
    for (const char* bad : {R"({"S":5})", R"({"N":1})", R"({"BOOL":"true"})", R"({"M":[]})", R"({"L":{}})", R"("text")",
                            R"({"NULL":null})"}) {
        INFO(bad);
        const auto failure = failure_of([&] { from_text(bad, "Item.x"); });
        REQUIRE(failure);
        CHECK(failure->kind == AttributeValueError::Kind::serialization);
        CHECK_THAT(failure->message, ContainsSubstring("Item.x"));
    }
    const auto not_object = failure_of([] { e2e::item_from_json(Json::parse("[]"), "Key"); });
    REQUIRE(not_object);
    CHECK(not_object->kind == AttributeValueError::Kind::serialization);
    CHECK_THAT(not_object->message, ContainsSubstring("Key must be a JSON object"));
}

TEST_CASE("number text is checked the way DynamoDB reads numbers", "[dynamodb]") {
    for (const char* good : {"0", "-1", "+1", "1.5", "5.", ".5", "1e5", "1E-5", "-0.000", "12345678901234567890123"})
        CHECK(e2e::is_number_text(good));
    for (const char* bad : {"", "-", ".", "1e", "1e+", " 1", "1 ", "0x10", "NaN", "Infinity", "1.2.3", "1e5.5", "abc"})
        CHECK_FALSE(e2e::is_number_text(bad));
    const auto failure = failure_of([] { from_text(R"({"N":"twelve"})", "Item.n"); });
    REQUIRE(failure);
    CHECK(failure->kind == AttributeValueError::Kind::validation);
    CHECK_THAT(failure->message, ContainsSubstring("cannot be converted into a number") && ContainsSubstring("twelve"));
    CHECK(failure_of([] { AttributeValue::number("1,5"); }));
}

TEST_CASE("strict getters name the type the value actually has", "[dynamodb]") {
    const auto value = AttributeValue::number("3");
    CHECK(value.type() == AttributeType::number);
    CHECK(value.as_number() == "3");
    const auto failure = failure_of([&] { (void)value.as_string(); });
    REQUIRE(failure);
    CHECK_THAT(failure->message, ContainsSubstring("is N not S"));
    CHECK(failure_of([] { (void)AttributeValue::null().as_map(); }));
    CHECK(failure_of([] { (void)AttributeValue::string("true").as_bool(); }));
}

TEST_CASE("plain JSON becomes typed values as boto3 resource layer writes them", "[dynamodb]") {
    const auto item = e2e::item_from_plain_json(Json::parse(
        R"({"id":"scheduled-run","n":3,"ratio":0.5,"event":{"scheduled":true},"l":[1,"a"],"none":null})"));
    const auto expected = e2e::item_from_json(Json::parse(R"({
        "id": {"S": "scheduled-run"}, "n": {"N": "3"}, "ratio": {"N": "0.5"},
        "event": {"M": {"scheduled": {"BOOL": true}}},
        "l": {"L": [{"N": "1"}, {"S": "a"}]}, "none": {"NULL": true}})"));
    CHECK(item == expected);
    CHECK(AttributeValue::map(item).to_plain_json() ==
          Json::parse(R"({"id":"scheduled-run","n":3,"ratio":0.5,"event":{"scheduled":true},"l":[1,"a"],"none":null})"));
    CHECK(failure_of([] { (void)AttributeValue::number("+1").to_plain_json(); }));
    CHECK(failure_of([] { e2e::item_from_plain_json(Json::parse("[1]")); }));
}

TEST_CASE("equality ignores map order but not types or number spelling", "[dynamodb]") {
    const auto a = from_text(R"({"M":{"x":{"N":"1"},"y":{"S":"1"}}})");
    const auto b = from_text(R"({"M":{"y":{"S":"1"},"x":{"N":"1"}}})");
    CHECK(a == b);
    CHECK_FALSE(AttributeValue::number("1") == AttributeValue::string("1"));
    CHECK_FALSE(AttributeValue::number("1") == AttributeValue::number("1.0"));
    CHECK_FALSE(AttributeValue::boolean(true) == AttributeValue::null());
    CHECK(AttributeValue::list({}) == from_text(R"({"L":[]})"));
}

TEST_CASE("values nested deeper than 32 levels are refused", "[dynamodb]") {
    auto nested = [](int levels) {
        std::string text = R"({"S":"leaf"})";
        for (int i = 1; i < levels; ++i) text = R"({"L":[)" + text + "]}";
        return text;
    };
    CHECK_NOTHROW(from_text(nested(32)));
    const auto failure = failure_of([&] { from_text(nested(33)); });
    REQUIRE(failure);
    CHECK_THAT(failure->message, ContainsSubstring("Nesting Levels have exceeded supported limits"));
}

TEST_CASE("a DynamoDB error answer becomes an AwsError with the code after the hash", "[dynamodb]") {
    e2e::HttpResponse response;
    response.status = 400;
    response.headers = {{"x-amzn-RequestId", "REQ123"}};
    response.body = R"({"__type":"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException","message":"Requested resource not found"})";
    const auto error = e2e::parse_dynamodb_error(response, "GetItem", "missing-table");
    CHECK(error.http_status == 400);
    CHECK(error.code == "ResourceNotFoundException");
    CHECK(error.message == "Requested resource not found");
    CHECK(error.request_id == "REQ123");
    CHECK_THAT(e2e::to_string(error), ContainsSubstring("GetItem missing-table") && ContainsSubstring("REQ123"));

    response.body = R"({"__type":"com.amazon.coral.service#UnrecognizedClientException","Message":"bad key"})";
    CHECK(e2e::parse_dynamodb_error(response, "PutItem").code == "UnrecognizedClientException");
    CHECK(e2e::parse_dynamodb_error(response, "PutItem").message == "bad key");

    response.status = 413;
    response.body = "request body exceeds 1024 bytes";
    const auto plain = e2e::parse_dynamodb_error(response, "PutItem");
    CHECK(plain.code == "413");
    CHECK(plain.message == "request body exceeds 1024 bytes");
}
