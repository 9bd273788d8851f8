// The gateway's invocation machinery on loopback: per-function worker pools (lazy), circuit
// breakers and native workers, plus the janitor that prunes idle workers and orphan containers.
//   invoke: unknown function -> unknown_function; acquire (-> no_worker); breaker check
//   (-> circuit_open); run on the worker (one retry on a fresh worker after a connection error);
//   function errors, timeouts and connection errors count as breaker failures. A payload with
//   statusCode 500 is a success; a 200 whose JSON object (< 10240 bytes) has errorType or
//   errorMessage is a function error (contract 1.7).
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "circuit_breaker.hpp"
#include "function_config.hpp"
#include "function_runtime.hpp"
#include "invoker.hpp"
#include "worker_pool.hpp"

namespace e2e {
class HttpClient;
class Settings;
}  // namespace e2e

namespace refstack {

class AgentClient;
class LogSink;
class Worker;

struct LocalInvokerOptions {
    CircuitBreakerSettings breaker;                            // CIRCUIT_BREAKER_THRESHOLD / _RECOVERY_TIMEOUT
    std::chrono::duration<double> idle_timeout{300.0};         // GATEWAY_IDLE_TIMEOUT_SECONDS
    std::chrono::duration<double> heartbeat_interval{30.0};    // HEARTBEAT_INTERVAL: the janitor's period
    std::chrono::duration<double> invoke_timeout{30.0};        // LAMBDA_INVOKE_TIMEOUT: caps each function's timeout
    std::chrono::duration<double> orphan_grace{60.0};          // ORPHAN_GRACE_PERIOD_SECONDS
    std::map<std::string, std::string> worker_environment;     // added to every worker (endpoints, URLs)
    bool run_janitor = true;                                   // false: tests call run_janitor_once()
    bool delete_containers_at_start = true;                    // ESB deletes every worker container on start
    std::function<std::chrono::steady_clock::time_point()> clock;  // idle stamps and breaker times
};

// The knobs above from settings (defaults: ESB's gateway defaults); worker_environment is left empty.
LocalInvokerOptions local_invoker_options(const e2e::Settings& settings);

// True when a worker's 200 payload is a function error: a JSON object under 10240 bytes with an
// errorType or errorMessage key.
bool payload_is_function_error(std::string_view payload);

class LocalInvoker final : public Invoker {
public:
    using Handlers = std::map<std::string, FunctionHandler, std::less<>>;

    // `handlers`: native implementations by function name (builtin_functions() in the stack); a
    // function in `config` without one fails to provision (no_worker). agent, logs and faults are
    // not owned and must outlive the invoker.
    LocalInvoker(FunctionsConfig config, Handlers handlers, AgentClient& agent, LogSink& logs,
                 const FaultSwitches& faults, LocalInvokerOptions options = {});
    ~LocalInvoker() override;
    LocalInvoker(const LocalInvoker&) = delete;
    LocalInvoker& operator=(const LocalInvoker&) = delete;

    InvocationOutcome invoke(const Invocation& invocation) override;
    e2e::Json pools_json() const override;

    // One janitor pass: prune idle workers, reap retired ones, delete orphan containers.
    void run_janitor_once();

    std::optional<PoolSnapshot> pool(std::string_view function_name) const;
    std::optional<CircuitBreaker::State> breaker_state(std::string_view function_name) const;
    int worker_restarts(std::string_view function_name) const;  // over the pool's current workers

private:
    struct FunctionState;
    FunctionState& state_for(const FunctionSpec& spec);
    const FunctionState* find_state(std::string_view function_name) const;
    std::shared_ptr<Worker> make_worker(const FunctionSpec& spec, const std::string& container_id);
    void retire(std::shared_ptr<Worker> worker);
    void janitor_loop();

    FunctionsConfig config_;
    Handlers handlers_;
    AgentClient& agent_;
    LogSink& logs_;
    const FaultSwitches& faults_;
    LocalInvokerOptions options_;
    std::unique_ptr<e2e::HttpClient> http_;

    mutable std::mutex mutex_;
    std::map<std::string, std::unique_ptr<FunctionState>, std::less<>> functions_;
    std::vector<std::shared_ptr<Worker>> retired_;  // timed-out workers whose handler still runs

    std::mutex janitor_mutex_;
    std::condition_variable janitor_wake_;
    bool stopping_ = false;
    std::thread janitor_;
};

}  // namespace refstack
