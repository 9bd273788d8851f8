// Redaction, curl rendering and the exchange log (e2e/exchange.hpp).
#include <array>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include "e2e/exchange.hpp"

namespace {

using Catch::Matchers::ContainsSubstring;
using e2e::Exchange;
using e2e::kRedacted;

const std::string kMask(kRedacted);

// What /bin/sh makes of a command line: proves the quoting survives a real shell.
std::string shell_echo(const std::string& quoted) {
    std::string command = "printf '%s' " + quoted;
    std::FILE* pipe = popen(command.c_str(), "r");
    REQUIRE(pipe != nullptr);
    std::string out;
    std::array<char, 256> buffer{};
    while (std::size_t n = std::fread(buffer.data(), 1, buffer.size(), pipe)) out.append(buffer.data(), n);
    pclose(pipe);
    return out;
}

Exchange sample_login() {
    Exchange exchange;
    exchange.method = "POST";
    exchange.url = "https://gw.example:8443/login?user=alice&api_key=K-999";
    exchange.request_headers = {{"Content-Type", "application/json"},
                                {"Authorization", "Bearer s3cr3t-bearer"},
                                {"X-Api-Key", "k-live-777"}};
    exchange.request_body = R"({"username":"alice","password":"hunter2"})";
    exchange.status = 200;
    exchange.response_headers = {{"Set-Cookie", "session=sess-555"}, {"Content-Type", "application/json"}};
    exchange.response_body = R"({"IdToken":"eyJ-id-token","user":"alice"})";
    return exchange;
}

}  // namespace

TEST_CASE("secret names are recognised case-insensitively", "[exchange]") {
    for (const char* name : {"Authorization", "x-api-key", "X-API-KEY", "password", "AUTH_PASS", "IdToken", "secret_key",
                             "X-Amz-Security-Token", "X-Amz-Signature", "X-Amz-Credential", "Cookie", "Set-Cookie",
                             "db_pwd", "clientSecret"}) {
        CAPTURE(name);
        CHECK(e2e::is_secret_name(name));
    }
    for (const char* name : {"Content-Type", "Accept", "Keep-Alive", "X-Request-Id", "username", "passenger", "bypass",
                             "X-Amz-Date", "message"}) {
        CAPTURE(name);
        CHECK_FALSE(e2e::is_secret_name(name));
    }
}

TEST_CASE("redact masks credential headers of requests and responses", "[exchange]") {
    auto redacted = e2e::redact(sample_login());

    CHECK(redacted.request_headers[0].second == "application/json");
    CHECK(redacted.request_headers[1].second == kMask);
    CHECK(redacted.request_headers[2].second == kMask);
    CHECK(redacted.response_headers[0].second == kMask);
    CHECK(redacted.response_headers[1].second == "application/json");
}

TEST_CASE("redact masks secret JSON fields at any depth", "[exchange]") {
    std::string body =
        R"({"user":{"name":"bob","password":"p1","settings":{"AUTH_PASS":"p2"}},)"
        R"("sessions":[{"IdToken":"t1","id":7},{"secret_key":{"nested":"whole"}}],"count":3})";

    std::string redacted = e2e::redact_json_text(body);

    CHECK(redacted ==
          R"({"user":{"name":"bob","password":"***","settings":{"AUTH_PASS":"***"}},)"
          R"("sessions":[{"IdToken":"***","id":7},{"secret_key":"***"}],"count":3})");
}

TEST_CASE("redact masks JSON carried inside a string field", "[exchange]") {
    std::string body = R"({"statusCode":200,"body":"{\"token\":\"abc\",\"ok\":true}"})";

    std::string redacted = e2e::redact_json_text(body);

    CHECK_THAT(redacted, !ContainsSubstring("abc") && ContainsSubstring(R"(\"ok\":true)"));
}

TEST_CASE("redact masks secret query parameters and URL passwords", "[exchange]") {
    std::string presigned =
        "https://s3.local/bucket/key.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIA%2F20240101"
        "&X-Amz-Date=20240101T000000Z&X-Amz-Security-Token=tok&X-Amz-Signature=abcdef#frag";

    CHECK(e2e::redact_url(presigned) ==
          "https://s3.local/bucket/key.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=***"
          "&X-Amz-Date=20240101T000000Z&X-Amz-Security-Token=***&X-Amz-Signature=***#frag");
    CHECK(e2e::redact_url("http://admin:pa55@host:8080/path?a=1") == "http://admin:***@host:8080/path?a=1");
    CHECK(e2e::redact_url("http://host/path") == "http://host/path");
}

TEST_CASE("a non-JSON body is left untouched", "[exchange]") {
    Exchange exchange;
    exchange.request_headers = {{"Content-Type", "text/plain"}};
    exchange.request_body = "password=hunter2 is plain text here";
    exchange.response_body = R"({"password": "not closed)";

    auto redacted = e2e::redact(exchange);

    CHECK(redacted.request_body == exchange.request_body);
    CHECK(redacted.response_body == exchange.response_body);
}

TEST_CASE("a JSON body without secrets keeps its formatting", "[exchange]") {
    std::string body = "{\n  \"name\": \"bob\",\n  \"items\": [1, 2]\n}";

    CHECK(e2e::redact_json_text(body) == body);
}

TEST_CASE("form encoded bodies have secret fields masked", "[exchange]") {
    Exchange exchange;
    exchange.request_headers = {{"content-type", "application/x-www-form-urlencoded; charset=utf-8"}};
    exchange.request_body = "grant_type=password&username=bob&password=hunter2&client_secret=cs";

    auto redacted = e2e::redact(exchange);

    CHECK(redacted.request_body == "grant_type=password&username=bob&password=***&client_secret=***");
}

TEST_CASE("to_curl renders method url headers and body", "[exchange]") {
    Exchange exchange;
    exchange.method = "PUT";
    exchange.url = "https://api.local/items/1";
    exchange.request_headers = {{"Content-Type", "application/json"}, {"Content-Length", "9"}};
    exchange.request_body = R"({"a":1})";

    CHECK(e2e::to_curl(exchange) ==
          R"(curl -k -X PUT 'https://api.local/items/1' -H 'Content-Type: application/json' --data-raw '{"a":1}')");
}

TEST_CASE("to_curl quotes a body with a single quote so the shell gets it back intact", "[exchange]") {
    Exchange exchange;
    exchange.method = "POST";
    exchange.url = "http://host/echo";
    exchange.request_body = R"({"message":"it's $HOME `date` \n"})";

    std::string curl = e2e::to_curl(exchange);
    auto quoted = curl.substr(curl.find("--data-raw ") + std::string("--data-raw ").size());

    CHECK_THAT(curl, ContainsSubstring(R"('{"message":"it'\''s $HOME)"));
    CHECK_THAT(curl, !ContainsSubstring(" -k "));
    CHECK(shell_echo(quoted) == exchange.request_body);
}

TEST_CASE("to_curl uses -I for HEAD requests", "[exchange]") {
    Exchange exchange;
    exchange.method = "HEAD";
    exchange.url = "http://host/health";

    CHECK(e2e::to_curl(exchange) == "curl -I 'http://host/health'");
}

TEST_CASE("secrets never appear in to_curl or describe output", "[exchange]") {
    auto redacted = e2e::redact(sample_login());
    std::string rendered = e2e::to_curl(redacted) + "\n" + e2e::describe(redacted);

    for (const char* secret : {"s3cr3t-bearer", "k-live-777", "hunter2", "sess-555", "eyJ-id-token", "K-999"}) {
        CAPTURE(secret);
        CHECK_THAT(rendered, !ContainsSubstring(secret));
    }
    CHECK_THAT(rendered, ContainsSubstring("alice") && ContainsSubstring("-> 200"));
}

TEST_CASE("describe trims long bodies and reports failures", "[exchange]") {
    Exchange exchange;
    exchange.method = "GET";
    exchange.url = "http://host/long";
    exchange.status = 200;
    exchange.response_body = std::string(50, 'x');

    CHECK_THAT(e2e::describe(exchange, 10), ContainsSubstring("xxxxxxxxxx... [10 of 50 bytes shown]"));

    Exchange failed;
    failed.method = "GET";
    failed.url = "http://host/down";
    failed.error = "GET http://host/down: cannot connect";
    CHECK_THAT(e2e::describe(failed), ContainsSubstring("no response") && ContainsSubstring("cannot connect"));
}

TEST_CASE("the exchange log keeps the most recent redacted entries up to its capacity", "[exchange]") {
    e2e::ExchangeLog log(3);
    for (int i = 0; i < 5; ++i) {
        Exchange exchange = sample_login();
        exchange.url = "http://host/" + std::to_string(i);
        log.add(exchange);
    }

    auto entries = log.snapshot();
    REQUIRE(entries.size() == 3);
    CHECK(entries.front().url == "http://host/2");
    CHECK(entries.back().url == "http://host/4");
    CHECK(entries.back().request_headers[1].second == kMask);
    log.clear();
    CHECK(log.snapshot().empty());
}

TEST_CASE("the exchange log takes exchanges from many threads at once", "[exchange]") {
    e2e::ExchangeLog log(50);
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 100; ++i) log.add(sample_login());
        });
    }
    for (auto& thread : threads) thread.join();

    auto entries = log.snapshot();
    CHECK(entries.size() == 50);
    CHECK(entries.front().request_body == R"({"username":"alice","password":"***"})");
}
