// The gateway HTTP layer driven over HTTPS by e2e::HttpClient, with a fake Invoker that records
// invocations and answers scripted outcomes, and a collecting log sink.
#include "gateway_service.hpp"

#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <mutex>
#include <regex>
#include <set>
#include <thread>

#include "base64.hpp"
#include "e2e/http.hpp"
#include "e2e/json.hpp"
#include "e2e/matchers.hpp"
#include "e2e/self_signed_cert.hpp"
#include "function_config.hpp"
#include "http_server.hpp"
#include "jwt.hpp"

using Catch::Matchers::ContainsSubstring;
using Catch::Matchers::StartsWith;
using e2e::Field;
using e2e::HasField;
using e2e::Json;
using e2e::Status;
using refstack::InvocationOutcome;
using Kind = refstack::InvocationOutcome::Kind;

namespace {

constexpr const char* kUser = "e2e-user";
constexpr const char* kPass = "e2e-pass";
constexpr const char* kApiKey = "e2e-api-key";
constexpr const char* kSecret = "gateway-test-secret-0123456789abcdef";
const std::string kRoot = "1-65f0a1b2-0123456789abcdef01234567";

// Records every invocation; answers with `script` (default: lambda-echo's API Gateway answer).
class FakeInvoker : public refstack::Invoker {
public:
    std::function<InvocationOutcome(const refstack::Invocation&)> script;
    Json pools = Json::parse(R"({"pools": [], "collected_at": "2024-01-01T00:00:00+00:00"})");

    InvocationOutcome invoke(const refstack::Invocation& invocation) override {
        {
            std::lock_guard lock(mutex_);
            calls_.push_back(invocation);
        }
        changed_.notify_all();
        if (script) return script(invocation);
        InvocationOutcome outcome;
        outcome.headers = {{"Content-Type", "application/json"}};
        outcome.payload = R"({"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": "{\"success\": true}"})";
        return outcome;
    }
    Json pools_json() const override { return pools; }

    std::vector<refstack::Invocation> calls() const {
        std::lock_guard lock(mutex_);
        return calls_;
    }
    // Waits until `count` invocations arrived or the timeout passes.
    bool wait_for_calls(std::size_t count, std::chrono::milliseconds timeout = std::chrono::seconds(5)) const {
        std::unique_lock lock(mutex_);
        return changed_.wait_for(lock, timeout, [&] { return calls_.size() >= count; });
    }

private:
    mutable std::mutex mutex_;
    mutable std::condition_variable changed_;
    std::vector<refstack::Invocation> calls_;
};

// A gate the fake invoker can wait on, so a test controls when an invocation finishes.
class Gate {
public:
    void open() {
        {
            std::lock_guard lock(mutex_);
            open_ = true;
        }
        changed_.notify_all();
    }
    void wait() {
        std::unique_lock lock(mutex_);
        changed_.wait_for(lock, std::chrono::seconds(10), [&] { return open_; });
    }

private:
    std::mutex mutex_;
    std::condition_variable changed_;
    bool open_ = false;
};

InvocationOutcome outcome_of(Kind kind, std::string message = {}, int status = 200, std::string payload = {},
                             refstack::Headers headers = {}) {
    InvocationOutcome outcome;
    outcome.kind = kind;
    outcome.message = std::move(message);
    outcome.status = status;
    outcome.payload = std::move(payload);
    outcome.headers = std::move(headers);
    return outcome;
}

refstack::FunctionsConfig reference_functions() {
    const auto dir = std::filesystem::path(E2E_SOURCE_DIR) / "environments/reference";
    return refstack::load_functions_config(dir / "routing.yml", dir / "functions.yml");
}

// GatewayService behind an HTTPS HttpServer on a free loopback port.
class GatewayStack {
public:
    explicit GatewayStack(const std::function<void(refstack::GatewayConfig&)>& customise = {})
        : clock_offset_(std::make_shared<std::atomic<long long>>(0)) {
        refstack::GatewayConfig config;
        config.auth_user = kUser;
        config.auth_pass = kPass;
        config.api_key = kApiKey;
        config.jwt_secret = kSecret;
        config.functions = reference_functions();
        config.log_level = "DEBUG";
        config.clock = [offset = clock_offset_] { return std::chrono::system_clock::now() + std::chrono::seconds(offset->load()); };
        if (customise) customise(config);
        service_ = std::make_unique<refstack::GatewayService>(std::move(config), invoker, logs, faults);
        const auto cert = e2e::make_self_signed_cert();
        server_ = std::make_unique<refstack::HttpServer>(
            refstack::ServerOptions{.name = "gateway", .tls = refstack::TlsIdentity{cert.cert_pem, cert.key_pem}},
            [service = service_.get()](const refstack::Request& request) { return service->handle(request); });
        server_->start();
    }
    ~GatewayStack() {
        server_->stop();
        service_.reset();
    }
    GatewayStack(const GatewayStack&) = delete;
    GatewayStack& operator=(const GatewayStack&) = delete;

    FakeInvoker invoker;
    refstack::CollectingLogSink logs;
    refstack::FaultSwitches faults;
    e2e::HttpClient client{{.verify_tls = false}};

    std::string url(const std::string& target) const { return server_->url() + target; }
    refstack::GatewayService& service() { return *service_; }
    void advance_clock(std::chrono::seconds by) { clock_offset_->fetch_add(by.count()); }

    e2e::HttpResponse send(std::string method, const std::string& target, std::string body = {}, e2e::Headers headers = {}) {
        return client.send({std::move(method), url(target), std::move(headers), std::move(body)});
    }
    e2e::HttpResponse login(const std::string& body, e2e::Headers headers) { return send("POST", "/user/auth/v1", body, std::move(headers)); }
    std::string token() {
        const auto response = login(credentials(), {{"x-api-key", kApiKey}});
        REQUIRE_THAT(response, Status(200));
        return Json::parse(response.body).str("AuthenticationResult.IdToken");
    }
    e2e::HttpResponse authed(std::string method, const std::string& target, std::string body = "{}", e2e::Headers headers = {}) {
        headers.emplace_back("Authorization", "Bearer " + token());
        return send(std::move(method), target, std::move(body), std::move(headers));
    }

    static std::string credentials(const std::string& user = kUser, const std::string& pass = kPass) {
        return Json::object({{"AuthParameters", Json::object({{"USERNAME", user}, {"PASSWORD", pass}})}}).dump();
    }

    // Gateway records whose message is exactly `message`.
    std::vector<Json> records_with_message(const std::string& message) const {
        std::vector<Json> out;
        for (const auto& record : logs.records()) {
            if (record.str("message") == message) out.push_back(record);
        }
        return out;
    }

private:
    std::shared_ptr<std::atomic<long long>> clock_offset_;
    std::unique_ptr<refstack::GatewayService> service_;
    std::unique_ptr<refstack::HttpServer> server_;
};

Json body_of(const e2e::HttpResponse& response) { return Json::parse(response.body); }

bool is_uuid4(const std::string& text) {
    return std::regex_match(text, std::regex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"));
}

}  // namespace

// ---- /health -------------------------------------------------------------------------------

TEST_CASE("health answers healthy with a microsecond UTC timestamp without auth", "[refstack][gateway]") {
    GatewayStack gw;
    const auto response = gw.send("GET", "/health");
    REQUIRE_THAT(response, Status(200));
    CHECK_THAT(body_of(response), Field("status", "healthy"));
    CHECK(std::regex_match(body_of(response).str("timestamp"),
                           std::regex(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}\+00:00)")));
    CHECK_THAT(response.url, StartsWith("https://"));
}

// ---- auth endpoint -------------------------------------------------------------------------

TEST_CASE("the auth endpoint issues an HS256 token for the configured user", "[refstack][gateway]") {
    GatewayStack gw;
    const auto response = gw.login(GatewayStack::credentials(), {{"X-API-KEY", kApiKey}});
    REQUIRE_THAT(response, Status(200));
    CHECK(response.header("PADMA_USER_AUTHORIZED") == "true");
    const auto token = body_of(response).str("AuthenticationResult.IdToken");
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    const auto verification = refstack::jwt_verify_hs256(token, kSecret, now);
    REQUIRE(verification.valid());
    CHECK(*verification.subject == kUser);
    CHECK(refstack::jwt_verify_hs256(token, kSecret, now + 2990).valid());
    CHECK_FALSE(refstack::jwt_verify_hs256(token, kSecret, now + 3010).valid());
}

TEST_CASE("the auth endpoint validates the body before the api key", "[refstack][gateway]") {
    GatewayStack gw;
    for (const std::string body : {"", "{", "[]", R"({"AuthParameters": "x"})", R"({"AuthParameters": {"USERNAME": "u"}})",
                                   R"({"AuthParameters": {"USERNAME": 1, "PASSWORD": "p"}})", R"({"Other": {}})"}) {
        const auto response = gw.login(body, {});  // no api key at all
        CHECK_THAT(response, Status(422));
        CHECK_THAT(body_of(response), Field("message", "Validation Error") && e2e::FieldType("detail", e2e::JsonType::string));
    }
}

TEST_CASE("the auth endpoint refuses a missing or wrong api key without the authorized header", "[refstack][gateway]") {
    GatewayStack gw;
    for (const auto& headers : {e2e::Headers{}, e2e::Headers{{"x-api-key", "wrong"}}, e2e::Headers{{"x-api-key", ""}}}) {
        const auto response = gw.login(GatewayStack::credentials(), headers);
        CHECK_THAT(response, Status(401));
        CHECK_THAT(body_of(response), Field("message", "Unauthorized"));
        CHECK_FALSE(response.header("PADMA_USER_AUTHORIZED").has_value());
    }
}

TEST_CASE("the auth endpoint refuses wrong credentials with the authorized header", "[refstack][gateway]") {
    GatewayStack gw;
    for (const auto& body : {GatewayStack::credentials(kUser, "wrong"), GatewayStack::credentials("someone", kPass)}) {
        const auto response = gw.login(body, {{"x-api-key", kApiKey}});
        CHECK_THAT(response, Status(401));
        CHECK_THAT(body_of(response), Field("message", "Unauthorized"));
        CHECK(response.header("PADMA_USER_AUTHORIZED") == "true");
    }
}

TEST_CASE("the auth endpoint path is configurable and only takes POST", "[refstack][gateway]") {
    GatewayStack gw([](refstack::GatewayConfig& config) { config.auth_endpoint_path = "/custom/auth"; });
    CHECK_THAT(gw.send("POST", "/custom/auth", GatewayStack::credentials(), {{"x-api-key", kApiKey}}), Status(200));
    CHECK_THAT(gw.send("POST", "/user/auth/v1", GatewayStack::credentials(), {{"x-api-key", kApiKey}}), Status(401));
    // GET on the auth path falls through to the catch-all: auth first, then no route.
    CHECK_THAT(gw.send("GET", "/custom/auth"), Status(401));
    const auto token = Json::parse(gw.send("POST", "/custom/auth", GatewayStack::credentials(), {{"x-api-key", kApiKey}}).body)
                           .str("AuthenticationResult.IdToken");
    CHECK_THAT(gw.send("GET", "/custom/auth", "", {{"Authorization", "Bearer " + token}}), Status(404));
}

TEST_CASE("tokens stay valid for a new gateway with the same secret", "[refstack][gateway]") {
    std::string token;
    {
        GatewayStack first;
        token = first.token();
    }
    GatewayStack restarted;
    CHECK_THAT(restarted.send("POST", "/api/echo", "{}", {{"Authorization", "Bearer " + token}}), Status(200));
    GatewayStack rotated([](refstack::GatewayConfig& config) { config.jwt_secret = "another-secret-0123456789abcdef0123"; });
    CHECK_THAT(rotated.send("POST", "/api/echo", "{}", {{"Authorization", "Bearer " + token}}), Status(401));
}

// ---- Bearer rules --------------------------------------------------------------------------

TEST_CASE("routed paths need an Authorization header", "[refstack][gateway]") {
    GatewayStack gw;
    const auto response = gw.send("POST", "/api/echo", "{}");
    CHECK_THAT(response, Status(401));
    CHECK_THAT(body_of(response), Field("message", "Unauthorized"));
    CHECK_FALSE(response.header("WWW-Authenticate").has_value());
    CHECK(gw.invoker.calls().empty());
}

TEST_CASE("the Bearer scheme is case-insensitive and a bare token is accepted", "[refstack][gateway]") {
    GatewayStack gw;
    const auto token = gw.token();
    for (const auto& value : {"Bearer " + token, "bearer " + token, "BEARER " + token, token}) {
        CHECK_THAT(gw.send("POST", "/api/echo", "{}", {{"Authorization", value}}), Status(200));
    }
    CHECK(gw.invoker.calls().size() == 4);
}

TEST_CASE("another Authorization scheme is refused", "[refstack][gateway]") {
    GatewayStack gw;
    const auto token = gw.token();
    CHECK_THAT(gw.send("POST", "/api/echo", "{}", {{"Authorization", "Basic " + token}}), Status(401));
    CHECK_THAT(gw.send("POST", "/api/echo", "{}", {{"Authorization", "Token " + token}}), Status(401));
    CHECK(gw.invoker.calls().empty());
}

TEST_CASE("a garbled token is refused", "[refstack][gateway]") {
    GatewayStack gw;
    for (const std::string value : {"Bearer garbage", "Bearer a.b.c", "Bearer ", "x.y"}) {
        CHECK_THAT(gw.send("POST", "/api/echo", "{}", {{"Authorization", value}}), Status(401));
    }
}

TEST_CASE("a token with a wrong signature is refused", "[refstack][gateway]") {
    GatewayStack gw;
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    const auto forged = refstack::jwt_sign_hs256({kUser, now, now + 3000}, "not-the-gateway-secret-0123456789abc");
    const auto response = gw.send("POST", "/api/echo", "{}", {{"Authorization", "Bearer " + forged}});
    CHECK_THAT(response, Status(401));
    CHECK_THAT(body_of(response), Field("message", "Unauthorized"));
}

TEST_CASE("an expired token is refused", "[refstack][gateway]") {
    GatewayStack gw;
    const auto token = gw.token();
    CHECK_THAT(gw.send("POST", "/api/echo", "{}", {{"Authorization", "Bearer " + token}}), Status(200));
    gw.advance_clock(std::chrono::seconds(3001));
    const auto response = gw.send("POST", "/api/echo", "{}", {{"Authorization", "Bearer " + token}});
    CHECK_THAT(response, Status(401));
    CHECK_THAT(body_of(response), Field("message", "Unauthorized"));
}

// ---- routing -------------------------------------------------------------------------------

TEST_CASE("an unknown path is 401 without a token and 404 with one", "[refstack][gateway]") {
    GatewayStack gw;
    CHECK_THAT(gw.send("POST", "/api/nonexistent", "{}"), Status(401));
    const auto response = gw.authed("POST", "/api/nonexistent");
    CHECK_THAT(response, Status(404));
    CHECK_THAT(body_of(response), Field("message", "Not Found"));
    CHECK(gw.invoker.calls().empty());
}

TEST_CASE("routes match the method and the whole path only", "[refstack][gateway]") {
    GatewayStack gw;
    CHECK_THAT(gw.authed("GET", "/api/echo", ""), Status(404));
    CHECK_THAT(gw.authed("PUT", "/api/echo"), Status(404));
    CHECK_THAT(gw.authed("POST", "/api/echo/"), Status(404));
    CHECK_THAT(gw.authed("POST", "/api/ech"), Status(404));
    CHECK(gw.invoker.calls().empty());
    CHECK_THAT(gw.authed("POST", "/api/echo?x=1"), Status(200));
    REQUIRE(gw.invoker.calls().size() == 1);
    CHECK(gw.invoker.calls()[0].function_name == "lambda-echo");
}

TEST_CASE("the unreachable functions and routes listings hit the catch-all", "[refstack][gateway]") {
    GatewayStack gw;
    CHECK_THAT(gw.send("GET", "/functions"), Status(401));
    CHECK_THAT(gw.send("GET", "/routes"), Status(401));
    CHECK_THAT(gw.authed("GET", "/functions", ""), Status(404));
}

TEST_CASE("every reference route reaches its function", "[refstack][gateway]") {
    GatewayStack gw;
    const auto token = gw.token();
    const std::vector<std::pair<std::string, std::string>> routes{
        {"/api/faulty", "lambda-chaos"},     {"/api/connectivity/python", "lambda-connectivity"},
        {"/api/connectivity/java", "lambda-connectivity-java"}, {"/api/dynamo", "lambda-dynamo"},
        {"/api/echo", "lambda-echo"},        {"/api/echo-java", "lambda-echo-java"},
        {"/api/image", "lambda-image"},      {"/api/lambda", "lambda-integration"},
        {"/api/s3", "lambda-s3"},            {"/api/scaling", "lambda-scaling"}};
    for (const auto& [path, function] : routes) {
        CHECK_THAT(gw.send("POST", path, "{}", {{"Authorization", "Bearer " + token}}), Status(200));
        CHECK(gw.invoker.calls().back().function_name == function);
    }
}

TEST_CASE("a route to a function missing from the registry is 404 naming the function", "[refstack][gateway]") {
    GatewayStack gw([](refstack::GatewayConfig& config) { config.functions.routes.push_back({"/api/ghost", "POST", "lambda-ghost"}); });
    const auto response = gw.authed("POST", "/api/ghost");
    CHECK_THAT(response, Status(404));
    CHECK_THAT(body_of(response), Field("message", "Function lambda-ghost not found"));
    CHECK(gw.invoker.calls().empty());
}

TEST_CASE("HEAD goes to the catch-all and answers without a body", "[refstack][gateway]") {
    GatewayStack gw;
    const auto response = gw.send("HEAD", "/api/echo");
    CHECK_THAT(response, Status(401));
    CHECK(response.body.empty());
    CHECK_THAT(gw.send("GET", "/health"), Status(200));  // the connection is still usable
    CHECK(gw.records_with_message("HEAD /api/echo 401").size() == 1);
}

TEST_CASE("a gateway without a JWT secret refuses to start", "[refstack][gateway]") {
    FakeInvoker invoker;
    refstack::NullLogSink logs;
    refstack::FaultSwitches faults;
    CHECK_THROWS_AS(refstack::GatewayService(refstack::GatewayConfig{}, invoker, logs, faults), std::invalid_argument);
}

TEST_CASE("a method outside the catch-all is not allowed", "[refstack][gateway]") {
    GatewayStack gw;
    CHECK_THAT(gw.send("TRACE", "/api/echo"), Status(405));
}

// ---- the event and the result ---------------------------------------------------------------

TEST_CASE("a routed call sends the API Gateway event with the user the trace and the request id", "[refstack][gateway]") {
    GatewayStack gw;
    const auto token = gw.token();
    const auto response = gw.send("POST", "/api/echo?mode=fast", R"({"message": "hi"})",
                                  {{"Authorization", "Bearer " + token},
                                   {"X-Amzn-Trace-Id", "Root=" + kRoot + ";Sampled=1"},
                                   {"User-Agent", "gateway-test"},
                                   {"Content-Type", "application/json"}});
    REQUIRE_THAT(response, Status(200));
    REQUIRE(gw.invoker.calls().size() == 1);
    const auto call = gw.invoker.calls()[0];
    CHECK(call.function_name == "lambda-echo");
    CHECK(call.trace_header == "Root=" + kRoot + ";Sampled=1");
    const auto event = Json::parse(call.payload);
    CHECK_THAT(event, Field("resource", "/api/echo") && Field("path", "/api/echo") && Field("httpMethod", "POST"));
    CHECK_THAT(event, Field("headers.authorization", "Bearer " + token) &&
                          Field("headers.x-amzn-trace-id", "Root=" + kRoot + ";Sampled=1") &&
                          Field("multiValueHeaders.user-agent", Json::array({"gateway-test"})));
    CHECK_THAT(event, Field("queryStringParameters.mode", "fast"));
    CHECK_THAT(event, Field(R"(requestContext.authorizer["cognito:username"])", kUser) &&
                          Field(R"(requestContext.authorizer.claims["cognito:username"])", kUser) &&
                          Field("requestContext.authorizer.claims.username", kUser));
    CHECK_THAT(event, Field("requestContext.requestId", *response.header("x-amzn-RequestId")) &&
                          Field("requestContext.stage", "prod") && Field("requestContext.identity.sourceIp", "unknown") &&
                          Field("requestContext.identity.userAgent", "gateway-test"));
    CHECK_THAT(event, Field("body", R"({"message": "hi"})") && Field("isBase64Encoded", false));
}

TEST_CASE("a routed call answers with the function's statusCode headers and body", "[refstack][gateway]") {
    GatewayStack gw;
    gw.invoker.script = [](const refstack::Invocation&) {
        return outcome_of(Kind::ok, {}, 200,
                          R"({"statusCode": 201, "headers": {"X-Function": "echo", "Content-Type": "application/json"},
                              "body": "{\"success\": true, \"message\": \"Echo: hi\"}"})");
    };
    const auto response = gw.authed("POST", "/api/echo");
    CHECK_THAT(response, Status(201));
    CHECK(response.header("X-Function") == "echo");
    CHECK(response.header("Content-Type") == "application/json");
    CHECK(body_of(response) == Json::object({{"success", true}, {"message", "Echo: hi"}}));
}

TEST_CASE("a function answering statusCode 500 is passed through and not an error", "[refstack][gateway]") {
    GatewayStack gw;
    gw.invoker.script = [](const refstack::Invocation&) {
        return outcome_of(Kind::ok, {}, 200, R"({"statusCode": 500, "body": "{\"success\": false, \"error\": \"NoSuchKey\"}"})");
    };
    const auto response = gw.authed("POST", "/api/s3");
    CHECK_THAT(response, Status(500));
    CHECK_THAT(body_of(response), Field("error", "NoSuchKey"));
}

TEST_CASE("plain JSON empty and non-JSON worker results are mapped as the contract says", "[refstack][gateway]") {
    GatewayStack gw;
    std::string payload;
    int status = 200;
    gw.invoker.script = [&](const refstack::Invocation&) { return outcome_of(Kind::ok, {}, status, payload, {{"Content-Type", "text/plain"}}); };

    payload = R"({"success": true, "handler": "esb-e2e-image-python"})";
    auto response = gw.authed("POST", "/api/image");
    CHECK_THAT(response, Status(200));
    CHECK(body_of(response) == Json::parse(payload));

    payload = "";
    response = gw.authed("POST", "/api/image");
    CHECK_THAT(response, Status(200));
    CHECK(response.body == "{}");

    payload = "not json at all";
    status = 202;
    response = gw.authed("POST", "/api/image");
    CHECK_THAT(response, Status(202));
    CHECK(response.body == "not json at all");
    CHECK(response.header("Content-Type") == "text/plain");
}

// ---- the error table -----------------------------------------------------------------------

TEST_CASE("function errors are 502 Lambda Logic Error", "[refstack][gateway]") {
    GatewayStack gw;
    InvocationOutcome next;
    gw.invoker.script = [&](const refstack::Invocation&) { return next; };
    const std::vector<InvocationOutcome> cases{
        outcome_of(Kind::function_error, "Runtime exited with error: exit status 1"),
        outcome_of(Kind::ok, {}, 500, "worker blew up"),
        outcome_of(Kind::ok, {}, 200, R"({"errorMessage": "boom", "errorType": "Exception"})", {{"X-Amz-Function-Error", "Unhandled"}}),
        outcome_of(Kind::ok, {}, 200, R"({"errorMessage": "boom"})"),
        outcome_of(Kind::ok, {}, 200, R"({"errorType": "ValueError"})"),
    };
    for (const auto& error : cases) {
        next = error;
        const auto response = gw.authed("POST", "/api/faulty");
        CHECK_THAT(response, Status(502));
        CHECK_THAT(body_of(response).str("message"), StartsWith("Lambda Logic Error: "));
    }
}

TEST_CASE("a large 200 body mentioning errorMessage is not a function error", "[refstack][gateway]") {
    GatewayStack gw;
    const auto payload = Json::object({{"errorMessage", std::string(11000, 'x')}}).dump();
    gw.invoker.script = [&](const refstack::Invocation&) { return outcome_of(Kind::ok, {}, 200, payload); };
    CHECK_THAT(gw.authed("POST", "/api/faulty"), Status(200));
}

TEST_CASE("an open circuit is 502 with the failure count", "[refstack][gateway]") {
    GatewayStack gw;
    std::string message = "3";
    gw.invoker.script = [&](const refstack::Invocation&) { return outcome_of(Kind::circuit_open, message); };
    CHECK_THAT(body_of(gw.authed("POST", "/api/faulty")), Field("message", "Circuit is open (failures: 3)"));
    message = "Circuit is open (failures: 4)";
    const auto response = gw.authed("POST", "/api/faulty");
    CHECK_THAT(response, Status(502));
    CHECK_THAT(body_of(response), Field("message", "Circuit is open (failures: 4)"));
}

TEST_CASE("connection errors and timeouts are 502 with the exception text", "[refstack][gateway]") {
    GatewayStack gw;
    Kind kind = Kind::connection_error;
    gw.invoker.script = [&](const refstack::Invocation&) {
        return outcome_of(kind, kind == Kind::timeout ? "ReadTimeout: worker did not answer in 30 s" : "ConnectError: connection refused");
    };
    auto response = gw.authed("POST", "/api/echo");
    CHECK_THAT(response, Status(502));
    CHECK_THAT(body_of(response), Field("message", "ConnectError: connection refused"));
    kind = Kind::timeout;
    response = gw.authed("POST", "/api/echo");
    CHECK_THAT(response, Status(502));
    CHECK_THAT(body_of(response), Field("message", "ReadTimeout: worker did not answer in 30 s"));
}

TEST_CASE("no worker is 503 Failed to start container", "[refstack][gateway]") {
    GatewayStack gw;
    gw.invoker.script = [](const refstack::Invocation&) { return outcome_of(Kind::no_worker, "acquire timeout after 30.0 s"); };
    const auto response = gw.authed("POST", "/api/scaling");
    CHECK_THAT(response, Status(503));
    CHECK_THAT(body_of(response), Field("message", "Failed to start container lambda-scaling: acquire timeout after 30.0 s"));
}

TEST_CASE("an invoker that does not know the function is 404 naming it", "[refstack][gateway]") {
    GatewayStack gw;
    gw.invoker.script = [](const refstack::Invocation&) { return outcome_of(Kind::unknown_function); };
    const auto response = gw.authed("POST", "/api/echo");
    CHECK_THAT(response, Status(404));
    CHECK_THAT(body_of(response), Field("message", "Function lambda-echo not found"));
}

TEST_CASE("a failure while processing is 500 Internal Processing Error", "[refstack][gateway]") {
    GatewayStack gw;
    bool throw_now = true;
    gw.invoker.script = [&](const refstack::Invocation&) -> InvocationOutcome {
        if (throw_now) throw std::runtime_error("pool exploded");
        return outcome_of(Kind::ok, {}, 200, R"({"statusCode": "not a status"})");
    };
    auto response = gw.authed("POST", "/api/echo");
    CHECK_THAT(response, Status(500));
    CHECK_THAT(body_of(response), Field("message", "Internal Processing Error: pool exploded"));
    throw_now = false;
    response = gw.authed("POST", "/api/echo");
    CHECK_THAT(response, Status(500));
    CHECK_THAT(body_of(response).str("message"), StartsWith("Internal Processing Error: statusCode"));
}

// ---- Lambda invoke API ---------------------------------------------------------------------

TEST_CASE("the invoke API needs no auth and forwards the body verbatim", "[refstack][gateway]") {
    GatewayStack gw;
    gw.invoker.script = [](const refstack::Invocation&) {
        return outcome_of(Kind::ok, {}, 200, R"({"statusCode": 200, "body": "{\"message\": \"Echo: from-chain\"}"})",
                          {{"Content-Type", "application/json"}, {"X-Amz-Executed-Version", "$LATEST"}, {"Connection", "close"}});
    };
    const std::string body = R"({"message":  "from-chain" })";
    const auto response = gw.send("POST", "/2015-03-31/functions/lambda-echo/invocations", body);
    REQUIRE_THAT(response, Status(200));
    // The raw payload, not the API Gateway mapping.
    CHECK(response.body == R"({"statusCode": 200, "body": "{\"message\": \"Echo: from-chain\"}"})");
    CHECK(response.header("X-Amz-Executed-Version") == "$LATEST");
    REQUIRE(gw.invoker.calls().size() == 1);
    CHECK(gw.invoker.calls()[0].function_name == "lambda-echo");
    CHECK(gw.invoker.calls()[0].payload == body);
}

TEST_CASE("the invoke API ignores an Authorization header", "[refstack][gateway]") {
    GatewayStack gw;
    CHECK_THAT(gw.send("POST", "/2015-03-31/functions/lambda-echo/invocations", "{}", {{"Authorization", "Bearer garbage"}}), Status(200));
}

TEST_CASE("the invoke API resolves names qualifiers and ARNs to the function name", "[refstack][gateway]") {
    GatewayStack gw;
    const std::vector<std::string> names{
        "lambda-echo",
        "lambda-echo:$LATEST",
        "lambda-echo:prod",
        "arn:aws:lambda:ap-northeast-1:123456789012:function:lambda-echo",
        "arn:aws:lambda:ap-northeast-1:123456789012:function:lambda-echo:7",
        "123456789012:function:lambda-echo",
        "123456789012:function:lambda-echo:prod",
        "arn%3Aaws%3Alambda%3Aap-northeast-1%3A123456789012%3Afunction%3Alambda-echo",
        "%20lambda-echo%20",
    };
    for (const auto& name : names) {
        CHECK_THAT(gw.send("POST", "/2015-03-31/functions/" + name + "/invocations", "{}"), Status(200));
        CHECK(gw.invoker.calls().back().function_name == "lambda-echo");
    }
    CHECK(gw.invoker.calls().size() == names.size());
}

TEST_CASE("the invoke API needs a function name", "[refstack][gateway]") {
    GatewayStack gw;
    const auto response = gw.send("POST", "/2015-03-31/functions/%20/invocations", "{}");
    CHECK_THAT(response, Status(400));
    CHECK_THAT(body_of(response), Field("message", "FunctionName is required"));
    CHECK(gw.invoker.calls().empty());
}

TEST_CASE("the invoke API answers 404 for an unknown function", "[refstack][gateway]") {
    GatewayStack gw;
    auto response = gw.send("POST", "/2015-03-31/functions/nope/invocations", "{}");
    CHECK_THAT(response, Status(404));
    CHECK_THAT(body_of(response), Field("message", "Function not found: nope"));
    response = gw.send("POST", "/2015-03-31/functions/arn:aws:lambda:ap-northeast-1:123456789012:function:ghost/invocations", "{}");
    CHECK_THAT(body_of(response), Field("message", "Function not found: ghost"));
    CHECK(gw.invoker.calls().empty());
    gw.invoker.script = [](const refstack::Invocation&) { return outcome_of(Kind::unknown_function); };
    CHECK_THAT(body_of(gw.send("POST", "/2015-03-31/functions/lambda-echo/invocations", "{}")),
               Field("message", "Function not found: lambda-echo"));
}

TEST_CASE("the invoke API maps a function error header to 502", "[refstack][gateway]") {
    GatewayStack gw;
    gw.invoker.script = [](const refstack::Invocation&) {
        return outcome_of(Kind::ok, {}, 200, R"({"errorMessage": "x", "errorType": "E"})", {{"X-Amz-Function-Error", "Unhandled"}});
    };
    const auto response = gw.send("POST", "/2015-03-31/functions/lambda-chaos/invocations", "{}");
    CHECK_THAT(response, Status(502));
    CHECK_THAT(body_of(response).str("message"), StartsWith("Lambda Logic Error: "));
}

TEST_CASE("the invoke API maps the other invoker failures like routed calls", "[refstack][gateway]") {
    GatewayStack gw;
    InvocationOutcome next;
    gw.invoker.script = [&](const refstack::Invocation&) { return next; };
    next = outcome_of(Kind::no_worker, "provisioning failed");
    auto response = gw.send("POST", "/2015-03-31/functions/lambda-echo/invocations", "{}");
    CHECK_THAT(response, Status(503));
    CHECK_THAT(body_of(response), Field("message", "Failed to start container lambda-echo: provisioning failed"));
    next = outcome_of(Kind::circuit_open, "5");
    response = gw.send("POST", "/2015-03-31/functions/lambda-echo/invocations", "{}");
    CHECK_THAT(response, Status(502));
    CHECK_THAT(body_of(response), Field("message", "Circuit is open (failures: 5)"));
}

TEST_CASE("an Event invocation answers 202 at once and runs in the background with the trace", "[refstack][gateway]") {
    Gate gate;  // outlives the gateway: its background thread may still wait on it
    std::atomic<bool> finished{false};
    GatewayStack gw;
    gw.invoker.script = [&](const refstack::Invocation&) {
        gate.wait();
        finished = true;
        return outcome_of(Kind::ok, {}, 200, "{}");
    };
    const auto trace = "Root=" + kRoot + ";Parent=abc;Sampled=1";
    const auto response = gw.send("POST", "/2015-03-31/functions/lambda-echo/invocations", R"({"message": "from-chain"})",
                                  {{"X-Amz-Invocation-Type", "Event"}, {"X-Amzn-Trace-Id", trace}});
    CHECK_THAT(response, Status(202));
    CHECK(response.body.empty());
    CHECK(response.header("Content-Type") == "application/json");
    CHECK(response.header("X-Amzn-Trace-Id") == trace);
    REQUIRE(gw.invoker.wait_for_calls(1));
    CHECK_FALSE(finished.load());  // answered while the invocation was still running
    CHECK(gw.service().background_pending() == 1);
    const auto call = gw.invoker.calls()[0];
    CHECK(call.function_name == "lambda-echo");
    CHECK(call.payload == R"({"message": "from-chain"})");
    CHECK(call.trace_header == trace);
    gate.open();
    CHECK(gw.service().wait_background_idle(std::chrono::seconds(5)));
    CHECK(finished.load());
}

TEST_CASE("other invocation types are synchronous", "[refstack][gateway]") {
    GatewayStack gw;
    for (const std::string type : {"RequestResponse", "event", "DryRun"}) {
        const auto response = gw.send("POST", "/2015-03-31/functions/lambda-echo/invocations", "{}", {{"X-Amz-Invocation-Type", type}});
        CHECK_THAT(response, Status(200));
        CHECK_FALSE(response.body.empty());
    }
}

TEST_CASE("Event invocations run on a bounded set of threads and a full queue answers 429", "[refstack][gateway]") {
    Gate gate;
    std::atomic<int> running{0};
    std::atomic<int> most_running{0};
    GatewayStack gw([](refstack::GatewayConfig& config) {
        config.background_threads = 1;
        config.background_queue_limit = 1;
    });
    gw.invoker.script = [&](const refstack::Invocation&) {
        const int now = ++running;
        int seen = most_running.load();
        while (now > seen && !most_running.compare_exchange_weak(seen, now)) {
        }
        gate.wait();
        --running;
        return outcome_of(Kind::ok, {}, 200, "{}");
    };
    const e2e::Headers event{{"X-Amz-Invocation-Type", "Event"}};
    CHECK_THAT(gw.send("POST", "/2015-03-31/functions/lambda-echo/invocations", "{}", event), Status(202));
    REQUIRE(gw.invoker.wait_for_calls(1));  // the only thread is busy now
    CHECK_THAT(gw.send("POST", "/2015-03-31/functions/lambda-echo/invocations", "{}", event), Status(202));  // queued
    const auto refused = gw.send("POST", "/2015-03-31/functions/lambda-echo/invocations", "{}", event);
    CHECK_THAT(refused, Status(429));
    CHECK_THAT(body_of(refused).str("message"), ContainsSubstring("Too many pending"));
    gate.open();
    CHECK(gw.service().wait_background_idle(std::chrono::seconds(5)));
    CHECK(gw.invoker.calls().size() == 2);
    CHECK(most_running.load() == 1);
}

// ---- CORS ----------------------------------------------------------------------------------

TEST_CASE("OPTIONS on any path is a CORS preflight without auth", "[refstack][gateway]") {
    GatewayStack gw;
    const auto plain = gw.send("OPTIONS", "/api/echo");
    CHECK_THAT(plain, Status(204));
    CHECK(plain.header("Access-Control-Allow-Origin") == "*");
    CHECK(plain.header("Access-Control-Allow-Methods") == "GET,POST,PUT,DELETE,PATCH,HEAD,OPTIONS");
    CHECK(plain.header("Access-Control-Max-Age") == "3600");
    CHECK_THAT(plain.header("Access-Control-Allow-Headers").value_or(""), ContainsSubstring("Authorization"));
    CHECK_FALSE(plain.header("Vary").has_value());

    const auto with_origin = gw.send("OPTIONS", "/anything/else", "",
                                     {{"Origin", "https://app.example"}, {"Access-Control-Request-Headers", "x-custom,content-type"}});
    CHECK_THAT(with_origin, Status(204));
    CHECK(with_origin.header("Access-Control-Allow-Origin") == "https://app.example");
    CHECK(with_origin.header("Access-Control-Allow-Headers") == "x-custom,content-type");
    CHECK(with_origin.header("Vary") == "Origin");
    CHECK(gw.invoker.calls().empty());
}

// ---- trace and request id headers ---------------------------------------------------------

TEST_CASE("every response carries the canonical trace header and a fresh request id", "[refstack][gateway]") {
    GatewayStack gw;
    const auto sent = gw.send("GET", "/health", "", {{"X-Amzn-Trace-Id", " Sampled=0 ; Root=" + kRoot + " "}});
    CHECK(sent.header("X-Amzn-Trace-Id") == "Root=" + kRoot + ";Sampled=0");
    const auto bare = gw.send("POST", "/api/echo", "{}", {{"X-Amzn-Trace-Id", kRoot}});
    CHECK_THAT(bare, Status(401));
    CHECK(bare.header("X-Amzn-Trace-Id") == "Root=" + kRoot + ";Sampled=1");
    const auto generated = gw.send("POST", "/api/nonexistent");
    REQUIRE(generated.header("X-Amzn-Trace-Id").has_value());
    CHECK(std::regex_match(*generated.header("X-Amzn-Trace-Id"), std::regex("Root=1-[0-9a-f]{8}-[0-9a-f]{24};Sampled=1")));
    std::set<std::string> ids;
    for (const auto* response : {&sent, &bare, &generated}) {
        REQUIRE(response->header("x-amzn-RequestId").has_value());
        CHECK(is_uuid4(*response->header("x-amzn-RequestId")));
        ids.insert(*response->header("x-amzn-RequestId"));
    }
    CHECK(ids.size() == 3);
}

TEST_CASE("the request trace is passed to the invoker", "[refstack][gateway]") {
    GatewayStack gw;
    const auto response = gw.authed("POST", "/api/echo");
    REQUIRE(gw.invoker.calls().size() == 1);
    CHECK(gw.invoker.calls()[0].trace_header == response.header("X-Amzn-Trace-Id"));
}

// ---- metrics -------------------------------------------------------------------------------

TEST_CASE("pool metrics need a token and answer the invoker's pools", "[refstack][gateway]") {
    GatewayStack gw;
    gw.invoker.pools = Json::parse(R"({"pools": [{"function_name": "lambda-echo", "total_workers": 1, "idle": 1, "busy": 0,
        "provisioning": 0, "max_capacity": 1, "min_capacity": 1, "acquire_timeout": 30.0}], "collected_at": "2024-01-01T00:00:00+00:00"})");
    CHECK_THAT(gw.send("GET", "/metrics/pools"), Status(401));
    const auto response = gw.authed("GET", "/metrics/pools", "");
    REQUIRE_THAT(response, Status(200));
    CHECK(body_of(response) == gw.invoker.pools);
}

TEST_CASE("container metrics need a token and are not implemented in docker mode", "[refstack][gateway]") {
    GatewayStack gw;
    CHECK_THAT(gw.send("GET", "/metrics/containers"), Status(401));
    const auto response = gw.authed("GET", "/metrics/containers", "");
    CHECK_THAT(response, Status(501));
    CHECK_THAT(body_of(response), Field("message", "Container metrics are not implemented for the current runtime (e.g. Docker)"));
}

TEST_CASE("container metrics in containerd mode come from the agent", "[refstack][gateway]") {
    std::optional<Json> answer;
    GatewayStack gw([&](refstack::GatewayConfig& config) {
        config.mode = "containerd";
        config.container_metrics = [&] { return answer; };
    });
    auto response = gw.authed("GET", "/metrics/containers", "");
    CHECK_THAT(response, Status(200));
    CHECK(body_of(response) == Json::parse(R"({"containers": []})"));

    answer = Json::parse(R"({"containers": [{"container_id": "c1", "function_name": "lambda-echo", "state": "RUNNING",
        "memory_max": 536870912}, {"container_id": "c2", "container_name": "x", "error": "gone"}], "failures": 1})");
    response = gw.authed("GET", "/metrics/containers", "");
    CHECK_THAT(response, Status(200));
    CHECK(body_of(response) == *answer);

    answer = Json::parse(R"({"containers": [{"container_id": "c1", "container_name": "x", "error": "metrics not implemented"}], "failures": 1})");
    response = gw.authed("GET", "/metrics/containers", "");
    CHECK_THAT(response, Status(501));

    answer = Json::parse(R"({"containers": [{"container_id": "c1", "container_name": "x", "error": "agent down"}], "failures": 1})");
    response = gw.authed("GET", "/metrics/containers", "");
    CHECK_THAT(response, Status(503));
    CHECK_THAT(body_of(response), Field("message", "Container metrics are unavailable from Agent runtime"));
}

// ---- log records ---------------------------------------------------------------------------

TEST_CASE("every request writes an access record with the trace and the request id", "[refstack][gateway]") {
    GatewayStack gw;
    const auto token = gw.token();
    const auto response = gw.send("POST", "/api/echo?x=1", "{}",
                                  {{"Authorization", "Bearer " + token},
                                   {"X-Amzn-Trace-Id", "Root=" + kRoot + ";Sampled=1"},
                                   {"User-Agent", "log-test"}});
    REQUIRE_THAT(response, Status(200));
    const auto access = gw.records_with_message("POST /api/echo 200");
    REQUIRE(access.size() == 1);
    const auto& record = access[0];
    CHECK_THAT(record, Field("container_name", "esb-gateway") && Field("job", "services") && Field("level", "INFO") &&
                           Field("logger", "gateway.main"));
    CHECK_THAT(record, Field("trace_id", "Root=" + kRoot + ";Sampled=1") &&
                           Field("aws_request_id", *response.header("x-amzn-RequestId")));
    CHECK_THAT(record, Field("method", "POST") && Field("path", "/api/echo") && Field("query_params", "x=1") && Field("status", 200) &&
                           Field("user_agent", "log-test") && Field("client_ip", "127.0.0.1"));
    CHECK(record.at("latency_ms").is_number());
    CHECK(std::regex_match(record.str("_time"), std::regex(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)")));
}

TEST_CASE("every record of a request carries that request's trace and id", "[refstack][gateway]") {
    GatewayStack gw;
    const auto token = gw.token();
    const auto before = gw.logs.records().size();
    const auto response = gw.send("POST", "/api/echo", "{}", {{"Authorization", "Bearer " + token}});
    const auto records = gw.logs.records();
    REQUIRE(records.size() > before + 1);
    for (std::size_t i = before; i < records.size(); ++i) {
        CHECK_THAT(records[i], Field("trace_id", *response.header("X-Amzn-Trace-Id")) &&
                                   Field("aws_request_id", *response.header("x-amzn-RequestId")) &&
                                   Field("container_name", "esb-gateway") && HasField("_time") && HasField("logger"));
    }
}

TEST_CASE("debug records follow the log level", "[refstack][gateway]") {
    const auto count_debug = [](const GatewayStack& gw) {
        const auto records = gw.logs.records();
        return std::count_if(records.begin(), records.end(), [](const Json& r) { return r.str("level") == "DEBUG"; });
    };
    GatewayStack debug;
    debug.authed("POST", "/api/echo");
    CHECK(count_debug(debug) > 0);
    GatewayStack info([](refstack::GatewayConfig& config) { config.log_level = "INFO"; });
    info.authed("POST", "/api/echo");
    CHECK(count_debug(info) == 0);
    CHECK_FALSE(info.records_with_message("POST /api/echo 200").empty());
    GatewayStack error([](refstack::GatewayConfig& config) { config.log_level = "ERROR"; });
    error.authed("POST", "/api/echo");
    CHECK(error.logs.records().empty());
}

TEST_CASE("a chained invocation on the invoke API is logged under the caller's trace", "[refstack][gateway]") {
    GatewayStack gw;
    const auto caller_trace = "Root=" + kRoot + ";Parent=1111;Sampled=1";
    const auto response = gw.send("POST", "/2015-03-31/functions/lambda-echo/invocations", "{}", {{"X-Amzn-Trace-Id", caller_trace}});
    REQUIRE_THAT(response, Status(200));
    const auto access = gw.records_with_message("POST /2015-03-31/functions/lambda-echo/invocations 200");
    REQUIRE(access.size() == 1);
    CHECK_THAT(access[0], Field("trace_id", caller_trace) && Field("aws_request_id", *response.header("x-amzn-RequestId")));
}

TEST_CASE("errors are logged at ERROR with the function name", "[refstack][gateway]") {
    GatewayStack gw;
    gw.invoker.script = [](const refstack::Invocation&) { return outcome_of(Kind::no_worker, "pool exhausted"); };
    gw.authed("POST", "/api/echo");
    const auto records = gw.logs.records();
    CHECK(std::any_of(records.begin(), records.end(), [](const Json& r) {
        return r.str("level") == "ERROR" && r.has("function_name") && r.str("function_name") == "lambda-echo" &&
               r.str("message").find("Failed to start container lambda-echo") != std::string::npos;
    }));
}

// ---- fault switches: each one makes the normal assertion fail ---------------------------------

TEST_CASE("fault auth accept_missing_token answers routed paths without a token", "[refstack][gateway][faults]") {
    GatewayStack gw;
    gw.faults.force("auth.accept_missing_token", true);
    CHECK_THAT(gw.send("POST", "/api/echo", "{}"), Status(200));  // normally 401
    CHECK_THAT(gw.send("GET", "/metrics/pools"), Status(200));
}

TEST_CASE("fault auth accept_bad_signature accepts a foreign token", "[refstack][gateway][faults]") {
    GatewayStack gw;
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    const auto forged = refstack::jwt_sign_hs256({kUser, now, now + 3000}, "not-the-gateway-secret-0123456789abc");
    CHECK_THAT(gw.send("POST", "/api/echo", "{}", {{"Authorization", "Bearer " + forged}}), Status(401));
    gw.faults.force("auth.accept_bad_signature", true);
    CHECK_THAT(gw.send("POST", "/api/echo", "{}", {{"Authorization", "Bearer " + forged}}), Status(200));
}

TEST_CASE("fault auth ignore_api_key issues tokens without an api key", "[refstack][gateway][faults]") {
    GatewayStack gw;
    gw.faults.force("auth.ignore_api_key", true);
    const auto response = gw.login(GatewayStack::credentials(), {});
    CHECK_THAT(response, Status(200));  // normally 401
    CHECK_THAT(body_of(response), HasField("AuthenticationResult.IdToken"));
    CHECK_THAT(gw.login(GatewayStack::credentials(kUser, "wrong"), {}), Status(401));  // credentials still count
}

TEST_CASE("fault routing not_found_is_200 answers unknown routes with 200", "[refstack][gateway][faults]") {
    GatewayStack gw;
    gw.faults.force("routing.not_found_is_200", true);
    const auto response = gw.authed("POST", "/api/nonexistent");
    CHECK_THAT(response, Status(200));  // normally 404
    CHECK(response.body == "{}");
}

TEST_CASE("fault routing echo_java_to_python sends echo-java to the python echo", "[refstack][gateway][faults]") {
    GatewayStack gw;
    gw.faults.force("routing.echo_java_to_python", true);
    CHECK_THAT(gw.authed("POST", "/api/echo-java"), Status(200));
    REQUIRE(gw.invoker.calls().size() == 1);
    CHECK(gw.invoker.calls()[0].function_name == "lambda-echo");  // normally lambda-echo-java
}

TEST_CASE("fault trace no_response_headers drops the trace and request id headers", "[refstack][gateway][faults]") {
    GatewayStack gw;
    gw.faults.force("trace.no_response_headers", true);
    const auto response = gw.send("GET", "/health", "", {{"X-Amzn-Trace-Id", "Root=" + kRoot}});
    CHECK_THAT(response, Status(200));
    CHECK_FALSE(response.header("X-Amzn-Trace-Id").has_value());
    CHECK_FALSE(response.header("x-amzn-RequestId").has_value());
}

TEST_CASE("fault logs gateway_missing_trace writes records without trace_id", "[refstack][gateway][faults]") {
    GatewayStack gw;
    gw.faults.force("logs.gateway_missing_trace", true);
    gw.send("GET", "/health", "", {{"X-Amzn-Trace-Id", "Root=" + kRoot}});
    const auto access = gw.records_with_message("GET /health 200");
    REQUIRE(access.size() == 1);
    CHECK_FALSE(access[0].has("trace_id"));
    CHECK(access[0].has("aws_request_id"));
}

TEST_CASE("fault metrics pools_missing_field drops max_capacity from pool entries", "[refstack][gateway][faults]") {
    GatewayStack gw;
    gw.invoker.pools = Json::parse(R"({"pools": [{"function_name": "lambda-echo", "total_workers": 1, "idle": 1, "busy": 0,
        "provisioning": 0, "max_capacity": 1, "min_capacity": 1, "acquire_timeout": 30.0}], "collected_at": "2024-01-01T00:00:00+00:00"})");
    gw.faults.force("metrics.pools_missing_field", true);
    const auto response = gw.authed("GET", "/metrics/pools", "");
    REQUIRE_THAT(response, Status(200));
    const auto body = body_of(response);
    CHECK_FALSE(body.has("pools[0].max_capacity"));
    CHECK_THAT(body, Field("pools[0].function_name", "lambda-echo") && Field("pools[0].min_capacity", 1) &&
                         Field("collected_at", "2024-01-01T00:00:00+00:00"));
}

TEST_CASE("fault gateway slow_responses delays routed answers by two seconds", "[refstack][gateway][faults][slow]") {
    GatewayStack gw;
    const auto token = gw.token();
    gw.faults.force("gateway.slow_responses", true);
    const auto started = std::chrono::steady_clock::now();
    const auto response = gw.send("POST", "/api/echo", "{}", {{"Authorization", "Bearer " + token}});
    const auto elapsed = std::chrono::steady_clock::now() - started;
    CHECK_THAT(response, Status(200));
    CHECK(elapsed >= std::chrono::milliseconds(1900));
    // Not routed: not delayed.
    const auto health_started = std::chrono::steady_clock::now();
    CHECK_THAT(gw.send("GET", "/health"), Status(200));
    CHECK(std::chrono::steady_clock::now() - health_started < std::chrono::milliseconds(1500));
}
