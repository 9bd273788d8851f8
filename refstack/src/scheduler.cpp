#include "scheduler.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "e2e/settings.hpp"
#include "faults.hpp"
#include "invoker.hpp"

namespace refstack {

Scheduler::Scheduler(const FunctionsConfig& config, Invoker& invoker, const FaultSwitches& faults,
                     std::optional<std::chrono::milliseconds> period_override, Log log)
    : invoker_(invoker), faults_(faults), log_(std::move(log)) {
    const auto note = [&](std::string_view level, const std::string& message) {
        if (log_) log_(level, message);
    };
    for (const auto& [name, spec] : config.functions) {
        for (const auto& schedule : spec.schedules) {
            const auto seconds = parse_rate_seconds(schedule.expression);
            if (!seconds) {
                note("WARNING", fmt::format("schedule {} of {} is not supported by esb-refstack (only rate(...)); ignored",
                                            schedule.expression, name));
                continue;
            }
            const auto period = std::max(std::chrono::milliseconds(1), period_override.value_or(
                std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::duration<double>(*seconds))));
            jobs_.push_back({name, schedule.expression, schedule.input, period});
            note("INFO", fmt::format("scheduled {} every {} ms ({})", name, period.count(), schedule.expression));
        }
    }
}

Scheduler::~Scheduler() { stop(); }

void Scheduler::start() {
    std::lock_guard lock(mutex_);
    if (thread_.joinable() || jobs_.empty()) return;
    stopping_ = false;
    thread_ = std::thread([this] { loop(); });
}

void Scheduler::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
}

int Scheduler::fired() const {
    std::lock_guard lock(mutex_);
    return fired_;
}

void Scheduler::loop() {
    using Clock = std::chrono::steady_clock;
    std::vector<Clock::time_point> next;
    const auto started = Clock::now();
    for (const auto& job : jobs_) next.push_back(started + job.period);

    std::unique_lock lock(mutex_);
    for (;;) {
        std::size_t due = 0;
        for (std::size_t i = 1; i < next.size(); ++i) {
            if (next[i] < next[due]) due = i;
        }
        if (wake_.wait_until(lock, next[due], [&] { return stopping_; })) return;
        const auto& job = jobs_[due];
        // Skip fires missed while an invocation ran: the next one is in the future.
        const auto now = Clock::now();
        while (next[due] <= now) next[due] += job.period;
        if (faults_.on("scheduler.never_fires")) continue;
        lock.unlock();
        const auto result = invoker_.invoke({job.function_name, job.input, ""});
        if (log_) {
            if (result.kind == InvocationOutcome::Kind::ok) {
                log_("INFO", fmt::format("scheduled invocation of {} succeeded", job.function_name));
            } else {
                log_("ERROR", fmt::format("scheduled invocation of {} failed: {}", job.function_name,
                                          result.message.empty() ? result.payload : result.message));
            }
        }
        lock.lock();
        ++fired_;
    }
}

std::optional<std::chrono::milliseconds> schedule_period_override(const e2e::Settings& settings) {
    constexpr std::string_view name = "REFSTACK_SCHEDULE_PERIOD_SECONDS";
    if (!settings.raw(name) || settings.str(name, "").empty()) return std::nullopt;
    const double seconds = settings.number(name);
    if (!(seconds > 0)) {
        throw e2e::SettingsError(fmt::format("{} must be a number of seconds > 0, got {}", name, seconds));
    }
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::duration<double>(seconds));
}

}  // namespace refstack
