// The gateway scheduler firing lambda-scheduled (contract 1.14, 2.13 and 5.4, STD-025).
// ESB polls 90 s for the item to exist, so an item left by an earlier run passes even when the
// scheduler never fires (contract 7.2). Here the item's last_run must change while the test
// watches, twice, with deadlines derived from the schedule period.
#include <algorithm>
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers.hpp>
#include <chrono>
#include <optional>
#include <string>

#include "e2e/matchers.hpp"
#include "e2e/scenario.hpp"

namespace {

// REFSTACK_SCHEDULE_PERIOD_SECONDS when set (the refstack's shortened rate), else ESB's
// rate(1 minute).
std::chrono::milliseconds schedule_period() {
    return e2e::settings().duration("REFSTACK_SCHEDULE_PERIOD_SECONDS", std::chrono::seconds(60));
}

// Room for a misfire or a slow invocation on top of one period (ESB: 90 s for a 60 s period).
std::chrono::milliseconds fire_budget() {
    const auto period = schedule_period();
    return period + std::max<std::chrono::milliseconds>(std::chrono::seconds(10), period / 2);
}

struct ScheduledRun {
    std::string last_run;
};

// lambda-dynamo get of `scheduled-run`: the run when found (its event must be {"scheduled": true}).
std::optional<ScheduledRun> read_scheduled_run(std::string& seen) {
    auto res = e2e::gateway().post("/api/dynamo", {{"action", "get"}, {"id", "scheduled-run"}}, e2e::token());
    seen = e2e::describe_response(res, 300);
    if (res.status != 200) return std::nullopt;
    const auto body = e2e::Json::parse(res.body);
    const auto found = body.find("found");
    if (!found || !found->is_bool() || !found->boolean()) return std::nullopt;
    // Found: the item must be the scheduler's (a wrong event fails at once, as in ESB's suite).
    CHECK_THAT(body, e2e::Field("item.event.M.scheduled.BOOL", true));
    REQUIRE_THAT(body, e2e::FieldType("item.last_run.S", e2e::JsonType::string));
    return ScheduledRun{body.str("item.last_run.S")};
}

}  // namespace

TEST_CASE("scheduler fires the scheduled function every period", "[standard][STD-025][slow]") {
    INFO("schedule period " << schedule_period().count() << " ms, budget per fire " << fire_budget().count() << " ms");
    std::string seen;
    const auto before = read_scheduled_run(seen);
    INFO("before: " << (before ? before->last_run : std::string("no item")));

    // A fire during the test: the item appears, or its last_run changes.
    auto first = e2e::eventually(e2e::deadline_in(fire_budget()), [&](std::string& last) -> std::optional<ScheduledRun> {
        auto run = read_scheduled_run(last);
        if (run && before && run->last_run == before->last_run) return std::nullopt;
        return run;
    });
    INFO("first fire: " << first.describe());
    REQUIRE(first.ok());

    // The next period fires again.
    auto second = e2e::eventually(e2e::deadline_in(fire_budget()), [&](std::string& last) -> std::optional<ScheduledRun> {
        auto run = read_scheduled_run(last);
        if (run && run->last_run == first.value->last_run) return std::nullopt;
        return run;
    });
    INFO("second fire: " << second.describe());
    REQUIRE(second.ok());

    // At the source too: the table holds the latest run.
    const auto got = e2e::dynamodb().get_item("e2e-test-table", {{"id", e2e::AttributeValue::string("scheduled-run")}}, true);
    REQUIRE(got.ok());
    REQUIRE(got->item.has_value());
    REQUIRE(got->item->contains("last_run"));
    CHECK(got->item->at("last_run").as_string() != first.value->last_run);
}
