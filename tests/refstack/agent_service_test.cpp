// The agent: its container API (in-process and over loopback HTTP), per-container metrics in
// containerd and docker modes, Prometheus /metrics, and the gateway's /metrics/containers answer.
#include "agent_service.hpp"

#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_exception.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <algorithm>
#include <sstream>

#include "agent_client.hpp"
#include "faults.hpp"
#include "http_server.hpp"

using Catch::Matchers::ContainsSubstring;

namespace {

refstack::Request request(std::string method, std::string path, std::string body = {}) {
    refstack::Request out;
    out.method = std::move(method);
    out.path = path;
    out.target = std::move(path);
    out.body = std::move(body);
    return out;
}

// The value of the first sample line starting with `series` (exact labels), or -1.
double sample(const std::string& text, const std::string& series) {
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
        if (line.starts_with(series + " ")) return std::stod(line.substr(series.size() + 1));
    }
    return -1;
}

}  // namespace

TEST_CASE("agent api creates lists and deletes containers", "[refstack][agent]") {
    refstack::FaultSwitches faults;
    refstack::AgentService agent({}, faults);
    const auto created = agent.handle(request("POST", "/containers", R"({"function":"lambda-echo"})"));
    REQUIRE(created.status == 201);
    const auto info = e2e::Json::parse(created.body);
    const auto id = info.str("id");
    CHECK(info.str("function_name") == "lambda-echo");
    CHECK(info.str("name").starts_with("lambda-echo-"));

    const auto listed = e2e::Json::parse(agent.handle(request("GET", "/containers")).body);
    REQUIRE(listed.size("containers") == 1);
    CHECK(listed.str("containers[0].id") == id);

    CHECK(agent.handle(request("DELETE", "/containers/" + id)).status == 204);
    CHECK(agent.handle(request("DELETE", "/containers/" + id)).status == 404);
    CHECK(e2e::Json::parse(agent.handle(request("GET", "/containers")).body).size("containers") == 0);
    CHECK(agent.handle(request("POST", "/containers", R"({"fn":1})")).status == 400);
}

TEST_CASE("agent answers containerd metrics for a container", "[refstack][agent]") {
    refstack::FaultSwitches faults;
    refstack::AgentService agent({.runtime = "containerd"}, faults);
    const auto id = e2e::Json::parse(agent.handle(request("POST", "/containers", R"({"function":"lambda-echo"})")).body).str("id");
    const auto response = agent.handle(request("GET", "/containers/" + id + "/metrics"));
    REQUIRE(response.status == 200);
    const auto metrics = e2e::Json::parse(response.body);
    CHECK(metrics.str("container_id") == id);
    CHECK(metrics.str("function_name") == "lambda-echo");
    CHECK(metrics.str("container_name").starts_with("lambda-echo-"));
    CHECK(metrics.str("state") == "RUNNING");
    CHECK(metrics.integer("memory_max") == 536870912);
    CHECK(metrics.integer("memory_current") >= 0);
    CHECK(metrics.integer("cpu_usage_ns") >= 0);
    for (const auto* field : {"oom_events", "exit_code", "restart_count", "exit_time", "collected_at"}) CHECK(metrics.has(field));
    CHECK(agent.handle(request("GET", "/containers/nope/metrics")).status == 404);
}

TEST_CASE("agent in docker mode answers metrics not implemented", "[refstack][agent]") {
    refstack::FaultSwitches faults;
    refstack::AgentService agent({.runtime = "docker"}, faults);
    const auto id = e2e::Json::parse(agent.handle(request("POST", "/containers", R"({"function":"lambda-echo"})")).body).str("id");
    const auto response = agent.handle(request("GET", "/containers/" + id + "/metrics"));
    CHECK(response.status == 501);
    CHECK_THAT(e2e::Json::parse(response.body).str("error"), ContainsSubstring("metrics not implemented"));
}

TEST_CASE("agent metrics text has the go and grpc families with real counts", "[refstack][agent]") {
    refstack::FaultSwitches faults;
    refstack::AgentService agent({}, faults);
    agent.handle(request("POST", "/containers", R"({"function":"lambda-echo"})"));
    agent.handle(request("POST", "/containers", R"({"function":"lambda-echo"})"));
    agent.handle(request("DELETE", "/containers/missing"));
    const auto response = agent.handle(request("GET", "/metrics"));
    REQUIRE(response.status == 200);
    CHECK(refstack::find_header(response.headers, "Content-Type") == "text/plain; version=0.0.4; charset=utf-8");
    const auto& text = response.body;
    for (const auto* name : {"go_goroutines", "go_memstats_alloc_bytes", "grpc_server_handled_total",
                             "grpc_server_handling_seconds_bucket"}) {
        CHECK_THAT(text, ContainsSubstring(name));
    }
    CHECK(sample(text, "go_goroutines") >= 1);
    CHECK(sample(text, "go_memstats_alloc_bytes") >= 0);  // malloc statistics read 0 under sanitizers
    const std::string create = R"(grpc_method="CreateContainer",grpc_service="esb.agent.v1.AgentService",grpc_type="unary")";
    const std::string destroy = R"(grpc_method="DestroyContainer",grpc_service="esb.agent.v1.AgentService",grpc_type="unary")";
    CHECK(sample(text, "grpc_server_handled_total{grpc_code=\"OK\"," + create + "}") == 2);
    CHECK(sample(text, "grpc_server_handled_total{grpc_code=\"NotFound\"," + destroy + "}") == 1);
    CHECK(sample(text, "grpc_server_handling_seconds_bucket{" + create + ",le=\"+Inf\"}") == 2);
    CHECK(sample(text, "grpc_server_handling_seconds_count{" + create + "}") == 2);
    CHECK(sample(text, "grpc_server_handling_seconds_count{" + destroy + "}") == 1);
}

TEST_CASE("agent metrics omit the grpc families under the agent_missing_grpc fault", "[refstack][agent]") {
    refstack::FaultSwitches faults;
    refstack::AgentService agent({}, faults);
    faults.force("metrics.agent_missing_grpc", true);
    const auto text = agent.handle(request("GET", "/metrics")).body;
    CHECK_THAT(text, ContainsSubstring("go_goroutines"));
    CHECK_THAT(text, !ContainsSubstring("grpc_server_handled_total"));
    CHECK_THAT(text, !ContainsSubstring("grpc_server_handling_seconds_bucket"));
}

TEST_CASE("http agent client drives the agent service over loopback", "[refstack][agent]") {
    refstack::FaultSwitches faults;
    refstack::AgentService agent({}, faults);
    refstack::HttpServer server({.name = "agent"}, [&](const refstack::Request& r) { return agent.handle(r); });
    server.start();
    refstack::HttpAgentClient client(server.url() + "/");
    const auto created = client.create_container("lambda-scaling");
    CHECK(created.function_name == "lambda-scaling");
    CHECK(agent.registry().contains(created.id));
    const auto listed = client.list_containers();
    REQUIRE(listed.size() == 1);
    CHECK(listed[0].id == created.id);
    CHECK(listed[0].age_seconds >= 0);
    const auto metrics = client.container_metrics(created.id);
    REQUIRE(metrics.metrics);
    CHECK(metrics.metrics->integer("memory_max") == 536870912);
    client.delete_container(created.id);
    client.delete_container(created.id);  // unknown ids are not an error
    CHECK(client.list_containers().empty());
    CHECK_THROWS_AS(client.create_container(""), refstack::AgentError);
}

TEST_CASE("http agent client reports an unreachable agent as a provisioning cause", "[refstack][agent]") {
    std::string url;
    {
        refstack::HttpServer closed({}, [](const refstack::Request&) { return refstack::Response::text(200, ""); });
        closed.start();
        url = closed.url();
    }
    refstack::HttpAgentClient client(url, std::chrono::milliseconds(500));
    CHECK_THROWS_MATCHES(client.create_container("lambda-echo"), refstack::AgentError,
                         Catch::Matchers::MessageMatches(ContainsSubstring("agent unreachable")));
    const auto answer = refstack::collect_container_metrics(client);
    CHECK(answer.status == 503);
    CHECK(answer.body.str("message") == "Container metrics are unavailable from Agent runtime");
    const auto body = refstack::container_metrics_body(client);  // what the gateway's hook receives
    CHECK(body.integer("failures") == 1);
    CHECK_THAT(body.str("containers[0].error"), ContainsSubstring("agent unreachable"));
}

TEST_CASE("container metrics collection answers per the gateway contract", "[refstack][agent]") {
    refstack::InMemoryAgentClient containerd;
    auto answer = refstack::collect_container_metrics(containerd);
    CHECK(answer.status == 200);
    CHECK(answer.body == e2e::Json::object({{"containers", e2e::Json::array()}}));

    containerd.create_container("lambda-echo");
    containerd.create_container("lambda-scaling");
    answer = refstack::collect_container_metrics(containerd);
    CHECK(answer.status == 200);
    CHECK(answer.body.integer("failures") == 0);
    REQUIRE(answer.body.size("containers") == 2);

    refstack::InMemoryAgentClient docker({.runtime = "docker"});
    docker.create_container("lambda-echo");
    answer = refstack::collect_container_metrics(docker);
    CHECK(answer.status == 501);
    CHECK_THAT(answer.body.str("message"), ContainsSubstring("metrics are not implemented"));
}

TEST_CASE("container metrics collection lists a failed container beside the successes", "[refstack][agent]") {
    // An agent that fails one container's metrics.
    class PartialAgent : public refstack::InMemoryAgentClient {
    public:
        refstack::ContainerMetrics container_metrics(std::string_view id) override {
            if (id == broken) return {std::nullopt, "task not found"};
            return InMemoryAgentClient::container_metrics(id);
        }
        std::string broken;
    } agent;
    agent.create_container("lambda-echo");
    agent.broken = agent.create_container("lambda-chaos").id;
    const auto answer = refstack::collect_container_metrics(agent);
    CHECK(answer.status == 200);
    CHECK(answer.body.integer("failures") == 1);
    const auto elements = answer.body.elements("containers");
    CHECK(std::any_of(elements.begin(), elements.end(), [&](const e2e::Json& element) {
        return element.has("error") && element.str("container_id") == agent.broken && element.str("error") == "task not found";
    }));
}
