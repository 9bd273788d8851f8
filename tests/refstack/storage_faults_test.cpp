// The S3 and DynamoDB fault switches: each acknowledges a write but breaks what a reader sees at
// the source, which is exactly what the suite's read-back checks must catch.
#include <catch2/catch_test_macros.hpp>
#include <unistd.h>

#include <filesystem>

#include "dynamodb_service.hpp"
#include "e2e/dynamodb.hpp"
#include "e2e/s3.hpp"
#include "faults.hpp"
#include "http_server.hpp"
#include "resources_config.hpp"
#include "s3_service.hpp"

namespace {

struct Storage {
    std::filesystem::path dir = std::filesystem::temp_directory_path() / ("e2e-storage-faults-" + std::to_string(::getpid()));
    refstack::FaultSwitches faults;
    refstack::ResourcesConfig resources =
        refstack::load_resources_config(std::filesystem::path(E2E_SOURCE_DIR) / "environments/reference/resources.yml");
    std::unique_ptr<refstack::S3Service> s3_service;
    std::unique_ptr<refstack::DynamoDbService> dynamodb_service;
    std::unique_ptr<refstack::HttpServer> s3_server;
    std::unique_ptr<refstack::HttpServer> dynamodb_server;

    Storage() {
        std::filesystem::remove_all(dir);
        s3_service = std::make_unique<refstack::S3Service>(refstack::S3ServiceOptions{
            .data_dir = dir / "s3", .access_key = "esb", .secret_key = "storage-secret", .buckets = resources.buckets, .faults = &faults});
        dynamodb_service = std::make_unique<refstack::DynamoDbService>(refstack::DynamoDbServiceConfig{
            .data_dir = dir / "dynamodb", .credentials = {{"esb", "storage-secret", ""}}, .tables = resources.tables, .faults = &faults});
        s3_server = std::make_unique<refstack::HttpServer>(refstack::ServerOptions{.name = "s3"},
                                                           [this](const refstack::Request& r) { return s3_service->handle(r); });
        dynamodb_server = std::make_unique<refstack::HttpServer>(refstack::ServerOptions{.name = "dynamodb"},
                                                                 [this](const refstack::Request& r) { return dynamodb_service->handle(r); });
        s3_server->start();
        dynamodb_server->start();
    }
    ~Storage() {
        s3_server.reset();
        dynamodb_server.reset();
        std::filesystem::remove_all(dir);
    }
    e2e::S3Client s3() const { return e2e::S3Client(s3_server->url(), "esb", "storage-secret"); }
    e2e::DynamoDbClient dynamodb() const { return e2e::DynamoDbClient({.endpoint = dynamodb_server->url(), .access_key = "esb", .secret_key = "storage-secret"}); }
};

e2e::Item item(const std::string& id, const std::string& value) {
    return {{"id", e2e::AttributeValue::string(id)}, {"value", e2e::AttributeValue::string(value)}};
}

}  // namespace

TEST_CASE("the s3 put_not_stored fault acknowledges an upload that is never stored", "[refstack][faults][s3]") {
    Storage storage;
    auto s3 = storage.s3();
    REQUIRE(s3.put_object("e2e-test-bucket", "kept.txt", "stored").ok());
    CHECK(s3.get_object("e2e-test-bucket", "kept.txt")->body == "stored");
    storage.faults.force("s3.put_not_stored", true);
    CHECK(s3.put_object("e2e-test-bucket", "lost.txt", "dropped").ok());
    CHECK(s3.get_object("e2e-test-bucket", "lost.txt").error_code() == "NoSuchKey");
}

TEST_CASE("the s3 lifecycle_missing fault hides the bucket lifecycle rule", "[refstack][faults][s3]") {
    Storage storage;
    auto s3 = storage.s3();
    const auto normal = s3.get_bucket_lifecycle_configuration("e2e-test-bucket");
    REQUIRE(normal.ok());
    CHECK(normal->rules.size() == 1);
    storage.faults.force("s3.lifecycle_missing", true);
    CHECK(s3.get_bucket_lifecycle_configuration("e2e-test-bucket").error_code() == "NoSuchLifecycleConfiguration");
}

TEST_CASE("the dynamodb put_not_stored fault acknowledges an item that is never stored", "[refstack][faults][dynamodb]") {
    Storage storage;
    auto dynamodb = storage.dynamodb();
    REQUIRE(dynamodb.put_item("e2e-test-table", item("kept", "v")).ok());
    CHECK(dynamodb.get_item("e2e-test-table", {{"id", e2e::AttributeValue::string("kept")}})->item.has_value());
    storage.faults.force("dynamodb.put_not_stored", true);
    CHECK(dynamodb.put_item("e2e-test-table", item("lost", "v")).ok());
    CHECK_FALSE(dynamodb.get_item("e2e-test-table", {{"id", e2e::AttributeValue::string("lost")}})->item.has_value());
}

TEST_CASE("the dynamodb update_ignored fault acknowledges an update that changes nothing", "[refstack][faults][dynamodb]") {
    Storage storage;
    auto dynamodb = storage.dynamodb();
    REQUIRE(dynamodb.put_item("e2e-test-table", item("row", "before")).ok());
    e2e::UpdateItemRequest update{.table = "e2e-test-table",
                                  .key = {{"id", e2e::AttributeValue::string("row")}},
                                  .update_expression = "SET #v = :v",
                                  .expression_attribute_names = {{"#v", "value"}},
                                  .expression_attribute_values = {{":v", e2e::AttributeValue::string("after")}}};
    storage.faults.force("dynamodb.update_ignored", true);
    CHECK(dynamodb.update_item(update).ok());
    CHECK(dynamodb.get_item("e2e-test-table", {{"id", e2e::AttributeValue::string("row")}})->item->at("value").as_string() == "before");
    storage.faults.force("dynamodb.update_ignored", false);
    CHECK(dynamodb.update_item(update).ok());
    CHECK(dynamodb.get_item("e2e-test-table", {{"id", e2e::AttributeValue::string("row")}})->item->at("value").as_string() == "after");
}
