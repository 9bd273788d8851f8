// The refstack S3 service's storage: buckets and objects in a data directory, every write made
// durable before it returns, and an in-memory listing index rebuilt from disk on construction.
//
// Layout under the data directory (file names never contain a key, so no key can name a path):
//   buckets/<bucket>/bucket.meta                     name, creation time, lifecycle rules
//   buckets/<bucket>/objects/<sha256(key)>.object    header lines, a blank line, then the bytes
// An object's header and bytes share one file, so a reader or a restart always sees a matching
// ETag and content even when writers race on one key.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "resources_config.hpp"

namespace refstack {

using S3UserMetadata = std::vector<std::pair<std::string, std::string>>;  // lower-case names, no x-amz-meta-

struct S3ObjectInfo {
    std::string key;
    std::string etag;  // quoted MD5 hex of the bytes: "\"9e107d9d372bb6826bd81d3542a419d6\""
    std::string content_type;
    std::uint64_t size = 0;
    std::chrono::system_clock::time_point last_modified;  // millisecond precision
    S3UserMetadata metadata;
};

struct S3StoredObject {
    S3ObjectInfo info;
    std::string bytes;
};

struct S3BucketInfo {
    std::string name;
    std::chrono::system_clock::time_point created;
    std::vector<LifecycleRule> lifecycle_rules;
};

// S3's bucket naming rules (3-63 of a-z 0-9 . -, starting and ending with a letter or digit, no
// "..", not an IPv4 address). Every name that passes is also a safe directory name.
bool is_valid_bucket_name(std::string_view name);

// Quoted lower-case MD5 hex of `bytes`, S3's ETag of a single-part object.
std::string s3_etag_of(std::string_view bytes);

// Thread-safe. Writers to one key are serialised; readers never block on disk writes of others.
class S3ObjectStore {
public:
    // Loads every bucket and object under `data_dir` (created when missing). Throws
    // std::runtime_error naming the file when a stored file is unreadable or corrupt.
    explicit S3ObjectStore(std::filesystem::path data_dir);

    // False when the bucket already exists. std::invalid_argument for an invalid name.
    bool create_bucket(const std::string& name, std::chrono::system_clock::time_point created,
                       std::vector<LifecycleRule> lifecycle_rules = {});
    std::optional<S3BucketInfo> bucket(std::string_view name) const;
    std::vector<S3BucketInfo> buckets() const;  // by name

    // The bucket must exist (std::out_of_range naming it otherwise). The object is on disk,
    // fsync-ed, when this returns.
    S3ObjectInfo put_object(const std::string& bucket, const std::string& key, std::string_view bytes,
                            std::string content_type, S3UserMetadata metadata,
                            std::chrono::system_clock::time_point now);
    std::optional<S3StoredObject> get_object(const std::string& bucket, const std::string& key) const;
    bool delete_object(const std::string& bucket, const std::string& key);  // false when absent
    // Objects whose key starts with `prefix`, sorted by key (byte order).
    std::vector<S3ObjectInfo> list_objects(const std::string& bucket, std::string_view prefix) const;

    const std::filesystem::path& data_dir() const { return data_dir_; }

private:
    struct Bucket {
        S3BucketInfo info;
        std::map<std::string, S3ObjectInfo> objects;  // the listing index
    };

    std::filesystem::path data_dir_;
    mutable std::shared_mutex index_mutex_;
    std::map<std::string, Bucket, std::less<>> buckets_;
    std::array<std::mutex, 64> key_locks_;  // striped by (bucket, key): one writer per key at a time

    std::filesystem::path bucket_dir(std::string_view bucket) const;
    std::filesystem::path object_path(std::string_view bucket, std::string_view key) const;
    std::mutex& key_lock(std::string_view bucket, std::string_view key);
    void load();
};

}  // namespace refstack
