// lambda-scaling (contract 2.11): holds its worker for `sleep_ms` so pool scale-out and idle
// pruning can be observed. No ping handling (as in ESB's fixture).
#include <chrono>
#include <thread>

#include "faults.hpp"
#include "functions/common.hpp"
#include "functions/handlers.hpp"

namespace refstack::functions {

using e2e::Json;

namespace {

// int(body.get("sleep_ms", 0)): integers, integral-valued numbers truncated, integer strings.
std::int64_t sleep_ms_of(const Json& body) {
    const auto value = body.find("sleep_ms");
    if (!value) return 0;
    if (value->is_integer()) return value->integer();
    if (value->is_number()) return static_cast<std::int64_t>(value->number());
    if (value->is_string()) {
        const std::string text = value->str();
        std::size_t used = 0;
        std::int64_t parsed = 0;
        try {
            parsed = std::stoll(text, &used);
        } catch (const std::exception&) {
            used = 0;
        }
        if (used != 0 && used == text.size()) return parsed;
        throw std::runtime_error("invalid literal for int() with base 10: '" + text + "'");
    }
    throw std::runtime_error("int() argument must be a string, a bytes-like object or a real number, not '" +
                             python_type_name(*value) + "'");
}

}  // namespace

std::string scaling(std::string_view payload, FunctionContext& context) {
    const Json body = python_body(parse_event(payload));
    std::int64_t sleep_ms = sleep_ms_of(body);
    if (context.faults().on("scaling.ignores_sleep")) sleep_ms = 0;
    if (sleep_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(sleep_ms));
    return api_response({{"message", "scaling-test"}, {"slept_ms", sleep_ms}});
}

}  // namespace refstack::functions
