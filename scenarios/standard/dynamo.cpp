// lambda-dynamo through /api/dynamo (contract 2.7; 5.4 STD-001..004). Every write the function
// acknowledges is also read back at the source with DynamoDB GetItem (consistent read), so an
// acknowledged-but-lost put, an ignored update or a delete that leaves the item fails.
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers.hpp>
#include <chrono>
#include <cstdio>
#include <optional>
#include <random>
#include <string>

#include "e2e/matchers.hpp"
#include "e2e/scenario.hpp"

using namespace std::chrono_literals;

namespace {

constexpr std::string_view kTable = "e2e-test-table";

// A random UUID4 in text form (what ESB's suite sends as a fresh id).
std::string uuid4() {
    static thread_local std::mt19937_64 engine{std::random_device{}()};
    std::uniform_int_distribution<unsigned> byte(0, 255);
    unsigned char b[16];
    for (auto& v : b) v = static_cast<unsigned char>(byte(engine));
    b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);
    b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);
    char text[37];
    std::snprintf(text, sizeof text, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2],
                  b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
    return text;
}

e2e::HttpResponse call_dynamo(e2e::Json body) { return e2e::gateway().post("/api/dynamo", body, e2e::token()); }

e2e::Json require_ok(const e2e::HttpResponse& res) {
    REQUIRE_THAT(res, e2e::Status(200));
    auto body = e2e::Json::parse(res.body);
    REQUIRE_THAT(body, e2e::Field("success", true));
    return body;
}

// GetItem at the source (consistent read); empty when the table has no such item.
std::optional<e2e::Item> source_item(const std::string& id) {
    const auto got = e2e::dynamodb().get_item(kTable, e2e::Item{{"id", e2e::AttributeValue::string(id)}}, true);
    INFO("GetItem " << id << ": " << (got.ok() ? std::string("ok") : e2e::to_string(got.error())));
    REQUIRE(got.ok());
    return got->item;
}

// put through the function; returns the item id after checking the write landed in the table.
std::string put_through_function(const std::string& message) {
    const auto body = require_ok(call_dynamo(e2e::Json::object({{"action", "put"}, {"message", message}})));
    REQUIRE_THAT(body, e2e::FieldType("item_id", e2e::JsonType::string));
    const auto id = body.str("item_id");
    // Deliberate improvement: the setup write is asserted at the source.
    const auto item = source_item(id);
    REQUIRE(item.has_value());
    INFO("stored item: " << *item);
    REQUIRE(item->contains("message"));
    CHECK(item->at("message") == e2e::AttributeValue::string(message));
    return id;
}

void delete_at_source(const std::string& id) {
    (void)e2e::dynamodb().delete_item(kTable, e2e::Item{{"id", e2e::AttributeValue::string(id)}});
}

}  // namespace

TEST_CASE("dynamo function puts and gets back an item", "[standard][STD-001]") {
    // ESB: up to 40 attempts 5 s apart while the answer is 5xx (ScyllaDB warming up). Same budget,
    // as a deadline: the first answer outside 500/502/503/504 ends the wait.
    std::optional<e2e::HttpResponse> last;
    const auto answered = e2e::eventually(e2e::deadline_in(200s), [&](std::string& seen) {
        last = call_dynamo(e2e::Json::object({{"action", "put_get"}}));
        seen = e2e::describe_response(*last, 300);
        return last->status != 500 && last->status != 502 && last->status != 503 && last->status != 504;
    }, {.interval = 1s});
    INFO(answered.describe());
    REQUIRE(last.has_value());
    const auto body = require_ok(*last);
    REQUIRE_THAT(body, e2e::FieldType("item_id", e2e::JsonType::string) && e2e::HasField("retrieved_item"));
    const auto id = body.str("item_id");
    CHECK_THAT(body, e2e::Field("retrieved_item.id.S", id));

    // Deliberate improvement: the item is in the table itself, with the default message.
    const auto item = source_item(id);
    REQUIRE(item.has_value());
    INFO("stored item: " << *item);
    REQUIRE(item->contains("message"));
    CHECK(item->at("message") == e2e::AttributeValue::string("Hello from ScyllaDB Lambda"));
    REQUIRE(item->contains("timestamp"));
    CHECK(item->at("timestamp").is(e2e::AttributeType::number));
    delete_at_source(id);
}

TEST_CASE("dynamo function updates an item message", "[standard][STD-002]") {
    const auto id = put_through_function("Original message");

    const auto updated =
        require_ok(call_dynamo(e2e::Json::object({{"action", "update"}, {"id", id}, {"message", "Updated message"}})));
    CHECK_THAT(updated, e2e::Field("item_id", id));

    const auto got = require_ok(call_dynamo(e2e::Json::object({{"action", "get"}, {"id", id}})));
    CHECK_THAT(got, e2e::Field("found", true) && e2e::Field("item.message.S", "Updated message"));

    // Deliberate improvement: the update is visible in the table itself.
    const auto item = source_item(id);
    REQUIRE(item.has_value());
    INFO("stored item: " << *item);
    REQUIRE(item->contains("message"));
    CHECK(item->at("message") == e2e::AttributeValue::string("Updated message"));
    delete_at_source(id);
}

TEST_CASE("dynamo function deletes an item", "[standard][STD-003]") {
    const auto id = put_through_function("To be deleted");

    const auto deleted = require_ok(call_dynamo(e2e::Json::object({{"action", "delete"}, {"id", id}})));
    CHECK_THAT(deleted, e2e::Field("deleted", true) && e2e::Field("item_id", id));

    const auto got = require_ok(call_dynamo(e2e::Json::object({{"action", "get"}, {"id", id}})));
    CHECK_THAT(got, e2e::Field("found", false) && e2e::FieldIsNull("item"));

    // Deliberate improvement: the item is gone from the table itself.
    const auto item = source_item(id);
    if (item) FAIL("GetItem still returns the deleted item: " << *item);
}

TEST_CASE("dynamo function reports a missing item as not found", "[standard][STD-004]") {
    const auto id = uuid4();
    REQUIRE_FALSE(source_item(id).has_value());  // a fresh id: nothing to find at the source either
    const auto got = require_ok(call_dynamo(e2e::Json::object({{"action", "get"}, {"id", id}})));
    CHECK_THAT(got, e2e::Field("found", false) && e2e::FieldIsNull("item"));
}
