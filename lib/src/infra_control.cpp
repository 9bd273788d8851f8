// Infrastructure control: the refstack control API and docker compose behind one interface, and
// the configuration rule that picks one (see infra_control.hpp).
#include "e2e/infra_control.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <optional>

#include "e2e/json.hpp"
#include "e2e/scenario.hpp"

extern char** environ;  // NOLINT: POSIX

namespace e2e {
namespace {

using namespace std::chrono_literals;

// A compose restart waits for the container to stop (docker's default grace is 10 s) and start.
constexpr auto kCommandTimeout = std::chrono::milliseconds(120s);
// The refstack answers a restart when the component is ready again (its own ready timeout).
constexpr auto kControlTimeout = std::chrono::milliseconds(90s);

std::string trimmed(std::string text) {
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())) != 0) text.pop_back();
    const auto first = text.find_first_not_of(" \t\r\n");
    return first == std::string::npos ? std::string() : text.substr(first);
}

std::string excerpt(const std::string& text, std::size_t max = 600) {
    return text.size() <= max ? text : text.substr(0, max) + "...";
}

bool blank(const Settings& settings, std::string_view name) {
    const auto value = settings.raw(name);
    return !value || trimmed(*value).empty();
}

std::string joined(const std::vector<std::string>& argv) {
    std::string out;
    for (const auto& arg : argv) {
        if (!out.empty()) out += ' ';
        out += arg.find_first_of(" \"'") == std::string::npos ? arg : "'" + arg + "'";
    }
    return out;
}

bool executable_on_path(std::string_view program) {
    if (program.find('/') != std::string_view::npos) return ::access(std::string(program).c_str(), X_OK) == 0;
    const char* path = std::getenv("PATH");
    if (path == nullptr) return false;
    std::string_view rest(path);
    while (true) {
        const auto colon = rest.find(':');
        const auto dir = rest.substr(0, colon);
        const auto candidate = (dir.empty() ? std::filesystem::path(".") : std::filesystem::path(dir)) / std::string(program);
        if (::access(candidate.c_str(), X_OK) == 0) return true;
        if (colon == std::string_view::npos) return false;
        rest.remove_prefix(colon + 1);
    }
}

std::string lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

}  // namespace

// ---- commands ---------------------------------------------------------------------------------

CommandResult run_command(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) {
    CommandResult result;
    if (argv.empty()) return result;
    std::array<int, 2> pipe_fds{};
    if (::pipe2(pipe_fds.data(), O_CLOEXEC) != 0) {
        result.output = "pipe failed";
        return result;
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDERR_FILENO);
    std::vector<std::string> args = argv;
    std::vector<char*> raw;
    for (auto& arg : args) raw.push_back(arg.data());
    raw.push_back(nullptr);
    pid_t pid = 0;
    const int rc = ::posix_spawnp(&pid, raw[0], &actions, nullptr, raw.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(pipe_fds[1]);
    if (rc != 0) {
        ::close(pipe_fds[0]);
        result.output = "cannot start " + argv[0] + ": " + std::strerror(rc);
        return result;
    }
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    bool timed_out = false;
    std::array<char, 4096> buffer{};
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left <= 0ms) {
            timed_out = true;
            break;
        }
        pollfd fd{pipe_fds[0], POLLIN, 0};
        const int ready = ::poll(&fd, 1, static_cast<int>(std::min<long long>(left.count(), 1000)));
        if (ready < 0 && errno == EINTR) continue;
        if (ready <= 0) continue;
        const auto got = ::read(pipe_fds[0], buffer.data(), buffer.size());
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) break;
        result.output.append(buffer.data(), static_cast<std::size_t>(got));
    }
    ::close(pipe_fds[0]);
    if (timed_out) ::kill(pid, SIGKILL);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (timed_out) {
        result.output += "\n(killed after " + std::to_string(timeout.count()) + " ms)";
        return result;
    }
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return result;
}

// ---- refstack ---------------------------------------------------------------------------------

RefstackControl::RefstackControl(std::string control_url, std::string token, ExchangeLog* recorder)
    : base_url_(std::move(control_url)), token_(std::move(token)), http_([] {
          HttpClientOptions options;
          options.request_timeout = kControlTimeout;
          return options;
      }()) {
    while (!base_url_.empty() && base_url_.back() == '/') base_url_.pop_back();
    if (recorder != nullptr) http_.set_recorder(recorder);
}

HttpResponse RefstackControl::send(std::string method, std::string_view path) {
    HttpRequest request{std::move(method), base_url_ + std::string(path), {{"Authorization", "Bearer " + token_}}, {}};
    try {
        return http_.send(request);
    } catch (const HttpError& error) {
        throw InfraControlError("refstack control API: " + std::string(error.what()));
    }
}

namespace {
void expect_status(const HttpResponse& response, std::initializer_list<int> accepted, std::string_view what) {
    if (std::find(accepted.begin(), accepted.end(), response.status) != accepted.end()) return;
    throw InfraControlError("refstack control API: " + std::string(what) + " (" + response.method + " " + response.url +
                            ") answered " + std::to_string(response.status) + ": " + excerpt(trimmed(response.body)));
}
}  // namespace

void RefstackControl::restart(std::string_view service) {
    expect_status(send("POST", "/components/" + std::string(service) + "/restart"), {200}, "restart " + std::string(service));
}

void RefstackControl::crash(std::string_view service) {
    expect_status(send("POST", "/components/" + std::string(service) + "/crash"), {200, 202}, "crash " + std::string(service));
}

ServiceStatus RefstackControl::status(std::string_view service) {
    const auto response = send("GET", "/components/" + std::string(service));
    expect_status(response, {200}, "status of " + std::string(service));
    try {
        const auto body = Json::parse(response.body);
        return {.running = body.str("status") == "running",
                .restart_count = body.integer("restart_count"),
                .started_at = body.str("started_at"),
                .detail = body.dump()};
    } catch (const JsonError& error) {
        throw InfraControlError("refstack control API: status of " + std::string(service) + " is not the expected JSON (" +
                                error.what() + "): " + excerpt(response.body));
    }
}

std::string RefstackControl::describe() const { return "refstack control API at " + base_url_; }

// ---- docker compose ---------------------------------------------------------------------------

ComposeControl::ComposeControl(std::string project_name, std::filesystem::path compose_file, std::string docker)
    : project_name_(std::move(project_name)), compose_file_(std::move(compose_file)), docker_(std::move(docker)) {}

std::vector<std::string> ComposeControl::compose(std::initializer_list<std::string_view> args) const {
    std::vector<std::string> argv{docker_, "compose"};
    if (!project_name_.empty()) argv.insert(argv.end(), {"-p", project_name_});
    argv.insert(argv.end(), {"-f", compose_file_.string()});
    for (const auto arg : args) argv.emplace_back(arg);
    return argv;
}

CommandResult ComposeControl::run(const std::vector<std::string>& argv, std::string_view what) const {
    auto result = run_command(argv, kCommandTimeout);
    if (result.exit_code != 0) {
        throw InfraControlError(std::string(what) + ": `" + joined(argv) + "` exited " + std::to_string(result.exit_code) + ": " +
                                excerpt(trimmed(result.output)));
    }
    return result;
}

void ComposeControl::restart(std::string_view service) {
    run(compose({"restart", service}), "restart " + std::string(service));
}

std::string ComposeControl::container_id(std::string_view service) {
    const auto argv = compose({"ps", "-q", service});
    const auto result = run(argv, "container of " + std::string(service));
    const auto id = trimmed(result.output.substr(0, result.output.find('\n')));
    if (id.empty()) throw InfraControlError("container of " + std::string(service) + ": `" + joined(argv) + "` printed no id");
    return id;
}

void ComposeControl::crash(std::string_view service) {
    const auto id = container_id(service);
    // Contract RST-001: the gateway is PID 1 of its container; the agent runs under a wrapper, so
    // its process is found by name.
    const std::string kill = service == "agent"
                                 ? "for p in /proc/[0-9]*; do if [ \"$(cat $p/comm 2>/dev/null)\" = agent ]; then "
                                   "kill -TERM \"${p#/proc/}\"; exit 0; fi; done; echo 'agent process not found'; exit 1"
                                 : "kill -TERM 1";
    run({docker_, "exec", id, "sh", "-lc", kill}, "crash " + std::string(service));
}

ServiceStatus ComposeControl::status(std::string_view service) {
    const auto id = container_id(service);
    const auto result = run({docker_, "inspect", id}, "status of " + std::string(service));
    try {
        const auto entries = Json::parse(result.output).elements();
        if (entries.empty()) throw JsonError("empty array");
        const auto& state = entries.front();
        return {.running = state.str("State.Status") == "running",
                .restart_count = state.integer("RestartCount"),
                .started_at = state.str("State.StartedAt"),
                .detail = "State=" + state.at("State").dump() + " RestartCount=" + state.at("RestartCount").dump() +
                          (state.has("HostConfig.RestartPolicy.Name")
                               ? " RestartPolicy=" + state.at("HostConfig.RestartPolicy.Name").dump()
                               : std::string())};
    } catch (const JsonError& error) {
        throw InfraControlError("status of " + std::string(service) + ": `docker inspect " + id + "` is not the expected JSON (" +
                                error.what() + "): " + excerpt(result.output));
    }
}

std::string ComposeControl::describe() const {
    return "docker compose" + (project_name_.empty() ? std::string() : " -p " + project_name_) + " -f " + compose_file_.string();
}

// ---- selection --------------------------------------------------------------------------------

InfraControlSelection select_infra_control(const Settings& settings, ExchangeLog* recorder,
                                           const std::function<bool(std::string_view)>& on_path) {
    InfraControlSelection selection;
    const bool url = !blank(settings, "REFSTACK_CONTROL_URL");
    const bool token = !blank(settings, "REFSTACK_CONTROL_TOKEN");
    if (url && token) {
        selection.kind = "refstack";
        selection.control = std::make_unique<RefstackControl>(trimmed(settings.str("REFSTACK_CONTROL_URL")),
                                                              trimmed(settings.str("REFSTACK_CONTROL_TOKEN")), recorder);
        return selection;
    }

    std::vector<std::string> compose_missing;
    std::filesystem::path compose_file;
    if (!blank(settings, "E2E_COMPOSE_FILE")) {
        compose_file = trimmed(settings.str("E2E_COMPOSE_FILE"));
    } else {
        const auto mode = lower(trimmed(settings.str("MODE", "docker")));
        const std::filesystem::path repo = blank(settings, "ESB_REPO_DIR") ? std::filesystem::current_path()
                                                                            : std::filesystem::path(trimmed(settings.str("ESB_REPO_DIR")));
        compose_file = repo / (mode == "containerd" ? "docker-compose.containerd.yml" : "docker-compose.docker.yml");
    }
    if (blank(settings, "PROJECT_NAME")) compose_missing.emplace_back("PROJECT_NAME is not set");
    const bool docker = on_path ? on_path("docker") : executable_on_path("docker");
    if (!docker) compose_missing.emplace_back("`docker` is not on PATH");
    std::error_code ignored;
    if (!std::filesystem::is_regular_file(compose_file, ignored)) {
        compose_missing.emplace_back("compose file " + compose_file.string() + " does not exist (set E2E_COMPOSE_FILE)");
    }
    if (compose_missing.empty()) {
        selection.kind = "compose";
        selection.control = std::make_unique<ComposeControl>(trimmed(settings.str("PROJECT_NAME")), compose_file);
        return selection;
    }

    selection.kind = "none";
    std::string refstack_missing = url ? "REFSTACK_CONTROL_TOKEN is not set" : token ? "REFSTACK_CONTROL_URL is not set"
                                                                               : "REFSTACK_CONTROL_URL and REFSTACK_CONTROL_TOKEN are not set";
    std::string compose_reason;
    for (const auto& item : compose_missing) compose_reason += (compose_reason.empty() ? "" : "; ") + item;
    selection.unavailable_reason = "no infrastructure control: refstack control API unavailable (" + refstack_missing +
                                   "), docker compose control unavailable (" + compose_reason +
                                   "); set REFSTACK_CONTROL_URL + REFSTACK_CONTROL_TOKEN or PROJECT_NAME + E2E_COMPOSE_FILE";
    return selection;
}

namespace {
struct ProcessControl {
    InfraControlSelection selection;
};
ProcessControl& process_control() {
    static ProcessControl instance{select_infra_control(settings(), &current_exchanges())};
    return instance;
}
}  // namespace

InfraControl* infra_control() { return process_control().selection.control.get(); }

const std::string& infra_control_unavailable_reason() { return process_control().selection.unavailable_reason; }

// ---- waiting around a restart -----------------------------------------------------------------

std::chrono::milliseconds restart_timeout() { return settings().duration("E2E_RESTART_TIMEOUT", std::chrono::milliseconds(60s)); }

Eventually<int> wait_for_gateway_ready(Deadline deadline) {
    return eventually(deadline, [](std::string& seen) -> std::optional<int> {
        const auto response = gateway().get("/health");
        seen = "GET /health answered " + std::to_string(response.status);
        if (response.status == 200) return response.status;
        return std::nullopt;
    });
}

Eventually<HttpResponse> post_until_answered(std::string_view path, const Json& body, const std::string& token, Deadline deadline) {
    return eventually(deadline, [&](std::string& seen) -> std::optional<HttpResponse> {
        auto response = gateway().post(path, body, token);
        seen = "POST " + std::string(path) + " answered " + std::to_string(response.status) + ": " + excerpt(trimmed(response.body), 300);
        if (response.status == 500 || response.status == 502 || response.status == 503 || response.status == 504) return std::nullopt;
        return response;
    });
}

}  // namespace e2e
