#include "http_server.hpp"

#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <atomic>
#include <thread>

#include "e2e/http.hpp"
#include "e2e/self_signed_cert.hpp"

using Catch::Matchers::ContainsSubstring;

namespace {

refstack::Response echo_handler(const refstack::Request& request) {
    return refstack::Response::text(200, request.method + " " + request.path + " ?" + request.query + " " + request.body);
}

// Sends raw bytes and reads until the server closes the connection.
std::string raw_exchange(std::uint16_t port, const std::string& bytes) {
    namespace asio = boost::asio;
    asio::io_context ioc;
    asio::ip::tcp::socket socket(ioc);
    socket.connect({asio::ip::make_address("127.0.0.1"), port});
    asio::write(socket, asio::buffer(bytes));
    std::string answer;
    boost::system::error_code ec;
    asio::read(socket, asio::dynamic_buffer(answer), ec);
    return answer;
}

}  // namespace

TEST_CASE("refstack server answers on loopback and splits path and query", "[refstack][server]") {
    refstack::HttpServer server({.name = "test"}, echo_handler);
    server.start();
    CHECK(server.port() != 0);
    CHECK_THAT(server.url(), ContainsSubstring("http://127.0.0.1:"));
    e2e::HttpClient client;
    const auto response = client.post(server.url() + "/a/b?x=1&y=2", "payload");
    CHECK(response.status == 200);
    CHECK(response.body == "POST /a/b ?x=1&y=2 payload");
    CHECK(response.header("Content-Type") == "text/plain; charset=utf-8");
}

TEST_CASE("refstack server keeps connections alive across requests", "[refstack][server]") {
    refstack::HttpServer server({}, echo_handler);
    server.start();
    e2e::HttpClient client;
    for (int i = 0; i < 5; ++i) CHECK(client.get(server.url() + "/n").status == 200);
    CHECK(client.connections_opened() == 1);
}

TEST_CASE("refstack server rejects an oversized body with 413 before the handler runs", "[refstack][server]") {
    std::atomic<int> calls{0};
    refstack::HttpServer server({.max_request_body = 1024}, [&](const refstack::Request& request) {
        ++calls;
        return echo_handler(request);
    });
    server.start();
    e2e::HttpClient client;
    const auto response = client.post(server.url() + "/upload", std::string(4096, 'x'));
    CHECK(response.status == 413);
    CHECK_THAT(response.body, ContainsSubstring("exceeds 1024 bytes"));
    CHECK(calls == 0);
}

TEST_CASE("refstack server answers garbage with 400 and closes", "[refstack][server]") {
    refstack::HttpServer server({}, echo_handler);
    server.start();
    const auto answer = raw_exchange(server.port(), "THIS IS NOT HTTP\r\n\r\n");
    CHECK_THAT(answer, ContainsSubstring("HTTP/1.1 400"));
    CHECK_THAT(answer, ContainsSubstring("malformed HTTP request"));
}

TEST_CASE("refstack server turns a handler exception into a 500 answer", "[refstack][server]") {
    refstack::HttpServer server({}, [](const refstack::Request&) -> refstack::Response { throw std::runtime_error("boom"); });
    server.start();
    e2e::HttpClient client;
    const auto response = client.get(server.url() + "/");
    CHECK(response.status == 500);
    CHECK_THAT(response.body, ContainsSubstring("boom"));
}

TEST_CASE("refstack server serves TLS with a generated certificate", "[refstack][server]") {
    const auto cert = e2e::make_self_signed_cert();
    refstack::HttpServer server({.tls = refstack::TlsIdentity{cert.cert_pem, cert.key_pem}}, echo_handler);
    server.start();
    CHECK_THAT(server.url(), ContainsSubstring("https://"));
    e2e::HttpClient client({.verify_tls = false});
    CHECK(client.get(server.url() + "/secure").status == 200);
}

TEST_CASE("refstack server stops with connections still open and frees its port", "[refstack][server]") {
    auto server = std::make_unique<refstack::HttpServer>(refstack::ServerOptions{}, echo_handler);
    server->start();
    const auto url = server->url();
    e2e::HttpClient client({.connect_timeout = std::chrono::milliseconds(500), .request_timeout = std::chrono::milliseconds(2000)});
    CHECK(client.get(url + "/").status == 200);  // leaves an idle keep-alive connection behind
    server->stop();
    CHECK_FALSE(server->running());
    CHECK_THROWS_AS(client.get(url + "/"), e2e::HttpError);
}

TEST_CASE("refstack server serves ten concurrent slow requests in parallel", "[refstack][server]") {
    std::atomic<int> in_flight{0};
    std::atomic<int> peak{0};
    refstack::HttpServer server({}, [&](const refstack::Request&) {
        const int now = ++in_flight;
        int seen = peak.load();
        while (now > seen && !peak.compare_exchange_weak(seen, now)) {
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        --in_flight;
        return refstack::Response::text(200, "ok");
    });
    server.start();
    e2e::HttpClient client;
    std::vector<std::thread> threads;
    std::atomic<int> ok{0};
    for (int i = 0; i < 10; ++i) {
        threads.emplace_back([&] {
            if (client.get(server.url() + "/slow").status == 200) ++ok;
        });
    }
    for (auto& thread : threads) thread.join();
    CHECK(ok == 10);
    CHECK(peak > 1);
}

TEST_CASE("refstack server answers Expect 100-continue before reading the body", "[refstack][server]") {
    refstack::HttpServer server({}, echo_handler);
    server.start();
    namespace asio = boost::asio;
    asio::io_context ioc;
    asio::ip::tcp::socket socket(ioc);
    socket.connect({asio::ip::make_address("127.0.0.1"), server.port()});
    asio::write(socket, asio::buffer(std::string("PUT /obj HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n")));
    std::string interim(25, '\0');
    asio::read(socket, asio::buffer(interim));
    CHECK_THAT(interim, ContainsSubstring("HTTP/1.1 100 Continue"));
    asio::write(socket, asio::buffer(std::string("data")));
    socket.shutdown(asio::ip::tcp::socket::shutdown_send);
    std::string rest;
    boost::system::error_code ec;
    asio::read(socket, asio::dynamic_buffer(rest), ec);
    CHECK_THAT(rest, ContainsSubstring("PUT /obj ? data"));
}
