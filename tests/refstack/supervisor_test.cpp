#include "supervisor.hpp"

#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "control_service.hpp"
#include "e2e/http.hpp"
#include "e2e/json.hpp"
#include "faults.hpp"
#include "http_server.hpp"

using namespace std::chrono_literals;

namespace {

// A stand-in component: prints its arguments and runs until terminated.
struct FakeComponent {
    std::filesystem::path dir;
    std::filesystem::path executable;
    FakeComponent() : dir(std::filesystem::temp_directory_path() / ("e2e-supervisor-" + std::to_string(::getpid()))) {
        std::filesystem::remove_all(dir);
        std::filesystem::create_directories(dir);
        executable = dir / "component";
        std::ofstream(executable) << "#!/bin/sh\necho \"started $*\"\nexec sleep 30\n";
        std::filesystem::permissions(executable, std::filesystem::perms::owner_all);
    }
    ~FakeComponent() { std::filesystem::remove_all(dir); }

    refstack::Supervisor::Options options() const {
        return {.executable = executable, .config = dir / "runtime.env", .log_dir = dir / "logs", .before_start = {}, .wait_ready = {}};
    }
};

template <typename Predicate>
bool eventually(Predicate predicate, std::chrono::milliseconds timeout = 5000ms) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (predicate()) return true;
        std::this_thread::sleep_for(10ms);
    }
    return predicate();
}

}  // namespace

TEST_CASE("the supervisor restarts a crashed component and counts it", "[refstack][supervisor]") {
    FakeComponent fake;
    refstack::Supervisor supervisor(fake.options());
    supervisor.start("gateway");
    const auto first = supervisor.status("gateway");
    CHECK(first.status == "running");
    CHECK(first.pid > 0);
    CHECK(first.restart_count == 0);

    supervisor.crash("gateway");
    REQUIRE(eventually([&] {
        const auto now = supervisor.status("gateway");
        return now.restart_count == 1 && now.pid > 0 && now.pid != first.pid;
    }));
    const auto after = supervisor.status("gateway");
    CHECK(after.status == "running");
    CHECK(after.started_at != first.started_at);
    CHECK(after.last_exit_code == 128 + SIGTERM);
    CHECK_THAT(supervisor.log_tail("gateway"), Catch::Matchers::ContainsSubstring("started component gateway --config"));
}

TEST_CASE("a supervisor restart is not counted as a crash", "[refstack][supervisor]") {
    FakeComponent fake;
    int starts = 0;
    auto options = fake.options();
    options.before_start = [&](const std::string&) { ++starts; };
    refstack::Supervisor supervisor(options);
    supervisor.start("agent");
    const auto first = supervisor.status("agent");
    supervisor.restart("agent");
    const auto second = supervisor.status("agent");
    CHECK(second.restart_count == 0);
    CHECK(second.pid != first.pid);
    CHECK(second.started_at != first.started_at);
    CHECK(starts == 2);
}

TEST_CASE("stopping the supervisor ends every component", "[refstack][supervisor]") {
    FakeComponent fake;
    refstack::Supervisor supervisor(fake.options());
    supervisor.start("agent");
    const pid_t pid = supervisor.status("agent").pid;
    supervisor.stop_all();
    CHECK(supervisor.status("agent").status == "exited");
    CHECK(::kill(pid, 0) != 0);
}

TEST_CASE("the control API needs its token and drives restarts and faults", "[refstack][control]") {
    FakeComponent fake;
    refstack::Supervisor supervisor(fake.options());
    supervisor.start("gateway");
    refstack::FaultSwitches faults(fake.dir / "faults");
    refstack::ControlService control(supervisor, faults, "control-token");
    refstack::HttpServer server({}, [&](const refstack::Request& request) { return control.handle(request); });
    server.start();
    e2e::HttpClient client;
    const e2e::Headers auth{{"Authorization", "Bearer control-token"}};

    CHECK(client.get(server.url() + "/health").status == 200);
    CHECK(client.get(server.url() + "/components").status == 401);
    CHECK(client.get(server.url() + "/components", {{"Authorization", "Bearer wrong"}}).status == 401);

    const auto listing = client.get(server.url() + "/components", auth);
    REQUIRE(listing.status == 200);
    CHECK(e2e::Json::parse(listing.body).str("components[0].name") == "gateway");

    const auto crashed = client.post(server.url() + "/components/gateway/crash", "", auth);
    CHECK(crashed.status == 202);
    CHECK(eventually([&] {
        const auto entry = e2e::Json::parse(client.get(server.url() + "/components/gateway", auth).body);
        return entry.integer("restart_count") == 1 && entry.str("status") == "running";
    }));
    CHECK(client.post(server.url() + "/components/nothing/restart", "", auth).status == 404);

    const auto set = client.send({"PUT", server.url() + "/faults", auth, R"({"active": ["echo.wrong_message"]})"});
    CHECK(set.status == 200);
    CHECK(faults.on("echo.wrong_message"));
    const auto rejected = client.send({"PUT", server.url() + "/faults", auth, R"({"active": ["no.such.fault"]})"});
    CHECK(rejected.status == 400);
    CHECK_THAT(rejected.body, Catch::Matchers::ContainsSubstring("no.such.fault"));
    CHECK(faults.on("echo.wrong_message"));
    const auto listed = e2e::Json::parse(client.get(server.url() + "/faults", auth).body);
    CHECK(listed.size("catalogue") >= 25);
    CHECK(listed.str("active[0]") == "echo.wrong_message");
}

TEST_CASE("fault switches are shared through their file", "[refstack][faults]") {
    const auto file = std::filesystem::temp_directory_path() / ("e2e-faults-" + std::to_string(::getpid()));
    refstack::FaultSwitches writer(file);
    refstack::FaultSwitches reader(file);
    CHECK_FALSE(reader.on("s3.put_not_stored"));
    writer.set_active({"s3.put_not_stored", "breaker.never_opens"});
    CHECK(reader.on("s3.put_not_stored"));
    CHECK(reader.on("breaker.never_opens"));
    writer.set_active({});
    CHECK_FALSE(reader.on("s3.put_not_stored"));
    CHECK_THROWS_WITH(writer.set_active({"made.up"}), Catch::Matchers::ContainsSubstring("unknown fault switch \"made.up\""));
    std::filesystem::remove(file);
}
