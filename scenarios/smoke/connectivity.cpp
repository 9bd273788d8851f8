// The smoke connectivity contract (contract 5.4, SMK-003..010), written once and compiled into
// every runtime binary with its E2E_RUNTIME: SMK-003/005/007/009 in e2e-python, SMK-004/006/008/010
// in e2e-java. Side effects are read back at the source (S3 GetObject, DynamoDB GetItem), after
// removing what a previous run may have left, so an acknowledged-but-lost write fails.
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers.hpp>

#include "e2e/matchers.hpp"
#include "e2e/scenario.hpp"

namespace {

constexpr std::string_view kTable = "e2e-test-table";    // E2E_TABLE_NAME default (contract 2.5)
constexpr std::string_view kBucket = "e2e-test-bucket";  // the bucket SMK-007/008 name

}  // namespace

TEST_CASE(E2E_RUNTIME " connectivity function echoes the message", "[smoke]" E2E_ID("SMK-003", "SMK-004") E2E_RUNTIME_TAG) {
    const auto& rt = e2e::runtime();
    auto res = e2e::gateway().post(rt.connectivity_path(), {{"action", "echo"}, {"message", rt.tag("smoke")}}, e2e::token());
    e2e::assert_success(res, "echo");
    CHECK_THAT(e2e::Json::parse(res.body), e2e::Field("message", "Echo: " + rt.tag("smoke")));
}

TEST_CASE(E2E_RUNTIME " connectivity function writes an item to DynamoDB", "[smoke]" E2E_ID("SMK-005", "SMK-006") E2E_RUNTIME_TAG) {
    const auto& rt = e2e::runtime();
    const std::string key = rt.tag("smoke");  // "smoke-python", as ESB's suite sends
    const e2e::Item item_key{{"id", e2e::AttributeValue::string(key)}};
    auto& db = e2e::dynamodb();
    // The key is fixed by the contract, so clear it first: a stale item must not stand in for the write.
    REQUIRE(db.delete_item(kTable, item_key).ok());

    auto res = e2e::gateway().post(rt.connectivity_path(), {{"action", "dynamodb_put"}, {"key", key}, {"value", "ok"}},
                                   e2e::token());
    e2e::assert_success(res, "dynamodb_put");

    // Deliberate improvement: the item is read back from DynamoDB itself.
    const auto got = db.get_item(kTable, item_key, /*consistent_read=*/true);
    REQUIRE(got.ok());
    REQUIRE(got->item.has_value());
    const auto& item = *got->item;
    INFO("item: " << item);
    REQUIRE(item.contains("id"));
    REQUIRE(item.contains("value"));
    CHECK(item.at("id") == e2e::AttributeValue::string(key));
    CHECK(item.at("value") == e2e::AttributeValue::string("ok"));
}

TEST_CASE(E2E_RUNTIME " connectivity function stores an object in S3", "[smoke]" E2E_ID("SMK-007", "SMK-008") E2E_RUNTIME_TAG) {
    const auto& rt = e2e::runtime();
    const std::string key = rt.id() + "-smoke.txt";  // "python-smoke.txt", as ESB's suite sends
    auto& s3 = e2e::s3();
    // Fixed key: remove a previous run's object (the bucket may not exist yet: the function creates it).
    const auto removed = s3.delete_object(kBucket, key);
    INFO("pre-delete: " << (removed.ok() ? std::string("ok") : e2e::to_string(removed.error())));
    REQUIRE((removed.ok() || removed.error_code() == "NoSuchBucket"));

    auto res = e2e::gateway().post(rt.connectivity_path(),
                                   {{"action", "s3_put"}, {"bucket", kBucket}, {"key", key}, {"content", "ok"}},
                                   e2e::token());
    e2e::assert_success(res, "s3_put");

    // Deliberate improvement: the object is read back from S3 itself.
    const auto got = s3.get_object(kBucket, key);
    INFO("GetObject: " << (got.ok() ? std::string("ok") : e2e::to_string(got.error())));
    REQUIRE(got.ok());
    CHECK(got->body == "ok");
}

TEST_CASE(E2E_RUNTIME " connectivity function invokes the echo function", "[smoke]" E2E_ID("SMK-009", "SMK-010") E2E_RUNTIME_TAG) {
    const auto& rt = e2e::runtime();
    auto res = e2e::gateway().post(rt.connectivity_path(),
                                   {{"action", "chain_invoke"}, {"target", "lambda-echo"}, {"message", "from-smoke"}},
                                   e2e::token());
    e2e::assert_success(res, "chain_invoke");
    const auto body = e2e::Json::parse(res.body);
    REQUIRE_THAT(body, e2e::HasField("child"));
    REQUIRE_FALSE(body.at("child").is_null());
    e2e::assert_child_success(body.at("child"));
}
