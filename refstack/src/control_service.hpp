// The refstack's control API (loopback, Bearer REFSTACK_CONTROL_TOKEN): restart or crash a
// component, read restart counts and start times, and set fault switches. It is what the suite's
// infrastructure-control cases (STD-015, STD-016, RST-001) and the self-check drive.
#pragma once

#include <string>

#include "faults.hpp"
#include "http_server.hpp"
#include "supervisor.hpp"

namespace refstack {

class ControlService {
public:
    ControlService(Supervisor& supervisor, FaultSwitches& faults, std::string token);

    // GET  /health                         -> 200 {"status": "ok"} (no token)
    // GET  /components                     -> 200 {"components": [{name, pid, restart_count, started_at, status, last_exit_code}]}
    // GET  /components/<name>              -> 200 one entry; 404 unknown
    // POST /components/<name>/restart      -> 200 entry after the component is ready again
    // POST /components/<name>/crash        -> 202; the supervisor restarts it (restart_count + 1)
    // GET  /faults                         -> 200 {"active": [...], "catalogue": [{id, area, description}]}
    // PUT  /faults  {"active": [...]}      -> 200 {"active": [...]}; 400 naming an unknown id
    // Anything else 404; a missing or wrong token 401.
    Response handle(const Request& request);

private:
    Supervisor& supervisor_;
    FaultSwitches& faults_;
    std::string token_;
};

}  // namespace refstack
