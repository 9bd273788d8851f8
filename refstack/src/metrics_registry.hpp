// A tiny thread-safe Prometheus registry (counters, gauges, histograms, all with labels) that
// renders the text exposition format 0.0.4, and the agent's metric families (contract 1.11):
// Go's collector names (`go_goroutines`, `go_memstats_alloc_bytes`) fed from this process, and
// go-grpc-prometheus's server metrics with the handling-time histogram enabled.
//
//   refstack::MetricsRegistry registry;
//   refstack::register_agent_metrics(registry, {{"esb.agent.v1.AgentService", "EnsureContainer"}});
//   ... refstack::record_grpc_call(registry, method, "OK", seconds);
//   return Response::text(200, refstack::render_agent_metrics(registry, faults),
//                         std::string(refstack::kPrometheusContentType));
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "faults.hpp"

namespace refstack {

inline constexpr std::string_view kPrometheusContentType = "text/plain; version=0.0.4; charset=utf-8";

// Prometheus client's DefBuckets (what go-grpc-prometheus uses for the handling-time histogram).
const std::vector<double>& default_buckets();

// Thread-safe. Declaring a name twice with the same shape is a no-op (so components may declare
// what they use); with another type, help-less shape or labels it throws std::invalid_argument.
// Using an undeclared name, the wrong type or the wrong number of label values throws
// std::invalid_argument naming the metric: a bug in the caller, not a runtime condition.
class MetricsRegistry {
public:
    MetricsRegistry();
    ~MetricsRegistry();
    MetricsRegistry(const MetricsRegistry&) = delete;
    MetricsRegistry& operator=(const MetricsRegistry&) = delete;

    void counter(std::string name, std::string help, std::vector<std::string> label_names = {});
    void gauge(std::string name, std::string help, std::vector<std::string> label_names = {});
    // A label-less gauge read at every render (outside the registry's lock).
    void gauge_callback(std::string name, std::string help, std::function<double()> read);
    // Upper bounds strictly increasing and finite; +Inf is implicit.
    void histogram(std::string name, std::string help, std::vector<std::string> label_names, std::vector<double> buckets);

    // Label values in declaration order.
    void inc(std::string_view name, const std::vector<std::string>& label_values = {}, double delta = 1);  // delta >= 0
    void set(std::string_view name, const std::vector<std::string>& label_values, double value);
    void observe(std::string_view name, const std::vector<std::string>& label_values, double value);
    // Creates the series at zero when absent (go-grpc-prometheus pre-initialises its series).
    void touch(std::string_view name, const std::vector<std::string>& label_values);

    // Families sorted by name, series by label values; a family without series is left out, as
    // the Go client does. `include` (when given) selects families by name.
    std::string render(const std::function<bool(std::string_view family)>& include = {}) const;

private:
    struct Family;
    Family& find(std::string_view name, int expected_type, const std::vector<std::string>& label_values);
    void declare(std::string name, std::string help, int type, std::vector<std::string> label_names, std::vector<double> buckets,
                 std::function<double()> read);

    mutable std::mutex mutex_;
    std::map<std::string, std::unique_ptr<Family>, std::less<>> families_;
};

// --- the agent (contract 1.11) ---

struct GrpcMethod {
    std::string service;  // "esb.agent.v1.AgentService"
    std::string method;   // "EnsureContainer"
    std::string type = "unary";  // go-grpc-prometheus grpc_type: unary, client_stream, server_stream, bidi_stream
};

// The 17 gRPC status code names go-grpc-prometheus uses for grpc_code ("OK", "Canceled", ...).
const std::vector<std::string>& grpc_code_names();

// Declares go_goroutines (this process's thread count), go_memstats_alloc_bytes (heap bytes in
// use, from malloc statistics), grpc_server_started_total, grpc_server_handled_total and
// grpc_server_handling_seconds (DefBuckets), and pre-initialises the gRPC series of `methods`
// (every code for handled_total), so the families are exposed before the first call.
void register_agent_metrics(MetricsRegistry& registry, const std::vector<GrpcMethod>& methods);

// One finished call: started, handled{code} and the handling-time observation.
void record_grpc_call(MetricsRegistry& registry, const GrpcMethod& method, std::string_view code, double seconds);

// The agent's /metrics body; with fault "metrics.agent_missing_grpc" on, every grpc_server_*
// family is left out.
std::string render_agent_metrics(const MetricsRegistry& registry, const FaultSwitches& faults);

}  // namespace refstack
