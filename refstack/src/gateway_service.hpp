// The gateway's HTTP layer (contract 1.3-1.10, section 3): /health, the auth endpoint, Bearer
// auth, the metrics endpoints, the Lambda invoke API, CORS preflight and the routed catch-all,
// with trace/request-id headers and gateway log records on every request. Invocations go through
// the Invoker seam; the caller serves handle() on an HTTPS HttpServer.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "e2e/json.hpp"
#include "faults.hpp"
#include "function_config.hpp"
#include "http_server.hpp"
#include "invoker.hpp"
#include "log_sink.hpp"

namespace refstack {

struct GatewayConfig {
    std::string auth_endpoint_path = "/user/auth/v1";  // AUTH_ENDPOINT_PATH
    std::string auth_user;                             // AUTH_USER
    std::string auth_pass;                             // AUTH_PASS
    std::string api_key;                               // X_API_KEY
    std::string jwt_secret;                            // JWT_SECRET_KEY (stable across restarts)
    std::chrono::seconds jwt_expires_delta{3000};      // JWT_EXPIRES_DELTA
    std::string mode = "docker";                       // MODE: "docker" or "containerd"
    FunctionsConfig functions;                         // routing.yml + functions.yml
    std::string log_level = "INFO";                    // LOG_LEVEL: DEBUG, INFO, WARNING, ERROR, CRITICAL
    // containerd mode: the body of GET /metrics/containers ({"containers": [...], "failures": n});
    // unset, nullopt or null -> {"containers": []}.
    std::function<std::optional<e2e::Json>()> container_metrics;
    // Token times, /health and log timestamps, generated trace roots. Default: the system clock.
    std::function<std::chrono::system_clock::time_point()> clock;
    // How the gateway.slow_responses fault waits. Default: std::this_thread::sleep_for.
    std::function<void(std::chrono::milliseconds)> sleep;
    std::size_t background_threads = 8;         // threads running Event (asynchronous) invocations
    std::size_t background_queue_limit = 1000;  // pending Event invocations beyond this answer 429
};

// Thread-safe: handle() runs on many server threads at once. `invoker`, `logs` and `faults` must
// outlive the service.
class GatewayService {
public:
    // Throws std::invalid_argument for an empty JWT secret.
    GatewayService(GatewayConfig config, Invoker& invoker, LogSink& logs, const FaultSwitches& faults);
    // Waits for running Event invocations; queued ones are dropped (and logged).
    ~GatewayService();
    GatewayService(const GatewayService&) = delete;
    GatewayService& operator=(const GatewayService&) = delete;

    Response handle(const Request& request);

    // Event invocations queued or running.
    std::size_t background_pending() const;
    // Blocks until no Event invocation is queued or running, or the timeout passes; true when idle.
    bool wait_background_idle(std::chrono::milliseconds timeout) const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace refstack
