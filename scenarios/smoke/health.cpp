// Runtime-agnostic smoke cases (e2e-platform): SMK-001, SMK-002 and SMK-011 (ESB's undocumented
// containerd network identity test, SMK-X1 in the contract).
#include <algorithm>
#include <cctype>
#include <vector>
#include <optional>
#include <cstdlib>
#include <cstdio>
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers.hpp>

#include "e2e/matchers.hpp"
#include "e2e/scenario.hpp"
#include "e2e/infra_control.hpp"

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

    // The checks run inside ESB's agent and runtime-node containers (docker exec, iptables -S), so
    // they need a docker compose stack; any other stack skips with the reason.
    const auto selection = e2e::select_infra_control(e2e::settings());
    if (selection.kind != "compose") {
        SKIP("MODE=containerd but no docker compose control is available to docker exec into <PROJECT_NAME>-agent and "
             "<PROJECT_NAME>-runtime-node ("
             << (selection.kind == "refstack" ? std::string("the stack is esb-refstack, which has no containers")
                                              : selection.unavailable_reason)
             << ")");
    }
    const auto project = e2e::settings().str("PROJECT_NAME");
    const auto exec = [&](const std::string& container, const std::string& script) {
        return e2e::run_command({"docker", "exec", project + "-" + container, "sh", "-lc", script}, std::chrono::seconds(30));
    };
    const auto identity = exec("agent", ". /var/lib/cni/esb-cni.env && printf '%s\\n%s\\n%s\\n%s\\n' "
                                        "\"$CNI_NETWORK\" \"$CNI_BRIDGE\" \"$CNI_SUBNET\" \"$CNI_GW_IP\"");
    INFO("docker exec " << project << "-agent output: " << identity.output);
    REQUIRE(identity.exit_code == 0);
    std::vector<std::string> values;
    for (std::size_t begin = 0; begin <= identity.output.size() && values.size() < 4;) {
        const auto end = std::min(identity.output.find('\n', begin), identity.output.size());
        values.push_back(identity.output.substr(begin, end - begin));
        begin = end + 1;
    }
    REQUIRE(values.size() == 4);
    const auto& network = values[0];
    const auto& bridge = values[1];
    const auto& subnet = values[2];
    const auto& gateway_ip = values[3];
    CHECK_FALSE(network.empty());
    CHECK(network.ends_with("-net"));
    CHECK(bridge.starts_with("esb-"));
    CHECK(subnet.starts_with("10."));
    const auto slash = subnet.find('/');
    REQUIRE(slash != std::string::npos);
    const auto to_number = [](const std::string& ip) -> std::optional<std::uint32_t> {
        unsigned a = 0, b = 0, c = 0, d = 0;
        char tail = 0;
        if (std::sscanf(ip.c_str(), "%u.%u.%u.%u%c", &a, &b, &c, &d, &tail) != 4 || a > 255 || b > 255 || c > 255 || d > 255) {
            return std::nullopt;
        }
        return (a << 24) | (b << 16) | (c << 8) | d;
    };
    const auto base = to_number(subnet.substr(0, slash));
    const int prefix = std::atoi(subnet.c_str() + slash + 1);
    const auto gateway_number = to_number(gateway_ip);
    REQUIRE(base.has_value());
    REQUIRE(gateway_number.has_value());
    REQUIRE((prefix > 0 && prefix <= 32));
    const std::uint32_t mask = prefix == 32 ? 0xffffffffu : ~(0xffffffffu >> prefix);
    CHECK((*gateway_number & mask) == (*base & mask));

    const std::vector<std::string> nat_rules{"-A POSTROUTING -s " + subnet + " ! -d " + subnet + " -j MASQUERADE"};
    const std::vector<std::string> forward_rules{"-A FORWARD -i " + bridge + " -j ACCEPT", "-A FORWARD -o " + bridge + " -j ACCEPT"};
    const auto has_lines = [](const std::string& text, const std::vector<std::string>& lines) {
        return std::all_of(lines.begin(), lines.end(), [&](const std::string& line) {
            return ("\n" + text + "\n").find("\n" + line + "\n") != std::string::npos;
        });
    };
    // The runtime node installs its rules asynchronously: poll (contract: every 1 s up to 30 s).
    const auto rules = e2e::eventually(
        e2e::deadline_in(std::chrono::seconds(30)),
        [&](std::string& seen) -> std::optional<std::string> {
            const auto nat = exec("runtime-node", "iptables -t nat -S");
            const auto forward = exec("runtime-node", "iptables -S FORWARD");
            seen = nat.output + forward.output;
            if (nat.exit_code == 0 && forward.exit_code == 0 && has_lines(nat.output, nat_rules) && has_lines(forward.output, forward_rules)) {
                return seen;
            }
            return std::nullopt;
        },
        {.interval = std::chrono::seconds(1)});
    INFO(rules.describe());
    CHECK(rules.ok());
}
