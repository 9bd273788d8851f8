#include "e2e/victorialogs.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <thread>

#include "e2e/settings.hpp"
#include "e2e/sigv4.hpp"

namespace e2e {

namespace {

constexpr std::size_t kBodyExcerpt = 400;
constexpr std::size_t kHitsShown = 5;

std::string trimmed(std::string_view text, std::size_t max) {
    if (text.size() <= max) return std::string(text);
    return fmt::format("{}…({} more bytes)", text.substr(0, max), text.size() - max);
}

}  // namespace

std::string LogsWait::describe() const {
    std::string out = fmt::format("VictoriaLogs query {} {} after {} attempt(s) over {} ms; the last answer held {} record(s)", query,
                                  matched ? "matched" : "did not match", attempts, waited.count(), hits.size());
    const std::size_t shown = std::min(hits.size(), kHitsShown);
    for (std::size_t i = 0; i < shown; ++i) out += fmt::format("\n  [{}] {}", i, hits[i].excerpt(300));
    if (hits.size() > shown) out += fmt::format("\n  ... {} more", hits.size() - shown);
    if (!last_error.empty()) out += "\n  last error: " + last_error;
    return out;
}

namespace {

std::string checked_base_url(std::string base_url) {
    if (!parse_url(base_url)) throw std::invalid_argument(fmt::format("VictoriaLogs URL \"{}\" is not an http(s) URL", base_url));
    while (!base_url.empty() && base_url.back() == '/') base_url.pop_back();
    return base_url;
}

}  // namespace

VictoriaLogsClient::VictoriaLogsClient(std::string base_url)
    : base_url_(checked_base_url(std::move(base_url))), owned_(std::make_unique<HttpClient>()), http_(owned_.get()) {}

VictoriaLogsClient::VictoriaLogsClient(std::string base_url, HttpClient& http)
    : base_url_(checked_base_url(std::move(base_url))), http_(&http) {}

VictoriaLogsClient::~VictoriaLogsClient() = default;

HttpResponse VictoriaLogsClient::health() {
    return http_->send({.method = "GET", .url = base_url_ + "/health"}, std::chrono::milliseconds(30'000));
}

bool VictoriaLogsClient::healthy() {
    try {
        const auto response = health();
        return response.status == 200 || response.status == 204;
    } catch (const HttpError&) {
        return false;
    }
}

std::string VictoriaLogsClient::query_url(std::string_view logsql, const LogsQueryOptions& options) const {
    std::vector<std::pair<std::string, std::string>> args{{"query", std::string(logsql)},
                                                          {"limit", std::to_string(options.limit)}};
    if (options.start) args.emplace_back("start", format_logs_time(*options.start));
    if (options.end) args.emplace_back("end", format_logs_time(*options.end));
    return base_url_ + "/select/logsql/query?" + sigv4::encode_query(args);
}

std::vector<Json> VictoriaLogsClient::query(std::string_view logsql, const LogsQueryOptions& options) {
    const auto response = http_->send({.method = "GET", .url = query_url(logsql, options)}, options.timeout);
    if (response.status != 200) {
        throw VictoriaLogsError(fmt::format("GET {} -> {} {}; body: {}", response.url, response.status, response.reason,
                                            trimmed(response.body, kBodyExcerpt)),
                                response.status);
    }
    return parse_log_records(response.body);
}

std::vector<Json> VictoriaLogsClient::query(const LogFilters& filters, const LogsQueryOptions& options) {
    return query(build_logsql(filters), options);
}

LogsWait VictoriaLogsClient::wait_for_hits(std::string_view logsql, std::chrono::steady_clock::time_point deadline,
                                           const LogsWaitOptions& options, const Predicate& predicate) {
    using namespace std::chrono;
    const auto began = steady_clock::now();
    LogsWait wait;
    wait.query = std::string(logsql);
    const auto accepts = [&](const Json& hit) {
        if (!predicate) return true;
        try {
            return predicate(hit);
        } catch (const JsonError&) {
            return false;
        }
    };
    while (true) {
        ++wait.attempts;
        const auto remaining = duration_cast<milliseconds>(deadline - steady_clock::now());
        LogsQueryOptions query_options;
        query_options.start = options.start;
        query_options.limit = options.limit;
        query_options.timeout = std::clamp(remaining, milliseconds(1'000), milliseconds(30'000));
        try {
            wait.hits = query(logsql, query_options);
            wait.matched = wait.hits.size() >= std::max<std::size_t>(options.min_hits, 1) &&
                           std::any_of(wait.hits.begin(), wait.hits.end(), accepts);
        } catch (const std::exception& error) {  // HttpError or VictoriaLogsError: a miss, as in H6
            wait.last_error = error.what();
        }
        if (wait.matched) break;
        const auto now = steady_clock::now();
        if (now >= deadline) break;
        // Sleeping at most until the deadline leaves one last attempt right at it.
        std::this_thread::sleep_for(std::min<steady_clock::duration>(options.poll_interval, deadline - now));
    }
    wait.waited = duration_cast<milliseconds>(steady_clock::now() - began);
    return wait;
}

LogsWait VictoriaLogsClient::wait_for_hits(const LogFilters& filters, std::chrono::steady_clock::time_point deadline,
                                           const LogsWaitOptions& options, const Predicate& predicate) {
    return wait_for_hits(build_logsql(filters), deadline, options, predicate);
}

}  // namespace e2e
