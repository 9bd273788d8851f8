// esb-refstack: the reference ESB stack on loopback.
//
//   esb-refstack --env-file F [--data-dir D] [--ready-file R] [--faults ID[,ID...]]
//   esb-refstack --list-faults
//   esb-refstack component gateway|agent --config F      (started by the supervisor)
//
// Exit codes: 0 clean stop, 2 usage, 3 bad configuration, 4 a listener could not start,
// 5 a component did not become ready.
#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "components.hpp"
#include "control_service.hpp"
#include "durable_file.hpp"
#include "dynamodb_service.hpp"
#include "e2e/dotenv.hpp"
#include "e2e/http.hpp"
#include "faults.hpp"
#include "http_server.hpp"
#include "logs_service.hpp"
#include "resources_config.hpp"
#include "s3_service.hpp"
#include "stack_config.hpp"
#include "supervisor.hpp"

namespace {

constexpr int kExitUsage = 2;
constexpr int kExitConfig = 3;
constexpr int kExitListen = 4;
constexpr int kExitNotReady = 5;

constexpr const char* kUsage =
    "usage: esb-refstack --env-file FILE [--data-dir DIR] [--ready-file FILE] [--faults ID[,ID...]]\n"
    "       esb-refstack --list-faults\n"
    "       esb-refstack component gateway|agent --config FILE\n"
    "\n"
    "Starts the reference ESB stack on 127.0.0.1: gateway (HTTPS), S3, DynamoDB, VictoriaLogs,\n"
    "agent metrics and the control API. Ports set to 0 in the env file are picked free. When the\n"
    "stack is ready its endpoints and credentials are written to the ready file (.env format,\n"
    "default <data-dir>/ready.env). SIGTERM or SIGINT stops it gracefully.\n"
    "\n"
    "--faults sets the fault switches active from the start (comma-separated, \"\" for none),\n"
    "replacing REFSTACK_FAULTS; --list-faults prints every switch as id<TAB>area<TAB>description.\n";

std::filesystem::path self_executable() { return std::filesystem::read_symlink("/proc/self/exe"); }

sigset_t termination_signals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    return set;
}

std::unique_ptr<refstack::HttpServer> serve(const std::string& name, std::uint16_t port, refstack::Handler handler,
                                            std::size_t max_body = 16u * 1024u * 1024u) {
    auto server = std::make_unique<refstack::HttpServer>(
        refstack::ServerOptions{.name = name, .port = port, .max_request_body = max_body}, std::move(handler));
    server->start();
    return server;
}

// Polls a component's health endpoint until it answers 200.
void wait_ready(const refstack::StackConfig& config, const std::string& component, std::chrono::milliseconds timeout) {
    const std::string url = component == "gateway" ? config.get("GATEWAY_INTERNAL_URL") + "/health"
                                                   : config.get("AGENT_API_URL") + "/health";
    e2e::HttpClient client({.connect_timeout = std::chrono::milliseconds(500), .request_timeout = std::chrono::milliseconds(1000)});
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::string last = "no answer";
    while (std::chrono::steady_clock::now() < deadline) {
        try {
            const auto response = client.get(url);
            if (response.status == 200) return;
            last = fmt::format("status {}", response.status);
        } catch (const e2e::HttpError& error) {
            last = error.what();
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    throw std::runtime_error(fmt::format("component {} not ready after {} ms ({})", component, timeout.count(), last));
}

void write_runtime_config(const refstack::StackConfig& config, const std::filesystem::path& path) {
    std::vector<e2e::DotenvEntry> entries;
    for (const auto& [key, value] : config.values) entries.push_back({key, value, 0});
    refstack::write_file_durably(path, e2e::format_dotenv(entries));
    std::filesystem::permissions(path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

// "a,b,,c" -> {a, b, c}: the REFSTACK_FAULTS / --faults list.
std::set<std::string> split_fault_list(const std::string& text) {
    std::set<std::string> ids;
    for (std::size_t begin = 0; begin < text.size();) {
        const auto end = std::min(text.find(',', begin), text.size());
        if (end > begin) ids.insert(text.substr(begin, end - begin));
        begin = end + 1;
    }
    return ids;
}

int run_stack(const std::filesystem::path& env_file, std::filesystem::path data_dir, std::filesystem::path ready_file,
              const std::optional<std::string>& faults_override) {
    // Block termination signals before any thread starts, so only the sigwait below sees them.
    const sigset_t signals = termination_signals();
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    if (data_dir.empty()) {
        std::string pattern = (std::filesystem::temp_directory_path() / "esb-refstack-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) {
            fmt::print(stderr, "esb-refstack: cannot create a data folder in {}\n", std::filesystem::temp_directory_path().string());
            return kExitConfig;
        }
        data_dir = pattern;
    }
    refstack::StackConfig config;
    refstack::ResourcesConfig resources;
    try {
        config = refstack::load_stack_config(env_file, data_dir);
        resources = refstack::load_resources_config(config.get("RESOURCES_CONFIG"));
    } catch (const std::exception& error) {
        fmt::print(stderr, "esb-refstack: {}\n", error.what());
        return kExitConfig;
    }
    if (ready_file.empty()) ready_file = config.data_dir / "ready.env";
    std::filesystem::remove(ready_file);

    refstack::FaultSwitches faults(config.get("REFSTACK_FAULTS_FILE"));
    try {
        faults.set_active(split_fault_list(faults_override.value_or(config.get("REFSTACK_FAULTS"))));
    } catch (const std::exception& error) {
        fmt::print(stderr, "esb-refstack: {}: {}\n", faults_override ? "--faults" : "REFSTACK_FAULTS", error.what());
        return kExitConfig;
    }

    std::unique_ptr<refstack::S3Service> s3;
    std::unique_ptr<refstack::DynamoDbService> dynamodb;
    std::unique_ptr<refstack::LogsService> logs;
    std::vector<std::unique_ptr<refstack::HttpServer>> servers;
    const auto runtime_config = config.data_dir / "runtime.env";
    std::unique_ptr<refstack::Supervisor> supervisor;
    std::unique_ptr<refstack::ControlService> control;
    try {
        s3 = std::make_unique<refstack::S3Service>(refstack::S3ServiceOptions{
            .data_dir = config.data_dir / "s3",
            .access_key = config.get("RUSTFS_ACCESS_KEY"),
            .secret_key = config.get("RUSTFS_SECRET_KEY"),
            .buckets = resources.buckets,
            .max_object_size = static_cast<std::size_t>(e2e::parse_integer_setting("REFSTACK_MAX_OBJECT_SIZE", config.get("REFSTACK_MAX_OBJECT_SIZE"))),
            .faults = &faults});
        dynamodb = std::make_unique<refstack::DynamoDbService>(refstack::DynamoDbServiceConfig{
            .data_dir = config.data_dir / "dynamodb",
            .credentials = {{config.get("RUSTFS_ACCESS_KEY"), config.get("RUSTFS_SECRET_KEY"), ""}},
            .tables = resources.tables,
            .faults = &faults});
        logs = std::make_unique<refstack::LogsService>();
    } catch (const std::exception& error) {
        fmt::print(stderr, "esb-refstack: {}\n", error.what());
        return kExitConfig;
    }
    try {
        servers.push_back(serve("s3", config.port("PORT_S3"), [&](const auto& r) { return s3->handle(r); }, s3->request_body_limit()));
        servers.push_back(serve("dynamodb", config.port("PORT_DATABASE"), [&](const auto& r) { return dynamodb->handle(r); }));
        servers.push_back(serve("victorialogs", config.port("PORT_VICTORIALOGS"), [&](const auto& r) { return logs->handle(r); }));
    } catch (const std::exception& error) {
        fmt::print(stderr, "esb-refstack: {}\n", error.what());
        return kExitListen;
    }

    write_runtime_config(config, runtime_config);
    supervisor = std::make_unique<refstack::Supervisor>(refstack::Supervisor::Options{
        .executable = self_executable(),
        .config = runtime_config,
        .log_dir = config.data_dir / "logs",
        .before_start =
            [&](const std::string& component) {
                // Fault: a restarted gateway signs with a new secret, so earlier tokens stop working.
                if (component == "gateway" && faults.on("restart.jwt_secret_rotates")) {
                    config.values["JWT_SECRET_KEY"] = refstack::secure_random_hex(32);
                    write_runtime_config(config, runtime_config);
                }
            },
        .wait_ready = [&](const std::string& component, std::chrono::milliseconds timeout) { wait_ready(config, component, timeout); },
    });
    control = std::make_unique<refstack::ControlService>(*supervisor, faults, config.get("REFSTACK_CONTROL_TOKEN"));
    try {
        servers.push_back(serve("control", config.port("PORT_CONTROL"), [&](const auto& r) { return control->handle(r); }));
    } catch (const std::exception& error) {
        fmt::print(stderr, "esb-refstack: {}\n", error.what());
        return kExitListen;
    }
    try {
        supervisor->start("agent");
        supervisor->start("gateway");
    } catch (const std::exception& error) {
        fmt::print(stderr, "esb-refstack: {}\n", error.what());
        for (const char* component : {"agent", "gateway"}) {
            const auto tail = supervisor->log_tail(component);
            if (!tail.empty()) fmt::print(stderr, "--- last lines of {} ---\n{}", component, tail);
        }
        return kExitNotReady;
    }

    std::vector<e2e::DotenvEntry> ready;
    for (const auto& [key, value] : refstack::ready_variables(config)) ready.push_back({key, value, 0});
    // Announce first: whoever waits for the ready file then also finds the line in the output.
    fmt::print("esb-refstack ready: gateway {} (ready file {})\n", config.get("GATEWAY_URL"), ready_file.string());
    std::fflush(stdout);
    refstack::write_file_durably(ready_file, e2e::format_dotenv(ready));

    int signal = 0;
    sigwait(&signals, &signal);
    fmt::print("esb-refstack: stopping ({})\n", signal == SIGINT ? "SIGINT" : "SIGTERM");
    supervisor->stop_all();
    for (auto& server : servers) server->stop();
    std::filesystem::remove(ready_file);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    const std::vector<std::string> args(argv + 1, argv + argc);
    if (!args.empty() && args[0] == "component") {
        if (args.size() != 4 || args[2] != "--config") {
            fmt::print(stderr, "{}", kUsage);
            return kExitUsage;
        }
        return refstack::run_component(args[1], args[3]);
    }
    std::filesystem::path env_file;
    std::filesystem::path data_dir;
    std::filesystem::path ready_file;
    std::optional<std::string> faults;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const auto& arg = args[i];
        if (arg == "--help" || arg == "-h") {
            fmt::print("{}", kUsage);
            return 0;
        }
        if (arg == "--list-faults") {
            for (const auto& info : refstack::fault_catalogue()) fmt::print("{}\t{}\t{}\n", info.id, info.area, info.description);
            return 0;
        }
        if (arg == "--faults" && i + 1 < args.size()) {
            faults = args[++i];
            continue;
        }
        if ((arg == "--env-file" || arg == "--data-dir" || arg == "--ready-file") && i + 1 < args.size()) {
            (arg == "--env-file" ? env_file : arg == "--data-dir" ? data_dir : ready_file) = args[++i];
            continue;
        }
        fmt::print(stderr, "esb-refstack: unknown or incomplete argument \"{}\"\n{}", arg, kUsage);
        return kExitUsage;
    }
    if (env_file.empty()) {
        fmt::print(stderr, "esb-refstack: --env-file is required\n{}", kUsage);
        return kExitUsage;
    }
    return run_stack(env_file, data_dir, ready_file, faults);
}
