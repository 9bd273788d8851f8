// The real esb-refstack binary, started as a user starts it: readiness, the main contract paths
// end to end, restarts and crashes through the control API, fault switches, clean shutdown and
// bad configuration.
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <fstream>
#include <thread>

#include "e2e/http.hpp"
#include "e2e/json.hpp"
#include "e2e/matchers.hpp"
#include "e2e/s3.hpp"
#include "support/refstack_process.hpp"

using Catch::Matchers::ContainsSubstring;
using e2e::test::RefstackProcess;
using namespace std::chrono_literals;

namespace {

RefstackProcess::Options reference_stack(std::filesystem::path data_dir = {}) {
    return {.binary = E2E_REFSTACK_BINARY,
            .env_file = std::string(E2E_SOURCE_DIR) + "/environments/reference/refstack.env",
            .data_dir = std::move(data_dir)};
}

std::string token(e2e::HttpClient& client, const RefstackProcess& stack) {
    const auto body = e2e::Json::object(
        {{"AuthParameters", e2e::Json::object({{"USERNAME", stack.env("AUTH_USER")}, {"PASSWORD", stack.env("AUTH_PASS")}})}});
    const auto response = client.post(stack.env("GATEWAY_URL") + stack.env("AUTH_ENDPOINT_PATH"), body.dump(),
                                      {{"x-api-key", stack.env("X_API_KEY")}, {"Content-Type", "application/json"}});
    REQUIRE_THAT(response, e2e::Status(200));
    return e2e::Json::parse(response.body).str("AuthenticationResult.IdToken");
}

e2e::HttpResponse echo(e2e::HttpClient& client, const RefstackProcess& stack, const std::string& bearer, const std::string& message) {
    return client.post(stack.env("GATEWAY_URL") + "/api/echo", e2e::Json::object({{"message", message}}).dump(),
                       {{"Authorization", "Bearer " + bearer}, {"Content-Type", "application/json"}});
}

e2e::Headers control_auth(const RefstackProcess& stack) { return {{"Authorization", "Bearer " + stack.env("REFSTACK_CONTROL_TOKEN")}}; }

e2e::Json component(e2e::HttpClient& client, const RefstackProcess& stack, const std::string& name) {
    const auto response = client.get(stack.env("REFSTACK_CONTROL_URL") + "/components/" + name, control_auth(stack));
    REQUIRE(response.status == 200);
    return e2e::Json::parse(response.body);
}

}  // namespace

TEST_CASE("the reference stack becomes ready and writes its endpoints on loopback", "[refstack][process]") {
    const auto started = std::chrono::steady_clock::now();
    RefstackProcess stack(reference_stack());
    const auto startup = std::chrono::steady_clock::now() - started;
    for (const char* name : {"GATEWAY_URL", "VICTORIALOGS_URL", "AGENT_METRICS_URL", "PORT_S3", "PORT_DATABASE", "AUTH_USER",
                             "AUTH_PASS", "X_API_KEY", "RUSTFS_ACCESS_KEY", "RUSTFS_SECRET_KEY", "MODE", "CIRCUIT_BREAKER_RECOVERY_TIMEOUT"}) {
        CAPTURE(name);
        CHECK_FALSE(stack.env(name).empty());
    }
    CHECK_THAT(stack.env("GATEWAY_URL"), ContainsSubstring("https://localhost:"));
    CHECK_THAT(stack.output(), ContainsSubstring("esb-refstack ready"));
    CHECK_THAT(stack.output(), !ContainsSubstring(stack.env("AUTH_PASS")));
    UNSCOPED_INFO("startup took " << std::chrono::duration_cast<std::chrono::milliseconds>(startup).count() << " ms");
    e2e::HttpClient client;
    CHECK(client.get(stack.env("GATEWAY_URL") + "/health").status == 200);
    CHECK(client.get(stack.env("VICTORIALOGS_URL") + "/health").status == 200);
    const auto metrics = client.get(stack.env("AGENT_METRICS_URL") + "/metrics");
    CHECK(metrics.status == 200);
    CHECK_THAT(metrics.body, ContainsSubstring("grpc_server_handled_total"));
}

TEST_CASE("the reference stack answers an authenticated echo with trace headers", "[refstack][process]") {
    RefstackProcess stack(reference_stack());
    e2e::HttpClient client;
    const auto bearer = token(client, stack);
    const auto response = echo(client, stack, bearer, "process-test");
    REQUIRE_THAT(response, e2e::Status(200));
    const auto body = e2e::Json::parse(response.body);
    CHECK_THAT(body, e2e::Field("success", true) && e2e::Field("message", "Echo: process-test") && e2e::Field("user", stack.env("AUTH_USER")));
    CHECK(response.header("X-Amzn-Trace-Id").has_value());
    CHECK(response.header("x-amzn-RequestId").has_value());
    CHECK(echo(client, stack, "not-a-token", "x").status == 401);
}

TEST_CASE("a gateway restart keeps tokens and data and resets nothing else visible", "[refstack][process]") {
    RefstackProcess stack(reference_stack());
    e2e::HttpClient client;
    const auto bearer = token(client, stack);
    const auto before = component(client, stack, "gateway");
    const auto restarted = client.post(stack.env("REFSTACK_CONTROL_URL") + "/components/gateway/restart", "", control_auth(stack));
    REQUIRE(restarted.status == 200);
    const auto after = component(client, stack, "gateway");
    CHECK(after.integer("pid") != before.integer("pid"));
    CHECK(after.str("started_at") != before.str("started_at"));
    CHECK_THAT(echo(client, stack, bearer, "after-restart"), e2e::Status(200));
}

TEST_CASE("a crashed gateway is restarted and counted", "[refstack][process]") {
    RefstackProcess stack(reference_stack());
    e2e::HttpClient client;
    const auto bearer = token(client, stack);
    const auto before = component(client, stack, "gateway");
    CHECK(client.post(stack.env("REFSTACK_CONTROL_URL") + "/components/gateway/crash", "", control_auth(stack)).status == 202);
    const auto deadline = std::chrono::steady_clock::now() + 15s;
    bool back = false;
    while (!back && std::chrono::steady_clock::now() < deadline) {
        const auto now = component(client, stack, "gateway");
        try {
            back = now.integer("restart_count") == before.integer("restart_count") + 1 && now.str("status") == "running" &&
                   echo(client, stack, bearer, "after-crash").status == 200;
        } catch (const e2e::HttpError&) {
            back = false;
        }
        if (!back) std::this_thread::sleep_for(50ms);
    }
    CHECK(back);
    CHECK(component(client, stack, "gateway").str("started_at") != before.str("started_at"));
}

TEST_CASE("a fault switch set through the control API changes the contract at once", "[refstack][process]") {
    RefstackProcess stack(reference_stack());
    e2e::HttpClient client;
    const auto bearer = token(client, stack);
    const auto url = stack.env("REFSTACK_CONTROL_URL") + "/faults";
    REQUIRE(client.send({"PUT", url, control_auth(stack), R"({"active": ["echo.wrong_message"]})"}).status == 200);
    const auto faulty = echo(client, stack, bearer, "fault");
    CHECK_THAT(e2e::Json::parse(faulty.body), !e2e::Field("message", "Echo: fault"));
    REQUIRE(client.send({"PUT", url, control_auth(stack), R"({"active": []})"}).status == 200);
    CHECK_THAT(e2e::Json::parse(echo(client, stack, bearer, "fault").body), e2e::Field("message", "Echo: fault"));
}

TEST_CASE("the faults option replaces REFSTACK_FAULTS and list-faults prints the catalogue", "[refstack][process][faults]") {
    auto options = reference_stack();
    options.extra_args = {"--faults", "echo.wrong_message,echo.wrong_user"};
    RefstackProcess stack(options);
    e2e::HttpClient client;
    const auto faults = client.get(stack.env("REFSTACK_CONTROL_URL") + "/faults", control_auth(stack));
    REQUIRE(faults.status == 200);
    CHECK(e2e::Json::parse(faults.body).at("active") == e2e::Json::parse(R"(["echo.wrong_message", "echo.wrong_user"])"));
    CHECK_THAT(e2e::Json::parse(echo(client, stack, token(client, stack), "f").body), e2e::Field("message", "f"));

    const auto [list_code, list] = RefstackProcess::run({E2E_REFSTACK_BINARY, "--list-faults"});
    CHECK(list_code == 0);
    CHECK_THAT(list, ContainsSubstring("echo.wrong_message\tfunctions\tlambda-echo answers"));
    CHECK_THAT(list, ContainsSubstring("integration.trace_not_found\tfunctions\t") &&
                         ContainsSubstring("scheduled.event_not_recorded\tfunctions\t"));

    const auto data = std::filesystem::temp_directory_path() / ("e2e-refstack-bad-faults-" + std::to_string(::getpid()));
    const auto [bad_code, bad] = RefstackProcess::run({E2E_REFSTACK_BINARY, "--env-file",
                                                       std::string(E2E_SOURCE_DIR) + "/environments/reference/refstack.env",
                                                       "--data-dir", data.string(), "--faults", "no.such"});
    CHECK(bad_code == 3);
    CHECK_THAT(bad, ContainsSubstring("esb-refstack: --faults: unknown fault switch \"no.such\""));
    std::filesystem::remove_all(data);
}

TEST_CASE("S3 data survives a restart of the whole stack on its data folder", "[refstack][process]") {
    const auto data = std::filesystem::temp_directory_path() / ("e2e-refstack-restart-" + std::to_string(::getpid()));
    std::filesystem::remove_all(data);
    const std::string bytes("persisted\0bytes\xff", 16);
    {
        RefstackProcess stack(reference_stack(data));
        e2e::S3Client s3("http://127.0.0.1:" + stack.env("PORT_S3"), stack.env("RUSTFS_ACCESS_KEY"), stack.env("RUSTFS_SECRET_KEY"));
        REQUIRE(s3.put_object("e2e-test-bucket", "restart/object.bin", bytes).ok());
        CHECK(stack.stop() == 0);
        CHECK_FALSE(std::filesystem::exists(data / "ready.env"));
    }
    {
        RefstackProcess stack(reference_stack(data));
        e2e::S3Client s3("http://127.0.0.1:" + stack.env("PORT_S3"), stack.env("RUSTFS_ACCESS_KEY"), stack.env("RUSTFS_SECRET_KEY"));
        const auto object = s3.get_object("e2e-test-bucket", "restart/object.bin");
        REQUIRE(object.ok());
        CHECK(object->body == bytes);
    }
    std::filesystem::remove_all(data);
}

TEST_CASE("a malformed env file stops esb-refstack with one line naming it", "[refstack][process]") {
    const auto env = std::filesystem::temp_directory_path() / ("e2e-bad-" + std::to_string(::getpid()) + ".env");
    std::ofstream(env) << "MODE=docker\nTHIS LINE IS BROKEN\n";
    const auto [code, output] = RefstackProcess::run({E2E_REFSTACK_BINARY, "--env-file", env.string()});
    CHECK(code == 3);
    CHECK_THAT(output, ContainsSubstring(env.string() + ":2:"));
    std::filesystem::remove(env);
    const auto [usage_code, usage] = RefstackProcess::run({E2E_REFSTACK_BINARY, "--bogus"});
    CHECK(usage_code == 2);
    CHECK_THAT(usage, ContainsSubstring("unknown or incomplete argument \"--bogus\""));
}

TEST_CASE("the restart faults break what a restart must keep or do", "[refstack][process][faults]") {
    RefstackProcess stack(reference_stack());
    e2e::HttpClient client;
    const auto bearer = token(client, stack);
    const auto faults_url = stack.env("REFSTACK_CONTROL_URL") + "/faults";
    const auto restart_url = stack.env("REFSTACK_CONTROL_URL") + "/components/gateway/restart";

    SECTION("restart.gateway_not_restarted acknowledges a restart that never happens") {
        REQUIRE(client.send({"PUT", faults_url, control_auth(stack), R"({"active": ["restart.gateway_not_restarted"]})"}).status == 200);
        const auto before = component(client, stack, "gateway");
        CHECK(client.post(restart_url, "", control_auth(stack)).status == 200);
        CHECK(component(client, stack, "gateway").str("started_at") == before.str("started_at"));
    }
    SECTION("restart.jwt_secret_rotates makes tokens issued before a restart invalid") {
        REQUIRE(client.send({"PUT", faults_url, control_auth(stack), R"({"active": ["restart.jwt_secret_rotates"]})"}).status == 200);
        REQUIRE(client.post(restart_url, "", control_auth(stack)).status == 200);
        CHECK(echo(client, stack, bearer, "old-token").status == 401);
        CHECK_THAT(echo(client, stack, token(client, stack), "new-token"), e2e::Status(200));
    }
}
