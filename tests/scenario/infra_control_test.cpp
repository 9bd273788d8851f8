// The infrastructure control: which implementation the configuration selects (and the SKIP
// reason when none), the refstack implementation against a real esb-refstack, and the compose
// implementation's command lines against a fake `docker`.
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <fstream>
#include <thread>

#include "e2e/infra_control.hpp"
#include "support/refstack_process.hpp"

using Catch::Matchers::ContainsSubstring;
using e2e::test::RefstackProcess;
using namespace std::chrono_literals;

namespace {

const auto kAlways = [](std::string_view) { return true; };
const auto kNever = [](std::string_view) { return false; };

std::filesystem::path temp_dir(const std::string& name) {
    auto dir = std::filesystem::temp_directory_path() / ("e2e-infra-" + name + "-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    return dir;
}

}  // namespace

TEST_CASE("infra control selects the refstack control API when its URL and token are set", "[infra_control]") {
    const auto settings = e2e::Settings::from_map(
        {{"REFSTACK_CONTROL_URL", "http://127.0.0.1:1/"}, {"REFSTACK_CONTROL_TOKEN", "t"}, {"PROJECT_NAME", "esb"}});
    const auto selection = e2e::select_infra_control(settings, nullptr, kAlways);
    REQUIRE(selection.control != nullptr);
    CHECK(selection.kind == "refstack");
    CHECK(selection.control->describe() == "refstack control API at http://127.0.0.1:1");
    CHECK(selection.unavailable_reason.empty());
}

TEST_CASE("infra control selects docker compose with a project name docker and a compose file", "[infra_control]") {
    const auto dir = temp_dir("select");
    std::ofstream(dir / "compose.yml") << "services: {}\n";
    const auto settings = e2e::Settings::from_map({{"PROJECT_NAME", "esb-e2e"}, {"E2E_COMPOSE_FILE", (dir / "compose.yml").string()}});
    const auto selection = e2e::select_infra_control(settings, nullptr, kAlways);
    REQUIRE(selection.control != nullptr);
    CHECK(selection.kind == "compose");
    CHECK(selection.control->describe() == "docker compose -p esb-e2e -f " + (dir / "compose.yml").string());

    SECTION("the default compose file follows MODE in ESB_REPO_DIR") {
        std::ofstream(dir / "docker-compose.containerd.yml") << "services: {}\n";
        const auto by_mode = e2e::select_infra_control(
            e2e::Settings::from_map({{"PROJECT_NAME", "p"}, {"MODE", " Containerd "}, {"ESB_REPO_DIR", dir.string()}}), nullptr, kAlways);
        REQUIRE(by_mode.control != nullptr);
        CHECK_THAT(by_mode.control->describe(), ContainsSubstring("docker-compose.containerd.yml"));
        const auto docker_mode =
            e2e::select_infra_control(e2e::Settings::from_map({{"PROJECT_NAME", "p"}, {"ESB_REPO_DIR", dir.string()}}), nullptr, kAlways);
        CHECK(docker_mode.control == nullptr);  // docker-compose.docker.yml does not exist there
        CHECK_THAT(docker_mode.unavailable_reason, ContainsSubstring("docker-compose.docker.yml does not exist"));
    }
    SECTION("without docker on PATH there is no compose control") {
        const auto none = e2e::select_infra_control(settings, nullptr, kNever);
        CHECK(none.control == nullptr);
        CHECK_THAT(none.unavailable_reason, ContainsSubstring("`docker` is not on PATH"));
    }
    std::filesystem::remove_all(dir);
}

TEST_CASE("infra control is none with a reason naming the missing settings", "[infra_control]") {
    SECTION("nothing configured") {
        const auto selection = e2e::select_infra_control(e2e::Settings::from_map({{"MODE", "docker"}}), nullptr, kAlways);
        CHECK(selection.control == nullptr);
        CHECK(selection.kind == "none");
        CHECK_THAT(selection.unavailable_reason, ContainsSubstring("REFSTACK_CONTROL_URL and REFSTACK_CONTROL_TOKEN are not set"));
        CHECK_THAT(selection.unavailable_reason, ContainsSubstring("PROJECT_NAME is not set"));
        CHECK_THAT(selection.unavailable_reason, ContainsSubstring("E2E_COMPOSE_FILE"));
    }
    SECTION("a control URL without its token") {
        const auto selection = e2e::select_infra_control(
            e2e::Settings::from_map({{"REFSTACK_CONTROL_URL", "http://127.0.0.1:1"}, {"REFSTACK_CONTROL_TOKEN", "  "}}), nullptr, kAlways);
        CHECK(selection.control == nullptr);
        CHECK_THAT(selection.unavailable_reason, ContainsSubstring("REFSTACK_CONTROL_TOKEN is not set"));
    }
}

TEST_CASE("refstack control restarts crashes and reports a real esb-refstack", "[infra_control][refstack]") {
    RefstackProcess stack({.binary = E2E_REFSTACK_BINARY,
                           .env_file = std::string(E2E_SOURCE_DIR) + "/environments/reference/refstack.env"});
    const std::map<std::string, std::string, std::less<>> env(stack.env().begin(), stack.env().end());
    const auto selection = e2e::select_infra_control(e2e::Settings::from_map(env));
    REQUIRE(selection.kind == "refstack");
    auto& control = *selection.control;

    const auto before = control.status("gateway");
    CHECK(before.running);
    CHECK_FALSE(before.started_at.empty());

    SECTION("a restart changes started_at and is not counted as a crash") {
        control.restart("gateway");
        const auto after = control.status("gateway");
        CHECK(after.running);
        CHECK(after.started_at != before.started_at);
        CHECK(after.restart_count == before.restart_count);
    }
    SECTION("a crash is restarted by the supervisor and counted") {
        control.crash("agent");
        auto now = control.status("agent");
        const auto deadline = std::chrono::steady_clock::now() + 15s;
        while (!(now.running && now.restart_count >= 1) && std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(50ms);
            now = control.status("agent");
        }
        INFO(now.detail);
        CHECK(now.running);
        CHECK(now.restart_count == 1);
        CHECK(control.status("gateway").restart_count == before.restart_count);  // only the agent crashed
    }
    SECTION("an unknown service and a wrong token are errors naming the answer") {
        CHECK_THROWS_WITH(control.status("nope"), ContainsSubstring("answered 404"));
        e2e::RefstackControl wrong(stack.env("REFSTACK_CONTROL_URL"), "wrong-token");
        CHECK_THROWS_WITH(wrong.restart("gateway"), ContainsSubstring("answered 401"));
    }
}

TEST_CASE("compose control runs the contract's docker commands", "[infra_control][compose]") {
    const auto dir = temp_dir("compose");
    const auto log = dir / "calls.log";
    const auto docker = dir / "docker";
    {
        std::ofstream script(docker);
        script << "#!/bin/sh\n"
                  "echo \"$*\" >> '" << log.string() << "'\n"
                  "case \"$*\" in\n"
                  "  *' ps -q gateway') echo abc123; echo def456 ;;\n"
                  "  *' ps -q agent') ;;\n"
                  "  'inspect abc123') echo '[{\"RestartCount\": 2, \"State\": {\"Status\": \"running\", \"StartedAt\": \"2024-01-01T00:00:00Z\"},"
                  " \"HostConfig\": {\"RestartPolicy\": {\"Name\": \"unless-stopped\"}}}]' ;;\n"
                  "  *' restart agent') echo 'no such service' >&2; exit 3 ;;\n"
                  "esac\n";
    }
    std::filesystem::permissions(docker, std::filesystem::perms::owner_all);
    e2e::ComposeControl control("esb-x", "/srv/compose.yml", docker.string());

    const auto status = control.status("gateway");
    CHECK(status.running);
    CHECK(status.restart_count == 2);
    CHECK(status.started_at == "2024-01-01T00:00:00Z");
    CHECK_THAT(status.detail, ContainsSubstring("unless-stopped"));
    control.restart("gateway");
    control.crash("gateway");
    CHECK_THROWS_WITH(control.restart("agent"), ContainsSubstring("exited 3: no such service"));
    CHECK_THROWS_WITH(control.crash("agent"), ContainsSubstring("printed no id"));

    std::ifstream in(log);
    const std::string calls(std::istreambuf_iterator<char>(in), {});
    CHECK_THAT(calls, ContainsSubstring("compose -p esb-x -f /srv/compose.yml ps -q gateway\ninspect abc123\n"));
    CHECK_THAT(calls, ContainsSubstring("compose -p esb-x -f /srv/compose.yml restart gateway\n"));
    CHECK_THAT(calls, ContainsSubstring("exec abc123 sh -lc kill -TERM 1\n"));
    std::filesystem::remove_all(dir);
}
