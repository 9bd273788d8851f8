// AWS Signature Version 4: signs requests (Authorization header or presigned query) for the
// suite's clients and verifies them for the reference S3/DynamoDB services. Plain values in and
// out; OpenSSL stays inside lib/src/sigv4.cpp.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace e2e::sigv4 {

inline constexpr std::string_view algorithm = "AWS4-HMAC-SHA256";
inline constexpr std::string_view unsigned_payload = "UNSIGNED-PAYLOAD";

struct Credentials {
    std::string access_key_id;
    std::string secret_access_key;
    std::string session_token;  // empty: long-term credentials
};

// A request as it goes on the wire. Header names keep their case and order; a value may hold
// folded continuation lines ("a\n  b"), which the canonical form joins with one space.
struct Request {
    std::string method = "GET";
    std::string path = "/";  // as sent, possibly unnormalised ("/a/./b//c")
    std::string query;       // raw query string without '?', as sent ("b=2&a=%E1%88%B4")
    std::vector<std::pair<std::string, std::string>> headers;  // must hold Host
    std::string body;
};

struct Options {
    std::string region;
    std::string service;
    std::chrono::system_clock::time_point time;
    bool normalize_path = true;      // remove dot segments, collapse "//"; S3: false
    bool double_encode_path = true;  // encode the sent path once more; S3: false (encoded once)
    bool sign_body = false;          // header form: add and sign x-amz-content-sha256
    std::optional<std::string> payload_hash;  // instead of sha256(body), e.g. UNSIGNED-PAYLOAD
    std::chrono::seconds expires{3600};       // presign only: X-Amz-Expires
    bool omit_session_token = false;  // token sent but left out of the signature (e.g. IoT)
};

// S3's rules: path neither normalised nor double-encoded, body hash sent in x-amz-content-sha256.
// Presigned S3 URLs also need payload_hash = unsigned_payload (the body is not known yet).
Options s3_options(std::string region, std::chrono::system_clock::time_point time);

struct Signed {
    std::string canonical_request;
    std::string string_to_sign;
    std::string signature;  // lower-case hex
    // Header form: headers to append, in order (X-Amz-Security-Token, X-Amz-Date,
    // x-amz-content-sha256, Authorization). Presign: empty.
    std::vector<std::pair<std::string, std::string>> headers;
    // Presign: query parameters (decoded) to append, in order, X-Amz-Signature last.
    std::vector<std::pair<std::string, std::string>> query;
    // The query string to send: the request's own followed by the encoded `query`.
    std::string query_string;
};

// Throws std::invalid_argument (naming the header or option) for a request that cannot be
// signed: no Host header, or one of the headers/parameters the signer adds already present.
Signed sign_headers(const Request& request, const Credentials& credentials, const Options& options);
Signed presign(const Request& request, const Credentials& credentials, const Options& options);

// --- verification (server side) ---

// The parts of "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/s3/aws4_request,
// SignedHeaders=host;x-amz-date, Signature=<hex>".
struct CredentialScope {
    std::string access_key_id;
    std::string date;  // YYYYMMDD
    std::string region;
    std::string service;
};
struct Authorization {
    CredentialScope credential;
    std::vector<std::string> signed_headers;  // lower-case, as listed
    std::string signature;
};

// Throw std::invalid_argument naming the malformed part.
CredentialScope parse_credential(std::string_view credential);  // "AKID/date/region/service/aws4_request"
Authorization parse_authorization(std::string_view header_value);

struct VerifyOptions {
    std::chrono::system_clock::time_point now;
    bool normalize_path = true;      // as in Options; S3: false
    bool double_encode_path = true;  // as in Options; S3: false
    // Payload hash assumed when the request has no x-amz-content-sha256 header (default:
    // sha256 of the body); S3 presigned URLs use UNSIGNED-PAYLOAD.
    std::optional<std::string> payload_hash;
    std::chrono::seconds max_clock_skew{15 * 60};     // header form: AWS allows 15 minutes
    std::chrono::seconds max_expires{7 * 24 * 3600};  // presign: AWS caps X-Amz-Expires at 7 days
};

// Returns nullopt when the key is unknown.
using SecretLookup = std::function<std::optional<std::string>(std::string_view access_key_id)>;

struct Verdict {
    bool valid = false;
    std::string reason;  // why it was rejected, naming the part; empty when valid
    CredentialScope credential;
    std::string session_token;  // X-Amz-Security-Token as received, for the caller to check
    std::string canonical_request;  // recomputed, for SignatureDoesNotMatch responses
    std::string string_to_sign;

    explicit operator bool() const { return valid; }
};

// Recomputes the signature of a received request. Checks the algorithm, the scope (date matches
// X-Amz-Date, terminator aws4_request), Host being signed, clock skew (header form) or expiry
// (presign), and x-amz-content-sha256 against the body unless it is UNSIGNED-PAYLOAD/STREAMING-*.
Verdict verify_headers(const Request& request, const SecretLookup& secrets, const VerifyOptions& options);
Verdict verify_presigned(const Request& request, const SecretLookup& secrets, const VerifyOptions& options);

// --- building blocks ---

std::string sha256_hex(std::string_view data);
std::string hmac_sha256(std::string_view key, std::string_view data);  // raw 32 bytes
std::string hex(std::string_view bytes);                               // lower-case
// kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")
std::string signing_key(std::string_view secret, std::string_view date, std::string_view region,
                        std::string_view service);

// RFC 3986 percent-encoding of everything but A-Z a-z 0-9 - . _ ~ (and '/' unless encode_slash).
std::string uri_encode(std::string_view text, bool encode_slash);
// Decodes %XX sequences; anything else, including '+' and a malformed '%', is kept as is.
std::string uri_decode(std::string_view text);

// `path` as sent; `normalize` and `double_encode` as in Options.
std::string canonical_uri(std::string_view path, bool normalize, bool double_encode);
// Pairs sorted by encoded name then value; every name and value decoded then encoded once.
std::string canonical_query(std::string_view raw_query);
// "name=value&..." with each name and value encoded, in the given order.
std::string encode_query(const std::vector<std::pair<std::string, std::string>>& params);

std::string format_amz_date(std::chrono::system_clock::time_point time);  // 20150830T123600Z
std::optional<std::chrono::system_clock::time_point> parse_amz_date(std::string_view text);

}  // namespace e2e::sigv4
