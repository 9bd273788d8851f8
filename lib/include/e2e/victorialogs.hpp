// The suite's VictoriaLogs client (contract 1.10 and helpers H6-H8): LogsQL built from ordered
// field filters, NDJSON answers read as the Python suite reads them (bad lines skipped, only
// objects kept), and a wait with an explicit deadline that reports what it last saw.
//
//   e2e::VictoriaLogsClient logs(settings.str("VICTORIALOGS_URL"));
//   auto wait = logs.wait_for_hits({{"trace_id", root}, {"container_name", "lambda-echo"}},
//                                  std::chrono::steady_clock::now() + 45s, {}, [](const e2e::Json& hit) {
//                                      return e2e::log_message(hit).value_or("").find("Echo: from-chain") != std::string::npos;
//                                  });
//   REQUIRE(wait.matched);  // on failure: INFO(wait.describe())
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "e2e/http.hpp"
#include "e2e/json.hpp"

namespace e2e {

// Ordered (field, value) pairs: the Python suite's filter dict in insertion order.
using LogFilters = std::vector<std::pair<std::string, std::string>>;

// A LogsQL quoted string: `"` + value with `\` and `"` escaped (control characters as \n, \r,
// \t or \u00XX) + `"`.
std::string logsql_quote(std::string_view value);
// `k1:"v1" AND k2:"v2"` in order; a field name that is not a plain word is quoted too. No
// filters gives `*`.
std::string build_logsql(const LogFilters& filters);
// `YYYY-MM-DDTHH:MM:SSZ` (UTC, whole seconds, truncated): the suite's `start` format.
std::string format_logs_time(std::chrono::system_clock::time_point time);

// The records of a query answer (NDJSON): its JSON object lines in order. Blank lines, lines that
// are not JSON and JSON values that are not objects are skipped, as the Python suite skips them (H6).
std::vector<Json> parse_log_records(std::string_view body);

// The record's message as the suite reads it: `message` when it is a string, else `_msg`.
std::optional<std::string> log_message(const Json& hit);

// A query answered with a status other than 200. The message names the URL, the status and the
// trimmed body.
class VictoriaLogsError : public std::runtime_error {
public:
    VictoriaLogsError(const std::string& message, int status) : std::runtime_error(message), status_(status) {}
    int status() const noexcept { return status_; }

private:
    int status_;
};

struct LogsQueryOptions {
    std::optional<std::chrono::system_clock::time_point> start;  // sent as `start` when set
    std::optional<std::chrono::system_clock::time_point> end;    // sent as `end` when set
    int limit = 100;
    std::chrono::milliseconds timeout{30'000};  // HTTP timeout of one query
};

struct LogsWaitOptions {
    std::size_t min_hits = 1;
    std::chrono::milliseconds poll_interval{500};
    std::optional<std::chrono::system_clock::time_point> start;
    int limit = 100;
};

// What wait_for_hits() saw. `hits` are the last successful answer's records (kept even when the
// wait failed, unlike H6, so a failure can show them).
struct LogsWait {
    std::string query;
    std::vector<Json> hits;
    bool matched = false;
    int attempts = 0;
    std::string last_error;  // the last transport error or non-200 answer; empty when none
    std::chrono::milliseconds waited{0};

    // One paragraph for a failure message: query, attempts, time, what the last answer held.
    std::string describe() const;
};

class VictoriaLogsClient {
public:
    using Predicate = std::function<bool(const Json& hit)>;

    // `base_url`: http(s)://host:port (a trailing slash is ignored). Throws std::invalid_argument
    // naming it when it is not such a URL. Owns an HttpClient.
    explicit VictoriaLogsClient(std::string base_url);
    // Shares `http` (not owned; must outlive this client).
    VictoriaLogsClient(std::string base_url, HttpClient& http);
    ~VictoriaLogsClient();
    VictoriaLogsClient(const VictoriaLogsClient&) = delete;
    VictoriaLogsClient& operator=(const VictoriaLogsClient&) = delete;

    // GET /health (30 s). Throws HttpError when no answer arrives.
    HttpResponse health();
    // 200 or 204 (what SMK-002 accepts); false when no answer arrives.
    bool healthy();

    // One query (H6's single attempt). Throws VictoriaLogsError for a non-200 answer and HttpError
    // when none arrives. Records are the answer's JSON object lines; other lines are skipped.
    std::vector<Json> query(std::string_view logsql, const LogsQueryOptions& options = {});
    std::vector<Json> query(const LogFilters& filters, const LogsQueryOptions& options = {});

    // H7 with an explicit deadline: queries until `min_hits` records arrive of which at least one
    // satisfies `predicate` (any, when none is given), sleeping poll_interval between attempts;
    // errors and non-200 answers count as misses. At least one attempt is always made. A predicate
    // that throws JsonError (a strict getter on a missing field) rejects that hit.
    LogsWait wait_for_hits(std::string_view logsql, std::chrono::steady_clock::time_point deadline,
                           const LogsWaitOptions& options = {}, const Predicate& predicate = {});
    LogsWait wait_for_hits(const LogFilters& filters, std::chrono::steady_clock::time_point deadline,
                           const LogsWaitOptions& options = {}, const Predicate& predicate = {});

    // The full query URL (arguments percent-encoded), for failure messages and curl lines.
    std::string query_url(std::string_view logsql, const LogsQueryOptions& options = {}) const;
    const std::string& base_url() const noexcept { return base_url_; }

private:
    std::string base_url_;
    std::unique_ptr<HttpClient> owned_;
    HttpClient* http_;
};

}  // namespace e2e
