// LoopbackServer: Beast + C++20 coroutines on a small thread pool; one coroutine per connection.
#include "support/loopback_server.hpp"

#include <atomic>
#include <exception>
#include <mutex>
#include <thread>
#include <utility>

// At -O2 GCC's flow analysis reports Asio's inlined thread-info casts as possible null
// dereferences (false positives inside Boost); silence that one warning for the Boost headers.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/http.hpp>
#pragma GCC diagnostic pop

namespace e2e::test {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

constexpr auto kAwaitable = asio::as_tuple(asio::use_awaitable);
constexpr std::uint64_t kMaxRequestBody = 256u * 1024u * 1024u;

struct Behaviour {
    enum class Mode { respond, never_answer, close_immediately, send_raw };
    Mode mode = Mode::respond;
    ServerHandler handler;
    std::string raw;
};

bool has_header(const Headers& headers, std::string_view name) { return find_header(headers, name).has_value(); }

std::string chunked_head(const ServerResponse& response, bool announce_close) {
    auto status = static_cast<unsigned>(response.status);
    std::string head = "HTTP/1.1 " + std::to_string(status) + " " +
                       std::string(http::obsolete_reason(http::int_to_status(status))) + "\r\n";
    for (const auto& [name, value] : response.headers) head += name + ": " + value + "\r\n";
    head += "Transfer-Encoding: chunked\r\n";
    if (announce_close) head += "Connection: close\r\n";
    head += "\r\n";
    return head;
}

std::string hex(std::size_t value) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    do {
        out.insert(out.begin(), kDigits[value % 16]);
        value /= 16;
    } while (value != 0);
    return out;
}

}  // namespace

struct LoopbackServer::Impl {
    explicit Impl(LoopbackServerOptions server_options) : options(std::move(server_options)) {
        if (options.tls) {
            cert = options.cert ? *options.cert : make_self_signed_cert();
            tls_context.emplace(ssl::context::tls_server);
            tls_context->use_certificate_chain(asio::buffer(cert.cert_pem));
            tls_context->use_private_key(asio::buffer(cert.key_pem), ssl::context::pem);
        }
        tcp::endpoint endpoint(asio::ip::make_address_v4("127.0.0.1"), 0);
        acceptor.open(endpoint.protocol());
        acceptor.set_option(tcp::acceptor::reuse_address(true));
        acceptor.bind(endpoint);
        acceptor.listen(asio::socket_base::max_listen_connections);
        port = acceptor.local_endpoint().port();
        asio::co_spawn(io, accept_loop(), asio::detached);
        for (unsigned i = 0; i < std::max(1u, options.threads); ++i) threads.emplace_back([this] { io.run(); });
    }

    ~Impl() {
        io.stop();
        for (auto& thread : threads) thread.join();
        // Coroutines still suspended (silent connections) are destroyed with the io_context.
    }

    std::shared_ptr<const Behaviour> current() const {
        std::lock_guard lock(mutex);
        return behaviour;
    }

    void set(Behaviour next) {
        auto shared = std::make_shared<const Behaviour>(std::move(next));
        std::lock_guard lock(mutex);
        behaviour = std::move(shared);
    }

    asio::awaitable<void> accept_loop() {
        for (;;) {
            auto [error, socket] = co_await acceptor.async_accept(kAwaitable);
            if (error) {
                if (error == asio::error::operation_aborted || !acceptor.is_open()) co_return;
                continue;  // e.g. too many open files: keep serving the connections we have
            }
            accepted.fetch_add(1);
            if (current()->mode == Behaviour::Mode::close_immediately) {
                beast::error_code ignored;
                socket.close(ignored);
                continue;
            }
            beast::error_code ignored;
            socket.set_option(tcp::no_delay(true), ignored);
            asio::co_spawn(io, session(std::move(socket)), asio::detached);
        }
    }

    asio::awaitable<void> session(tcp::socket socket) {
        if (!tls_context) {
            co_await serve(socket);
            co_return;
        }
        ssl::stream<tcp::socket> stream(std::move(socket), *tls_context);
        auto [error] = co_await stream.async_handshake(ssl::stream_base::server, kAwaitable);
        if (error) co_return;  // the client rejected our certificate: nothing to serve
        co_await serve(stream);
    }

    template <class Stream>
    asio::awaitable<void> serve(Stream& stream) {
        beast::flat_buffer buffer;
        for (;;) {
            http::request_parser<http::string_body> parser;
            parser.body_limit(kMaxRequestBody);
            auto [read_error, read_size] = co_await http::async_read(stream, buffer, parser, kAwaitable);
            if (read_error) co_return;
            requests.fetch_add(1);

            auto now = current();
            if (now->mode == Behaviour::Mode::never_answer) continue;  // waits until the client leaves
            if (now->mode == Behaviour::Mode::send_raw) {
                co_await asio::async_write(stream, asio::buffer(now->raw), kAwaitable);
                close(stream);
                co_return;
            }

            auto& message = parser.get();
            ServerRequest request;
            request.method = std::string(message.method_string());
            request.target = std::string(message.target());
            for (const auto& field : message) request.headers.emplace_back(field.name_string(), field.value());
            request.body = std::move(message.body());
            ServerResponse response = answer(*now, request);

            bool announce_close = !message.keep_alive();
            bool close_after = announce_close || response.close_silently ||
                               find_header(response.headers, "connection") == std::optional<std::string>("close");
            bool ok = response.chunks.empty() ? co_await write_whole(stream, response, announce_close)
                                              : co_await write_chunked(stream, response, announce_close);
            if (!ok) co_return;
            if (close_after) {
                close(stream);
                co_return;
            }
        }
    }

    static ServerResponse answer(const Behaviour& scripted, const ServerRequest& request) {
        if (!scripted.handler) return ServerResponse{200, {{"Content-Type", "text/plain"}}, "ok", {}, false};
        try {
            return scripted.handler(request);
        } catch (const std::exception& error) {
            return ServerResponse{500, {{"Content-Type", "text/plain"}}, std::string("handler threw: ") + error.what(), {}, false};
        }
    }

    template <class Stream>
    static asio::awaitable<bool> write_whole(Stream& stream, ServerResponse& response, bool announce_close) {
        http::response<http::string_body> message{http::int_to_status(static_cast<unsigned>(response.status)), 11};
        for (const auto& [name, value] : response.headers) message.insert(name, value);
        message.body() = std::move(response.body);
        if (!has_header(response.headers, "content-length") && !has_header(response.headers, "transfer-encoding")) {
            message.prepare_payload();
        }
        if (announce_close) message.keep_alive(false);
        auto [error, size] = co_await http::async_write(stream, message, kAwaitable);
        co_return !error;
    }

    template <class Stream>
    static asio::awaitable<bool> write_chunked(Stream& stream, const ServerResponse& response, bool announce_close) {
        auto [head_error, head_size] = co_await asio::async_write(stream, asio::buffer(chunked_head(response, announce_close)), kAwaitable);
        if (head_error) co_return false;
        for (const auto& chunk : response.chunks) {
            if (chunk.empty()) continue;  // an empty chunk would end the body early
            std::string framed = hex(chunk.size()) + "\r\n" + chunk + "\r\n";
            auto [error, size] = co_await asio::async_write(stream, asio::buffer(framed), kAwaitable);
            if (error) co_return false;
        }
        auto [end_error, end_size] = co_await asio::async_write(stream, asio::buffer(std::string_view("0\r\n\r\n")), kAwaitable);
        co_return !end_error;
    }

    template <class Stream>
    static void close(Stream& stream) {
        auto& socket = beast::get_lowest_layer(stream);
        beast::error_code ignored;
        socket.shutdown(tcp::socket::shutdown_send, ignored);
        socket.close(ignored);
    }

    LoopbackServerOptions options;
    SelfSignedCert cert;
    std::optional<ssl::context> tls_context;  // outlives the io_context: suspended TLS sessions refer to it

    mutable std::mutex mutex;
    std::shared_ptr<const Behaviour> behaviour = std::make_shared<const Behaviour>();
    std::atomic<std::size_t> accepted{0};
    std::atomic<std::size_t> requests{0};
    std::uint16_t port = 0;

    asio::io_context io;
    tcp::acceptor acceptor{io};
    std::vector<std::thread> threads;
};

LoopbackServer::LoopbackServer(LoopbackServerOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
LoopbackServer::~LoopbackServer() = default;

std::uint16_t LoopbackServer::port() const { return impl_->port; }

std::string LoopbackServer::url(std::string_view path) const { return url_with_host("127.0.0.1", path); }

std::string LoopbackServer::url_with_host(std::string_view host, std::string_view path) const {
    return std::string(impl_->tls_context ? "https://" : "http://") + std::string(host) + ":" +
           std::to_string(impl_->port) + std::string(path);
}

const SelfSignedCert& LoopbackServer::cert() const { return impl_->cert; }

void LoopbackServer::respond(ServerHandler handler) {
    impl_->set(Behaviour{Behaviour::Mode::respond, std::move(handler), {}});
}
void LoopbackServer::never_answer() { impl_->set(Behaviour{Behaviour::Mode::never_answer, {}, {}}); }
void LoopbackServer::close_immediately() { impl_->set(Behaviour{Behaviour::Mode::close_immediately, {}, {}}); }
void LoopbackServer::send_raw(std::string bytes) {
    impl_->set(Behaviour{Behaviour::Mode::send_raw, {}, std::move(bytes)});
}

std::size_t LoopbackServer::accepted_connections() const { return impl_->accepted.load(); }
std::size_t LoopbackServer::requests() const { return impl_->requests.load(); }

}  // namespace e2e::test
