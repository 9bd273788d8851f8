// What a function sees while it runs on a worker: ids, environment, log records (contract 1.10),
// AWS clients and chained invokes (section 3), and the worker fault switches.
#include "worker.hpp"

#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <mutex>
#include <regex>
#include <set>

#include "e2e/http.hpp"
#include "e2e/dynamodb.hpp"
#include "e2e/s3.hpp"
#include "faults.hpp"
#include "http_server.hpp"
#include "log_sink.hpp"
#include "runtime_test_support.hpp"

using Catch::Matchers::ContainsSubstring;
using refstack::FunctionContext;
using Kind = refstack::WorkerResult::Kind;

namespace {

constexpr const char* kTrace = "Root=1-65f0a1b2-0123456789abcdef01234567;Sampled=1";

struct WorkerFixture {
    explicit WorkerFixture(refstack::FunctionHandler handler, std::string runtime = "python3.12",
                           std::map<std::string, std::string> injected = {}, std::string log_level = "DEBUG") {
        spec = runtime_test::spec("lambda-echo");
        spec.runtime = std::move(runtime);
        spec.environment["LOG_LEVEL"] = std::move(log_level);
        worker = std::make_unique<refstack::Worker>(spec, std::move(handler), "c-1", refstack::worker_environment(spec, injected),
                                                    refstack::WorkerRuntime{logs, faults, http});
    }

    refstack::WorkerResult run(std::string payload = "{}", std::string trace = kTrace) {
        return worker->run({spec.name, std::move(payload), std::move(trace)}, std::chrono::seconds(5));
    }

    refstack::FunctionSpec spec;
    refstack::CollectingLogSink logs;
    refstack::FaultSwitches faults;
    e2e::HttpClient http;
    std::unique_ptr<refstack::Worker> worker;
};

bool is_uuid(const std::string& text) {
    static const std::regex uuid("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
    return std::regex_match(text, uuid);
}

bool is_iso_millis(const std::string& text) {
    static const std::regex iso(R"(^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$)");
    return std::regex_match(text, iso);
}

}  // namespace

TEST_CASE("a text line becomes a record with a guessed level and the invocation ids", "[refstack][invoker][worker]") {
    std::string request_id;
    WorkerFixture f([&](std::string_view, FunctionContext& context) {
        request_id = context.aws_request_id();
        context.print("DEBUG: CRASHING NOW\n");
        context.print("processing message");
        context.print("a WARNing");
        context.print("Critical failure");
        context.print("   ");
        return std::string("{}");
    });
    REQUIRE(f.run().kind == Kind::ok);
    const auto records = f.logs.records();
    REQUIRE(records.size() == 4);
    const auto& first = records[0];
    CHECK(first.str("message") == "DEBUG: CRASHING NOW");
    CHECK(first.str("level") == "DEBUG");
    CHECK(first.str("container_name") == "lambda-echo");
    CHECK(first.str("job") == "lambda");
    CHECK(first.str("trace_id") == kTrace);
    CHECK(first.str("aws_request_id") == request_id);
    CHECK(is_iso_millis(first.str("_time")));
    CHECK(records[1].str("level") == "INFO");
    CHECK(records[2].str("level") == "WARNING");
    CHECK(records[3].str("level") == "ERROR");
}

TEST_CASE("a json line keeps its own fields and gets only the missing ones", "[refstack][invoker][worker]") {
    WorkerFixture f([](std::string_view, FunctionContext& context) {
        context.print(R"({"level":"DEBUG","message":"m","timestamp":"2024-05-01T12:00:00.000Z","container_name":"mine"})");
        context.print(R"({"message":"n","_time":"2024-05-01T12:00:01.000Z","timestamp":"x","trace_id":"not-found"})");
        return std::string("{}");
    });
    REQUIRE(f.run().kind == Kind::ok);
    const auto records = f.logs.records();
    REQUIRE(records.size() == 2);
    CHECK(records[0].str("_time") == "2024-05-01T12:00:00.000Z");
    CHECK_FALSE(records[0].has("timestamp"));
    CHECK(records[0].str("container_name") == "mine");
    CHECK(records[0].str("job") == "lambda");
    CHECK(records[0].str("trace_id") == kTrace);
    CHECK(is_uuid(records[0].str("aws_request_id")));
    CHECK(records[1].str("_time") == "2024-05-01T12:00:01.000Z");
    CHECK(records[1].str("timestamp") == "x");
    CHECK(records[1].str("trace_id") == "not-found");  // python keeps a present trace_id
}

TEST_CASE("a java json line gets the real trace in place of not-found", "[refstack][invoker][worker]") {
    WorkerFixture f([](std::string_view, FunctionContext& context) {
        context.print(R"({"message":"n","trace_id":"not-found"})");
        context.print(R"({"message":"o","trace_id":" "})");
        return std::string("{}");
    }, "java21");
    REQUIRE(f.run().kind == Kind::ok);
    const auto records = f.logs.records();
    REQUIRE(records.size() == 2);
    CHECK(records[0].str("trace_id") == kTrace);
    CHECK(records[1].str("trace_id") == kTrace);
}

TEST_CASE("aws_request_id is a distinct uuid per invocation and the trace is per invocation", "[refstack][invoker][worker]") {
    std::vector<std::pair<std::string, std::string>> seen;
    WorkerFixture f([&](std::string_view, FunctionContext& context) {
        seen.emplace_back(context.aws_request_id(), context.trace_header());
        context.log("info", "handled", "function");
        return std::string("{}");
    });
    REQUIRE(f.run().kind == Kind::ok);
    REQUIRE(f.run("{}", "").kind == Kind::ok);
    REQUIRE(seen.size() == 2);
    CHECK(is_uuid(seen[0].first));
    CHECK(is_uuid(seen[1].first));
    CHECK(seen[0].first != seen[1].first);
    CHECK(seen[0].second == kTrace);
    CHECK(seen[1].second.empty());
    const auto records = f.logs.records();
    REQUIRE(records.size() == 2);
    CHECK(records[0].str("level") == "INFO");
    CHECK(records[0].str("logger") == "function");
    CHECK(records[0].str("aws_request_id") == seen[0].first);
    CHECK_FALSE(records[1].has("trace_id"));
}

TEST_CASE("logging below LOG_LEVEL is not emitted", "[refstack][invoker][worker]") {
    WorkerFixture f([](std::string_view, FunctionContext& context) {
        context.log("DEBUG", "debug line");
        context.log("WARN", "warn line");
        return std::string("{}");
    }, "python3.12", {}, "INFO");
    REQUIRE(f.run().kind == Kind::ok);
    const auto records = f.logs.records();
    REQUIRE(records.size() == 1);
    CHECK(records[0].str("message") == "warn line");
    CHECK(records[0].str("level") == "WARNING");
}

TEST_CASE("python cloudwatch events take the level prefix and drop below LOG_LEVEL", "[refstack][invoker][worker]") {
    const std::vector<std::pair<std::int64_t, std::string>> events{
        {1700000000000, "[DEBUG] marker debug"},
        {1700000000001, "[INFO] marker info"},
        {1700000000002, "[WARNING] marker warning"},
        {1700000000003, "[ERROR] marker error"},
        {1700000000004, "marker plain"}};
    WorkerFixture f([&](std::string_view, FunctionContext& context) {
        context.put_log_events("/lambda/test", "test-stream-1", events, "python");
        return std::string("{}");
    });
    REQUIRE(f.run().kind == Kind::ok);
    auto records = f.logs.records();
    REQUIRE(records.size() == 5);  // LOG_LEVEL DEBUG keeps all, exactly once each
    CHECK(records[0].str("level") == "DEBUG");
    CHECK(records[0].str("message") == "marker debug");
    CHECK(records[0].str("_time") == "2023-11-14T22:13:20.000Z");
    CHECK(records[0].str("logger") == "cloudwatch.logs.python");
    CHECK(records[0].str("log_group") == "/lambda/test");
    CHECK(records[0].str("log_stream") == "test-stream-1");
    CHECK(records[0].str("job") == "lambda");
    CHECK(records[0].str("container_name") == "lambda-echo");
    CHECK(records[0].str("trace_id") == kTrace);
    CHECK(is_uuid(records[0].str("aws_request_id")));
    CHECK(records[2].str("level") == "WARNING");
    CHECK(records[3].str("level") == "ERROR");
    CHECK(records[4].str("level") == "INFO");
    CHECK(records[4].str("message") == "marker plain");

    WorkerFixture info([&](std::string_view, FunctionContext& context) {
        context.put_log_events("/lambda/test", "s", events, "python");
        return std::string("{}");
    }, "python3.12", {}, "INFO");
    REQUIRE(info.run().kind == Kind::ok);
    records = info.logs.records();
    CHECK(records.size() == 4);  // the DEBUG event is dropped: what RTP-003 would catch with LOG_LEVEL INFO
}

TEST_CASE("java cloudwatch events are levelled by keywords and never dropped", "[refstack][invoker][worker]") {
    CHECK(refstack::cloudwatch_level("[DEBUG] a", "java").level == "DEBUG");
    CHECK(refstack::cloudwatch_level("[DEBUG] a", "java").message == "a");
    CHECK(refstack::cloudwatch_level("x TRACE y", "java").level == "DEBUG");
    CHECK(refstack::cloudwatch_level("[WARN] b", "java").level == "WARNING");
    CHECK(refstack::cloudwatch_level("[WARN] b", "java").message == "b");
    CHECK(refstack::cloudwatch_level("ERROR here", "java").level == "ERROR");
    CHECK(refstack::cloudwatch_level("CRITICAL here", "java").level == "ERROR");
    CHECK(refstack::cloudwatch_level("[INFO] c", "java").level == "INFO");
    CHECK(refstack::cloudwatch_level("[INFO] c", "java").message == "c");
    CHECK(refstack::cloudwatch_level("[WARN] b", "python").level == "INFO");  // python knows only its five prefixes
    CHECK(refstack::cloudwatch_level("[CRITICAL] d", "python").level == "CRITICAL");

    WorkerFixture f([](std::string_view, FunctionContext& context) {
        context.put_log_events("/lambda/j", "s", {{1, "[DEBUG] x"}, {2, "[INFO] y"}}, "java");
        return std::string("{}");
    }, "java21", {}, "ERROR");
    REQUIRE(f.run().kind == Kind::ok);
    const auto records = f.logs.records();
    REQUIRE(records.size() == 2);
    CHECK(records[0].str("logger") == "cloudwatch.logs.java");
    CHECK(records[0].str("level") == "DEBUG");
}

TEST_CASE("cloudwatch events are stored twice under the cloudwatch_duplicated fault", "[refstack][invoker][worker]") {
    WorkerFixture f([](std::string_view, FunctionContext& context) {
        context.put_log_events("/lambda/test", "s", {{1, "[INFO] once"}}, "python");
        return std::string("{}");
    });
    REQUIRE(f.run().kind == Kind::ok);
    CHECK(f.logs.records().size() == 1);
    f.faults.force("logs.cloudwatch_duplicated", true);
    REQUIRE(f.run().kind == Kind::ok);
    CHECK(f.logs.records().size() == 3);
}

TEST_CASE("function records are dropped under the drop_function_records fault", "[refstack][invoker][worker]") {
    WorkerFixture f([](std::string_view, FunctionContext& context) {
        context.print("hello");
        context.log("INFO", "hi");
        context.put_log_events("/g", "s", {{1, "[INFO] x"}}, "python");
        return std::string("{}");
    });
    f.faults.force("logs.drop_function_records", true);
    REQUIRE(f.run().kind == Kind::ok);
    CHECK(f.logs.records().empty());
    f.faults.force("logs.drop_function_records", false);
    REQUIRE(f.run().kind == Kind::ok);
    CHECK(f.logs.records().size() == 3);
}

TEST_CASE("the worker environment has the function values and the injected lambda names", "[refstack][invoker][worker]") {
    auto spec = runtime_test::spec("lambda-s3");
    spec.environment["S3_ENDPOINT"] = "http://127.0.0.1:9000";
    spec.environment["EMPTY"] = "";
    const auto environment =
        refstack::worker_environment(spec, {{"S3_ENDPOINT", "http://other:1"}, {"EMPTY", "filled"}, {"VICTORIALOGS_URL", "http://v"}});
    CHECK(environment.at("S3_ENDPOINT") == "http://127.0.0.1:9000");
    CHECK(environment.at("EMPTY") == "filled");
    CHECK(environment.at("VICTORIALOGS_URL") == "http://v");
    CHECK(environment.at("AWS_LAMBDA_FUNCTION_NAME") == "lambda-s3");
    CHECK(environment.at("AWS_LAMBDA_FUNCTION_MEMORY_SIZE") == "512");
    CHECK(environment.at("AWS_REGION") == "ap-northeast-1");

    std::string name;
    std::string trace_env;
    std::string fallback;
    WorkerFixture f([&](std::string_view, FunctionContext& context) {
        name = context.env("AWS_LAMBDA_FUNCTION_NAME");
        trace_env = context.env("_X_AMZN_TRACE_ID");
        fallback = context.env("NOT_SET", "dflt");
        return std::string("{}");
    });
    REQUIRE(f.run().kind == Kind::ok);
    CHECK(name == "lambda-echo");
    CHECK(trace_env == kTrace);
    CHECK(fallback == "dflt");
}

TEST_CASE("the aws clients use the endpoints from the environment", "[refstack][invoker][worker]") {
    std::string s3_endpoint;
    std::string presign_endpoint;
    std::string region;
    WorkerFixture f(
        [&](std::string_view, FunctionContext& context) {
            s3_endpoint = context.s3().endpoint();
            presign_endpoint = context.s3_presign().endpoint();
            region = context.dynamodb().config().region;
            return std::string("{}");
        },
        "python3.12",
        {{"S3_ENDPOINT", "http://127.0.0.1:19000"}, {"S3_PRESIGN_ENDPOINT", "http://localhost:19000"},
         {"DYNAMODB_ENDPOINT", "http://127.0.0.1:18000"}, {"AWS_ACCESS_KEY_ID", "esb"}, {"AWS_SECRET_ACCESS_KEY", "s"}});
    REQUIRE(f.run().kind == Kind::ok);
    CHECK(s3_endpoint == "http://127.0.0.1:19000");
    CHECK(presign_endpoint == "http://localhost:19000");
    CHECK(region == "ap-northeast-1");

    WorkerFixture missing([](std::string_view, FunctionContext& context) {
        context.s3();
        return std::string("{}");
    });
    const auto result = missing.run();
    CHECK(result.kind == Kind::function_error);
    CHECK_THAT(result.payload, ContainsSubstring("S3_ENDPOINT is not set for lambda-echo"));
}

TEST_CASE("a chained invoke carries the trace header and the invocation type", "[refstack][invoker][worker]") {
    std::mutex mutex;
    std::vector<refstack::Request> received;
    refstack::HttpServer gateway({.name = "fake-gateway"}, [&](const refstack::Request& request) {
        std::lock_guard lock(mutex);
        received.push_back(request);
        return refstack::Response::json(200, R"({"statusCode":200})").with_header("X-Amz-Function-Error", "Unhandled");
    });
    gateway.start();
    refstack::ChildInvocation sync_result;
    WorkerFixture f(
        [&](std::string_view, FunctionContext& context) {
            sync_result = context.invoke("lambda-echo", R"({"message":"from-chain"})", false);
            context.invoke("lambda-echo", "{}", true);
            return std::string("{}");
        },
        "python3.12", {{"GATEWAY_INTERNAL_URL", gateway.url() + "/"}});
    REQUIRE(f.run().kind == Kind::ok);
    CHECK(sync_result.status_code == 200);
    CHECK(sync_result.payload == R"({"statusCode":200})");
    CHECK(sync_result.function_error);
    std::lock_guard lock(mutex);
    REQUIRE(received.size() == 2);
    CHECK(received[0].method == "POST");
    CHECK(received[0].path == "/2015-03-31/functions/lambda-echo/invocations");
    CHECK(received[0].body == R"({"message":"from-chain"})");
    CHECK(received[0].header("X-Amzn-Trace-Id") == kTrace);
    CHECK(received[0].header("X-Amz-Invocation-Type") == "RequestResponse");
    CHECK(received[1].header("X-Amz-Invocation-Type") == "Event");
}

TEST_CASE("a chained invoke carries no trace under the not_propagated fault", "[refstack][invoker][worker]") {
    std::mutex mutex;
    std::vector<refstack::Request> received;
    refstack::HttpServer gateway({.name = "fake-gateway"}, [&](const refstack::Request& request) {
        std::lock_guard lock(mutex);
        received.push_back(request);
        return refstack::Response::json(202, "");
    });
    gateway.start();
    WorkerFixture f(
        [](std::string_view, FunctionContext& context) {
            context.invoke("lambda-echo", "{}", true);
            return std::string("{}");
        },
        "python3.12", {{"GATEWAY_INTERNAL_URL", gateway.url()}});
    f.faults.force("trace.not_propagated", true);
    REQUIRE(f.run().kind == Kind::ok);
    std::lock_guard lock(mutex);
    REQUIRE(received.size() == 1);
    CHECK_FALSE(received[0].header("X-Amzn-Trace-Id").has_value());
}

TEST_CASE("a stopped worker answers a connection error", "[refstack][invoker][worker]") {
    WorkerFixture f([](std::string_view, FunctionContext&) { return std::string("{}"); });
    f.worker->stop();
    const auto result = f.run();
    CHECK(result.kind == Kind::connection_error);
    CHECK_THAT(result.message, ContainsSubstring("not running"));
}
