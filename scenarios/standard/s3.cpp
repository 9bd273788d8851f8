// The S3 function contract (contract 2.8 and 5.4, STD-019..024 and STD-030 = ESB's undocumented
// STD-X1). Every side effect the function reports is read back at the source with e2e::s3(), and
// setup writes are asserted, so an acknowledged-but-lost write and an empty listing fail (7.3).
#include <algorithm>
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers.hpp>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "e2e/matchers.hpp"
#include "e2e/scenario.hpp"

namespace {

constexpr std::string_view kBucket = "e2e-test-bucket";
constexpr std::string_view kS3Path = "/api/s3";

e2e::HttpResponse call_s3(std::initializer_list<e2e::JsonMember> members) {
    return e2e::gateway().post(kS3Path, members, e2e::token());
}

// 200 with `success` JSON true and the expected `action`; returns the parsed body.
e2e::Json require_ok(const e2e::HttpResponse& res, std::string_view action) {
    e2e::assert_success(res, action);
    return e2e::Json::parse(res.body);
}

void put_through_function(const std::string& key, std::string_view body) {
    INFO("setup put of " << key);
    require_ok(call_s3({{"action", "put"}, {"bucket", kBucket}, {"key", key}, {"body", body}}), "put");
}

std::string object_at_source(const std::string& key) {
    const auto got = e2e::s3().get_object(kBucket, key);
    INFO("GetObject " << key << ": " << (got.ok() ? std::string("ok") : e2e::to_string(got.error())));
    REQUIRE(got.ok());
    return got->body;
}

std::vector<std::string> string_keys(const e2e::Json& body, std::string_view path) {
    std::vector<std::string> keys;
    for (const auto& element : body.elements(path)) keys.push_back(element.str());
    return keys;
}

}  // namespace

TEST_CASE("S3 function put object is readable through the function and at the source", "[standard][STD-019]") {
    const std::string key = "test-object-" + e2e::random_hex(8) + ".txt";
    const std::string content = "Hello from E2E test!";
    put_through_function(key, content);

    // Deliberate improvement: the object is read back from S3 itself.
    CHECK(object_at_source(key) == content);

    const auto body = require_ok(call_s3({{"action", "get"}, {"bucket", kBucket}, {"key", key}}), "get");
    CHECK_THAT(body, e2e::Field("content", content));
}

TEST_CASE("S3 function lists the objects of the bucket", "[standard][STD-020]") {
    // ESB only checks that `objects` exists (contract 7.3). Here a seeded object must be listed;
    // its key sorts before the suite's other keys so the function's first page holds it.
    const std::string key = "0-std-020-" + e2e::random_hex(8) + ".txt";
    auto& s3 = e2e::s3();
    const auto seeded = s3.put_object(kBucket, key, "listed");
    INFO("seed PutObject: " << (seeded.ok() ? std::string("ok") : e2e::to_string(seeded.error())));
    REQUIRE(seeded.ok());

    const auto body = require_ok(call_s3({{"action", "list"}, {"bucket", kBucket}}), "list");
    REQUIRE_THAT(body, e2e::FieldType("objects", e2e::JsonType::array));
    const auto keys = string_keys(body, "objects");
    INFO("listed: " << body.at("objects").excerpt());
    CHECK(std::find(keys.begin(), keys.end(), key) != keys.end());

    CHECK(s3.delete_object(kBucket, key).ok());
}

TEST_CASE("S3 function delete removes the object", "[standard][STD-021]") {
    const std::string key = "test-delete-" + e2e::random_hex(8) + ".txt";
    put_through_function(key, "to be deleted");  // asserted, unlike ESB's suite
    REQUIRE(object_at_source(key) == "to be deleted");

    require_ok(call_s3({{"action", "delete"}, {"bucket", kBucket}, {"key", key}}), "delete");

    const auto gone = e2e::s3().get_object(kBucket, key);
    INFO("GetObject after delete: " << (gone.ok() ? "object still there: " + gone->body : e2e::to_string(gone.error())));
    CHECK(gone.error_code() == "NoSuchKey");

    const auto res = call_s3({{"action", "get"}, {"bucket", kBucket}, {"key", key}});
    CHECK_THAT(res, e2e::Status(500));
}

TEST_CASE("S3 function overwrite replaces the object content", "[standard][STD-022]") {
    const std::string key = "test-overwrite-" + e2e::random_hex(8) + ".txt";
    put_through_function(key, "original");
    put_through_function(key, "overwritten");

    CHECK(object_at_source(key) == "overwritten");

    const auto body = require_ok(call_s3({{"action", "get"}, {"bucket", kBucket}, {"key", key}}), "get");
    CHECK_THAT(body, e2e::Field("content", "overwritten"));
}

TEST_CASE("S3 function list with a prefix returns exactly the objects under it", "[standard][STD-023]") {
    const std::string prefix = "prefix-test-" + e2e::random_hex(8) + "/";
    std::set<std::string> written;
    for (int i = 0; i < 3; ++i) {
        const std::string key = prefix + "file" + std::to_string(i) + ".txt";
        put_through_function(key, "content " + std::to_string(i));
        written.insert(key);
    }

    // At the source first: the three writes landed.
    const auto listed = e2e::s3().list_all_objects(kBucket, prefix);
    INFO("ListObjectsV2: " << (listed.ok() ? std::string("ok") : e2e::to_string(listed.error())));
    REQUIRE(listed.ok());
    std::set<std::string> at_source;
    for (const auto& object : *listed) at_source.insert(object.key);
    CHECK(at_source == written);

    // ESB does not look at the listed keys (contract 7.3): here they must be exactly the three.
    const auto body = require_ok(call_s3({{"action", "list"}, {"bucket", kBucket}, {"prefix", prefix}}), "list");
    REQUIRE_THAT(body, e2e::FieldType("objects", e2e::JsonType::array));
    const auto keys = string_keys(body, "objects");
    INFO("listed: " << body.at("objects").excerpt());
    CHECK(keys.size() == written.size());
    CHECK(std::set<std::string>(keys.begin(), keys.end()) == written);
}

TEST_CASE("S3 bucket has the seven day expiration lifecycle rule", "[standard][STD-024]") {
    const auto config = e2e::s3().get_bucket_lifecycle_configuration(kBucket);
    INFO("GetBucketLifecycleConfiguration: " << (config.ok() ? std::string("ok") : e2e::to_string(config.error())));
    REQUIRE(config.ok());
    REQUIRE_FALSE(config->rules.empty());
    const bool has_rule = std::any_of(config->rules.begin(), config->rules.end(), [](const e2e::LifecycleRuleEntry& rule) {
        return rule.status == "Enabled" && rule.expiration_days == 7;
    });
    CHECK(has_rule);
}

TEST_CASE("S3 function presigned GET URL uses the public port and downloads the object", "[standard][STD-030]") {
    const std::int64_t port_s3 = e2e::settings().integer("PORT_S3");  // required, as in ESB's suite
    const std::string key = "test-presign-" + e2e::random_hex(8) + ".txt";
    const std::string content = "presign-content";
    put_through_function(key, content);

    const auto body = require_ok(
        call_s3({{"action", "presign_get"}, {"bucket", kBucket}, {"key", key}, {"expires_in", 120}}), "presign_get");
    REQUIRE_THAT(body, e2e::FieldType("url", e2e::JsonType::string));
    const std::string url_text = body.str("url");
    REQUIRE_FALSE(url_text.empty());
    const auto url = e2e::parse_url(url_text);
    INFO("presigned URL: " << url_text);
    REQUIRE(url.has_value());
    CHECK(url->host == "localhost");
    CHECK(static_cast<std::int64_t>(url->port) == port_s3);

    const auto download = e2e::aux_http().get(url_text);
    REQUIRE_THAT(download, e2e::Status(200));
    CHECK(download.body == content);
}
