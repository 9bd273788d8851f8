#include "http_server.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <list>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace refstack {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

std::optional<std::string> find_header(const Headers& headers, std::string_view name) {
    for (const auto& [key, value] : headers) {
        if (key.size() == name.size() &&
            std::equal(key.begin(), key.end(), name.begin(), [](char a, char b) {
                return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
            })) {
            return value;
        }
    }
    return std::nullopt;
}

Response Response::text(int status, std::string body, std::string content_type) {
    Response response{status, {{"Content-Type", std::move(content_type)}}, std::move(body)};
    return response;
}

Response Response::json(int status, std::string body) { return text(status, std::move(body), "application/json"); }

Response& Response::with_header(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
    return *this;
}

namespace {

void set_socket_timeouts(tcp::socket& socket, std::chrono::milliseconds timeout) {
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
    ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

http::response<http::string_body> to_beast(const Response& response, unsigned version, bool keep_alive) {
    http::response<http::string_body> out{static_cast<http::status>(response.status), version};
    out.set(http::field::server, "esb-refstack");
    for (const auto& [name, value] : response.headers) out.insert(name, value);
    out.body() = response.body;
    out.keep_alive(keep_alive);
    out.prepare_payload();
    return out;
}

Request from_beast(const http::request<http::string_body>& request, const std::string& peer) {
    Request out;
    out.method = std::string(request.method_string());
    out.target = std::string(request.target());
    const auto question = out.target.find('?');
    out.path = out.target.substr(0, question);
    if (question != std::string::npos) out.query = out.target.substr(question + 1);
    for (const auto& field : request) out.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    out.body = request.body();
    out.peer = peer;
    return out;
}

}  // namespace

struct Connection {
    tcp::socket socket;
    std::thread thread;
    std::atomic<bool> done{false};
    std::mutex close_mutex;  // the fd must not be shut down by stop() after it was closed and reused
    bool closed = false;
    explicit Connection(tcp::socket s) : socket(std::move(s)) {}

    void interrupt() {
        std::lock_guard lock(close_mutex);
        if (!closed) ::shutdown(socket.native_handle(), SHUT_RDWR);
    }
    void close() {
        std::lock_guard lock(close_mutex);
        beast::error_code ec;
        socket.shutdown(tcp::socket::shutdown_both, ec);
        socket.close(ec);
        closed = true;
    }
};

struct HttpServer::Impl {
    ServerOptions options;
    Handler handler;
    asio::io_context ioc;
    tcp::acceptor acceptor{ioc};
    std::optional<ssl::context> tls_context;
    std::thread accept_thread;
    std::atomic<bool> running{false};
    std::mutex mutex;
    std::list<std::unique_ptr<Connection>> connections;
    std::uint16_t port = 0;

    void accept_loop() {
        while (running) {
            tcp::socket socket(ioc);
            beast::error_code ec;
            acceptor.accept(socket, ec);
            if (!running) break;
            if (ec) continue;
            std::lock_guard lock(mutex);
            reap_finished();
            auto& connection = connections.emplace_back(std::make_unique<Connection>(std::move(socket)));
            Connection* raw = connection.get();
            raw->thread = std::thread([this, raw] {
                serve_connection(*raw);
                raw->done = true;
            });
        }
    }

    // Joins threads whose connection is over; called with the mutex held.
    void reap_finished() {
        for (auto it = connections.begin(); it != connections.end();) {
            if ((*it)->done) {
                (*it)->thread.join();
                it = connections.erase(it);
            } else {
                ++it;
            }
        }
    }

    void serve_connection(Connection& connection) {
        beast::error_code ec;
        set_socket_timeouts(connection.socket, options.idle_timeout);
        const auto endpoint = connection.socket.remote_endpoint(ec);
        const std::string peer = ec ? "unknown" : fmt::format("{}:{}", endpoint.address().to_string(), endpoint.port());
        if (tls_context) {
            ssl::stream<tcp::socket&> stream(connection.socket, *tls_context);
            stream.handshake(ssl::stream_base::server, ec);
            if (!ec) serve_requests(stream, peer);
            stream.shutdown(ec);
        } else {
            serve_requests(connection.socket, peer);
        }
        connection.close();
    }

    template <typename Stream>
    void serve_requests(Stream& stream, const std::string& peer) {
        beast::flat_buffer buffer;
        while (running) {
            http::request_parser<http::string_body> parser;
            parser.body_limit(options.max_request_body);
            parser.header_limit(64 * 1024);
            beast::error_code ec;
            http::read_header(stream, buffer, parser, ec);
            // botocore sends `Expect: 100-continue` with every upload and otherwise waits 1 s.
            if (!ec && beast::iequals(parser.get()[http::field::expect], "100-continue")) {
                http::response<http::empty_body> go_on{http::status::continue_, parser.get().version()};
                http::write(stream, go_on, ec);
            }
            if (!ec) http::read(stream, buffer, parser, ec);
            if (ec == http::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset ||
                ec == asio::error::would_block || ec == asio::error::try_again || ec == ssl::error::stream_truncated ||
                ec == asio::error::operation_aborted || ec == asio::error::bad_descriptor) {
                return;
            }
            if (ec == http::error::body_limit) {
                write_final(stream, Response::json(413, fmt::format(R"({{"message":"request body exceeds {} bytes"}})",
                                                                    options.max_request_body)));
                return;
            }
            if (ec) {
                if (buffer.size() == 0 && !parser.got_some()) return;
                write_final(stream, Response::json(400, fmt::format(R"({{"message":"malformed HTTP request: {}"}})", ec.message())));
                return;
            }
            const auto& request = parser.get();
            Response response;
            try {
                response = handler(from_beast(request, peer));
            } catch (const std::exception& error) {
                response = Response::json(500, fmt::format(R"({{"message":"Internal Server Error","detail":"{}"}})", error.what()));
            }
            const bool keep_alive = request.keep_alive() && running;
            auto out = to_beast(response, request.version(), keep_alive);
            if (request.method() == http::verb::head) {
                http::response_serializer<http::string_body> serializer(out);
                serializer.split(true);
                http::write_header(stream, serializer, ec);
            } else {
                http::write(stream, out, ec);
            }
            if (ec || !keep_alive) return;
        }
    }

    template <typename Stream>
    void write_final(Stream& stream, const Response& response) {
        beast::error_code ec;
        http::write(stream, to_beast(response, 11, false), ec);
    }
};

HttpServer::HttpServer(ServerOptions options, Handler handler) : impl_(std::make_unique<Impl>()) {
    impl_->options = std::move(options);
    impl_->handler = std::move(handler);
}

HttpServer::~HttpServer() { stop(); }

void HttpServer::start() {
    auto& impl = *impl_;
    if (impl.running) return;
    if (impl.options.tls) {
        impl.tls_context.emplace(ssl::context::tls_server);
        impl.tls_context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                                      ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
        impl.tls_context->use_certificate_chain(asio::buffer(impl.options.tls->cert_pem));
        impl.tls_context->use_private_key(asio::buffer(impl.options.tls->key_pem), ssl::context::pem);
    }
    beast::error_code ec;
    const auto address = asio::ip::make_address(impl.options.bind_address, ec);
    if (ec) throw std::runtime_error(fmt::format("{}: bad bind address {}", impl.options.name, impl.options.bind_address));
    const tcp::endpoint endpoint(address, impl.options.port);
    impl.acceptor.open(endpoint.protocol(), ec);
    if (!ec) impl.acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) impl.acceptor.bind(endpoint, ec);
    if (!ec) impl.acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
        throw std::runtime_error(fmt::format("{}: cannot listen on {}:{}: {}", impl.options.name, impl.options.bind_address,
                                             impl.options.port, ec.message()));
    }
    impl.port = impl.acceptor.local_endpoint().port();
    impl.running = true;
    impl.accept_thread = std::thread([&impl] { impl.accept_loop(); });
}

void HttpServer::stop() {
    auto& impl = *impl_;
    if (!impl.running.exchange(false)) return;
    // shutdown(2) wakes threads blocked in accept/read without touching Asio's state across threads.
    ::shutdown(impl.acceptor.native_handle(), SHUT_RDWR);
    if (impl.accept_thread.joinable()) impl.accept_thread.join();
    beast::error_code ec;
    impl.acceptor.close(ec);
    std::list<std::unique_ptr<Connection>> connections;
    {
        std::lock_guard lock(impl.mutex);
        connections.swap(impl.connections);
    }
    for (auto& connection : connections) connection->interrupt();
    for (auto& connection : connections) {
        if (connection->thread.joinable()) connection->thread.join();
    }
}

std::uint16_t HttpServer::port() const { return impl_->port; }

std::string HttpServer::url() const {
    return fmt::format("{}://127.0.0.1:{}", impl_->options.tls ? "https" : "http", impl_->port);
}

bool HttpServer::running() const { return impl_->running; }

}  // namespace refstack
