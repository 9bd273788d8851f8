// The seam between the gateway's HTTP layer and the invocation machinery (pools, circuit breakers,
// workers): the gateway turns an HTTP request into an Invocation and an InvocationOutcome into an
// HTTP answer (contract 1.7 / 1.8 error table); the Invoker decides the outcome.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "e2e/json.hpp"

namespace refstack {

struct Invocation {
    std::string function_name;
    std::string payload;       // raw bytes sent to the worker (API Gateway event or invoke body)
    std::string trace_header;  // full canonical X-Amzn-Trace-Id string of the calling request
};

struct InvocationOutcome {
    enum class Kind {
        ok,                // the worker answered; status/headers/payload are the worker's
        function_error,    // the function failed (crash, exception, errorType/errorMessage payload) -> 502 "Lambda Logic Error: ..."
        connection_error,  // the worker could not be reached after one retry on a fresh worker -> 502 <message>
        timeout,           // LAMBDA_INVOKE_TIMEOUT passed -> 502 <message>
        no_worker,         // provisioning failed or the acquire timeout passed -> 503 "Failed to start container <fn>: <cause>"
        circuit_open,      // -> 502 "Circuit is open (failures: N)"
        unknown_function,  // -> 404 "Function <fn> not found"
    };
    Kind kind = Kind::ok;
    int status = 200;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string payload;
    std::string message;  // the text for the error answers above (without the fixed prefixes)
};

class Invoker {
public:
    virtual ~Invoker() = default;
    // Blocks until the outcome is known. Thread-safe.
    virtual InvocationOutcome invoke(const Invocation& invocation) = 0;
    // GET /metrics/pools body: {"pools": [...sorted by function_name...], "collected_at": "..."}.
    virtual e2e::Json pools_json() const = 0;
};

}  // namespace refstack
