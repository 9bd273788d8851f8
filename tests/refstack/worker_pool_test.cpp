// Worker pool behaviour of contract 1.15: capacities, FIFO reuse, acquire timeout, provisioning
// failures, idle pruning, and the pool fault switches.
#include "worker_pool.hpp"

#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_exception.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <future>
#include <set>

#include "agent_client.hpp"
#include "e2e/http.hpp"
#include "faults.hpp"
#include "log_sink.hpp"
#include "runtime_test_support.hpp"
#include "worker.hpp"

using Catch::Matchers::ContainsSubstring;
using refstack::Worker;

namespace {

struct PoolFixture {
    explicit PoolFixture(int max_capacity, double acquire_timeout_seconds = 30.0)
        : spec(runtime_test::spec("lambda-test", max_capacity, acquire_timeout_seconds)),
          pool(spec.name, spec.scaling, agent,
               [this](const refstack::ContainerInfo& container) {
                   return std::make_shared<Worker>(spec, [](std::string_view payload, refstack::FunctionContext&) {
                       return std::string(payload);
                   }, container.id, spec.environment, refstack::WorkerRuntime{logs, faults, http});
               },
               faults, clock.function()) {}

    refstack::FunctionSpec spec;
    runtime_test::FakeClock clock;
    refstack::InMemoryAgentClient agent;
    refstack::FaultSwitches faults;
    refstack::NullLogSink logs;
    e2e::HttpClient http;
    refstack::WorkerPool pool;
};

}  // namespace

TEST_CASE("pool provisions up to max capacity and a fourth caller waits for a release", "[refstack][pools]") {
    PoolFixture f(3);
    std::vector<std::shared_ptr<Worker>> held;
    for (int i = 0; i < 3; ++i) held.push_back(f.pool.acquire());
    CHECK(std::set<std::shared_ptr<Worker>>(held.begin(), held.end()).size() == 3);
    CHECK(f.agent.list_containers().size() == 3);

    auto fourth = std::async(std::launch::async, [&] { return f.pool.acquire(); });
    CHECK(fourth.wait_for(std::chrono::milliseconds(100)) == std::future_status::timeout);
    const auto snapshot = f.pool.snapshot();
    CHECK(snapshot.total_workers == 3);
    CHECK(snapshot.busy == 3);
    CHECK(snapshot.idle == 0);

    f.pool.release(held[1]);
    REQUIRE(fourth.wait_for(std::chrono::seconds(1)) == std::future_status::ready);
    CHECK(fourth.get() == held[1]);
    CHECK(f.pool.snapshot().total_workers == 3);
}

TEST_CASE("pool with max capacity 1 queues callers through one worker", "[refstack][pools]") {
    PoolFixture f(1);
    const auto first = f.pool.acquire();
    auto second = std::async(std::launch::async, [&] { return f.pool.acquire(); });
    CHECK(second.wait_for(std::chrono::milliseconds(50)) == std::future_status::timeout);
    f.pool.release(first);
    REQUIRE(second.wait_for(std::chrono::seconds(1)) == std::future_status::ready);
    CHECK(second.get() == first);
    CHECK(f.agent.list_containers().size() == 1);
}

TEST_CASE("pool reuses idle workers in first in first out order", "[refstack][pools]") {
    PoolFixture f(2);
    const auto a = f.pool.acquire();
    const auto b = f.pool.acquire();
    f.pool.release(b);
    f.pool.release(a);
    CHECK(f.pool.acquire() == b);
    CHECK(f.pool.acquire() == a);
}

TEST_CASE("pool acquire fails with no worker after the acquire timeout", "[refstack][pools]") {
    PoolFixture f(1, 0.15);
    const auto held = f.pool.acquire();
    const auto started = std::chrono::steady_clock::now();
    CHECK_THROWS_MATCHES(f.pool.acquire(), refstack::NoWorkerError, Catch::Matchers::MessageMatches(ContainsSubstring("acquire timeout")));
    const auto waited = std::chrono::steady_clock::now() - started;
    CHECK(waited >= std::chrono::milliseconds(140));
    CHECK(waited < std::chrono::milliseconds(1000));
    CHECK(f.pool.snapshot().total_workers == 1);
}

TEST_CASE("pool reports a provisioning failure with its cause", "[refstack][pools]") {
    PoolFixture f(2);
    f.agent.fail_creates("image pull failed");
    CHECK_THROWS_MATCHES(f.pool.acquire(), refstack::NoWorkerError, Catch::Matchers::Message("image pull failed"));
    const auto snapshot = f.pool.snapshot();
    CHECK(snapshot.provisioning == 0);
    CHECK(snapshot.total_workers == 0);
    f.agent.fail_creates("");
    CHECK(f.pool.acquire() != nullptr);
}

TEST_CASE("pool prunes workers idle longer than the idle timeout and deletes their containers", "[refstack][pools]") {
    PoolFixture f(3);
    const auto old_worker = f.pool.acquire();
    const auto young_worker = f.pool.acquire();
    const auto busy_worker = f.pool.acquire();
    f.pool.release(old_worker);
    f.clock.advance(std::chrono::seconds(10));
    f.pool.release(young_worker);
    f.clock.advance(std::chrono::seconds(6));  // old: 16 s idle, young: 6 s, busy: never idle

    const auto pruned = f.pool.prune_idle(std::chrono::seconds(15));
    REQUIRE(pruned.size() == 1);
    CHECK(pruned[0] == old_worker);
    CHECK_FALSE(f.agent.contains(old_worker->container_id()));
    CHECK(f.agent.contains(young_worker->container_id()));
    CHECK(f.pool.snapshot().total_workers == 2);

    f.pool.release(busy_worker);
    f.clock.advance(std::chrono::seconds(16));
    CHECK(f.pool.prune_idle(std::chrono::seconds(15)).size() == 2);
    CHECK(f.pool.snapshot().total_workers == 0);
    CHECK(f.agent.list_containers().empty());
}

TEST_CASE("pool snapshot json carries the eight metrics fields", "[refstack][pools]") {
    PoolFixture f(3, 30.0);
    const auto worker = f.pool.acquire();
    const auto json = f.pool.snapshot().to_json();
    CHECK(json.str("function_name") == "lambda-test");
    CHECK(json.integer("total_workers") == 1);
    CHECK(json.integer("idle") == 0);
    CHECK(json.integer("busy") == 1);
    CHECK(json.integer("provisioning") == 0);
    CHECK(json.integer("max_capacity") == 3);
    CHECK(json.integer("min_capacity") == 0);
    CHECK(json.number("acquire_timeout") == 30.0);
    CHECK(json.size() == 8);
}

TEST_CASE("pool exceeds max capacity under the exceeds_max_capacity fault", "[refstack][pools]") {
    PoolFixture f(1, 0.1);
    f.faults.force("pool.exceeds_max_capacity", true);
    const auto a = f.pool.acquire();
    const auto b = f.pool.acquire();
    CHECK(a != b);
    CHECK(f.pool.snapshot().total_workers == 2);  // > max_capacity 1: what ASC-001..003 catch
}

TEST_CASE("pool never prunes under the never_prune_idle fault", "[refstack][pools]") {
    PoolFixture f(1);
    f.faults.force("pool.never_prune_idle", true);
    f.pool.release(f.pool.acquire());
    f.clock.advance(std::chrono::minutes(10));
    CHECK(f.pool.prune_idle(std::chrono::seconds(15)).empty());
    CHECK(f.pool.snapshot().total_workers == 1);
}
