// Runtime-agnostic smoke cases (e2e-platform): SMK-001, SMK-002 and SMK-011 (ESB's undocumented
// containerd network identity test, SMK-X1 in the contract).
#include <algorithm>
#include <cctype>
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers.hpp>

#include "e2e/matchers.hpp"
#include "e2e/scenario.hpp"

TEST_CASE("gateway health answers 200", "[smoke][SMK-001]") {
    // No health fixture, no retry: a gateway that is down fails this case (as in ESB's suite).
    auto res = e2e::gateway().get("/health");
    REQUIRE_THAT(res, e2e::Status(200));
}

TEST_CASE("VictoriaLogs health answers 200 or 204", "[smoke][SMK-002]") {
    auto res = e2e::logs().health();
    REQUIRE_THAT(res, e2e::StatusIn({200, 204}));
}

TEST_CASE("containerd network identity and NAT rules are in place", "[smoke][SMK-011][containerd]") {
    std::string mode = e2e::settings().str("MODE", "docker");
    mode.erase(0, mode.find_first_not_of(" \t"));
    mode.erase(mode.find_last_not_of(" \t") + 1);
    std::transform(mode.begin(), mode.end(), mode.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (mode != "containerd") SKIP("MODE is '" << mode << "', not containerd: this case applies to containerd mode only");

    // The checks run inside the agent and runtime-node containers (docker exec, iptables -S);
    // that control is not implemented yet, and passing without it would be silent.
    SKIP("MODE=containerd but no docker exec control into <PROJECT_NAME>-agent and "
         "<PROJECT_NAME>-runtime-node is available (the infrastructure control interface is not "
         "implemented yet; PROJECT_NAME="
         << e2e::settings().str("PROJECT_NAME", "(unset)") << ")");
}
