#include "function_config.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <regex>

#include "resources_config.hpp"

namespace refstack {
namespace {

YAML::Node load_yaml(const std::filesystem::path& path) {
    try {
        return YAML::LoadFile(path.string());
    } catch (const YAML::BadFile&) {
        throw ConfigError(fmt::format("{}: cannot read the file", path.string()));
    } catch (const YAML::Exception& error) {
        throw ConfigError(fmt::format("{}:{}: malformed YAML: {}", path.string(), error.mark.line + 1, error.msg));
    }
}

std::string expand(const std::string& value, const std::map<std::string, std::string>& variables) {
    static const std::regex placeholder(R"(\$\{([A-Za-z_][A-Za-z0-9_]*)\})");
    std::string out;
    auto begin = value.cbegin();
    for (std::sregex_iterator it(value.begin(), value.end(), placeholder), end; it != end; ++it) {
        out.append(begin, value.cbegin() + it->position());
        const auto found = variables.find((*it)[1].str());
        if (found != variables.end()) out += found->second;
        begin = value.cbegin() + it->position() + it->length();
    }
    out.append(begin, value.cend());
    return out;
}

void read_environment(const YAML::Node& node, const std::map<std::string, std::string>& variables,
                      std::map<std::string, std::string>& into) {
    if (!node) return;
    for (const auto& entry : node) into[entry.first.as<std::string>()] = expand(entry.second.as<std::string>(""), variables);
}

void read_scaling(const YAML::Node& node, ScalingSpec& scaling) {
    if (!node) return;
    if (node["max_capacity"]) scaling.max_capacity = node["max_capacity"].as<int>();
    if (node["min_capacity"]) scaling.min_capacity = node["min_capacity"].as<int>();
    if (node["acquire_timeout"]) scaling.acquire_timeout_seconds = node["acquire_timeout"].as<double>();
    if (node["idle_timeout"]) scaling.idle_timeout_seconds = node["idle_timeout"].as<double>();
}

}  // namespace

const FunctionSpec* FunctionsConfig::function(std::string_view name) const {
    const auto it = functions.find(std::string(name));
    return it == functions.end() ? nullptr : &it->second;
}

const Route* FunctionsConfig::route(std::string_view method, std::string_view path) const {
    for (const auto& candidate : routes) {
        if (!candidate.path.empty() && !candidate.method.empty() && candidate.path == path && candidate.method == method) {
            return &candidate;
        }
    }
    return nullptr;
}

FunctionsConfig load_functions_config(const std::filesystem::path& routing_yml, const std::filesystem::path& functions_yml,
                                      const std::map<std::string, std::string>& variables) {
    FunctionsConfig config;
    const auto routing = load_yaml(routing_yml);
    const auto routes = routing["routes"];
    if (!routes || !routes.IsSequence()) throw ConfigError(fmt::format("{}: top-level list routes is missing", routing_yml.string()));
    try {
        for (std::size_t i = 0; i < routes.size(); ++i) {
            Route route{routes[i]["path"].as<std::string>(""), routes[i]["method"].as<std::string>(""),
                        routes[i]["function"].as<std::string>("")};
            for (auto& c : route.method) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
            if (route.function.empty()) throw ConfigError(fmt::format("{}: routes[{}].function is missing", routing_yml.string(), i));
            config.routes.push_back(std::move(route));
        }
    } catch (const YAML::Exception& error) {
        throw ConfigError(fmt::format("{}:{}: {}", routing_yml.string(), error.mark.line + 1, error.msg));
    }

    const auto functions = load_yaml(functions_yml);
    std::map<std::string, std::string> default_environment;
    ScalingSpec default_scaling;
    try {
        read_environment(functions["defaults"]["environment"], variables, default_environment);
        read_scaling(functions["defaults"]["scaling"], default_scaling);
        // Capacities are per function; defaults carry only the timeouts (ESB's pydantic defaults).
        default_scaling.max_capacity = 1;
        default_scaling.min_capacity = 0;
        const auto list = functions["functions"];
        if (!list || !list.IsMap()) throw ConfigError(fmt::format("{}: top-level map functions is missing", functions_yml.string()));
        for (const auto& entry : list) {
            FunctionSpec spec;
            spec.name = entry.first.as<std::string>();
            const auto& node = entry.second;
            spec.runtime = node["runtime"].as<std::string>("python3.12");
            spec.timeout_seconds = node["timeout"].as<int>(30);
            spec.memory_size_mb = node["memory_size"].as<int>(512);
            spec.scaling = default_scaling;
            read_scaling(node["scaling"], spec.scaling);
            spec.environment = default_environment;
            read_environment(node["environment"], variables, spec.environment);
            if (const auto events = node["events"]) {
                for (const auto& event : events) {
                    if (const auto schedule = event["schedule"]) {
                        ScheduleSpec parsed{schedule["rate"].as<std::string>(schedule["cron"].as<std::string>("")),
                                            schedule["input"].as<std::string>("")};
                        if (parsed.expression.starts_with("rate(") && !parse_rate_seconds(parsed.expression)) {
                            throw ConfigError(fmt::format("{}: functions.{}: bad schedule {}", functions_yml.string(), spec.name,
                                                          parsed.expression));
                        }
                        spec.schedules.push_back(std::move(parsed));
                    }
                }
            }
            if (spec.scaling.max_capacity < 1) {
                throw ConfigError(fmt::format("{}: functions.{}.scaling.max_capacity must be at least 1", functions_yml.string(), spec.name));
            }
            config.functions.emplace(spec.name, std::move(spec));
        }
    } catch (const YAML::Exception& error) {
        throw ConfigError(fmt::format("{}:{}: {}", functions_yml.string(), error.mark.line + 1, error.msg));
    }
    // A route naming an unknown function is kept: ESB answers 404 "Function <fn> not found" then.
    return config;
}

std::optional<double> parse_rate_seconds(std::string_view expression) {
    static const std::regex rate(R"(^rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)$)");
    std::cmatch match;
    if (!std::regex_match(expression.begin(), expression.end(), match, rate)) return std::nullopt;
    const double amount = std::stod(match[1].str());
    const std::string unit = match[2].str();
    const double scale = unit.starts_with("minute") ? 60.0 : unit.starts_with("hour") ? 3600.0 : 86400.0;
    if (amount <= 0) return std::nullopt;
    return amount * scale;
}

}  // namespace refstack
