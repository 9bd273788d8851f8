// HS256 JSON Web Tokens as the gateway issues them (contract 1.4): header {"alg":"HS256","typ":"JWT"},
// claims sub/exp/iat, segments base64url without padding, HMAC-SHA256 with JWT_SECRET_KEY. The
// secret is the only state, so tokens survive a gateway restart while the secret is stable.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace refstack {

struct JwtClaims {
    std::string subject;       // sub
    std::int64_t issued_at;    // iat, epoch seconds
    std::int64_t expires_at;   // exp, epoch seconds
};

std::string jwt_sign_hs256(const JwtClaims& claims, std::string_view secret);

struct JwtVerifyOptions {
    bool check_signature = true;  // false only under the auth.accept_bad_signature fault
};

// Either the token's subject or why it was refused ("expired", "bad signature", ...).
struct JwtVerification {
    std::optional<std::string> subject;
    std::string reason;  // empty when valid

    bool valid() const { return subject.has_value(); }
};

// Checks, in order: three base64url segments, a JSON object header with alg "HS256", the
// signature (constant-time), a JSON object payload, exp present and numeric and > now, nbf (when
// present) <= now, sub a non-empty string. Never throws.
JwtVerification jwt_verify_hs256(std::string_view token, std::string_view secret, std::int64_t now_epoch_seconds,
                                 JwtVerifyOptions options = {});

}  // namespace refstack
