#include "s3_service.hpp"

#include "faults.hpp"

#include <fmt/format.h>
#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <random>
#include <stdexcept>

#include "e2e/sigv4.hpp"
#include "e2e/utf8.hpp"
#include "e2e/xml.hpp"
#include "s3_auth.hpp"
#include "s3_protocol.hpp"

namespace refstack {
namespace {

namespace sigv4 = e2e::sigv4;
using Clock = std::chrono::system_clock;
using Params = std::vector<std::pair<std::string, std::string>>;

constexpr std::size_t kMaxKeyBytes = 1024;
constexpr std::size_t kMaxMetadataBytes = 2048;
constexpr int kMaxListKeys = 1000;
constexpr std::size_t kMaxRequestXml = 64u * 1024u;
constexpr std::string_view kDefaultContentType = "binary/octet-stream";
constexpr std::string_view kOwnerId = "esb-refstack";

// Query parameters that select another S3 operation; the ones not handled below answer 501.
constexpr std::array<std::string_view, 33> kSubresources = {
    "accelerate", "acl",        "analytics",      "attributes",        "cors",      "delete",   "encryption",
    "intelligent-tiering",      "inventory",      "legal-hold",        "lifecycle", "location", "logging",
    "metrics",    "notification", "object-lock",  "ownershipControls", "partNumber", "policy",  "policyStatus",
    "publicAccessBlock",        "replication",    "requestPayment",    "restore",   "retention", "select",
    "tagging",    "torrent",    "uploadId",       "uploads",           "versionId", "versioning", "website"};

// An S3 error raised inside an operation; handle() answers with its document.
struct S3Failure : std::exception {
    S3Error error;
    explicit S3Failure(S3Error e) : error(std::move(e)) {}
    const char* what() const noexcept override { return error.code.c_str(); }
};

[[noreturn]] void fail(int status, std::string code, std::string message,
                       std::vector<std::pair<std::string, std::string>> details = {}) {
    throw S3Failure({status, std::move(code), std::move(message), std::move(details)});
}

std::optional<std::string> param(const Params& params, std::string_view name) {
    for (const auto& [key, value] : params)
        if (key == name) return value;
    return std::nullopt;
}

std::optional<std::string> decode_base64(std::string_view text) {
    if (text.empty() || text.size() % 4 != 0) return std::nullopt;
    std::string out(text.size() / 4 * 3, '\0');
    const int size = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                     reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
    if (size < 0) return std::nullopt;
    const std::size_t padding = text.ends_with("==") ? 2 : text.ends_with('=') ? 1 : 0;
    out.resize(static_cast<std::size_t>(size) - padding);
    return out;
}

std::optional<std::string> decode_hex(std::string_view text) {
    if (text.size() % 2 != 0) return std::nullopt;
    std::string out;
    for (std::size_t i = 0; i < text.size(); i += 2) {
        unsigned value = 0;
        const auto [end, error] = std::from_chars(text.data() + i, text.data() + i + 2, value, 16);
        if (error != std::errc{} || end != text.data() + i + 2) return std::nullopt;
        out += static_cast<char>(value);
    }
    return out;
}

Response xml_response(int status, std::string body) {
    return Response{status, {{"Content-Type", "application/xml"}}, std::move(body)};
}

// Path-style target: "/" (service), "/bucket" or "/bucket/" (bucket), "/bucket/key" (object).
struct Target {
    std::string bucket;
    std::optional<std::string> key;
};

Target parse_target(std::string_view raw_path) {
    if (!raw_path.starts_with('/'))
        fail(400, "InvalidURI", fmt::format("Couldn't parse the specified URI '{}'.", printable(raw_path)));
    raw_path.remove_prefix(1);
    const auto slash = raw_path.find('/');
    Target target;
    target.bucket = sigv4::uri_decode(raw_path.substr(0, slash));
    if (slash != std::string_view::npos && slash + 1 < raw_path.size()) target.key = sigv4::uri_decode(raw_path.substr(slash + 1));
    return target;
}

// Keys are stored under hashed file names, so no key can reach the file system; the refstack
// still refuses keys a file-backed S3 would resolve outside the bucket.
void check_key(const std::string& key) {
    if (key.size() > kMaxKeyBytes)
        fail(400, "KeyTooLong", "Your key is too long",
             {{"MaxSizeAllowed", std::to_string(kMaxKeyBytes)}, {"Size", std::to_string(key.size())}});
    if (key.find('\0') != std::string::npos)
        fail(400, "InvalidArgument", fmt::format("Object key '{}' contains a NUL byte", printable(key)),
             {{"ArgumentName", "key"}});
    if (!e2e::is_valid_utf8(key))
        fail(400, "InvalidArgument", fmt::format("Object key '{}' is not valid UTF-8", printable(key)), {{"ArgumentName", "key"}});
    std::string_view rest = key;
    while (true) {
        const auto slash = rest.find('/');
        const std::string_view segment = rest.substr(0, slash);
        if (segment == ".." || segment == ".")
            fail(400, "InvalidArgument",
                 fmt::format("Object key '{}' has a '{}' segment; the reference stack refuses keys that could resolve "
                             "outside the bucket",
                             printable(key), segment),
                 {{"ArgumentName", "key"}});
        if (slash == std::string_view::npos) break;
        rest.remove_prefix(slash + 1);
    }
}

// One request being answered: routing and the operations.
class S3Call {
public:
    S3Call(S3ObjectStore& store, const S3ServiceOptions& options, const Request& request, Clock::time_point now)
        : store_(store), options_(options), request_(request), now_(now), params_(parse_s3_query(request.query)) {}

    Response dispatch() {
        const Target target = parse_target(request_.path);
        if (target.bucket.empty()) {
            if (target.key) fail(400, "InvalidURI", fmt::format("Couldn't parse the specified URI '{}'.", printable(request_.path)));
            if (request_.method == "GET") return list_buckets();
            method_not_allowed("SERVICE");
        }
        if (!is_valid_bucket_name(target.bucket))
            fail(400, "InvalidBucketName", "The specified bucket is not valid.", {{"BucketName", printable(target.bucket)}});
        if (!target.key) return bucket_operation(target.bucket);
        check_key(*target.key);
        return object_operation(target.bucket, *target.key);
    }

private:
    S3ObjectStore& store_;
    const S3ServiceOptions& options_;
    const Request& request_;
    Clock::time_point now_;
    Params params_;

    [[noreturn]] void method_not_allowed(std::string_view resource_type) const {
        fail(405, "MethodNotAllowed", "The specified method is not allowed against this resource.",
             {{"Method", printable(request_.method)}, {"ResourceType", std::string(resource_type)}});
    }

    [[noreturn]] void not_implemented(std::string_view what) const {
        fail(501, "NotImplemented",
             fmt::format("A header or query you provided implies functionality that is not implemented: {} {}",
                         printable(request_.method), what));
    }

    std::optional<std::string> subresource() const {
        for (const auto& [name, value] : params_)
            if (std::find(kSubresources.begin(), kSubresources.end(), name) != kSubresources.end()) return name;
        return std::nullopt;
    }

    S3BucketInfo existing_bucket(const std::string& bucket) const {
        auto info = store_.bucket(bucket);
        if (!info) fail(404, "NoSuchBucket", "The specified bucket does not exist", {{"BucketName", bucket}});
        return *info;
    }

    Response bucket_operation(const std::string& bucket) {
        const auto sub = subresource();
        const std::string& method = request_.method;
        if (method == "GET") {
            if (sub == "lifecycle") return get_bucket_lifecycle(bucket);
            if (sub == "location") return get_bucket_location(bucket);
            if (sub) not_implemented(fmt::format("?{} on a bucket", *sub));
            if (param(params_, "list-type") == "2") return list_objects_v2(bucket);
            not_implemented("ListObjects (version 1); use ListObjectsV2 (list-type=2)");
        }
        if (method == "PUT") {
            if (sub) not_implemented(fmt::format("?{} on a bucket", *sub));
            return create_bucket(bucket);
        }
        if (method == "HEAD") return head_bucket(bucket);
        if (method == "DELETE") not_implemented(sub ? fmt::format("?{} on a bucket", *sub) : "DeleteBucket");
        if (method == "POST" && sub) not_implemented(fmt::format("?{} on a bucket", *sub));
        method_not_allowed("BUCKET");
    }

    Response object_operation(const std::string& bucket, const std::string& key) {
        const std::string& method = request_.method;
        const bool known = method == "GET" || method == "HEAD" || method == "PUT" || method == "DELETE" || method == "POST";
        if (!known) method_not_allowed("OBJECT");
        if (const auto sub = subresource()) not_implemented(fmt::format("?{} on an object", *sub));
        if (method == "POST") method_not_allowed("OBJECT");
        existing_bucket(bucket);
        if (method == "PUT") return put_object(bucket, key);
        if (method == "DELETE") return delete_object(bucket, key);
        return get_object(bucket, key);  // GET and HEAD: the server sends no body for HEAD
    }

    Response list_buckets() {
        e2e::XmlWriter xml;
        xml.open("ListAllMyBucketsResult", {{"xmlns", std::string(kS3Namespace)}});
        xml.open("Owner").element("ID", kOwnerId).element("DisplayName", kOwnerId).close();
        xml.open("Buckets");
        for (const auto& bucket : store_.buckets())
            xml.open("Bucket").element("Name", bucket.name).element("CreationDate", format_iso8601(bucket.created)).close();
        xml.close().close();
        return xml_response(200, xml.finish());
    }

    Response create_bucket(const std::string& bucket) {
        if (!request_.body.empty()) {
            if (request_.body.size() > kMaxRequestXml)
                fail(400, "MalformedXML", fmt::format("The XML you provided is larger than {} bytes", kMaxRequestXml));
            e2e::XmlElement document;
            try {
                document = e2e::parse_xml(request_.body, {kMaxRequestXml, 16});
            } catch (const e2e::XmlError& error) {
                fail(400, "MalformedXML",
                     fmt::format("The XML you provided was not well-formed or did not validate against our published "
                                 "schema ({})",
                                 printable(error.what(), 300)));
            }
            if (document.name != "CreateBucketConfiguration")
                fail(400, "MalformedXML",
                     fmt::format("The XML you provided was not well-formed or did not validate against our published "
                                 "schema (root element <{}> is not <CreateBucketConfiguration>)",
                                 printable(document.name)));
            const std::string location = document.child_text("LocationConstraint").value_or("");
            const auto& regions = options_.regions;
            if (!location.empty() && std::find(regions.begin(), regions.end(), location) == regions.end())
                fail(400, "InvalidLocationConstraint", "The specified location-constraint is not valid",
                     {{"LocationConstraint", printable(location)}});
        }
        if (!store_.create_bucket(bucket, now_))
            fail(409, "BucketAlreadyOwnedByYou",
                 "Your previous request to create the named bucket succeeded and you already own it.",
                 {{"BucketName", bucket}});
        return Response{200, {{"Location", "/" + bucket}}, {}};
    }

    Response head_bucket(const std::string& bucket) {
        existing_bucket(bucket);
        return Response{200, {{"x-amz-bucket-region", options_.regions.front()}}, {}};
    }

    Response get_bucket_location(const std::string& bucket) {
        existing_bucket(bucket);
        e2e::XmlWriter xml;
        xml.open("LocationConstraint", {{"xmlns", std::string(kS3Namespace)}}).text(options_.regions.front()).close();
        return xml_response(200, xml.finish());
    }

    bool fault(std::string_view id) const { return options_.faults != nullptr && options_.faults->on(id); }

    Response get_bucket_lifecycle(const std::string& bucket) {
        const S3BucketInfo info = existing_bucket(bucket);
        if (info.lifecycle_rules.empty() || fault("s3.lifecycle_missing"))
            fail(404, "NoSuchLifecycleConfiguration", "The lifecycle configuration does not exist", {{"BucketName", bucket}});
        e2e::XmlWriter xml;
        xml.open("LifecycleConfiguration", {{"xmlns", std::string(kS3Namespace)}});
        for (const auto& rule : info.lifecycle_rules) {
            xml.open("Rule");
            if (!rule.id.empty()) xml.element("ID", rule.id);
            xml.open("Filter").element("Prefix", rule.prefix).close();
            xml.element("Status", rule.status);
            if (rule.expiration_days > 0) xml.open("Expiration").element("Days", std::to_string(rule.expiration_days)).close();
            xml.close();
        }
        xml.close();
        return xml_response(200, xml.finish());
    }

    Response list_objects_v2(const std::string& bucket) {
        existing_bucket(bucket);
        const std::string prefix = param(params_, "prefix").value_or("");
        const std::string delimiter = param(params_, "delimiter").value_or("");
        const std::string start_after = param(params_, "start-after").value_or("");
        const auto token = param(params_, "continuation-token");
        const auto encoding = param(params_, "encoding-type");
        if (encoding && *encoding != "url")
            fail(400, "InvalidArgument", "Invalid Encoding Method specified in Request",
                 {{"ArgumentName", "encoding-type"}, {"ArgumentValue", printable(*encoding)}});
        const bool url = encoding.has_value();
        int max_keys = kMaxListKeys;
        if (const auto text = param(params_, "max-keys")) {
            const auto [end, error] = std::from_chars(text->data(), text->data() + text->size(), max_keys);
            if (error != std::errc{} || end != text->data() + text->size() || text->empty() || max_keys < 0)
                fail(400, "InvalidArgument", "Provided max-keys not an integer or within integer range",
                     {{"ArgumentName", "max-keys"}, {"ArgumentValue", printable(*text)}});
            max_keys = std::min(max_keys, kMaxListKeys);
        }
        // Resume point: the last key or common prefix answered ('k'/'p' + text, hex-encoded).
        std::string marker = start_after;
        bool marker_is_prefix = false;
        if (token) {
            const auto decoded = decode_hex(*token);
            if (!decoded || decoded->empty() || (decoded->front() != 'k' && decoded->front() != 'p'))
                fail(400, "InvalidArgument", "The continuation token provided is incorrect",
                     {{"ArgumentName", "continuation-token"}});
            marker_is_prefix = decoded->front() == 'p';
            marker = decoded->substr(1);
        }

        std::vector<S3ObjectInfo> contents;
        std::vector<std::string> common_prefixes;
        std::string last;
        bool last_is_prefix = false, truncated = false;
        int count = 0;
        for (auto& object : store_.list_objects(bucket, prefix)) {
            if (!marker.empty() && (object.key <= marker || (marker_is_prefix && object.key.starts_with(marker)))) continue;
            std::optional<std::string> common;
            if (!delimiter.empty()) {
                const auto at = object.key.find(delimiter, prefix.size());
                if (at != std::string::npos) common = object.key.substr(0, at + delimiter.size());
            }
            if (common && !common_prefixes.empty() && common_prefixes.back() == *common) continue;
            if (count == max_keys) {
                truncated = max_keys > 0;
                break;
            }
            ++count;
            last_is_prefix = common.has_value();
            last = common ? *common : object.key;
            if (common) common_prefixes.push_back(*common);
            else contents.push_back(std::move(object));
        }

        auto shown = [&](const std::string& text) { return url ? sigv4::uri_encode(text, false) : text; };
        e2e::XmlWriter xml;
        xml.open("ListBucketResult", {{"xmlns", std::string(kS3Namespace)}});
        xml.element("Name", bucket).element("Prefix", shown(prefix));
        if (!delimiter.empty()) xml.element("Delimiter", shown(delimiter));
        xml.element("MaxKeys", std::to_string(max_keys)).element("KeyCount", std::to_string(count));
        if (url) xml.element("EncodingType", "url");
        xml.element("IsTruncated", truncated ? "true" : "false");
        if (token) xml.element("ContinuationToken", *token);
        if (truncated) xml.element("NextContinuationToken", sigv4::hex((last_is_prefix ? "p" : "k") + last));
        if (!start_after.empty()) xml.element("StartAfter", shown(start_after));
        for (const auto& object : contents) {
            xml.open("Contents")
                .element("Key", shown(object.key))
                .element("LastModified", format_iso8601(object.last_modified))
                .element("ETag", object.etag)
                .element("Size", std::to_string(object.size))
                .element("StorageClass", "STANDARD")
                .close();
        }
        for (const auto& common : common_prefixes) xml.open("CommonPrefixes").element("Prefix", shown(common)).close();
        xml.close();
        return xml_response(200, xml.finish());
    }

    S3UserMetadata user_metadata() const {
        S3UserMetadata metadata;
        std::size_t total = 0;
        for (const auto& [name, value] : request_.headers) {
            std::string lower = name;
            std::transform(lower.begin(), lower.end(), lower.begin(),
                           [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; });
            if (!lower.starts_with("x-amz-meta-")) continue;
            const bool clean = std::none_of(value.begin(), value.end(), [](char c) {
                const auto u = static_cast<unsigned char>(c);
                return (u < 0x20 && c != '\t') || u == 0x7F;
            });
            if (!clean || !e2e::is_valid_utf8(value))
                fail(400, "InvalidArgument", fmt::format("Header '{}' has a value that is not printable UTF-8", printable(name)),
                     {{"ArgumentName", printable(name)}});
            total += lower.size() - 11 + value.size();
            metadata.emplace_back(lower.substr(11), value);
        }
        if (total > kMaxMetadataBytes)
            fail(400, "MetadataTooLarge", "Your metadata headers exceed the maximum allowed metadata size.",
                 {{"Size", std::to_string(total)}, {"MaxSizeAllowed", std::to_string(kMaxMetadataBytes)}});
        return metadata;
    }

    Response put_object(const std::string& bucket, const std::string& key) {
        if (request_.header("x-amz-copy-source")) not_implemented("CopyObject (x-amz-copy-source)");
        if (request_.body.size() > options_.max_object_size)
            fail(400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size",
                 {{"ProposedSize", std::to_string(request_.body.size())},
                  {"MaxSizeAllowed", std::to_string(options_.max_object_size)}});
        if (const auto md5 = request_.header("Content-MD5")) {
            const auto digest = decode_base64(*md5);
            if (!digest || digest->size() != 16)
                fail(400, "InvalidDigest", "The Content-MD5 you specified was invalid.", {{"Content-MD5", printable(*md5)}});
            if ('"' + sigv4::hex(*digest) + '"' != s3_etag_of(request_.body))
                fail(400, "BadDigest", "The Content-MD5 you specified did not match what we received.",
                     {{"ExpectedDigest", printable(*md5)}});
        }
        auto metadata = user_metadata();
        const std::string content_type = request_.header("Content-Type").value_or(std::string(kDefaultContentType));
        // Fault: acknowledge the upload with the right ETag but keep nothing.
        if (fault("s3.put_not_stored")) return Response{200, {{"ETag", s3_etag_of(request_.body)}}, {}};
        const auto info = store_.put_object(bucket, key, request_.body, content_type, std::move(metadata), now_);
        return Response{200, {{"ETag", info.etag}}, {}};
    }

    Response get_object(const std::string& bucket, const std::string& key) {
        auto object = store_.get_object(bucket, key);
        if (!object) fail(404, "NoSuchKey", "The specified key does not exist.", {{"Key", printable(key, kMaxKeyBytes)}});
        Response response{200,
                          {{"Content-Type", object->info.content_type},
                           {"ETag", object->info.etag},
                           {"Last-Modified", format_http_date(object->info.last_modified)},
                           {"Accept-Ranges", "bytes"}},
                          std::move(object->bytes)};
        for (const auto& [name, value] : object->info.metadata) response.headers.emplace_back("x-amz-meta-" + name, value);
        return response;
    }

    Response delete_object(const std::string& bucket, const std::string& key) {
        store_.delete_object(bucket, key);  // S3 answers 204 whether or not the key existed
        return Response{204, {}, {}};
    }
};

Response error_response(const S3Error& error, const Request& request, const std::string& request_id) {
    Response response{error.status, {}, {}};
    if (request.method == "HEAD") {
        // HEAD answers carry no body; the code travels in headers so clients can still tell.
        response.headers.emplace_back("x-amz-error-code", error.code);
        response.headers.emplace_back("x-amz-error-message", printable(error.message, 300));
    } else {
        response.headers.emplace_back("Content-Type", "application/xml");
        response.body = s3_error_document(error, printable(request.path, 2048), request_id);
    }
    return response;
}

// Checked before the store touches the data directory.
S3ServiceOptions checked(S3ServiceOptions options) {
    if (options.data_dir.empty()) throw std::invalid_argument("S3Service: S3ServiceOptions::data_dir is empty");
    if (options.access_key.empty()) throw std::invalid_argument("S3Service: S3ServiceOptions::access_key is empty");
    if (options.secret_key.empty()) throw std::invalid_argument("S3Service: S3ServiceOptions::secret_key is empty");
    if (options.regions.empty()) throw std::invalid_argument("S3Service: S3ServiceOptions::regions is empty");
    if (options.max_object_size == 0) throw std::invalid_argument("S3Service: S3ServiceOptions::max_object_size is 0");
    return options;
}

std::uint64_t random_seed() {
    std::random_device device;
    return (std::uint64_t{device()} << 32) ^ device();
}

}  // namespace

S3Service::S3Service(S3ServiceOptions options)
    : options_(checked(std::move(options))), store_(options_.data_dir), request_id_seed_(random_seed()) {
    for (const auto& spec : options_.buckets) {
        if (!is_valid_bucket_name(spec.name))
            throw std::invalid_argument(fmt::format("S3Service: configured bucket '{}' is not a valid S3 bucket name", spec.name));
        // Like ESB's provisioner: lifecycle rules are applied only when the bucket is created.
        store_.create_bucket(spec.name, now(), spec.lifecycle_rules);
    }
}

S3Service::~S3Service() = default;

Clock::time_point S3Service::now() const { return options_.clock ? options_.clock() : Clock::now(); }

std::string S3Service::next_request_id() {
    const std::uint64_t n = request_counter_.fetch_add(1) + 1;
    return fmt::format("{:016X}", request_id_seed_ ^ (n * 0x9E3779B97F4A7C15ull));
}

std::size_t S3Service::request_body_limit() const { return options_.max_object_size + 1024u * 1024u; }

Response S3Service::handle(const Request& request) {
    const std::string request_id = next_request_id();
    const auto time = now();
    Response response;
    try {
        const S3Credentials credentials{options_.access_key, options_.secret_key, options_.regions};
        if (auto error = authenticate_s3_request(request, credentials, time)) throw S3Failure(std::move(*error));
        response = S3Call(store_, options_, request, time).dispatch();
    } catch (const S3Failure& failure) {
        response = error_response(failure.error, request, request_id);
    } catch (const std::exception& error) {
        response = error_response({500, "InternalError",
                                   fmt::format("We encountered an internal error. Please try again. ({})",
                                               printable(error.what(), 500))},
                                  request, request_id);
    }
    response.headers.emplace_back("x-amz-request-id", request_id);
    response.headers.emplace_back("Date", format_http_date(time));
    return response;
}

}  // namespace refstack
