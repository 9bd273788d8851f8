#include "agent_service.hpp"

#include <fmt/format.h>

#include <array>
#include <chrono>
#include <vector>

#include "faults.hpp"

namespace refstack {
namespace {

constexpr std::string_view kService = "esb.agent.v1.AgentService";
constexpr std::array<std::string_view, 4> kMethods{"CreateContainer", "DestroyContainer", "ListContainers",
                                                   "GetContainerMetrics"};

GrpcMethod grpc_method(std::string_view name) { return {std::string(kService), std::string(name)}; }

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

AgentService::AgentService(AgentServiceOptions options, const FaultSwitches& faults)
    : options_(std::move(options)), faults_(faults), registry_(InMemoryAgentOptions{.runtime = options_.runtime}) {
    std::vector<GrpcMethod> methods;
    for (const auto method : kMethods) methods.push_back(grpc_method(method));
    register_agent_metrics(metrics_, methods);
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
    if (!call.method.empty()) {
        record_grpc_call(metrics_, grpc_method(call.method), grpc_code(call.status),
                         std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    }
    return response;
}

Response AgentService::dispatch(const Request& request, Call& call) {
    const std::string_view path = request.path;
    if (path == "/metrics" && request.method == "GET") {
        return Response::text(200, metrics_text(), std::string(kPrometheusContentType));
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

std::string AgentService::metrics_text() const { return render_agent_metrics(metrics_, faults_); }

}  // namespace refstack
