// e2e::HttpClient against real loopback servers: deadlines, TLS checks, keep-alive, limits.
#include <atomic>
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include "e2e/exchange.hpp"
#include "e2e/http.hpp"
#include "e2e/self_signed_cert.hpp"
#include "support/loopback_server.hpp"

namespace {

using namespace std::chrono_literals;
using Catch::Matchers::ContainsSubstring;
using e2e::HttpClient;
using e2e::HttpClientOptions;
using e2e::HttpError;
using e2e::test::LoopbackServer;
using e2e::test::ServerRequest;
using e2e::test::ServerResponse;
using e2e::test::tls_server_options;

template <class Call>
std::optional<HttpError> error_from(Call&& call) {
    try {
        call();
    } catch (const HttpError& error) {
        return error;
    }
    return std::nullopt;
}

// Answers with the request target and echoes a few request headers back.
ServerResponse echo(const ServerRequest& request) {
    ServerResponse response{200, {{"Content-Type", "text/plain"}}, request.target, {}, false};
    for (const char* name : {"Host", "User-Agent", "Content-Length"}) {
        if (auto value = request.header(name)) response.headers.emplace_back(std::string("X-Echo-") + name, *value);
    }
    return response;
}

// A PEM file in the temp directory, removed when the test ends.
struct TempPem {
    explicit TempPem(const e2e::SelfSignedCert& cert)
        : cert_file(std::filesystem::temp_directory_path() /
                    ("e2e-http-test-" + std::to_string(reinterpret_cast<std::uintptr_t>(this)) + "-cert.pem")),
          key_file(cert_file.string() + ".key") {
        e2e::write_pem_files(cert, cert_file, key_file);
    }
    ~TempPem() {
        std::error_code ignored;
        std::filesystem::remove(cert_file, ignored);
        std::filesystem::remove(key_file, ignored);
    }
    std::filesystem::path cert_file;
    std::filesystem::path key_file;
};

HttpClientOptions verifying(const std::string& ca_file) {
    HttpClientOptions options;
    options.verify_tls = true;
    options.ca_file = ca_file;
    options.connect_timeout = 2s;
    options.request_timeout = 5s;
    return options;
}

}  // namespace

TEST_CASE("a server that never answers fails with a timeout within its deadline", "[http]") {
    LoopbackServer server;
    server.never_answer();
    HttpClient client;

    auto started = std::chrono::steady_clock::now();
    // One second keeps the 10% margin (100 ms) above scheduling noise on a loaded 2-core machine.
    auto error = error_from([&] { client.send({"GET", server.url("/silent"), {}, {}}, 1000ms); });
    auto elapsed = std::chrono::steady_clock::now() - started;

    REQUIRE(error);
    CHECK(error->kind() == HttpError::Kind::timeout);
    CHECK_THAT(error->what(), ContainsSubstring(server.url("/silent")) && ContainsSubstring("1000 ms"));
    CHECK(elapsed >= 1000ms);
    CHECK(elapsed <= 1100ms);
}

TEST_CASE("a refused connection fails with a connect error", "[http]") {
    boost::asio::io_context io;
    boost::asio::ip::tcp::acceptor acceptor(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
    auto port = acceptor.local_endpoint().port();
    acceptor.close();  // nothing listens there any more
    HttpClient client;

    std::string url = "http://127.0.0.1:" + std::to_string(port) + "/";
    auto error = error_from([&] { client.get(url); });

    REQUIRE(error);
    CHECK(error->kind() == HttpError::Kind::connect);
    CHECK_THAT(error->what(), ContainsSubstring(url) && ContainsSubstring("GET"));
    CHECK(client.connections_opened() == 0);
}

TEST_CASE("a connect that cannot complete fails after connect_timeout", "[http]") {
    namespace asio = boost::asio;
    asio::io_context io;
    asio::ip::tcp::acceptor acceptor(io);
    acceptor.open(asio::ip::tcp::v4());
    acceptor.bind({asio::ip::make_address("127.0.0.1"), 0});
    acceptor.listen(0);  // never accepts: once the backlog is full, further SYNs go unanswered
    // async_connect sends the SYN at once; io is never run, so nothing here waits for the answer.
    std::vector<asio::ip::tcp::socket> backlog;
    backlog.reserve(2);
    for (int i = 0; i < 2; ++i) backlog.emplace_back(io).async_connect(acceptor.local_endpoint(), [](boost::system::error_code) {});
    HttpClientOptions options;
    options.connect_timeout = 200ms;
    HttpClient client(options);

    auto started = std::chrono::steady_clock::now();
    auto error = error_from([&] { client.get("http://127.0.0.1:" + std::to_string(acceptor.local_endpoint().port()) + "/"); });
    auto elapsed = std::chrono::steady_clock::now() - started;

    REQUIRE(error);
    CHECK(error->kind() == HttpError::Kind::timeout);
    CHECK_THAT(error->what(), ContainsSubstring("200 ms (connect_timeout)"));
    CHECK(elapsed >= 200ms);
    CHECK(elapsed < 1s);
}

TEST_CASE("a self-signed server is rejected when TLS verification is on", "[http][tls]") {
    LoopbackServer server(tls_server_options());
    HttpClient client(verifying(""));  // system store: does not know our certificate

    auto error = error_from([&] { client.get(server.url_with_host("localhost")); });

    REQUIRE(error);
    CHECK(error->kind() == HttpError::Kind::tls);
    CHECK_THAT(error->what(), ContainsSubstring("certificate"));
    CHECK(server.requests() == 0);
}

TEST_CASE("a self-signed server is accepted when TLS verification is off", "[http][tls]") {
    LoopbackServer server(tls_server_options());
    HttpClient client;

    auto response = client.get(server.url("/secure"));

    CHECK(response.status == 200);
    CHECK(response.body == "ok");
}

TEST_CASE("a server certificate trusted through ca_file is accepted for its host name", "[http][tls]") {
    LoopbackServer server(tls_server_options(e2e::make_self_signed_cert({"localhost"}, {})));
    TempPem pem(server.cert());
    HttpClient client(verifying(pem.cert_file.string()));

    auto response = client.get(server.url_with_host("localhost", "/trusted"));

    CHECK(response.status == 200);
}

TEST_CASE("a trusted certificate without the IP address is rejected for an IP URL", "[http][tls]") {
    LoopbackServer server(tls_server_options(e2e::make_self_signed_cert({"localhost"}, {})));
    TempPem pem(server.cert());
    HttpClient client(verifying(pem.cert_file.string()));

    auto error = error_from([&] { client.get(server.url("/by-ip")); });

    REQUIRE(error);
    CHECK(error->kind() == HttpError::Kind::tls);
    CHECK_THAT(error->what(), ContainsSubstring("mismatch"));
}

TEST_CASE("a trusted certificate for another host name is rejected", "[http][tls]") {
    LoopbackServer server(tls_server_options(e2e::make_self_signed_cert({"other.example"}, {})));
    TempPem pem(server.cert());
    HttpClient client(verifying(pem.cert_file.string()));

    auto error = error_from([&] { client.get(server.url_with_host("localhost")); });

    REQUIRE(error);
    CHECK(error->kind() == HttpError::Kind::tls);
    CHECK_THAT(error->what(), ContainsSubstring("mismatch"));
}

TEST_CASE("a trusted certificate with the IP address is accepted for an IP URL", "[http][tls]") {
    LoopbackServer server(tls_server_options(e2e::make_self_signed_cert({}, {"127.0.0.1"})));
    TempPem pem(server.cert());
    HttpClient client(verifying(pem.cert_file.string()));

    CHECK(client.get(server.url()).status == 200);
}

TEST_CASE("a missing ca_file is reported when the client is made", "[http][tls]") {
    auto error = error_from([&] { HttpClient client(verifying("/nonexistent/ca.pem")); });

    REQUIRE(error);
    CHECK(error->kind() == HttpError::Kind::tls);
    CHECK_THAT(error->what(), ContainsSubstring("/nonexistent/ca.pem"));
}

TEST_CASE("sequential requests reuse one keep-alive connection", "[http]") {
    LoopbackServer server;
    HttpClient client;

    for (int i = 0; i < 5; ++i) REQUIRE(client.get(server.url("/n" + std::to_string(i))).status == 200);

    CHECK(server.requests() == 5);
    CHECK(server.accepted_connections() == 1);
    CHECK(client.connections_opened() == 1);
}

TEST_CASE("sequential TLS requests reuse one keep-alive connection", "[http][tls]") {
    LoopbackServer server(tls_server_options());
    HttpClient client;

    for (int i = 0; i < 3; ++i) REQUIRE(client.get(server.url()).status == 200);

    CHECK(server.accepted_connections() == 1);
    CHECK(client.connections_opened() == 1);
}

TEST_CASE("a Connection close response makes the next request open a new connection", "[http]") {
    LoopbackServer server;
    server.respond([](const ServerRequest&) { return ServerResponse{200, {{"Connection", "close"}}, "bye", {}, false}; });
    HttpClient client;

    CHECK(client.get(server.url()).body == "bye");
    CHECK(client.get(server.url()).body == "bye");

    CHECK(server.accepted_connections() == 2);
    CHECK(client.connections_opened() == 2);
}

TEST_CASE("an idle connection closed by the server is retried once on a fresh connection", "[http]") {
    LoopbackServer server;
    server.respond([](const ServerRequest&) { return ServerResponse{200, {}, "once", {}, true}; });
    HttpClient client;

    for (int i = 0; i < 3; ++i) CHECK(client.post(server.url(), "{}").body == "once");

    CHECK(server.requests() == 3);
    CHECK(client.connections_opened() == 3);
}

TEST_CASE("a chunked response body is decoded", "[http]") {
    LoopbackServer server;
    server.respond([](const ServerRequest&) {
        return ServerResponse{200, {{"Content-Type", "text/plain"}}, {}, {"hello ", "chunked ", "world"}, false};
    });
    HttpClient client;

    auto response = client.get(server.url());
    auto second = client.get(server.url());  // the chunked framing ended exactly: the connection is reusable

    CHECK(response.body == "hello chunked world");
    CHECK(second.body == "hello chunked world");
    CHECK(client.connections_opened() == 1);
}

TEST_CASE("a 5 MiB response body arrives intact", "[http]") {
    std::string big(5u * 1024u * 1024u, '\0');
    for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + (i * 7) % 26);
    LoopbackServer server;
    server.respond([&](const ServerRequest&) { return ServerResponse{200, {}, big, {}, false}; });
    HttpClient client;

    auto response = client.get(server.url("/big"));

    REQUIRE(response.body.size() == big.size());
    CHECK(response.body == big);
}

TEST_CASE("a body over max_response_body fails as too large", "[http]") {
    LoopbackServer server;
    server.respond([](const ServerRequest&) { return ServerResponse{200, {}, std::string(4096, 'x'), {}, false}; });
    HttpClientOptions options;
    options.max_response_body = 1024;
    HttpClient client(options);

    auto error = error_from([&] { client.get(server.url("/too-big")); });

    REQUIRE(error);
    CHECK(error->kind() == HttpError::Kind::too_large);
    CHECK_THAT(error->what(), ContainsSubstring(server.url("/too-big")) && ContainsSubstring("exceeds 1024 bytes"));
}

TEST_CASE("malformed HTTP from the server fails as a protocol error naming the URL", "[http]") {
    LoopbackServer server;
    server.send_raw("garbage\r\n\r\n");
    HttpClient client;

    auto error = error_from([&] { client.get(server.url("/garbage")); });

    REQUIRE(error);
    CHECK(error->kind() == HttpError::Kind::protocol);
    CHECK_THAT(error->what(), ContainsSubstring(server.url("/garbage")));
}

TEST_CASE("a server that closes without answering fails instead of hanging", "[http]") {
    LoopbackServer server;
    server.close_immediately();
    HttpClient client;

    auto started = std::chrono::steady_clock::now();
    auto error = error_from([&] { client.send({"GET", server.url("/closed"), {}, {}}, 10s); });

    REQUIRE(error);
    CHECK(error->kind() == HttpError::Kind::io);
    CHECK(std::chrono::steady_clock::now() - started < 2s);
}

TEST_CASE("ten concurrent requests from ten threads all succeed", "[http]") {
    e2e::test::LoopbackServerOptions server_options;
    server_options.threads = 10;  // the handler sleeps: let every request be in flight at once
    LoopbackServer server(server_options);
    server.respond([](const ServerRequest& request) {
        std::this_thread::sleep_for(20ms);  // keeps the requests in flight together
        return ServerResponse{200, {}, request.target, {}, false};
    });
    HttpClient client;
    std::atomic<int> matched{0};

    std::vector<std::thread> threads;
    for (int i = 0; i < 10; ++i) {
        threads.emplace_back([&, i] {
            for (int round = 0; round < 3; ++round) {
                std::string path = "/t" + std::to_string(i) + "/" + std::to_string(round);
                try {
                    if (client.get(server.url(path)).body == path) ++matched;
                } catch (const HttpError&) {
                    // counted as a mismatch below
                }
            }
        });
    }
    for (auto& thread : threads) thread.join();

    CHECK(matched == 30);
    CHECK(server.requests() == 30);
    CHECK(client.connections_opened() <= 10);  // later rounds reuse the pooled connections
}

TEST_CASE("redirects are returned and not followed", "[http]") {
    LoopbackServer server;
    server.respond([&](const ServerRequest&) {
        return ServerResponse{302, {{"Location", server.url("/elsewhere")}}, {}, {}, false};
    });
    HttpClient client;

    auto response = client.get(server.url("/moved"));

    CHECK(response.status == 302);
    CHECK(response.header("location") == server.url("/elsewhere"));
    CHECK(server.requests() == 1);
}

TEST_CASE("invalid URLs fail as invalid_url without any connection", "[http]") {
    HttpClient client;
    for (const char* url : {"not a url", "/relative/path", "ftp://127.0.0.1/file", "http://127.0.0.1:99999/",
                            "http:///no-host", "https://user:pw@127.0.0.1/"}) {
        CAPTURE(url);
        auto error = error_from([&] { client.get(url); });
        REQUIRE(error);
        CHECK(error->kind() == HttpError::Kind::invalid_url);
    }
    CHECK(client.connections_opened() == 0);
}

TEST_CASE("default request headers are set and caller headers win", "[http]") {
    LoopbackServer server;
    server.respond(echo);
    HttpClient client;

    auto defaults = client.post(server.url("/p"), "");
    auto overridden = client.get(server.url("/g"), {{"User-Agent", "custom/1"}});

    CHECK(defaults.header("X-Echo-Host") == "127.0.0.1:" + std::to_string(server.port()));
    CHECK(defaults.header("X-Echo-User-Agent") == "esb-e2e/0.1");
    CHECK(defaults.header("X-Echo-Content-Length") == "0");
    CHECK(overridden.header("X-Echo-User-Agent") == "custom/1");
    CHECK_FALSE(overridden.header("X-Echo-Content-Length"));
}

TEST_CASE("the request target is the path and query of the URL", "[http]") {
    LoopbackServer server;
    server.respond(echo);
    HttpClient client;

    CHECK(client.get(server.url("/a/b%20c?x=1&y=two")).body == "/a/b%20c?x=1&y=two");
    CHECK(client.get(server.url("")).body == "/");
}

TEST_CASE("a HEAD response is read without a body and the connection stays usable", "[http]") {
    LoopbackServer server;
    server.respond([](const ServerRequest& request) {
        if (request.method == "HEAD") return ServerResponse{200, {{"Content-Length", "12"}}, {}, {}, false};
        return ServerResponse{200, {}, "after head", {}, false};
    });
    HttpClient client;

    auto head = client.send({"HEAD", server.url(), {}, {}});
    auto get = client.get(server.url());

    CHECK(head.status == 200);
    CHECK(head.body.empty());
    CHECK(get.body == "after head");
    CHECK(client.connections_opened() == 1);
}

TEST_CASE("a header value with a line break is refused before anything is sent", "[http]") {
    LoopbackServer server;
    HttpClient client;

    auto error = error_from([&] { client.get(server.url(), {{"X-Injected", "secret-value\r\nEvil: 1"}}); });

    REQUIRE(error);
    CHECK(error->kind() == HttpError::Kind::invalid_request);
    CHECK_THAT(error->what(), !ContainsSubstring("secret-value"));
    CHECK(server.accepted_connections() == 0);
}

TEST_CASE("error messages mask secret query parameters of the URL", "[http]") {
    LoopbackServer server;
    server.never_answer();
    HttpClient client;

    auto error = error_from([&] {
        client.send({"GET", server.url("/obj?X-Amz-Signature=deadbeef&part=1"), {}, {}}, 100ms);
    });

    REQUIRE(error);
    CHECK_THAT(error->what(), ContainsSubstring("X-Amz-Signature=***&part=1") && !ContainsSubstring("deadbeef"));
}

TEST_CASE("the recorder receives exchanges with credentials redacted", "[http]") {
    LoopbackServer server;
    server.respond([](const ServerRequest&) {
        return ServerResponse{200, {{"Content-Type", "application/json"}}, R"({"IdToken":"eyJ.secret","ok":true})", {}, false};
    });
    e2e::ExchangeLog log;
    HttpClient client;
    client.set_recorder(&log);

    client.post(server.url("/login"), R"({"username":"u","password":"hunter2"})",
                {{"Authorization", "Bearer abc.def"}, {"x-api-key", "k-123"}});
    auto failed = error_from([&] { client.get("http://127.0.0.1:1/unreachable"); });

    auto entries = log.snapshot();
    REQUIRE(entries.size() == 2);
    const auto& ok = entries[0];
    CHECK(ok.status == 200);
    CHECK(e2e::find_header(ok.request_headers, "authorization") == std::string(e2e::kRedacted));
    CHECK(e2e::find_header(ok.request_headers, "x-api-key") == std::string(e2e::kRedacted));
    CHECK(e2e::find_header(ok.request_headers, "user-agent") == "esb-e2e/0.1");
    CHECK_THAT(ok.request_body, ContainsSubstring(R"("username":"u")") && !ContainsSubstring("hunter2"));
    CHECK_THAT(ok.response_body, !ContainsSubstring("eyJ.secret"));
    REQUIRE(failed);
    CHECK_FALSE(entries[1].status);
    CHECK(entries[1].error == failed->what());
}

TEST_CASE("a generated certificate is PEM and rejects a malformed IP address", "[http][tls]") {
    auto cert = e2e::make_self_signed_cert({"localhost", "gateway"}, {"127.0.0.1", "::1"});

    CHECK(cert.cert_pem.starts_with("-----BEGIN CERTIFICATE-----"));
    CHECK(cert.key_pem.starts_with("-----BEGIN PRIVATE KEY-----"));
    CHECK_THROWS_AS(e2e::make_self_signed_cert({}, {"999.1.1.1"}), std::invalid_argument);
    CHECK_THROWS_AS(e2e::make_self_signed_cert({}, {}), std::invalid_argument);
}
