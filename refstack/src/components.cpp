#include "components.hpp"

#include <fmt/format.h>
#include <signal.h>

#include <csignal>
#include <memory>

#include "agent_client.hpp"
#include "agent_service.hpp"
#include "e2e/dotenv.hpp"
#include "e2e/self_signed_cert.hpp"
#include "e2e/settings.hpp"
#include "faults.hpp"
#include "function_config.hpp"
#include "function_runtime.hpp"
#include "gateway_service.hpp"
#include "http_server.hpp"
#include "local_invoker.hpp"
#include "log_shipper.hpp"
#include "scheduler.hpp"

namespace refstack {
namespace {

constexpr int kExitConfig = 3;
constexpr int kExitListen = 4;

// Blocks SIGTERM/SIGINT in every thread and returns once one arrives.
class TerminationWait {
public:
    TerminationWait() {
        sigemptyset(&signals_);
        sigaddset(&signals_, SIGTERM);
        sigaddset(&signals_, SIGINT);
        pthread_sigmask(SIG_BLOCK, &signals_, nullptr);
    }
    void wait() {
        int signal = 0;
        sigwait(&signals_, &signal);
    }

private:
    sigset_t signals_{};
};

std::map<std::string, std::string> as_map(const e2e::Settings& settings) {
    std::map<std::string, std::string> out;
    for (const auto& name : settings.names()) out[name] = *settings.raw(name);
    return out;
}

int run_gateway(const e2e::Settings& settings, TerminationWait& termination) {
    const auto variables = as_map(settings);
    const FaultSwitches faults(settings.str("REFSTACK_FAULTS_FILE"));
    auto functions = load_functions_config(settings.str("ROUTING_CONFIG"), settings.str("FUNCTIONS_CONFIG"), variables);

    HttpLogShipper logs({.victorialogs_url = settings.str("VICTORIALOGS_URL")});
    HttpAgentClient agent(settings.str("AGENT_API_URL"));
    auto invoker_options = local_invoker_options(settings);
    // What the gateway injects into every worker (contract 2.1).
    for (const char* name : {"GATEWAY_INTERNAL_URL", "VICTORIALOGS_URL", "S3_ENDPOINT", "S3_PRESIGN_ENDPOINT", "DYNAMODB_ENDPOINT",
                             "LOG_LEVEL", "E2E_IMAGE_EXPECTED_LOGGER", "RUSTFS_ACCESS_KEY", "RUSTFS_SECRET_KEY"}) {
        invoker_options.worker_environment[name] = settings.str(name, "");
    }
    invoker_options.worker_environment["AWS_ENDPOINT_URL_S3"] = settings.str("S3_ENDPOINT");
    invoker_options.worker_environment["AWS_PRESIGN_ENDPOINT_URL_S3"] = settings.str("S3_PRESIGN_ENDPOINT");
    invoker_options.worker_environment["AWS_ENDPOINT_URL_DYNAMODB"] = settings.str("DYNAMODB_ENDPOINT");
    invoker_options.worker_environment["AWS_REGION"] = "ap-northeast-1";
    LocalInvoker invoker(functions, builtin_functions(), agent, logs, faults, invoker_options);

    GatewayConfig gateway_config{
        .auth_endpoint_path = settings.str("AUTH_ENDPOINT_PATH", "/user/auth/v1"),
        .auth_user = settings.str("AUTH_USER"),
        .auth_pass = settings.str("AUTH_PASS"),
        .api_key = settings.str("X_API_KEY"),
        .jwt_secret = settings.str("JWT_SECRET_KEY"),
        .jwt_expires_delta = std::chrono::seconds(settings.integer("JWT_EXPIRES_DELTA", 3000)),
        .mode = settings.str("MODE", "docker"),
        .functions = functions,
        .log_level = settings.str("LOG_LEVEL", "INFO"),
        .container_metrics = [&agent]() -> std::optional<e2e::Json> { return collect_container_metrics(agent).body; },
    };
    GatewayService gateway(std::move(gateway_config), invoker, logs, faults);

    const auto cert = e2e::make_self_signed_cert({"localhost", "gateway"}, {"127.0.0.1"});
    HttpServer server({.name = "gateway",
                       .port = static_cast<std::uint16_t>(settings.integer("PORT_GATEWAY_HTTPS")),
                       .tls = TlsIdentity{cert.cert_pem, cert.key_pem}},
                      [&gateway](const Request& request) { return gateway.handle(request); });
    try {
        server.start();
    } catch (const std::exception& error) {
        fmt::print(stderr, "esb-refstack gateway: {}\n", error.what());
        return kExitListen;
    }
    Scheduler scheduler(functions, invoker, faults, schedule_period_override(settings), [&logs](std::string_view level, const std::string& message) {
        logs.emit(e2e::Json::object({{"level", level}, {"message", message}, {"logger", "gateway.scheduler"},
                                     {"container_name", "esb-gateway"}, {"job", "services"}}));
    });
    scheduler.start();
    fmt::print("gateway ready on {}\n", server.url());
    std::fflush(stdout);
    termination.wait();
    scheduler.stop();
    server.stop();
    logs.flush(std::chrono::seconds(2));
    return 0;
}

int run_agent(const e2e::Settings& settings, TerminationWait& termination) {
    const FaultSwitches faults(settings.str("REFSTACK_FAULTS_FILE"));
    AgentService agent({.runtime = settings.str("MODE", "docker")}, faults);
    const auto handler = [&agent](const Request& request) { return agent.handle(request); };
    HttpServer api({.name = "agent-api", .port = static_cast<std::uint16_t>(settings.integer("PORT_AGENT_API"))}, handler);
    HttpServer metrics({.name = "agent-metrics", .port = static_cast<std::uint16_t>(settings.integer("PORT_AGENT_METRICS"))}, handler);
    try {
        api.start();
        metrics.start();
    } catch (const std::exception& error) {
        fmt::print(stderr, "esb-refstack agent: {}\n", error.what());
        return kExitListen;
    }
    fmt::print("agent ready: api {} metrics {}\n", api.url(), metrics.url());
    std::fflush(stdout);
    termination.wait();
    metrics.stop();
    api.stop();
    return 0;
}

}  // namespace

int run_component(const std::string& name, const std::filesystem::path& config) {
    TerminationWait termination;  // before any thread exists
    try {
        const e2e::Settings settings({.defaults = {}, .env_files = {config}, .process_environment = false});
        if (name == "gateway") return run_gateway(settings, termination);
        if (name == "agent") return run_agent(settings, termination);
        fmt::print(stderr, "esb-refstack: unknown component \"{}\" (gateway or agent)\n", name);
        return 2;
    } catch (const std::exception& error) {
        fmt::print(stderr, "esb-refstack {}: {}\n", name, error.what());
        return kExitConfig;
    }
}

}  // namespace refstack
