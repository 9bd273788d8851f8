#include "resources_config.hpp"

#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

using Catch::Matchers::ContainsSubstring;

#ifndef E2E_SOURCE_DIR
#error "E2E_SOURCE_DIR must point at the source tree"
#endif

TEST_CASE("the shipped reference resources config lists the E2E bucket and table", "[refstack][config]") {
    const auto config = refstack::load_resources_config(std::string(E2E_SOURCE_DIR) + "/environments/reference/resources.yml");
    REQUIRE(config.buckets.size() == 1);
    CHECK(config.buckets[0].name == "e2e-test-bucket");
    REQUIRE(config.buckets[0].lifecycle_rules.size() == 1);
    CHECK(config.buckets[0].lifecycle_rules[0].status == "Enabled");
    CHECK(config.buckets[0].lifecycle_rules[0].expiration_days == 7);
    REQUIRE(config.tables.size() == 1);
    CHECK(config.tables[0].name == "e2e-test-table");
    REQUIRE(config.tables[0].key_schema.size() == 1);
    CHECK(config.tables[0].key_schema[0].name == "id");
    CHECK(config.tables[0].key_schema[0].attribute_type == "S");
    CHECK(config.tables[0].key_schema[0].key_type == "HASH");
}

TEST_CASE("resources config errors name the source and the entry", "[refstack][config]") {
    CHECK_THROWS_WITH(refstack::parse_resources_config("resources:\n  s3:\n    - LifecycleConfiguration: {}\n", "r.yml"),
                      ContainsSubstring("r.yml: resources.s3[0].BucketName is missing"));
    CHECK_THROWS_WITH(refstack::parse_resources_config("resources:\n  dynamodb:\n    - TableName: t\n      KeySchema:\n        - AttributeName: id\n          KeyType: HASH\n", "r.yml"),
                      ContainsSubstring("no AttributeDefinitions entry of type S, N or B for key id"));
    CHECK_THROWS_WITH(refstack::parse_resources_config("resources: [unclosed\n", "r.yml"), ContainsSubstring("r.yml:"));
    CHECK_THROWS_WITH(refstack::parse_resources_config("other: 1\n", "r.yml"), ContainsSubstring("top-level key resources is missing"));
    CHECK_THROWS_WITH(refstack::parse_resources_config(
                          "resources:\n  s3:\n    - BucketName: b\n      LifecycleConfiguration:\n        Rules:\n          - Status: Sometimes\n            ExpirationInDays: 7\n",
                          "r.yml"),
                      ContainsSubstring("Status must be Enabled or Disabled"));
    CHECK_THROWS_WITH(refstack::parse_resources_config(
                          "resources:\n  s3:\n    - BucketName: b\n      LifecycleConfiguration:\n        Rules:\n          - ExpirationInDays: seven\n",
                          "r.yml"),
                      ContainsSubstring("ExpirationInDays is not an integer"));
}

TEST_CASE("a missing resources config file is named in the error", "[refstack][config]") {
    CHECK_THROWS_WITH(refstack::load_resources_config("/nonexistent/resources.yml"), ContainsSubstring("/nonexistent/resources.yml"));
}
