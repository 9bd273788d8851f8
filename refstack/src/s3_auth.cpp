#include "s3_auth.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <stdexcept>

#include "e2e/sigv4.hpp"

namespace refstack {
namespace {

namespace sigv4 = e2e::sigv4;
using Clock = std::chrono::system_clock;
using Params = std::vector<std::pair<std::string, std::string>>;

constexpr std::chrono::seconds kMaxClockSkew{15 * 60};
constexpr std::chrono::seconds kMaxPresignExpiry{7 * 24 * 3600};

std::string_view trim(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
    return text;
}

std::optional<std::string> param(const Params& params, std::string_view name) {
    for (const auto& [key, value] : params)
        if (key == name) return value;
    return std::nullopt;
}

std::string without_sigv4_prefix(std::string text) {
    constexpr std::string_view prefix = "sigv4: ";
    if (text.starts_with(prefix)) text.erase(0, prefix.size());
    return text;
}

S3Error invalid_access_key(const std::string& access_key) {
    return {403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.",
            {{"AWSAccessKeyId", access_key}}};
}

// The scope names our access key, service s3 and an accepted region; `malformed` is the code of a
// bad scope (AuthorizationHeaderMalformed or AuthorizationQueryParametersError).
std::optional<S3Error> check_scope(const sigv4::CredentialScope& scope, const S3Credentials& credentials,
                                   const std::string& malformed, std::string_view what) {
    if (scope.access_key_id != credentials.access_key) return invalid_access_key(scope.access_key_id);
    if (scope.service != "s3")
        return S3Error{400, malformed, fmt::format("{}; incorrect service '{}'. This endpoint belongs to 's3'.", what, scope.service)};
    if (std::find(credentials.regions.begin(), credentials.regions.end(), scope.region) == credentials.regions.end())
        return S3Error{400, malformed,
                       fmt::format("{}; the region '{}' is wrong; expecting '{}'", what, scope.region, credentials.regions.front()),
                       {{"Region", credentials.regions.front()}}};
    return std::nullopt;
}

// x-amz-content-sha256, when sent, is a hash the body matches or UNSIGNED-PAYLOAD.
std::optional<S3Error> check_content_hash(const Request& request, bool required) {
    const auto sent = request.header("x-amz-content-sha256");
    if (!sent) {
        if (!required) return std::nullopt;
        return S3Error{400, "InvalidRequest", "Missing required header for this request: x-amz-content-sha256"};
    }
    const std::string_view value = trim(*sent);
    if (value.starts_with("STREAMING-"))
        return S3Error{501, "NotImplemented",
                       fmt::format("x-amz-content-sha256 '{}' (aws-chunked upload) is not supported by the reference stack; "
                                   "send the body in one piece",
                                   printable(value))};
    if (value == sigv4::unsigned_payload) return std::nullopt;
    const std::string computed = sigv4::sha256_hex(request.body);
    if (value != computed)
        return S3Error{400, "XAmzContentSHA256Mismatch",
                       "The provided 'x-amz-content-sha256' header does not match what was computed.",
                       {{"ClientComputedContentSHA256", printable(value)}, {"S3ComputedContentSHA256", computed}}};
    return std::nullopt;
}

S3Error signature_mismatch(const sigv4::Verdict& verdict, const std::string& signature) {
    return {403,
            "SignatureDoesNotMatch",
            fmt::format("The request signature we calculated does not match the signature you provided. Check your key "
                        "and signing method. ({})",
                        verdict.reason),
            {{"AWSAccessKeyId", verdict.credential.access_key_id},
             {"StringToSign", verdict.string_to_sign},
             {"SignatureProvided", printable(signature)},
             {"CanonicalRequest", verdict.canonical_request}}};
}

sigv4::VerifyOptions verify_options(Clock::time_point now) {
    sigv4::VerifyOptions options;
    options.now = now;
    options.normalize_path = false;
    options.double_encode_path = false;
    options.max_clock_skew = kMaxClockSkew;
    options.max_expires = kMaxPresignExpiry;
    return options;
}

sigv4::SecretLookup secret_of(const S3Credentials& credentials) {
    return [&credentials](std::string_view access_key) -> std::optional<std::string> {
        if (access_key == credentials.access_key) return credentials.secret_key;
        return std::nullopt;
    };
}

sigv4::Request signable(const Request& request) {
    return {request.method, request.path, request.query, request.headers, request.body};
}

std::optional<S3Error> check_header_signature(const Request& request, std::string_view authorization,
                                              const S3Credentials& credentials, Clock::time_point now) {
    const std::string_view value = trim(authorization);
    if (!value.starts_with(sigv4::algorithm)) {
        if (value.starts_with("AWS "))
            return S3Error{400, "InvalidRequest",
                           "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256."};
        return S3Error{400, "InvalidArgument", "Unsupported Authorization Type", {{"ArgumentName", "Authorization"}}};
    }
    constexpr std::string_view malformed = "The authorization header is malformed";
    sigv4::Authorization parsed;
    try {
        parsed = sigv4::parse_authorization(value);
    } catch (const std::invalid_argument& error) {
        return S3Error{400, "AuthorizationHeaderMalformed",
                       fmt::format("{}; {}", malformed, without_sigv4_prefix(error.what()))};
    }
    if (auto error = check_scope(parsed.credential, credentials, "AuthorizationHeaderMalformed", malformed)) return error;

    const auto amz_date = request.header("x-amz-date");
    const auto time = amz_date ? sigv4::parse_amz_date(trim(*amz_date)) : std::nullopt;
    if (!time) return S3Error{403, "AccessDenied", "AWS authentication requires a valid Date or x-amz-date header"};
    if ((*time > now ? *time - now : now - *time) > kMaxClockSkew)
        return S3Error{403,
                       "RequestTimeTooSkewed",
                       "The difference between the request time and the current time is too large.",
                       {{"RequestTime", printable(*amz_date)},
                        {"ServerTime", format_iso8601(now)},
                        {"MaxAllowedSkewMilliseconds", std::to_string(kMaxClockSkew.count() * 1000)}}};
    if (auto error = check_content_hash(request, true)) return error;

    const auto verdict = sigv4::verify_headers(signable(request), secret_of(credentials), verify_options(now));
    if (!verdict) return signature_mismatch(verdict, parsed.signature);
    return std::nullopt;
}

std::optional<S3Error> check_presigned(const Request& request, const Params& params, const S3Credentials& credentials,
                                       Clock::time_point now) {
    constexpr std::string_view code = "AuthorizationQueryParametersError";
    const auto algorithm = param(params, "X-Amz-Algorithm");
    const auto credential = param(params, "X-Amz-Credential");
    const auto amz_date = param(params, "X-Amz-Date");
    const auto expires = param(params, "X-Amz-Expires");
    const auto signed_headers = param(params, "X-Amz-SignedHeaders");
    const auto signature = param(params, "X-Amz-Signature");
    if (!algorithm || !credential || !amz_date || !expires || !signed_headers || !signature)
        return S3Error{400, std::string(code),
                       "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, "
                       "X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters."};
    if (*algorithm != sigv4::algorithm)
        return S3Error{400, std::string(code), "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\""};
    constexpr std::string_view malformed = "Error parsing the X-Amz-Credential parameter";
    sigv4::CredentialScope scope;
    try {
        scope = sigv4::parse_credential(*credential);
    } catch (const std::invalid_argument& error) {
        return S3Error{400, std::string(code), fmt::format("{}; {}", malformed, without_sigv4_prefix(error.what()))};
    }
    if (auto error = check_scope(scope, credentials, std::string(code), malformed)) return error;

    const auto time = sigv4::parse_amz_date(*amz_date);
    if (!time)
        return S3Error{400, std::string(code), "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\""};
    long long seconds = 0;
    const auto [end, parse_error] = std::from_chars(expires->data(), expires->data() + expires->size(), seconds);
    if (parse_error != std::errc{} || end != expires->data() + expires->size())
        return S3Error{400, std::string(code), fmt::format("X-Amz-Expires should be a number, not '{}'", printable(*expires))};
    if (seconds < 0) return S3Error{400, std::string(code), "X-Amz-Expires must be non-negative"};
    if (seconds > kMaxPresignExpiry.count())
        return S3Error{400, std::string(code),
                       fmt::format("X-Amz-Expires must be less than a week (in seconds) that is {}", kMaxPresignExpiry.count())};
    const auto expiry = *time + std::chrono::seconds(seconds);
    if (now >= expiry)
        return S3Error{403,
                       "AccessDenied",
                       "Request has expired",
                       {{"X-Amz-Expires", *expires}, {"Expires", format_iso8601(expiry)}, {"ServerTime", format_iso8601(now)}}};
    if (*time - now > kMaxClockSkew)
        return S3Error{403, "AccessDenied", "Request is not valid yet",
                       {{"X-Amz-Date", *amz_date}, {"ServerTime", format_iso8601(now)}}};
    if (auto error = check_content_hash(request, false)) return error;

    auto options = verify_options(now);
    options.payload_hash = std::string(sigv4::unsigned_payload);
    const auto verdict = sigv4::verify_presigned(signable(request), secret_of(credentials), options);
    if (!verdict) return signature_mismatch(verdict, *signature);
    return std::nullopt;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> parse_s3_query(std::string_view raw_query) {
    Params out;
    while (!raw_query.empty()) {
        const auto amp = raw_query.find('&');
        const std::string_view item = raw_query.substr(0, amp);
        if (!item.empty()) {
            const auto eq = item.find('=');
            out.emplace_back(sigv4::uri_decode(item.substr(0, eq)),
                             eq == std::string_view::npos ? std::string() : sigv4::uri_decode(item.substr(eq + 1)));
        }
        if (amp == std::string_view::npos) break;
        raw_query.remove_prefix(amp + 1);
    }
    return out;
}

std::optional<S3Error> authenticate_s3_request(const Request& request, const S3Credentials& credentials,
                                               Clock::time_point now) {
    const auto authorization = request.header("Authorization");
    const Params params = parse_s3_query(request.query);
    const bool presigned = param(params, "X-Amz-Signature") || param(params, "X-Amz-Credential") ||
                           param(params, "X-Amz-Algorithm");
    if (authorization && presigned)
        return S3Error{400, "InvalidArgument",
                       "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query "
                       "string parameter or the Authorization header should be specified",
                       {{"ArgumentName", "Authorization"}}};
    if (authorization) return check_header_signature(request, *authorization, credentials, now);
    if (presigned) return check_presigned(request, params, credentials, now);
    return S3Error{403, "AccessDenied", "Access Denied (anonymous request: sign it with SigV4 or presign the URL)"};
}

}  // namespace refstack
