#include "dynamodb_service.hpp"

#include "faults.hpp"

#include <boost/crc.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <stdexcept>

#include "durable_file.hpp"
#include "dynamodb_expression.hpp"
#include "dynamodb_number.hpp"
#include "e2e/dynamodb.hpp"
#include "e2e/json.hpp"

namespace refstack {
namespace {

using e2e::AttributeType;
using e2e::AttributeValue;
using e2e::Item;
using e2e::Json;
using e2e::JsonMember;
using e2e::JsonValue;

constexpr std::string_view kTargetPrefix = "DynamoDB_20120810.";
constexpr std::string_view kContentType = "application/x-amz-json-1.0";
constexpr std::string_view kDynamoPrefix = "com.amazonaws.dynamodb.v20120810#";
constexpr std::string_view kCoralPrefix = "com.amazon.coral.service#";
constexpr std::string_view kItemSuffix = ".item.json";
constexpr std::string_view kTableMetadataFile = "table.json";
constexpr std::size_t kMaxItemBytes = 400 * 1024;     // DynamoDB's item size limit
constexpr std::size_t kMaxHashKeyBytes = 2048;
constexpr std::size_t kMaxRangeKeyBytes = 1024;
constexpr std::size_t kMaxScanPageBytes = 1024 * 1024;  // DynamoDB stops a Scan page at 1 MB
constexpr int kMaxNesting = 32;

// A DynamoDB error answer, thrown inside the service and turned into JSON at the boundary.
struct ServiceError {
    int status = 400;
    std::string type;  // full __type
    std::string message;
};

[[noreturn]] void dynamo_error(std::string_view code, std::string message) {
    throw ServiceError{400, fmt::format("{}{}", kDynamoPrefix, code), std::move(message)};
}
[[noreturn]] void coral_error(std::string_view code, std::string message) {
    throw ServiceError{400, fmt::format("{}{}", kCoralPrefix, code), std::move(message)};
}
[[noreturn]] void validation(std::string message) { dynamo_error("ValidationException", std::move(message)); }
[[noreturn]] void serialization(std::string message) { coral_error("SerializationException", std::move(message)); }

bool valid_table_name(std::string_view name) {
    return name.size() >= 3 && name.size() <= 255 && std::all_of(name.begin(), name.end(), [](char c) {
               return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                      c == '-' || c == '.';
           });
}

// --- request field access: a wrong JSON type is a SerializationException, as in DynamoDB ---

std::optional<Json> field(const Json& request, std::string_view name, e2e::JsonType type) {
    const auto members = request.members();
    std::optional<Json> found;
    for (const auto& [key, value] : members)
        if (key == name) found = value;  // the last duplicate wins, as in the lookup
    if (!found || found->is_null()) return std::nullopt;
    if (found->type() != type)
        serialization(fmt::format("{} must be a JSON {}, got {} {}", name, e2e::to_string(type), found->type_name(),
                                  found->excerpt(80)));
    return found;
}

std::optional<std::string> optional_string(const Json& request, std::string_view name) {
    auto found = field(request, name, e2e::JsonType::string);
    if (!found) return std::nullopt;
    return found->str();
}

std::string lower_first(std::string_view name) {
    std::string out(name);
    if (!out.empty() && out[0] >= 'A' && out[0] <= 'Z') out[0] = static_cast<char>(out[0] - 'A' + 'a');
    return out;
}

[[noreturn]] void missing(std::string_view name) {
    validation(fmt::format("1 validation error detected: Value null at '{}' failed to satisfy constraint: Member must "
                           "not be null", lower_first(name)));
}

std::string required_string(const Json& request, std::string_view name) {
    auto found = optional_string(request, name);
    if (!found) missing(name);
    return *found;
}

// Parameters the refstack does not implement: refuse rather than silently ignore them.
void reject_unsupported(const Json& request, std::initializer_list<std::string_view> names) {
    for (const auto name : names)
        if (request.has(name))
            validation(fmt::format("{} is not supported by esb-refstack", name));
}

// --- values ---

// Normalises numbers (DynamoDB answers "1.50" as "1.5") and checks nesting depth.
AttributeValue normalized(const AttributeValue& value, int depth) {
    if (depth > kMaxNesting) validation("Nesting Levels have exceeded supported limits");
    switch (value.type()) {
        case AttributeType::number: return AttributeValue::number(dynamodb::normalize_number(value.as_number()));
        case AttributeType::map: {
            Item members;
            for (const auto& [name, member] : value.as_map()) members.emplace(name, normalized(member, depth + 1));
            return AttributeValue::map(std::move(members));
        }
        case AttributeType::list: {
            AttributeValue::List elements;
            for (const auto& element : value.as_list()) elements.push_back(normalized(element, depth + 1));
            return AttributeValue::list(std::move(elements));
        }
        default: return value;
    }
}

Item normalized(const Item& item) {
    Item out;
    for (const auto& [name, value] : item) out.emplace(name, normalized(value, 1));
    return out;
}

Item read_item(const Json& request, std::string_view name) {
    const auto found = field(request, name, e2e::JsonType::object);
    if (!found) missing(name);
    return normalized(e2e::item_from_json(*found, name));
}

std::size_t value_size(const AttributeValue& value) {
    switch (value.type()) {
        case AttributeType::string: return value.as_string().size();
        case AttributeType::binary: return value.as_binary().size();
        case AttributeType::number: return value.as_number().size() / 2 + 1;
        case AttributeType::boolean:
        case AttributeType::null: return 1;
        case AttributeType::map: {
            std::size_t size = 3;
            for (const auto& [name, member] : value.as_map()) size += 1 + name.size() + value_size(member);
            return size;
        }
        case AttributeType::list: {
            std::size_t size = 3;
            for (const auto& element : value.as_list()) size += 1 + value_size(element);
            return size;
        }
    }
    return 0;
}

std::size_t item_size(const Item& item) {
    std::size_t size = 0;
    for (const auto& [name, value] : item) size += name.size() + value_size(value);
    return size;
}

int nesting(const AttributeValue& value) {
    int deepest = 0;
    if (value.is(AttributeType::map))
        for (const auto& [name, member] : value.as_map()) deepest = std::max(deepest, nesting(member));
    if (value.is(AttributeType::list))
        for (const auto& element : value.as_list()) deepest = std::max(deepest, nesting(element));
    return deepest + 1;
}

// The checks every stored item passes (PutItem's input, UpdateItem's result).
void check_item_limits(const Item& item) {
    for (const auto& [name, value] : item) {
        if (name.empty()) validation("One or more parameter values were invalid: An attribute name is empty");
        if (nesting(value) > kMaxNesting) validation("Nesting Levels have exceeded supported limits");
    }
    if (item_size(item) > kMaxItemBytes) validation("Item size has exceeded the maximum allowed size");
}

// --- tables ---

struct StoredTable {
    TableSpec spec;
    std::filesystem::path directory;
    std::int64_t creation_time = 0;  // epoch seconds, kept in table.json
    std::mutex mutex;
    std::map<std::string, Item> items;  // canonical key -> item; guarded by mutex

    std::vector<const KeyAttribute*> key_attributes() const {
        std::vector<const KeyAttribute*> out;
        for (const auto& attribute : spec.key_schema)
            if (attribute.key_type == "HASH") out.insert(out.begin(), &attribute);
            else out.push_back(&attribute);
        return out;
    }

    bool is_key_attribute(std::string_view name) const {
        return std::any_of(spec.key_schema.begin(), spec.key_schema.end(),
                           [&](const KeyAttribute& attribute) { return attribute.name == name; });
    }

    // A length-prefixed encoding of the key values in schema order (HASH then RANGE): equal keys
    // give equal strings, and numbers are already normalised ("1" and "1.0" are one key).
    std::string canonical_key(const Item& item) const {
        std::string out;
        for (const auto* attribute : key_attributes()) {
            const auto& value = item.at(attribute->name);
            const std::string& bytes = value.is(AttributeType::number)   ? value.as_number()
                                       : value.is(AttributeType::binary) ? value.as_binary()
                                                                         : value.as_string();
            out += fmt::format("{}{}:", attribute->attribute_type, bytes.size());
            out += bytes;
        }
        return out;
    }

    Item key_of(const Item& item) const {
        Item key;
        for (const auto* attribute : key_attributes()) key.emplace(attribute->name, item.at(attribute->name));
        return key;
    }

    // The file holding an item: a hash keeps any key (slashes, "..", 2 KB of text) a safe name.
    std::filesystem::path item_path(const std::string& canonical) const {
        return directory / (e2e::sigv4::sha256_hex(canonical) + std::string(kItemSuffix));
    }

    // Checks the key attributes of an item (PutItem) or of a key (Key, ExclusiveStartKey).
    void check_key(const Item& item, bool exact_key) const {
        if (exact_key && item.size() != spec.key_schema.size())
            validation("The provided key element does not match the schema");
        for (const auto* attribute : key_attributes()) {
            const auto found = item.find(attribute->name);
            if (found == item.end()) {
                if (exact_key) validation("The provided key element does not match the schema");
                validation(fmt::format("One or more parameter values were invalid: Missing the key {} in the item",
                                       attribute->name));
            }
            const auto& value = found->second;
            const auto actual = e2e::to_string(value.type());
            if (actual != attribute->attribute_type) {
                if (exact_key) validation("The provided key element does not match the schema");
                validation(fmt::format("One or more parameter values were invalid: Type mismatch for key {} expected: "
                                       "{} actual: {}", attribute->name, attribute->attribute_type, actual));
            }
            const std::size_t size = value.is(AttributeType::string)   ? value.as_string().size()
                                     : value.is(AttributeType::binary) ? value.as_binary().size()
                                                                       : 1;
            if (size == 0)
                validation(fmt::format("One or more parameter values are not valid. The AttributeValue for a key "
                                       "attribute cannot contain an empty {} value. Key: {}",
                                       value.is(AttributeType::binary) ? "binary" : "string", attribute->name));
            const bool hash = attribute->key_type == "HASH";
            if (size > (hash ? kMaxHashKeyBytes : kMaxRangeKeyBytes))
                validation(fmt::format("One or more parameter values were invalid: Size of {} has exceeded the maximum "
                                       "size limit of {} bytes", hash ? "hashkey" : "rangekey",
                                       hash ? kMaxHashKeyBytes : kMaxRangeKeyBytes));
        }
    }

    // Callers hold `mutex`. The file is on disk before the map changes, so an answered write survives.
    void store(const std::string& canonical, const Item& item) {
        write_file_durably(item_path(canonical), e2e::to_json(item).dump());
        items[canonical] = item;
    }

    void erase(const std::string& canonical) {
        remove_file_durably(item_path(canonical));
        items.erase(canonical);
    }

    std::size_t size_bytes() const {
        std::size_t total = 0;
        for (const auto& [canonical, item] : items) total += item_size(item);
        return total;
    }
};

void check_table_spec(const TableSpec& spec) {
    if (!valid_table_name(spec.name))
        throw std::invalid_argument(fmt::format("DynamoDB table name '{}' is not 3-255 characters of [a-zA-Z0-9_.-]", spec.name));
    int hash = 0, range = 0;
    for (const auto& attribute : spec.key_schema) {
        if (attribute.key_type == "HASH") ++hash;
        else if (attribute.key_type == "RANGE") ++range;
        else
            throw std::invalid_argument(fmt::format("table {}: key {} has KeyType '{}', expected HASH or RANGE", spec.name,
                                                    attribute.name, attribute.key_type));
        if (attribute.attribute_type != "S" && attribute.attribute_type != "N" && attribute.attribute_type != "B")
            throw std::invalid_argument(fmt::format("table {}: key {} has AttributeType '{}', expected S, N or B",
                                                    spec.name, attribute.name, attribute.attribute_type));
        if (attribute.name.empty()) throw std::invalid_argument(fmt::format("table {}: a key attribute has no name", spec.name));
    }
    if (hash != 1 || range > 1)
        throw std::invalid_argument(fmt::format("table {}: the key schema needs one HASH key and at most one RANGE key",
                                                spec.name));
}

// Loads table.json (or writes it on first start) and every stored item.
void load_table(StoredTable& table) {
    std::error_code error;
    std::filesystem::create_directories(table.directory, error);
    if (error)
        throw std::runtime_error(fmt::format("cannot create {}: {}", table.directory.string(), error.message()));
    const auto metadata_path = table.directory / kTableMetadataFile;
    if (const auto metadata = read_whole_file(metadata_path)) {
        const auto parsed = Json::try_parse(*metadata);
        if (!parsed || !parsed->has("CreationDateTime"))
            throw std::runtime_error(fmt::format("{} is not a table metadata file", metadata_path.string()));
        table.creation_time = parsed->integer("CreationDateTime");
    } else {
        table.creation_time = std::chrono::duration_cast<std::chrono::seconds>(
                                  std::chrono::system_clock::now().time_since_epoch()).count();
        write_file_durably(metadata_path, Json::object({{"CreationDateTime", table.creation_time}}).dump());
    }
    for (const auto& entry : std::filesystem::directory_iterator(table.directory)) {
        const auto name = entry.path().filename().string();
        if (name.starts_with(".") && name.find(".tmp-") != std::string::npos) {
            std::filesystem::remove(entry.path(), error);  // a write interrupted before its rename
            continue;
        }
        if (!name.ends_with(kItemSuffix)) continue;
        const auto text = read_whole_file(entry.path());
        try {
            if (!text) throw std::runtime_error("cannot read it");
            const Item item = normalized(e2e::item_from_json(Json::parse(*text), "item"));
            table.check_key(item, false);
            const auto canonical = table.canonical_key(item);
            if (table.item_path(canonical) != entry.path())
                throw std::runtime_error("its key belongs in " + table.item_path(canonical).filename().string());
            table.items[canonical] = item;
        } catch (const ServiceError& failure) {
            throw std::runtime_error(fmt::format("stored item {} is invalid: {}", entry.path().string(), failure.message));
        } catch (const std::exception& failure) {
            throw std::runtime_error(fmt::format("stored item {} is invalid: {}", entry.path().string(), failure.what()));
        }
    }
}

// --- answers ---

std::string new_request_id() {
    static constexpr std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    thread_local std::mt19937_64 generator{std::random_device{}()};
    std::uniform_int_distribution<std::size_t> pick(0, alphabet.size() - 1);
    std::string id(52, 'A');
    for (auto& c : id) c = alphabet[pick(generator)];
    return id;
}

Response answer(int status, std::string body, const std::string& request_id) {
    boost::crc_32_type crc;
    crc.process_bytes(body.data(), body.size());
    Response response = Response::text(status, std::move(body), std::string(kContentType));
    response.with_header("x-amzn-RequestId", request_id);
    response.with_header("x-amz-crc32", std::to_string(crc.checksum()));
    return response;
}

Response error_answer(const ServiceError& error, const std::string& request_id) {
    return answer(error.status, Json::object({{"__type", error.type}, {"message", error.message}}).dump(), request_id);
}

enum class ReturnValues { none, all_old, updated_old, all_new, updated_new };

ReturnValues read_return_values(const Json& request, std::initializer_list<ReturnValues> allowed) {
    const auto text = optional_string(request, "ReturnValues");
    if (!text) return ReturnValues::none;
    static const std::map<std::string, ReturnValues> names{{"NONE", ReturnValues::none},
                                                           {"ALL_OLD", ReturnValues::all_old},
                                                           {"UPDATED_OLD", ReturnValues::updated_old},
                                                           {"ALL_NEW", ReturnValues::all_new},
                                                           {"UPDATED_NEW", ReturnValues::updated_new}};
    const auto found = names.find(*text);
    if (found == names.end())
        validation(fmt::format("1 validation error detected: Value '{}' at 'returnValues' failed to satisfy constraint: "
                               "Member must satisfy enum value set: [ALL_NEW, UPDATED_OLD, ALL_OLD, NONE, UPDATED_NEW]",
                               *text));
    if (std::find(allowed.begin(), allowed.end(), found->second) == allowed.end())
        validation(fmt::format("ReturnValues can only be {} for this operation, got {}",
                               allowed.size() == 2 ? "ALL_OLD or NONE" : "NONE", *text));
    return found->second;
}

Json with_attributes(const std::optional<Item>& attributes) {
    if (!attributes || attributes->empty()) return Json::object();
    return Json::object({{"Attributes", e2e::to_json(*attributes)}});
}

Item only(const Item& item, const std::set<std::string>& names) {
    Item out;
    for (const auto& name : names)
        if (const auto found = item.find(name); found != item.end()) out.emplace(found->first, found->second);
    return out;
}

// --- expression parameters ---

struct ExpressionParameters {
    dynamodb::AttributeNames names;
    Item values;
    bool names_given = false;
    bool values_given = false;
};

ExpressionParameters read_expression_parameters(const Json& request) {
    ExpressionParameters out;
    if (const auto names = field(request, "ExpressionAttributeNames", e2e::JsonType::object)) {
        out.names_given = true;
        if (names->size() == 0) validation("ExpressionAttributeNames must not be empty");
        for (const auto& [placeholder, name] : names->members()) {
            if (!name.is_string())
                serialization(fmt::format("ExpressionAttributeNames[{}] must be a JSON string, got {}", placeholder,
                                          name.type_name()));
            if (!placeholder.starts_with("#") || placeholder.size() < 2)
                validation(fmt::format("ExpressionAttributeNames contains invalid key: Syntax error; key: \"{}\"", placeholder));
            if (name.str().empty())
                validation(fmt::format("ExpressionAttributeNames contains invalid value: Empty attribute name for key {}",
                                       placeholder));
            out.names[placeholder] = name.str();
        }
    }
    if (const auto values = field(request, "ExpressionAttributeValues", e2e::JsonType::object)) {
        out.values_given = true;
        if (values->size() == 0) validation("ExpressionAttributeValues must not be empty");
        out.values = normalized(e2e::item_from_json(*values, "ExpressionAttributeValues"));
        for (const auto& [placeholder, value] : out.values)
            if (!placeholder.starts_with(":") || placeholder.size() < 2)
                validation(fmt::format("ExpressionAttributeValues contains invalid key: Syntax error; key: \"{}\"", placeholder));
    }
    return out;
}

std::string joined(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& name : names) out += (out.empty() ? "" : ", ") + name;
    return out;
}

// DynamoDB refuses placeholders that no expression used.
void check_all_used(const ExpressionParameters& parameters, const dynamodb::PlaceholderUse& used) {
    std::vector<std::string> unused;
    for (const auto& [placeholder, name] : parameters.names)
        if (!used.names.contains(placeholder)) unused.push_back(placeholder);
    if (!unused.empty())
        validation(fmt::format("Value provided in ExpressionAttributeNames unused in expressions: keys: {{{}}}", joined(unused)));
    unused.clear();
    for (const auto& [placeholder, value] : parameters.values)
        if (!used.values.contains(placeholder)) unused.push_back(placeholder);
    if (!unused.empty())
        validation(fmt::format("Value provided in ExpressionAttributeValues unused in expressions: keys: {{{}}}", joined(unused)));
}

// Top-level attribute names of a ProjectionExpression, or nullopt when there is none.
std::optional<std::set<std::string>> read_projection(const Json& request, const ExpressionParameters& parameters,
                                                     dynamodb::PlaceholderUse& used) {
    const auto text = optional_string(request, "ProjectionExpression");
    if (!text) return std::nullopt;
    std::set<std::string> names;
    for (const auto& path : dynamodb::parse_projection_expression(*text, parameters.names, used)) {
        if (path.size() != 1)
            validation(fmt::format("ProjectionExpression path {} is nested; esb-refstack projects top-level attributes only",
                                   dynamodb::describe(path)));
        names.insert(path.front().name);
    }
    return names;
}

}  // namespace

// --- the service ---

struct DynamoDbService::Impl {
    DynamoDbServiceConfig config;

    bool fault(std::string_view id) const { return config.faults != nullptr && config.faults->on(id); }
    std::map<std::string, std::unique_ptr<StoredTable>> tables;  // fixed after construction

    StoredTable& table(const Json& request) {
        const auto name = required_string(request, "TableName");
        if (!valid_table_name(name))
            validation(fmt::format("1 validation error detected: Value '{}' at 'tableName' failed to satisfy constraint: "
                                   "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+ and have length "
                                   "between 3 and 255", name.substr(0, 300)));
        const auto found = tables.find(name);
        if (found == tables.end())
            dynamo_error("ResourceNotFoundException", fmt::format("Requested resource not found: Table: {} not found", name));
        return *found->second;
    }

    void authenticate(const Request& request) const {
        const auto authorization = request.header("Authorization");
        if (!authorization) coral_error("MissingAuthenticationTokenException", "Request is missing Authentication Token");
        e2e::sigv4::Authorization parsed;
        try {
            parsed = e2e::sigv4::parse_authorization(*authorization);
        } catch (const std::invalid_argument& error) {
            coral_error("IncompleteSignatureException", error.what());
        }
        const auto secret = secret_for(parsed.credential.access_key_id);
        if (!secret) coral_error("UnrecognizedClientException", "The security token included in the request is invalid.");
        if (parsed.credential.service != "dynamodb")
            coral_error("InvalidSignatureException", fmt::format("Credential should be scoped to correct service: "
                                                                 "'dynamodb', not '{}'.", parsed.credential.service));
        if (!config.region.empty() && parsed.credential.region != config.region)
            coral_error("InvalidSignatureException", fmt::format("Credential should be scoped to a valid region, not "
                                                                 "'{}' (this endpoint serves '{}').",
                                                                 parsed.credential.region, config.region));
        e2e::sigv4::Request signed_request{request.method, request.path, request.query, request.headers, request.body};
        e2e::sigv4::VerifyOptions options;
        options.now = config.clock ? config.clock() : std::chrono::system_clock::now();
        const auto verdict = e2e::sigv4::verify_headers(
            signed_request, [this](std::string_view key) { return secret_for(key); }, options);
        if (!verdict)
            coral_error("InvalidSignatureException",
                        "The request signature we calculated does not match the signature you provided: " + verdict.reason);
    }

    std::optional<std::string> secret_for(std::string_view access_key_id) const {
        for (const auto& credentials : config.credentials)
            if (credentials.access_key_id == access_key_id) return credentials.secret_access_key;
        return std::nullopt;
    }

    Json dispatch(std::string_view operation, const Json& request) {
        if (operation == "PutItem") return put_item(request);
        if (operation == "GetItem") return get_item(request);
        if (operation == "UpdateItem") return update_item(request);
        if (operation == "DeleteItem") return delete_item(request);
        if (operation == "DescribeTable") return describe_table(request);
        if (operation == "Scan") return scan(request);
        if (operation == "ListTables") return list_tables(request);
        coral_error("UnknownOperationException",
                    fmt::format("Operation '{}' is not implemented by esb-refstack (PutItem, GetItem, UpdateItem, "
                                "DeleteItem, DescribeTable, Scan, ListTables are)", operation.substr(0, 100)));
    }

    Json put_item(const Json& request) {
        reject_unsupported(request, {"ConditionExpression", "Expected", "ConditionalOperator", "ExpressionAttributeNames",
                                     "ExpressionAttributeValues"});
        auto& stored = table(request);
        const auto return_values = read_return_values(request, {ReturnValues::none, ReturnValues::all_old});
        const Item item = read_item(request, "Item");
        stored.check_key(item, false);
        check_item_limits(item);
        const auto canonical = stored.canonical_key(item);
        std::optional<Item> old;
        {
            std::lock_guard lock(stored.mutex);
            if (const auto found = stored.items.find(canonical); found != stored.items.end()) old = found->second;
            if (!fault("dynamodb.put_not_stored")) stored.store(canonical, item);  // the fault acknowledges and drops
        }
        return return_values == ReturnValues::all_old ? with_attributes(old) : Json::object();
    }

    Json get_item(const Json& request) {
        reject_unsupported(request, {"AttributesToGet"});
        auto& stored = table(request);
        field(request, "ConsistentRead", e2e::JsonType::boolean);  // type check only: reads are always consistent
        const Item key = read_item(request, "Key");
        stored.check_key(key, true);
        const auto parameters = read_expression_parameters(request);
        if (parameters.values_given) validation("ExpressionAttributeValues can only be specified when using expressions: "
                                                "GetItem has no expression that uses values");
        dynamodb::PlaceholderUse used;
        const auto projection = read_projection(request, parameters, used);
        check_all_used(parameters, used);
        std::optional<Item> item;
        {
            std::lock_guard lock(stored.mutex);
            if (const auto found = stored.items.find(stored.canonical_key(key)); found != stored.items.end())
                item = found->second;
        }
        if (!item) return Json::object();
        return Json::object({{"Item", e2e::to_json(projection ? only(*item, *projection) : *item)}});
    }

    Json update_item(const Json& request) {
        reject_unsupported(request, {"ConditionExpression", "Expected", "ConditionalOperator", "AttributeUpdates"});
        auto& stored = table(request);
        const auto return_values =
            read_return_values(request, {ReturnValues::none, ReturnValues::all_old, ReturnValues::updated_old,
                                         ReturnValues::all_new, ReturnValues::updated_new});
        const Item key = read_item(request, "Key");
        stored.check_key(key, true);
        const auto parameters = read_expression_parameters(request);
        dynamodb::PlaceholderUse used;
        dynamodb::UpdateExpression update;
        if (const auto text = optional_string(request, "UpdateExpression")) {
            update = dynamodb::parse_update_expression(*text, parameters.names, parameters.values, used);
        } else if (parameters.names_given || parameters.values_given) {
            validation("ExpressionAttributeNames and ExpressionAttributeValues can only be specified when using expressions");
        }
        check_all_used(parameters, used);
        const auto updated = update.updated_attributes();
        for (const auto& name : updated)
            if (stored.is_key_attribute(name))
                validation(fmt::format("One or more parameter values were invalid: Cannot update attribute {}. This "
                                       "attribute is part of the key", name));
        const auto canonical = stored.canonical_key(key);
        std::optional<Item> old;
        Item fresh;
        {
            std::lock_guard lock(stored.mutex);
            if (const auto found = stored.items.find(canonical); found != stored.items.end()) old = found->second;
            fresh = dynamodb::apply_update(update, old ? *old : key);  // upsert: a missing item starts as its key
            check_item_limits(fresh);
            if (!fault("dynamodb.update_ignored")) stored.store(canonical, fresh);  // the fault acknowledges and drops
        }
        switch (return_values) {
            case ReturnValues::none: return Json::object();
            case ReturnValues::all_old: return with_attributes(old);
            case ReturnValues::updated_old: return with_attributes(old ? std::optional(only(*old, updated)) : std::nullopt);
            case ReturnValues::all_new: return with_attributes(fresh);
            case ReturnValues::updated_new: return with_attributes(only(fresh, updated));
        }
        return Json::object();
    }

    Json delete_item(const Json& request) {
        reject_unsupported(request, {"ConditionExpression", "Expected", "ConditionalOperator", "ExpressionAttributeNames",
                                     "ExpressionAttributeValues"});
        auto& stored = table(request);
        const auto return_values = read_return_values(request, {ReturnValues::none, ReturnValues::all_old});
        const Item key = read_item(request, "Key");
        stored.check_key(key, true);
        const auto canonical = stored.canonical_key(key);
        std::optional<Item> old;
        {
            std::lock_guard lock(stored.mutex);
            if (const auto found = stored.items.find(canonical); found != stored.items.end()) {
                old = found->second;
                stored.erase(canonical);
            }
        }
        return return_values == ReturnValues::all_old ? with_attributes(old) : Json::object();
    }

    Json describe(const StoredTable& stored, std::size_t item_count, std::size_t size_bytes) const {
        std::vector<JsonValue> key_schema, definitions;
        for (const auto* attribute : stored.key_attributes()) {
            key_schema.emplace_back(Json::object({{"AttributeName", attribute->name}, {"KeyType", attribute->key_type}}));
            definitions.emplace_back(
                Json::object({{"AttributeName", attribute->name}, {"AttributeType", attribute->attribute_type}}));
        }
        const std::string region = config.region.empty() ? "ap-northeast-1" : config.region;
        return Json::object({
            {"TableName", stored.spec.name},
            {"TableStatus", "ACTIVE"},
            {"TableArn", fmt::format("arn:aws:dynamodb:{}:000000000000:table/{}", region, stored.spec.name)},
            {"CreationDateTime", stored.creation_time},
            {"KeySchema", Json::array(key_schema)},
            {"AttributeDefinitions", Json::array(definitions)},
            {"ItemCount", item_count},
            {"TableSizeBytes", size_bytes},
            {"BillingModeSummary", Json::object({{"BillingMode", stored.spec.billing_mode},
                                                 {"LastUpdateToPayPerRequestDateTime", stored.creation_time}})},
            {"ProvisionedThroughput",
             Json::object({{"NumberOfDecreasesToday", 0}, {"ReadCapacityUnits", 0}, {"WriteCapacityUnits", 0}})},
            {"DeletionProtectionEnabled", false},
        });
    }

    Json describe_table(const Json& request) {
        auto& stored = table(request);
        std::size_t count = 0, bytes = 0;
        {
            std::lock_guard lock(stored.mutex);
            count = stored.items.size();
            bytes = stored.size_bytes();
        }
        return Json::object({{"Table", describe(stored, count, bytes)}});
    }

    Json scan(const Json& request) {
        reject_unsupported(request, {"ScanFilter", "FilterExpression", "ConditionalOperator", "AttributesToGet",
                                     "IndexName", "Segment", "TotalSegments"});
        auto& stored = table(request);
        if (const auto select = optional_string(request, "Select"); select && *select != "ALL_ATTRIBUTES")
            validation(fmt::format("Select {} is not supported by esb-refstack (ALL_ATTRIBUTES only)", *select));
        std::optional<std::int64_t> limit;
        if (const auto given = field(request, "Limit", e2e::JsonType::number)) {
            if (!given->is_integer()) serialization(fmt::format("Limit must be an integer, got {}", given->dump()));
            limit = given->integer();
            if (*limit < 1)
                validation(fmt::format("1 validation error detected: Value '{}' at 'limit' failed to satisfy constraint: "
                                       "Member must have value greater than or equal to 1", *limit));
        }
        std::optional<Item> start;
        if (request.has("ExclusiveStartKey")) {
            start = read_item(request, "ExclusiveStartKey");
            stored.check_key(*start, true);
        }
        const auto parameters = read_expression_parameters(request);
        if (parameters.values_given) validation("ExpressionAttributeValues can only be specified when using expressions: "
                                                "esb-refstack's Scan has no filter expression");
        dynamodb::PlaceholderUse used;
        const auto projection = read_projection(request, parameters, used);
        check_all_used(parameters, used);

        std::vector<JsonValue> items;
        std::optional<Item> last_key;
        {
            std::lock_guard lock(stored.mutex);
            auto it = start ? stored.items.upper_bound(stored.canonical_key(*start)) : stored.items.begin();
            std::size_t page_bytes = 0;
            for (; it != stored.items.end(); ++it) {
                if ((limit && static_cast<std::int64_t>(items.size()) >= *limit) || page_bytes >= kMaxScanPageBytes) break;
                items.emplace_back(e2e::to_json(projection ? only(it->second, *projection) : it->second));
                page_bytes += item_size(it->second);
                last_key = stored.key_of(it->second);
            }
            if (it == stored.items.end()) last_key.reset();  // complete: nothing left to resume from
        }
        const auto count = items.size();
        std::vector<JsonMember> members{{"Items", Json::array(items)}, {"Count", count}, {"ScannedCount", count}};
        if (last_key) members.emplace_back("LastEvaluatedKey", e2e::to_json(*last_key));
        return Json::object(members);
    }

    Json list_tables(const Json& request) {
        std::optional<std::int64_t> limit;
        if (const auto given = field(request, "Limit", e2e::JsonType::number)) {
            if (!given->is_integer() || given->integer() < 1 || given->integer() > 100)
                validation(fmt::format("1 validation error detected: Value '{}' at 'limit' failed to satisfy constraint: "
                                       "Member must have value between 1 and 100", given->dump()));
            limit = given->integer();
        }
        const auto start = optional_string(request, "ExclusiveStartTableName");
        std::vector<JsonValue> names;
        std::optional<std::string> last;
        auto it = start ? tables.upper_bound(*start) : tables.begin();
        for (; it != tables.end(); ++it) {
            if (limit && static_cast<std::int64_t>(names.size()) >= *limit) break;
            names.emplace_back(it->first);
            last = it->first;
        }
        std::vector<JsonMember> members{{"TableNames", Json::array(names)}};
        if (it != tables.end() && last) members.emplace_back("LastEvaluatedTableName", *last);
        return Json::object(members);
    }
};

DynamoDbService::DynamoDbService(DynamoDbServiceConfig config) : impl_(std::make_unique<Impl>()) {
    impl_->config = std::move(config);
    for (const auto& spec : impl_->config.tables) {
        check_table_spec(spec);
        auto table = std::make_unique<StoredTable>();
        table->spec = spec;
        table->directory = impl_->config.data_dir / spec.name;
        load_table(*table);
        if (!impl_->tables.emplace(spec.name, std::move(table)).second)
            throw std::invalid_argument(fmt::format("DynamoDB table '{}' is listed twice", spec.name));
    }
}

DynamoDbService::~DynamoDbService() = default;

Response DynamoDbService::handle(const Request& request) {
    const std::string request_id = new_request_id();
    try {
        if (request.method == "GET" && request.path == "/")  // DynamoDB answers GET / likewise
            return Response::text(200, "healthy: esb-refstack dynamodb").with_header("x-amzn-RequestId", request_id);
        if (request.method != "POST")
            coral_error("UnknownOperationException", fmt::format("{} is not supported; DynamoDB takes POST /", request.method));
        impl_->authenticate(request);
        const auto target = request.header("X-Amz-Target");
        if (!target) coral_error("UnknownOperationException", "Request has no X-Amz-Target header");
        if (!target->starts_with(kTargetPrefix))
            coral_error("UnknownOperationException",
                        fmt::format("X-Amz-Target '{}' does not start with {}", target->substr(0, 100), kTargetPrefix));
        if (const auto content_type = request.header("Content-Type");
            content_type && !content_type->starts_with("application/x-amz-json-1.") &&
            !content_type->starts_with("application/json"))
            serialization(fmt::format("Content-Type '{}' is not {}", content_type->substr(0, 100), kContentType));
        Json body;
        try {
            body = Json::parse(request.body);
        } catch (const e2e::JsonError& error) {
            serialization(fmt::format("The request body is not valid JSON: {}", error.what()));
        }
        if (!body.is_object()) serialization(fmt::format("The request body must be a JSON object, got {}", body.type_name()));
        const auto result = impl_->dispatch(std::string_view(*target).substr(kTargetPrefix.size()), body);
        return answer(200, result.dump(), request_id);
    } catch (const ServiceError& error) {
        return error_answer(error, request_id);
    } catch (const e2e::AttributeValueError& error) {
        if (error.kind() == e2e::AttributeValueError::Kind::serialization)
            return error_answer({400, fmt::format("{}SerializationException", kCoralPrefix), error.what()}, request_id);
        return error_answer({400, fmt::format("{}ValidationException", kDynamoPrefix), error.what()}, request_id);
    } catch (const dynamodb::NumberError& error) {
        return error_answer({400, fmt::format("{}ValidationException", kDynamoPrefix), error.what()}, request_id);
    } catch (const dynamodb::ExpressionError& error) {
        return error_answer({400, fmt::format("{}ValidationException", kDynamoPrefix), error.what()}, request_id);
    } catch (const e2e::JsonError& error) {
        return error_answer({400, fmt::format("{}SerializationException", kCoralPrefix), error.what()}, request_id);
    } catch (const std::exception& error) {
        return error_answer({500, fmt::format("{}InternalServerError", kDynamoPrefix),
                             fmt::format("esb-refstack failed: {}", error.what())},
                            request_id);
    }
}

}  // namespace refstack
