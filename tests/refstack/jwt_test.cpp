#include "jwt.hpp"

#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <string>

#include "base64.hpp"
#include "e2e/json.hpp"

using Catch::Matchers::ContainsSubstring;
using refstack::jwt_sign_hs256;
using refstack::jwt_verify_hs256;

namespace {

constexpr const char* kSecret = "an-e2e-secret-of-at-least-32-characters";
constexpr std::int64_t kNow = 1'700'000'000;

std::string token_for(std::string subject, std::int64_t issued_at = kNow, std::int64_t expires_at = kNow + 3000,
                      const char* secret = kSecret) {
    return jwt_sign_hs256({std::move(subject), issued_at, expires_at}, secret);
}

// A token with the given header and payload JSON and a signature that is not theirs: for checks
// that run before the signature (alg) or with the signature check disabled.
std::string forge(const std::string& header, const std::string& payload) {
    using refstack::Base64Alphabet;
    return refstack::base64_encode(header, Base64Alphabet::url) + "." + refstack::base64_encode(payload, Base64Alphabet::url) + "." +
           refstack::base64_encode(std::string(32, 'x'), Base64Alphabet::url);
}

e2e::Json segment(const std::string& token, int index) {
    std::size_t start = 0;
    for (int i = 0; i < index; ++i) start = token.find('.', start) + 1;
    const auto end = token.find('.', start);
    return e2e::Json::parse(*refstack::base64_decode(token.substr(start, end - start), refstack::Base64Alphabet::url));
}

}  // namespace

TEST_CASE("a signed token verifies and yields its subject", "[refstack][jwt]") {
    const auto verification = jwt_verify_hs256(token_for("e2e-user"), kSecret, kNow);
    REQUIRE(verification.valid());
    CHECK(*verification.subject == "e2e-user");
    CHECK(verification.reason.empty());
}

TEST_CASE("a signed token has an HS256 header and sub exp iat claims in unpadded base64url", "[refstack][jwt]") {
    const auto token = token_for("e2e-user", kNow, kNow + 3000);
    CHECK(token.find('=') == std::string::npos);
    CHECK(token.find('+') == std::string::npos);
    CHECK(token.find('/') == std::string::npos);
    CHECK(segment(token, 0) == e2e::Json::object({{"alg", "HS256"}, {"typ", "JWT"}}));
    CHECK(segment(token, 1) == e2e::Json::object({{"sub", "e2e-user"}, {"exp", kNow + 3000}, {"iat", kNow}}));
}

TEST_CASE("the signature matches the published HS256 example token", "[refstack][jwt]") {
    // jwt.io's example: {"alg":"HS256","typ":"JWT"} / {"sub":"1234567890","name":"John Doe","iat":1516239022}
    // signed with "your-256-bit-secret". It has no exp, so a correct signature gets as far as the exp check.
    const std::string example =
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ."
        "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
    CHECK(jwt_verify_hs256(example, "your-256-bit-secret", kNow).reason == "missing exp claim");
    CHECK(jwt_verify_hs256(example, "another-secret", kNow).reason == "bad signature");
}

TEST_CASE("a token signed with another secret is refused", "[refstack][jwt]") {
    const auto verification = jwt_verify_hs256(token_for("e2e-user", kNow, kNow + 3000, "a-different-secret-of-32-characters!!"), kSecret, kNow);
    CHECK_FALSE(verification.valid());
    CHECK(verification.reason == "bad signature");
}

TEST_CASE("a token whose payload was altered is refused", "[refstack][jwt]") {
    const auto token = token_for("e2e-user");
    const auto first = token.find('.');
    const auto second = token.find('.', first + 1);
    const auto other_payload = refstack::base64_encode(R"({"sub":"admin","exp":9999999999,"iat":1})", refstack::Base64Alphabet::url);
    const auto tampered = token.substr(0, first + 1) + other_payload + token.substr(second);
    CHECK(jwt_verify_hs256(tampered, kSecret, kNow).reason == "bad signature");
}

TEST_CASE("a token is refused from its expiry second on", "[refstack][jwt]") {
    const auto token = token_for("e2e-user", kNow, kNow + 10);
    CHECK(jwt_verify_hs256(token, kSecret, kNow + 9).valid());
    CHECK(jwt_verify_hs256(token, kSecret, kNow + 10).reason == "token expired");
    CHECK(jwt_verify_hs256(token, kSecret, kNow + 4000).reason == "token expired");
}

TEST_CASE("garbled tokens are refused with a reason and never throw", "[refstack][jwt]") {
    for (const std::string garbled : {"", "abc", "a.b", "a.b.c.d", "!!!.???.###", "e30.e30.", "W10.e30.abc"}) {
        const auto verification = jwt_verify_hs256(garbled, kSecret, kNow);
        CHECK_FALSE(verification.valid());
        CHECK_FALSE(verification.reason.empty());
    }
}

TEST_CASE("tokens with another algorithm are refused", "[refstack][jwt]") {
    const auto payload = R"({"sub":"e2e-user","exp":1800000000,"iat":1700000000})";
    CHECK(jwt_verify_hs256(forge(R"({"alg":"none","typ":"JWT"})", payload), kSecret, kNow).reason == "unsupported JWT algorithm");
    CHECK(jwt_verify_hs256(forge(R"({"alg":"HS512"})", payload), kSecret, kNow).reason == "unsupported JWT algorithm");
    CHECK(jwt_verify_hs256(forge(R"({"typ":"JWT"})", payload), kSecret, kNow).reason == "unsupported JWT algorithm");
}

TEST_CASE("tokens without a usable sub or exp claim are refused", "[refstack][jwt]") {
    const refstack::JwtVerifyOptions unsigned_check{.check_signature = false};
    const auto header = R"({"alg":"HS256","typ":"JWT"})";
    CHECK(jwt_verify_hs256(forge(header, R"({"exp":1800000000})"), kSecret, kNow, unsigned_check).reason == "missing sub claim");
    CHECK(jwt_verify_hs256(forge(header, R"({"sub":7,"exp":1800000000})"), kSecret, kNow, unsigned_check).reason ==
          "missing sub claim");
    CHECK(jwt_verify_hs256(forge(header, R"({"sub":"u"})"), kSecret, kNow, unsigned_check).reason == "missing exp claim");
    CHECK(jwt_verify_hs256(forge(header, R"({"sub":"u","exp":"never"})"), kSecret, kNow, unsigned_check).reason ==
          "exp claim is not a number");
    CHECK(jwt_verify_hs256(forge(header, R"({"sub":"u","exp":1800000000,"nbf":1750000000})"), kSecret, kNow, unsigned_check)
              .reason == "token not yet valid");
    CHECK(jwt_verify_hs256(forge(header, "[1,2]"), kSecret, kNow, unsigned_check).reason == "malformed JWT payload");
}

TEST_CASE("disabling the signature check accepts a foreign signature but still checks expiry", "[refstack][jwt]") {
    const refstack::JwtVerifyOptions unsigned_check{.check_signature = false};
    const auto foreign = token_for("e2e-user", kNow, kNow + 3000, "a-different-secret-of-32-characters!!");
    const auto accepted = jwt_verify_hs256(foreign, kSecret, kNow, unsigned_check);
    REQUIRE(accepted.valid());
    CHECK(*accepted.subject == "e2e-user");
    const auto expired = token_for("e2e-user", kNow - 5000, kNow - 2000, "a-different-secret-of-32-characters!!");
    CHECK_THAT(jwt_verify_hs256(expired, kSecret, kNow, unsigned_check).reason, ContainsSubstring("expired"));
}
