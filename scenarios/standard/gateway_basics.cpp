// Gateway basics (contract 1.3-1.6; 5.4 STD-005..008) plus negative Bearer-auth cases the ESB
// suite does not have: a garbled token, a token signed with another secret, an expired token and
// a token whose exp claim was altered after signing must all get 401.
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "e2e/matchers.hpp"
#include "e2e/scenario.hpp"
#include "e2e/sigv4.hpp"

namespace {

constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string base64url_encode(std::string_view bytes) {
    std::string out;
    std::uint32_t buffer = 0;
    int bits = 0;
    for (unsigned char c : bytes) {
        buffer = (buffer << 8) | c;
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            out += kAlphabet[(buffer >> bits) & 0x3f];
        }
    }
    if (bits > 0) out += kAlphabet[(buffer << (6 - bits)) & 0x3f];
    return out;  // unpadded, as JWTs are
}

std::optional<std::string> base64url_decode(std::string_view text) {
    std::string out;
    std::uint32_t buffer = 0;
    int bits = 0;
    for (char c : text) {
        if (c == '=') break;
        const auto pos = kAlphabet.find(c);
        if (pos == std::string_view::npos) return std::nullopt;
        buffer = (buffer << 6) | static_cast<std::uint32_t>(pos);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((buffer >> bits) & 0xff);
        }
    }
    return out;
}

struct JwtParts {
    std::string header;   // encoded segments, as received
    std::string payload;
    std::string signature;
};

JwtParts split_jwt(const std::string& token) {
    const auto first = token.find('.');
    const auto second = first == std::string::npos ? std::string::npos : token.find('.', first + 1);
    REQUIRE(second != std::string::npos);
    REQUIRE(token.find('.', second + 1) == std::string::npos);
    return {token.substr(0, first), token.substr(first + 1, second - first - 1), token.substr(second + 1)};
}

e2e::Json decode_segment(const std::string& segment) {
    const auto bytes = base64url_decode(segment);
    REQUIRE(bytes.has_value());
    return e2e::Json::parse(*bytes);
}

// header.payload signed with HS256 under `secret`.
std::string sign_hs256(const e2e::Json& payload, std::string_view secret) {
    const auto signing_input = base64url_encode(R"({"alg":"HS256","typ":"JWT"})") + "." + base64url_encode(payload.dump());
    return signing_input + "." + base64url_encode(e2e::sigv4::hmac_sha256(secret, signing_input));
}

// The valid token's claims with `exp` replaced (other members kept in order).
e2e::Json with_exp(const e2e::Json& claims, std::int64_t exp) {
    std::vector<e2e::JsonMember> members;
    for (auto& [name, value] : claims.members()) members.emplace_back(name, name == "exp" ? e2e::JsonValue(exp) : e2e::JsonValue(value));
    if (!claims.has("exp")) members.emplace_back("exp", exp);
    return e2e::Json::object(members);
}

std::int64_t now_epoch() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

void require_unauthorized(const e2e::HttpResponse& res) {
    REQUIRE_THAT(res, e2e::Status(401));
    CHECK_THAT(e2e::Json::parse(res.body), e2e::Field("message", "Unauthorized"));
}

e2e::HttpResponse echo_with(std::optional<std::string> token) {
    return e2e::gateway().post("/api/echo", {{"message", "test"}}, std::move(token));
}

}  // namespace

TEST_CASE("gateway health reports healthy", "[standard][STD-005]") {
    auto res = e2e::gateway().get("/health");
    REQUIRE_THAT(res, e2e::Status(200));
    CHECK_THAT(e2e::Json::parse(res.body),
               e2e::Field("status", "healthy") && e2e::FieldType("timestamp", e2e::JsonType::string));
}

TEST_CASE("auth endpoint issues a usable signed token", "[standard][STD-006]") {
    const auto& token = e2e::token();
    REQUIRE_FALSE(token.empty());
    // ESB only re-checks that the fixture produced a token. Here: it is an HS256 JWT for AUTH_USER
    // that has not expired, and the gateway accepts it on a routed call.
    const auto parts = split_jwt(token);
    CHECK_THAT(decode_segment(parts.header), e2e::Field("alg", "HS256"));
    const auto claims = decode_segment(parts.payload);
    INFO("claims: " << claims);
    CHECK_THAT(claims, e2e::Field("sub", e2e::settings().str("AUTH_USER")));
    REQUIRE_THAT(claims, e2e::FieldType("exp", e2e::JsonType::number));
    CHECK(claims.number("exp") > static_cast<double>(now_epoch()));
    auto res = echo_with(token);
    REQUIRE_THAT(res, e2e::Status(200));
    CHECK_THAT(e2e::Json::parse(res.body), e2e::Field("message", "Echo: test"));
}

TEST_CASE("routed call without a token answers 401", "[standard][STD-007]") {
    require_unauthorized(echo_with(std::nullopt));
}

TEST_CASE("unknown route with a token answers 404", "[standard][STD-008]") {
    auto res = e2e::gateway().post("/api/nonexistent", {{"action", "test"}}, e2e::token());
    REQUIRE_THAT(res, e2e::Status(404));
    CHECK_THAT(e2e::Json::parse(res.body), e2e::Field("message", "Not Found"));
}

TEST_CASE("routed call with a garbled token answers 401", "[standard][STD-007]") {
    require_unauthorized(echo_with("garbled-not-a-jwt"));
    require_unauthorized(echo_with("aaaa.bbbb.cccc"));
}

TEST_CASE("routed call with a token signed by another secret answers 401", "[standard][STD-007]") {
    const auto claims = decode_segment(split_jwt(e2e::token()).payload);
    // Same claims as the valid token, signed with a secret the gateway does not have.
    require_unauthorized(echo_with(sign_hs256(claims, "not-the-gateway-secret-0123456789abcdef")));
}

TEST_CASE("routed call with an altered exp claim answers 401", "[standard][STD-007]") {
    // Without the gateway's secret an expired token cannot be minted: the valid token's exp is
    // moved into the past and its signature kept, so the gateway must reject it (bad signature or
    // expired, either way 401).
    const auto parts = split_jwt(e2e::token());
    const auto claims = decode_segment(parts.payload);
    const auto tampered = parts.header + "." + base64url_encode(with_exp(claims, now_epoch() - 3600).dump()) + "." + parts.signature;
    require_unauthorized(echo_with(tampered));
}

TEST_CASE("routed call with an expired token signed by the gateway secret answers 401", "[standard][STD-007]") {
    const auto secret = e2e::settings().raw("JWT_SECRET_KEY");
    if (!secret || secret->empty())
        SKIP("JWT_SECRET_KEY is not set: an expired token with a valid signature cannot be made "
             "(the altered-exp case still runs)");
    const auto claims = decode_segment(split_jwt(e2e::token()).payload);
    // Control: the same secret with a future exp is accepted, so the 401 below is the expiry.
    auto fresh = echo_with(sign_hs256(with_exp(claims, now_epoch() + 600), *secret));
    REQUIRE_THAT(fresh, e2e::Status(200));
    require_unauthorized(echo_with(sign_hs256(with_exp(claims, now_epoch() - 60), *secret)));
}

namespace {

e2e::Json auth_body(const std::string& user, const std::string& password) {
    return e2e::Json::object({{"AuthParameters", e2e::Json::object({{"USERNAME", user}, {"PASSWORD", password}})}});
}

}  // namespace

// Contract 1.4's failure order; ESB's suite only ever checks the success path.
TEST_CASE("auth endpoint refuses a wrong api key and wrong credentials", "[standard][STD-006]") {
    const auto& config = e2e::settings();
    const auto path = config.str("AUTH_ENDPOINT_PATH", "/user/auth/v1");
    const auto user = config.str("AUTH_USER");
    const auto password = config.str("AUTH_PASS");
    auto& gw = e2e::gateway();

    const auto no_key = gw.post(path, auth_body(user, password));
    CHECK_THAT(no_key, e2e::Status(401));
    const auto wrong_key = gw.post(path, auth_body(user, password), std::nullopt, {{"x-api-key", "not-the-api-key"}});
    CHECK_THAT(wrong_key, e2e::Status(401));
    CHECK_FALSE(wrong_key.header("PADMA_USER_AUTHORIZED").has_value());
    const auto wrong_password =
        gw.post(path, auth_body(user, password + "-wrong"), std::nullopt, {{"x-api-key", config.str("X_API_KEY")}});
    CHECK_THAT(wrong_password, e2e::Status(401));
    CHECK(wrong_password.header("PADMA_USER_AUTHORIZED") == "true");
    const auto malformed = gw.post(path, e2e::Json::object({{"AuthParameters", "nope"}}), std::nullopt,
                                   {{"x-api-key", config.str("X_API_KEY")}});
    CHECK_THAT(malformed, e2e::Status(422));
}

// Contract 1.3: the trace middleware answers every request with the trace it adopted and a request id.
TEST_CASE("gateway answers carry the caller trace and a request id", "[standard][STD-005]") {
    const std::string root = "1-5f0a1b2c-0123456789abcdef01234567";
    const auto res = e2e::gateway().post("/api/echo", {{"message", "trace-headers"}}, e2e::token(),
                                         {{"X-Amzn-Trace-Id", "Root=" + root + ";Sampled=1"}});
    REQUIRE_THAT(res, e2e::Status(200));
    const auto trace = res.header("X-Amzn-Trace-Id");
    REQUIRE(trace.has_value());
    CHECK(trace->find("Root=" + root) != std::string::npos);
    const auto request_id = res.header("x-amzn-RequestId");
    REQUIRE(request_id.has_value());
    CHECK(request_id->size() == 36);
    const auto health = e2e::gateway().get("/health");
    CHECK(health.header("X-Amzn-Trace-Id").has_value());
    CHECK(health.header("x-amzn-RequestId").has_value());
}
