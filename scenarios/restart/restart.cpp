// RST-001: the main process of the gateway or the agent is killed (refstack control API crash, or
// `docker exec <id> sh -lc "kill -TERM 1"`); the platform's restart policy must bring it back
// (running, restart count grown, start time changed) and the gateway must serve again. Waits poll
// with deadlines: 45 s for the restart (as ESB's suite), E2E_RESTART_TIMEOUT for serving again.
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers.hpp>

#include "e2e/infra_control.hpp"
#include "e2e/matchers.hpp"
#include "e2e/scenario.hpp"

using namespace std::chrono_literals;

namespace {

void echo_succeeds(const std::string& message) {
    const auto deadline = e2e::deadline_in(e2e::restart_timeout());
    const auto ready = e2e::wait_for_gateway_ready(deadline);  // H3
    INFO("gateway health: " << ready.describe());
    REQUIRE(ready.ok());
    const auto answered = e2e::post_until_answered("/api/echo", e2e::Json::object({{"message", message}}), e2e::token(), deadline);  // H2
    INFO("echo: " << answered.describe());
    REQUIRE(answered.ok());
    REQUIRE_THAT(*answered.value, e2e::Status(200));
    CHECK_THAT(e2e::Json::parse(answered.value->body), e2e::Field("success", true) && e2e::Field("message", "Echo: " + message));
}

void crash_and_recover(const std::string& service) {
    auto* control = e2e::infra_control();
    if (control == nullptr) SKIP(e2e::infra_control_unavailable_reason());
    INFO("control: " << control->describe());

    echo_succeeds("pre-restart-" + service);
    const auto before = control->status(service);
    INFO("before crash: " << before.detail);
    REQUIRE(before.running);

    control->crash(service);
    const auto back = e2e::eventually(e2e::deadline_in(45s), [&](std::string& seen) -> std::optional<e2e::ServiceStatus> {
        auto now = control->status(service);
        seen = now.detail;
        if (now.running && now.restart_count > before.restart_count && now.started_at != before.started_at) return now;
        return std::nullopt;
    });
    INFO("restart by the platform: " << back.describe());
    REQUIRE(back.ok());

    echo_succeeds("post-restart-" + service);
}

}  // namespace

TEST_CASE("crashed gateway process is restarted by the platform and serves again", "[restart][RST-001][docker]") {
    crash_and_recover("gateway");
}

TEST_CASE("crashed agent process is restarted by the platform and the gateway serves again", "[restart][RST-001][docker]") {
    crash_and_recover("agent");
}
