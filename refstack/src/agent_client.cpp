#include "agent_client.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "e2e/http.hpp"
#include "random_id.hpp"
#include "s3_protocol.hpp"  // format_iso8601

namespace refstack {
namespace {

constexpr std::int64_t kMemoryMaxBytes = 536870912;  // MemorySize 512 MiB, the E2E functions' cgroup limit

std::string error_text(const e2e::HttpResponse& response) {
    if (const auto json = e2e::Json::try_parse(response.body); json && json->is_object()) {
        if (const auto error = json->find("error"); error && error->is_string()) return error->str();
    }
    return fmt::format("agent answered {} {}", response.status, response.body.substr(0, 200));
}

std::string percent_encode(std::string_view text) {
    std::string out;
    for (const char c : text) {
        const auto u = static_cast<unsigned char>(c);
        if (std::isalnum(u) || c == '-' || c == '_' || c == '.' || c == '~') out += c;
        else out += fmt::format("%{:02X}", u);
    }
    return out;
}

}  // namespace

// --- wire forms ---

e2e::Json container_info_json(const ContainerInfo& info) {
    return e2e::Json::object({{"id", info.id},
                              {"name", info.name},
                              {"function_name", info.function_name},
                              {"age_seconds", info.age_seconds}});
}

ContainerInfo container_info_from_json(const e2e::Json& json) {
    return {json.str("id"), json.str("name"), json.str("function_name"), json.number("age_seconds")};
}

// --- in memory ---

InMemoryAgentClient::InMemoryAgentClient(InMemoryAgentOptions options) : options_(std::move(options)) {}

std::chrono::steady_clock::time_point InMemoryAgentClient::now() const {
    return options_.clock ? options_.clock() : std::chrono::steady_clock::now();
}

ContainerInfo InMemoryAgentClient::create_container(std::string_view function_name) {
    if (function_name.empty()) throw AgentError("function name is required");
    std::lock_guard lock(mutex_);
    if (!create_failure_.empty()) throw AgentError(create_failure_);
    const std::string id = make_container_id();
    Entry entry{{id, fmt::format("{}-{}", function_name, id.substr(0, 8)), std::string(function_name), 0.0},
                now(),
                std::chrono::system_clock::now()};
    containers_.emplace(id, entry);
    return entry.info;
}

void InMemoryAgentClient::delete_container(std::string_view id) {
    std::lock_guard lock(mutex_);
    if (const auto it = containers_.find(id); it != containers_.end()) containers_.erase(it);
}

std::vector<ContainerInfo> InMemoryAgentClient::list_containers() {
    std::lock_guard lock(mutex_);
    const auto at = now();
    std::vector<ContainerInfo> out;
    for (const auto& [id, entry] : containers_) {
        auto info = entry.info;
        info.age_seconds = std::chrono::duration<double>(at - entry.created).count();
        out.push_back(std::move(info));
    }
    return out;
}

ContainerMetrics InMemoryAgentClient::container_metrics(std::string_view id) {
    std::lock_guard lock(mutex_);
    const auto it = containers_.find(id);
    if (it == containers_.end()) return {std::nullopt, fmt::format("container {} not found", id)};
    if (options_.runtime == "docker") {
        return {std::nullopt, "rpc error: code = Unimplemented desc = metrics not implemented for docker runtime"};
    }
    // The workers run as threads of the gateway process, so the agent has no cgroup to read:
    // usage figures are reported as 0, the limit as the functions' MemorySize.
    const auto& info = it->second.info;
    return {e2e::Json::object({{"container_id", info.id},
                               {"function_name", info.function_name},
                               {"container_name", info.name},
                               {"state", "RUNNING"},
                               {"memory_current", 0},
                               {"memory_max", kMemoryMaxBytes},
                               {"oom_events", 0},
                               {"cpu_usage_ns", 0},
                               {"exit_code", 0},
                               {"restart_count", 0},
                               {"exit_time", nullptr},
                               {"collected_at", format_iso8601(std::chrono::system_clock::now())}}),
            {}};
}

bool InMemoryAgentClient::contains(std::string_view id) const {
    std::lock_guard lock(mutex_);
    return containers_.find(id) != containers_.end();
}

void InMemoryAgentClient::fail_creates(std::string cause) {
    std::lock_guard lock(mutex_);
    create_failure_ = std::move(cause);
}

// --- over HTTP ---

HttpAgentClient::HttpAgentClient(std::string base_url, std::chrono::milliseconds timeout)
    : base_url_(std::move(base_url)),
      http_(std::make_unique<e2e::HttpClient>(e2e::HttpClientOptions{
          .connect_timeout = std::min(timeout, std::chrono::milliseconds(2'000)), .request_timeout = timeout})) {
    while (!base_url_.empty() && base_url_.back() == '/') base_url_.pop_back();
}

HttpAgentClient::~HttpAgentClient() = default;

ContainerInfo HttpAgentClient::create_container(std::string_view function_name) {
    e2e::HttpResponse response;
    try {
        response = http_->post(base_url_ + "/containers", e2e::Json::object({{"function", function_name}}).dump(),
                               {{"Content-Type", "application/json"}});
    } catch (const e2e::HttpError& error) {
        throw AgentError(fmt::format("agent unreachable: {}", error.what()));
    }
    if (response.status != 201 && response.status != 200) throw AgentError(error_text(response));
    try {
        return container_info_from_json(e2e::Json::parse(response.body));
    } catch (const e2e::JsonError& error) {
        throw AgentError(fmt::format("agent answered an unreadable container: {}", error.what()));
    }
}

void HttpAgentClient::delete_container(std::string_view id) {
    e2e::HttpResponse response;
    try {
        response = http_->send({.method = "DELETE", .url = base_url_ + "/containers/" + percent_encode(id)});
    } catch (const e2e::HttpError& error) {
        throw AgentError(fmt::format("agent unreachable: {}", error.what()));
    }
    if (response.status >= 300 && response.status != 404) throw AgentError(error_text(response));
}

std::vector<ContainerInfo> HttpAgentClient::list_containers() {
    e2e::HttpResponse response;
    try {
        response = http_->get(base_url_ + "/containers");
    } catch (const e2e::HttpError& error) {
        throw AgentError(fmt::format("agent unreachable: {}", error.what()));
    }
    if (response.status != 200) throw AgentError(error_text(response));
    try {
        std::vector<ContainerInfo> out;
        for (const auto& element : e2e::Json::parse(response.body).elements("containers")) {
            out.push_back(container_info_from_json(element));
        }
        return out;
    } catch (const e2e::JsonError& error) {
        throw AgentError(fmt::format("agent answered an unreadable container list: {}", error.what()));
    }
}

ContainerMetrics HttpAgentClient::container_metrics(std::string_view id) {
    try {
        const auto response = http_->get(base_url_ + "/containers/" + percent_encode(id) + "/metrics");
        if (response.status != 200) return {std::nullopt, error_text(response)};
        auto json = e2e::Json::parse(response.body);
        if (!json.is_object()) return {std::nullopt, "agent answered metrics that are not an object"};
        return {std::move(json), {}};
    } catch (const e2e::HttpError& error) {
        return {std::nullopt, fmt::format("agent unreachable: {}", error.what())};
    } catch (const e2e::JsonError& error) {
        return {std::nullopt, fmt::format("agent answered unreadable metrics: {}", error.what())};
    }
}

// --- /metrics/containers ---

e2e::Json container_metrics_body(AgentClient& agent) {
    std::vector<ContainerInfo> containers;
    try {
        containers = agent.list_containers();
    } catch (const AgentError& error) {
        return e2e::Json::object(
            {{"containers", e2e::Json::array({e2e::Json::object({{"container_id", ""}, {"container_name", ""}, {"error", error.what()}})})},
             {"failures", 1}});
    }
    if (containers.empty()) return e2e::Json::object({{"containers", e2e::Json::array()}});
    std::vector<e2e::JsonValue> elements;
    int failures = 0;
    for (const auto& container : containers) {
        auto result = agent.container_metrics(container.id);
        if (result.metrics) {
            elements.emplace_back(std::move(*result.metrics));
            continue;
        }
        ++failures;
        elements.emplace_back(e2e::Json::object(
            {{"container_id", container.id}, {"container_name", container.name}, {"error", result.error}}));
    }
    return e2e::Json::object({{"containers", e2e::Json::array(elements)}, {"failures", failures}});
}

ContainersMetricsAnswer collect_container_metrics(AgentClient& agent) {
    auto body = container_metrics_body(agent);
    const auto elements = body.elements("containers");
    const bool all_failed = !elements.empty() && std::all_of(elements.begin(), elements.end(),
                                                             [](const e2e::Json& element) { return element.has("error"); });
    if (!all_failed) return {200, std::move(body)};
    const bool not_implemented = std::any_of(elements.begin(), elements.end(), [](const e2e::Json& element) {
        return element.str("error").find("metrics not implemented") != std::string::npos;
    });
    if (not_implemented) {
        return {501, e2e::Json::object({{"message", "Container metrics are not implemented for the current runtime (e.g. Docker)"}})};
    }
    return {503, e2e::Json::object({{"message", "Container metrics are unavailable from Agent runtime"}})};
}

}  // namespace refstack
