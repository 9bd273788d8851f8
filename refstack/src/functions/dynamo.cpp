// lambda-dynamo (contract 2.7): item CRUD on e2e-test-table through the DynamoDB client; items come
// back in the low-level typed form ({"S": ...}, {"N": ...}).
#include <chrono>

#include "e2e/dynamodb.hpp"
#include "faults.hpp"
#include "functions/common.hpp"
#include "functions/handlers.hpp"
#include "random_id.hpp"

namespace refstack::functions {

using e2e::AttributeValue;
using e2e::Json;

namespace {

constexpr std::string_view kTable = "e2e-test-table";
constexpr std::string_view kDefaultMessage = "Hello from ScyllaDB Lambda";

e2e::Item key_of(const std::string& id) { return {{"id", AttributeValue::string(id)}}; }

AttributeValue now_seconds() {
    return AttributeValue::number(epoch_seconds(std::chrono::system_clock::now()));
}

void put_message(e2e::DynamoDbClient& client, const std::string& id, const std::string& message) {
    require_ok(client.put_item(
        kTable, {{"id", AttributeValue::string(id)}, {"timestamp", now_seconds()}, {"message", AttributeValue::string(message)}}));
}

std::string missing_id() { return api_response({{"success", false}, {"error", "id is required"}}, 400); }

}  // namespace

std::string dynamo(std::string_view payload, FunctionContext& context) {
    const Json event = parse_event(payload);
    if (auto pong = python_ping(event)) return *pong;
    const Json body = python_body(event);
    const Json action_value = body.has("action") ? body.at("action") : Json::of("put_get");
    const std::string action = action_value.is_string() ? action_value.str() : std::string();
    const auto id = body.find("id");
    try {
        auto& client = context.dynamodb();
        if (action == "put_get") {
            const std::string item_id = make_uuid4();
            put_message(client, item_id, python_text(body, "message", kDefaultMessage));
            const auto got = require_ok(client.get_item(kTable, key_of(item_id)));
            return api_response({{"success", true},
                                 {"item_id", item_id},
                                 {"retrieved_item", got.item ? e2e::to_json(*got.item) : Json::object()}});
        }
        if (action == "get") {
            if (!truthy(id)) return missing_id();
            auto got = require_ok(client.get_item(kTable, key_of(python_str(*id))));
            if (context.faults().on("dynamo.get_not_found")) got.item.reset();
            return api_response({{"success", true},
                                 {"item", got.item ? e2e::to_json(*got.item) : Json()},
                                 {"found", got.item.has_value()}});
        }
        if (action == "put") {
            const std::string item_id = id ? python_str(*id) : make_uuid4();
            put_message(client, item_id, python_text(body, "message", kDefaultMessage));
            return api_response({{"success", true}, {"item_id", item_id}});
        }
        if (action == "update") {
            if (!truthy(id)) return missing_id();
            const std::string item_id = python_str(*id);
            e2e::UpdateItemRequest request;
            request.table = kTable;
            request.key = key_of(item_id);
            request.update_expression = "SET message = :msg, #ts = :ts";
            request.expression_attribute_names = {{"#ts", "timestamp"}};
            request.expression_attribute_values = {
                {":msg", AttributeValue::string(python_text(body, "message", "Updated message"))}, {":ts", now_seconds()}};
            require_ok(client.update_item(request));
            return api_response({{"success", true}, {"item_id", item_id}});
        }
        if (action == "delete") {
            if (!truthy(id)) return missing_id();
            const std::string item_id = python_str(*id);
            require_ok(client.delete_item(kTable, key_of(item_id)));
            return api_response({{"success", true}, {"item_id", item_id}, {"deleted", true}});
        }
        return api_response({{"success", false}, {"error", "Unknown action: " + python_str(action_value)}}, 400);
    } catch (const std::exception& error) {
        return api_response({{"success", false}, {"error", std::string(error.what())}}, 500);
    }
}

}  // namespace refstack::functions
