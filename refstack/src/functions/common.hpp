// What the E2E functions share (contract 2.2 and the Java rules of 2.4/2.6): reading the event,
// the API Gateway response shape, ping, the caller, Python/Java value conversions, AWS errors as
// the SDKs word them, and the timestamps the functions print.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "e2e/aws_error.hpp"
#include "e2e/json.hpp"
#include "function_runtime.hpp"

namespace refstack::functions {

using Members = std::vector<e2e::JsonMember>;

// The payload as the runtime deserialises it: empty -> {}, otherwise JSON (any type). Text that is
// not JSON throws std::invalid_argument (the runtime's own error, a function error).
e2e::Json parse_event(std::string_view payload);

// Contract 2.2: the `body` of an API Gateway event (a string is JSON-parsed, invalid JSON -> {}; a
// non-string is used as is), else the whole event. Python then calls `.get` on it, so anything but
// an object throws std::runtime_error with Python's AttributeError text.
e2e::Json python_body(const e2e::Json& event);

// Contract 2.6 (Java): a map body as is; a string body base64-decoded first when isBase64Encoded,
// then JSON-parsed, text that is not a JSON object -> {"raw": <text>}; no body -> the event. Never
// throws: a non-object result becomes {}.
e2e::Json java_body(const e2e::Json& event);

// Python truthiness of an optional value: absent, null, false, 0, "", [] and {} are false.
bool truthy(const std::optional<e2e::Json>& value);

// The ping answer of the Python fixtures, {"statusCode": 200, "body": "pong"}, when the event has a
// truthy top-level `ping`.
std::optional<std::string> python_ping(const e2e::Json& event);

// {"statusCode": status, "headers": {"Content-Type": "application/json"}, "body": "<JSON text>"}.
std::string api_response(const Members& body, int status = 200);

// requestContext.authorizer["cognito:username"] or "anonymous"; "anonymous" always when the
// echo.wrong_user fault is on.
e2e::Json caller(const e2e::Json& event, const FunctionContext& context);

// f"{value}" in Python: strings as they are, None/True/False, numbers as JSON writes them,
// containers as compact JSON (Python would print its repr; never tested).
std::string python_str(const e2e::Json& value);
// Python's type name for messages ("str", "int", "float", "bool", "NoneType", "list", "dict").
std::string python_type_name(const e2e::Json& value);
// body.get(key, fallback) then f"{...}": absent -> fallback, present -> python_str.
std::string python_text(const e2e::Json& object, std::string_view key, std::string_view fallback);
// body.get(key, fallback) where the value is used as a string (boto3 parameter, .encode()): a
// present non-string throws std::runtime_error naming the key and the type.
std::string python_string_param(const e2e::Json& object, std::string_view key, std::string_view fallback);

// Java's String.valueOf(map.get(key)).trim() with blank or absent -> fallback.
std::string java_text(const e2e::Json& object, std::string_view key, std::string_view fallback);

// context.env(name) with empty -> fallback.
std::string env_or(const FunctionContext& context, std::string_view name, std::string_view fallback);

// _X_AMZN_TRACE_ID as the functions read it: the full header, or "not-found".
std::string trace_or_not_found(const FunctionContext& context);

// `2024-05-01T12:00:00.123+00:00` (Python isoformat, milliseconds) and `2024-05-01T12:00:00.123Z`
// (Java Instant).
std::string python_iso_millis(std::chrono::system_clock::time_point at);
std::string java_iso_millis(std::chrono::system_clock::time_point at);
// `2024-05-01T12:00:00.123456` (Python datetime.utcnow().isoformat()).
std::string python_utc_iso_micros(std::chrono::system_clock::time_point at);
std::int64_t epoch_millis(std::chrono::system_clock::time_point at);
std::int64_t epoch_seconds(std::chrono::system_clock::time_point at);

// An AWS call that answered with an error, worded as botocore does:
// "An error occurred (NoSuchKey) when calling the GetObject operation: <message>".
class AwsCallError : public std::runtime_error {
public:
    explicit AwsCallError(const e2e::AwsError& error);
    const std::string& code() const noexcept { return code_; }

private:
    std::string code_;
};

// The result, or AwsCallError.
template <typename T>
T require_ok(e2e::AwsResult<T> result) {
    if (!result.ok()) throw AwsCallError(result.error());
    return std::move(result).value();
}

// Lambda Invoke as the SDKs see it: 200/202 come back; an error status from the invoke API throws
// std::runtime_error "An error occurred (<status>) when calling the Invoke operation: <message>".
ChildInvocation invoke_function(FunctionContext& context, std::string_view target, const e2e::Json& payload,
                                bool event);

// UTF-8 text or std::runtime_error with Python's decode error wording.
const std::string& require_utf8(const std::string& bytes);

}  // namespace refstack::functions
