// AWS Signature Version 4 (https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html).
#include "e2e/sigv4.hpp"

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <map>
#include <stdexcept>

namespace e2e::sigv4 {
namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;

constexpr std::string_view scope_terminator = "aws4_request";

// Proxies and HTTP stacks add or rewrite these in flight, so signing them breaks verification.
constexpr std::array<std::string_view, 7> unsigned_headers = {
    "authorization", "user-agent", "x-amzn-trace-id", "expect", "connection", "transfer-encoding", "upgrade"};

std::string lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; });
    return out;
}

bool iequals(std::string_view a, std::string_view b) { return a.size() == b.size() && lower(a) == lower(b); }

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// Trims and folds every run of whitespace (continuation line breaks included) into one space.
std::string canonical_header_value(std::string_view value) {
    std::string out;
    out.reserve(value.size());
    bool pending_space = false;
    for (char c : value) {
        if (is_space(c)) {
            pending_space = !out.empty();
            continue;
        }
        if (pending_space) out += ' ';
        pending_space = false;
        out += c;
    }
    return out;
}

bool is_unsigned_header(std::string_view lower_name) {
    return std::find(unsigned_headers.begin(), unsigned_headers.end(), lower_name) != unsigned_headers.end();
}

const std::string* find_header(const Pairs& headers, std::string_view name) {
    for (const auto& [key, value] : headers)
        if (iequals(key, name)) return &value;
    return nullptr;
}

// Lower-case name -> values of every header with that name, trimmed, joined with ',' in order.
using CanonicalHeaders = std::map<std::string, std::string>;

void add_header(CanonicalHeaders& headers, const std::string& lower_name, std::string_view value) {
    auto [it, inserted] = headers.try_emplace(lower_name, canonical_header_value(value));
    if (!inserted) it->second += ',' + canonical_header_value(value);
}

CanonicalHeaders signable_headers(const Pairs& headers) {
    CanonicalHeaders out;
    for (const auto& [name, value] : headers) {
        std::string key = lower(name);
        if (!is_unsigned_header(key)) add_header(out, key, value);
    }
    return out;
}

struct HeaderBlock {
    std::string canonical;  // "name:value\n" per header
    std::string signed_names;  // "a;b;c"
};

HeaderBlock render_headers(const CanonicalHeaders& headers) {
    HeaderBlock block;
    for (const auto& [name, value] : headers) {
        block.canonical += name + ':' + value + '\n';
        if (!block.signed_names.empty()) block.signed_names += ';';
        block.signed_names += name;
    }
    return block;
}

Pairs parse_query(std::string_view raw) {
    Pairs out;
    while (!raw.empty()) {
        const auto amp = raw.find('&');
        const std::string_view piece = raw.substr(0, amp);
        raw = amp == std::string_view::npos ? std::string_view{} : raw.substr(amp + 1);
        if (piece.empty()) continue;
        const auto eq = piece.find('=');
        if (eq == std::string_view::npos)
            out.emplace_back(uri_decode(piece), std::string{});
        else
            out.emplace_back(uri_decode(piece.substr(0, eq)), uri_decode(piece.substr(eq + 1)));
    }
    return out;
}

std::string canonical_query_of(const Pairs& decoded) {
    Pairs encoded;
    encoded.reserve(decoded.size());
    for (const auto& [name, value] : decoded) encoded.emplace_back(uri_encode(name, true), uri_encode(value, true));
    std::sort(encoded.begin(), encoded.end());
    std::string out;
    for (const auto& [name, value] : encoded) {
        if (!out.empty()) out += '&';
        out += name + '=' + value;
    }
    return out;
}

std::string join_canonical_request(std::string_view method, std::string_view uri, std::string_view query,
                                   const HeaderBlock& headers, std::string_view payload_hash) {
    return fmt::format("{}\n{}\n{}\n{}\n{}\n{}", method, uri, query, headers.canonical, headers.signed_names,
                       payload_hash);
}

std::string scope_of(std::string_view date, std::string_view region, std::string_view service) {
    return fmt::format("{}/{}/{}/{}", date, region, service, scope_terminator);
}

std::string string_to_sign_of(std::string_view amz_date, std::string_view scope, std::string_view canonical_request) {
    return fmt::format("{}\n{}\n{}\n{}", algorithm, amz_date, scope, sha256_hex(canonical_request));
}

void require_host(const Pairs& headers) {
    if (find_header(headers, "host") == nullptr)
        throw std::invalid_argument("sigv4: the request has no Host header; SigV4 requires Host to be signed");
}

void reject_present(const Pairs& headers, std::string_view name) {
    if (find_header(headers, name) != nullptr)
        throw std::invalid_argument(fmt::format("sigv4: the request already has a {} header; the signer adds it", name));
}

std::string payload_hash_of(const Request& request, const Options& options) {
    return options.payload_hash ? *options.payload_hash : sha256_hex(request.body);
}

void require_scope(const Options& options) {
    if (options.region.empty()) throw std::invalid_argument("sigv4: Options::region is empty");
    if (options.service.empty()) throw std::invalid_argument("sigv4: Options::service is empty");
}

bool constant_time_equal(std::string_view a, std::string_view b) {
    return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string_view trim(std::string_view text) {
    while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
    while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
    return text;
}

std::vector<std::string_view> split(std::string_view text, char separator) {
    std::vector<std::string_view> out;
    for (;;) {
        const auto at = text.find(separator);
        out.push_back(text.substr(0, at));
        if (at == std::string_view::npos) return out;
        text.remove_prefix(at + 1);
    }
}

bool is_hex_digit(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return c - 'A' + 10;
}

// Everything but the signature, common to both verification forms.
struct Received {
    CredentialScope credential;
    std::vector<std::string> signed_headers;
    std::string signature;
    std::string amz_date;
    std::string canonical_query;
    std::string payload_hash;
};

Verdict reject(Verdict verdict, std::string reason) {
    verdict.valid = false;
    verdict.reason = std::move(reason);
    return verdict;
}

// Checks the scope, the signed headers and the key, then recomputes and compares the signature.
Verdict check_signature(Verdict verdict, const Request& request, const Received& received,
                        const SecretLookup& secrets, const VerifyOptions& options) {
    verdict.credential = received.credential;
    if (received.credential.date != std::string_view(received.amz_date).substr(0, 8))
        return reject(std::move(verdict), fmt::format("credential scope date {} does not match X-Amz-Date {}",
                                                      received.credential.date, received.amz_date));
    if (std::find(received.signed_headers.begin(), received.signed_headers.end(), "host") ==
        received.signed_headers.end())
        return reject(std::move(verdict), "signed headers do not include host");
    HeaderBlock headers;
    for (const auto& name : received.signed_headers) {
        std::string joined;
        bool found = false;
        for (const auto& [key, value] : request.headers) {
            if (!iequals(key, name)) continue;
            if (found) joined += ',';
            joined += canonical_header_value(value);
            found = true;
        }
        if (!found) return reject(std::move(verdict), fmt::format("signed header '{}' is not in the request", name));
        headers.canonical += name + ':' + joined + '\n';
        if (!headers.signed_names.empty()) headers.signed_names += ';';
        headers.signed_names += name;
    }
    const auto secret = secrets ? secrets(received.credential.access_key_id) : std::nullopt;
    if (!secret)
        return reject(std::move(verdict), fmt::format("unknown access key id '{}'", received.credential.access_key_id));

    verdict.canonical_request =
        join_canonical_request(request.method, canonical_uri(request.path, options.normalize_path, options.double_encode_path),
                               received.canonical_query, headers, received.payload_hash);
    const auto& scope = received.credential;
    verdict.string_to_sign = string_to_sign_of(received.amz_date, scope_of(scope.date, scope.region, scope.service),
                                               verdict.canonical_request);
    const auto expected =
        hex(hmac_sha256(signing_key(*secret, scope.date, scope.region, scope.service), verdict.string_to_sign));
    if (!constant_time_equal(expected, lower(received.signature)))
        return reject(std::move(verdict), "signature does not match the request (compare the canonical request)");
    verdict.valid = true;
    verdict.reason.clear();
    return verdict;
}

// x-amz-content-sha256 when sent (checked against the body unless it opts out), else the
// configured hash, else the body's.
std::optional<std::string> received_payload_hash(const Request& request, const VerifyOptions& options,
                                                 std::string& reason) {
    if (const auto* sent = find_header(request.headers, "x-amz-content-sha256")) {
        const std::string value(trim(*sent));
        if (value != unsigned_payload && !value.starts_with("STREAMING-") && value != sha256_hex(request.body)) {
            reason = "x-amz-content-sha256 does not match the body";
            return std::nullopt;
        }
        return value;
    }
    return options.payload_hash ? *options.payload_hash : sha256_hex(request.body);
}

}  // namespace

Options s3_options(std::string region, std::chrono::system_clock::time_point time) {
    Options options;
    options.region = std::move(region);
    options.service = "s3";
    options.time = time;
    options.normalize_path = false;
    options.double_encode_path = false;
    options.sign_body = true;
    return options;
}

Signed sign_headers(const Request& request, const Credentials& credentials, const Options& options) {
    require_scope(options);
    require_host(request.headers);
    reject_present(request.headers, "Authorization");
    reject_present(request.headers, "X-Amz-Date");
    const bool has_token = !credentials.session_token.empty();
    if (has_token) reject_present(request.headers, "X-Amz-Security-Token");
    if (options.sign_body) reject_present(request.headers, "x-amz-content-sha256");

    const std::string amz_date = format_amz_date(options.time);
    const std::string payload_hash = payload_hash_of(request, options);
    Signed out;
    // Order as AWS SDKs append them (and as the test vectors' signed requests show).
    if (has_token) out.headers.emplace_back("X-Amz-Security-Token", credentials.session_token);
    out.headers.emplace_back("X-Amz-Date", amz_date);
    if (options.sign_body) out.headers.emplace_back("x-amz-content-sha256", payload_hash);

    CanonicalHeaders canonical = signable_headers(request.headers);
    for (const auto& [name, value] : out.headers) {
        const std::string key = lower(name);
        if (key == "x-amz-security-token" && options.omit_session_token) continue;
        add_header(canonical, key, value);
    }
    const HeaderBlock block = render_headers(canonical);

    out.canonical_request = join_canonical_request(
        request.method, canonical_uri(request.path, options.normalize_path, options.double_encode_path),
        canonical_query(request.query), block, payload_hash);
    const std::string date = amz_date.substr(0, 8);
    const std::string scope = scope_of(date, options.region, options.service);
    out.string_to_sign = string_to_sign_of(amz_date, scope, out.canonical_request);
    out.signature = hex(hmac_sha256(
        signing_key(credentials.secret_access_key, date, options.region, options.service), out.string_to_sign));
    out.headers.emplace_back("Authorization",
                             fmt::format("{} Credential={}/{}, SignedHeaders={}, Signature={}", algorithm,
                                         credentials.access_key_id, scope, block.signed_names, out.signature));
    out.query_string = request.query;
    return out;
}

Signed presign(const Request& request, const Credentials& credentials, const Options& options) {
    require_scope(options);
    require_host(request.headers);
    if (options.expires.count() < 1)
        throw std::invalid_argument(fmt::format("sigv4: Options::expires is {}s; presigned URLs need at least 1s",
                                                options.expires.count()));
    Pairs params = parse_query(request.query);
    for (const auto& [name, value] : params)
        if (name == "X-Amz-Signature")
            throw std::invalid_argument("sigv4: the request query already has X-Amz-Signature; the signer adds it");

    const std::string amz_date = format_amz_date(options.time);
    const std::string date = amz_date.substr(0, 8);
    const std::string scope = scope_of(date, options.region, options.service);
    const HeaderBlock block = render_headers(signable_headers(request.headers));

    Signed out;
    // Order as AWS SDKs append them (and as the test vectors' signed requests show).
    out.query = {{"X-Amz-Algorithm", std::string(algorithm)},
                 {"X-Amz-Credential", credentials.access_key_id + '/' + scope},
                 {"X-Amz-Date", amz_date},
                 {"X-Amz-SignedHeaders", block.signed_names},
                 {"X-Amz-Expires", std::to_string(options.expires.count())}};
    if (!credentials.session_token.empty()) out.query.emplace_back("X-Amz-Security-Token", credentials.session_token);
    for (const auto& param : out.query)
        if (param.first != "X-Amz-Security-Token" || !options.omit_session_token) params.push_back(param);

    out.canonical_request = join_canonical_request(
        request.method, canonical_uri(request.path, options.normalize_path, options.double_encode_path),
        canonical_query_of(params), block, payload_hash_of(request, options));
    out.string_to_sign = string_to_sign_of(amz_date, scope, out.canonical_request);
    out.signature = hex(hmac_sha256(
        signing_key(credentials.secret_access_key, date, options.region, options.service), out.string_to_sign));
    out.query.emplace_back("X-Amz-Signature", out.signature);
    out.query_string = request.query.empty() ? encode_query(out.query) : request.query + '&' + encode_query(out.query);
    return out;
}

CredentialScope parse_credential(std::string_view credential) {
    const auto parts = split(credential, '/');
    if (parts.size() != 5)
        throw std::invalid_argument(fmt::format(
            "sigv4: Credential '{}' is not <access-key>/<date>/<region>/<service>/aws4_request", credential));
    if (parts[4] != scope_terminator)
        throw std::invalid_argument(fmt::format("sigv4: Credential '{}' does not end in aws4_request", credential));
    const bool date_ok = parts[1].size() == 8 && std::all_of(parts[1].begin(), parts[1].end(),
                                                               [](char c) { return c >= '0' && c <= '9'; });
    if (!date_ok) throw std::invalid_argument(fmt::format("sigv4: Credential '{}' has no YYYYMMDD date", credential));
    for (std::size_t i : {0u, 2u, 3u})
        if (parts[i].empty())
            throw std::invalid_argument(fmt::format("sigv4: Credential '{}' has an empty part", credential));
    return {std::string(parts[0]), std::string(parts[1]), std::string(parts[2]), std::string(parts[3])};
}

Authorization parse_authorization(std::string_view header_value) {
    std::string_view rest = trim(header_value);
    if (!rest.starts_with(algorithm) || rest.size() == algorithm.size() || rest[algorithm.size()] != ' ')
        throw std::invalid_argument(fmt::format("sigv4: Authorization '{}' does not start with {}", header_value, algorithm));
    rest.remove_prefix(algorithm.size());
    std::optional<std::string_view> credential, signed_headers, signature;
    for (std::string_view item : split(rest, ',')) {
        item = trim(item);
        const auto eq = item.find('=');
        const std::string_view key = item.substr(0, eq);
        const std::string_view value = eq == std::string_view::npos ? std::string_view{} : item.substr(eq + 1);
        if (key == "Credential") credential = value;
        else if (key == "SignedHeaders") signed_headers = value;
        else if (key == "Signature") signature = value;
        else
            throw std::invalid_argument(fmt::format("sigv4: Authorization has an unknown part '{}'", item));
    }
    if (!credential) throw std::invalid_argument("sigv4: Authorization has no Credential=");
    if (!signed_headers || signed_headers->empty())
        throw std::invalid_argument("sigv4: Authorization has no SignedHeaders=");
    if (!signature || signature->size() != 64 || !std::all_of(signature->begin(), signature->end(), is_hex_digit))
        throw std::invalid_argument("sigv4: Authorization has no Signature= of 64 hex digits");
    Authorization out;
    out.credential = parse_credential(*credential);
    for (std::string_view name : split(*signed_headers, ';')) out.signed_headers.push_back(lower(name));
    out.signature = std::string(*signature);
    return out;
}

Verdict verify_headers(const Request& request, const SecretLookup& secrets, const VerifyOptions& options) {
    Verdict verdict;
    const auto* authorization = find_header(request.headers, "authorization");
    if (authorization == nullptr) return reject(std::move(verdict), "no Authorization header");
    Received received;
    try {
        auto parsed = parse_authorization(*authorization);
        received.credential = std::move(parsed.credential);
        received.signed_headers = std::move(parsed.signed_headers);
        received.signature = std::move(parsed.signature);
    } catch (const std::invalid_argument& error) {
        return reject(std::move(verdict), error.what());
    }
    if (const auto* token = find_header(request.headers, "x-amz-security-token")) verdict.session_token = *token;

    const auto* amz_date = find_header(request.headers, "x-amz-date");
    if (amz_date == nullptr) return reject(std::move(verdict), "no X-Amz-Date header");
    received.amz_date = std::string(trim(*amz_date));
    const auto time = parse_amz_date(received.amz_date);
    if (!time) return reject(std::move(verdict), fmt::format("X-Amz-Date '{}' is not YYYYMMDDTHHMMSSZ", *amz_date));
    const auto skew = *time > options.now ? *time - options.now : options.now - *time;
    if (skew > options.max_clock_skew)
        return reject(std::move(verdict),
                      fmt::format("X-Amz-Date {} is more than {}s from the server time {}", received.amz_date,
                                  options.max_clock_skew.count(), format_amz_date(options.now)));

    std::string reason;
    auto payload_hash = received_payload_hash(request, options, reason);
    if (!payload_hash) return reject(std::move(verdict), reason);
    received.payload_hash = std::move(*payload_hash);
    received.canonical_query = canonical_query(request.query);
    return check_signature(std::move(verdict), request, received, secrets, options);
}

Verdict verify_presigned(const Request& request, const SecretLookup& secrets, const VerifyOptions& options) {
    Verdict verdict;
    Pairs params = parse_query(request.query);
    auto take = [&](std::string_view name) -> std::optional<std::string> {
        for (const auto& [key, value] : params)
            if (key == name) return value;
        return std::nullopt;
    };
    const auto algo = take("X-Amz-Algorithm");
    const auto credential = take("X-Amz-Credential");
    const auto amz_date = take("X-Amz-Date");
    const auto expires = take("X-Amz-Expires");
    const auto signed_headers = take("X-Amz-SignedHeaders");
    const auto signature = take("X-Amz-Signature");
    verdict.session_token = take("X-Amz-Security-Token").value_or("");
    for (const auto& [name, value] : {std::pair{"X-Amz-Algorithm", &algo}, std::pair{"X-Amz-Credential", &credential},
                                      std::pair{"X-Amz-Date", &amz_date}, std::pair{"X-Amz-Expires", &expires},
                                      std::pair{"X-Amz-SignedHeaders", &signed_headers},
                                      std::pair{"X-Amz-Signature", &signature}})
        if (!value->has_value()) return reject(std::move(verdict), fmt::format("query parameter {} is missing", name));
    if (*algo != algorithm)
        return reject(std::move(verdict), fmt::format("X-Amz-Algorithm '{}' is not {}", *algo, algorithm));

    Received received;
    try {
        received.credential = parse_credential(*credential);
    } catch (const std::invalid_argument& error) {
        return reject(std::move(verdict), error.what());
    }
    verdict.credential = received.credential;
    received.amz_date = *amz_date;
    const auto time = parse_amz_date(received.amz_date);
    if (!time) return reject(std::move(verdict), fmt::format("X-Amz-Date '{}' is not YYYYMMDDTHHMMSSZ", *amz_date));
    long long seconds = 0;
    const auto [end, error] = std::from_chars(expires->data(), expires->data() + expires->size(), seconds);
    if (error != std::errc{} || end != expires->data() + expires->size() || seconds < 1 ||
        seconds > options.max_expires.count())
        return reject(std::move(verdict), fmt::format("X-Amz-Expires '{}' is not a number of seconds in 1..{}",
                                                      *expires, options.max_expires.count()));
    if (options.now >= *time + std::chrono::seconds(seconds))
        return reject(std::move(verdict), fmt::format("presigned request expired at {} (signed {}, expires {}s)",
                                                      format_amz_date(*time + std::chrono::seconds(seconds)),
                                                      received.amz_date, seconds));
    if (*time - options.now > options.max_clock_skew)
        return reject(std::move(verdict), fmt::format("X-Amz-Date {} is in the future (server time {})",
                                                      received.amz_date, format_amz_date(options.now)));
    for (std::string_view name : split(*signed_headers, ';')) received.signed_headers.push_back(lower(name));
    received.signature = *signature;

    std::string reason;
    auto payload_hash = received_payload_hash(request, options, reason);
    if (!payload_hash) return reject(std::move(verdict), reason);
    received.payload_hash = std::move(*payload_hash);
    std::erase_if(params, [](const auto& param) { return param.first == "X-Amz-Signature"; });
    received.canonical_query = canonical_query_of(params);
    return check_signature(std::move(verdict), request, received, secrets, options);
}

std::string sha256_hex(std::string_view data) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int size = 0;
    if (EVP_Digest(data.data(), data.size(), digest.data(), &size, EVP_sha256(), nullptr) != 1)
        throw std::runtime_error("sigv4: OpenSSL EVP_Digest(SHA-256) failed");
    return hex(std::string_view(reinterpret_cast<const char*>(digest.data()), size));
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
    std::size_t size = 0;
    if (EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, key.data(), key.size(),
                  reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac.data(), mac.size(),
                  &size) == nullptr)
        throw std::runtime_error("sigv4: OpenSSL EVP_Q_mac(HMAC-SHA256) failed");
    return std::string(reinterpret_cast<const char*>(mac.data()), size);
}

std::string hex(std::string_view bytes) {
    static constexpr std::string_view digits = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (char c : bytes) {
        const auto byte = static_cast<unsigned char>(c);
        out += digits[byte >> 4];
        out += digits[byte & 0x0f];
    }
    return out;
}

std::string signing_key(std::string_view secret, std::string_view date, std::string_view region,
                        std::string_view service) {
    const std::string date_key = hmac_sha256("AWS4" + std::string(secret), date);
    const std::string region_key = hmac_sha256(date_key, region);
    const std::string service_key = hmac_sha256(region_key, service);
    return hmac_sha256(service_key, scope_terminator);
}

std::string uri_encode(std::string_view text, bool encode_slash) {
    static constexpr std::string_view digits = "0123456789ABCDEF";
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                                c == '-' || c == '.' || c == '_' || c == '~' || (c == '/' && !encode_slash);
        if (unreserved) {
            out += c;
            continue;
        }
        const auto byte = static_cast<unsigned char>(c);
        out += '%';
        out += digits[byte >> 4];
        out += digits[byte & 0x0f];
    }
    return out;
}

std::string uri_decode(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '%' && i + 2 < text.size() && is_hex_digit(text[i + 1]) && is_hex_digit(text[i + 2])) {
            out += static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
            i += 2;
        } else {
            out += text[i];
        }
    }
    return out;
}

std::string canonical_uri(std::string_view path, bool normalize, bool double_encode) {
    if (path.empty()) return "/";
    // The sent path is already encoded once: non-S3 services encode it again; S3 wants it encoded
    // exactly once, so its segments are decoded first to avoid encoding twice.
    auto encode_segment = [double_encode](std::string_view segment) {
        return double_encode ? uri_encode(segment, true) : uri_encode(uri_decode(segment), true);
    };
    std::vector<std::string_view> segments = split(path, '/');
    if (normalize) {
        // RFC 3986 remove_dot_segments, and empty segments ("//") dropped.
        std::vector<std::string_view> kept;
        for (std::string_view segment : segments) {
            if (segment.empty() || segment == ".") continue;
            if (segment == "..") {
                if (!kept.empty()) kept.pop_back();
                continue;
            }
            kept.push_back(segment);
        }
        const std::string_view last = segments.back();
        const bool trailing_slash = last.empty() || last == "." || last == "..";
        std::string out;
        for (std::string_view segment : kept) out += '/' + encode_segment(segment);
        if (out.empty() || trailing_slash) out += '/';
        return out;
    }
    std::string out;
    for (std::size_t i = 0; i < segments.size(); ++i) {
        if (i > 0) out += '/';
        out += encode_segment(segments[i]);
    }
    if (!out.starts_with('/')) out.insert(out.begin(), '/');
    return out;
}

std::string canonical_query(std::string_view raw_query) { return canonical_query_of(parse_query(raw_query)); }

std::string encode_query(const std::vector<std::pair<std::string, std::string>>& params) {
    std::string out;
    for (const auto& [name, value] : params) {
        if (!out.empty()) out += '&';
        out += uri_encode(name, true) + '=' + uri_encode(value, true);
    }
    return out;
}

std::string format_amz_date(std::chrono::system_clock::time_point time) {
    using namespace std::chrono;
    const auto second = floor<seconds>(time);
    const auto day = floor<days>(second);
    const year_month_day date{day};
    const hh_mm_ss clock{second - day};
    return fmt::format("{:04}{:02}{:02}T{:02}{:02}{:02}Z", static_cast<int>(date.year()),
                       static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()), clock.hours().count(),
                       clock.minutes().count(), clock.seconds().count());
}

std::optional<std::chrono::system_clock::time_point> parse_amz_date(std::string_view text) {
    using namespace std::chrono;
    if (text.size() != 16 || text[8] != 'T' || text[15] != 'Z') return std::nullopt;
    auto number = [&](std::size_t at, std::size_t length) -> std::optional<int> {
        int value = 0;
        const char* first = text.data() + at;
        const auto [end, error] = std::from_chars(first, first + length, value);
        if (error != std::errc{} || end != first + length || *first == '-' || *first == '+') return std::nullopt;
        return value;
    };
    const auto y = number(0, 4), mo = number(4, 2), d = number(6, 2);
    const auto h = number(9, 2), mi = number(11, 2), s = number(13, 2);
    if (!y || !mo || !d || !h || !mi || !s) return std::nullopt;
    const year_month_day date{year{*y}, month{static_cast<unsigned>(*mo)}, day{static_cast<unsigned>(*d)}};
    if (!date.ok() || *h > 23 || *mi > 59 || *s > 59) return std::nullopt;
    return sys_days{date} + hours{*h} + minutes{*mi} + seconds{*s};
}

}  // namespace e2e::sigv4
