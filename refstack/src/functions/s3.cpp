// lambda-s3 (contract 2.8): S3 operations by action, every answer carrying the caller; a failed call
// (NoSuchKey on get, for one) is a statusCode 500 answer, not a function error.
#include <chrono>
#include <cmath>

#include "e2e/s3.hpp"
#include "faults.hpp"
#include "functions/common.hpp"
#include "functions/handlers.hpp"

namespace refstack::functions {

using e2e::Json;

namespace {

// int(body.get("expires_in", 300)).
std::chrono::seconds expires_in(const Json& body) {
    const auto value = body.find("expires_in");
    if (!value) return std::chrono::seconds(300);
    if (value->is_number()) {
        const double number = value->number();
        if (!std::isfinite(number)) throw std::runtime_error("cannot convert float infinity to integer");
        return std::chrono::seconds(static_cast<long long>(number));
    }
    if (value->is_string()) {
        const std::string text = value->str();
        std::size_t used = 0;
        long long parsed = 0;
        try {
            parsed = std::stoll(text, &used);
        } catch (const std::exception&) {
            used = 0;
        }
        if (used == 0 || used != text.size()) {
            throw std::runtime_error("invalid literal for int() with base 10: '" + text + "'");
        }
        return std::chrono::seconds(parsed);
    }
    throw std::runtime_error("int() argument must be a string, a bytes-like object or a real number, not '" +
                             python_type_name(*value) + "'");
}

// The data to put: body.get("body", body.get("data", "Hello from Lambda!")), .encode()d.
std::string data_of(const Json& body) {
    const auto value = body.has("body") ? body.find("body") : body.find("data");
    if (!value) return "Hello from Lambda!";
    if (!value->is_string()) {
        throw std::runtime_error("'" + python_type_name(*value) + "' object has no attribute 'encode'");
    }
    return value->str();
}

}  // namespace

std::string s3(std::string_view payload, FunctionContext& context) {
    const Json event = parse_event(payload);
    if (auto pong = python_ping(event)) return *pong;
    const Json user = caller(event, context);
    const Json body = python_body(event);
    const Json action_value = body.has("action") ? body.at("action") : Json::of("test");
    const std::string action = action_value.is_string() ? action_value.str() : std::string();

    context.print(Json::object({{"_time", python_iso_millis(std::chrono::system_clock::now())},
                                {"level", "INFO"},
                                {"trace_id", trace_or_not_found(context)},
                                {"message", "Received event: action=" + python_str(action_value)},
                                {"function", "s3-integration"}})
                      .dump());

    try {
        auto& client = context.s3();
        if (action == "test") {
            const auto listed = require_ok(client.list_buckets());
            std::vector<e2e::JsonValue> names;
            for (const auto& entry : listed.buckets) names.emplace_back(entry.name);
            return api_response({{"action", "test"}, {"success", true}, {"buckets", Json::array(names)}, {"user", user}});
        }
        // boto3 rejects a non-string Bucket/Key only when an operation uses it.
        const std::string bucket = python_string_param(body, "bucket", "test-bucket");
        const std::string key = python_string_param(body, "key", "test-key.txt");
        if (action == "put") {
            e2e::PutObjectOptions options;
            options.content_type = "application/octet-stream";
            const auto put = require_ok(client.put_object(bucket, key, data_of(body), options));
            return api_response({{"action", "put"},
                                 {"success", true},
                                 {"bucket", bucket},
                                 {"key", key},
                                 {"etag", put.etag},
                                 {"user", user}});
        }
        if (action == "get") {
            const auto got = require_ok(client.get_object(bucket, key));
            return api_response({{"action", "get"},
                                 {"success", true},
                                 {"bucket", bucket},
                                 {"key", key},
                                 {"content", require_utf8(got.body)},
                                 {"user", user}});
        }
        if (action == "list") {
            e2e::ListObjectsV2Options options;
            options.prefix = python_string_param(body, "prefix", "");
            const auto listed = require_ok(client.list_objects_v2(bucket, options));
            std::vector<e2e::JsonValue> keys;
            if (!context.faults().on("s3fn.list_missing_keys")) {
                for (const auto& object : listed.contents) keys.emplace_back(object.key);
            }
            return api_response(
                {{"action", "list"}, {"success", true}, {"bucket", bucket}, {"objects", Json::array(keys)}, {"user", user}});
        }
        if (action == "delete") {
            require_ok(client.delete_object(bucket, key));
            return api_response({{"action", "delete"}, {"success", true}, {"bucket", bucket}, {"key", key}, {"user", user}});
        }
        if (action == "presign_get") {
            const auto expires = expires_in(body);
            // The fault signs with the in-network client, so the URL names the wrong port.
            auto& signer = context.faults().on("s3.presign_wrong_port") ? context.s3() : context.s3_presign();
            const std::string url = signer.presign_get_object(bucket, key, expires);
            return api_response({{"action", "presign_get"},
                                 {"success", true},
                                 {"bucket", bucket},
                                 {"key", key},
                                 {"expires_in", static_cast<std::int64_t>(expires.count())},
                                 {"url", url},
                                 {"user", user}});
        }
        if (action == "create_bucket") {
            auto created = client.create_bucket(bucket);
            if (!created.ok() && created.error().code == "BucketAlreadyOwnedByYou") {
                return api_response({{"action", "create_bucket"},
                                     {"success", true},
                                     {"bucket", bucket},
                                     {"message", "Bucket already exists"},
                                     {"user", user}});
            }
            require_ok(std::move(created));
            return api_response({{"action", "create_bucket"}, {"success", true}, {"bucket", bucket}, {"user", user}});
        }
        const std::string unknown = python_str(action_value);
        return api_response(
            {{"action", action_value}, {"success", false}, {"error", "Unknown action: " + unknown}, {"user", user}});
    } catch (const std::exception& error) {
        return api_response({{"success", false}, {"error", std::string(error.what())}, {"action", action_value}, {"user", user}},
                            500);
    }
}

}  // namespace refstack::functions
