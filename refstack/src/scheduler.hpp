// The gateway's in-process scheduler (contract 1.14): every `rate(...)` schedule of a function
// invokes it with the schedule's input as the raw payload and no trace context, first one period
// after start(). `cron(...)` schedules are not supported: they are logged and ignored. The period
// can be overridden for every job (REFSTACK_SCHEDULE_PERIOD_SECONDS) so a stack on loopback fires
// every few seconds. A slow invocation delays the next fire; missed fires are skipped, not queued.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "function_config.hpp"

namespace e2e {
class Settings;
}

namespace refstack {

class FaultSwitches;
class Invoker;

struct ScheduledJob {
    std::string function_name;
    std::string expression;  // as configured: "rate(1 minute)"
    std::string input;       // raw payload
    std::chrono::milliseconds period{0};
};

class Scheduler {
public:
    // One line per notable event (jobs added, cron ignored, fires, failures); may be empty.
    using Log = std::function<void(std::string_view level, const std::string& message)>;

    // `invoker` and `faults` are not owned (scheduler.never_fires suppresses each fire).
    Scheduler(const FunctionsConfig& config, Invoker& invoker, const FaultSwitches& faults,
              std::optional<std::chrono::milliseconds> period_override = std::nullopt, Log log = {});
    ~Scheduler();  // stop()
    Scheduler(const Scheduler&) = delete;
    Scheduler& operator=(const Scheduler&) = delete;

    void start();  // idempotent; the first fire of each job is one period from now
    void stop();   // wakes the thread and joins it (waits for an invocation in progress)

    const std::vector<ScheduledJob>& jobs() const { return jobs_; }
    int fired() const;  // invocations made so far

private:
    void loop();

    Invoker& invoker_;
    const FaultSwitches& faults_;
    Log log_;
    std::vector<ScheduledJob> jobs_;

    mutable std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    int fired_ = 0;
    std::thread thread_;
};

// REFSTACK_SCHEDULE_PERIOD_SECONDS (a number > 0) or nullopt when unset; throws e2e::SettingsError
// naming the variable for a bad value.
std::optional<std::chrono::milliseconds> schedule_period_override(const e2e::Settings& settings);

}  // namespace refstack
