// ESB's generated `routing.yml` (path + method -> function) and `functions.yml` (per-function
// runtime, timeout, memory, scaling, environment, schedule events), as the refstack reads them.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace refstack {

struct Route {
    std::string path;    // exact match on the URL path; "" never matches
    std::string method;  // upper case; "" never matches
    std::string function;
};

struct ScalingSpec {
    int max_capacity = 1;  // ESB's pydantic default
    int min_capacity = 0;  // reported only, no pre-warming
    double acquire_timeout_seconds = 30.0;
    double idle_timeout_seconds = 300.0;
};

struct ScheduleSpec {
    std::string expression;  // "rate(1 minute)" or "cron(...)"
    std::string input;       // raw payload
};

struct FunctionSpec {
    std::string name;
    std::string runtime;  // python3.12, java21, image
    int timeout_seconds = 30;
    int memory_size_mb = 512;
    ScalingSpec scaling;
    std::map<std::string, std::string> environment;  // defaults merged with the function's own, ${VAR} expanded
    std::vector<ScheduleSpec> schedules;
};

struct FunctionsConfig {
    std::vector<Route> routes;
    std::map<std::string, FunctionSpec> functions;

    const FunctionSpec* function(std::string_view name) const;
    // The route whose path and method match exactly, or nullptr.
    const Route* route(std::string_view method, std::string_view path) const;
};

// `${VAR}` in environment values is replaced from `variables` (missing -> empty string).
// Errors (ConfigError from resources_config.hpp) name the file and the entry.
FunctionsConfig load_functions_config(const std::filesystem::path& routing_yml, const std::filesystem::path& functions_yml,
                                      const std::map<std::string, std::string>& variables = {});

// "rate(1 minute)", "rate(5 minutes)", "rate(2 hours)", "rate(1 day)" -> seconds; nullopt otherwise.
std::optional<double> parse_rate_seconds(std::string_view expression);

}  // namespace refstack
