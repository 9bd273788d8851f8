// lambda-integration (contract 2.9): reports the trace it runs under and optionally chains one
// invocation (sync or Event) to `next_target` with {"message": "from-chain"}. The trace checks of
// STD-009/012/026 start here.
#include "faults.hpp"
#include "functions/common.hpp"
#include "functions/handlers.hpp"

namespace refstack::functions {

using e2e::Json;

std::string integration(std::string_view payload, FunctionContext& context) {
    const Json event = parse_event(payload);
    if (auto pong = python_ping(event)) return *pong;
    // Fault: the handler reads a misspelt variable, as if _X_AMZN_TRACE_ID were never set.
    const std::string trace =
        context.faults().on("integration.trace_not_found") ? std::string("not-found") : trace_or_not_found(context);
    context.log("INFO", "Trace ID in environment: " + trace);

    const Json body = python_body(event);
    const auto next_target = body.find("next_target");
    const bool is_async = truthy(body.find("async"));
    Json child;  // null without a next_target
    if (truthy(next_target)) {
        // Exceptions here are not caught in ESB's fixture either: they are function errors.
        const std::string target = python_string_param(body, "next_target", "");
        context.log("INFO", std::string("Chaining ") + (is_async ? "async" : "sync") + " invocation to " + target);
        const ChildInvocation answer =
            invoke_function(context, target, Json::object({{"message", "from-chain"}}), is_async);
        if (is_async) {
            child = Json::object({{"status", "async-started"}, {"status_code", answer.status_code}});
        } else {
            child = Json::parse(answer.payload);  // json.loads: a non-JSON child fails the invocation
        }
    }
    return api_response({{"success", true}, {"trace_id", trace}, {"child", child}});
}

}  // namespace refstack::functions
