// A DynamoDB client for the suite and its reference stack: the JSON 1.0 protocol (POST /,
// X-Amz-Target: DynamoDB_20120810.<Op>) signed with SigV4, typed items, typed results. The
// service's error answers come back as values (AwsResult); a request that got no response at all
// throws e2e::HttpError. Credentials never appear in any message.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "e2e/aws_error.hpp"
#include "e2e/http.hpp"
#include "e2e/json.hpp"

namespace e2e {

// The DynamoDB data types the suite and the refstack use (sets are not modelled).
enum class AttributeType { string, number, binary, boolean, null, map, list };

std::string_view to_string(AttributeType type);  // the wire tag: "S", "N", "B", "BOOL", "NULL", "M", "L"

// A typed value that cannot be built or read as DynamoDB data. The message names where the value
// sits ("Item.event.M.scheduled") and what was there.
class AttributeValueError : public std::invalid_argument {
public:
    // serialization: the JSON shape is wrong ({"S": 5}); validation: well-formed JSON that is not a
    // valid attribute value (no type, two types, "abc" as N). DynamoDB answers these with
    // SerializationException and ValidationException respectively.
    enum class Kind { serialization, validation };
    AttributeValueError(Kind kind, const std::string& message) : std::invalid_argument(message), kind_(kind) {}
    Kind kind() const noexcept { return kind_; }

private:
    Kind kind_;
};

// True for DynamoDB number text: [+-] digits [. digits] [e|E [+-] digits], at least one digit in
// the mantissa ("5.", ".5", "+1", "1e5" pass; " 1", "1e", "0x10", "NaN" do not).
bool is_number_text(std::string_view text);

// One DynamoDB attribute value: an immutable value type. N keeps its decimal text as given (the
// service may normalise it: "1.0" comes back as "1"); B holds raw bytes (base64 on the wire).
// Equality is deep and exact: numbers compare by text, maps ignore member order.
class AttributeValue {
public:
    using Map = std::map<std::string, AttributeValue>;
    using List = std::vector<AttributeValue>;

    AttributeValue() = default;  // NULL

    static AttributeValue string(std::string text);
    static AttributeValue number(std::string text);  // throws AttributeValueError unless is_number_text
    static AttributeValue number(std::int64_t value);
    static AttributeValue binary(std::string bytes);
    static AttributeValue boolean(bool value);
    static AttributeValue null() { return {}; }
    static AttributeValue map(Map members);
    static AttributeValue list(List elements);

    AttributeType type() const noexcept;
    bool is(AttributeType type) const noexcept { return this->type() == type; }

    // Strict getters: throw AttributeValueError naming the actual type.
    const std::string& as_string() const;
    const std::string& as_number() const;  // the decimal text
    const std::string& as_binary() const;  // raw bytes
    bool as_bool() const;
    const Map& as_map() const;
    const List& as_list() const;

    // Wire form: {"S": "x"}, {"N": "1"}, {"B": "<base64>"}, {"BOOL": true}, {"NULL": true},
    // {"M": {...}}, {"L": [...]}.
    Json to_json() const;
    // Reads the wire form; `where` names the value in error messages ("Item.id"). Exactly one type
    // key, N valid number text, B valid base64, NULL true, nesting at most 32 levels.
    static AttributeValue from_json(const Json& typed, std::string_view where = "value");

    // Plain JSON as boto3's resource layer sees it: S -> string, N -> number, BOOL -> bool, NULL ->
    // null, M -> object, L -> array, B -> base64 string. Throws for an N without a JSON form ("+1").
    Json to_plain_json() const;
    // The inverse for building items in tests: string -> S, number -> N (its JSON text), bool ->
    // BOOL, null -> NULL, object -> M, array -> L.
    static AttributeValue from_plain_json(const Json& plain);

    friend bool operator==(const AttributeValue& lhs, const AttributeValue& rhs);

private:
    struct Number { std::string text; };
    struct Binary { std::string bytes; };
    // Containers are shared and immutable: copies stay cheap and the recursive type needs no
    // complete Map/List at this point.
    using Storage = std::variant<std::monostate, std::string, Number, Binary, bool, std::shared_ptr<const Map>,
                                 std::shared_ptr<const List>>;
    explicit AttributeValue(Storage storage) : storage_(std::move(storage)) {}
    [[noreturn]] void wrong_type(AttributeType wanted) const;

    Storage storage_;
};

// An item or a key: attribute name -> value.
using Item = AttributeValue::Map;

Json to_json(const Item& item);  // {"id": {"S": "x"}, ...}
// `where` names the object in messages ("Item", "Key"); throws AttributeValueError.
Item item_from_json(const Json& typed, std::string_view where = "Item");
// Builds an item from plain JSON ({"id": "x", "n": 3}) with AttributeValue::from_plain_json.
Item item_from_plain_json(const Json& plain);

// Print as the wire form (Catch2 shows items and values in failures).
std::ostream& operator<<(std::ostream& out, const AttributeValue& value);
std::ostream& operator<<(std::ostream& out, const Item& item);

// --- requests and results ---

enum class ReturnValues { none, all_old, updated_old, all_new, updated_new };
std::string_view to_string(ReturnValues value);  // "NONE", "ALL_OLD", ...

struct PutItemResult {
    std::optional<Item> attributes;  // with ReturnValues ALL_OLD and an item replaced
};

struct GetItemResult {
    std::optional<Item> item;  // empty: no such item (the answer had no "Item")
};

struct UpdateItemRequest {
    std::string table;
    Item key;
    std::string update_expression;                                  // "SET message = :msg, #ts = :ts"
    std::map<std::string, std::string> expression_attribute_names;  // "#ts" -> "timestamp"
    Item expression_attribute_values;                               // ":msg" -> {"S": ...}
    ReturnValues return_values = ReturnValues::none;
};

struct UpdateItemResult {
    std::optional<Item> attributes;  // per ReturnValues
};

struct DeleteItemResult {
    std::optional<Item> attributes;  // with ReturnValues ALL_OLD and an item deleted
};

struct KeySchemaElement {
    std::string attribute_name;
    std::string key_type;  // HASH or RANGE
};

struct AttributeDefinition {
    std::string attribute_name;
    std::string attribute_type;  // S, N or B
};

struct TableDescription {
    std::string table_name;
    std::string table_status;  // ACTIVE
    std::vector<KeySchemaElement> key_schema;
    std::vector<AttributeDefinition> attribute_definitions;
    std::int64_t item_count = 0;
    std::string billing_mode;  // BillingModeSummary.BillingMode; empty when absent
    Json raw;                  // the whole "Table" object
};

struct ScanRequest {
    std::string table;
    std::optional<int> limit;
    std::optional<Item> exclusive_start_key;
};

struct ScanResult {
    std::vector<Item> items;
    std::int64_t count = 0;
    std::int64_t scanned_count = 0;
    std::optional<Item> last_evaluated_key;  // empty: the scan is complete
};

struct DynamoDbConfig {
    std::string endpoint;  // http://127.0.0.1:8000 (a path, if any, is used as the request path)
    std::string access_key;
    std::string secret_key;
    std::string region = "ap-northeast-1";
};

// Thread-safe when the HttpClient is (it is). Each call signs with the current time.
class DynamoDbClient {
public:
    explicit DynamoDbClient(DynamoDbConfig config);                // owns its HttpClient
    DynamoDbClient(DynamoDbConfig config, HttpClient& http);      // shares `http` (not owned)
    ~DynamoDbClient();
    DynamoDbClient(const DynamoDbClient&) = delete;
    DynamoDbClient& operator=(const DynamoDbClient&) = delete;

    AwsResult<PutItemResult> put_item(std::string_view table, const Item& item,
                                      ReturnValues return_values = ReturnValues::none);
    AwsResult<GetItemResult> get_item(std::string_view table, const Item& key, bool consistent_read = false);
    AwsResult<UpdateItemResult> update_item(const UpdateItemRequest& request);
    AwsResult<DeleteItemResult> delete_item(std::string_view table, const Item& key,
                                            ReturnValues return_values = ReturnValues::none);
    AwsResult<TableDescription> describe_table(std::string_view table);
    AwsResult<ScanResult> scan(const ScanRequest& request);
    AwsResult<std::vector<std::string>> list_tables();

    // Any operation with a JSON request; the answer's JSON on success.
    AwsResult<Json> call(std::string_view operation, const Json& request);
    // A signed POST with any X-Amz-Target and body, for bad-input tests; no interpretation.
    HttpResponse send_raw(std::string_view target, std::string body);

    const DynamoDbConfig& config() const noexcept { return config_; }

private:
    DynamoDbConfig config_;
    std::unique_ptr<HttpClient> owned_http_;
    HttpClient* http_;
};

// The service's error from a non-2xx answer: `__type` after '#' as the code, "message" or
// "Message", x-amzn-RequestId. A body that is not JSON becomes the message (trimmed) and the code
// is the HTTP status as text ("413"). `operation` and `resource` (the table) are for messages.
AwsError parse_dynamodb_error(const HttpResponse& response, std::string_view operation, std::string_view resource = {});

}  // namespace e2e
