// The refstack's HTTP/1.1 server: one listener on 127.0.0.1, plain or TLS, one thread per
// connection (the stack serves a test suite: tens of connections, blocking handlers that may wait
// on pools or delays), keep-alive, bounded request sizes, graceful stop.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace refstack {

using Headers = std::vector<std::pair<std::string, std::string>>;

std::optional<std::string> find_header(const Headers& headers, std::string_view name);

struct Request {
    std::string method;
    std::string target;  // raw request target: path + "?" + query
    std::string path;    // raw (not percent-decoded) path
    std::string query;   // raw query string without "?"
    Headers headers;
    std::string body;
    std::string peer;  // "127.0.0.1:port"

    std::optional<std::string> header(std::string_view name) const { return find_header(headers, name); }
};

struct Response {
    int status = 200;
    Headers headers;
    std::string body;

    static Response text(int status, std::string body, std::string content_type = "text/plain; charset=utf-8");
    static Response json(int status, std::string body);
    Response& with_header(std::string name, std::string value);
};

using Handler = std::function<Response(const Request&)>;

struct TlsIdentity {
    std::string cert_pem;
    std::string key_pem;
};

struct ServerOptions {
    std::string name = "http";  // for logs and errors
    std::string bind_address = "127.0.0.1";
    std::uint16_t port = 0;  // 0: pick a free port
    std::optional<TlsIdentity> tls;
    std::size_t max_request_body = 16u * 1024u * 1024u;
    std::chrono::milliseconds idle_timeout{30'000};  // an idle keep-alive connection is closed after this
};

// Requests bigger than max_request_body get 413 before the handler runs; unparsable requests get
// 400; a handler exception gets 500 with the exception text.
class HttpServer {
public:
    HttpServer(ServerOptions options, Handler handler);
    ~HttpServer();  // stops
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    void start();               // binds and starts accepting; throws std::runtime_error naming the port
    void stop();                // closes the listener and every connection, joins all threads
    std::uint16_t port() const;  // the bound port (after start)
    std::string url() const;     // scheme://127.0.0.1:port
    bool running() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace refstack
