#include "jwt.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cmath>
#include <stdexcept>
#include <vector>

#include "base64.hpp"
#include "e2e/json.hpp"

namespace refstack {
namespace {

std::string hmac_sha256(std::string_view key, std::string_view data) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
             data.size(), digest, &length) == nullptr) {
        throw std::runtime_error("HMAC-SHA256 failed in OpenSSL");
    }
    return std::string(reinterpret_cast<const char*>(digest), length);
}

JwtVerification refuse(std::string reason) { return JwtVerification{std::nullopt, std::move(reason)}; }

std::optional<e2e::Json> decode_json_segment(std::string_view segment) {
    const auto bytes = base64_decode(segment, Base64Alphabet::url);
    if (!bytes) return std::nullopt;
    auto json = e2e::Json::try_parse(*bytes);
    if (!json || !json->is_object()) return std::nullopt;
    return json;
}

}  // namespace

std::string jwt_sign_hs256(const JwtClaims& claims, std::string_view secret) {
    const auto header = e2e::Json::object({{"alg", "HS256"}, {"typ", "JWT"}}).dump();
    const auto payload =
        e2e::Json::object({{"sub", claims.subject}, {"exp", claims.expires_at}, {"iat", claims.issued_at}}).dump();
    std::string signing_input = base64_encode(header, Base64Alphabet::url) + "." + base64_encode(payload, Base64Alphabet::url);
    const auto signature = hmac_sha256(secret, signing_input);
    return signing_input + "." + base64_encode(signature, Base64Alphabet::url);
}

JwtVerification jwt_verify_hs256(std::string_view token, std::string_view secret, std::int64_t now_epoch_seconds,
                                 JwtVerifyOptions options) {
    const auto first = token.find('.');
    const auto second = first == std::string_view::npos ? first : token.find('.', first + 1);
    if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) {
        return refuse("not a JWT (expected three dot-separated segments)");
    }
    const auto header_segment = token.substr(0, first);
    const auto payload_segment = token.substr(first + 1, second - first - 1);
    const auto signature_segment = token.substr(second + 1);

    const auto header = decode_json_segment(header_segment);
    if (!header) return refuse("malformed JWT header");
    const auto alg = header->find("alg");
    if (!alg || !alg->is_string() || alg->str() != "HS256") return refuse("unsupported JWT algorithm");

    const auto signature = base64_decode(signature_segment, Base64Alphabet::url);
    if (!signature) return refuse("malformed JWT signature");
    if (options.check_signature) {
        const auto expected = hmac_sha256(secret, token.substr(0, second));
        if (signature->size() != expected.size() ||
            CRYPTO_memcmp(signature->data(), expected.data(), expected.size()) != 0) {
            return refuse("bad signature");
        }
    }

    const auto payload = decode_json_segment(payload_segment);
    if (!payload) return refuse("malformed JWT payload");
    const auto exp = payload->find("exp");
    if (!exp) return refuse("missing exp claim");
    if (!exp->is_number()) return refuse("exp claim is not a number");
    if (std::floor(exp->number()) <= static_cast<double>(now_epoch_seconds)) return refuse("token expired");
    if (const auto nbf = payload->find("nbf")) {
        if (!nbf->is_number()) return refuse("nbf claim is not a number");
        if (nbf->number() > static_cast<double>(now_epoch_seconds)) return refuse("token not yet valid");
    }
    const auto sub = payload->find("sub");
    if (!sub || !sub->is_string() || sub->str().empty()) return refuse("missing sub claim");
    return JwtVerification{sub->str(), {}};
}

}  // namespace refstack
