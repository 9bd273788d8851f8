// One circuit breaker per function (contract 1.16): cumulative failures while CLOSED open it at the
// threshold; OPEN lets a call through (HALF_OPEN) once more than recovery_timeout has passed since
// the last failure; a HALF_OPEN success closes it with the counter at 0, a failure re-opens it.
// The invoker consults it after a worker has been acquired. Thread-safe.
#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace refstack {

class FaultSwitches;

struct CircuitBreakerSettings {
    int threshold = 5;                                 // CIRCUIT_BREAKER_THRESHOLD
    std::chrono::duration<double> recovery_timeout{30.0};  // CIRCUIT_BREAKER_RECOVERY_TIMEOUT
};

class CircuitBreaker {
public:
    using Clock = std::function<std::chrono::steady_clock::time_point()>;
    enum class State { closed, open, half_open };

    // `faults` (may be null) enables breaker.never_opens and breaker.never_recovers.
    explicit CircuitBreaker(CircuitBreakerSettings settings, const FaultSwitches* faults = nullptr, Clock clock = {});

    // Before a call: nullopt lets it through (an OPEN breaker past its recovery timeout turns
    // HALF_OPEN); otherwise the message of the rejection, "Circuit is open (failures: N)".
    std::optional<std::string> admit();
    void record_success();
    void record_failure();

    State state() const;
    int failures() const;

private:
    std::chrono::steady_clock::time_point now() const;

    CircuitBreakerSettings settings_;
    const FaultSwitches* faults_;
    Clock clock_;
    mutable std::mutex mutex_;
    State state_ = State::closed;
    int failures_ = 0;
    std::chrono::steady_clock::time_point last_failure_{};
};

std::string_view to_string(CircuitBreaker::State state);  // "CLOSED", "OPEN", "HALF_OPEN"

}  // namespace refstack
