// lambda-connectivity (python, contract 2.5) and lambda-connectivity-java (2.6): one action per
// dependency the smoke suite checks (echo, DynamoDB, S3, chained invoke, CloudWatch passthrough).
// The two flavours differ in defaults, body parsing, the child rule and the CloudWatch names.
#include <chrono>
#include <functional>

#include "e2e/dynamodb.hpp"
#include "e2e/s3.hpp"
#include "faults.hpp"
#include "functions/common.hpp"
#include "functions/handlers.hpp"

namespace refstack::functions {

using e2e::Json;

namespace {

enum class Flavour { python, java };

struct Defaults {
    std::string dynamo_key;
    std::string s3_key;
};

const Defaults& defaults_of(Flavour flavour) {
    static const Defaults python{"python-smoke", "python-connectivity.txt"};
    static const Defaults java{"java-connectivity", "java-connectivity.txt"};
    return flavour == Flavour::python ? python : java;
}

// One invocation: the request body read by the flavour's rules, and the answer helpers.
class Connectivity {
public:
    Connectivity(Flavour flavour, Json body, FunctionContext& context)
        : flavour_(flavour), body_(std::move(body)), context_(context) {}

    // Python's body.get(key, fallback) used as a string parameter; Java's trimmed readString.
    std::string text(std::string_view key, std::string_view fallback) const {
        return flavour_ == Flavour::python ? python_string_param(body_, key, fallback) : java_text(body_, key, fallback);
    }

    bool success() const { return !context_.faults().on("connectivity.success_false"); }

    std::string ok(std::string_view action, Members extra = {}) const {
        Members members{{"success", success()}, {"action", action}};
        for (auto& member : extra) members.push_back(std::move(member));
        return api_response(members);
    }

    std::string echo() const {
        const std::string message = flavour_ == Flavour::python ? python_text(body_, "message", "hello")
                                                                : java_text(body_, "message", "hello");
        return ok("echo", {{"message", "Echo: " + message}});
    }

    std::string dynamodb_put() const {
        const std::string key = text("key", defaults_of(flavour_).dynamo_key);
        const std::string value = text("value", "ok");
        const std::string table = env_or(context_, "E2E_TABLE_NAME", "e2e-test-table");
        require_ok(context_.dynamodb().put_item(
            table, {{"id", e2e::AttributeValue::string(key)}, {"value", e2e::AttributeValue::string(value)}}));
        return ok("dynamodb_put");
    }

    std::string s3_put() const {
        const std::string bucket = text("bucket", env_or(context_, "E2E_BUCKET", "e2e-test-bucket"));
        const std::string key = text("key", defaults_of(flavour_).s3_key);
        const std::string content = text("content", "ok");
        auto& client = context_.s3();
        (void)client.create_bucket(bucket);  // errors ignored (the bucket usually exists)
        require_ok(client.put_object(bucket, key, content));
        return ok("s3_put");
    }

    std::string chain(std::string_view action, std::string_view default_message) const {
        const std::string target = text("target", "lambda-echo");
        // Python sends the message value as given; Java sends its trimmed text.
        Json message = Json::of(java_text(body_, "message", default_message));
        if (flavour_ == Flavour::python) {
            message = body_.has("message") ? body_.at("message") : Json::of(default_message);
        }
        const ChildInvocation child = invoke_function(context_, target, Json::object({{"message", message}}), false);
        if (context_.faults().on("connectivity.missing_child")) return ok(action);
        return ok(action, {{"child", child_value(child.payload)}});
    }

    std::string test_cloudwatch() const {
        const auto now = std::chrono::system_clock::now();
        const std::int64_t t = epoch_millis(now);
        std::string group;
        std::string stream;
        std::vector<std::pair<std::int64_t, std::string>> events;
        if (flavour_ == Flavour::python) {
            group = "/lambda/hello-test";
            stream = "test-stream-" + std::to_string(epoch_seconds(now));
            events = {{t, "[INFO] Test log from Lambda at " + std::to_string(t)},
                      {t + 1, "[DEBUG] This is a debug message"},
                      {t + 2, "[ERROR] This is an error message"},
                      {t + 3, "CloudWatch Logs E2E verification successful!"}};
        } else {
            group = "/aws/lambda/java-connectivity";
            stream = "test-stream-" + std::to_string(t);
            events = {{t, "[INFO] Java CloudWatch log test"},
                      {t + 1, "[DEBUG] Debug log from java connectivity"},
                      {t + 2, "[ERROR] Error log from java connectivity"},
                      {t + 3, "CloudWatch Logs E2E verification successful!"}};
        }
        context_.put_log_events(group, stream, events, flavour_ == Flavour::python ? "python" : "java");
        return ok("test_cloudwatch", {{"log_group", group}, {"log_stream", stream}});
    }

private:
    // Python: the payload parsed as JSON, else the raw text. Java: a non-empty JSON object, else the text.
    Json child_value(const std::string& payload) const {
        auto parsed = Json::try_parse(payload);
        if (flavour_ == Flavour::python) return parsed ? *parsed : Json::of(payload);
        if (parsed && parsed->is_object() && parsed->size() > 0) return *parsed;
        return Json::of(payload);
    }

    Flavour flavour_;
    Json body_;
    FunctionContext& context_;
};

std::string failure(const Json& action, const std::exception& error) {
    return api_response({{"success", false}, {"action", action}, {"error", std::string(error.what())}}, 500);
}

}  // namespace

std::string connectivity_python(std::string_view payload, FunctionContext& context) {
    const Json event = parse_event(payload);
    if (auto pong = python_ping(event)) return *pong;
    Json body = python_body(event);
    const Json action_value = body.has("action") ? body.at("action") : Json::of("echo");
    const std::string action = action_value.is_string() ? action_value.str() : std::string();
    // Not in ESB's fixture: one record per invocation so the function's logs are findable by trace.
    context.log("INFO", "Processing action: " + python_str(action_value));
    const Connectivity run(Flavour::python, std::move(body), context);
    try {
        if (action == "echo") return run.echo();
        if (action == "dynamodb_put") return run.dynamodb_put();
        if (action == "s3_put") return run.s3_put();
        if (action == "chain_invoke") return run.chain("chain_invoke", "from-python");
        if (action == "test_cloudwatch") return run.test_cloudwatch();
    } catch (const std::exception& error) {
        return failure(action_value, error);
    }
    return api_response({{"success", run.success()}, {"action", action_value}});
}

std::string connectivity_java(std::string_view payload, FunctionContext& context) {
    const Json event = parse_event(payload);
    if (event.is_object() && truthy(event.find("ping"))) return api_response({{"message", "pong"}});
    const Connectivity run(Flavour::java, java_body(event), context);
    std::string action = "hello";
    try {
        action = run.text("action", "hello");
        if (action == "echo") return run.echo();
        if (action == "dynamodb_put") return run.dynamodb_put();
        if (action == "s3_put") return run.s3_put();
        if (action == "lambda_invoke") return run.chain("lambda_invoke", "hello-from-java");
        if (action == "chain_invoke") return run.chain("chain_invoke", "from-java");
        if (action == "test_cloudwatch") return run.test_cloudwatch();
        return run.ok(action);
    } catch (const std::exception& error) {
        return failure(Json::of(action), error);
    }
}

}  // namespace refstack::functions
