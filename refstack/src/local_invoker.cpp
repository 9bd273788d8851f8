#include "local_invoker.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "agent_client.hpp"
#include "e2e/http.hpp"
#include "e2e/settings.hpp"
#include "faults.hpp"
#include "log_sink.hpp"
#include "s3_protocol.hpp"  // format_iso8601
#include "worker.hpp"

namespace refstack {

struct LocalInvoker::FunctionState {
    FunctionState(CircuitBreakerSettings breaker_settings, const FaultSwitches& faults, const CircuitBreaker::Clock& clock,
                  std::string name, ScalingSpec scaling, AgentClient& agent, WorkerPool::WorkerFactory factory)
        : breaker(breaker_settings, &faults, clock), pool(std::move(name), scaling, agent, std::move(factory), faults, clock) {}
    CircuitBreaker breaker;
    WorkerPool pool;
};

namespace {

using Kind = InvocationOutcome::Kind;

InvocationOutcome outcome(Kind kind, std::string message, int status = 200) {
    InvocationOutcome out;
    out.kind = kind;
    out.status = status;
    out.message = std::move(message);
    return out;
}

std::chrono::milliseconds to_millis(std::chrono::duration<double> duration) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(duration);
}

}  // namespace

LocalInvokerOptions local_invoker_options(const e2e::Settings& settings) {
    LocalInvokerOptions options;
    options.breaker.threshold = static_cast<int>(settings.integer("CIRCUIT_BREAKER_THRESHOLD", 5));
    options.breaker.recovery_timeout = std::chrono::duration<double>(settings.number("CIRCUIT_BREAKER_RECOVERY_TIMEOUT", 30.0));
    options.idle_timeout = std::chrono::duration<double>(settings.number("GATEWAY_IDLE_TIMEOUT_SECONDS", 300.0));
    options.heartbeat_interval = std::chrono::duration<double>(settings.number("HEARTBEAT_INTERVAL", 30.0));
    options.invoke_timeout = std::chrono::duration<double>(settings.number("LAMBDA_INVOKE_TIMEOUT", 30.0));
    options.orphan_grace = std::chrono::duration<double>(settings.number("ORPHAN_GRACE_PERIOD_SECONDS", 60.0));
    return options;
}

bool payload_is_function_error(std::string_view payload) {
    if (payload.size() >= 10240) return false;
    const auto json = e2e::Json::try_parse(payload);
    return json && json->is_object() && (json->has("errorType") || json->has("errorMessage"));
}

LocalInvoker::LocalInvoker(FunctionsConfig config, Handlers handlers, AgentClient& agent, LogSink& logs,
                           const FaultSwitches& faults, LocalInvokerOptions options)
    : config_(std::move(config)),
      handlers_(std::move(handlers)),
      agent_(agent),
      logs_(logs),
      faults_(faults),
      options_(std::move(options)),
      http_(std::make_unique<e2e::HttpClient>(e2e::HttpClientOptions{
          .request_timeout = to_millis(options_.invoke_timeout) + std::chrono::seconds(5), .verify_tls = false})) {
    if (options_.delete_containers_at_start) {
        try {
            for (const auto& container : agent_.list_containers()) agent_.delete_container(container.id);
        } catch (const AgentError&) {
            // The agent may not be up yet; the orphan sweep catches up.
        }
    }
    if (options_.run_janitor) janitor_ = std::thread([this] { janitor_loop(); });
}

LocalInvoker::~LocalInvoker() {
    {
        std::lock_guard lock(janitor_mutex_);
        stopping_ = true;
    }
    janitor_wake_.notify_all();
    if (janitor_.joinable()) janitor_.join();
    std::map<std::string, std::unique_ptr<FunctionState>, std::less<>> functions;
    std::vector<std::shared_ptr<Worker>> retired;
    {
        std::lock_guard lock(mutex_);
        functions.swap(functions_);
        retired.swap(retired_);
    }
    functions.clear();  // stops and joins every pooled worker
    for (auto& worker : retired) worker->stop();
    retired.clear();  // joins: waits for handlers that outlived their timeout
}

std::shared_ptr<Worker> LocalInvoker::make_worker(const FunctionSpec& spec, const std::string& container_id) {
    const auto handler = handlers_.find(spec.name);
    if (handler == handlers_.end()) {
        throw std::runtime_error(fmt::format("no native implementation of {} in esb-refstack", spec.name));
    }
    const auto child_timeout = to_millis(options_.invoke_timeout) + std::chrono::seconds(5);
    return std::make_shared<Worker>(spec, handler->second, container_id, worker_environment(spec, options_.worker_environment),
                                    WorkerRuntime{logs_, faults_, *http_, child_timeout});
}

LocalInvoker::FunctionState& LocalInvoker::state_for(const FunctionSpec& spec) {
    std::lock_guard lock(mutex_);
    auto& slot = functions_[spec.name];
    if (!slot) {
        slot = std::make_unique<FunctionState>(
            options_.breaker, faults_, options_.clock, spec.name, spec.scaling, agent_,
            [this, &spec](const ContainerInfo& container) { return make_worker(spec, container.id); });
    }
    return *slot;
}

const LocalInvoker::FunctionState* LocalInvoker::find_state(std::string_view function_name) const {
    std::lock_guard lock(mutex_);
    const auto it = functions_.find(function_name);
    return it == functions_.end() ? nullptr : it->second.get();
}

void LocalInvoker::retire(std::shared_ptr<Worker> worker) {
    std::lock_guard lock(mutex_);
    retired_.push_back(std::move(worker));
}

InvocationOutcome LocalInvoker::invoke(const Invocation& invocation) {
    const auto* spec = config_.function(invocation.function_name);
    if (!spec) return outcome(Kind::unknown_function, fmt::format("Function {} not found", invocation.function_name), 404);
    auto& state = state_for(*spec);

    std::shared_ptr<Worker> worker;
    try {
        worker = state.pool.acquire();
    } catch (const NoWorkerError& error) {
        return outcome(Kind::no_worker, error.what(), 503);  // the initial acquisition is not a breaker failure
    }
    if (auto rejection = state.breaker.admit()) {
        state.pool.release(worker);
        return outcome(Kind::circuit_open, std::move(*rejection), 502);
    }

    const auto timeout = std::min(to_millis(std::chrono::seconds(spec->timeout_seconds)), to_millis(options_.invoke_timeout));
    auto result = worker->run(invocation, timeout);
    if (result.kind == WorkerResult::Kind::connection_error) {
        // One automatic retry on a freshly acquired worker, as the gateway does.
        state.pool.discard(worker);
        retire(std::move(worker));
        try {
            worker = state.pool.acquire();
        } catch (const NoWorkerError& error) {
            state.breaker.record_failure();
            return outcome(Kind::no_worker, error.what(), 503);
        }
        result = worker->run(invocation, timeout);
    }

    switch (result.kind) {
        case WorkerResult::Kind::timeout:
        case WorkerResult::Kind::connection_error: {
            // The worker is stuck or gone: it leaves the pool; a stuck handler finishes in retirement.
            state.pool.discard(worker);
            retire(std::move(worker));
            state.breaker.record_failure();
            const bool timed_out = result.kind == WorkerResult::Kind::timeout;
            return outcome(timed_out ? Kind::timeout : Kind::connection_error, std::move(result.message), 502);
        }
        case WorkerResult::Kind::function_error: {
            state.pool.release(worker);
            state.breaker.record_failure();
            auto out = outcome(Kind::function_error, std::move(result.message), 502);
            out.payload = std::move(result.payload);
            out.headers = {{"Content-Type", "application/json"}, {"X-Amz-Function-Error", "Unhandled"}};
            return out;
        }
        case WorkerResult::Kind::ok: break;
    }
    state.pool.release(worker);
    if (payload_is_function_error(result.payload)) {
        state.breaker.record_failure();
        auto out = outcome(Kind::function_error, result.payload, 502);
        out.payload = std::move(result.payload);
        out.headers = {{"Content-Type", "application/json"}};
        return out;
    }
    state.breaker.record_success();
    auto out = outcome(Kind::ok, {}, 200);
    out.payload = std::move(result.payload);
    out.headers = {{"Content-Type", "application/json"}};
    return out;
}

e2e::Json LocalInvoker::pools_json() const {
    std::vector<e2e::JsonValue> pools;
    {
        std::lock_guard lock(mutex_);
        for (const auto& [name, state] : functions_) {  // std::map: sorted by function name
            auto entry = state->pool.snapshot().to_json();
            if (faults_.on("metrics.pools_missing_field")) {
                std::vector<e2e::JsonMember> kept;
                for (auto& [key, value] : entry.members()) {
                    if (key != "max_capacity") kept.emplace_back(key, value);
                }
                entry = e2e::Json::object(kept);
            }
            pools.emplace_back(std::move(entry));
        }
    }
    return e2e::Json::object(
        {{"pools", e2e::Json::array(pools)}, {"collected_at", format_iso8601(std::chrono::system_clock::now())}});
}

void LocalInvoker::run_janitor_once() {
    std::vector<FunctionState*> states;
    std::vector<std::shared_ptr<Worker>> finished;
    {
        std::lock_guard lock(mutex_);
        for (auto& [name, state] : functions_) states.push_back(state.get());
        // Retired workers whose handler has ended can be joined now.
        const auto done = std::stable_partition(retired_.begin(), retired_.end(),
                                                [](const std::shared_ptr<Worker>& worker) { return worker->busy(); });
        finished.assign(std::make_move_iterator(done), std::make_move_iterator(retired_.end()));
        retired_.erase(done, retired_.end());
    }
    finished.clear();
    for (auto* state : states) state->pool.prune_idle(options_.idle_timeout);

    // Orphans: containers the agent knows that no pool owns, past the grace period.
    try {
        for (const auto& container : agent_.list_containers()) {
            if (container.age_seconds <= options_.orphan_grace.count()) continue;
            const bool owned = std::any_of(states.begin(), states.end(),
                                           [&](const FunctionState* state) { return state->pool.owns_container(container.id); });
            if (!owned) agent_.delete_container(container.id);
        }
    } catch (const AgentError&) {
        // Agent down or restarting: try again on the next heartbeat.
    }
}

void LocalInvoker::janitor_loop() {
    std::unique_lock lock(janitor_mutex_);
    for (;;) {
        janitor_wake_.wait_for(lock, to_millis(options_.heartbeat_interval), [&] { return stopping_; });
        if (stopping_) return;
        lock.unlock();
        run_janitor_once();
        lock.lock();
    }
}

std::optional<PoolSnapshot> LocalInvoker::pool(std::string_view function_name) const {
    const auto* state = find_state(function_name);
    if (!state) return std::nullopt;
    return state->pool.snapshot();
}

std::optional<CircuitBreaker::State> LocalInvoker::breaker_state(std::string_view function_name) const {
    const auto* state = find_state(function_name);
    if (!state) return std::nullopt;
    return state->breaker.state();
}

int LocalInvoker::worker_restarts(std::string_view function_name) const {
    const auto* state = find_state(function_name);
    if (!state) return 0;
    int restarts = 0;
    for (const auto& worker : state->pool.workers()) restarts += worker->restarts();
    return restarts;
}

}  // namespace refstack
