// The production LogSink: ships records to the logs service (VictoriaLogs' `/insert/jsonline`)
// from a background thread, fire-and-forget as ESB's producers do (contract 1.10): emit() never
// blocks on the network, a full queue drops its oldest record, send failures are counted and
// swallowed.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "log_sink.hpp"

namespace refstack {

struct LogShipperOptions {
    // VictoriaLogs base URL (http://127.0.0.1:9428) or the full insert URL; `/insert/jsonline` is
    // appended when missing, then `?_stream_fields=container_name,job&_msg_field=message&_time_field=_time`.
    std::string victorialogs_url;
    std::size_t max_queue = 10'000;      // records waiting; beyond it the oldest is dropped
    std::size_t max_batch = 100;         // records per request (one JSON line each)
    std::chrono::milliseconds connect_timeout{1'000};
    std::chrono::milliseconds request_timeout{3'000};
    std::chrono::milliseconds shutdown_flush{2'000};  // how long the destructor waits for the queue
};

struct LogShipperStats {
    std::uint64_t emitted = 0;   // accepted by emit()
    std::uint64_t shipped = 0;   // in a request the logs service answered 2xx
    std::uint64_t dropped = 0;   // evicted from a full queue, or not a JSON object
    std::uint64_t failed = 0;    // in a request that failed or got a non-2xx answer
};

class HttpLogShipper final : public LogSink {
public:
    // Throws std::invalid_argument naming the URL when it is not an http(s) URL.
    explicit HttpLogShipper(LogShipperOptions options);
    ~HttpLogShipper() override;  // waits up to shutdown_flush for the queue, then stops
    HttpLogShipper(const HttpLogShipper&) = delete;
    HttpLogShipper& operator=(const HttpLogShipper&) = delete;

    void emit(const e2e::Json& record) override;

    // Waits until every record emitted so far has been sent (or failed); false on timeout.
    bool flush(std::chrono::milliseconds timeout);

    LogShipperStats stats() const;
    const std::string& insert_url() const noexcept;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace refstack
