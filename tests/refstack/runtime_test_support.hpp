// Shared pieces of the runtime tests (pools, breakers, workers, invoker, scheduler, agent): a
// settable clock, function specs, and a deadline wait that reports what it last saw.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "function_config.hpp"

namespace runtime_test {

// A steady clock that only moves when told to; copies share the same time.
class FakeClock {
public:
    std::chrono::steady_clock::time_point now() const {
        return std::chrono::steady_clock::time_point(std::chrono::milliseconds(offset_->load()));
    }
    void advance(std::chrono::duration<double> by) {
        offset_->fetch_add(std::chrono::duration_cast<std::chrono::milliseconds>(by).count());
    }
    std::function<std::chrono::steady_clock::time_point()> function() const {
        return [offset = offset_] { return std::chrono::steady_clock::time_point(std::chrono::milliseconds(offset->load())); };
    }

private:
    std::shared_ptr<std::atomic<long long>> offset_ = std::make_shared<std::atomic<long long>>(1'000'000);
};

inline refstack::FunctionSpec spec(std::string name, int max_capacity = 1, double acquire_timeout_seconds = 30.0) {
    refstack::FunctionSpec out;
    out.name = std::move(name);
    out.runtime = "python3.12";
    out.scaling.max_capacity = max_capacity;
    out.scaling.acquire_timeout_seconds = acquire_timeout_seconds;
    out.environment = {{"LOG_LEVEL", "DEBUG"}};
    return out;
}

// Polls `done` every 5 ms until it is true or `limit` passes; returns its last answer.
inline bool eventually(std::chrono::milliseconds limit, const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    for (;;) {
        if (done()) return true;
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

}  // namespace runtime_test
