#include "stack_config.hpp"

#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>

using Catch::Matchers::ContainsSubstring;

namespace {
struct TempStack {
    std::filesystem::path dir = std::filesystem::temp_directory_path() / ("e2e-stack-config-" + std::to_string(::getpid()));
    std::filesystem::path env = dir / "refstack.env";
    explicit TempStack(const std::string& extra = "") {
        std::filesystem::remove_all(dir);
        std::filesystem::create_directories(dir);
        for (const char* name : {"routing.yml", "functions.yml", "resources.yml"}) {
            std::filesystem::copy_file(std::filesystem::path(E2E_SOURCE_DIR) / "environments/reference" / name, dir / name);
        }
        std::ofstream(env) << "PORT_S3=0\nCIRCUIT_BREAKER_RECOVERY_TIMEOUT=2.0\n" << extra;
    }
    ~TempStack() { std::filesystem::remove_all(dir); }
};
}  // namespace

TEST_CASE("the stack config picks ports derives URLs and resolves config paths", "[refstack][config]") {
    TempStack stack;
    const auto config = refstack::load_stack_config(stack.env, stack.dir / "data");
    CHECK(config.port("PORT_S3") != 0);
    CHECK(config.port("PORT_GATEWAY_HTTPS") != config.port("PORT_S3"));
    CHECK(config.get("GATEWAY_URL") == "https://localhost:" + config.get("PORT_GATEWAY_HTTPS"));
    CHECK(config.get("S3_PRESIGN_ENDPOINT") == "http://localhost:" + config.get("PORT_S3"));
    CHECK(config.get("ROUTING_CONFIG") == (stack.dir / "routing.yml").string());
    CHECK(config.get("CIRCUIT_BREAKER_RECOVERY_TIMEOUT") == "2.0");
    CHECK(config.get("CIRCUIT_BREAKER_THRESHOLD") == "3");
    const auto ready = refstack::ready_variables(config);
    for (const char* name : {"GATEWAY_URL", "VICTORIALOGS_URL", "AGENT_METRICS_URL", "PORT_S3", "PORT_DATABASE", "AUTH_USER", "AUTH_PASS",
                             "X_API_KEY", "RUSTFS_ACCESS_KEY", "RUSTFS_SECRET_KEY", "MODE"}) {
        CAPTURE(name);
        CHECK_FALSE(ready.at(name).empty());
    }
}

TEST_CASE("generated credentials are kept across restarts on one data folder", "[refstack][config]") {
    TempStack stack;
    const auto first = refstack::load_stack_config(stack.env, stack.dir / "data");
    const auto second = refstack::load_stack_config(stack.env, stack.dir / "data");
    CHECK(first.get("AUTH_USER") == "esb");
    CHECK(first.get("AUTH_PASS").size() == 32);
    CHECK(first.get("JWT_SECRET_KEY").size() == 64);
    CHECK(second.get("AUTH_PASS") == first.get("AUTH_PASS"));
    CHECK(second.get("JWT_SECRET_KEY") == first.get("JWT_SECRET_KEY"));
    CHECK(second.get("X_API_KEY") == first.get("X_API_KEY"));
    const auto other = refstack::load_stack_config(stack.env, stack.dir / "other-data");
    CHECK(other.get("AUTH_PASS") != first.get("AUTH_PASS"));
}

TEST_CASE("a bad stack knob stops the stack naming the variable", "[refstack][config]") {
    TempStack bad_mode("MODE=firecracker\n");
    CHECK_THROWS_WITH(refstack::load_stack_config(bad_mode.env, bad_mode.dir / "data"), ContainsSubstring("MODE=\"firecracker\""));
}

TEST_CASE("a bad timing knob or missing config file is named", "[refstack][config]") {
    TempStack bad_timing("HEARTBEAT_INTERVAL=soon\n");
    CHECK_THROWS_WITH(refstack::load_stack_config(bad_timing.env, bad_timing.dir / "data"), ContainsSubstring("HEARTBEAT_INTERVAL=\"soon\""));
    TempStack missing("ROUTING_CONFIG=nowhere.yml\n");
    CHECK_THROWS_WITH(refstack::load_stack_config(missing.env, missing.dir / "data"), ContainsSubstring("ROUTING_CONFIG=\"nowhere.yml\""));
    TempStack bad_line("NOT A LINE\n");
    CHECK_THROWS_WITH(refstack::load_stack_config(bad_line.env, bad_line.dir / "data"), ContainsSubstring("refstack.env:3"));
}
