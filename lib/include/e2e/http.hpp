// HTTP/1.1 client for the suite: plain and TLS, deadlines on every request, keep-alive reuse.
// Boost.Beast/Asio stay inside lib/src/http_client.cpp; this header is Boost-free.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "e2e/exchange.hpp"

namespace e2e {

using Headers = std::vector<std::pair<std::string, std::string>>;

// Case-insensitive lookup of the first header with that name.
std::optional<std::string> find_header(const Headers& headers, std::string_view name);

struct HttpRequest {
    std::string method = "GET";
    std::string url;  // absolute: http://host:port/path?query or https://...
    Headers headers;
    std::string body;
};

struct HttpResponse {
    int status = 0;
    std::string reason;
    Headers headers;
    std::string body;
    std::chrono::microseconds elapsed{0};
    std::string url;     // the request URL, for failure messages
    std::string method;  // the request method, for failure messages

    std::optional<std::string> header(std::string_view name) const { return find_header(headers, name); }
};

// Why a request produced no response. Every error message names the method and the URL (with
// secret query parameters masked); header values are never printed.
class HttpError : public std::runtime_error {
public:
    // invalid_request: a method or header that cannot be sent as HTTP (e.g. CR/LF in a value).
    enum class Kind { invalid_url, invalid_request, resolve, connect, tls, timeout, protocol, too_large, io };
    HttpError(Kind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
    Kind kind() const noexcept { return kind_; }

private:
    Kind kind_;
};

std::string_view to_string(HttpError::Kind kind);

struct HttpClientOptions {
    std::chrono::milliseconds connect_timeout{5'000};   // TCP connect + TLS handshake
    std::chrono::milliseconds request_timeout{30'000};  // whole exchange, connect included
    std::size_t max_response_body = 64u * 1024u * 1024u;
    std::size_t max_response_header = 64u * 1024u;
    bool verify_tls = false;   // ESB's VERIFY_SSL: peer + host-name verification when true
    std::string ca_file;       // optional PEM bundle used instead of the system store
    std::size_t max_idle_per_host = 16;
};

// Thread-safe: any number of threads may call send() at once; each call blocks until done.
// Redirects are never followed. Idle connections are reused per (scheme, host, port).
class HttpClient {
public:
    explicit HttpClient(HttpClientOptions options = {});
    ~HttpClient();
    HttpClient(const HttpClient&) = delete;
    HttpClient& operator=(const HttpClient&) = delete;

    // Throws HttpError when no complete response arrives. A per-call timeout overrides
    // options.request_timeout.
    HttpResponse send(const HttpRequest& request,
                      std::optional<std::chrono::milliseconds> timeout = std::nullopt);

    HttpResponse get(std::string url, Headers headers = {});
    HttpResponse post(std::string url, std::string body, Headers headers = {});

    // Every exchange (successful or not) is appended here when set; not owned.
    void set_recorder(ExchangeLog* log);

    // Connections opened so far (for keep-alive tests and diagnostics).
    std::size_t connections_opened() const;

    const HttpClientOptions& options() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace e2e
