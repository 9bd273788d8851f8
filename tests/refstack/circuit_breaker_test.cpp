// Circuit breaker semantics of contract 1.16, on a fake clock.
#include "circuit_breaker.hpp"

#include <catch2/catch_test_macros.hpp>

#include "faults.hpp"
#include "runtime_test_support.hpp"

using refstack::CircuitBreaker;
using State = refstack::CircuitBreaker::State;

namespace {

struct BreakerFixture {
    runtime_test::FakeClock clock;
    refstack::FaultSwitches faults;
    CircuitBreaker breaker{{.threshold = 3, .recovery_timeout = std::chrono::duration<double>(10.0)}, &faults, clock.function()};
};

}  // namespace

TEST_CASE("breaker opens at the threshold and rejects with the failure count", "[refstack][breaker]") {
    BreakerFixture f;
    for (int i = 0; i < 2; ++i) {
        REQUIRE_FALSE(f.breaker.admit());
        f.breaker.record_failure();
        CHECK(f.breaker.state() == State::closed);
    }
    REQUIRE_FALSE(f.breaker.admit());
    f.breaker.record_failure();
    CHECK(f.breaker.state() == State::open);
    const auto rejection = f.breaker.admit();
    REQUIRE(rejection);
    CHECK(*rejection == "Circuit is open (failures: 3)");
}

TEST_CASE("breaker counts failures cumulatively while closed", "[refstack][breaker]") {
    BreakerFixture f;
    f.breaker.record_failure();
    f.breaker.record_success();
    f.breaker.record_failure();
    f.breaker.record_success();
    CHECK(f.breaker.failures() == 2);
    CHECK(f.breaker.state() == State::closed);
    f.breaker.record_failure();
    CHECK(f.breaker.state() == State::open);
}

TEST_CASE("breaker lets a call through after the recovery timeout and closes on success", "[refstack][breaker]") {
    BreakerFixture f;
    for (int i = 0; i < 3; ++i) f.breaker.record_failure();
    f.clock.advance(std::chrono::seconds(10));
    CHECK(f.breaker.admit());  // exactly the timeout is not "more than" it
    f.clock.advance(std::chrono::milliseconds(1));
    CHECK_FALSE(f.breaker.admit());
    CHECK(f.breaker.state() == State::half_open);
    f.breaker.record_success();
    CHECK(f.breaker.state() == State::closed);
    CHECK(f.breaker.failures() == 0);
}

TEST_CASE("breaker reopens when the half open call fails", "[refstack][breaker]") {
    BreakerFixture f;
    for (int i = 0; i < 3; ++i) f.breaker.record_failure();
    f.clock.advance(std::chrono::seconds(11));
    REQUIRE_FALSE(f.breaker.admit());
    f.breaker.record_failure();
    CHECK(f.breaker.state() == State::open);
    const auto rejection = f.breaker.admit();
    REQUIRE(rejection);
    CHECK(*rejection == "Circuit is open (failures: 4)");
}

TEST_CASE("breaker never opens under the never_opens fault", "[refstack][breaker]") {
    BreakerFixture f;
    f.faults.force("breaker.never_opens", true);
    for (int i = 0; i < 5; ++i) f.breaker.record_failure();
    CHECK(f.breaker.state() == State::closed);
    CHECK_FALSE(f.breaker.admit());
}

TEST_CASE("breaker never recovers under the never_recovers fault", "[refstack][breaker]") {
    BreakerFixture f;
    f.faults.force("breaker.never_recovers", true);
    for (int i = 0; i < 3; ++i) f.breaker.record_failure();
    f.clock.advance(std::chrono::seconds(60));
    CHECK(f.breaker.admit());
    CHECK(f.breaker.state() == State::open);
}
