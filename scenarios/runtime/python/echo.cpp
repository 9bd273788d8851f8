// RTP-001: the Python echo function answers with the message and the authenticated caller.
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers.hpp>

#include "e2e/matchers.hpp"
#include "e2e/scenario.hpp"

TEST_CASE("python echo function answers with the message and the authenticated user", "[runtime][RTP-001]" E2E_RUNTIME_TAG "[docker]") {
    auto res = e2e::gateway().post("/api/echo", {{"message", "hello-basic"}}, e2e::token());
    REQUIRE_THAT(res, e2e::Status(200));
    CHECK_THAT(e2e::Json::parse(res.body), e2e::Field("success", true) && e2e::Field("message", "Echo: hello-basic") &&
                                               e2e::Field("user", e2e::settings().str("AUTH_USER")));
}
