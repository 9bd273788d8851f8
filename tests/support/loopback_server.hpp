// An in-process HTTP(S) server on 127.0.0.1 for client tests and benchmarks: real sockets, no mocks,
// with scriptable misbehaviour (silence, abrupt close, malformed bytes, chunked bodies).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "e2e/http.hpp"
#include "e2e/self_signed_cert.hpp"

namespace e2e::test {

struct ServerRequest {
    std::string method;
    std::string target;
    Headers headers;
    std::string body;

    std::optional<std::string> header(std::string_view name) const { return find_header(headers, name); }
};

struct ServerResponse {
    int status = 200;
    Headers headers;
    std::string body;
    // Non-empty: sent with Transfer-Encoding: chunked, one write per chunk, and `body` is ignored.
    std::vector<std::string> chunks;
    // Close the connection after this response without announcing it (no Connection: close), as a
    // server whose keep-alive timer fired would.
    bool close_silently = false;
};

using ServerHandler = std::function<ServerResponse(const ServerRequest&)>;

struct LoopbackServerOptions {
    bool tls = false;
    std::optional<SelfSignedCert> cert;  // TLS certificate; made for localhost/127.0.0.1 when empty
    unsigned threads = 2;
};

// Options for a TLS server (designated initializers would trip -Wmissing-field-initializers).
inline LoopbackServerOptions tls_server_options(std::optional<SelfSignedCert> cert = std::nullopt) {
    LoopbackServerOptions options;
    options.tls = true;
    options.cert = std::move(cert);
    return options;
}

class LoopbackServer {
public:
    explicit LoopbackServer(LoopbackServerOptions options = {});
    ~LoopbackServer();  // stops accepting, drops every connection, joins its threads
    LoopbackServer(const LoopbackServer&) = delete;
    LoopbackServer& operator=(const LoopbackServer&) = delete;

    std::uint16_t port() const;
    // http(s)://127.0.0.1:<port><path>, or with another host name (e.g. "localhost").
    std::string url(std::string_view path = "/") const;
    std::string url_with_host(std::string_view host, std::string_view path = "/") const;
    const SelfSignedCert& cert() const;  // empty PEMs for a plain server

    // Behaviours; each applies to requests (or, for close_immediately, connections) from then on.
    void respond(ServerHandler handler);  // the default answers 200 "ok"
    void never_answer();                  // read requests, never reply
    void close_immediately();             // close each accepted connection before reading anything
    void send_raw(std::string bytes);     // after reading a request, write these bytes verbatim and close

    std::size_t accepted_connections() const;
    std::size_t requests() const;  // requests read completely, whatever the behaviour

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace e2e::test
