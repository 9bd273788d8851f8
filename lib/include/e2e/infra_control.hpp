// Infrastructure control for the cases that restart or crash a component (STD-015, STD-016,
// RST-001): one small interface, two implementations, chosen by configuration.
//
//   RefstackControl  esb-refstack's control API (REFSTACK_CONTROL_URL + REFSTACK_CONTROL_TOKEN)
//   ComposeControl   a real ESB under docker compose (contract H10 and 5.5): PROJECT_NAME, the
//                    compose file (E2E_COMPOSE_FILE, else docker-compose.<MODE>.yml) and `docker`
//
//   auto* control = e2e::infra_control();
//   if (control == nullptr) SKIP(e2e::infra_control_unavailable_reason());
//   const auto before = control->status("gateway");
//   control->restart("gateway");
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <initializer_list>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "e2e/http.hpp"
#include "e2e/json.hpp"
#include "e2e/scenario.hpp"
#include "e2e/settings.hpp"

namespace e2e {

// A control request that did not do what was asked; the message names the service, the command
// or URL and what came back.
class InfraControlError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// What the platform says about one service (docker inspect's State / the refstack's component).
struct ServiceStatus {
    bool running = false;
    std::int64_t restart_count = 0;  // restarts by the platform's restart policy (crashes), not by restart()
    std::string started_at;          // opaque: only compared for change
    std::string detail;              // the raw state, for failure messages
};

class InfraControl {
public:
    virtual ~InfraControl() = default;
    // Graceful restart (`docker compose restart <service>`); returns when the platform says done.
    virtual void restart(std::string_view service) = 0;
    // Kills the service's main process so the platform's restart policy brings it back.
    virtual void crash(std::string_view service) = 0;
    virtual ServiceStatus status(std::string_view service) = 0;
    // "refstack control API at <url>" / "docker compose -p <project> -f <file>", for messages.
    virtual std::string describe() const = 0;
};

// esb-refstack's control API (docs/refstack.md): GET /components/<name>,
// POST /components/<name>/restart (200 when ready again) and /crash (202).
class RefstackControl final : public InfraControl {
public:
    // Exchanges are recorded into `recorder` when given (the Bearer token is redacted there).
    RefstackControl(std::string control_url, std::string token, ExchangeLog* recorder = nullptr);
    void restart(std::string_view service) override;
    void crash(std::string_view service) override;
    ServiceStatus status(std::string_view service) override;
    std::string describe() const override;

private:
    HttpResponse send(std::string method, std::string_view path);

    std::string base_url_;
    std::string token_;
    HttpClient http_;
};

// What a command printed and how it ended.
struct CommandResult {
    int exit_code = -1;  // -1: could not start or timed out
    std::string output;  // stdout and stderr, interleaved
};
// Runs argv[0] (looked up on PATH) with no shell; kills it after `timeout`.
CommandResult run_command(const std::vector<std::string>& argv, std::chrono::milliseconds timeout);

// A real ESB stack under docker compose (contract H10): `docker compose [-p PROJECT_NAME] -f <file>
// restart|ps -q <service>`, `docker inspect <id>`, `docker exec <id> sh -lc <kill>`.
class ComposeControl final : public InfraControl {
public:
    ComposeControl(std::string project_name, std::filesystem::path compose_file, std::string docker = "docker");
    void restart(std::string_view service) override;
    void crash(std::string_view service) override;
    ServiceStatus status(std::string_view service) override;
    std::string describe() const override;

    std::string container_id(std::string_view service);  // `ps -q <service>`, the first id

private:
    std::vector<std::string> compose(std::initializer_list<std::string_view> args) const;
    CommandResult run(const std::vector<std::string>& argv, std::string_view what) const;

    std::string project_name_;
    std::filesystem::path compose_file_;
    std::string docker_;
};

// The selection rule, from settings alone:
//   REFSTACK_CONTROL_URL and REFSTACK_CONTROL_TOKEN set            -> refstack
//   else PROJECT_NAME set, `docker` on PATH and the compose file exists -> compose
//   else none, with a reason naming the missing settings.
// The compose file is E2E_COMPOSE_FILE, else docker-compose.containerd.yml or
// docker-compose.docker.yml (by MODE) in ESB_REPO_DIR (default: the working directory).
struct InfraControlSelection {
    std::unique_ptr<InfraControl> control;  // null when none is available
    std::string kind;                       // "refstack", "compose" or "none"
    std::string unavailable_reason;         // set when control is null
};
InfraControlSelection select_infra_control(const Settings& settings, ExchangeLog* recorder = nullptr,
                                           const std::function<bool(std::string_view)>& on_path = {});

// The process-wide control chosen from e2e::settings() (exchanges recorded for the current test
// case); nullptr when none is configured: SKIP with infra_control_unavailable_reason().
InfraControl* infra_control();
const std::string& infra_control_unavailable_reason();

// ---- waiting around a restart (contract H2/H3 with deadlines instead of retry counts) ---------

// How long a restarted component may take to serve again: E2E_RESTART_TIMEOUT (default 60 s, H3's
// 30 x 2 s; the refstack comes back in well under a second).
std::chrono::milliseconds restart_timeout();

// H3: GET /health until it answers 200; transport errors are misses.
Eventually<int> wait_for_gateway_ready(Deadline deadline);

// H2: POST `body` to `path` until an answer outside {500, 502, 503, 504} arrives; transport errors
// and those statuses are misses. The value is that answer (a 401 ends the wait at once).
Eventually<HttpResponse> post_until_answered(std::string_view path, const Json& body, const std::string& token, Deadline deadline);

}  // namespace e2e
