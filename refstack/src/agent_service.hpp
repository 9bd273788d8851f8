// The agent process (`esb-refstack component agent`): the registry of worker "containers" behind
// an internal JSON API that HttpAgentClient calls, and Prometheus `GET /metrics` (contract 1.11)
// with the Go collector's go_goroutines / go_memstats_alloc_bytes (this process's real thread
// count and heap use) and go-grpc-prometheus's grpc_server_* families counting the API calls
// really handled (each API route stands for one gRPC method of ESB's agent).
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

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "agent_client.hpp"
#include "http_server.hpp"

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

    static constexpr std::string_view kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

private:
    struct Call;  // the gRPC method an API request stands for, and its outcome
    Response dispatch(const Request& request, Call& call);
    void record(const Call& call, std::chrono::duration<double> elapsed);

    // Per method: handled count by code, and a handling-time histogram.
    static constexpr std::array<double, 11> kBuckets{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
    struct MethodStats {
        std::uint64_t started = 0;
        std::map<std::string, std::uint64_t> handled;  // grpc_code -> count
        std::array<std::uint64_t, kBuckets.size()> buckets{};
        std::uint64_t count = 0;
        double sum = 0;
    };

    AgentServiceOptions options_;
    const FaultSwitches& faults_;
    InMemoryAgentClient registry_;
    mutable std::mutex mutex_;
    std::map<std::string, MethodStats> stats_;  // by method name
};

// This process's figures for the Go collector names: thread count (/proc/self/status Threads) and
// heap bytes in use (mallinfo2).
std::int64_t process_thread_count();
std::int64_t process_heap_bytes();

}  // namespace refstack
