// The agent process (`esb-refstack component agent`): the registry of worker "containers" behind
// an internal JSON API that HttpAgentClient calls, and Prometheus `GET /metrics` (contract 1.11,
// rendered by metrics_registry.hpp) with go_goroutines / go_memstats_alloc_bytes from this process
// and go-grpc-prometheus's grpc_server_* families counting the API calls really handled (each API
// route stands for one gRPC method of the agent service, all pre-initialised at zero).
//
//   POST   /containers               {"function": "<name>"} -> 201 {id, name, function_name, age_seconds}
//   DELETE /containers/<id>          -> 204, or 404 {"error"}
//   GET    /containers               -> 200 {"containers": [...]}
//   GET    /containers/<id>/metrics  -> 200 containerd-style metrics; docker runtime: 501 {"error":
//                                       "... metrics not implemented ..."}; unknown id: 404
//   GET    /metrics                  -> Prometheus text (grpc families omitted with
//                                       metrics.agent_missing_grpc)
//   GET    /health                   -> 200 {"status": "ok"}
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "agent_client.hpp"
#include "http_server.hpp"
#include "metrics_registry.hpp"

namespace refstack {

class FaultSwitches;

struct AgentServiceOptions {
    std::string runtime = "containerd";  // MODE: "containerd" or "docker"
};

// Thread-safe: handle() runs on many server threads at once. `faults` must outlive the service.
class AgentService {
public:
    AgentService(AgentServiceOptions options, const FaultSwitches& faults);

    Response handle(const Request& request);
    std::string metrics_text() const;  // the GET /metrics body

    InMemoryAgentClient& registry() { return registry_; }

private:
    struct Call;  // the gRPC method an API request stands for, and its outcome
    Response dispatch(const Request& request, Call& call);

    AgentServiceOptions options_;
    const FaultSwitches& faults_;
    InMemoryAgentClient registry_;
    MetricsRegistry metrics_;
};

}  // namespace refstack
