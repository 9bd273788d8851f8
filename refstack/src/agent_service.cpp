#include "agent_service.hpp"

#include <fmt/format.h>
#include <malloc.h>

#include <fstream>
#include <sstream>

#include "faults.hpp"

namespace refstack {
namespace {

constexpr std::string_view kService = "esb.agent.v1.AgentService";
constexpr std::array<std::string_view, 4> kMethods{"CreateContainer", "DestroyContainer", "ListContainers",
                                                   "GetContainerMetrics"};
// Every status code go-grpc-prometheus pre-initialises for each method.
constexpr std::array<std::string_view, 17> kCodes{
    "OK",         "Canceled",          "Unknown", "InvalidArgument", "DeadlineExceeded", "NotFound",
    "AlreadyExists", "PermissionDenied", "ResourceExhausted", "FailedPrecondition", "Aborted", "OutOfRange",
    "Unimplemented", "Internal",      "Unavailable", "DataLoss", "Unauthenticated"};

std::string_view grpc_code(int status) {
    if (status < 300) return "OK";
    switch (status) {
        case 400: return "InvalidArgument";
        case 404: return "NotFound";
        case 501: return "Unimplemented";
        case 503: return "Unavailable";
        default: return "Internal";
    }
}

Response error(int status, std::string_view message) {
    return Response::json(status, e2e::Json::object({{"error", message}}).dump());
}

}  // namespace

struct AgentService::Call {
    std::string method;  // empty: not an API call (metrics, health, unknown paths)
    int status = 200;
};

std::int64_t process_thread_count() {
    std::ifstream status("/proc/self/status");
    for (std::string line; std::getline(status, line);) {
        if (line.starts_with("Threads:")) {
            std::istringstream value(line.substr(8));
            std::int64_t threads = 0;
            if (value >> threads) return threads;
        }
    }
    return 1;
}

std::int64_t process_heap_bytes() {
    const auto info = mallinfo2();
    return static_cast<std::int64_t>(info.uordblks + info.hblkhd);
}

AgentService::AgentService(AgentServiceOptions options, const FaultSwitches& faults)
    : options_(std::move(options)), faults_(faults), registry_(InMemoryAgentOptions{.runtime = options_.runtime}) {
    for (const auto method : kMethods) {
        auto& stats = stats_[std::string(method)];
        for (const auto code : kCodes) stats.handled[std::string(code)] = 0;
    }
}

Response AgentService::handle(const Request& request) {
    Call call;
    const auto started = std::chrono::steady_clock::now();
    Response response;
    try {
        response = dispatch(request, call);
    } catch (const std::exception& failure) {
        response = error(500, failure.what());
    }
    call.status = response.status;
    if (!call.method.empty()) record(call, std::chrono::steady_clock::now() - started);
    return response;
}

Response AgentService::dispatch(const Request& request, Call& call) {
    const std::string_view path = request.path;
    if (path == "/metrics" && request.method == "GET") {
        return Response::text(200, metrics_text(), std::string(kMetricsContentType));
    }
    if (path == "/health" && request.method == "GET") return Response::json(200, R"({"status":"ok"})");
    if (path == "/containers" && request.method == "POST") {
        call.method = "CreateContainer";
        const auto body = e2e::Json::try_parse(request.body);
        const auto function = body && body->is_object() ? body->find("function") : std::nullopt;
        if (!function || !function->is_string() || function->str().empty()) {
            return error(400, "body must be a JSON object with a non-empty string \"function\"");
        }
        try {
            const auto created = registry_.create_container(function->str());
            return Response::json(201, container_info_json(created).dump());
        } catch (const AgentError& failure) {
            return error(500, failure.what());
        }
    }
    if (path == "/containers" && request.method == "GET") {
        call.method = "ListContainers";
        std::vector<e2e::JsonValue> containers;
        for (const auto& info : registry_.list_containers()) containers.emplace_back(container_info_json(info));
        return Response::json(200, e2e::Json::object({{"containers", e2e::Json::array(containers)}}).dump());
    }
    constexpr std::string_view prefix = "/containers/";
    if (path.starts_with(prefix)) {
        auto rest = path.substr(prefix.size());
        constexpr std::string_view metrics_suffix = "/metrics";
        if (rest.ends_with(metrics_suffix) && request.method == "GET") {
            call.method = "GetContainerMetrics";
            const auto id = rest.substr(0, rest.size() - metrics_suffix.size());
            if (!registry_.contains(id)) return error(404, fmt::format("container {} not found", id));
            auto result = registry_.container_metrics(id);
            if (result.metrics) return Response::json(200, result.metrics->dump());
            return error(result.error.find("not implemented") != std::string::npos ? 501 : 500, result.error);
        }
        if (rest.find('/') == std::string_view::npos && !rest.empty() && request.method == "DELETE") {
            call.method = "DestroyContainer";
            if (!registry_.contains(rest)) return error(404, fmt::format("container {} not found", rest));
            registry_.delete_container(rest);
            return Response{204, {}, {}};
        }
    }
    return error(404, fmt::format("no route for {} {}", request.method, path));
}

void AgentService::record(const Call& call, std::chrono::duration<double> elapsed) {
    std::lock_guard lock(mutex_);
    auto& stats = stats_[call.method];
    ++stats.started;
    ++stats.handled[std::string(grpc_code(call.status))];
    const double seconds = elapsed.count();
    for (std::size_t i = 0; i < kBuckets.size(); ++i) {
        if (seconds <= kBuckets[i]) ++stats.buckets[i];  // cumulative, as Prometheus exposes them
    }
    ++stats.count;
    stats.sum += seconds;
}

std::string AgentService::metrics_text() const {
    std::string out;
    out += "# HELP go_goroutines Number of goroutines that currently exist.\n# TYPE go_goroutines gauge\n";
    out += fmt::format("go_goroutines {}\n", process_thread_count());
    out += "# HELP go_memstats_alloc_bytes Number of bytes allocated and still in use.\n"
           "# TYPE go_memstats_alloc_bytes gauge\n";
    out += fmt::format("go_memstats_alloc_bytes {}\n", process_heap_bytes());
    if (faults_.on("metrics.agent_missing_grpc")) return out;

    std::lock_guard lock(mutex_);
    const auto labels = [](std::string_view method) {
        return fmt::format(R"(grpc_method="{}",grpc_service="{}",grpc_type="unary")", method, kService);
    };
    out += "# HELP grpc_server_started_total Total number of RPCs started on the server.\n"
           "# TYPE grpc_server_started_total counter\n";
    for (const auto& [method, stats] : stats_) {
        out += fmt::format("grpc_server_started_total{{{}}} {}\n", labels(method), stats.started);
    }
    out += "# HELP grpc_server_handled_total Total number of RPCs completed on the server, regardless of success or "
           "failure.\n# TYPE grpc_server_handled_total counter\n";
    for (const auto& [method, stats] : stats_) {
        for (const auto& [code, count] : stats.handled) {
            out += fmt::format("grpc_server_handled_total{{grpc_code=\"{}\",{}}} {}\n", code, labels(method), count);
        }
    }
    out += "# HELP grpc_server_handling_seconds Histogram of response latency (seconds) of gRPC that had been "
           "application-level handled by the server.\n# TYPE grpc_server_handling_seconds histogram\n";
    for (const auto& [method, stats] : stats_) {
        for (std::size_t i = 0; i < kBuckets.size(); ++i) {
            out += fmt::format("grpc_server_handling_seconds_bucket{{{},le=\"{}\"}} {}\n", labels(method), kBuckets[i],
                               stats.buckets[i]);
        }
        out += fmt::format("grpc_server_handling_seconds_bucket{{{},le=\"+Inf\"}} {}\n", labels(method), stats.count);
        out += fmt::format("grpc_server_handling_seconds_sum{{{}}} {}\n", labels(method), stats.sum);
        out += fmt::format("grpc_server_handling_seconds_count{{{}}} {}\n", labels(method), stats.count);
    }
    return out;
}

}  // namespace refstack
