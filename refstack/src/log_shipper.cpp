#include "log_shipper.hpp"

#include <fmt/format.h>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

#include "e2e/http.hpp"
#include "e2e/settings.hpp"

namespace refstack {

namespace {

constexpr std::string_view kInsertPath = "/insert/jsonline";
constexpr std::string_view kInsertArgs = "?_stream_fields=container_name,job&_msg_field=message&_time_field=_time";

std::string insert_url_for(const std::string& base) {
    const auto url = e2e::parse_url(base);
    if (!url) throw std::invalid_argument(fmt::format("the logs URL \"{}\" is not an http(s) URL", base));
    std::string target = url->target.substr(0, url->target.find('?'));
    while (!target.empty() && target.back() == '/') target.pop_back();
    if (!target.ends_with(kInsertPath)) target += kInsertPath;
    return url->origin() + target + std::string(kInsertArgs);
}

}  // namespace

struct HttpLogShipper::Impl {
    explicit Impl(LogShipperOptions opts)
        : options(std::move(opts)),
          url(insert_url_for(options.victorialogs_url)),
          http(e2e::HttpClientOptions{.connect_timeout = options.connect_timeout,
                                      .request_timeout = options.request_timeout,
                                      .max_idle_per_host = 2}) {
        if (options.max_queue == 0) options.max_queue = 1;
        if (options.max_batch == 0) options.max_batch = 1;
    }

    void run() {
        std::vector<e2e::Json> batch;
        while (true) {
            {
                std::unique_lock lock(mutex);
                wake.wait(lock, [&] { return stopping || !queue.empty(); });
                if (stopping) return;
                const std::size_t n = std::min(queue.size(), options.max_batch);
                batch.assign(std::make_move_iterator(queue.begin()), std::make_move_iterator(queue.begin() + static_cast<std::ptrdiff_t>(n)));
                queue.erase(queue.begin(), queue.begin() + static_cast<std::ptrdiff_t>(n));
            }
            const bool ok = send(batch);
            {
                std::lock_guard lock(mutex);
                (ok ? stats.shipped : stats.failed) += batch.size();
                completed += batch.size();
            }
            done.notify_all();
            batch.clear();
        }
    }

    // One request with one JSON line per record; any failure is swallowed (fire-and-forget).
    bool send(const std::vector<e2e::Json>& batch) {
        try {
            std::string body;
            for (const auto& record : batch) {
                body += record.dump();
                body += '\n';
            }
            const auto response = http.send({.method = "POST",
                                             .url = url,
                                             .headers = {{"Content-Type", "application/json"}},
                                             .body = std::move(body)});
            return response.status >= 200 && response.status < 300;
        } catch (const std::exception&) {
            return false;
        }
    }

    LogShipperOptions options;
    std::string url;
    e2e::HttpClient http;

    mutable std::mutex mutex;
    std::condition_variable wake;  // the sender: records queued or stopping
    std::condition_variable done;  // flush(): records completed
    std::deque<e2e::Json> queue;
    LogShipperStats stats;
    std::uint64_t accepted = 0;   // every emit() call
    std::uint64_t completed = 0;  // shipped + failed + dropped
    bool stopping = false;
    std::thread sender;
};

HttpLogShipper::HttpLogShipper(LogShipperOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {
    impl_->sender = std::thread([impl = impl_.get()] { impl->run(); });
}

HttpLogShipper::~HttpLogShipper() {
    flush(impl_->options.shutdown_flush);
    {
        std::lock_guard lock(impl_->mutex);
        impl_->stopping = true;
        impl_->stats.dropped += impl_->queue.size();
        impl_->queue.clear();
    }
    impl_->wake.notify_all();
    if (impl_->sender.joinable()) impl_->sender.join();
}

void HttpLogShipper::emit(const e2e::Json& record) {
    try {
        bool dropped = false;
        bool queued = false;
        {
            std::lock_guard lock(impl_->mutex);
            ++impl_->accepted;
            ++impl_->stats.emitted;
            if (!record.is_object() || impl_->stopping) {
                dropped = true;
            } else {
                if (impl_->queue.size() >= impl_->options.max_queue) {
                    impl_->queue.pop_front();
                    dropped = true;
                }
                impl_->queue.push_back(record);
                queued = true;
            }
            if (dropped) {
                ++impl_->stats.dropped;
                ++impl_->completed;
            }
        }
        if (queued) impl_->wake.notify_one();
        if (dropped) impl_->done.notify_all();
    } catch (...) {  // NOLINT(bugprone-empty-catch): emit() must never throw (LogSink contract)
    }
}

bool HttpLogShipper::flush(std::chrono::milliseconds timeout) {
    std::unique_lock lock(impl_->mutex);
    const std::uint64_t target = impl_->accepted;
    return impl_->done.wait_for(lock, timeout, [&] { return impl_->completed >= target; });
}

LogShipperStats HttpLogShipper::stats() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->stats;
}

const std::string& HttpLogShipper::insert_url() const noexcept { return impl_->url; }

}  // namespace refstack
