// How the gateway's pools reach the agent that owns the worker "containers": create, delete, list,
// per-container metrics. InMemoryAgentClient is the registry itself (the agent process serves it
// over HTTP, and in-process stacks and tests use it directly); HttpAgentClient talks to the agent
// process's JSON API (agent_service.hpp). Also builds the gateway's /metrics/containers answer.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "e2e/json.hpp"

namespace e2e {
class HttpClient;
}

namespace refstack {

// The agent could not do what was asked, or could not be reached; the text is the cause.
class AgentError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct ContainerInfo {
    std::string id;
    std::string name;  // "<function>-<8 hex>"
    std::string function_name;
    double age_seconds = 0;  // since creation, as the agent saw it when answering
};

// Either a containerd-style metrics object or the agent's error text for that container.
struct ContainerMetrics {
    std::optional<e2e::Json> metrics;
    std::string error;
};

class AgentClient {
public:
    virtual ~AgentClient() = default;
    // Throws AgentError with the cause.
    virtual ContainerInfo create_container(std::string_view function_name) = 0;
    // Deleting an unknown id is not an error. Throws AgentError when the agent cannot be reached.
    virtual void delete_container(std::string_view id) = 0;
    virtual std::vector<ContainerInfo> list_containers() = 0;  // throws AgentError
    virtual ContainerMetrics container_metrics(std::string_view id) = 0;
};

struct InMemoryAgentOptions {
    std::string runtime = "containerd";  // "docker": per-container metrics are not implemented
    std::function<std::chrono::steady_clock::time_point()> clock;  // default steady_clock::now
};

class InMemoryAgentClient : public AgentClient {
public:
    explicit InMemoryAgentClient(InMemoryAgentOptions options = {});

    ContainerInfo create_container(std::string_view function_name) override;
    void delete_container(std::string_view id) override;
    std::vector<ContainerInfo> list_containers() override;
    ContainerMetrics container_metrics(std::string_view id) override;

    bool contains(std::string_view id) const;
    // Every create throws AgentError(cause) while set (tests: provisioning failures); "" clears.
    void fail_creates(std::string cause);
    const std::string& runtime() const { return options_.runtime; }

private:
    struct Entry {
        ContainerInfo info;
        std::chrono::steady_clock::time_point created;
        std::chrono::system_clock::time_point created_wall;
    };
    std::chrono::steady_clock::time_point now() const;

    InMemoryAgentOptions options_;
    mutable std::mutex mutex_;
    std::map<std::string, Entry, std::less<>> containers_;
    std::string create_failure_;
};

// The agent process's JSON API at `base_url` (http://127.0.0.1:<PORT_AGENT_API>).
class HttpAgentClient : public AgentClient {
public:
    explicit HttpAgentClient(std::string base_url, std::chrono::milliseconds timeout = std::chrono::seconds(10));
    ~HttpAgentClient() override;

    ContainerInfo create_container(std::string_view function_name) override;
    void delete_container(std::string_view id) override;
    std::vector<ContainerInfo> list_containers() override;
    ContainerMetrics container_metrics(std::string_view id) override;

private:
    std::string base_url_;
    std::unique_ptr<e2e::HttpClient> http_;
};

// Wire forms shared by the agent service and HttpAgentClient.
e2e::Json container_info_json(const ContainerInfo& info);
ContainerInfo container_info_from_json(const e2e::Json& json);  // throws e2e::JsonError

// The gateway's GET /metrics/containers answer (contract 1.9): no containers -> 200
// {"containers": []}; at least one success -> 200 {"containers": [...], "failures": n} (a failed
// container appears as {container_id, container_name, error}); all failed with "metrics not
// implemented" -> 501; all failed otherwise, or the agent unreachable -> 503.
struct ContainersMetricsAnswer {
    int status = 200;
    e2e::Json body;
};
ContainersMetricsAnswer collect_container_metrics(AgentClient& agent);

// The raw collection for GatewayConfig::container_metrics (the gateway decides 200/501/503):
// {"containers": []} when there are none, else {"containers": [...], "failures": n}; an
// unreachable agent is one failed element whose error names the cause.
e2e::Json container_metrics_body(AgentClient& agent);

}  // namespace refstack
