#include "faults.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <sstream>
#include <stdexcept>

#include "durable_file.hpp"

namespace refstack {

const std::vector<FaultInfo>& fault_catalogue() {
    static const std::vector<FaultInfo> catalogue{
        {"auth.accept_missing_token", "auth", "routed paths answer without an Authorization header"},
        {"auth.accept_bad_signature", "auth", "JWT signatures are not verified"},
        {"auth.ignore_api_key", "auth", "the auth endpoint issues tokens without a valid x-api-key"},
        {"routing.not_found_is_200", "routing", "an unknown route answers 200 {} instead of 404"},
        {"routing.echo_java_to_python", "routing", "/api/echo-java is routed to lambda-echo"},
        {"echo.wrong_message", "functions", "lambda-echo answers the message without the \"Echo: \" prefix"},
        {"echo.wrong_user", "functions", "functions report user \"anonymous\" for authenticated calls"},
        {"connectivity.success_false", "functions", "the connectivity functions answer success false"},
        {"connectivity.missing_child", "functions", "chain_invoke answers without the child payload"},
        {"dynamo.get_not_found", "functions", "lambda-dynamo get answers found false and item null"},
        {"s3fn.list_missing_keys", "functions", "lambda-s3 list answers an empty objects list"},
        {"chaos.crash_is_ok", "functions", "lambda-chaos crash answers 200 instead of crashing the worker"},
        {"scaling.ignores_sleep", "functions", "lambda-scaling returns at once and reports slept_ms 0"},
        {"image.wrong_handler", "functions", "lambda-image reports the other runtime's handler name"},
        {"integration.trace_not_found", "functions", "lambda-integration reads the wrong variable and reports trace_id \"not-found\""},
        {"scheduled.event_not_recorded", "functions", "lambda-scheduled records its run without the scheduler's event"},
        {"s3.put_not_stored", "s3", "PutObject is acknowledged but the object is not stored"},
        {"s3.lifecycle_missing", "s3", "GetBucketLifecycleConfiguration answers NoSuchLifecycleConfiguration"},
        {"s3.presign_wrong_port", "s3", "lambda-s3 presign_get builds URLs with the in-network port"},
        {"dynamodb.put_not_stored", "dynamodb", "PutItem is acknowledged but the item is not stored"},
        {"dynamodb.update_ignored", "dynamodb", "UpdateItem is acknowledged but changes nothing"},
        {"trace.not_propagated", "trace", "chained invocations do not carry the caller's trace"},
        {"trace.no_response_headers", "trace", "responses lack X-Amzn-Trace-Id and x-amzn-RequestId"},
        {"logs.drop_function_records", "logs", "function log records are not shipped to the logs store"},
        {"logs.gateway_missing_trace", "logs", "gateway log records carry no trace_id"},
        {"logs.cloudwatch_duplicated", "logs", "CloudWatch passthrough records are stored twice"},
        {"metrics.agent_missing_grpc", "metrics", "agent /metrics lacks the grpc_server_* families"},
        {"metrics.pools_missing_field", "metrics", "/metrics/pools entries lack max_capacity"},
        {"pool.exceeds_max_capacity", "pools", "pools provision beyond max_capacity"},
        {"pool.never_prune_idle", "pools", "idle workers are never pruned"},
        {"breaker.never_opens", "circuit", "the circuit breaker never opens"},
        {"breaker.never_recovers", "circuit", "an open circuit never lets a call through again"},
        {"scheduler.never_fires", "scheduler", "scheduled functions are never invoked"},
        {"restart.jwt_secret_rotates", "restart", "a gateway restart invalidates issued tokens"},
        {"restart.gateway_not_restarted", "restart", "a gateway restart request is acknowledged but nothing restarts"},
        {"gateway.slow_responses", "latency", "every routed response is delayed by two seconds"},
    };
    return catalogue;
}

bool is_known_fault(std::string_view id) {
    const auto& catalogue = fault_catalogue();
    return std::any_of(catalogue.begin(), catalogue.end(), [&](const FaultInfo& info) { return info.id == id; });
}

FaultSwitches::FaultSwitches(std::filesystem::path file) : file_(std::move(file)) {}

// The file is tiny and modification times are too coarse to notice two quick writes, so it is
// simply read again on every check.
void FaultSwitches::refresh() const {
    if (file_.empty()) return;
    active_.clear();
    std::istringstream lines(read_whole_file(file_).value_or(""));
    for (std::string line; std::getline(lines, line);) {
        if (!line.empty() && is_known_fault(line)) active_.insert(line);
    }
}

bool FaultSwitches::on(std::string_view id) const {
    std::lock_guard lock(mutex_);
    if (forced_.find(id) != forced_.end()) return true;
    refresh();
    return active_.find(id) != active_.end();
}

std::set<std::string> FaultSwitches::active() const {
    std::lock_guard lock(mutex_);
    refresh();
    std::set<std::string> out(active_.begin(), active_.end());
    out.insert(forced_.begin(), forced_.end());
    return out;
}

void FaultSwitches::set_active(const std::set<std::string>& ids) {
    for (const auto& id : ids) {
        if (!is_known_fault(id)) throw std::invalid_argument(fmt::format("unknown fault switch \"{}\"", id));
    }
    std::lock_guard lock(mutex_);
    if (file_.empty()) {
        active_ = {ids.begin(), ids.end()};
        return;
    }
    std::string text;
    for (const auto& id : ids) text += id + "\n";
    write_file_durably(file_, text);
    refresh();
}

void FaultSwitches::force(std::string_view id, bool enabled) {
    std::lock_guard lock(mutex_);
    if (enabled) {
        forced_.emplace(id);
    } else if (const auto it = forced_.find(id); it != forced_.end()) {
        forced_.erase(it);
    }
}

}  // namespace refstack
