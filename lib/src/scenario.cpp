// The scenario fixtures: lazy process-wide singletons, configured from e2e::settings().
#include "e2e/scenario.hpp"

#include <chrono>

#include <fmt/format.h>

#include <random>

#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers.hpp>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <variant>

#include "e2e/matchers.hpp"

namespace e2e {
namespace {

bool blank(const std::optional<std::string>& value) {
    return !value || value->find_first_not_of(" \t\r\n") == std::string::npos;
}

void default_to(Settings& settings, std::string_view name, std::string value) {
    if (blank(settings.raw(name))) settings.set(std::string(name), std::move(value));
}

std::string without_trailing_slash(std::string url) {
    while (!url.empty() && url.back() == '/') url.pop_back();
    return url;
}

HttpClientOptions gateway_options(const Settings& settings) {
    HttpClientOptions options;
    options.request_timeout = std::chrono::seconds(30);  // contract 4.1: request timeout 30
    options.verify_tls = settings.flag("VERIFY_SSL", false);
    return options;
}

std::string local_endpoint(std::string_view port_name) {
    return "http://127.0.0.1:" + std::to_string(settings().integer(port_name));
}

}  // namespace

// ---- configuration ----------------------------------------------------------------------------

std::map<std::string, std::string, std::less<>> scenario_defaults() {
    return {
        {"GATEWAY_PORT", "443"},
        {"VICTORIALOGS_PORT", "9428"},
        {"AGENT_METRICS_PORT", "9091"},
        {"AUTH_ENDPOINT_PATH", "/user/auth/v1"},
        {"VERIFY_SSL", "false"},
        {"MODE", "docker"},
        {"IDLE_TIMEOUT_MINUTES", "5"},
        {"HEARTBEAT_INTERVAL", "30"},
        {"E2E_IMAGE_TEST_EXPECT_SUCCESS", "1"},
        {"E2E_IMAGE_EXPECTED_LOGGER", "cloudwatch.logs.python"},
        {"PORT_S3", "9000"},
        {"PORT_DATABASE", "8001"},
    };
}

Settings load_scenario_settings(std::optional<std::map<std::string, std::string, std::less<>>> environment) {
    std::optional<std::string> env_file;
    if (environment) {
        if (const auto it = environment->find("E2E_ENV_FILE"); it != environment->end()) env_file = it->second;
    } else if (const char* value = std::getenv("E2E_ENV_FILE")) {
        env_file = value;
    }
    if (blank(env_file)) env_file.reset();

    Settings::Layers layers;
    layers.defaults = scenario_defaults();
    if (env_file) layers.env_files.emplace_back(*env_file);
    layers.process_environment = !environment.has_value();
    Settings settings;
    try {
        settings = Settings(layers);
    } catch (const std::exception& error) {
        throw SettingsError("E2E_ENV_FILE=" + env_file.value_or("") + " cannot be read: " + error.what());
    }
    if (environment) {
        for (const auto& [name, value] : *environment) settings.set(name, value);
    }

    // Derived defaults (contract 4.1): the URLs from their ports, the idle timeout from minutes.
    default_to(settings, "GATEWAY_URL", "https://localhost:" + settings.str("GATEWAY_PORT"));
    default_to(settings, "VICTORIALOGS_URL", "http://localhost:" + settings.str("VICTORIALOGS_PORT"));
    default_to(settings, "AGENT_METRICS_URL", "http://localhost:" + settings.str("AGENT_METRICS_PORT"));
    default_to(settings, "GATEWAY_IDLE_TIMEOUT_SECONDS",
               std::to_string(settings.integer("IDLE_TIMEOUT_MINUTES") * 60));

    settings.require({"X_API_KEY", "AUTH_USER", "AUTH_PASS"});  // one error naming all missing
    (void)settings.url("GATEWAY_URL");
    (void)settings.url("VICTORIALOGS_URL");
    (void)settings.url("AGENT_METRICS_URL");
    return settings;
}

const Settings& settings() {
    // Loaded once; a configuration error is kept and rethrown so every test reports it.
    static const std::variant<Settings, std::string> loaded = []() -> std::variant<Settings, std::string> {
        try {
            return load_scenario_settings();
        } catch (const std::exception& error) {
            return std::string(error.what());
        }
    }();
    if (const auto* error = std::get_if<std::string>(&loaded)) throw SettingsError("configuration: " + *error);
    return std::get<Settings>(loaded);
}

// ---- recording --------------------------------------------------------------------------------

ExchangeLog& current_exchanges() {
    static ExchangeLog log(50);
    return log;
}

std::string describe_recorded_exchanges(std::size_t max_exchanges) {
    const auto exchanges = current_exchanges().snapshot();  // stored redacted
    if (exchanges.empty()) return {};
    const std::size_t first = exchanges.size() > max_exchanges ? exchanges.size() - max_exchanges : 0;
    std::string text = "HTTP exchanges of this test case (" + std::to_string(exchanges.size()) + " recorded";
    if (first > 0) text += ", last " + std::to_string(max_exchanges) + " shown";
    text += "; secrets redacted):\n";
    for (std::size_t i = first; i < exchanges.size(); ++i) {
        text += "--- exchange " + std::to_string(i + 1) + " ---\n" + describe(exchanges[i], 2000) + "\n";
    }
    text += "reproduce the last one: " + to_curl(exchanges.back());
    return text;
}

// ---- gateway ----------------------------------------------------------------------------------

Gateway::Gateway(const Settings& settings)
    : base_url_(without_trailing_slash(settings.str("GATEWAY_URL"))), http_(gateway_options(settings)) {
    http_.set_recorder(&current_exchanges());
}

std::string Gateway::url(std::string_view path) const { return base_url_ + std::string(path); }

HttpResponse Gateway::send(std::string method, std::string_view path, std::optional<Json> body,
                           std::optional<std::string> token, Headers headers) {
    HttpRequest request;
    request.method = std::move(method);
    request.url = url(path);
    if (body) {
        request.body = body->dump();
        request.headers.emplace_back("Content-Type", "application/json");
    }
    if (token) request.headers.emplace_back("Authorization", "Bearer " + *token);
    for (auto& header : headers) request.headers.push_back(std::move(header));
    return http_.send(request);
}

HttpResponse Gateway::get(std::string_view path, std::optional<std::string> token, Headers headers) {
    return send("GET", path, std::nullopt, std::move(token), std::move(headers));
}

HttpResponse Gateway::post(std::string_view path, const Json& body, std::optional<std::string> token, Headers headers) {
    return send("POST", path, body, std::move(token), std::move(headers));
}

HttpResponse Gateway::post(std::string_view path, std::initializer_list<JsonMember> members,
                           std::optional<std::string> token, Headers headers) {
    return send("POST", path, Json::object(members), std::move(token), std::move(headers));
}

Gateway& gateway() {
    static Gateway instance(settings());
    return instance;
}

const std::string& token() {
    static std::mutex mutex;
    static std::optional<std::string> cached;
    const std::lock_guard lock(mutex);
    if (cached) return *cached;
    const auto& config = settings();
    const auto body = Json::object({{"AuthParameters", Json::object({{"USERNAME", config.str("AUTH_USER")},
                                                                      {"PASSWORD", config.str("AUTH_PASS")}})}});
    // H5: no request timeout of its own; the gateway client's 30 s deadline still applies.
    const auto response = gateway().post(config.str("AUTH_ENDPOINT_PATH"), body, std::nullopt,
                                         {{"x-api-key", config.str("X_API_KEY")}});
    if (response.status != 200) FAIL("Auth failed: " << describe_response(response));
    const auto parsed = Json::try_parse(response.body);
    if (!parsed || !parsed->has("AuthenticationResult.IdToken") ||
        !parsed->at("AuthenticationResult.IdToken").is_string()) {
        FAIL("Auth failed: no AuthenticationResult.IdToken string in " << describe_response(response));
    }
    cached = parsed->str("AuthenticationResult.IdToken");
    return *cached;
}

HttpClient& aux_http() {
    static HttpClient instance{[] {
        HttpClientOptions options;
        options.request_timeout = std::chrono::seconds(30);  // contract 4.1: VictoriaLogs timeout 30
        return options;
    }()};
    static const bool recording = (instance.set_recorder(&current_exchanges()), true);
    (void)recording;
    return instance;
}

VictoriaLogsClient& logs() {
    static VictoriaLogsClient instance(without_trailing_slash(settings().str("VICTORIALOGS_URL")), aux_http());
    return instance;
}

S3Client& s3() {
    static S3Client instance = [] {
        settings().require({"PORT_S3", "RUSTFS_ACCESS_KEY", "RUSTFS_SECRET_KEY"});
        return S3Client(local_endpoint("PORT_S3"), settings().str("RUSTFS_ACCESS_KEY"),
                        settings().str("RUSTFS_SECRET_KEY"), std::string(kEsbRegion), aux_http());
    }();
    return instance;
}

DynamoDbClient& dynamodb() {
    static DynamoDbClient instance = [] {
        settings().require({"PORT_DATABASE", "RUSTFS_ACCESS_KEY", "RUSTFS_SECRET_KEY"});
        return DynamoDbClient(DynamoDbConfig{local_endpoint("PORT_DATABASE"), settings().str("RUSTFS_ACCESS_KEY"),
                                             settings().str("RUSTFS_SECRET_KEY"), std::string(kEsbRegion)},
                              aux_http());
    }();
    return instance;
}

// ---- runtime ----------------------------------------------------------------------------------

std::string Runtime::connectivity_path() const {
    if (is_platform()) throw std::logic_error("the platform binary has no connectivity function");
    return "/api/connectivity/" + id_;
}

std::string Runtime::tag(std::string_view suffix) const { return std::string(suffix) + "-" + id_; }

// ---- smoke helpers ----------------------------------------------------------------------------

void assert_success(const HttpResponse& response, std::string_view action) {
    REQUIRE_THAT(response, Status(200));
    const auto body = Json::try_parse(response.body);
    INFO("response: " << describe_response(response));
    REQUIRE(body.has_value());
    CHECK_THAT(*body, Field("success", true) && Field("action", std::string(action)));
}

void assert_child_success(const Json& child) {
    INFO("child: " << child.excerpt(1000));
    if (child.is_string()) {
        // ESB: a string child only has to be JSON (json.loads must not raise).
        CHECK(Json::try_parse(child.str()).has_value());
        return;
    }
    if (child.is_object() && child.has("body") && child.at("body").is_string()) {
        const auto body = Json::try_parse(child.str("body"));
        REQUIRE(body.has_value());
        CHECK_THAT(*body, Field("success", true));
        return;
    }
    if (child.is_object()) {
        CHECK_THAT(child, Field("success", true));
        return;
    }
    FAIL("child is neither a JSON string nor an object but " << child.type_name());
}

std::string random_hex(std::size_t digits) {
    static thread_local std::mt19937_64 engine{std::random_device{}()};
    static constexpr char kHex[] = "0123456789abcdef";
    std::uniform_int_distribution<int> pick(0, 15);
    std::string out;
    for (std::size_t i = 0; i < digits; ++i) out += kHex[pick(engine)];
    return out;
}

std::string new_trace_root() {
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch());
    return fmt::format("1-{:08x}-{}", static_cast<unsigned long long>(now.count()), random_hex(24));
}

}  // namespace e2e
