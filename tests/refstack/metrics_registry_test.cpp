// The refstack's Prometheus registry and the agent's /metrics families (contract 1.11), read
// back with the suite's parser.
#include "metrics_registry.hpp"

#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <atomic>
#include <thread>
#include <vector>

#include "e2e/prometheus.hpp"
#include "faults.hpp"

using Catch::Matchers::ContainsSubstring;
namespace prom = e2e::prometheus;

namespace {

const refstack::GrpcMethod kEnsure{"esb.agent.v1.AgentService", "EnsureContainer"};

double sample_value(const prom::Exposition& page, std::string_view name,
                    const std::vector<std::pair<std::string, std::string>>& labels = {}) {
    for (const auto& sample : page.samples(name)) {
        const bool all = std::all_of(labels.begin(), labels.end(), [&](const auto& label) { return sample.label(label.first) == label.second; });
        if (all) return sample.value;
    }
    FAIL("no sample " << name);
    return 0;
}

}  // namespace

TEST_CASE("counters gauges and histograms render text that parses back", "[metrics]") {
    refstack::MetricsRegistry registry;
    registry.counter("requests_total", "Requests.", {"code", "path"});
    registry.gauge("temperature", "Degrees.");
    registry.histogram("latency_seconds", "Latency.", {"op"}, {0.1, 0.5, 1});
    registry.inc("requests_total", {"200", "/a"});
    registry.inc("requests_total", {"200", "/a"}, 2);
    registry.inc("requests_total", {"500", "/b \"quoted\"\n"});
    registry.set("temperature", {}, -3.5);
    for (const double value : {0.05, 0.1, 0.3, 0.7, 5.0}) registry.observe("latency_seconds", {"get"}, value);

    const auto text = registry.render();
    const auto page = prom::parse(text);
    CHECK(page.family("requests_total")->type == prom::MetricType::counter);
    CHECK(page.family("requests_total")->help == "Requests.");
    CHECK(sample_value(page, "requests_total", {{"code", "200"}, {"path", "/a"}}) == 3);
    CHECK(sample_value(page, "requests_total", {{"path", "/b \"quoted\"\n"}}) == 1);
    CHECK(sample_value(page, "temperature") == -3.5);
    CHECK(page.family("latency_seconds")->type == prom::MetricType::histogram);
    CHECK(sample_value(page, "latency_seconds_bucket", {{"le", "0.1"}}) == 2);  // 0.05 and 0.1 (le is inclusive)
    CHECK(sample_value(page, "latency_seconds_bucket", {{"le", "0.5"}}) == 3);
    CHECK(sample_value(page, "latency_seconds_bucket", {{"le", "1"}}) == 4);
    CHECK(sample_value(page, "latency_seconds_bucket", {{"le", "+Inf"}}) == 5);
    CHECK(sample_value(page, "latency_seconds_count") == 5);
    CHECK(sample_value(page, "latency_seconds_sum") == 0.05 + 0.1 + 0.3 + 0.7 + 5.0);
    CHECK_THAT(text, ContainsSubstring("# TYPE latency_seconds histogram\n"));
    CHECK_THAT(text, ContainsSubstring("latency_seconds_bucket{op=\"get\",le=\"+Inf\"} 5\n"));
}

TEST_CASE("families render sorted by name and families without series are left out", "[metrics]") {
    refstack::MetricsRegistry registry;
    registry.gauge("zeta", "z");
    registry.gauge("alpha", "a");
    registry.counter("unused_total", "never touched", {"x"});
    registry.set("zeta", {}, 1);
    registry.set("alpha", {}, 2);
    const auto text = registry.render();
    CHECK(text.find("alpha") < text.find("zeta"));
    CHECK_THAT(text, !ContainsSubstring("unused_total"));
    registry.touch("unused_total", {"y"});
    CHECK_THAT(registry.render(), ContainsSubstring("unused_total{x=\"y\"} 0\n"));
}

TEST_CASE("misuse of the registry throws naming the metric", "[metrics]") {
    refstack::MetricsRegistry registry;
    registry.counter("c_total", "c", {"a"});
    CHECK_THROWS_WITH(registry.inc("missing", {}), ContainsSubstring("missing is not declared"));
    CHECK_THROWS_WITH(registry.inc("c_total", {}), ContainsSubstring("takes 1 label value"));
    CHECK_THROWS_WITH(registry.inc("c_total", {"x"}, -1), ContainsSubstring("negative"));
    CHECK_THROWS_WITH(registry.set("c_total", {"x"}, 1), ContainsSubstring("is a counter"));
    CHECK_THROWS_WITH(registry.gauge("c_total", "again"), ContainsSubstring("already declared"));
    CHECK_NOTHROW(registry.counter("c_total", "same shape", {"a"}));
    CHECK_THROWS_AS(registry.counter("9bad", "x"), std::invalid_argument);
    CHECK_THROWS_AS(registry.counter("ok_total", "x", {"__reserved"}), std::invalid_argument);
    CHECK_THROWS_AS(registry.histogram("h", "x", {"le"}, {1}), std::invalid_argument);
    CHECK_THROWS_AS(registry.histogram("h", "x", {}, {1, 1}), std::invalid_argument);
}

TEST_CASE("gauge callbacks are read at every render", "[metrics]") {
    refstack::MetricsRegistry registry;
    std::atomic<int> reads{0};
    registry.gauge_callback("reads", "Reads.", [&] { return static_cast<double>(++reads); });
    CHECK(sample_value(prom::parse(registry.render()), "reads") == 1);
    CHECK(sample_value(prom::parse(registry.render()), "reads") == 2);
}

TEST_CASE("agent metrics expose the families the suite looks for", "[metrics]") {
    refstack::MetricsRegistry registry;
    refstack::register_agent_metrics(registry, {kEnsure});
    refstack::record_grpc_call(registry, kEnsure, "OK", 0.003);
    refstack::FaultSwitches faults;
    const auto text = refstack::render_agent_metrics(registry, faults);
    for (const char* needle : {"go_goroutines", "go_memstats_alloc_bytes", "grpc_server_handled_total", "grpc_server_handling_seconds_bucket"}) {
        CHECK_THAT(text, ContainsSubstring(needle));
    }
    const auto page = prom::parse(text);
    CHECK(sample_value(page, "go_goroutines") >= 1);
    CHECK(sample_value(page, "go_memstats_alloc_bytes") > 0);
    CHECK(page.family("grpc_server_handled_total")->samples.size() == refstack::grpc_code_names().size());
    CHECK(sample_value(page, "grpc_server_handled_total", {{"grpc_code", "OK"}, {"grpc_method", "EnsureContainer"}}) == 1);
    CHECK(sample_value(page, "grpc_server_handled_total", {{"grpc_code", "Internal"}}) == 0);
    CHECK(sample_value(page, "grpc_server_handling_seconds_bucket", {{"le", "0.005"}, {"grpc_type", "unary"}}) == 1);
    CHECK(sample_value(page, "grpc_server_started_total", {{"grpc_service", "esb.agent.v1.AgentService"}}) == 1);
}

TEST_CASE("the goroutines gauge follows the process thread count", "[metrics]") {
    refstack::MetricsRegistry registry;
    refstack::register_agent_metrics(registry, {});
    const auto before = sample_value(prom::parse(registry.render()), "go_goroutines");
    std::atomic<bool> stop{false};
    std::vector<std::thread> threads;
    for (int i = 0; i < 4; ++i) threads.emplace_back([&] { while (!stop) std::this_thread::yield(); });
    const auto during = sample_value(prom::parse(registry.render()), "go_goroutines");
    stop = true;
    for (auto& thread : threads) thread.join();
    CHECK(during >= before + 4);
}

TEST_CASE("the agent grpc fault omits every grpc_server family", "[metrics]") {
    refstack::MetricsRegistry registry;
    refstack::register_agent_metrics(registry, {kEnsure});
    refstack::FaultSwitches faults;
    faults.force("metrics.agent_missing_grpc", true);
    const auto text = refstack::render_agent_metrics(registry, faults);
    CHECK_THAT(text, !ContainsSubstring("grpc_server_"));
    const auto page = prom::parse(text);
    CHECK(page.has_family("go_goroutines"));
    CHECK(page.has_family("go_memstats_alloc_bytes"));
    CHECK_FALSE(page.has_family("grpc_server_handled_total"));
    faults.force("metrics.agent_missing_grpc", false);
    CHECK(prom::parse(refstack::render_agent_metrics(registry, faults)).has_family("grpc_server_handled_total"));
}

TEST_CASE("the registry takes updates from many threads at once", "[metrics]") {
    refstack::MetricsRegistry registry;
    refstack::register_agent_metrics(registry, {kEnsure});
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 500; ++i) refstack::record_grpc_call(registry, kEnsure, "OK", 0.01);
        });
    }
    std::thread reader([&] {
        for (int i = 0; i < 50; ++i) (void)registry.render();
    });
    for (auto& thread : threads) thread.join();
    reader.join();
    const auto page = prom::parse(registry.render());
    CHECK(sample_value(page, "grpc_server_handled_total", {{"grpc_code", "OK"}}) == 4000);
    CHECK(sample_value(page, "grpc_server_handling_seconds_count") == 4000);
}
