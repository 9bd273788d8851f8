#include "circuit_breaker.hpp"

#include <fmt/format.h>

#include "faults.hpp"

namespace refstack {

CircuitBreaker::CircuitBreaker(CircuitBreakerSettings settings, const FaultSwitches* faults, Clock clock)
    : settings_(settings), faults_(faults), clock_(std::move(clock)) {}

std::chrono::steady_clock::time_point CircuitBreaker::now() const {
    return clock_ ? clock_() : std::chrono::steady_clock::now();
}

std::optional<std::string> CircuitBreaker::admit() {
    std::lock_guard lock(mutex_);
    if (state_ != State::open) return std::nullopt;
    const bool recovered = now() - last_failure_ > settings_.recovery_timeout;
    if (recovered && !(faults_ && faults_->on("breaker.never_recovers"))) {
        state_ = State::half_open;
        return std::nullopt;
    }
    return fmt::format("Circuit is open (failures: {})", failures_);
}

void CircuitBreaker::record_success() {
    std::lock_guard lock(mutex_);
    if (state_ == State::half_open) {
        state_ = State::closed;
        failures_ = 0;
    }
}

void CircuitBreaker::record_failure() {
    std::lock_guard lock(mutex_);
    ++failures_;
    last_failure_ = now();
    if (faults_ && faults_->on("breaker.never_opens")) return;
    if (state_ == State::half_open || failures_ >= settings_.threshold) state_ = State::open;
}

CircuitBreaker::State CircuitBreaker::state() const {
    std::lock_guard lock(mutex_);
    return state_;
}

int CircuitBreaker::failures() const {
    std::lock_guard lock(mutex_);
    return failures_;
}

std::string_view to_string(CircuitBreaker::State state) {
    switch (state) {
        case CircuitBreaker::State::closed: return "CLOSED";
        case CircuitBreaker::State::open: return "OPEN";
        case CircuitBreaker::State::half_open: return "HALF_OPEN";
    }
    return "UNKNOWN";
}

}  // namespace refstack
