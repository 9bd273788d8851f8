// What a natively implemented Lambda function sees while it runs (its "runtime"), and the
// registry of the E2E functions (contract section 2). A worker runs one invocation at a time.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>
#include <cstdint>

#include "e2e/json.hpp"

namespace e2e {
class S3Client;
class DynamoDbClient;
}  // namespace e2e

namespace refstack {

class FaultSwitches;

// Thrown by a function to end its runtime process (lambda-chaos `crash`): the worker reports a
// function error for this invocation and re-initialises before the next one, as the Lambda RIE does.
struct RuntimeCrash : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// The result of a synchronous or Event invoke through the gateway's Lambda invoke API.
struct ChildInvocation {
    int status_code = 0;         // 200 sync, 202 Event, or the gateway's error status
    std::string payload;         // raw payload bytes (empty for Event)
    bool function_error = false; // X-Amz-Function-Error was present
};

class FunctionContext {
public:
    virtual ~FunctionContext() = default;

    virtual const std::string& function_name() const = 0;
    virtual const std::string& aws_request_id() const = 0;  // UUID, distinct per invocation
    // The full trace header restored from the invocation (`Root=...;Sampled=1`), or "" when none.
    virtual const std::string& trace_header() const = 0;
    // The function's environment (functions.yml defaults + own + what the gateway injects).
    virtual std::string env(std::string_view name, std::string_view fallback = {}) const = 0;

    // One stdout line of the function: a JSON object line is forwarded as a record (container_name,
    // job, trace_id, aws_request_id added when absent; `timestamp` renamed to `_time`); any other
    // text becomes {_time, level (guessed from the text), message}.
    virtual void print(std::string_view line) = 0;
    // Python `logging`-style JSON record with level, message, logger, trace_id, aws_request_id.
    virtual void log(std::string_view level, std::string_view message, std::string_view logger = "function") = 0;
    // CloudWatch Logs PutLogEvents passthrough: one record per event (contract 1.10), level from
    // the `[LEVEL]` prefix per `runtime` ("python" filters below LOG_LEVEL; "java" does not).
    virtual void put_log_events(std::string_view log_group, std::string_view log_stream,
                                const std::vector<std::pair<std::int64_t, std::string>>& events_ms_message,
                                std::string_view runtime) = 0;

    // AWS clients signed with the function's credentials, pointing at S3_ENDPOINT / DYNAMODB_ENDPOINT.
    virtual e2e::S3Client& s3() = 0;
    // A client whose presigned URLs use S3_PRESIGN_ENDPOINT (the host-facing port).
    virtual e2e::S3Client& s3_presign() = 0;
    virtual e2e::DynamoDbClient& dynamodb() = 0;
    // Lambda Invoke through GATEWAY_INTERNAL_URL; carries this invocation's trace (X-Amzn-Trace-Id).
    virtual ChildInvocation invoke(std::string_view function_name, std::string_view payload, bool event) = 0;

    virtual const FaultSwitches& faults() const = 0;
};

// A function: takes the raw invocation payload, returns the raw result payload (JSON text).
// Throwing RuntimeCrash crashes the runtime; any other exception becomes a function error
// ({"errorMessage", "errorType"} with X-Amz-Function-Error, as the RIE reports it).
using FunctionHandler = std::function<std::string(std::string_view payload, FunctionContext& context)>;

// Every E2E function by name: lambda-echo, lambda-echo-java, lambda-connectivity,
// lambda-connectivity-java, lambda-dynamo, lambda-s3, lambda-integration, lambda-chaos,
// lambda-scaling, lambda-image, lambda-scheduled.
const std::map<std::string, FunctionHandler, std::less<>>& builtin_functions();

}  // namespace refstack
