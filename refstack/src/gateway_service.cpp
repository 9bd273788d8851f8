#include "gateway_service.hpp"

#include <fmt/format.h>
#include <openssl/crypto.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <condition_variable>
#include <ctime>
#include <deque>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "api_gateway_event.hpp"
#include "jwt.hpp"
#include "random_id.hpp"
#include "trace_context.hpp"

namespace refstack {
namespace {

using e2e::Json;
using e2e::JsonMember;
using Clock = std::chrono::system_clock;

constexpr std::string_view kInvokePrefix = "/2015-03-31/functions/";
constexpr std::string_view kInvokeSuffix = "/invocations";
constexpr std::string_view kCorsMethods = "GET,POST,PUT,DELETE,PATCH,HEAD,OPTIONS";
constexpr std::string_view kCorsDefaultHeaders = "Authorization,Content-Type,X-Api-Key,X-Amz-Invocation-Type,X-Amzn-Trace-Id";
constexpr std::size_t kErrorPayloadScanLimit = 10240;  // ESB only looks for errorType/errorMessage in small bodies
constexpr auto kSlowResponseDelay = std::chrono::milliseconds(2000);

enum class Level { debug = 10, info = 20, warning = 30, error = 40, critical = 50 };

std::string_view level_name(Level level) {
    switch (level) {
        case Level::debug: return "DEBUG";
        case Level::info: return "INFO";
        case Level::warning: return "WARNING";
        case Level::error: return "ERROR";
        case Level::critical: return "CRITICAL";
    }
    return "INFO";
}

std::string upper(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return out;
}

std::string lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

// LOG_LEVEL as Python's logging reads it; anything unknown is INFO.
Level parse_level(std::string_view text) {
    const auto name = upper(text);
    if (name == "DEBUG" || name == "TRACE") return Level::debug;
    if (name == "WARNING" || name == "WARN") return Level::warning;
    if (name == "ERROR") return Level::error;
    if (name == "CRITICAL" || name == "FATAL") return Level::critical;
    return Level::info;
}

std::string_view trim(std::string_view text) {
    constexpr std::string_view kSpace = " \t\r\n\f\v";
    const auto begin = text.find_first_not_of(kSpace);
    if (begin == std::string_view::npos) return {};
    return text.substr(begin, text.find_last_not_of(kSpace) - begin + 1);
}

// 2024-05-01T12:00:00.123456 (no zone), from a UTC time point.
std::string utc_timestamp(Clock::time_point time, bool microseconds) {
    const auto since_epoch = std::chrono::duration_cast<std::chrono::microseconds>(time.time_since_epoch()).count();
    auto seconds = since_epoch / 1'000'000;
    auto micros = since_epoch % 1'000'000;
    if (micros < 0) {
        micros += 1'000'000;
        --seconds;
    }
    const auto as_time_t = static_cast<std::time_t>(seconds);
    std::tm utc{};
    gmtime_r(&as_time_t, &utc);
    auto text = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday, utc.tm_hour,
                            utc.tm_min, utc.tm_sec);
    return microseconds ? text + fmt::format(".{:06}", micros) : text + fmt::format(".{:03}", micros / 1000);
}

bool constant_time_equal(std::string_view a, std::string_view b) {
    return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

// "127.0.0.1:5000" -> "127.0.0.1"; "[::1]:5000" -> "::1".
std::string peer_host(std::string_view peer) {
    const auto colon = peer.rfind(':');
    auto host = colon == std::string_view::npos ? peer : peer.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    return std::string(host);
}

Response json_answer(int status, const Json& body) { return Response::json(status, body.dump()); }
Response message_answer(int status, std::string_view message) {
    return json_answer(status, Json::object({{"message", message}}));
}
Response unauthorized() { return message_answer(401, "Unauthorized"); }

// ESB's Invoke API FunctionName rules: full ARN, partial ARN, name:qualifier or a plain name.
std::string normalise_function_name(std::string_view raw) {
    const std::string text(trim(percent_decode(raw)));
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (true) {
        const auto colon = text.find(':', start);
        parts.push_back(text.substr(start, colon == std::string::npos ? std::string::npos : colon - start));
        if (colon == std::string::npos) break;
        start = colon + 1;
    }
    const auto twelve_digits = [](const std::string& part) {
        return part.size() == 12 && std::all_of(part.begin(), part.end(), [](unsigned char c) { return std::isdigit(c); });
    };
    const auto all_non_empty = [&](std::size_t from) {
        return std::all_of(parts.begin() + static_cast<std::ptrdiff_t>(from), parts.end(), [](const auto& part) { return !part.empty(); });
    };
    if ((parts.size() == 7 || parts.size() == 8) && parts[0] == "arn" && parts[2] == "lambda" && twelve_digits(parts[4]) &&
        parts[5] == "function" && !parts[1].empty() && !parts[3].empty() && all_non_empty(6)) {
        return parts[6];
    }
    if ((parts.size() == 3 || parts.size() == 4) && twelve_digits(parts[0]) && parts[1] == "function" && all_non_empty(2)) {
        return parts[2];
    }
    if (parts.size() == 2 && !parts[0].empty() && !parts[1].empty()) return parts[0];
    return text;
}

// Why a worker's answer is a function error (contract 1.7 table, first row), or nullopt.
std::optional<std::string> function_error_of(const InvocationOutcome& outcome) {
    const auto payload_detail = [&]() -> std::string {
        if (const auto json = Json::try_parse(outcome.payload); json && json->is_object()) {
            const auto type = json->find("errorType");
            const auto message = json->find("errorMessage");
            const auto text_of = [](const std::optional<Json>& value) {
                return !value ? std::string() : value->is_string() ? value->str() : value->dump();
            };
            if (type || message) {
                const auto type_text = text_of(type);
                const auto message_text = text_of(message);
                return type_text.empty() ? message_text : message_text.empty() ? type_text : type_text + ": " + message_text;
            }
        }
        return outcome.payload.size() > 500 ? outcome.payload.substr(0, 500) + "..." : outcome.payload;
    };
    if (outcome.status >= 500) return fmt::format("worker answered HTTP {}: {}", outcome.status, payload_detail());
    if (const auto header = find_header(outcome.headers, "X-Amz-Function-Error")) return fmt::format("{}: {}", *header, payload_detail());
    if (outcome.status == 200 && outcome.payload.size() < kErrorPayloadScanLimit) {
        if (const auto json = Json::try_parse(outcome.payload);
            json && json->is_object() && (json->has("errorType") || json->has("errorMessage"))) {
            return payload_detail();
        }
    }
    return std::nullopt;
}

std::string with_prefix(std::string_view prefix, const std::string& text) {
    return text.rfind(prefix, 0) == 0 ? text : std::string(prefix) + text;
}

struct RequestScope {
    std::string trace;       // full canonical X-Amzn-Trace-Id
    std::string request_id;  // UUID4: x-amzn-RequestId, requestContext.requestId, aws_request_id
    bool log_trace = true;   // false under the logs.gateway_missing_trace fault (read once per request)
};

struct BackgroundJob {
    Invocation invocation;
    RequestScope scope;
};

}  // namespace

struct GatewayService::Impl {
    GatewayConfig config;
    Invoker& invoker;
    LogSink& logs;
    const FaultSwitches& faults;
    Level min_level;

    mutable std::mutex mutex;
    mutable std::condition_variable changed;
    std::deque<BackgroundJob> queue;
    std::size_t running = 0;
    bool stopping = false;
    std::vector<std::thread> threads;

    Impl(GatewayConfig cfg, Invoker& inv, LogSink& sink, const FaultSwitches& switches)
        : config(std::move(cfg)), invoker(inv), logs(sink), faults(switches), min_level(parse_level(config.log_level)) {
        if (config.jwt_secret.empty()) throw std::invalid_argument("JWT_SECRET_KEY must not be empty: tokens would be forgeable");
        if (!config.clock) config.clock = [] { return Clock::now(); };
        if (!config.sleep) config.sleep = [](std::chrono::milliseconds delay) { std::this_thread::sleep_for(delay); };
        const auto count = std::max<std::size_t>(1, config.background_threads);
        for (std::size_t i = 0; i < count; ++i) threads.emplace_back([this] { background_loop(); });
    }

    ~Impl() {
        std::deque<BackgroundJob> dropped;
        {
            std::lock_guard lock(mutex);
            stopping = true;
            dropped.swap(queue);
        }
        changed.notify_all();
        for (auto& thread : threads) thread.join();
        for (const auto& job : dropped) {
            log(job.scope, Level::warning, "gateway.invoke",
                fmt::format("Dropped asynchronous invocation of {}: the gateway is stopping", job.invocation.function_name));
        }
    }

    // ---- logging ---------------------------------------------------------------------------

    void log(const RequestScope& scope, Level level, std::string_view logger, std::string message,
             std::vector<JsonMember> extra = {}) const {
        if (level < min_level) return;
        std::vector<JsonMember> record{
            {"_time", utc_timestamp(config.clock(), false) + "Z"},
            {"level", level_name(level)},
            {"logger", logger},
            {"message", std::move(message)},
            {"container_name", "esb-gateway"},
            {"job", "services"},
        };
        if (scope.log_trace) record.emplace_back("trace_id", scope.trace);
        record.emplace_back("aws_request_id", scope.request_id);
        for (auto& member : extra) record.push_back(std::move(member));
        logs.emit(Json::object(record));
    }

    // ---- the request ----------------------------------------------------------------------

    Response handle(const Request& request) {
        const auto started = std::chrono::steady_clock::now();
        const RequestScope scope{trace_for_request(request.header("X-Amzn-Trace-Id"), config.clock()).header(), make_uuid4(),
                                 !faults.on("logs.gateway_missing_trace")};
        const auto path = percent_decode(request.path);
        Response response;
        try {
            response = dispatch(request, path, scope);
        } catch (const std::exception& error) {
            log(scope, Level::error, "gateway.main", fmt::format("Unhandled error on {} {}: {}", request.method, path, error.what()));
            response = json_answer(500, Json::object({{"message", "Internal Server Error"}, {"detail", error.what()}}));
        }
        // A HEAD answer has no body (the access line still shows the status).
        if (request.method == "HEAD") response.body.clear();
        if (!faults.on("trace.no_response_headers")) {
            response.with_header("X-Amzn-Trace-Id", scope.trace);
            response.with_header("x-amzn-RequestId", scope.request_id);
        }
        const auto latency = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
        log(scope, Level::info, "gateway.main", fmt::format("{} {} {}", request.method, path, response.status),
            {{"method", request.method},
             {"path", path},
             {"query_params", request.query},
             {"status", response.status},
             {"latency_ms", std::round(latency * 100.0) / 100.0},
             {"user_agent", request.header("user-agent").value_or("")},
             {"client_ip", peer_host(request.peer)}});
        return response;
    }

    // Registration order of contract 1.6; /health is registered before all of them.
    Response dispatch(const Request& request, const std::string& path, const RequestScope& scope) {
        const auto& method = request.method;
        if (method == "GET" && path == "/health") return health();
        if (method == "POST" && path == config.auth_endpoint_path) return authenticate_user(request, scope);
        if (method == "GET" && path == "/metrics/containers") {
            if (!bearer_user(request, scope)) return unauthorized();
            return container_metrics(scope);
        }
        if (method == "GET" && path == "/metrics/pools") {
            if (!bearer_user(request, scope)) return unauthorized();
            return pool_metrics();
        }
        if (method == "POST") {
            if (const auto segment = invoke_api_segment(path)) return invoke_api(request, *segment, scope);
        }
        if (method == "OPTIONS") return cors_preflight(request);
        static const std::vector<std::string> kCatchAllMethods{"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"};
        if (std::find(kCatchAllMethods.begin(), kCatchAllMethods.end(), method) != kCatchAllMethods.end()) {
            return routed_call(request, path, scope);
        }
        return json_answer(405, Json::object({{"detail", "Method Not Allowed"}}));
    }

    Response health() const {
        return json_answer(200, Json::object({{"status", "healthy"}, {"timestamp", utc_timestamp(config.clock(), true) + "+00:00"}}));
    }

    // ---- auth -----------------------------------------------------------------------------

    Response authenticate_user(const Request& request, const RequestScope& scope) {
        const auto validation_error = [&](std::string detail) {
            log(scope, Level::warning, "gateway.auth", fmt::format("Auth request rejected: {}", detail));
            return json_answer(422, Json::object({{"message", "Validation Error"}, {"detail", std::move(detail)}}));
        };
        const auto body = Json::try_parse(request.body);
        if (!body) return validation_error("body: a JSON object is required");
        if (!body->is_object()) return validation_error("body: must be an object");
        const auto parameters = body->find("AuthParameters");
        if (!parameters) return validation_error("AuthParameters: field required");
        if (!parameters->is_object()) return validation_error("AuthParameters: must be an object");
        for (const char* field : {"USERNAME", "PASSWORD"}) {
            const auto value = parameters->find(field);
            if (!value) return validation_error(fmt::format("AuthParameters.{}: field required", field));
            if (!value->is_string()) return validation_error(fmt::format("AuthParameters.{}: must be a string", field));
        }

        if (!faults.on("auth.ignore_api_key")) {
            const auto key = request.header("x-api-key");
            if (!key || !constant_time_equal(*key, config.api_key)) {
                log(scope, Level::warning, "gateway.auth", "Auth request rejected: missing or wrong x-api-key");
                return unauthorized();
            }
        }

        const auto username = parameters->str("USERNAME");
        const auto password = parameters->str("PASSWORD");
        if (!constant_time_equal(username, config.auth_user) || !constant_time_equal(password, config.auth_pass)) {
            log(scope, Level::warning, "gateway.auth", "Auth request rejected: wrong username or password");
            return unauthorized().with_header("PADMA_USER_AUTHORIZED", "true");
        }

        const auto now = std::chrono::duration_cast<std::chrono::seconds>(config.clock().time_since_epoch()).count();
        const auto token = jwt_sign_hs256({username, now, now + config.jwt_expires_delta.count()}, config.jwt_secret);
        log(scope, Level::info, "gateway.auth", fmt::format("Issued a token for {}", username));
        return json_answer(200, Json::object({{"AuthenticationResult", Json::object({{"IdToken", token}})}}))
            .with_header("PADMA_USER_AUTHORIZED", "true");
    }

    // The user of a valid Authorization header (contract 1.5), or nullopt (logged).
    std::optional<std::string> bearer_user(const Request& request, const RequestScope& scope) const {
        const auto refuse = [&](std::string_view reason) -> std::optional<std::string> {
            log(scope, Level::warning, "gateway.auth", fmt::format("Bearer authentication failed: {}", reason));
            return std::nullopt;
        };
        const auto header = request.header("Authorization");
        if (!header) {
            if (faults.on("auth.accept_missing_token")) return config.auth_user;
            return refuse("missing Authorization header");
        }
        std::string_view token = *header;
        if (const auto space = token.find(' '); space != std::string_view::npos) {
            if (lower(token.substr(0, space)) != "bearer") return refuse("the Authorization scheme is not Bearer");
            token = trim(token.substr(space + 1));
        }
        const auto now = std::chrono::duration_cast<std::chrono::seconds>(config.clock().time_since_epoch()).count();
        const auto verification = jwt_verify_hs256(token, config.jwt_secret, now,
                                                   {.check_signature = !faults.on("auth.accept_bad_signature")});
        if (!verification.valid()) return refuse(verification.reason);
        log(scope, Level::debug, "gateway.auth", fmt::format("Authenticated {}", *verification.subject));
        return verification.subject;
    }

    // ---- metrics --------------------------------------------------------------------------

    Response pool_metrics() const {
        auto pools = invoker.pools_json();
        if (faults.on("metrics.pools_missing_field") && pools.is_object()) {
            std::vector<JsonMember> top;
            for (const auto& [key, value] : pools.members()) {
                if (key != "pools" || !value.is_array()) {
                    top.emplace_back(key, value);
                    continue;
                }
                std::vector<e2e::JsonValue> entries;
                for (const auto& entry : value.elements()) {
                    if (!entry.is_object()) {
                        entries.emplace_back(entry);
                        continue;
                    }
                    std::vector<JsonMember> fields;
                    for (const auto& [name, field] : entry.members()) {
                        if (name != "max_capacity") fields.emplace_back(name, field);
                    }
                    entries.emplace_back(Json::object(fields));
                }
                top.emplace_back(key, Json::array(entries));
            }
            pools = Json::object(top);
        }
        return json_answer(200, pools);
    }

    Response container_metrics(const RequestScope& scope) const {
        if (config.mode != "containerd") {
            return message_answer(501, "Container metrics are not implemented for the current runtime (e.g. Docker)");
        }
        std::optional<Json> metrics;
        if (config.container_metrics) metrics = config.container_metrics();
        if (!metrics || metrics->is_null()) return json_answer(200, Json::object({{"containers", Json::array()}}));
        // All containers failed: the agent's answer decides between 501 and 503 (contract 1.9).
        if (const auto containers = metrics->find("containers"); containers && containers->is_array() && containers->size() > 0) {
            const auto elements = containers->elements();
            const bool all_failed = std::all_of(elements.begin(), elements.end(), [](const Json& c) { return c.is_object() && c.has("error"); });
            if (all_failed) {
                const bool not_implemented = std::any_of(elements.begin(), elements.end(), [](const Json& c) {
                    const auto error = c.at("error");
                    return error.is_string() && error.str().find("metrics not implemented") != std::string::npos;
                });
                log(scope, Level::warning, "gateway.main", "Container metrics failed for every container");
                if (not_implemented) {
                    return message_answer(501, "Container metrics are not implemented for the current runtime (e.g. Docker)");
                }
                return message_answer(503, "Container metrics are unavailable from Agent runtime");
            }
        }
        return json_answer(200, *metrics);
    }

    // ---- invocations ----------------------------------------------------------------------

    // The {function_name} segment when `path` is the invoke API's (one non-empty segment).
    static std::optional<std::string> invoke_api_segment(std::string_view path) {
        if (path.size() <= kInvokePrefix.size() + kInvokeSuffix.size()) return std::nullopt;
        if (path.substr(0, kInvokePrefix.size()) != kInvokePrefix) return std::nullopt;
        if (path.substr(path.size() - kInvokeSuffix.size()) != kInvokeSuffix) return std::nullopt;
        const auto segment = path.substr(kInvokePrefix.size(), path.size() - kInvokePrefix.size() - kInvokeSuffix.size());
        if (segment.empty() || segment.find('/') != std::string_view::npos) return std::nullopt;
        return std::string(segment);
    }

    InvocationOutcome run(const Invocation& invocation, const RequestScope& scope) const {
        log(scope, Level::debug, "gateway.invoke",
            fmt::format("Invoking {} ({} bytes)", invocation.function_name, invocation.payload.size()),
            {{"function_name", invocation.function_name}});
        const auto started = std::chrono::steady_clock::now();
        auto outcome = invoker.invoke(invocation);
        const auto elapsed = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
        log(scope, Level::debug, "gateway.invoke",
            fmt::format("{} answered: worker status {} in {:.1f} ms", invocation.function_name, outcome.status, elapsed),
            {{"function_name", invocation.function_name}});
        return outcome;
    }

    // The error answers of the contract 1.7 table; nullopt for a successful worker answer.
    std::optional<Response> error_answer(const std::string& function, const InvocationOutcome& outcome, const RequestScope& scope,
                                         std::string_view unknown_function_message) const {
        using Kind = InvocationOutcome::Kind;
        std::optional<Response> answer;
        switch (outcome.kind) {
            case Kind::ok:
                if (const auto detail = function_error_of(outcome)) answer = message_answer(502, "Lambda Logic Error: " + *detail);
                break;
            case Kind::function_error: {
                auto detail = outcome.message;
                if (detail.empty()) detail = function_error_of(outcome).value_or(outcome.payload);
                answer = message_answer(502, with_prefix("Lambda Logic Error: ", detail));
                break;
            }
            case Kind::circuit_open: {
                // The invoker may give the failure count or the whole text.
                const auto& text = outcome.message;
                answer = message_answer(502, text.rfind("Circuit is open", 0) == 0 ? text
                                             : text.empty()                      ? std::string("Circuit is open")
                                                                                 : fmt::format("Circuit is open (failures: {})", text));
                break;
            }
            case Kind::connection_error:
            case Kind::timeout:
                answer = message_answer(502, outcome.message.empty() ? std::string("worker unreachable") : outcome.message);
                break;
            case Kind::no_worker:
                answer = message_answer(503, with_prefix(fmt::format("Failed to start container {}: ", function), outcome.message));
                break;
            case Kind::unknown_function:
                answer = message_answer(404, unknown_function_message);
                break;
        }
        if (answer) {
            log(scope, answer->status == 404 ? Level::warning : Level::error, "gateway.invoke",
                fmt::format("Invocation of {} failed: {}", function, Json::parse(answer->body).str("message")),
                {{"function_name", function}});
        }
        return answer;
    }

    Response routed_call(const Request& request, const std::string& path, const RequestScope& scope) {
        const auto user = bearer_user(request, scope);
        if (!user) return unauthorized();
        const Route* route = config.functions.route(request.method, path);
        if (!route) {
            log(scope, Level::debug, "gateway.main", fmt::format("No route for {} {}", request.method, path));
            if (faults.on("routing.not_found_is_200")) return Response::json(200, "{}");
            return message_answer(404, "Not Found");
        }
        std::string function = route->function;
        if (function == "lambda-echo-java" && faults.on("routing.echo_java_to_python")) function = "lambda-echo";
        if (!config.functions.function(function)) return message_answer(404, fmt::format("Function {} not found", function));
        log(scope, Level::debug, "gateway.main", fmt::format("Routing {} {} to {}", request.method, path, function),
            {{"function_name", function}});

        Response response;
        try {
            const auto event = build_api_gateway_event({request, route->path, path, *user, scope.request_id});
            const auto outcome = run({function, event.dump(), scope.trace}, scope);
            const auto not_found = fmt::format("Function {} not found", function);
            if (auto error = error_answer(function, outcome, scope, not_found)) {
                response = std::move(*error);
            } else {
                response = map_lambda_result(outcome.status, outcome.headers, outcome.payload);
            }
        } catch (const std::exception& error) {
            log(scope, Level::error, "gateway.main", fmt::format("Processing {} {} failed: {}", request.method, path, error.what()));
            response = message_answer(500, fmt::format("Internal Processing Error: {}", error.what()));
        }
        if (faults.on("gateway.slow_responses")) config.sleep(kSlowResponseDelay);
        return response;
    }

    Response invoke_api(const Request& request, const std::string& segment, const RequestScope& scope) {
        const auto name = normalise_function_name(segment);
        if (name.empty()) return message_answer(400, "FunctionName is required");
        const auto not_found = fmt::format("Function not found: {}", name);
        if (!config.functions.function(name)) {
            log(scope, Level::warning, "gateway.invoke", not_found, {{"function_name", name}});
            return message_answer(404, not_found);
        }
        Invocation invocation{name, request.body, scope.trace};
        if (request.header("X-Amz-Invocation-Type") == "Event") {
            if (!enqueue({std::move(invocation), scope})) {
                log(scope, Level::error, "gateway.invoke", fmt::format("Too many pending asynchronous invocations; refused {}", name),
                    {{"function_name", name}});
                return json_answer(429, Json::object({{"message", "Too many pending asynchronous invocations"},
                                                      {"Type", "User"}}));
            }
            log(scope, Level::debug, "gateway.invoke", fmt::format("Queued asynchronous invocation of {}", name),
                {{"function_name", name}});
            return Response::json(202, "");
        }
        try {
            const auto outcome = run(invocation, scope);
            if (auto error = error_answer(name, outcome, scope, not_found)) return std::move(*error);
            Response response;
            response.status = outcome.status;
            for (const auto& [header, value] : outcome.headers) {
                if (!is_hop_by_hop_header(header)) response.headers.emplace_back(header, value);
            }
            if (!find_header(response.headers, "content-type")) response.headers.emplace_back("Content-Type", "application/json");
            response.body = outcome.payload;
            return response;
        } catch (const std::exception& error) {
            log(scope, Level::error, "gateway.invoke", fmt::format("Invoking {} failed: {}", name, error.what()));
            return message_answer(500, fmt::format("Internal Processing Error: {}", error.what()));
        }
    }

    Response cors_preflight(const Request& request) const {
        Response response;
        response.status = 204;
        const auto origin = request.header("Origin");
        response.with_header("Access-Control-Allow-Origin", origin.value_or("*"));
        response.with_header("Access-Control-Allow-Methods", std::string(kCorsMethods));
        response.with_header("Access-Control-Allow-Headers",
                             request.header("Access-Control-Request-Headers").value_or(std::string(kCorsDefaultHeaders)));
        response.with_header("Access-Control-Max-Age", "3600");
        if (origin) response.with_header("Vary", "Origin");
        return response;
    }

    // ---- Event invocations ------------------------------------------------------------------

    bool enqueue(BackgroundJob job) {
        {
            std::lock_guard lock(mutex);
            if (stopping || queue.size() >= config.background_queue_limit) return false;
            queue.push_back(std::move(job));
        }
        changed.notify_all();
        return true;
    }

    void background_loop() {
        while (true) {
            BackgroundJob job;
            {
                std::unique_lock lock(mutex);
                changed.wait(lock, [&] { return stopping || !queue.empty(); });
                if (stopping) return;
                job = std::move(queue.front());
                queue.pop_front();
                ++running;
            }
            try {
                const auto outcome = run(job.invocation, job.scope);
                const auto& function = job.invocation.function_name;
                if (!error_answer(function, outcome, job.scope, fmt::format("Function not found: {}", function))) {
                    log(job.scope, Level::debug, "gateway.invoke", fmt::format("Asynchronous invocation of {} finished", function),
                        {{"function_name", function}});
                }
            } catch (const std::exception& error) {
                log(job.scope, Level::error, "gateway.invoke",
                    fmt::format("Asynchronous invocation of {} failed: {}", job.invocation.function_name, error.what()));
            }
            {
                std::lock_guard lock(mutex);
                --running;
            }
            changed.notify_all();
        }
    }
};

GatewayService::GatewayService(GatewayConfig config, Invoker& invoker, LogSink& logs, const FaultSwitches& faults)
    : impl_(std::make_unique<Impl>(std::move(config), invoker, logs, faults)) {}

GatewayService::~GatewayService() = default;

Response GatewayService::handle(const Request& request) { return impl_->handle(request); }

std::size_t GatewayService::background_pending() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->queue.size() + impl_->running;
}

bool GatewayService::wait_background_idle(std::chrono::milliseconds timeout) const {
    std::unique_lock lock(impl_->mutex);
    return impl_->changed.wait_for(lock, timeout, [&] { return impl_->queue.empty() && impl_->running == 0; });
}

}  // namespace refstack
