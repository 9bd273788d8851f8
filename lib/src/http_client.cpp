// HttpClient on Boost.Beast — the one library file that includes Beast/Asio.
//
// Each connection owns a single-threaded io_context that the calling thread runs until the
// operation completes or its deadline passes (then the socket is closed and the aborted handlers
// drained). Concurrent send() calls therefore never share an io_context, need no background
// thread and pay no thread hop per request; only idle-pool bookkeeping takes a lock.
#include "e2e/http.hpp"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <future>
#include <iterator>
#include <limits>
#include <mutex>
#include <unordered_map>
#include <variant>

// At -O2 GCC's flow analysis reports Asio's inlined thread-info casts as possible null
// dereferences (false positives inside Boost); silence that one warning for the Boost headers.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/parse.hpp>
#pragma GCC diagnostic pop
#include <fmt/format.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

namespace e2e {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
namespace urls = boost::urls;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using BeastRequest = http::request<http::string_body>;
using ResponseParser = http::response_parser<http::string_body>;

constexpr std::string_view kUserAgent = "esb-e2e/0.1";

bool equals_ignore_case(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

// Builds the HttpError messages: "<METHOD> <URL, secrets masked>: <detail>".
class Failure {
public:
    Failure(std::string_view method, std::string_view url) : method_(method), url_(url) {}
    [[noreturn]] void raise(HttpError::Kind kind, std::string_view detail) const {
        throw HttpError(kind, fmt::format("{}: {}", request(), detail));
    }
    // For messages that read better with the request in the middle.
    [[noreturn]] void raise_message(HttpError::Kind kind, std::string message) const { throw HttpError(kind, std::move(message)); }
    std::string request() const { return fmt::format("{} {}", method_, redact_url(url_)); }

private:
    std::string_view method_;
    std::string_view url_;
};

// Where a request goes, from its absolute URL.
struct Target {
    bool tls = false;
    std::string host;         // for connecting, SNI and certificate checks: no brackets, decoded
    bool host_is_ip = false;  // IP literals are neither resolved nor sent as SNI
    std::uint16_t port = 0;
    std::string host_header;  // host, or host:port when the port is not the scheme's default
    std::string request_target;
    std::string pool_key;
};

Target parse_target(std::string_view url, const Failure& failure) {
    auto parsed = urls::parse_uri(url);
    if (!parsed) failure.raise(HttpError::Kind::invalid_url, fmt::format("not an absolute URL ({})", parsed.error().message()));
    const urls::url_view& u = *parsed;

    Target target;
    if (u.scheme_id() == urls::scheme::https) {
        target.tls = true;
    } else if (u.scheme_id() != urls::scheme::http) {
        failure.raise(HttpError::Kind::invalid_url, fmt::format("unsupported scheme '{}' (http and https only)", std::string_view(u.scheme())));
    }
    if (u.has_userinfo()) {
        failure.raise(HttpError::Kind::invalid_url, "credentials in the URL are not supported; send an Authorization header");
    }
    switch (u.host_type()) {
        case urls::host_type::ipv4:
        case urls::host_type::ipv6: target.host_is_ip = true; break;
        case urls::host_type::name: break;
        default: failure.raise(HttpError::Kind::invalid_url, "no usable host");
    }
    target.host = u.host_address();
    if (target.host.empty()) failure.raise(HttpError::Kind::invalid_url, "empty host");

    std::uint16_t default_port = target.tls ? 443 : 80;
    target.port = default_port;
    std::string_view port_text = u.port();
    if (!port_text.empty()) {
        unsigned value = 0;
        auto [end, error] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
        if (error != std::errc{} || end != port_text.data() + port_text.size() || value == 0 || value > 65535) {
            failure.raise(HttpError::Kind::invalid_url, fmt::format("port '{}' is not in 1..65535", port_text));
        }
        target.port = static_cast<std::uint16_t>(value);
    }

    target.host_header = std::string(u.encoded_host());  // keeps the brackets of IPv6 literals
    if (target.port != default_port) target.host_header += fmt::format(":{}", target.port);
    target.request_target = u.encoded_path().empty() ? "/" : std::string(u.encoded_path());
    if (u.has_query()) target.request_target += fmt::format("?{}", std::string_view(u.encoded_query()));
    target.pool_key = fmt::format("{}://{}:{}", target.tls ? "https" : "http", target.host, target.port);
    return target;
}

bool is_token(std::string_view text) {
    static constexpr std::string_view kTokenSymbols = "!#$%&'*+-.^_`|~";
    return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || kTokenSymbols.find(c) != std::string_view::npos;
    });
}

bool is_header_value(std::string_view text) {
    return std::none_of(text.begin(), text.end(), [](char c) { return c == '\r' || c == '\n' || c == '\0'; });
}

BeastRequest build_request(const HttpRequest& request, const Target& target, const Failure& failure) {
    if (!is_token(request.method)) failure.raise(HttpError::Kind::invalid_request, "the method is not an HTTP token");
    BeastRequest out;
    out.method_string(request.method);
    out.target(target.request_target);
    out.version(11);

    bool has_host = false, has_user_agent = false, has_length = false;
    for (const auto& [name, value] : request.headers) {
        if (!is_token(name)) failure.raise(HttpError::Kind::invalid_request, fmt::format("header name '{}' is not an HTTP token", name));
        // The value is not printed: it may be a secret.
        if (!is_header_value(value)) failure.raise(HttpError::Kind::invalid_request, fmt::format("header '{}' has CR, LF or NUL in its value", name));
        has_host = has_host || equals_ignore_case(name, "host");
        has_user_agent = has_user_agent || equals_ignore_case(name, "user-agent");
        has_length = has_length || equals_ignore_case(name, "content-length") || equals_ignore_case(name, "transfer-encoding");
    }
    // Defaults first so that the caller's headers win.
    if (!has_host) out.set(http::field::host, target.host_header);
    if (!has_user_agent) out.set(http::field::user_agent, kUserAgent);
    for (const auto& [name, value] : request.headers) out.insert(name, value);
    bool method_has_body = request.method == "POST" || request.method == "PUT" || request.method == "PATCH";
    if (!has_length && (!request.body.empty() || method_has_body)) out.content_length(request.body.size());
    out.body() = request.body;
    return out;
}

bool same_category(const beast::error_code& error, const boost::system::error_category& category) {
    return error.category() == category;
}
const boost::system::error_category& http_category() { return http::make_error_code(http::error::end_of_stream).category(); }

// A TCP or TLS connection with its own io_context (see the file comment).
class Connection {
public:
    using Stream = std::variant<tcp::socket, ssl::stream<tcp::socket>>;

    explicit Connection(ssl::context* tls)
        : stream_(tls ? Stream(std::in_place_index<1>, io_, *tls) : Stream(std::in_place_index<0>, io_)) {}

    tcp::socket& socket() {
        return std::visit([](auto& stream) -> tcp::socket& { return beast::get_lowest_layer(stream); }, stream_);
    }
    ssl::stream<tcp::socket>* tls() { return std::get_if<1>(&stream_); }
    template <class Visitor>
    decltype(auto) visit(Visitor&& visitor) { return std::visit(std::forward<Visitor>(visitor), stream_); }
    beast::flat_buffer& buffer() { return buffer_; }

    // Runs the started operations until `done` or the deadline. On timeout the socket is closed
    // and the aborted handlers run here, so none outlives the state it refers to.
    bool run_until(Clock::time_point deadline, const bool& done) {
        io_.restart();
        io_.run_until(deadline);
        if (done) return true;
        beast::error_code ignored;
        socket().close(ignored);
        io_.restart();
        io_.run();
        return false;
    }

private:
    asio::io_context io_{1};
    Stream stream_;
    beast::flat_buffer buffer_;
};

// Transport errors that mean "the server closed this idle connection": safe to retry once.
bool is_stale_connection_error(const beast::error_code& error) {
    return error == http::error::end_of_stream || error == asio::error::eof || error == asio::error::connection_reset ||
           error == asio::error::broken_pipe || error == asio::error::connection_aborted ||
           error == ssl::error::stream_truncated;
}

// Not movable (Beast parsers are not): filled in place by HttpClient::Impl::exchange.
struct ExchangeOutcome {
    bool timed_out = false;
    beast::error_code error;  // write or read error when not timed out
    bool got_response_bytes = false;
    std::optional<ResponseParser> parser;
};

}  // namespace

struct HttpClient::Impl {
    explicit Impl(HttpClientOptions client_options) : options(std::move(client_options)) {
        tls_context.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                                ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
        if (options.verify_tls) {
            tls_context.set_verify_mode(ssl::verify_peer);
            beast::error_code error;
            if (options.ca_file.empty()) {
                tls_context.set_default_verify_paths(error);
            } else {
                tls_context.load_verify_file(options.ca_file, error);
            }
            if (error) {
                throw HttpError(HttpError::Kind::tls, fmt::format("cannot load the CA {} '{}': {}",
                                                                  options.ca_file.empty() ? "store" : "file",
                                                                  options.ca_file, error.message()));
            }
        } else {
            tls_context.set_verify_mode(ssl::verify_none);
        }
    }

    HttpResponse send(const HttpRequest& request, std::chrono::milliseconds timeout);

    std::unique_ptr<Connection> take_idle(const std::string& key) {
        std::lock_guard lock(pool_mutex);
        auto found = idle.find(key);
        if (found == idle.end() || found->second.empty()) return nullptr;
        auto connection = std::move(found->second.back());  // most recent: least likely timed out by the server
        found->second.pop_back();
        // Bytes that arrived while idle (a 408, say) are not the answer to the next request.
        beast::error_code error;
        if (connection->socket().available(error) > 0 || error) return nullptr;
        return connection;
    }

    void give_back(const std::string& key, std::unique_ptr<Connection> connection) {
        std::lock_guard lock(pool_mutex);
        auto& connections = idle[key];
        if (connections.size() < options.max_idle_per_host) connections.push_back(std::move(connection));
        else connection.reset();
    }

    tcp::resolver::results_type resolve(const Target& target, Clock::time_point deadline, std::string_view limit,
                                        const Failure& failure);
    std::unique_ptr<Connection> open(const Target& target, Clock::time_point request_deadline,
                                     std::chrono::milliseconds request_timeout, const Failure& failure);
    void exchange(Connection& connection, BeastRequest& request, Clock::time_point deadline, ExchangeOutcome& outcome);

    HttpClientOptions options;
    ssl::context tls_context{ssl::context::tls_client};
    std::atomic<std::size_t> connections_opened{0};
    std::atomic<ExchangeLog*> recorder{nullptr};

    std::mutex pool_mutex;
    std::unordered_map<std::string, std::vector<std::unique_ptr<Connection>>> idle;

    // getaddrinfo cannot be cancelled; it runs here so that send() can give up at its deadline.
    std::once_flag resolver_started;
    std::optional<asio::thread_pool> resolver_threads;
};

tcp::resolver::results_type HttpClient::Impl::resolve(const Target& target, Clock::time_point deadline,
                                                      std::string_view limit, const Failure& failure) {
    std::call_once(resolver_started, [this] { resolver_threads.emplace(2); });
    struct Resolution {
        std::promise<tcp::resolver::results_type> promise;
    };
    auto resolution = std::make_shared<Resolution>();
    auto result = resolution->promise.get_future();
    asio::post(*resolver_threads, [resolution, executor = resolver_threads->get_executor(), host = target.host,
                                   port = std::to_string(target.port)] {
        tcp::resolver resolver(executor);
        beast::error_code error;
        auto endpoints = resolver.resolve(host, port, error);
        if (error) {
            resolution->promise.set_exception(std::make_exception_ptr(boost::system::system_error(error)));
        } else {
            resolution->promise.set_value(std::move(endpoints));
        }
    });
    if (result.wait_until(deadline) != std::future_status::ready) {
        failure.raise(HttpError::Kind::timeout, fmt::format("resolving '{}' timed out after {}", target.host, limit));
    }
    try {
        return result.get();
    } catch (const boost::system::system_error& error) {
        failure.raise(HttpError::Kind::resolve, fmt::format("cannot resolve '{}': {}", target.host, error.code().message()));
    }
}

std::unique_ptr<Connection> HttpClient::Impl::open(const Target& target, Clock::time_point request_deadline,
                                                   std::chrono::milliseconds request_timeout, const Failure& failure) {
    auto connect_deadline = std::min(request_deadline, Clock::now() + options.connect_timeout);
    bool connect_limit = connect_deadline < request_deadline;
    std::string limit = connect_limit ? fmt::format("{} ms (connect_timeout)", options.connect_timeout.count())
                                      : fmt::format("{} ms (request timeout)", request_timeout.count());
    auto endpoints = target.host_is_ip
                         ? tcp::resolver::results_type::create(tcp::endpoint(asio::ip::make_address(target.host), target.port),
                                                                target.host, std::to_string(target.port))
                         : resolve(target, connect_deadline, limit, failure);

    auto connection = std::make_unique<Connection>(target.tls ? &tls_context : nullptr);
    if (auto* tls = connection->tls()) {
        SSL* handle = tls->native_handle();
        // SSL_set_tlsext_host_name is a macro with a C cast; this is what it expands to.
        if (!target.host_is_ip &&
            SSL_ctrl(handle, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name, const_cast<char*>(target.host.c_str())) != 1) {
            failure.raise(HttpError::Kind::tls, "cannot set the TLS server name");
        }
        if (options.verify_tls) {
            int ok = target.host_is_ip ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(handle), target.host.c_str())
                                       : SSL_set1_host(handle, target.host.c_str());
            if (ok != 1) failure.raise(HttpError::Kind::tls, "cannot set the expected certificate host name");
        }
    }

    enum class Stage { connecting, handshaking, done };
    Stage stage = Stage::connecting;
    beast::error_code error;
    bool done = false;
    asio::async_connect(connection->socket(), endpoints, [&](const beast::error_code& connect_error, const tcp::endpoint&) {
        if (connect_error) {
            error = connect_error;
            done = true;
            return;
        }
        connections_opened.fetch_add(1, std::memory_order_relaxed);
        beast::error_code ignored;
        connection->socket().set_option(tcp::no_delay(true), ignored);  // requests are one write each: no Nagle delay
        auto* tls = connection->tls();
        if (!tls) {
            stage = Stage::done;
            done = true;
            return;
        }
        stage = Stage::handshaking;
        tls->async_handshake(ssl::stream_base::client, [&](const beast::error_code& handshake_error) {
            error = handshake_error;
            stage = Stage::done;
            done = true;
        });
    });

    std::string where = fmt::format("{}:{}", target.host, target.port);
    if (!connection->run_until(connect_deadline, done)) {
        failure.raise(HttpError::Kind::timeout,
                      fmt::format("{} {} timed out after {}",
                                  stage == Stage::handshaking ? "TLS handshake with" : "connecting to", where, limit));
    }
    if (error && stage == Stage::connecting) {
        failure.raise(HttpError::Kind::connect, fmt::format("cannot connect to {}: {}", where, error.message()));
    }
    if (error) {
        std::string reason = error.message();
        long verify = SSL_get_verify_result(connection->tls()->native_handle());
        if (verify != X509_V_OK) reason += fmt::format(" ({})", X509_verify_cert_error_string(verify));
        failure.raise(HttpError::Kind::tls, fmt::format("TLS handshake with {} failed: {}", where, reason));
    }
    return connection;
}

void HttpClient::Impl::exchange(Connection& connection, BeastRequest& request, Clock::time_point deadline,
                                ExchangeOutcome& outcome) {
    bool head = request.method() == http::verb::head;
    auto new_parser = [&] {
        outcome.parser.emplace();
        outcome.parser->body_limit(static_cast<std::uint64_t>(options.max_response_body));
        outcome.parser->header_limit(static_cast<std::uint32_t>(
            std::min<std::size_t>(options.max_response_header, std::numeric_limits<std::uint32_t>::max())));
        if (head) outcome.parser->skip(true);  // a HEAD response has headers but no body
    };
    new_parser();

    bool done = false;
    // One response into the current parser; sets `done` when it is in or has failed.
    const auto read_response = [&](auto& stream) {
        http::async_read(stream, connection.buffer(), *outcome.parser, [&](const beast::error_code& read_error, std::size_t) {
            outcome.error = read_error;
            done = true;
        });
    };
    connection.visit([&](auto& stream) {
        http::async_write(stream, request, [&](const beast::error_code& write_error, std::size_t) {
            if (write_error) {
                outcome.error = write_error;
                done = true;
                return;
            }
            read_response(stream);
        });
    });
    if (!connection.run_until(deadline, done)) {
        outcome.timed_out = true;
        return;
    }

    // Interim 1xx responses (100 Continue, 103 Early Hints) precede the real one.
    while (!outcome.error && outcome.parser->get().result_int() / 100 == 1 && outcome.parser->get().result_int() != 101) {
        new_parser();
        done = false;
        connection.visit(read_response);
        if (!connection.run_until(deadline, done)) {
            outcome.timed_out = true;
            return;
        }
    }
    outcome.got_response_bytes = outcome.parser->got_some() || connection.buffer().size() > 0;
}

HttpResponse HttpClient::Impl::send(const HttpRequest& request, std::chrono::milliseconds timeout) {
    auto started = Clock::now();
    auto deadline = started + timeout;
    Failure failure(request.method, request.url);
    ExchangeLog* log = recorder.load(std::memory_order_acquire);

    auto record_failure = [&](const std::vector<std::pair<std::string, std::string>>& sent_headers, const HttpError& error) {
        if (!log) return;
        log->add(Exchange{request.method, request.url, sent_headers, request.body, std::nullopt, {}, {},
                          std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - started), error.what()});
    };

    Target target;
    BeastRequest beast_request;
    try {
        target = parse_target(request.url, failure);
        beast_request = build_request(request, target, failure);
    } catch (const HttpError& error) {
        record_failure(request.headers, error);
        throw;
    }

    auto sent_headers = [&] {
        std::vector<std::pair<std::string, std::string>> headers;
        for (const auto& field : beast_request) headers.emplace_back(field.name_string(), field.value());
        return headers;
    };

    try {
        auto connection = take_idle(target.pool_key);
        bool reused = connection != nullptr;
        if (!connection) connection = open(target, deadline, timeout, failure);
        ExchangeOutcome first, retry;
        exchange(*connection, beast_request, deadline, first);
        ExchangeOutcome& outcome = (reused && !first.timed_out && first.error && !first.got_response_bytes &&
                                    is_stale_connection_error(first.error))
                                       ? retry
                                       : first;
        if (&outcome == &retry) {
            // The server closed the idle connection before answering this request: retry once, fresh.
            connection = open(target, deadline, timeout, failure);
            exchange(*connection, beast_request, deadline, retry);
        }

        if (outcome.timed_out) {
            failure.raise(HttpError::Kind::timeout,
                          fmt::format("no complete response within {} ms (request timeout)", timeout.count()));
        }
        const beast::error_code& error = outcome.error;
        if (error == http::error::body_limit) {
            failure.raise_message(HttpError::Kind::too_large, fmt::format("response body from {} exceeds {} bytes (max_response_body)",
                                                                          failure.request(), options.max_response_body));
        }
        if (error == http::error::header_limit) {
            failure.raise_message(HttpError::Kind::too_large, fmt::format("response header from {} exceeds {} bytes (max_response_header)",
                                                                          failure.request(), options.max_response_header));
        }
        if (!outcome.got_response_bytes && is_stale_connection_error(error)) {
            failure.raise(HttpError::Kind::io,
                          fmt::format("the server closed the connection without responding ({})", error.message()));
        }
        if (error == http::error::partial_message) {
            failure.raise(HttpError::Kind::io, "the server closed the connection in the middle of the response");
        }
        if (error && same_category(error, http_category())) {
            failure.raise_message(HttpError::Kind::protocol,
                                  fmt::format("malformed HTTP response from {}: {}", failure.request(), error.message()));
        }
        if (error && (same_category(error, asio::error::get_ssl_category()) ||
                      same_category(error, ssl::error::get_stream_category()))) {
            failure.raise(HttpError::Kind::tls, fmt::format("TLS error while exchanging: {}", error.message()));
        }
        if (error) failure.raise(HttpError::Kind::io, fmt::format("I/O error: {}", error.message()));

        ResponseParser& parser = *outcome.parser;
        bool reusable = parser.get().keep_alive() && !parser.need_eof() && parser.get().result_int() != 101 &&
                        connection->buffer().size() == 0;
        auto message = parser.release();

        HttpResponse response;
        response.status = static_cast<int>(message.result_int());
        response.reason = std::string(message.reason());
        response.headers.reserve(static_cast<std::size_t>(std::distance(message.begin(), message.end())));
        for (const auto& field : message) response.headers.emplace_back(field.name_string(), field.value());
        response.body = std::move(message.body());
        response.url = request.url;
        response.method = request.method;
        response.elapsed = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - started);

        if (reusable) give_back(target.pool_key, std::move(connection));
        if (log) {
            log->add(Exchange{request.method, request.url, sent_headers(), request.body, response.status,
                              response.headers, response.body, response.elapsed, {}});
        }
        return response;
    } catch (const HttpError& error) {
        record_failure(sent_headers(), error);
        throw;
    }
}

std::optional<std::string> find_header(const Headers& headers, std::string_view name) {
    for (const auto& [key, value] : headers) {
        if (equals_ignore_case(key, name)) return value;
    }
    return std::nullopt;
}

std::string_view to_string(HttpError::Kind kind) {
    switch (kind) {
        case HttpError::Kind::invalid_url: return "invalid_url";
        case HttpError::Kind::invalid_request: return "invalid_request";
        case HttpError::Kind::resolve: return "resolve";
        case HttpError::Kind::connect: return "connect";
        case HttpError::Kind::tls: return "tls";
        case HttpError::Kind::timeout: return "timeout";
        case HttpError::Kind::protocol: return "protocol";
        case HttpError::Kind::too_large: return "too_large";
        case HttpError::Kind::io: return "io";
    }
    return "unknown";
}

HttpClient::HttpClient(HttpClientOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
HttpClient::~HttpClient() = default;

HttpResponse HttpClient::send(const HttpRequest& request, std::optional<std::chrono::milliseconds> timeout) {
    return impl_->send(request, timeout.value_or(impl_->options.request_timeout));
}

HttpResponse HttpClient::get(std::string url, Headers headers) {
    return send(HttpRequest{"GET", std::move(url), std::move(headers), {}});
}

HttpResponse HttpClient::post(std::string url, std::string body, Headers headers) {
    return send(HttpRequest{"POST", std::move(url), std::move(headers), std::move(body)});
}

void HttpClient::set_recorder(ExchangeLog* log) { impl_->recorder.store(log, std::memory_order_release); }

std::size_t HttpClient::connections_opened() const { return impl_->connections_opened.load(std::memory_order_relaxed); }

const HttpClientOptions& HttpClient::options() const { return impl_->options; }

}  // namespace e2e
