// lambda-echo (contract 2.3) and lambda-echo-java (2.4): "Echo: <message>" with the caller, and two
// JSON log lines (INFO with the echo, DEBUG for the log-quality checks) under the invocation trace.
#include <chrono>
#include <optional>

#include "base64.hpp"
#include "faults.hpp"
#include "functions/common.hpp"
#include "functions/handlers.hpp"

namespace refstack::functions {

using e2e::Json;

namespace {

std::string answered_message(const std::string& message, const FunctionContext& context) {
    return context.faults().on("echo.wrong_message") ? message : "Echo: " + message;
}

void print_echo_logs(FunctionContext& context, const std::string& time, const std::string& message,
                     const std::string& function) {
    const std::string trace = trace_or_not_found(context);
    context.print(Json::object({{"_time", time},
                                {"level", "INFO"},
                                {"trace_id", trace},
                                {"message", "Echo: " + message},
                                {"function", function}})
                      .dump());
    context.print(Json::object({{"_time", time},
                                {"level", "DEBUG"},
                                {"trace_id", trace},
                                {"message", "Debug log for quality test"},
                                {"function", function}})
                      .dump());
}

// 2.4: `message` of a map body, of a JSON string body (base64-decoded first when isBase64Encoded),
// else the top-level `message`; blank or absent -> nullopt.
std::optional<std::string> java_message(const Json& event) {
    if (!event.is_object()) return std::nullopt;
    std::optional<Json> body;
    if (const auto raw = event.find("body")) {
        if (raw->is_object()) {
            body = *raw;
        } else if (raw->is_string()) {
            std::string text = raw->str();
            const auto encoded = event.find("isBase64Encoded");
            if (encoded && encoded->is_bool() && encoded->boolean()) {
                if (auto decoded = base64_decode(text)) text = std::move(*decoded);
            }
            if (auto parsed = Json::try_parse(text); parsed && parsed->is_object()) body = *parsed;
        }
    }
    if (body) {
        if (std::string text = java_text(*body, "message", ""); !text.empty()) return text;
    }
    if (std::string text = java_text(event, "message", ""); !text.empty()) return text;
    return std::nullopt;
}

}  // namespace

std::string echo_python(std::string_view payload, FunctionContext& context) {
    const Json event = parse_event(payload);
    if (auto pong = python_ping(event)) return *pong;
    const Json body = python_body(event);
    const std::string message = python_text(body, "message", "Hello");
    const Json user = caller(event, context);
    print_echo_logs(context, python_iso_millis(std::chrono::system_clock::now()), message, "lambda-echo");
    return api_response({{"success", true}, {"message", answered_message(message, context)}, {"user", user}});
}

std::string echo_java(std::string_view payload, FunctionContext& context) {
    const Json event = parse_event(payload);
    if (event.is_object() && truthy(event.find("ping"))) return Json::object({{"statusCode", 200}, {"body", "pong"}}).dump();
    const std::string message = java_message(event).value_or("Hello");
    const Json user = caller(event, context);
    // The Java agent replaces a "not-found" trace by the real one; with no trace both are "not-found".
    print_echo_logs(context, java_iso_millis(std::chrono::system_clock::now()), message,
                    env_or(context, "AWS_LAMBDA_FUNCTION_NAME", "lambda-echo-java"));
    return api_response({{"success", true}, {"message", answered_message(message, context)}, {"user", user}});
}

}  // namespace refstack::functions
