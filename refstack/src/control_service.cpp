#include "control_service.hpp"

#include <fmt/format.h>
#include <openssl/crypto.h>

#include "e2e/json.hpp"

namespace refstack {
namespace {

Response message(int status, const std::string& text) { return Response::json(status, e2e::Json::object({{"message", text}}).dump()); }

e2e::Json to_json(const ComponentStatus& status) {
    return e2e::Json::object({{"name", status.name},
                              {"pid", static_cast<std::int64_t>(status.pid)},
                              {"restart_count", status.restart_count},
                              {"started_at", status.started_at},
                              {"status", status.status},
                              {"last_exit_code", status.last_exit_code}});
}

bool token_matches(const std::optional<std::string>& header, const std::string& token) {
    if (!header || token.empty()) return false;
    const std::string expected = "Bearer " + token;
    return header->size() == expected.size() && CRYPTO_memcmp(header->data(), expected.data(), expected.size()) == 0;
}

}  // namespace

ControlService::ControlService(Supervisor& supervisor, FaultSwitches& faults, std::string token)
    : supervisor_(supervisor), faults_(faults), token_(std::move(token)) {}

Response ControlService::handle(const Request& request) {
    if (request.path == "/health" && request.method == "GET") return Response::json(200, R"({"status":"ok"})");
    if (!token_matches(request.header("Authorization"), token_)) return message(401, "Unauthorized");

    if (request.path == "/components" && request.method == "GET") {
        std::vector<e2e::JsonValue> entries;
        for (const auto& status : supervisor_.status()) entries.emplace_back(to_json(status));
        return Response::json(200, e2e::Json::object({{"components", e2e::Json::array(entries)}}).dump());
    }
    if (request.path.starts_with("/components/")) {
        std::string rest = request.path.substr(std::string("/components/").size());
        std::string action;
        if (const auto slash = rest.find('/'); slash != std::string::npos) {
            action = rest.substr(slash + 1);
            rest = rest.substr(0, slash);
        }
        ComponentStatus status;
        try {
            status = supervisor_.status(rest);
        } catch (const std::out_of_range&) {
            return message(404, fmt::format("unknown component \"{}\"", rest));
        }
        if (action.empty() && request.method == "GET") return Response::json(200, to_json(status).dump());
        if (action == "restart" && request.method == "POST") {
            if (rest == "gateway" && faults_.on("restart.gateway_not_restarted")) return Response::json(200, to_json(status).dump());
            try {
                supervisor_.restart(rest);
            } catch (const std::exception& error) {
                return message(500, fmt::format("restart of {} failed: {}", rest, error.what()));
            }
            return Response::json(200, to_json(supervisor_.status(rest)).dump());
        }
        if (action == "crash" && request.method == "POST") {
            supervisor_.crash(rest);
            return Response::json(202, to_json(status).dump());
        }
        return message(404, "Not Found");
    }
    if (request.path == "/faults" && request.method == "GET") {
        std::vector<e2e::JsonValue> active;
        for (const auto& id : faults_.active()) active.emplace_back(id);
        std::vector<e2e::JsonValue> catalogue;
        for (const auto& info : fault_catalogue()) {
            catalogue.emplace_back(e2e::Json::object({{"id", info.id}, {"area", info.area}, {"description", info.description}}));
        }
        return Response::json(200, e2e::Json::object({{"active", e2e::Json::array(active)}, {"catalogue", e2e::Json::array(catalogue)}}).dump());
    }
    if (request.path == "/faults" && request.method == "PUT") {
        std::set<std::string> ids;
        try {
            const auto body = e2e::Json::parse(request.body);
            for (const auto& id : body.elements("active")) ids.insert(id.str());
            faults_.set_active(ids);
        } catch (const std::exception& error) {
            return message(400, error.what());
        }
        std::vector<e2e::JsonValue> active;
        for (const auto& id : faults_.active()) active.emplace_back(id);
        return Response::json(200, e2e::Json::object({{"active", e2e::Json::array(active)}}).dump());
    }
    return message(404, "Not Found");
}

}  // namespace refstack
