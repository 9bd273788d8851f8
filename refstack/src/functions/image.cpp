// lambda-image (contract 2.12): the PackageType Image function. Its runtime follows the image the
// environment deploys: Python on docker, Java on containerd (env E2E_IMAGE_EXPECTED_LOGGER names the
// CloudWatch logger the suite expects). Plain-object results, errors included (HTTP 200).
#include <chrono>

#include "e2e/s3.hpp"
#include "faults.hpp"
#include "functions/common.hpp"
#include "functions/handlers.hpp"
#include "random_id.hpp"

namespace refstack::functions {

using e2e::Json;

namespace {

constexpr std::string_view kPythonHandler = "esb-e2e-image-python";
constexpr std::string_view kJavaHandler = "esb-e2e-image-java";

class ImageRun {
public:
    ImageRun(bool java, const Json& event, FunctionContext& context) : java_(java), context_(context) {
        payload_ = merged_payload(event);
    }

    std::string handler() const {
        const bool report_java = context_.faults().on("image.wrong_handler") ? !java_ : java_;
        return std::string(report_java ? kJavaHandler : kPythonHandler);
    }

    // Python: a non-empty string value, else the fallback. Java: readString (trimmed, non-blank).
    std::string text(std::string_view key, std::string_view fallback) const {
        if (java_) return java_text(payload_, key, fallback);
        const auto value = payload_.find(key);
        return value && value->is_string() && !value->str().empty() ? value->str() : std::string(fallback);
    }

    std::string action() const { return text("action", "echo"); }
    std::string message() const { return text("message", "hello-image"); }

    Json chain_invoke() const {
        const std::string target = text("target", "lambda-echo");
        const auto async_value = payload_.find("async");
        const bool async = async_value && async_value->is_bool() && async_value->boolean();
        const ChildInvocation answer =
            invoke_function(context_, target, Json::object({{"message", message()}}), async);
        Members chain{{"target", target},
                      {"invocation_type", async ? "Event" : "RequestResponse"},
                      {"status_code", answer.status_code}};
        if (!async) {
            auto parsed = Json::try_parse(answer.payload);
            const bool use_parsed = java_ ? (parsed && parsed->is_object() && parsed->size() > 0) : parsed.has_value();
            chain.emplace_back("child", use_parsed ? *parsed : Json::of(answer.payload));
        }
        return Json::object(chain);
    }

    Json s3_roundtrip() const {
        const std::string bucket = text("bucket", "e2e-test-bucket");
        const std::string key = text("key", "image-" + random_hex_digits(8) + ".txt");
        std::string content;
        if (java_) {
            content = java_text(payload_, "content", "from-image-s3");
        } else {
            const auto value = payload_.find("content");
            content = value ? python_str(*value) : std::string("from-image-s3");
        }
        auto& client = context_.s3();
        (void)client.create_bucket(bucket);  // errors ignored: the bucket exists in repeated runs
        require_ok(client.put_object(bucket, key, content));
        const auto got = require_ok(client.get_object(bucket, key));
        return Json::object({{"bucket", bucket}, {"key", key}, {"content", require_utf8(got.body)}});
    }

    Json test_cloudwatch() const {
        const std::string marker =
            text("marker", "image-cloudwatch-" + (java_ ? make_uuid4() : random_hex_digits(32)));
        const auto now = std::chrono::system_clock::now();
        const std::string group = "/lambda/image-function";
        const std::string stream = "image-stream-" + std::to_string(epoch_millis(now));
        context_.put_log_events(group, stream, {{epoch_millis(now), "[INFO] " + marker}}, java_ ? "java" : "python");
        context_.print(Json::object({{"level", "INFO"}, {"message", marker}, {"function", "lambda-image"}}).dump());
        return Json::object({{"marker", marker}, {"log_group", group}, {"log_stream", stream}});
    }

private:
    // The parsed body (string or object) plus top-level string values of the listed keys it lacks,
    // and a boolean `async` likewise.
    Json merged_payload(const Json& event) const {
        if (!event.is_object()) return Json::object();
        Members members;
        auto has = [&members](std::string_view key) {
            for (const auto& member : members) {
                if (member.first == key) return true;
            }
            return false;
        };
        if (const auto body = event.find("body")) {
            std::optional<Json> parsed;
            if (body->is_object()) {
                parsed = *body;
            } else if (body->is_string()) {
                parsed = Json::try_parse(body->str());
            }
            if (parsed && parsed->is_object()) {
                for (auto& [key, value] : parsed->members()) members.emplace_back(key, value);
            }
        }
        for (std::string_view key : {"action", "message", "target", "bucket", "key", "content", "marker"}) {
            if (has(key)) continue;
            const auto value = event.find(key);
            if (!value || !value->is_string()) continue;
            if (java_ && java_text(event, key, "").empty()) continue;  // Java skips blank strings
            members.emplace_back(std::string(key), *value);
        }
        if (!has("async")) {
            if (const auto value = event.find("async"); value && value->is_bool()) members.emplace_back("async", *value);
        }
        return Json::object(members);
    }

    bool java_;
    FunctionContext& context_;
    Json payload_;
};

}  // namespace

std::string image(std::string_view payload, FunctionContext& context) {
    const bool java = context.env("E2E_IMAGE_EXPECTED_LOGGER") == "cloudwatch.logs.java";
    const ImageRun run(java, parse_event(payload), context);
    const std::string action = run.action();
    Members answer{{"success", true}, {"action", action}, {"handler", run.handler()}};
    try {
        if (action == "chain_invoke") {
            answer.emplace_back("chain", run.chain_invoke());
        } else if (action == "s3_roundtrip") {
            answer.emplace_back("s3", run.s3_roundtrip());
        } else if (action == "test_cloudwatch") {
            answer.emplace_back("cloudwatch", run.test_cloudwatch());
        } else {
            answer.emplace_back("message", run.message());
        }
    } catch (const std::exception& error) {
        return Json::object({{"success", false}, {"action", action}, {"handler", run.handler()}, {"error", std::string(error.what())}})
            .dump();
    }
    return Json::object(answer).dump();
}

}  // namespace refstack::functions
