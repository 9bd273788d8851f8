// A FunctionContext for unit tests of the E2E functions: it records what a function prints, logs,
// sends to CloudWatch and invokes (child answers are scripted), and hands out real S3 / DynamoDB
// clients pointed at in-process refstack services holding the reference resources (the bucket and
// table of environments/reference/resources.yml), so side effects can be read back at the source.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dynamodb_service.hpp"
#include "e2e/dynamodb.hpp"
#include "e2e/json.hpp"
#include "e2e/s3.hpp"
#include "faults.hpp"
#include "function_runtime.hpp"
#include "http_server.hpp"
#include "resources_config.hpp"
#include "s3_test_stack.hpp"

namespace refstack::test {

// S3 (path style, SigV4) and DynamoDB of the reference resources on free loopback ports, on a
// fresh data directory. One per test process: tests use unique keys.
class FunctionServices {
public:
    FunctionServices()
        : dir_("functions"),
          s3_(dir_.path() / "s3"),
          dynamodb_(dynamodb_config(dir_.path() / "dynamodb")),
          dynamodb_server_({.name = "dynamodb"}, [this](const Request& request) { return dynamodb_.handle(request); }) {
        dynamodb_server_.start();
    }

    // What the functions use for S3 traffic (S3_ENDPOINT): http://127.0.0.1:<port>.
    std::string s3_endpoint() const { return s3_.endpoint(); }
    // The host-facing endpoint presigned URLs must name (S3_PRESIGN_ENDPOINT): same service, another
    // host name, so a URL tells which client signed it.
    std::string s3_presign_endpoint() const {
        std::string endpoint = s3_.endpoint();
        return "http://localhost" + endpoint.substr(endpoint.rfind(':'));
    }
    std::string dynamodb_endpoint() const { return dynamodb_server_.url(); }

    std::unique_ptr<e2e::S3Client> s3_client(const std::string& endpoint, const std::string& secret = kS3SecretKey) const {
        return std::make_unique<e2e::S3Client>(endpoint, kS3AccessKey, secret);
    }
    std::unique_ptr<e2e::DynamoDbClient> dynamodb_client(const std::string& secret = kS3SecretKey) const {
        return std::make_unique<e2e::DynamoDbClient>(
            e2e::DynamoDbConfig{.endpoint = dynamodb_endpoint(), .access_key = kS3AccessKey, .secret_key = secret});
    }

private:
    static DynamoDbServiceConfig dynamodb_config(const std::filesystem::path& data_dir) {
        DynamoDbServiceConfig config;
        config.data_dir = data_dir;
        config.credentials = {{kS3AccessKey, kS3SecretKey, {}}};
        config.tables =
            load_resources_config(std::filesystem::path(E2E_SOURCE_DIR) / "environments/reference/resources.yml").tables;
        config.region = "ap-northeast-1";
        return config;
    }

    TempDir dir_;
    S3TestStack s3_;
    DynamoDbService dynamodb_;
    HttpServer dynamodb_server_;
};

inline FunctionServices& function_services() {
    static FunctionServices services;
    return services;
}

struct LogCall {
    std::string level;
    std::string message;
    std::string logger;
};

struct CloudWatchCall {
    std::string log_group;
    std::string log_stream;
    std::vector<std::pair<std::int64_t, std::string>> events;
    std::string runtime;
};

struct InvokeCall {
    std::string function_name;
    std::string payload;
    bool event = false;
};

// Which key pair the AWS clients sign with: the services' own, or one with a wrong secret (every
// call then fails with the service's signature error).
enum class ClientCredentials { valid, wrong_secret };

class FakeFunctionContext final : public FunctionContext {
public:
    explicit FakeFunctionContext(std::string function_name, ClientCredentials credentials = ClientCredentials::valid)
        : function_name_(std::move(function_name)),
          secret_(credentials == ClientCredentials::valid ? kS3SecretKey : "not-the-secret-0123456789abcdef") {}

    // --- what the test sets ---
    std::string trace;  // the restored trace header; "" = none
    std::string request_id = "6f1c2a9e-8d4b-4c1e-9a53-2b7d0e4f1a88";
    std::map<std::string, std::string, std::less<>> environment;
    FaultSwitches switches;
    // Answers child invocations; default: the gateway's 404 for an unknown function.
    std::function<ChildInvocation(const InvokeCall&)> answer_invoke = [](const InvokeCall& call) {
        return ChildInvocation{404, e2e::Json::object({{"message", "Function not found: " + call.function_name}}).dump(), false};
    };

    // --- what the function did ---
    std::vector<std::string> printed;
    std::vector<LogCall> logs;
    std::vector<CloudWatchCall> cloudwatch;
    std::vector<InvokeCall> invocations;

    // The printed lines that are JSON objects, parsed.
    std::vector<e2e::Json> printed_json() const {
        std::vector<e2e::Json> records;
        for (const auto& line : printed) {
            if (auto record = e2e::Json::try_parse(line); record && record->is_object()) records.push_back(*record);
        }
        return records;
    }

    const std::string& function_name() const override { return function_name_; }
    const std::string& aws_request_id() const override { return request_id; }
    const std::string& trace_header() const override { return trace; }
    std::string env(std::string_view name, std::string_view fallback = {}) const override {
        const auto it = environment.find(name);
        return it == environment.end() ? std::string(fallback) : it->second;
    }

    void print(std::string_view line) override { printed.emplace_back(line); }
    void log(std::string_view level, std::string_view message, std::string_view logger = "function") override {
        logs.push_back({std::string(level), std::string(message), std::string(logger)});
    }
    void put_log_events(std::string_view log_group, std::string_view log_stream,
                        const std::vector<std::pair<std::int64_t, std::string>>& events_ms_message,
                        std::string_view runtime) override {
        cloudwatch.push_back({std::string(log_group), std::string(log_stream), events_ms_message, std::string(runtime)});
    }

    e2e::S3Client& s3() override {
        if (!s3_) s3_ = function_services().s3_client(function_services().s3_endpoint(), secret_);
        return *s3_;
    }
    e2e::S3Client& s3_presign() override {
        if (!s3_presign_) s3_presign_ = function_services().s3_client(function_services().s3_presign_endpoint(), secret_);
        return *s3_presign_;
    }
    e2e::DynamoDbClient& dynamodb() override {
        if (!dynamodb_) dynamodb_ = function_services().dynamodb_client(secret_);
        return *dynamodb_;
    }
    ChildInvocation invoke(std::string_view function_name, std::string_view payload, bool event) override {
        invocations.push_back({std::string(function_name), std::string(payload), event});
        return answer_invoke(invocations.back());
    }

    const FaultSwitches& faults() const override { return switches; }

private:
    std::string function_name_;
    std::string secret_;
    std::unique_ptr<e2e::S3Client> s3_;
    std::unique_ptr<e2e::S3Client> s3_presign_;
    std::unique_ptr<e2e::DynamoDbClient> dynamodb_;
};

}  // namespace refstack::test
