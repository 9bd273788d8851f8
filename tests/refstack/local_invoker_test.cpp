// The invocation machinery end to end in-process: outcomes, concurrency against capacities, the
// circuit breaker as the gateway sees it, crash recovery, timeouts, the janitor and /metrics/pools.
#include "local_invoker.hpp"

#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <algorithm>
#include <atomic>
#include <future>
#include <thread>

#include "agent_client.hpp"
#include "e2e/settings.hpp"
#include "faults.hpp"
#include "log_sink.hpp"
#include "runtime_test_support.hpp"

using Catch::Matchers::ContainsSubstring;
using refstack::Invocation;
using Kind = refstack::InvocationOutcome::Kind;

namespace {

// Counts how many invocations of a handler run at the same time.
struct Concurrency {
    std::atomic<int> now{0};
    std::atomic<int> peak{0};
    void enter() {
        const int value = ++now;
        int seen = peak.load();
        while (value > seen && !peak.compare_exchange_weak(seen, value)) {}
    }
    void leave() { --now; }
};

struct InvokerFixture {
    explicit InvokerFixture(refstack::LocalInvokerOptions options = make_options()) {
        config.functions.emplace("lambda-echo", runtime_test::spec("lambda-echo", 1));
        config.functions.emplace("lambda-scaling", runtime_test::spec("lambda-scaling", 3));
        config.functions.emplace("lambda-chaos", runtime_test::spec("lambda-chaos", 1));
        config.functions.emplace("lambda-narrow", runtime_test::spec("lambda-narrow", 1, 0.1));
        config.functions.emplace("lambda-unimplemented", runtime_test::spec("lambda-unimplemented", 1));
        handlers["lambda-echo"] = [this](std::string_view payload, refstack::FunctionContext&) {
            echo_concurrency.enter();
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
            echo_concurrency.leave();
            return std::string(payload);
        };
        handlers["lambda-scaling"] = [this](std::string_view payload, refstack::FunctionContext&) {
            scaling_concurrency.enter();
            std::this_thread::sleep_for(std::chrono::milliseconds(std::stoi(std::string(payload))));
            scaling_concurrency.leave();
            return std::string(R"({"message":"scaling-test"})");
        };
        handlers["lambda-narrow"] = [](std::string_view payload, refstack::FunctionContext&) {
            std::this_thread::sleep_for(std::chrono::milliseconds(std::stoi(std::string(payload))));
            return std::string("{}");
        };
        handlers["lambda-chaos"] = [](std::string_view payload, refstack::FunctionContext& context) -> std::string {
            if (payload == "crash") {
                context.print("DEBUG: CRASHING NOW");
                throw refstack::RuntimeCrash("exit 1");
            }
            if (payload == "throw") throw std::invalid_argument("bad action");
            if (payload == "status500") return R"({"statusCode":500,"body":"{\"error\":\"NoSuchKey\"}"})";
            if (payload == "errordoc") return R"({"errorType":"ValueError","errorMessage":"nope"})";
            if (payload == "sleep") std::this_thread::sleep_for(std::chrono::milliseconds(400));
            return R"({"message":"Faulty Lambda is OK"})";
        };
        options_in_use = options;
        options_in_use.clock = clock.function();
        invoker = std::make_unique<refstack::LocalInvoker>(config, handlers, agent, logs, faults, options_in_use);
    }

    static refstack::LocalInvokerOptions make_options() {
        refstack::LocalInvokerOptions options;
        options.breaker = {.threshold = 3, .recovery_timeout = std::chrono::duration<double>(10.0)};
        options.idle_timeout = std::chrono::duration<double>(15.0);
        options.run_janitor = false;
        return options;
    }

    refstack::InvocationOutcome call(const std::string& function, const std::string& payload = "{}") {
        return invoker->invoke(Invocation{function, payload, "Root=1-65f0a1b2-0123456789abcdef01234567;Sampled=1"});
    }

    runtime_test::FakeClock clock;
    refstack::FunctionsConfig config;
    refstack::LocalInvoker::Handlers handlers;
    refstack::InMemoryAgentClient agent{{.clock = clock.function()}};
    refstack::CollectingLogSink logs;
    refstack::FaultSwitches faults;
    refstack::LocalInvokerOptions options_in_use;
    Concurrency echo_concurrency;
    Concurrency scaling_concurrency;
    std::unique_ptr<refstack::LocalInvoker> invoker;  // last: destroyed first
};

}  // namespace

TEST_CASE("invoker answers unknown function for a name missing from the config", "[refstack][invoker]") {
    InvokerFixture f;
    const auto out = f.call("lambda-missing");
    CHECK(out.kind == Kind::unknown_function);
    CHECK(out.message == "Function lambda-missing not found");
    CHECK(f.invoker->pools_json().size("pools") == 0);
}

TEST_CASE("invoker returns the function payload and creates the pool lazily", "[refstack][invoker]") {
    InvokerFixture f;
    CHECK(f.invoker->pools_json().size("pools") == 0);
    const auto out = f.call("lambda-echo", R"({"message":"hi"})");
    CHECK(out.kind == Kind::ok);
    CHECK(out.status == 200);
    CHECK(out.payload == R"({"message":"hi"})");
    const auto pools = f.invoker->pools_json();
    REQUIRE(pools.size("pools") == 1);
    CHECK(pools.str("pools[0].function_name") == "lambda-echo");
    CHECK(pools.integer("pools[0].total_workers") == 1);
    CHECK(pools.integer("pools[0].idle") == 1);
    CHECK(pools.integer("pools[0].max_capacity") == 1);
    CHECK(pools.str("collected_at").ends_with("Z"));
}

TEST_CASE("ten concurrent calls through a max capacity of 1 all succeed on one worker", "[refstack][invoker]") {
    InvokerFixture f;
    std::vector<std::future<refstack::InvocationOutcome>> calls;
    for (int i = 0; i < 10; ++i) {
        calls.push_back(std::async(std::launch::async, [&f, i] { return f.call("lambda-echo", "stress-" + std::to_string(i)); }));
    }
    for (int i = 0; i < 10; ++i) {
        const auto out = calls[static_cast<std::size_t>(i)].get();
        CHECK(out.kind == Kind::ok);
        CHECK(out.payload == "stress-" + std::to_string(i));
    }
    CHECK(f.echo_concurrency.peak == 1);
    CHECK(f.invoker->pool("lambda-echo")->total_workers == 1);
    CHECK(f.agent.list_containers().size() == 1);
}

TEST_CASE("three concurrent calls run in parallel on a max capacity of 3 and a fourth waits", "[refstack][invoker]") {
    InvokerFixture f;
    std::vector<std::future<refstack::InvocationOutcome>> calls;
    for (int i = 0; i < 4; ++i) calls.push_back(std::async(std::launch::async, [&f] { return f.call("lambda-scaling", "150"); }));
    for (auto& call : calls) CHECK(call.get().kind == Kind::ok);
    CHECK(f.scaling_concurrency.peak == 3);
    const auto pool = f.invoker->pool("lambda-scaling");
    CHECK(pool->total_workers == 3);
    CHECK(pool->idle == 3);
}

TEST_CASE("invoker answers no worker when the acquire timeout passes", "[refstack][invoker]") {
    InvokerFixture f;
    // lambda-narrow: max 1, acquire timeout 0.1 s; the first call holds the only worker for 300 ms.
    auto slow = std::async(std::launch::async, [&f] { return f.call("lambda-narrow", "300"); });
    REQUIRE(runtime_test::eventually(std::chrono::seconds(1), [&] {
        const auto pool = f.invoker->pool("lambda-narrow");
        return pool && pool->busy == 1;
    }));
    const auto out = f.call("lambda-narrow", "0");
    CHECK(out.kind == Kind::no_worker);
    CHECK(out.status == 503);
    CHECK_THAT(out.message, ContainsSubstring("acquire timeout"));
    CHECK(slow.get().kind == Kind::ok);
    CHECK(f.invoker->breaker_state("lambda-narrow") == refstack::CircuitBreaker::State::closed);
}

TEST_CASE("invoker opens the circuit after three crashes and then answers fast", "[refstack][invoker][breaker]") {
    InvokerFixture f;
    CHECK(f.call("lambda-chaos", "hello").kind == Kind::ok);
    for (int i = 0; i < 3; ++i) {
        const auto out = f.call("lambda-chaos", "crash");
        CHECK(out.kind == Kind::function_error);  // the failing calls answer their own error
        CHECK_THAT(out.message, ContainsSubstring("Runtime exited with error: exit status 1"));
    }
    const auto started = std::chrono::steady_clock::now();
    const auto out = f.call("lambda-chaos", "hello");
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::milliseconds(500));
    CHECK(out.kind == Kind::circuit_open);
    CHECK(out.message == "Circuit is open (failures: 3)");
    CHECK(out.status == 502);
}

TEST_CASE("invoker closes the circuit with a success after the recovery timeout", "[refstack][invoker][breaker]") {
    InvokerFixture f;
    for (int i = 0; i < 3; ++i) f.call("lambda-chaos", "crash");
    CHECK(f.call("lambda-chaos", "hello").kind == Kind::circuit_open);
    f.clock.advance(std::chrono::seconds(11));
    CHECK(f.call("lambda-chaos", "hello").kind == Kind::ok);
    CHECK(f.invoker->breaker_state("lambda-chaos") == refstack::CircuitBreaker::State::closed);
    CHECK(f.call("lambda-chaos", "hello").kind == Kind::ok);
}

TEST_CASE("a function returning status code 500 is not a breaker failure", "[refstack][invoker][breaker]") {
    InvokerFixture f;
    for (int i = 0; i < 4; ++i) {
        const auto out = f.call("lambda-chaos", "status500");
        CHECK(out.kind == Kind::ok);
        CHECK_THAT(out.payload, ContainsSubstring(R"("statusCode":500)"));
    }
    CHECK(f.invoker->breaker_state("lambda-chaos") == refstack::CircuitBreaker::State::closed);
}

TEST_CASE("a payload with errorType is a function error and counts as a failure", "[refstack][invoker][breaker]") {
    InvokerFixture f;
    for (int i = 0; i < 3; ++i) {
        const auto out = f.call("lambda-chaos", "errordoc");
        CHECK(out.kind == Kind::function_error);
        CHECK(out.payload == R"({"errorType":"ValueError","errorMessage":"nope"})");
    }
    CHECK(f.call("lambda-chaos", "hello").kind == Kind::circuit_open);
    CHECK(refstack::payload_is_function_error(R"({"errorMessage":"x"})"));
    CHECK_FALSE(refstack::payload_is_function_error(R"(["errorType"])"));
    CHECK_FALSE(refstack::payload_is_function_error(R"({"errorType":")" + std::string(10240, 'x') + "\"}"));
}

TEST_CASE("a crash is a function error and the re-initialised worker serves the next call", "[refstack][invoker]") {
    InvokerFixture f;
    const auto crashed = f.call("lambda-chaos", "crash");
    CHECK(crashed.kind == Kind::function_error);
    const auto document = e2e::Json::parse(crashed.payload);
    CHECK(document.str("errorType") == "Runtime.ExitError");
    CHECK(std::find(crashed.headers.begin(), crashed.headers.end(),
                    std::pair<std::string, std::string>{"X-Amz-Function-Error", "Unhandled"}) != crashed.headers.end());
    CHECK(f.invoker->worker_restarts("lambda-chaos") == 1);

    const auto next = f.call("lambda-chaos", "hello");
    CHECK(next.kind == Kind::ok);
    CHECK(f.invoker->pool("lambda-chaos")->total_workers == 1);  // the same container was reused
    CHECK(f.agent.list_containers().size() == 1);
    const auto records = f.logs.records();
    CHECK(std::any_of(records.begin(), records.end(), [](const e2e::Json& record) {
        return record.str("message") == "DEBUG: CRASHING NOW" && record.str("level") == "DEBUG";
    }));
}

TEST_CASE("an exception becomes an error document with errorMessage and errorType", "[refstack][invoker]") {
    InvokerFixture f;
    const auto out = f.call("lambda-chaos", "throw");
    CHECK(out.kind == Kind::function_error);
    const auto document = e2e::Json::parse(out.payload);
    CHECK(document.str("errorMessage") == "bad action");
    CHECK(document.str("errorType") == "invalid_argument");
    CHECK(out.message == "bad action");
}

TEST_CASE("an invocation past the invoke timeout answers timeout and its worker leaves the pool", "[refstack][invoker]") {
    auto options = InvokerFixture::make_options();
    options.invoke_timeout = std::chrono::duration<double>(0.1);
    InvokerFixture f(options);
    const auto out = f.call("lambda-chaos", "sleep");
    CHECK(out.kind == Kind::timeout);
    CHECK_THAT(out.message, ContainsSubstring("timed out"));
    CHECK(f.invoker->pool("lambda-chaos")->total_workers == 0);
    CHECK(f.agent.list_containers().empty());
    CHECK(f.invoker->breaker_state("lambda-chaos") == refstack::CircuitBreaker::State::closed);
    CHECK(f.call("lambda-chaos", "hello").kind == Kind::ok);  // a fresh worker
}

TEST_CASE("a provisioning failure answers no worker without a breaker failure", "[refstack][invoker]") {
    InvokerFixture f;
    f.agent.fail_creates("agent unreachable: connection refused");
    for (int i = 0; i < 4; ++i) {
        const auto out = f.call("lambda-echo");
        CHECK(out.kind == Kind::no_worker);
        CHECK(out.message == "agent unreachable: connection refused");
    }
    f.agent.fail_creates("");
    CHECK(f.call("lambda-echo").kind == Kind::ok);
    const auto missing = f.call("lambda-unimplemented");
    CHECK(missing.kind == Kind::no_worker);
    CHECK_THAT(missing.message, ContainsSubstring("no native implementation"));
}

TEST_CASE("the janitor prunes idle workers and orphan containers", "[refstack][invoker][pools]") {
    InvokerFixture f;
    CHECK(f.call("lambda-scaling", "0").kind == Kind::ok);
    const auto orphan = f.agent.create_container("lambda-gone");
    f.clock.advance(std::chrono::seconds(10));
    f.invoker->run_janitor_once();
    CHECK(f.invoker->pool("lambda-scaling")->total_workers == 1);
    f.clock.advance(std::chrono::seconds(6));
    f.invoker->run_janitor_once();
    CHECK(f.invoker->pool("lambda-scaling")->total_workers == 0);
    CHECK(f.agent.list_containers().size() == 1);  // the orphan is still within its 60 s grace
    f.clock.advance(std::chrono::seconds(45));
    f.invoker->run_janitor_once();
    CHECK_FALSE(f.agent.contains(orphan.id));
    CHECK(f.call("lambda-scaling", "0").kind == Kind::ok);
    CHECK(f.invoker->pool("lambda-scaling")->total_workers == 1);
}

TEST_CASE("the invoker deletes every existing container at start", "[refstack][invoker]") {
    refstack::InMemoryAgentClient agent;
    agent.create_container("lambda-echo");
    agent.create_container("lambda-echo");
    refstack::NullLogSink logs;
    refstack::FaultSwitches faults;
    refstack::LocalInvoker invoker({}, {}, agent, logs, faults, {.run_janitor = false});
    CHECK(agent.list_containers().empty());
}

TEST_CASE("pools json lacks max_capacity under the pools_missing_field fault", "[refstack][invoker]") {
    InvokerFixture f;
    f.call("lambda-echo");
    CHECK(f.invoker->pools_json().has("pools[0].max_capacity"));
    f.faults.force("metrics.pools_missing_field", true);
    CHECK_FALSE(f.invoker->pools_json().has("pools[0].max_capacity"));
}

TEST_CASE("invoker options come from the gateway knobs", "[refstack][invoker]") {
    const auto settings = e2e::Settings::from_map({{"CIRCUIT_BREAKER_THRESHOLD", "3"},
                                                   {"CIRCUIT_BREAKER_RECOVERY_TIMEOUT", "10.0"},
                                                   {"GATEWAY_IDLE_TIMEOUT_SECONDS", "15"},
                                                   {"HEARTBEAT_INTERVAL", "5"}});
    const auto options = refstack::local_invoker_options(settings);
    CHECK(options.breaker.threshold == 3);
    CHECK(options.breaker.recovery_timeout.count() == 10.0);
    CHECK(options.idle_timeout.count() == 15.0);
    CHECK(options.heartbeat_interval.count() == 5.0);
    CHECK(options.invoke_timeout.count() == 30.0);
    CHECK(options.orphan_grace.count() == 60.0);
}
