// An S3Service behind a refstack::HttpServer on a free loopback port, on a fresh data directory,
// with a clock the test can move: the fixture of the S3 tests.
#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <unistd.h>

#include "e2e/s3.hpp"
#include "http_server.hpp"
#include "resources_config.hpp"
#include "s3_service.hpp"

namespace refstack::test {

inline constexpr const char* kS3AccessKey = "esb";
inline constexpr const char* kS3SecretKey = "0123456789abcdef0123456789abcdef";
inline constexpr const char* kS3Bucket = "e2e-test-bucket";

// A directory under the system temp dir, removed (with everything in it) on destruction.
class TempDir {
public:
    explicit TempDir(const std::string& name) {
        static std::atomic<int> counter{0};
        path_ = std::filesystem::temp_directory_path() /
                ("e2e-s3-" + name + "-" + std::to_string(::getpid()) + "-" + std::to_string(++counter));
        std::filesystem::remove_all(path_);
        std::filesystem::create_directories(path_);
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
};

// The buckets of environments/reference/resources.yml (e2e-test-bucket, one rule: Enabled, 7 days).
inline std::vector<BucketSpec> reference_buckets() {
    return load_resources_config(std::filesystem::path(E2E_SOURCE_DIR) / "environments/reference/resources.yml").buckets;
}

class S3TestStack {
public:
    // `data_dir` must outlive the stack; `max_object_size` as in S3ServiceOptions.
    explicit S3TestStack(std::filesystem::path data_dir, std::size_t max_object_size = 4u * 1024u * 1024u)
        : clock_offset_(std::make_shared<std::atomic<long long>>(0)) {
        S3ServiceOptions options;
        options.data_dir = std::move(data_dir);
        options.access_key = kS3AccessKey;
        options.secret_key = kS3SecretKey;
        options.buckets = reference_buckets();
        options.max_object_size = max_object_size;
        options.clock = [offset = clock_offset_] {
            return std::chrono::system_clock::now() + std::chrono::seconds(offset->load());
        };
        service_ = std::make_unique<S3Service>(options);
        ServerOptions server_options;
        server_options.name = "s3";
        server_options.max_request_body = service_->request_body_limit();
        server_ = std::make_unique<HttpServer>(server_options,
                                               [service = service_.get()](const Request& request) { return service->handle(request); });
        server_->start();
    }

    std::string endpoint() const { return server_->url(); }
    S3Service& service() { return *service_; }

    // Moves the service's clock (not the clients').
    void advance_clock(std::chrono::seconds by) { clock_offset_->fetch_add(by.count()); }

    std::unique_ptr<e2e::S3Client> client(const std::string& secret = kS3SecretKey, const std::string& access_key = kS3AccessKey,
                                          const std::string& region = "ap-northeast-1") const {
        return std::make_unique<e2e::S3Client>(endpoint(), access_key, secret, region);
    }

private:
    std::shared_ptr<std::atomic<long long>> clock_offset_;
    std::unique_ptr<S3Service> service_;
    std::unique_ptr<HttpServer> server_;
};

}  // namespace refstack::test
