// The refstack's S3 endpoint (ESB's RustFS on PORT_S3): path-style S3 REST API over the
// S3ObjectStore, with SigV4 verification of header-signed and presigned requests and S3's XML
// error documents. docs/refstack-s3.md lists the operations, errors and limits.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "http_server.hpp"
#include "resources_config.hpp"
#include "s3_store.hpp"

namespace refstack {

class FaultSwitches;

struct S3ServiceOptions {
    std::filesystem::path data_dir;  // the S3 root: buckets/ lives directly under it
    std::string access_key;
    std::string secret_key;
    std::vector<std::string> regions{"ap-northeast-1"};  // credential-scope regions accepted; the first is reported
    std::vector<BucketSpec> buckets;                     // created (with their lifecycle rules) when missing
    std::size_t max_object_size = 64u * 1024u * 1024u;  // bigger PutObject bodies get 400 EntityTooLarge
    std::function<std::chrono::system_clock::time_point()> clock;  // empty: the system clock
    const FaultSwitches* faults = nullptr;  // s3.put_not_stored, s3.lifecycle_missing; not owned
};

class S3Service {
public:
    // Loads the data directory, then creates each configured bucket that does not exist yet.
    // Throws std::invalid_argument naming the option (empty credentials or regions, an invalid
    // bucket name) and std::runtime_error naming the file for unreadable stored data.
    explicit S3Service(S3ServiceOptions options);
    ~S3Service();
    S3Service(const S3Service&) = delete;
    S3Service& operator=(const S3Service&) = delete;

    // Thread-safe; never throws (an unexpected failure is a 500 InternalError document).
    Response handle(const Request& request);

    // The max_request_body for the HttpServer in front: max_object_size plus 1 MiB, so a body
    // slightly over the S3 limit gets S3's 400 EntityTooLarge; only bodies beyond this get the
    // server's 413 (which it sends without reading them).
    std::size_t request_body_limit() const;

    S3ObjectStore& store() { return store_; }

private:
    S3ServiceOptions options_;
    S3ObjectStore store_;
    std::uint64_t request_id_seed_;
    std::atomic<std::uint64_t> request_counter_{0};

    std::chrono::system_clock::time_point now() const;
    std::string next_request_id();
};

}  // namespace refstack
