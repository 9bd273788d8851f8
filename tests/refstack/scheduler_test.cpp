// The gateway scheduler (contract 1.14) with a short period override and a recording invoker.
#include "scheduler.hpp"

#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <mutex>

#include "e2e/settings.hpp"
#include "faults.hpp"
#include "invoker.hpp"
#include "runtime_test_support.hpp"

using Catch::Matchers::ContainsSubstring;
using namespace std::chrono_literals;

namespace {

class RecordingInvoker : public refstack::Invoker {
public:
    refstack::InvocationOutcome invoke(const refstack::Invocation& invocation) override {
        std::lock_guard lock(mutex_);
        calls_.push_back({invocation, std::chrono::steady_clock::now()});
        return {};
    }
    e2e::Json pools_json() const override { return {}; }

    struct Call {
        refstack::Invocation invocation;
        std::chrono::steady_clock::time_point at;
    };
    std::vector<Call> calls() const {
        std::lock_guard lock(mutex_);
        return calls_;
    }

private:
    mutable std::mutex mutex_;
    std::vector<Call> calls_;
};

refstack::FunctionsConfig scheduled_config() {
    refstack::FunctionsConfig config;
    auto scheduled = runtime_test::spec("lambda-scheduled");
    scheduled.schedules.push_back({"rate(1 minute)", R"({"scheduled": true})"});
    config.functions.emplace(scheduled.name, scheduled);
    auto cron = runtime_test::spec("lambda-cron");
    cron.schedules.push_back({"cron(0 12 * * ? *)", "{}"});
    config.functions.emplace(cron.name, cron);
    config.functions.emplace("lambda-echo", runtime_test::spec("lambda-echo"));
    return config;
}

}  // namespace

TEST_CASE("scheduler invokes each rate schedule with its input and no trace", "[refstack][scheduler]") {
    RecordingInvoker invoker;
    refstack::FaultSwitches faults;
    refstack::Scheduler scheduler(scheduled_config(), invoker, faults, 60ms);
    const auto started = std::chrono::steady_clock::now();
    scheduler.start();
    REQUIRE(runtime_test::eventually(2s, [&] { return invoker.calls().size() >= 2; }));
    scheduler.stop();
    const auto calls = invoker.calls();
    CHECK(calls[0].invocation.function_name == "lambda-scheduled");
    CHECK(calls[0].invocation.payload == R"({"scheduled": true})");
    CHECK(calls[0].invocation.trace_header.empty());
    CHECK(calls[0].at - started >= 55ms);  // the first fire is one period after start
    CHECK(calls[1].at - calls[0].at >= 40ms);
    CHECK(scheduler.fired() == static_cast<int>(calls.size()));
}

TEST_CASE("scheduler uses the rate period without an override and ignores cron with a log line", "[refstack][scheduler]") {
    RecordingInvoker invoker;
    refstack::FaultSwitches faults;
    std::vector<std::string> lines;
    refstack::Scheduler scheduler(scheduled_config(), invoker, faults, std::nullopt,
                                  [&](std::string_view level, const std::string& message) {
                                      lines.push_back(std::string(level) + " " + message);
                                  });
    REQUIRE(scheduler.jobs().size() == 1);
    CHECK(scheduler.jobs()[0].function_name == "lambda-scheduled");
    CHECK(scheduler.jobs()[0].period == 60s);
    CHECK(std::any_of(lines.begin(), lines.end(), [](const std::string& line) {
        return line.starts_with("WARNING") && line.find("cron(0 12 * * ? *)") != std::string::npos &&
               line.find("lambda-cron") != std::string::npos;
    }));
}

TEST_CASE("scheduler stops promptly without firing early", "[refstack][scheduler]") {
    RecordingInvoker invoker;
    refstack::FaultSwitches faults;
    refstack::Scheduler scheduler(scheduled_config(), invoker, faults, 10s);
    scheduler.start();
    std::this_thread::sleep_for(20ms);
    const auto before = std::chrono::steady_clock::now();
    scheduler.stop();
    CHECK(std::chrono::steady_clock::now() - before < 500ms);
    CHECK(invoker.calls().empty());
}

TEST_CASE("scheduler never fires under the never_fires fault", "[refstack][scheduler]") {
    RecordingInvoker invoker;
    refstack::FaultSwitches faults;
    faults.force("scheduler.never_fires", true);
    refstack::Scheduler scheduler(scheduled_config(), invoker, faults, 20ms);
    scheduler.start();
    std::this_thread::sleep_for(200ms);
    scheduler.stop();
    CHECK(invoker.calls().empty());
    CHECK(scheduler.fired() == 0);
}

TEST_CASE("the schedule period override comes from REFSTACK_SCHEDULE_PERIOD_SECONDS", "[refstack][scheduler]") {
    CHECK_FALSE(refstack::schedule_period_override(e2e::Settings::from_map({})));
    CHECK(refstack::schedule_period_override(e2e::Settings::from_map({{"REFSTACK_SCHEDULE_PERIOD_SECONDS", "2.5"}})) == 2500ms);
    CHECK_THROWS_WITH(refstack::schedule_period_override(e2e::Settings::from_map({{"REFSTACK_SCHEDULE_PERIOD_SECONDS", "0"}})),
                      ContainsSubstring("REFSTACK_SCHEDULE_PERIOD_SECONDS"));
    CHECK_THROWS_WITH(refstack::schedule_period_override(e2e::Settings::from_map({{"REFSTACK_SCHEDULE_PERIOD_SECONDS", "soon"}})),
                      ContainsSubstring("REFSTACK_SCHEDULE_PERIOD_SECONDS"));
}
