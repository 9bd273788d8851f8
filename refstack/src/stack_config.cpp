#include "stack_config.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <openssl/rand.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

#include "durable_file.hpp"
#include "e2e/dotenv.hpp"

namespace refstack {
namespace {

// Knobs with the reference stack's defaults (ESB's E2E values, contract 4.3).
const std::map<std::string, std::string, std::less<>>& knob_defaults() {
    static const std::map<std::string, std::string, std::less<>> defaults{
        {"MODE", "docker"},
        {"LOG_LEVEL", "DEBUG"},
        {"AUTH_ENDPOINT_PATH", "/user/auth/v1"},
        {"VERIFY_SSL", "false"},
        {"CIRCUIT_BREAKER_THRESHOLD", "3"},
        {"CIRCUIT_BREAKER_RECOVERY_TIMEOUT", "10.0"},
        {"GATEWAY_IDLE_TIMEOUT_SECONDS", "15"},
        {"HEARTBEAT_INTERVAL", "5"},
        {"LAMBDA_INVOKE_TIMEOUT", "30.0"},
        {"JWT_EXPIRES_DELTA", "3000"},
        {"E2E_IMAGE_EXPECTED_LOGGER", "cloudwatch.logs.python"},
        {"PROJECT_NAME", "esb-refstack"},
        {"ROUTING_CONFIG", "routing.yml"},
        {"FUNCTIONS_CONFIG", "functions.yml"},
        {"RESOURCES_CONFIG", "resources.yml"},
        {"REFSTACK_SCHEDULE_PERIOD_SECONDS", ""},
        {"REFSTACK_FAULTS", ""},
        {"REFSTACK_MAX_OBJECT_SIZE", "67108864"},
    };
    return defaults;
}

struct GeneratedSecret {
    const char* name;
    std::size_t random_bytes;  // 0: fixed value below
    const char* fixed;
};

// ESB's E2E generation rules (contract 4.2): AUTH_USER and the access key are the brand slug.
constexpr GeneratedSecret kGenerated[] = {
    {"AUTH_USER", 0, "esb"},          {"AUTH_PASS", 16, ""},           {"X_API_KEY", 32, ""},
    {"JWT_SECRET_KEY", 32, ""},       {"RUSTFS_ACCESS_KEY", 0, "esb"}, {"RUSTFS_SECRET_KEY", 16, ""},
    {"REFSTACK_CONTROL_TOKEN", 32, ""},
};

}  // namespace

std::string secure_random_hex(std::size_t bytes) {
    std::string raw(bytes, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes)) != 1) {
        throw std::runtime_error("OpenSSL RAND_bytes failed");
    }
    std::string out;
    for (unsigned char c : raw) out += fmt::format("{:02x}", c);
    return out;
}

std::uint16_t pick_free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw std::runtime_error("cannot create a socket to pick a free port");
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    socklen_t length = sizeof address;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
        ::close(fd);
        throw std::runtime_error("cannot bind 127.0.0.1:0 to pick a free port");
    }
    ::close(fd);
    return ntohs(address.sin_port);
}

const std::string& StackConfig::get(const std::string& name) const {
    const auto it = values.find(name);
    if (it == values.end()) throw std::out_of_range(fmt::format("stack setting {} is not defined", name));
    return it->second;
}

std::uint16_t StackConfig::port(const std::string& name) const {
    return static_cast<std::uint16_t>(e2e::parse_integer_setting(name, get(name)));
}

e2e::Settings StackConfig::settings() const {
    return e2e::Settings::from_map({values.begin(), values.end()}, env_file.string());
}

StackConfig load_stack_config(const std::filesystem::path& env_file, const std::filesystem::path& data_dir) {
    StackConfig config;
    config.env_file = std::filesystem::absolute(env_file);
    config.data_dir = std::filesystem::absolute(data_dir);
    std::filesystem::create_directories(config.data_dir);

    e2e::Settings settings({.defaults = knob_defaults(), .env_files = {config.env_file}, .process_environment = false});
    for (const auto& name : settings.names()) config.values[name] = *settings.raw(name);

    // Validate the typed knobs once, so a bad value stops the stack with the variable's name.
    settings.integer("CIRCUIT_BREAKER_THRESHOLD");
    settings.duration("CIRCUIT_BREAKER_RECOVERY_TIMEOUT");
    settings.duration("GATEWAY_IDLE_TIMEOUT_SECONDS");
    settings.duration("HEARTBEAT_INTERVAL");
    settings.duration("LAMBDA_INVOKE_TIMEOUT");
    settings.integer("JWT_EXPIRES_DELTA");
    settings.integer("REFSTACK_MAX_OBJECT_SIZE");
    settings.duration("REFSTACK_SCHEDULE_PERIOD_SECONDS", std::chrono::milliseconds(0));
    const auto mode = settings.str("MODE");
    if (mode != "docker" && mode != "containerd") {
        throw e2e::SettingsError(fmt::format("MODE=\"{}\" is not docker or containerd (from {})", mode, config.env_file.string()));
    }

    const auto base = config.env_file.parent_path();
    for (const char* name : {"ROUTING_CONFIG", "FUNCTIONS_CONFIG", "RESOURCES_CONFIG"}) {
        std::filesystem::path path = config.values[name];
        if (path.is_relative()) path = base / path;
        if (!std::filesystem::exists(path)) {
            throw e2e::SettingsError(fmt::format("{}=\"{}\" names a missing file ({})", name, config.values[name], path.string()));
        }
        config.values[name] = path.string();
    }

    // Credentials: the env file wins; otherwise the ones generated by an earlier start on this
    // data folder; otherwise new ones, persisted before anything uses them.
    const auto credentials_file = config.data_dir / "credentials.env";
    std::map<std::string, std::string> stored;
    if (std::filesystem::exists(credentials_file)) {
        for (auto& entry : e2e::read_dotenv_file(credentials_file)) stored[entry.key] = entry.value;
    }
    bool changed = false;
    for (const auto& secret : kGenerated) {
        auto& value = config.values[secret.name];
        if (!value.empty()) continue;
        if (const auto it = stored.find(secret.name); it != stored.end() && !it->second.empty()) {
            value = it->second;
            continue;
        }
        value = secret.random_bytes == 0 ? std::string(secret.fixed) : secure_random_hex(secret.random_bytes);
        stored[secret.name] = value;
        changed = true;
    }
    if (changed) {
        std::vector<e2e::DotenvEntry> entries;
        for (const auto& [key, value] : stored) entries.push_back({key, value, 0});
        write_file_durably(credentials_file, e2e::format_dotenv(entries));
        std::filesystem::permissions(credentials_file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    }
    if (config.values["JWT_SECRET_KEY"].size() < 32) {
        throw e2e::SettingsError("JWT_SECRET_KEY must be at least 32 characters (ESB's rule)");
    }

    for (const auto& name : port_variables()) {
        auto& value = config.values[name];
        const auto port = value.empty() ? 0 : e2e::parse_integer_setting(name, value);
        if (port < 0 || port > 65535) throw e2e::SettingsError(fmt::format("{}=\"{}\" is not a port", name, value));
        value = std::to_string(port == 0 ? pick_free_port() : static_cast<std::uint16_t>(port));
    }

    auto& v = config.values;
    v["GATEWAY_PORT"] = v["PORT_GATEWAY_HTTPS"];
    v["GATEWAY_URL"] = fmt::format("https://localhost:{}", v["PORT_GATEWAY_HTTPS"]);
    v["GATEWAY_INTERNAL_URL"] = fmt::format("https://127.0.0.1:{}", v["PORT_GATEWAY_HTTPS"]);
    v["VICTORIALOGS_PORT"] = v["PORT_VICTORIALOGS"];
    v["VICTORIALOGS_URL"] = fmt::format("http://localhost:{}", v["PORT_VICTORIALOGS"]);
    v["AGENT_METRICS_PORT"] = v["PORT_AGENT_METRICS"];
    v["AGENT_METRICS_URL"] = fmt::format("http://localhost:{}", v["PORT_AGENT_METRICS"]);
    v["AGENT_API_URL"] = fmt::format("http://127.0.0.1:{}", v["PORT_AGENT_API"]);
    v["S3_ENDPOINT"] = fmt::format("http://127.0.0.1:{}", v["PORT_S3"]);
    v["S3_PRESIGN_ENDPOINT"] = fmt::format("http://localhost:{}", v["PORT_S3"]);
    v["DYNAMODB_ENDPOINT"] = fmt::format("http://127.0.0.1:{}", v["PORT_DATABASE"]);
    v["REFSTACK_CONTROL_URL"] = fmt::format("http://127.0.0.1:{}", v["PORT_CONTROL"]);
    v["REFSTACK_DATA_DIR"] = config.data_dir.string();
    v["REFSTACK_FAULTS_FILE"] = (config.data_dir / "faults").string();
    return config;
}

std::map<std::string, std::string> ready_variables(const StackConfig& config) {
    static const char* const names[] = {
        "GATEWAY_URL", "GATEWAY_PORT", "VICTORIALOGS_URL", "VICTORIALOGS_PORT", "AGENT_METRICS_URL", "AGENT_METRICS_PORT",
        "PORT_GATEWAY_HTTPS", "PORT_S3", "PORT_DATABASE", "PORT_VICTORIALOGS", "PORT_AGENT_METRICS", "AUTH_ENDPOINT_PATH",
        "AUTH_USER", "AUTH_PASS", "X_API_KEY", "RUSTFS_ACCESS_KEY", "RUSTFS_SECRET_KEY", "VERIFY_SSL", "MODE", "PROJECT_NAME",
        "LOG_LEVEL", "CIRCUIT_BREAKER_THRESHOLD", "CIRCUIT_BREAKER_RECOVERY_TIMEOUT", "GATEWAY_IDLE_TIMEOUT_SECONDS",
        "HEARTBEAT_INTERVAL", "LAMBDA_INVOKE_TIMEOUT", "E2E_IMAGE_EXPECTED_LOGGER", "REFSTACK_SCHEDULE_PERIOD_SECONDS",
        "REFSTACK_CONTROL_URL", "REFSTACK_CONTROL_TOKEN", "REFSTACK_DATA_DIR"};
    std::map<std::string, std::string> out;
    for (const char* name : names) out[name] = config.get(name);
    return out;
}

}  // namespace refstack
