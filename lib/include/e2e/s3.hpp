// A small S3 client for the suite (and the refstack's tests): path-style addressing
// (`http://host:port/<bucket>/<key>`), SigV4 with x-amz-content-sha256, typed results.
//
// Errors, by layer: an S3 answer that is an error (NoSuchKey, SignatureDoesNotMatch, ...) is a
// value, S3Result<T> (= AwsResult<T>) holding an AwsError, so a test can assert on it; a request that gets no answer
// throws e2e::HttpError as every HttpClient call does.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "e2e/aws_error.hpp"
#include "e2e/http.hpp"

namespace e2e {

inline constexpr std::string_view kEsbRegion = "ap-northeast-1";

template <typename T>
using S3Result = AwsResult<T>;

// User metadata (x-amz-meta-<name>), names lower-case without the prefix.
using S3Metadata = std::vector<std::pair<std::string, std::string>>;

struct PutObjectOptions {
    std::string content_type = "application/octet-stream";
    S3Metadata metadata;
};

struct PutObjectResult {
    std::string etag;  // quoted, as sent: "\"<md5 hex>\""
    std::string request_id;
};

struct HeadObjectResult {
    std::string etag;
    std::string content_type;
    std::uint64_t content_length = 0;
    std::string last_modified;  // the Last-Modified header (RFC 1123)
    S3Metadata metadata;
    std::string request_id;
};

struct GetObjectResult : HeadObjectResult {
    std::string body;
};

struct DeleteObjectResult {
    std::string request_id;
};

struct S3Object {
    std::string key;
    std::string last_modified;  // ISO 8601, as listed: 2024-05-01T12:00:00.000Z
    std::string etag;
    std::uint64_t size = 0;
    std::string storage_class;
};

struct ListObjectsV2Options {
    std::string prefix;
    std::string delimiter;
    std::string continuation_token;
    std::string start_after;
    std::optional<int> max_keys;
};

struct ListObjectsV2Result {
    std::string name;
    std::string prefix;
    int key_count = 0;
    int max_keys = 0;
    bool is_truncated = false;
    std::string continuation_token;
    std::string next_continuation_token;
    std::vector<S3Object> contents;
    std::vector<std::string> common_prefixes;
    std::string request_id;
};

struct BucketEntry {
    std::string name;
    std::string creation_date;  // ISO 8601
};

struct ListBucketsResult {
    std::vector<BucketEntry> buckets;
    std::string owner_id;
    std::string request_id;
};

struct CreateBucketResult {
    std::string location;
    std::string request_id;
};

struct LifecycleRuleEntry {
    std::string id;
    std::string status;  // Enabled | Disabled
    std::optional<std::string> prefix;  // Filter/Prefix, or the legacy Rule/Prefix
    std::optional<int> expiration_days;
};

struct LifecycleConfiguration {
    std::vector<LifecycleRuleEntry> rules;
    std::string request_id;
};

class S3Client {
public:
    using Clock = std::function<std::chrono::system_clock::time_point()>;

    // `endpoint`: http(s)://host:port, optionally with a base path. Throws std::invalid_argument
    // naming the endpoint when it is not such a URL. Owns an HttpClient.
    S3Client(std::string endpoint, std::string access_key, std::string secret_key,
             std::string region = std::string(kEsbRegion));
    // Shares `http` (not owned; must outlive this client).
    S3Client(std::string endpoint, std::string access_key, std::string secret_key, std::string region,
             HttpClient& http);
    ~S3Client();
    S3Client(const S3Client&) = delete;
    S3Client& operator=(const S3Client&) = delete;

    // All operations may be called from several threads at once.
    S3Result<PutObjectResult> put_object(std::string_view bucket, std::string_view key, std::string body,
                                         const PutObjectOptions& options = {});
    S3Result<GetObjectResult> get_object(std::string_view bucket, std::string_view key);
    S3Result<HeadObjectResult> head_object(std::string_view bucket, std::string_view key);
    S3Result<DeleteObjectResult> delete_object(std::string_view bucket, std::string_view key);
    S3Result<ListObjectsV2Result> list_objects_v2(std::string_view bucket, const ListObjectsV2Options& options = {});
    // Follows continuation tokens until the listing is complete.
    S3Result<std::vector<S3Object>> list_all_objects(std::string_view bucket, std::string_view prefix = {});
    S3Result<CreateBucketResult> create_bucket(std::string_view bucket);
    S3Result<ListBucketsResult> list_buckets();
    S3Result<LifecycleConfiguration> get_bucket_lifecycle_configuration(std::string_view bucket);

    // A presigned GET URL (query-string SigV4, UNSIGNED-PAYLOAD) valid for `expires` from
    // `signed_at` (default: the client's clock). Throws std::invalid_argument for expires < 1s.
    std::string presign_get_object(std::string_view bucket, std::string_view key, std::chrono::seconds expires,
                                   std::optional<std::chrono::system_clock::time_point> signed_at = std::nullopt) const;

    // Signs and sends a request as given (path and query raw, as they go on the wire), for tests
    // of malformed input. Returns the HTTP response whatever its status.
    HttpResponse send_signed(std::string method, std::string path, std::string query = {}, std::string body = {},
                             Headers headers = {});

    // "/<bucket>/<key>" with the key URI-encoded per segment ('/' kept), as sent on the wire.
    static std::string object_path(std::string_view bucket, std::string_view key);

    // Replaces the signing clock (tests of clock skew); call before sharing the client.
    void set_clock(Clock clock);

    const std::string& endpoint() const { return endpoint_; }
    const std::string& region() const { return region_; }

private:
    std::string endpoint_;  // without a trailing '/'
    std::string host_header_;
    std::string base_path_;  // "" or "/prefix"
    std::string access_key_;
    std::string secret_key_;
    std::string region_;
    Clock clock_;
    std::unique_ptr<HttpClient> owned_http_;
    HttpClient* http_;

    // `http` null: own one.
    S3Client(std::string endpoint, std::string access_key, std::string secret_key, std::string region,
             HttpClient* http);
    HttpResponse send(const std::string& method, const std::string& path, const std::string& query, std::string body,
                      Headers headers);
};

// The AwsError an S3 response carries, or nullopt for a 2xx response.
std::optional<AwsError> aws_error_of(const HttpResponse& response, std::string_view operation,
                                     std::string_view resource);

}  // namespace e2e
