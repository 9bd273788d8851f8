// lambda-chaos (contract 2.10): answers, sleeps, or crashes its runtime (RuntimeCrash) so the
// gateway reports a function error and the circuit breaker counts it.
#include <chrono>
#include <cmath>
#include <thread>

#include "faults.hpp"
#include "functions/common.hpp"
#include "functions/handlers.hpp"

namespace refstack::functions {

using e2e::Json;

std::string chaos(std::string_view payload, FunctionContext& context) {
    const Json event = parse_event(payload);
    if (auto pong = python_ping(event)) return *pong;
    const Json body = python_body(event);
    const Json action_value = body.has("action") ? body.at("action") : Json::of("hello");
    const std::string action = action_value.is_string() ? action_value.str() : std::string();
    context.print("DEBUG: Processing action='" + python_str(action_value) + "'");

    if (action == "crash" && !context.faults().on("chaos.crash_is_ok")) {
        context.print("DEBUG: CRASHING NOW");
        throw RuntimeCrash("lambda-chaos: the runtime exited with status 1 (action crash)");
    }
    if (action == "delay") {
        const Json seconds = body.has("seconds") ? body.at("seconds") : Json::of(5);
        if (!seconds.is_number()) {
            throw std::runtime_error("'" + python_type_name(seconds) +
                                     "' object cannot be interpreted as an integer or float (time.sleep)");
        }
        const double value = seconds.number();
        if (!std::isfinite(value) || value < 0) throw std::runtime_error("sleep length must be non-negative");
        context.print("DELAYING FOR " + python_str(seconds) + " SECONDS");
        std::this_thread::sleep_for(std::chrono::duration<double>(value));
        return api_response({{"message", "Delayed for " + python_str(seconds) + "s"}});
    }
    return api_response({{"message", "Faulty Lambda is OK"}, {"action", action_value}});
}

}  // namespace refstack::functions
