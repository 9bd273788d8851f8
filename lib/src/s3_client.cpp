#include "e2e/s3.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <ostream>

#include "e2e/sigv4.hpp"
#include "e2e/xml.hpp"

namespace e2e {
namespace {

std::string lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

std::string trimmed_excerpt(std::string_view text, std::size_t max = 200) {
    std::string out(text.substr(0, max));
    if (text.size() > max) out += fmt::format("...({} more bytes)", text.size() - max);
    return out;
}

// S3 "url" encoding-type answers: form-style ('+' is a space) percent-encoding.
std::string decode_listed(std::string_view text, bool url_encoded) {
    if (!url_encoded) return std::string(text);
    std::string plus_as_space(text);
    std::replace(plus_as_space.begin(), plus_as_space.end(), '+', ' ');
    return sigv4::uri_decode(plus_as_space);
}

// A 2xx body that is not the document the operation returns is a protocol failure, not an S3 error.
[[noreturn]] void bad_body(const HttpResponse& response, std::string_view operation, const std::string& why) {
    throw HttpError(HttpError::Kind::protocol,
                    fmt::format("{} {} {}: {} answered {} with a body that is not a valid result: {}; body: {}", operation,
                                response.method, response.url, response.url, response.status, why,
                                trimmed_excerpt(response.body)));
}

XmlElement parse_result(const HttpResponse& response, std::string_view operation, std::string_view root) {
    XmlElement document;
    try {
        document = parse_xml(response.body);
    } catch (const XmlError& error) {
        bad_body(response, operation, error.what());
    }
    if (document.name != root) bad_body(response, operation, fmt::format("root element <{}> is not <{}>", document.name, root));
    return document;
}

std::uint64_t parse_unsigned(const HttpResponse& response, std::string_view operation, std::string_view what,
                             std::string_view text) {
    std::uint64_t value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc{} || end != text.data() + text.size() || text.empty())
        bad_body(response, operation, fmt::format("{} '{}' is not a non-negative integer", what, text));
    return value;
}

std::string request_id_of(const HttpResponse& response) { return response.header("x-amz-request-id").value_or(""); }

S3Metadata metadata_of(const HttpResponse& response) {
    S3Metadata out;
    for (const auto& [name, value] : response.headers) {
        const std::string key = lower(name);
        if (key.starts_with("x-amz-meta-")) out.emplace_back(key.substr(11), value);
    }
    return out;
}

HeadObjectResult head_result_of(const HttpResponse& response) {
    HeadObjectResult out;
    out.etag = response.header("ETag").value_or("");
    out.content_type = response.header("Content-Type").value_or("");
    out.last_modified = response.header("Last-Modified").value_or("");
    const auto length = response.header("Content-Length").value_or("0");
    out.content_length = parse_unsigned(response, "HeadObject", "Content-Length", length);
    out.metadata = metadata_of(response);
    out.request_id = request_id_of(response);
    return out;
}

struct Endpoint {
    std::string origin;     // scheme://authority
    std::string authority;  // the Host header
    std::string base_path;  // "" or "/base"
};

Endpoint parse_endpoint(std::string_view endpoint) {
    std::string_view rest = endpoint;
    std::string_view scheme;
    if (rest.starts_with("http://")) scheme = "http";
    else if (rest.starts_with("https://")) scheme = "https";
    else throw std::invalid_argument(fmt::format("S3Client: endpoint '{}' does not start with http:// or https://", endpoint));
    rest.remove_prefix(scheme.size() + 3);
    const auto slash = rest.find('/');
    Endpoint out;
    out.authority = std::string(rest.substr(0, slash));
    if (out.authority.empty() || out.authority.find_first_of("?#@ ") != std::string::npos)
        throw std::invalid_argument(fmt::format("S3Client: endpoint '{}' has no usable host[:port]", endpoint));
    out.origin = fmt::format("{}://{}", scheme, out.authority);
    if (slash != std::string_view::npos) {
        std::string_view path = rest.substr(slash);
        if (path.find_first_of("?#") != std::string_view::npos)
            throw std::invalid_argument(fmt::format("S3Client: endpoint '{}' must not carry a query or fragment", endpoint));
        while (path.ends_with('/')) path.remove_suffix(1);
        out.base_path = std::string(path);
    }
    return out;
}

}  // namespace

std::optional<AwsError> aws_error_of(const HttpResponse& response, std::string_view operation, std::string_view resource) {
    if (response.status >= 200 && response.status < 300) return std::nullopt;
    AwsError error;
    error.http_status = response.status;
    error.operation = std::string(operation);
    error.resource = std::string(resource);
    error.request_id = request_id_of(response);
    const auto first = response.body.find_first_not_of(" \t\r\n");
    if (first != std::string::npos && response.body[first] == '<') {
        try {
            const XmlElement document = parse_xml(response.body);
            if (document.name == "Error") {
                error.code = document.child_text("Code").value_or("");
                error.message = document.child_text("Message").value_or("");
                if (error.request_id.empty()) error.request_id = document.child_text("RequestId").value_or("");
            }
        } catch (const XmlError&) {
            // Not an S3 error document; fall through to the header/status fallbacks.
        }
    }
    if (error.code.empty()) error.code = response.header("x-amz-error-code").value_or(std::to_string(response.status));
    if (error.message.empty())
        error.message = response.header("x-amz-error-message")
                            .value_or(response.body.empty() ? response.reason : trimmed_excerpt(response.body));
    return error;
}

S3Client::S3Client(std::string endpoint, std::string access_key, std::string secret_key, std::string region)
    : S3Client(std::move(endpoint), std::move(access_key), std::move(secret_key), std::move(region), nullptr) {}

S3Client::S3Client(std::string endpoint, std::string access_key, std::string secret_key, std::string region,
                   HttpClient& http)
    : S3Client(std::move(endpoint), std::move(access_key), std::move(secret_key), std::move(region), &http) {}

S3Client::S3Client(std::string endpoint, std::string access_key, std::string secret_key, std::string region,
                   HttpClient* http)
    : access_key_(std::move(access_key)),
      secret_key_(std::move(secret_key)),
      region_(std::move(region)),
      clock_([] { return std::chrono::system_clock::now(); }),
      http_(http) {
    const Endpoint parsed = parse_endpoint(endpoint);
    endpoint_ = parsed.origin + parsed.base_path;
    host_header_ = parsed.authority;
    base_path_ = parsed.base_path;
    if (region_.empty()) throw std::invalid_argument("S3Client: region is empty");
    if (http_ == nullptr) {
        owned_http_ = std::make_unique<HttpClient>();
        http_ = owned_http_.get();
    }
}

S3Client::~S3Client() = default;

void S3Client::set_clock(Clock clock) { clock_ = std::move(clock); }

std::string S3Client::object_path(std::string_view bucket, std::string_view key) {
    return fmt::format("/{}/{}", bucket, sigv4::uri_encode(key, false));
}

HttpResponse S3Client::send(const std::string& method, const std::string& path, const std::string& query,
                            std::string body, Headers headers) {
    headers.emplace_back("Host", host_header_);
    sigv4::Request request{method, base_path_ + path, query, headers, body};
    const auto signed_request =
        sigv4::sign_headers(request, {access_key_, secret_key_, {}}, sigv4::s3_options(region_, clock_()));
    HttpRequest http_request;
    http_request.method = method;
    http_request.url = fmt::format("{}{}{}", endpoint_, path, query.empty() ? "" : "?" + query);
    http_request.headers = std::move(headers);
    for (const auto& header : signed_request.headers) http_request.headers.push_back(header);
    http_request.body = std::move(body);
    return http_->send(http_request);
}

HttpResponse S3Client::send_signed(std::string method, std::string path, std::string query, std::string body,
                                   Headers headers) {
    return send(method, path, query, std::move(body), std::move(headers));
}

S3Result<PutObjectResult> S3Client::put_object(std::string_view bucket, std::string_view key, std::string body,
                                               const PutObjectOptions& options) {
    const std::string path = object_path(bucket, key);
    Headers headers;
    if (!options.content_type.empty()) headers.emplace_back("Content-Type", options.content_type);
    for (const auto& [name, value] : options.metadata) headers.emplace_back("x-amz-meta-" + name, value);
    const auto response = send("PUT", path, {}, std::move(body), std::move(headers));
    if (auto error = aws_error_of(response, "PutObject", path)) return std::move(*error);
    return PutObjectResult{response.header("ETag").value_or(""), request_id_of(response)};
}

S3Result<GetObjectResult> S3Client::get_object(std::string_view bucket, std::string_view key) {
    const std::string path = object_path(bucket, key);
    auto response = send("GET", path, {}, {}, {});
    if (auto error = aws_error_of(response, "GetObject", path)) return std::move(*error);
    GetObjectResult out;
    static_cast<HeadObjectResult&>(out) = head_result_of(response);
    out.content_length = response.body.size();
    out.body = std::move(response.body);
    return out;
}

S3Result<HeadObjectResult> S3Client::head_object(std::string_view bucket, std::string_view key) {
    const std::string path = object_path(bucket, key);
    const auto response = send("HEAD", path, {}, {}, {});
    if (auto error = aws_error_of(response, "HeadObject", path)) return std::move(*error);
    return head_result_of(response);
}

S3Result<DeleteObjectResult> S3Client::delete_object(std::string_view bucket, std::string_view key) {
    const std::string path = object_path(bucket, key);
    const auto response = send("DELETE", path, {}, {}, {});
    if (auto error = aws_error_of(response, "DeleteObject", path)) return std::move(*error);
    return DeleteObjectResult{request_id_of(response)};
}

S3Result<ListObjectsV2Result> S3Client::list_objects_v2(std::string_view bucket, const ListObjectsV2Options& options) {
    const std::string path = fmt::format("/{}", bucket);
    std::vector<std::pair<std::string, std::string>> params{{"list-type", "2"}, {"encoding-type", "url"}};
    if (!options.prefix.empty()) params.emplace_back("prefix", options.prefix);
    if (!options.delimiter.empty()) params.emplace_back("delimiter", options.delimiter);
    if (!options.continuation_token.empty()) params.emplace_back("continuation-token", options.continuation_token);
    if (!options.start_after.empty()) params.emplace_back("start-after", options.start_after);
    if (options.max_keys) params.emplace_back("max-keys", std::to_string(*options.max_keys));
    const auto response = send("GET", path, sigv4::encode_query(params), {}, {});
    if (auto error = aws_error_of(response, "ListObjectsV2", path)) return std::move(*error);

    const XmlElement document = parse_result(response, "ListObjectsV2", "ListBucketResult");
    const bool url_encoded = document.child_text("EncodingType").value_or("") == "url";
    ListObjectsV2Result out;
    out.name = document.child_text("Name").value_or("");
    out.prefix = decode_listed(document.child_text("Prefix").value_or(""), url_encoded);
    out.key_count = static_cast<int>(
        parse_unsigned(response, "ListObjectsV2", "KeyCount", document.child_text("KeyCount").value_or("0")));
    out.max_keys = static_cast<int>(
        parse_unsigned(response, "ListObjectsV2", "MaxKeys", document.child_text("MaxKeys").value_or("0")));
    const std::string truncated = document.child_text("IsTruncated").value_or("false");
    if (truncated != "true" && truncated != "false")
        bad_body(response, "ListObjectsV2", fmt::format("IsTruncated '{}' is not true or false", truncated));
    out.is_truncated = truncated == "true";
    out.continuation_token = document.child_text("ContinuationToken").value_or("");
    out.next_continuation_token = document.child_text("NextContinuationToken").value_or("");
    for (const XmlElement* entry : document.children_named("Contents")) {
        S3Object object;
        object.key = decode_listed(entry->child_text("Key").value_or(""), url_encoded);
        object.last_modified = entry->child_text("LastModified").value_or("");
        object.etag = entry->child_text("ETag").value_or("");
        object.size = parse_unsigned(response, "ListObjectsV2", "Size", entry->child_text("Size").value_or(""));
        object.storage_class = entry->child_text("StorageClass").value_or("");
        out.contents.push_back(std::move(object));
    }
    for (const XmlElement* entry : document.children_named("CommonPrefixes"))
        out.common_prefixes.push_back(decode_listed(entry->child_text("Prefix").value_or(""), url_encoded));
    out.request_id = request_id_of(response);
    return out;
}

S3Result<std::vector<S3Object>> S3Client::list_all_objects(std::string_view bucket, std::string_view prefix) {
    std::vector<S3Object> all;
    ListObjectsV2Options options;
    options.prefix = std::string(prefix);
    // A bound, so a server that never stops truncating fails instead of looping.
    for (int page = 0; page < 100'000; ++page) {
        auto result = list_objects_v2(bucket, options);
        if (!result) return result.error();
        auto listing = std::move(result).value();
        for (auto& object : listing.contents) all.push_back(std::move(object));
        if (!listing.is_truncated) return all;
        if (listing.next_continuation_token.empty())
            throw HttpError(HttpError::Kind::protocol,
                            fmt::format("ListObjectsV2 /{}: IsTruncated is true without a NextContinuationToken", bucket));
        options.continuation_token = listing.next_continuation_token;
    }
    throw HttpError(HttpError::Kind::protocol, fmt::format("ListObjectsV2 /{}: more than 100000 pages", bucket));
}

S3Result<CreateBucketResult> S3Client::create_bucket(std::string_view bucket) {
    const std::string path = fmt::format("/{}", bucket);
    const auto response = send("PUT", path, {}, {}, {});
    if (auto error = aws_error_of(response, "CreateBucket", path)) return std::move(*error);
    return CreateBucketResult{response.header("Location").value_or(""), request_id_of(response)};
}

S3Result<ListBucketsResult> S3Client::list_buckets() {
    const auto response = send("GET", "/", {}, {}, {});
    if (auto error = aws_error_of(response, "ListBuckets", "/")) return std::move(*error);
    const XmlElement document = parse_result(response, "ListBuckets", "ListAllMyBucketsResult");
    ListBucketsResult out;
    if (const XmlElement* owner = document.child("Owner")) out.owner_id = owner->child_text("ID").value_or("");
    if (const XmlElement* buckets = document.child("Buckets")) {
        for (const XmlElement* bucket : buckets->children_named("Bucket"))
            out.buckets.push_back({bucket->child_text("Name").value_or(""), bucket->child_text("CreationDate").value_or("")});
    }
    out.request_id = request_id_of(response);
    return out;
}

S3Result<LifecycleConfiguration> S3Client::get_bucket_lifecycle_configuration(std::string_view bucket) {
    const std::string path = fmt::format("/{}", bucket);
    const auto response = send("GET", path, "lifecycle=", {}, {});
    if (auto error = aws_error_of(response, "GetBucketLifecycleConfiguration", path)) return std::move(*error);
    const XmlElement document = parse_result(response, "GetBucketLifecycleConfiguration", "LifecycleConfiguration");
    LifecycleConfiguration out;
    for (const XmlElement* rule : document.children_named("Rule")) {
        LifecycleRuleEntry entry;
        entry.id = rule->child_text("ID").value_or("");
        entry.status = rule->child_text("Status").value_or("");
        if (const XmlElement* filter = rule->child("Filter")) entry.prefix = filter->child_text("Prefix");
        if (!entry.prefix) entry.prefix = rule->child_text("Prefix");
        if (const XmlElement* expiration = rule->child("Expiration")) {
            if (const auto days = expiration->child_text("Days"))
                entry.expiration_days =
                    static_cast<int>(parse_unsigned(response, "GetBucketLifecycleConfiguration", "Expiration/Days", *days));
        }
        out.rules.push_back(std::move(entry));
    }
    out.request_id = request_id_of(response);
    return out;
}

std::string S3Client::presign_get_object(std::string_view bucket, std::string_view key, std::chrono::seconds expires,
                                         std::optional<std::chrono::system_clock::time_point> signed_at) const {
    const std::string path = object_path(bucket, key);
    sigv4::Request request{"GET", base_path_ + path, {}, {{"Host", host_header_}}, {}};
    auto options = sigv4::s3_options(region_, signed_at.value_or(clock_()));
    options.payload_hash = std::string(sigv4::unsigned_payload);
    options.expires = expires;
    const auto signed_request = sigv4::presign(request, {access_key_, secret_key_, {}}, options);
    return fmt::format("{}{}?{}", endpoint_, path, signed_request.query_string);
}

}  // namespace e2e
