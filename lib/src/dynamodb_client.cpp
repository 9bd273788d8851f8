// DynamoDbClient: JSON 1.0 protocol over e2e::HttpClient, signed with SigV4 (service "dynamodb").
#include <fmt/format.h>

#include <chrono>

#include "e2e/dynamodb.hpp"
#include "e2e/sigv4.hpp"

namespace e2e {
namespace {

constexpr std::string_view kTargetPrefix = "DynamoDB_20120810.";
constexpr std::string_view kContentType = "application/x-amz-json-1.0";

struct Endpoint {
    std::string base;  // scheme://authority, for the request URL
    std::string host;  // authority without user info, for Host and the signature
    std::string path;  // "/" unless the endpoint names one
};

Endpoint parse_endpoint(const std::string& endpoint) {
    const auto scheme_end = endpoint.find("://");
    if (scheme_end == std::string::npos || (endpoint.compare(0, scheme_end, "http") != 0 &&
                                            endpoint.compare(0, scheme_end, "https") != 0))
        throw HttpError(HttpError::Kind::invalid_url,
                        fmt::format("DynamoDB endpoint '{}' is not an http:// or https:// URL", endpoint));
    const auto authority_begin = scheme_end + 3;
    const auto path_begin = endpoint.find_first_of("/?#", authority_begin);
    std::string authority = endpoint.substr(authority_begin, path_begin - authority_begin);
    if (const auto at = authority.rfind('@'); at != std::string::npos) authority.erase(0, at + 1);
    if (authority.empty())
        throw HttpError(HttpError::Kind::invalid_url, fmt::format("DynamoDB endpoint '{}' has no host", endpoint));
    Endpoint out;
    out.base = endpoint.substr(0, authority_begin) + authority;
    out.host = authority;
    out.path = path_begin == std::string::npos || endpoint[path_begin] != '/'
                   ? "/"
                   : endpoint.substr(path_begin, endpoint.find_first_of("?#", path_begin) - path_begin);
    return out;
}

std::optional<Item> optional_item(const Json& answer, std::string_view field) {
    auto found = answer.find(field);
    if (!found) return std::nullopt;
    return item_from_json(*found, field);
}

// A 2xx answer the client cannot read is a protocol failure, not an AWS error.
template <class Parse>
auto read_answer(std::string_view operation, const Json& answer, Parse parse) -> decltype(parse()) {
    try {
        return parse();
    } catch (const std::exception& error) {
        throw HttpError(HttpError::Kind::protocol, fmt::format("DynamoDB {}: unexpected answer {}: {}", operation,
                                                               answer.excerpt(300), error.what()));
    }
}

}  // namespace

DynamoDbClient::DynamoDbClient(DynamoDbConfig config)
    : config_(std::move(config)), owned_http_(std::make_unique<HttpClient>()), http_(owned_http_.get()) {
    parse_endpoint(config_.endpoint);  // fail at construction, not at the first call
}

DynamoDbClient::DynamoDbClient(DynamoDbConfig config, HttpClient& http) : config_(std::move(config)), http_(&http) {
    parse_endpoint(config_.endpoint);
}

DynamoDbClient::~DynamoDbClient() = default;

HttpResponse DynamoDbClient::send_raw(std::string_view target, std::string body) {
    const auto endpoint = parse_endpoint(config_.endpoint);
    sigv4::Request request;
    request.method = "POST";
    request.path = endpoint.path;
    request.headers = {{"Host", endpoint.host},
                       {"Content-Type", std::string(kContentType)},
                       {"X-Amz-Target", std::string(target)}};
    request.body = std::move(body);
    sigv4::Options options;
    options.region = config_.region;
    options.service = "dynamodb";
    options.time = std::chrono::system_clock::now();
    const auto signed_request =
        sigv4::sign_headers(request, {config_.access_key, config_.secret_key, {}}, options);

    HttpRequest http_request;
    http_request.method = "POST";
    http_request.url = endpoint.base + endpoint.path;
    http_request.headers = std::move(request.headers);
    for (const auto& header : signed_request.headers) http_request.headers.push_back(header);
    http_request.body = std::move(request.body);
    return http_->send(http_request);
}

AwsResult<Json> DynamoDbClient::call(std::string_view operation, const Json& request) {
    auto response = send_raw(fmt::format("{}{}", kTargetPrefix, operation), request.dump());
    if (response.status < 200 || response.status > 299) {
        const auto table = request.find("TableName");
        return parse_dynamodb_error(response, operation, table && table->is_string() ? table->str() : std::string());
    }
    auto answer = Json::try_parse(response.body);
    if (!answer || !answer->is_object())
        throw HttpError(HttpError::Kind::protocol,
                        fmt::format("DynamoDB {} at {}: HTTP {} with a body that is not a JSON object: {}", operation,
                                    response.url, response.status, response.body.substr(0, 300)));
    return *answer;
}

AwsResult<PutItemResult> DynamoDbClient::put_item(std::string_view table, const Item& item, ReturnValues return_values) {
    auto request = Json::object({{"TableName", table}, {"Item", to_json(item)}, {"ReturnValues", to_string(return_values)}});
    auto answer = call("PutItem", request);
    if (!answer) return answer.error();
    return read_answer("PutItem", *answer, [&] { return PutItemResult{optional_item(*answer, "Attributes")}; });
}

AwsResult<GetItemResult> DynamoDbClient::get_item(std::string_view table, const Item& key, bool consistent_read) {
    auto request = Json::object({{"TableName", table}, {"Key", to_json(key)}, {"ConsistentRead", consistent_read}});
    auto answer = call("GetItem", request);
    if (!answer) return answer.error();
    return read_answer("GetItem", *answer, [&] { return GetItemResult{optional_item(*answer, "Item")}; });
}

AwsResult<UpdateItemResult> DynamoDbClient::update_item(const UpdateItemRequest& request) {
    std::vector<JsonMember> members{{"TableName", request.table},
                                    {"Key", to_json(request.key)},
                                    {"UpdateExpression", request.update_expression},
                                    {"ReturnValues", to_string(request.return_values)}};
    if (!request.expression_attribute_names.empty()) {
        std::vector<JsonMember> names;
        for (const auto& [placeholder, name] : request.expression_attribute_names) names.emplace_back(placeholder, name);
        members.emplace_back("ExpressionAttributeNames", Json::object(names));
    }
    if (!request.expression_attribute_values.empty())
        members.emplace_back("ExpressionAttributeValues", to_json(request.expression_attribute_values));
    auto answer = call("UpdateItem", Json::object(members));
    if (!answer) return answer.error();
    return read_answer("UpdateItem", *answer, [&] { return UpdateItemResult{optional_item(*answer, "Attributes")}; });
}

AwsResult<DeleteItemResult> DynamoDbClient::delete_item(std::string_view table, const Item& key,
                                                        ReturnValues return_values) {
    auto request = Json::object({{"TableName", table}, {"Key", to_json(key)}, {"ReturnValues", to_string(return_values)}});
    auto answer = call("DeleteItem", request);
    if (!answer) return answer.error();
    return read_answer("DeleteItem", *answer, [&] { return DeleteItemResult{optional_item(*answer, "Attributes")}; });
}

AwsResult<TableDescription> DynamoDbClient::describe_table(std::string_view table) {
    auto answer = call("DescribeTable", Json::object({{"TableName", table}}));
    if (!answer) return answer.error();
    return read_answer("DescribeTable", *answer, [&] {
        const auto description = answer->at("Table");
        TableDescription out;
        out.table_name = description.str("TableName");
        out.table_status = description.str("TableStatus");
        for (const auto& element : description.elements("KeySchema"))
            out.key_schema.push_back({element.str("AttributeName"), element.str("KeyType")});
        for (const auto& element : description.elements("AttributeDefinitions"))
            out.attribute_definitions.push_back({element.str("AttributeName"), element.str("AttributeType")});
        if (description.has("ItemCount")) out.item_count = description.integer("ItemCount");
        if (description.has("BillingModeSummary.BillingMode"))
            out.billing_mode = description.str("BillingModeSummary.BillingMode");
        out.raw = description;
        return out;
    });
}

AwsResult<ScanResult> DynamoDbClient::scan(const ScanRequest& request) {
    std::vector<JsonMember> members{{"TableName", request.table}};
    if (request.limit) members.emplace_back("Limit", *request.limit);
    if (request.exclusive_start_key) members.emplace_back("ExclusiveStartKey", to_json(*request.exclusive_start_key));
    auto answer = call("Scan", Json::object(members));
    if (!answer) return answer.error();
    return read_answer("Scan", *answer, [&] {
        ScanResult out;
        const auto items = answer->elements("Items");
        for (std::size_t i = 0; i < items.size(); ++i) out.items.push_back(item_from_json(items[i], fmt::format("Items[{}]", i)));
        out.count = answer->integer("Count");
        out.scanned_count = answer->integer("ScannedCount");
        out.last_evaluated_key = optional_item(*answer, "LastEvaluatedKey");
        return out;
    });
}

AwsResult<std::vector<std::string>> DynamoDbClient::list_tables() {
    auto answer = call("ListTables", Json::object());
    if (!answer) return answer.error();
    return read_answer("ListTables", *answer, [&] {
        std::vector<std::string> names;
        for (const auto& name : answer->elements("TableNames")) names.push_back(name.str());
        return names;
    });
}

AwsError parse_dynamodb_error(const HttpResponse& response, std::string_view operation, std::string_view resource) {
    AwsError error;
    error.http_status = response.status;
    error.operation = std::string(operation);
    error.resource = std::string(resource);
    error.request_id = response.header("x-amzn-RequestId").value_or("");
    const auto body = Json::try_parse(response.body);
    if (!body || !body->is_object()) {
        error.code = std::to_string(response.status);  // as botocore does for an answer without __type
        error.message = response.body.substr(0, 500);
        return error;
    }
    if (const auto type = body->find("__type"); type && type->is_string()) {
        const auto text = type->str();
        const auto hash = text.rfind('#');
        error.code = hash == std::string::npos ? text : text.substr(hash + 1);
    }
    for (const char* field : {"message", "Message"}) {
        if (const auto message = body->find(field); message && message->is_string()) {
            error.message = message->str();
            break;
        }
    }
    return error;
}

}  // namespace e2e
