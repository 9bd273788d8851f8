// A deliberately failing scenario for failure_listener_test.cpp (hidden; never registered with
// ctest): it records exchanges full of secrets, then fails, so the test can read what the failure
// listener attached to the report.
#include <catch2/catch_test_macros.hpp>

#include "e2e/scenario.hpp"

// Each secret is a distinct marker the test searches the report for.
TEST_CASE("failure probe records secrets and fails", "[.][probe]") {
    auto settings = e2e::Settings::from_map({{"GATEWAY_URL", "http://127.0.0.1:1"}});
    e2e::Gateway gateway(settings);
    const auto body = e2e::Json::object(
        {{"AuthParameters", e2e::Json::object({{"USERNAME", "probe-user"}, {"PASSWORD", "SECRET-AUTH-PASS-1"}})}});
    // Port 1 refuses: a transport error, recorded with the request that was attempted.
    CHECK_THROWS(gateway.post("/user/auth/v1", body, "SECRET-TOKEN-2", {{"x-api-key", "SECRET-API-KEY-3"}}));

    e2e::Exchange exchange;
    exchange.method = "POST";
    exchange.url = "https://localhost:8443/user/auth/v1?X-Amz-Signature=SECRET-SIG-4";
    exchange.request_headers = {{"x-api-key", "SECRET-API-KEY-3"}, {"Content-Type", "application/json"}};
    exchange.request_body = R"({"AuthParameters":{"USERNAME":"probe-user","PASSWORD":"SECRET-AUTH-PASS-1"}})";
    exchange.status = 200;
    exchange.response_body =
        R"({"AuthenticationResult":{"IdToken":"SECRET-TOKEN-2"},"RUSTFS_SECRET_KEY":"SECRET-S3-KEY-5"})";
    e2e::current_exchanges().add(exchange);

    CHECK(1 == 2);  // the failure the listener decorates
}
