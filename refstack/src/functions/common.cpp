#include "functions/common.hpp"

#include <ctime>

#include <fmt/format.h>

#include "base64.hpp"
#include "e2e/utf8.hpp"
#include "faults.hpp"

namespace refstack::functions {

using e2e::Json;

namespace {

// A path naming one member whatever its characters (json.hpp quotes keys in brackets).
std::string member_path(std::string_view key) {
    std::string path = "[\"";
    for (char c : key) {
        if (c == '"' || c == '\\') path += '\\';
        path += c;
    }
    return path + "\"]";
}

std::optional<Json> member(const Json& object, std::string_view key) {
    if (!object.is_object()) return std::nullopt;
    return object.find(member_path(key));
}

std::string_view trim_java(std::string_view text) {
    // String.trim(): every code unit <= U+0020 at either end.
    while (!text.empty() && static_cast<unsigned char>(text.front()) <= 0x20) text.remove_prefix(1);
    while (!text.empty() && static_cast<unsigned char>(text.back()) <= 0x20) text.remove_suffix(1);
    return text;
}

std::tm utc_fields(std::chrono::system_clock::time_point at) {
    const std::time_t seconds = std::chrono::system_clock::to_time_t(std::chrono::floor<std::chrono::seconds>(at));
    std::tm fields{};
    ::gmtime_r(&seconds, &fields);
    return fields;
}

std::string iso_seconds(const std::tm& fields) {
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", fields.tm_year + 1900, fields.tm_mon + 1, fields.tm_mday,
                       fields.tm_hour, fields.tm_min, fields.tm_sec);
}

// Sub-second part of `at`, in units of Unit (always in [0, 1s)).
template <typename Unit>
long long subsecond(std::chrono::system_clock::time_point at) {
    const auto since_epoch = std::chrono::duration_cast<Unit>(at.time_since_epoch());
    const auto whole = std::chrono::duration_cast<Unit>(std::chrono::seconds(1)).count();
    return ((since_epoch.count() % whole) + whole) % whole;
}

}  // namespace

Json parse_event(std::string_view payload) {
    if (payload.find_first_not_of(" \t\r\n") == std::string_view::npos) return Json::object();
    auto event = Json::try_parse(payload);
    if (!event) {
        throw std::invalid_argument(fmt::format("Unable to unmarshal input: the payload is not JSON ({} bytes)", payload.size()));
    }
    return *event;
}

Json python_body(const Json& event) {
    if (!event.is_object()) {
        throw std::runtime_error(fmt::format("'{}' object has no attribute 'get'", python_type_name(event)));
    }
    Json body = event;
    if (auto raw = member(event, "body")) {
        if (raw->is_string()) {
            body = Json::try_parse(raw->str()).value_or(Json::object());
        } else {
            body = *raw;
        }
    }
    if (!body.is_object()) {
        throw std::runtime_error(fmt::format("'{}' object has no attribute 'get'", python_type_name(body)));
    }
    return body;
}

Json java_body(const Json& event) {
    if (!event.is_object()) return Json::object();
    const auto raw = member(event, "body");
    if (!raw || raw->is_null()) return event;
    if (raw->is_object()) return *raw;
    if (!raw->is_string()) return event;
    std::string text = raw->str();
    const auto encoded = member(event, "isBase64Encoded");
    if (encoded && encoded->is_bool() && encoded->boolean()) {
        if (auto decoded = base64_decode(text)) text = std::move(*decoded);
    }
    if (auto parsed = Json::try_parse(text); parsed && parsed->is_object()) return *parsed;
    return Json::object({{"raw", text}});
}

bool truthy(const std::optional<Json>& value) {
    if (!value) return false;
    switch (value->type()) {
        case e2e::JsonType::null: return false;
        case e2e::JsonType::boolean: return value->boolean();
        case e2e::JsonType::number: return value->number() != 0.0;
        case e2e::JsonType::string: return !value->str().empty();
        case e2e::JsonType::array:
        case e2e::JsonType::object: return value->size() != 0;
    }
    return false;
}

std::optional<std::string> python_ping(const Json& event) {
    if (!truthy(member(event, "ping"))) return std::nullopt;
    return Json::object({{"statusCode", 200}, {"body", "pong"}}).dump();
}

std::string api_response(const Members& body, int status) {
    return Json::object({{"statusCode", status},
                         {"headers", Json::object({{"Content-Type", "application/json"}})},
                         {"body", Json::object(body).dump()}})
        .dump();
}

Json caller(const Json& event, const FunctionContext& context) {
    if (context.faults().on("echo.wrong_user")) return Json::of("anonymous");
    const auto request_context = member(event, "requestContext");
    const auto authorizer = request_context ? member(*request_context, "authorizer") : std::nullopt;
    const auto user = authorizer ? member(*authorizer, "cognito:username") : std::nullopt;
    return user ? *user : Json::of("anonymous");
}

std::string python_str(const Json& value) {
    switch (value.type()) {
        case e2e::JsonType::string: return value.str();
        case e2e::JsonType::null: return "None";
        case e2e::JsonType::boolean: return value.boolean() ? "True" : "False";
        default: return value.dump();
    }
}

std::string python_type_name(const Json& value) {
    switch (value.type()) {
        case e2e::JsonType::string: return "str";
        case e2e::JsonType::null: return "NoneType";
        case e2e::JsonType::boolean: return "bool";
        case e2e::JsonType::number: return value.is_integer() ? "int" : "float";
        case e2e::JsonType::array: return "list";
        case e2e::JsonType::object: return "dict";
    }
    return "object";
}

std::string python_text(const Json& object, std::string_view key, std::string_view fallback) {
    const auto value = member(object, key);
    return value ? python_str(*value) : std::string(fallback);
}

std::string python_string_param(const Json& object, std::string_view key, std::string_view fallback) {
    const auto value = member(object, key);
    if (!value) return std::string(fallback);
    if (!value->is_string()) {
        throw std::runtime_error(fmt::format("Parameter validation failed: Invalid type for parameter {}, value: {}, "
                                             "type: <class '{}'>, valid types: <class 'str'>",
                                             key, python_str(*value), python_type_name(*value)));
    }
    return value->str();
}

std::string java_text(const Json& object, std::string_view key, std::string_view fallback) {
    const auto value = member(object, key);
    if (!value || value->is_null()) return std::string(fallback);
    const std::string text = value->is_string() ? value->str() : value->dump();
    const auto trimmed = trim_java(text);
    return trimmed.empty() ? std::string(fallback) : std::string(trimmed);
}

std::string env_or(const FunctionContext& context, std::string_view name, std::string_view fallback) {
    std::string value = context.env(name);
    return value.empty() ? std::string(fallback) : value;
}

std::string trace_or_not_found(const FunctionContext& context) {
    return context.trace_header().empty() ? std::string("not-found") : context.trace_header();
}

std::string python_iso_millis(std::chrono::system_clock::time_point at) {
    return fmt::format("{}.{:03}+00:00", iso_seconds(utc_fields(at)), subsecond<std::chrono::milliseconds>(at));
}

std::string java_iso_millis(std::chrono::system_clock::time_point at) {
    return fmt::format("{}.{:03}Z", iso_seconds(utc_fields(at)), subsecond<std::chrono::milliseconds>(at));
}

std::string python_utc_iso_micros(std::chrono::system_clock::time_point at) {
    return fmt::format("{}.{:06}", iso_seconds(utc_fields(at)), subsecond<std::chrono::microseconds>(at));
}

std::int64_t epoch_millis(std::chrono::system_clock::time_point at) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(at.time_since_epoch()).count();
}

std::int64_t epoch_seconds(std::chrono::system_clock::time_point at) {
    return std::chrono::duration_cast<std::chrono::seconds>(at.time_since_epoch()).count();
}

AwsCallError::AwsCallError(const e2e::AwsError& error)
    : std::runtime_error(fmt::format("An error occurred ({}) when calling the {} operation: {}",
                                     error.code.empty() ? std::to_string(error.http_status) : error.code,
                                     error.operation.empty() ? "unknown" : error.operation, error.message)),
      code_(error.code) {}

ChildInvocation invoke_function(FunctionContext& context, std::string_view target, const Json& payload, bool event) {
    ChildInvocation child = context.invoke(target, payload.dump(), event);
    if (child.status_code >= 300 || child.status_code < 200) {
        std::string message = child.payload;
        if (auto answer = Json::try_parse(child.payload); answer && answer->is_object() && answer->has("message") &&
                                                          answer->at("message").is_string()) {
            message = answer->str("message");
        }
        throw std::runtime_error(
            fmt::format("An error occurred ({}) when calling the Invoke operation: {}", child.status_code, message));
    }
    return child;
}

const std::string& require_utf8(const std::string& bytes) {
    if (const std::size_t bad = e2e::valid_utf8_prefix(bytes); bad != bytes.size()) {
        throw std::runtime_error(fmt::format("'utf-8' codec can't decode byte 0x{:02x} in position {}: invalid utf-8",
                                             static_cast<unsigned char>(bytes[bad]), bad));
    }
    return bytes;
}

}  // namespace refstack::functions
