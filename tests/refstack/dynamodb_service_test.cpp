// The refstack DynamoDB service driven over HTTP by e2e::DynamoDbClient (and by boto3).
#include "dynamodb_service.hpp"

#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>
#include <catch2/matchers/catch_matchers_templated.hpp>

#include <boost/crc.hpp>
#include <fmt/format.h>
#include <sys/wait.h>

#include <array>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <random>
#include <set>
#include <thread>

#include "durable_file.hpp"
#include "dynamodb_number.hpp"
#include "e2e/dynamodb.hpp"
#include "e2e/http.hpp"
#include "e2e/sigv4.hpp"
#include "http_server.hpp"
#include "resources_config.hpp"

using Catch::Matchers::ContainsSubstring;
using e2e::AttributeValue;
using e2e::Item;
using e2e::Json;

// Failures print the result: "ok" or the AwsError with operation, table, code and message.
template <typename T>
struct Catch::StringMaker<e2e::AwsResult<T>> {
    static std::string convert(const e2e::AwsResult<T>& result) { return result.ok() ? "ok" : e2e::to_string(result.error()); }
};

namespace {

constexpr const char* kTable = "e2e-test-table";
constexpr const char* kOrders = "orders";  // HASH customer (S) + RANGE order (N)
constexpr const char* kAccessKey = "refstack-test-access";
constexpr const char* kSecretKey = "refstack-test-secret";

// Succeeds() / FailsWith("ValidationException") on any AwsResult.
class OutcomeMatcher final : public Catch::Matchers::MatcherGenericBase {
public:
    explicit OutcomeMatcher(std::optional<std::string> code) : code_(std::move(code)) {}

    template <typename T>
    bool match(const e2e::AwsResult<T>& result) const {
        if (!code_) return result.ok();
        return !result.ok() && result.error().code == *code_;
    }
    std::string describe() const override { return code_ ? "(expected: fails with " + *code_ + ")" : "(expected: ok)"; }

private:
    std::optional<std::string> code_;
};

OutcomeMatcher Succeeds() { return OutcomeMatcher(std::nullopt); }
OutcomeMatcher FailsWith(std::string code) { return OutcomeMatcher(std::move(code)); }

class TempDir {
public:
    TempDir() {
        std::random_device random;
        path_ = std::filesystem::temp_directory_path() / fmt::format("esb-dynamodb-test-{:08x}{:08x}", random(), random());
        std::filesystem::create_directories(path_);
    }
    ~TempDir() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
};

std::vector<refstack::TableSpec> test_tables() {
    return {{kTable, {{"id", "S", "HASH"}}, "PAY_PER_REQUEST"},
            {kOrders, {{"customer", "S", "HASH"}, {"order", "N", "RANGE"}}, "PAY_PER_REQUEST"}};
}

refstack::DynamoDbServiceConfig service_config(const std::filesystem::path& data_dir) {
    refstack::DynamoDbServiceConfig config;
    config.data_dir = data_dir;
    config.credentials = {{kAccessKey, kSecretKey, {}}};
    config.tables = test_tables();
    config.region = "ap-northeast-1";
    return config;
}

// The service behind a loopback server on a free port; the server stops before the service goes.
struct DynamoStack {
    explicit DynamoStack(const std::filesystem::path& data_dir, refstack::DynamoDbServiceConfig config = {})
        : service(config.data_dir.empty() ? service_config(data_dir) : std::move(config)),
          server({.name = "dynamodb"}, [this](const refstack::Request& request) { return service.handle(request); }) {
        server.start();
    }

    e2e::DynamoDbConfig client_config(std::string secret = kSecretKey, std::string access = kAccessKey) const {
        return {.endpoint = server.url(), .access_key = std::move(access), .secret_key = std::move(secret)};
    }

    refstack::DynamoDbService service;
    refstack::HttpServer server;
};

AttributeValue S(std::string text) { return AttributeValue::string(std::move(text)); }
AttributeValue N(std::string text) { return AttributeValue::number(std::move(text)); }
Item key(std::string id) { return {{"id", S(std::move(id))}}; }

Item every_type_item(std::string id) {
    return {{"id", S(std::move(id))},
            {"text", S("héllo \"quoted\" \n line")},
            {"empty", S("")},
            {"count", N("42")},
            {"ratio", N("-0.125")},
            {"big", N("12345678901234567890123456789012345678")},
            {"flag", AttributeValue::boolean(true)},
            {"off", AttributeValue::boolean(false)},
            {"nothing", AttributeValue::null()},
            {"raw", AttributeValue::binary(std::string("\x00\x01\xfe\xff", 4))},
            {"event", AttributeValue::map({{"scheduled", AttributeValue::boolean(true)},
                                           {"nested", AttributeValue::map({{"deep", N("1")}})}})},
            {"list", AttributeValue::list({S("a"), N("2"), AttributeValue::null(),
                                           AttributeValue::list({AttributeValue::boolean(false)})})}};
}

Item get_or_empty(e2e::DynamoDbClient& client, const std::string& table, const Item& item_key) {
    auto got = client.get_item(table, item_key);
    REQUIRE_THAT(got, Succeeds());
    return got->item.value_or(Item{});
}

// A body to send as-is, signed with the right key, to test the service's input checks.
e2e::AwsError raw_error(e2e::DynamoDbClient& client, std::string_view target, std::string body) {
    const auto response = client.send_raw(target, std::move(body));
    INFO(response.body);
    CHECK(response.status == 400);
    return e2e::parse_dynamodb_error(response, target);
}

std::string crc32_of(const std::string& bytes) {
    boost::crc_32_type crc;
    crc.process_bytes(bytes.data(), bytes.size());
    return std::to_string(crc.checksum());
}

struct ProcessResult {
    int exit_code = -1;
    std::string output;  // stdout and stderr
};

ProcessResult run_command(const std::string& command) {
    ProcessResult result;
    FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
    if (pipe == nullptr) return result;
    std::array<char, 4096> buffer{};
    std::size_t n = 0;
    while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) result.output.append(buffer.data(), n);
    const int status = ::pclose(pipe);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return result;
}

std::string shell_quoted(std::string_view text) {
    std::string out = "'";
    for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

}  // namespace

TEST_CASE("dynamodb put then get returns every attribute type unchanged", "[dynamodb]") {
    TempDir dir;
    DynamoStack stack(dir.path());
    e2e::DynamoDbClient client(stack.client_config());
    const auto item = every_type_item("round-trip");
    REQUIRE_THAT(client.put_item(kTable, item), Succeeds());
    const auto got = client.get_item(kTable, key("round-trip"), true);
    REQUIRE_THAT(got, Succeeds());
    REQUIRE(got->item.has_value());
    CHECK(*got->item == item);
    CHECK(got->item->at("event").as_map().at("scheduled").as_bool());
    CHECK(got->item->at("raw").as_binary() == std::string("\x00\x01\xfe\xff", 4));

    const auto projected = client.call("GetItem", Json::object({{"TableName", kTable},
                                                                {"Key", e2e::to_json(key("round-trip"))},
                                                                {"ProjectionExpression", "#t, flag, absent"},
                                                                {"ExpressionAttributeNames", Json::object({{"#t", "text"}})}}));
    REQUIRE_THAT(projected, Succeeds());
    CHECK(e2e::item_from_json(projected->at("Item")) == Item{{"text", item.at("text")}, {"flag", item.at("flag")}});
}

TEST_CASE("dynamodb get of a missing item answers without Item", "[dynamodb]") {
    TempDir dir;
    DynamoStack stack(dir.path());
    e2e::DynamoDbClient client(stack.client_config());
    const auto got = client.get_item(kTable, key("never-written"));
    REQUIRE_THAT(got, Succeeds());
    CHECK_FALSE(got->item.has_value());
    const auto raw = client.call("GetItem", Json::object({{"TableName", kTable}, {"Key", e2e::to_json(key("never-written"))}}));
    REQUIRE_THAT(raw, Succeeds());
    CHECK(*raw == Json::object());  // exactly {}: the Lambda tells "not found" by the missing key
}

TEST_CASE("dynamodb put replaces the whole item and can return the old one", "[dynamodb]") {
    TempDir dir;
    DynamoStack stack(dir.path());
    e2e::DynamoDbClient client(stack.client_config());
    const Item first{{"id", S("p")}, {"a", S("1")}, {"b", S("2")}};
    const Item second{{"id", S("p")}, {"c", S("3")}};
    const auto put1 = client.put_item(kTable, first, e2e::ReturnValues::all_old);
    REQUIRE_THAT(put1, Succeeds());
    CHECK_FALSE(put1->attributes.has_value());
    const auto put2 = client.put_item(kTable, second, e2e::ReturnValues::all_old);
    REQUIRE_THAT(put2, Succeeds());
    CHECK(put2->attributes == first);
    CHECK(get_or_empty(client, kTable, key("p")) == second);
    CHECK_THAT(client.put_item(kTable, second, e2e::ReturnValues::all_new), FailsWith("ValidationException"));
}

TEST_CASE("dynamodb update sets attributes through expression names and values", "[dynamodb]") {
    TempDir dir;
    DynamoStack stack(dir.path());
    e2e::DynamoDbClient client(stack.client_config());
    REQUIRE_THAT(client.put_item(kTable, {{"id", S("u1")}, {"message", S("Original message")}, {"keep", N("7")}}),
                 Succeeds());
    e2e::UpdateItemRequest update;
    update.table = kTable;
    update.key = key("u1");
    update.update_expression = "SET message = :msg, #ts = :ts";
    update.expression_attribute_names = {{"#ts", "timestamp"}};
    update.expression_attribute_values = {{":msg", S("Updated message")}, {":ts", N("1700000000")}};
    update.return_values = e2e::ReturnValues::all_new;
    const auto updated = client.update_item(update);
    REQUIRE_THAT(updated, Succeeds());
    const Item expected{{"id", S("u1")}, {"message", S("Updated message")}, {"timestamp", N("1700000000")}, {"keep", N("7")}};
    CHECK(updated->attributes == expected);
    CHECK(get_or_empty(client, kTable, key("u1")) == expected);
}

TEST_CASE("dynamodb update of a missing item creates it from the key", "[dynamodb]") {
    TempDir dir;
    DynamoStack stack(dir.path());
    e2e::DynamoDbClient client(stack.client_config());
    e2e::UpdateItemRequest update;
    update.table = kTable;
    update.key = key("fresh");
    update.update_expression = "SET message = :msg";
    update.expression_attribute_values = {{":msg", S("created by update")}};
    update.return_values = e2e::ReturnValues::all_old;
    const auto upsert = client.update_item(update);
    REQUIRE_THAT(upsert, Succeeds());
    CHECK_FALSE(upsert->attributes.has_value());  // there was no old item
    CHECK(get_or_empty(client, kTable, key("fresh")) == Item{{"id", S("fresh")}, {"message", S("created by update")}});
}

TEST_CASE("dynamodb update return values report old and new attributes", "[dynamodb]") {
    TempDir dir;
    DynamoStack stack(dir.path());
    e2e::DynamoDbClient client(stack.client_config());
    REQUIRE_THAT(client.put_item(kTable, {{"id", S("rv")}, {"a", S("old-a")}, {"b", S("old-b")}}), Succeeds());
    auto update_a = [&](std::string value, e2e::ReturnValues return_values) {
        e2e::UpdateItemRequest update;
        update.table = kTable;
        update.key = key("rv");
        update.update_expression = "SET a = :a";
        update.expression_attribute_values = {{":a", S(std::move(value))}};
        update.return_values = return_values;
        auto result = client.update_item(update);
        REQUIRE_THAT(result, Succeeds());
        return result->attributes;
    };
    CHECK_FALSE(update_a("a1", e2e::ReturnValues::none).has_value());
    CHECK(update_a("a2", e2e::ReturnValues::updated_old) == Item{{"a", S("a1")}});
    CHECK(update_a("a3", e2e::ReturnValues::updated_new) == Item{{"a", S("a3")}});
    CHECK(update_a("a4", e2e::ReturnValues::all_old) == Item{{"id", S("rv")}, {"a", S("a3")}, {"b", S("old-b")}});
    CHECK(update_a("a5", e2e::ReturnValues::all_new) == Item{{"id", S("rv")}, {"a", S("a5")}, {"b", S("old-b")}});
}

TEST_CASE("dynamodb update expressions support arithmetic functions nested paths and remove", "[dynamodb]") {
    TempDir dir;
    DynamoStack stack(dir.path());
    e2e::DynamoDbClient client(stack.client_config());
    REQUIRE_THAT(client.put_item(kTable, {{"id", S("expr")},
                                          {"count", N("9.5")},
                                          {"tags", AttributeValue::list({S("a")})},
                                          {"doc", AttributeValue::map({{"inner", S("x")}})},
                                          {"gone", S("remove me")},
                                          {"items", AttributeValue::list({S("0"), S("1"), S("2"), S("3")})}}),
                 Succeeds());
    e2e::UpdateItemRequest update;
    update.table = kTable;
    update.key = key("expr");
    update.update_expression =
        "SET #c = #c + :half, made = if_not_exists(made, :zero), tags = list_append(tags, :more), doc.inner = :y, "
        "doc.added[0] = :y, other = :zero - :half REMOVE gone, items[0], items[2]";
    update.expression_attribute_names = {{"#c", "count"}};
    update.expression_attribute_values = {{":half", N("0.5")},
                                          {":zero", N("0")},
                                          {":more", AttributeValue::list({S("b"), S("c")})},
                                          {":y", S("y")}};
    update.return_values = e2e::ReturnValues::all_new;
    const auto result = client.update_item(update);
    // doc.added[0] names a list member of a missing attribute: DynamoDB refuses the whole update.
    REQUIRE_THAT(result, FailsWith("ValidationException"));
    CHECK_THAT(result.error().message, ContainsSubstring("document path provided in the update expression is invalid"));

    update.update_expression =
        "SET #c = #c + :half, made = if_not_exists(made, :zero), tags = list_append(tags, :more), doc.inner = :y, "
        "other = :zero - :half REMOVE gone, items[0], items[2]";
    const auto applied = client.update_item(update);
    REQUIRE_THAT(applied, Succeeds());
    const Item expected{{"id", S("expr")},
                        {"count", N("10")},
                        {"made", N("0")},
                        {"tags", AttributeValue::list({S("a"), S("b"), S("c")})},
                        {"doc", AttributeValue::map({{"inner", S("y")}})},
                        {"other", N("-0.5")},
                        {"items", AttributeValue::list({S("1"), S("3")})}};
    CHECK(applied->attributes == expected);
    CHECK(get_or_empty(client, kTable, key("expr")) == expected);
}

TEST_CASE("dynamodb update refuses bad expressions and leaves the item alone", "[dynamodb]") {
    TempDir dir;
    DynamoStack stack(dir.path());
    e2e::DynamoDbClient client(stack.client_config());
    const Item original{{"id", S("bad")}, {"message", S("intact")}, {"n", N("1")}};
    REQUIRE_THAT(client.put_item(kTable, original), Succeeds());
    struct Case {
        std::string expression;
        std::map<std::string, std::string> names;
        Item values;
        std::string message;
    };
    const std::vector<Case> cases{
        {"SET message = ", {}, {}, "Syntax error"},
        {"SET message :v", {}, {{":v", S("x")}}, "Syntax error"},
        {"SET message = :missing", {}, {{":v", S("x")}}, "attribute value used in expression is not defined"},
        {"SET #m = :v", {}, {{":v", S("x")}}, "attribute name used in the document path is not defined"},
        {"SET message = :v", {}, {{":v", S("x")}, {":unused", S("y")}}, "unused in expressions: keys: {:unused}"},
        {"SET message = :v", {{"#unused", "x"}}, {{":v", S("x")}}, "unused in expressions: keys: {#unused}"},
        {"SET id = :v", {}, {{":v", S("x")}}, "Cannot update attribute id"},
        {"REMOVE id", {}, {}, "Cannot update attribute id"},
        {"SET message = :v, message = :w", {}, {{":v", S("x")}, {":w", S("y")}}, "Two document paths overlap"},
        {"SET message = :v SET n = :v", {}, {{":v", S("x")}}, "can only be used once"},
        {"ADD n :v", {}, {{":v", N("1")}}, "ADD clause is not supported"},
        {"SET n = n + :v", {}, {{":v", S("x")}}, "Incorrect operand type"},
        {"SET n = missing + :v", {}, {{":v", N("1")}}, "refers to an attribute that does not exist"},
        {"SET n = size(message)", {}, {}, "Invalid function name"},
        {"", {}, {}, "can not be empty"},
    };
    for (const auto& c : cases) {
        INFO(c.expression);
        e2e::UpdateItemRequest update;
        update.table = kTable;
        update.key = key("bad");
        update.update_expression = c.expression;
        update.expression_attribute_names = c.names;
        update.expression_attribute_values = c.values;
        const auto result = client.update_item(update);
        REQUIRE_THAT(result, FailsWith("ValidationException"));
        CHECK_THAT(result.error().message, ContainsSubstring(c.message));
    }
    const auto conditional = client.call(
        "UpdateItem", Json::object({{"TableName", kTable},
                                    {"Key", e2e::to_json(key("bad"))},
                                    {"UpdateExpression", "SET message = :v"},
                                    {"ConditionExpression", "attribute_exists(id)"},
                                    {"ExpressionAttributeValues", e2e::to_json(Item{{":v", S("changed")}})}}));
    REQUIRE_THAT(conditional, FailsWith("ValidationException"));
    CHECK_THAT(conditional.error().message, ContainsSubstring("ConditionExpression is not supported"));
    CHECK(get_or_empty(client, kTable, key("bad")) == original);
}

TEST_CASE("dynamodb delete removes the item and can return it", "[dynamodb]") {
    TempDir dir;
    DynamoStack stack(dir.path());
    e2e::DynamoDbClient client(stack.client_config());
    const Item item{{"id", S("del")}, {"message", S("To be deleted")}};
    REQUIRE_THAT(client.put_item(kTable, item), Succeeds());
    const auto deleted = client.delete_item(kTable, key("del"), e2e::ReturnValues::all_old);
    REQUIRE_THAT(deleted, Succeeds());
    CHECK(deleted->attributes == item);
    const auto got = client.get_item(kTable, key("del"));
    REQUIRE_THAT(got, Succeeds());
    CHECK_FALSE(got->item.has_value());
    const auto again = client.delete_item(kTable, key("del"), e2e::ReturnValues::all_old);
    REQUIRE_THAT(again, Succeeds());  // deleting a missing item is not an error
    CHECK_FALSE(again->attributes.has_value());
}

TEST_CASE("dynamodb operations on an unknown table answer ResourceNotFoundException", "[dynamodb]") {
    TempDir dir;
    DynamoStack stack(dir.path());
    e2e::DynamoDbClient client(stack.client_config());
    CHECK_THAT(client.get_item("no-such-table", key("x")), FailsWith("ResourceNotFoundException"));
    CHECK_THAT(client.put_item("no-such-table", key("x")), FailsWith("ResourceNotFoundException"));
    CHECK_THAT(client.delete_item("no-such-table", key("x")), FailsWith("ResourceNotFoundException"));
    CHECK_THAT(client.scan({.table = "no-such-table"}), FailsWith("ResourceNotFoundException"));
    const auto described = client.describe_table("no-such-table");
    REQUIRE_THAT(described, FailsWith("ResourceNotFoundException"));
    CHECK(described.error().http_status == 400);
    CHECK_THAT(described.error().message, ContainsSubstring("no-such-table"));
    CHECK(described.error().request_id.size() == 52);
    // Names outside DynamoDB's pattern are a validation error, never a path on disk.
    CHECK_THAT(client.get_item("../e2e-test-table", key("x")), FailsWith("ValidationException"));
    CHECK_THAT(client.get_item("ab", key("x")), FailsWith("ValidationException"));
}

TEST_CASE("dynamodb describe table reports schema status billing and item count", "[dynamodb]") {
    TempDir dir;
    DynamoStack stack(dir.path());
    e2e::DynamoDbClient client(stack.client_config());
    for (int i = 0; i < 3; ++i) REQUIRE_THAT(client.put_item(kTable, key(fmt::format("d{}", i))), Succeeds());
    const auto table = client.describe_table(kTable);
    REQUIRE_THAT(table, Succeeds());
    CHECK(table->table_name == kTable);
    CHECK(table->table_status == "ACTIVE");
    REQUIRE(table->key_schema.size() == 1);
    CHECK(table->key_schema[0].attribute_name == "id");
    CHECK(table->key_schema[0].key_type == "HASH");
    REQUIRE(table->attribute_definitions.size() == 1);
    CHECK(table->attribute_definitions[0].attribute_type == "S");
    CHECK(table->item_count == 3);
    CHECK(table->billing_mode == "PAY_PER_REQUEST");
    CHECK_THAT(table->raw.str("TableArn"), ContainsSubstring(":table/e2e-test-table"));
    CHECK(table->raw.at("CreationDateTime").is_number());

    const auto orders = client.describe_table(kOrders);
    REQUIRE_THAT(orders, Succeeds());
    REQUIRE(orders->key_schema.size() == 2);
    CHECK(orders->key_schema[0].key_type == "HASH");
    CHECK(orders->key_schema[1].attribute_name == "order");
    CHECK(orders->key_schema[1].key_type == "RANGE");
    CHECK(orders->item_count == 0);
}

TEST_CASE("dynamodb list tables names every configured table", "[dynamodb]") {
    TempDir dir;
    DynamoStack stack(dir.path());
    e2e::DynamoDbClient client(stack.client_config());
    const auto names = client.list_tables();
    REQUIRE_THAT(names, Succeeds());
    CHECK(*names == std::vector<std::string>{kTable, kOrders});
}

TEST_CASE("dynamodb scan pages through every item with Limit and ExclusiveStartKey", "[dynamodb]") {
    TempDir dir;
    DynamoStack stack(dir.path());
    e2e::DynamoDbClient client(stack.client_config());
    std::set<std::string> written;
    for (int i = 0; i < 25; ++i) {
        written.insert(fmt::format("scan-{:02}", i));
        REQUIRE_THAT(client.put_item(kTable, {{"id", S(fmt::format("scan-{:02}", i))}, {"n", N(std::to_string(i))}}),
                     Succeeds());
    }
    std::set<std::string> seen;
    std::vector<std::int64_t> page_sizes;
    std::optional<Item> start;
    for (int page = 0; page < 10; ++page) {
        const auto result = client.scan({.table = kTable, .limit = 10, .exclusive_start_key = start});
        REQUIRE_THAT(result, Succeeds());
        CHECK(result->count == static_cast<std::int64_t>(result->items.size()));
        page_sizes.push_back(result->count);
        for (const auto& item : result->items) CHECK(seen.insert(item.at("id").as_string()).second);
        start = result->last_evaluated_key;
        if (!start) break;
        CHECK(start->size() == 1);  // a key: the key attributes only
    }
    CHECK(page_sizes == std::vector<std::int64_t>{10, 10, 5});
    CHECK(seen == written);
    const auto all = client.scan({.table = kTable});
    REQUIRE_THAT(all, Succeeds());
    CHECK(all->items.size() == 25);
    CHECK_FALSE(all->last_evaluated_key.has_value());
    CHECK_THAT(client.scan({.table = kTable, .limit = 0}), FailsWith("ValidationException"));
}

TEST_CASE("dynamodb numbers are normalised and equal numbers are one key", "[dynamodb]") {
    TempDir dir;
    DynamoStack stack(dir.path());
    e2e::DynamoDbClient client(stack.client_config());
    REQUIRE_THAT(client.put_item(kOrders, {{"customer", S("c1")}, {"order", N("1.0")}, {"total", N("+01.50e1")}}),
                 Succeeds());
    const auto got = client.get_item(kOrders, {{"customer", S("c1")}, {"order", N("1")}});
    REQUIRE_THAT(got, Succeeds());
    REQUIRE(got->item.has_value());
    CHECK(got->item->at("order").as_number() == "1");
    CHECK(got->item->at("total").as_number() == "15");
    REQUIRE_THAT(client.put_item(kOrders, {{"customer", S("c1")}, {"order", N("10E-1")}, {"total", N("0.001")}}),
                 Succeeds());
    const auto scanned = client.scan({.table = kOrders});
    REQUIRE_THAT(scanned, Succeeds());
    REQUIRE(scanned->items.size() == 1);  // 10E-1 is the same key as 1.0
    CHECK(scanned->items[0].at("total").as_number() == "0.001");
    CHECK_THAT(client.put_item(kOrders, {{"customer", S("c1")}, {"order", N("1e126")}}), FailsWith("ValidationException"));
    CHECK_THAT(client.put_item(kOrders, {{"customer", S("c1")}, {"order", N("1.23456789012345678901234567890123456789")}}),
               FailsWith("ValidationException"));
}

TEST_CASE("dynamodb number text normalises and adds exactly", "[dynamodb]") {
    using refstack::dynamodb::add_numbers;
    using refstack::dynamodb::normalize_number;
    using refstack::dynamodb::subtract_numbers;
    CHECK(normalize_number("+01.50e1") == "15");
    CHECK(normalize_number("-0.000") == "0");
    CHECK(normalize_number("1E-3") == "0.001");
    CHECK(normalize_number("-12.3400") == "-12.34");
    CHECK(normalize_number(".5") == "0.5");
    CHECK(normalize_number("5.") == "5");
    CHECK(normalize_number("1e125").size() == 126);
    CHECK(normalize_number("0e999999999999") == "0");
    CHECK_THROWS_AS(normalize_number("1e126"), refstack::dynamodb::NumberError);
    CHECK_THROWS_AS(normalize_number("1e-131"), refstack::dynamodb::NumberError);
    CHECK_THROWS_AS(normalize_number("123456789012345678901234567890123456789"), refstack::dynamodb::NumberError);
    CHECK_THROWS_AS(normalize_number("abc"), refstack::dynamodb::NumberError);
    CHECK(add_numbers("9.5", "0.5") == "10");
    CHECK(add_numbers("999", "1") == "1000");
    CHECK(add_numbers("-5", "3") == "-2");
    CHECK(add_numbers("0.1", "0.2") == "0.3");  // exact, unlike binary floating point
    CHECK(subtract_numbers("1", "1") == "0");
    CHECK(subtract_numbers("1000", "0.001") == "999.999");
    CHECK(subtract_numbers("-1.5", "-1.5") == "0");
    CHECK(add_numbers("12345678901234567890123456789012345678", "1") == "12345678901234567890123456789012345679");
    CHECK_THROWS_AS(add_numbers("99999999999999999999999999999999999999", "1e-5"), refstack::dynamodb::NumberError);
}

TEST_CASE("dynamodb rejects malformed requests with DynamoDB errors and keeps stored data", "[dynamodb]") {
    TempDir dir;
    DynamoStack stack(dir.path());
    e2e::DynamoDbClient client(stack.client_config());
    const Item original{{"id", S("keep")}, {"message", S("intact")}};
    REQUIRE_THAT(client.put_item(kTable, original), Succeeds());
    const std::string put = "DynamoDB_20120810.PutItem";

    CHECK(raw_error(client, put, "{not json").code == "SerializationException");
    CHECK(raw_error(client, put, "").code == "SerializationException");
    CHECK(raw_error(client, put, "[1,2]").code == "SerializationException");
    CHECK(raw_error(client, "DynamoDB_20120810.DropEverything", "{}").code == "UnknownOperationException");
    CHECK(raw_error(client, "Dynamo.PutItem", "{}").code == "UnknownOperationException");
    CHECK(raw_error(client, "DynamoDB_20120810.CreateTable", "{}").code == "UnknownOperationException");
    CHECK(raw_error(client, put, R"({"TableName":5,"Item":{"id":{"S":"keep"}}})").code == "SerializationException");
    CHECK(raw_error(client, put, R"({"TableName":"e2e-test-table","Item":{"id":{"S":5}}})").code == "SerializationException");

    auto validation = [&](const std::string& body, const std::string& message) {
        INFO(body);
        const auto error = raw_error(client, put, body);
        CHECK(error.code == "ValidationException");
        CHECK_THAT(error.message, ContainsSubstring(message));
    };
    validation(R"({"Item":{"id":{"S":"keep"}}})", "Value null at 'tableName'");
    validation(R"({"TableName":"e2e-test-table"})", "Value null at 'item'");
    validation(R"({"TableName":"e2e-test-table","Item":{"message":{"S":"x"}}})", "Missing the key id");
    validation(R"({"TableName":"e2e-test-table","Item":{"id":{"N":"1"}}})", "Type mismatch for key id expected: S actual: N");
    validation(R"({"TableName":"e2e-test-table","Item":{"id":{"S":""}}})", "cannot contain an empty string value");
    validation(R"({"TableName":"e2e-test-table","Item":{"id":{"S":"keep","N":"1"}}})", "more than one datatypes");
    validation(R"({"TableName":"e2e-test-table","Item":{"id":{"S":"keep"},"n":{"N":"1x"}}})", "cannot be converted into a number");
    validation(R"({"TableName":"e2e-test-table","Item":{"id":{"S":"keep"},"x":{}}})", "Supplied AttributeValue is empty");
    validation(R"({"TableName":"e2e-test-table","Item":{"id":{"S":"keep"}},"ReturnValues":"SOMETIMES"})", "returnValues");
    validation(R"j({"TableName":"e2e-test-table","Item":{"id":{"S":"keep"}},"ConditionExpression":"attribute_not_exists(id)"})j",
               "ConditionExpression is not supported");
    validation(fmt::format(R"({{"TableName":"e2e-test-table","Item":{{"id":{{"S":"{}"}}}}}})", std::string(2049, 'k')),
               "Size of hashkey has exceeded");

    // An item over DynamoDB's 400 KB limit.
    const auto oversized = client.put_item(kTable, {{"id", S("keep")}, {"blob", S(std::string(410 * 1024, 'x'))}});
    REQUIRE_THAT(oversized, FailsWith("ValidationException"));
    CHECK_THAT(oversized.error().message, ContainsSubstring("Item size has exceeded the maximum allowed size"));

    // Keys that do not match the schema.
    CHECK_THAT(client.get_item(kTable, {{"id", S("keep")}, {"extra", S("x")}}), FailsWith("ValidationException"));
    CHECK_THAT(client.get_item(kTable, {{"other", S("keep")}}), FailsWith("ValidationException"));
    CHECK_THAT(client.delete_item(kTable, {{"id", N("1")}}), FailsWith("ValidationException"));

    CHECK(get_or_empty(client, kTable, key("keep")) == original);
}

TEST_CASE("dynamodb requests without a valid signature are rejected and change nothing", "[dynamodb]") {
    TempDir dir;
    DynamoStack stack(dir.path());
    e2e::DynamoDbClient client(stack.client_config());
    const Item original{{"id", S("auth")}, {"message", S("intact")}};
    REQUIRE_THAT(client.put_item(kTable, original), Succeeds());

    e2e::DynamoDbClient wrong_secret(stack.client_config("not-the-secret"));
    const auto rejected = wrong_secret.put_item(kTable, {{"id", S("auth")}, {"message", S("overwritten")}});
    REQUIRE_THAT(rejected, FailsWith("InvalidSignatureException"));
    CHECK(rejected.error().http_status == 400);
    CHECK_THAT(rejected.error().message, !ContainsSubstring(kSecretKey) && !ContainsSubstring("not-the-secret"));

    e2e::DynamoDbClient unknown_key(stack.client_config(kSecretKey, "UNKNOWNKEY"));
    CHECK_THAT(unknown_key.get_item(kTable, key("auth")), FailsWith("UnrecognizedClientException"));

    e2e::DynamoDbClient wrong_region({.endpoint = stack.server.url(), .access_key = kAccessKey, .secret_key = kSecretKey,
                                      .region = "us-east-1"});
    CHECK_THAT(wrong_region.get_item(kTable, key("auth")), FailsWith("InvalidSignatureException"));

    e2e::HttpClient http;
    const auto unsigned_response =
        http.post(stack.server.url() + "/", R"({"TableName":"e2e-test-table","Key":{"id":{"S":"auth"}}})",
                  {{"Content-Type", "application/x-amz-json-1.0"}, {"X-Amz-Target", "DynamoDB_20120810.GetItem"}});
    CHECK(unsigned_response.status == 400);
    CHECK(e2e::parse_dynamodb_error(unsigned_response, "GetItem").code == "MissingAuthenticationTokenException");

    // A correctly signed request whose body was changed afterwards.
    e2e::sigv4::Request request{"POST", "/", "", {{"Host", stack.server.url().substr(7)},
                                                  {"Content-Type", "application/x-amz-json-1.0"},
                                                  {"X-Amz-Target", "DynamoDB_20120810.PutItem"}},
                                R"({"TableName":"e2e-test-table","Item":{"id":{"S":"auth"},"message":{"S":"intact"}}})"};
    e2e::sigv4::Options options;
    options.region = "ap-northeast-1";
    options.service = "dynamodb";
    options.time = std::chrono::system_clock::now();
    const auto signature = e2e::sigv4::sign_headers(request, {kAccessKey, kSecretKey, {}}, options);
    auto headers = request.headers;
    headers.insert(headers.end(), signature.headers.begin(), signature.headers.end());
    const auto tampered = http.post(stack.server.url() + "/",
                                    R"({"TableName":"e2e-test-table","Item":{"id":{"S":"auth"},"evil":{"BOOL":true}}})", headers);
    CHECK(e2e::parse_dynamodb_error(tampered, "PutItem").code == "InvalidSignatureException");
    const auto replayed = http.post(stack.server.url() + "/", request.body, headers);
    CHECK(replayed.status == 200);  // the untouched request passes: the rejection above was the tampering

    CHECK(get_or_empty(client, kTable, key("auth")) == original);
}

TEST_CASE("dynamodb keys with path characters stay inside the table directory", "[dynamodb]") {
    TempDir dir;
    DynamoStack stack(dir.path());
    e2e::DynamoDbClient client(stack.client_config());
    const std::vector<std::string> ids{"../../escape", "a/b/c", "..", ".", "/etc/passwd", std::string("nul\0byte", 8), "日本語 key", "x\\y"};
    for (const auto& id : ids) {
        INFO(id);
        REQUIRE_THAT(client.put_item(kTable, {{"id", S(id)}, {"value", S("v:" + id)}}), Succeeds());
    }
    for (const auto& id : ids) {
        INFO(id);
        CHECK(get_or_empty(client, kTable, key(id)) == Item{{"id", S(id)}, {"value", S("v:" + id)}});
    }
    std::size_t item_files = 0;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(dir.path())) {
        if (!entry.is_regular_file()) continue;
        const auto relative = std::filesystem::relative(entry.path(), dir.path());
        INFO(relative.string());
        const auto name = entry.path().filename().string();
        CHECK(relative.begin()->string() != "..");
        CHECK((name == "table.json" || (name.size() == 64 + 10 && name.ends_with(".item.json"))));
        if (name.ends_with(".item.json")) {
            CHECK(relative.parent_path() == kTable);
            ++item_files;
        }
    }
    CHECK(item_files == ids.size());
}

TEST_CASE("dynamodb items survive a restart of the service", "[dynamodb]") {
    TempDir dir;
    const auto item = every_type_item("persisted");
    {
        DynamoStack stack(dir.path());
        e2e::DynamoDbClient client(stack.client_config());
        REQUIRE_THAT(client.put_item(kTable, item), Succeeds());
        REQUIRE_THAT(client.put_item(kTable, key("deleted-before-restart")), Succeeds());
        REQUIRE_THAT(client.delete_item(kTable, key("deleted-before-restart")), Succeeds());
        e2e::UpdateItemRequest update;
        update.table = kTable;
        update.key = key("updated");
        update.update_expression = "SET message = :m";
        update.expression_attribute_values = {{":m", S("from update")}};
        REQUIRE_THAT(client.update_item(update), Succeeds());
        REQUIRE_THAT(client.put_item(kOrders, {{"customer", S("c")}, {"order", N("2")}}), Succeeds());
    }
    DynamoStack restarted(dir.path());
    e2e::DynamoDbClient client(restarted.client_config());
    CHECK(get_or_empty(client, kTable, key("persisted")) == item);
    CHECK(get_or_empty(client, kTable, key("updated")) == Item{{"id", S("updated")}, {"message", S("from update")}});
    CHECK(get_or_empty(client, kTable, key("deleted-before-restart")).empty());
    CHECK(get_or_empty(client, kOrders, {{"customer", S("c")}, {"order", N("2")}}).size() == 2);
    const auto table = client.describe_table(kTable);
    REQUIRE_THAT(table, Succeeds());
    CHECK(table->item_count == 2);
}

TEST_CASE("dynamodb concurrent writers to one key leave exactly one whole item", "[dynamodb]") {
    TempDir dir;
    constexpr int kWriters = 8;
    constexpr int kRounds = 20;
    auto written = [](int writer, int round) {
        const char fill = static_cast<char>('a' + writer);
        return Item{{"id", S("contended")},
                    {"writer", N(std::to_string(writer))},
                    {"round", N(std::to_string(round))},
                    {"payload", S(std::string(16 * 1024, fill) + std::to_string(round))}};
    };
    // True when `item` is exactly one of the items some writer sent.
    auto is_written = [&](const Item& item) {
        if (item.size() != 4 || !item.contains("writer") || !item.contains("round")) return false;
        const int writer = std::stoi(item.at("writer").as_number());
        const int round = std::stoi(item.at("round").as_number());
        return writer >= 0 && writer < kWriters && round >= 0 && round < kRounds && item == written(writer, round);
    };
    Item served_before_restart;
    {
        DynamoStack stack(dir.path());
        e2e::DynamoDbClient shared(stack.client_config());
        std::atomic<int> failures{0};
        std::atomic<bool> writing{true};
        // What a crash at any moment would leave: the item file read straight from disk while the
        // writers run must always be one whole written item.
        std::atomic<int> disk_reads{0};
        std::vector<std::string> torn;
        std::thread disk_reader([&] {
            while (writing) {
                for (const auto& entry : std::filesystem::directory_iterator(dir.path() / kTable)) {
                    const auto name = entry.path().filename().string();
                    if (!name.ends_with(".item.json") || name.starts_with(".")) continue;
                    const auto text = refstack::read_whole_file(entry.path());
                    if (!text) continue;
                    ++disk_reads;
                    const auto parsed = Json::try_parse(*text);
                    bool whole = false;
                    try {
                        whole = parsed && is_written(e2e::item_from_json(*parsed));
                    } catch (const std::exception&) {
                    }
                    if (!whole && torn.size() < 3) torn.push_back(text->substr(0, 200) + "... (" + std::to_string(text->size()) + " bytes)");
                }
            }
        });
        std::vector<std::thread> threads;
        for (int writer = 0; writer < kWriters; ++writer) {
            threads.emplace_back([&, writer] {
                for (int round = 0; round < kRounds; ++round)
                    if (!shared.put_item(kTable, written(writer, round)).ok()) ++failures;
            });
        }
        for (auto& thread : threads) thread.join();
        writing = false;
        disk_reader.join();
        CHECK(failures == 0);
        CHECK(disk_reads > 0);
        INFO("torn reads: " << torn.size() << (torn.empty() ? "" : " first: " + torn.front()));
        CHECK(torn.empty());
        served_before_restart = get_or_empty(shared, kTable, key("contended"));
        CHECK(is_written(served_before_restart));
    }
    DynamoStack restarted(dir.path());
    e2e::DynamoDbClient client(restarted.client_config());
    // The disk agrees with what was last answered: file and memory change together under the lock.
    CHECK(get_or_empty(client, kTable, key("contended")) == served_before_restart);
    for (const auto& entry : std::filesystem::directory_iterator(dir.path() / kTable))
        CHECK_THAT(entry.path().filename().string(), !ContainsSubstring(".tmp-"));
}

TEST_CASE("dynamodb answers carry a request id and the crc32 of the body", "[dynamodb]") {
    TempDir dir;
    DynamoStack stack(dir.path());
    e2e::DynamoDbClient client(stack.client_config());
    for (const auto& [target, body] : std::vector<std::pair<std::string, std::string>>{
             {"DynamoDB_20120810.ListTables", "{}"}, {"DynamoDB_20120810.GetItem", R"({"TableName":"nope"})"}}) {
        const auto response = client.send_raw(target, body);
        INFO(response.body);
        CHECK(response.header("Content-Type") == "application/x-amz-json-1.0");
        CHECK(response.header("x-amzn-RequestId").value_or("").size() == 52);
        CHECK(response.header("x-amz-crc32") == crc32_of(response.body));
    }
    const auto health = e2e::HttpClient().get(stack.server.url() + "/");  // unauthenticated, as DynamoDB's
    CHECK(health.status == 200);
    CHECK_THAT(health.body, ContainsSubstring("healthy"));
    const auto first = client.send_raw("DynamoDB_20120810.ListTables", "{}").header("x-amzn-RequestId");
    const auto second = client.send_raw("DynamoDB_20120810.ListTables", "{}").header("x-amzn-RequestId");
    CHECK(first != second);
}

TEST_CASE("dynamodb service serves the tables of the reference resources file", "[dynamodb]") {
    TempDir dir;
    auto config = service_config(dir.path());
    config.tables = refstack::load_resources_config(std::filesystem::path(E2E_SOURCE_DIR) /
                                                    "environments/reference/resources.yml").tables;
    DynamoStack stack(dir.path(), config);
    e2e::DynamoDbClient client(stack.client_config());
    const auto table = client.describe_table("e2e-test-table");
    REQUIRE_THAT(table, Succeeds());
    REQUIRE(table->key_schema.size() == 1);
    CHECK(table->key_schema[0].attribute_name == "id");
    CHECK(table->attribute_definitions[0].attribute_type == "S");
    CHECK(table->billing_mode == "PAY_PER_REQUEST");
    // The item lambda-scheduled writes, as lambda-dynamo reads it back (contract 2.13).
    const auto scheduled = e2e::item_from_json(Json::parse(
        R"({"id":{"S":"scheduled-run"},"last_run":{"S":"2024-01-01T00:00:00.000000"},"event":{"M":{"scheduled":{"BOOL":true}}}})"));
    REQUIRE_THAT(client.put_item("e2e-test-table", scheduled), Succeeds());
    CHECK(e2e::to_json(get_or_empty(client, "e2e-test-table", key("scheduled-run"))).boolean("event.M.scheduled.BOOL"));
}

TEST_CASE("dynamodb service refuses to start on a corrupt item file and names it", "[dynamodb]") {
    TempDir dir;
    { DynamoStack stack(dir.path()); }  // creates the table directories
    const auto corrupt = dir.path() / kTable / (std::string(64, 'a') + ".item.json");
    refstack::write_file_durably(corrupt, R"({"id":{"S":"truncat)");
    try {
        refstack::DynamoDbService service(service_config(dir.path()));
        FAIL("the service started on a corrupt item file");
    } catch (const std::runtime_error& error) {
        CHECK_THAT(error.what(), ContainsSubstring(corrupt.string()));
    }
    CHECK_THROWS_AS(refstack::DynamoDbService({.data_dir = dir.path(), .tables = {{"x", {{"id", "S", "HASH"}}}}}),
                    std::invalid_argument);
}

TEST_CASE("boto3 client and resource layers work against the refstack dynamodb", "[dynamodb][boto3]") {
    const auto boto3 = run_command("/usr/bin/python3 -c 'import boto3'");
    if (boto3.exit_code != 0)
        FAIL("boto3 is not importable by /usr/bin/python3 (run scripts/install-deps): " << boto3.output);
    TempDir dir;
    DynamoStack stack(dir.path());
    const auto script = std::filesystem::path(E2E_SOURCE_DIR) / "tests/refstack/boto3_dynamodb_interop.py";
    REQUIRE(std::filesystem::exists(script));
    const auto result = run_command(fmt::format("/usr/bin/python3 {} --endpoint {} --access-key {} --secret-key {}",
                                                shell_quoted(script.string()), shell_quoted(stack.server.url()),
                                                shell_quoted(kAccessKey), shell_quoted(kSecretKey)));
    INFO(result.output);
    CHECK(result.exit_code == 0);
    CHECK_THAT(result.output, ContainsSubstring("all checks passed"));
}
