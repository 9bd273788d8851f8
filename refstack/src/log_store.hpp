// The refstack's VictoriaLogs storage: a bounded, thread-safe, in-memory list of flat records
// (contract 1.10), plus the ingestion rules that turn a JSON object into such a record the way
// VictoriaLogs does (see docs/refstack-logs.md).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "e2e/json.hpp"
#include "logsql.hpp"

namespace refstack {

struct LogRecord {
    std::int64_t time_ns = 0;  // _time, Unix nanoseconds (UTC)
    std::string stream;        // _stream: {container_name="esb-gateway",job="services"}
    LogFields fields;          // `_msg` first, then the other fields in ingestion order; no _time/_stream

    std::optional<std::string_view> field(std::string_view name) const;
};

// VictoriaLogs' ingestion parameters (`_stream_fields`, `_msg_field`, `_time_field`; each a
// comma-separated list where the first field present wins).
struct IngestOptions {
    std::vector<std::string> stream_fields;
    std::vector<std::string> msg_fields;                 // empty: only a field named `_msg` is the message
    std::vector<std::string> time_fields{"_time"};
};

// VictoriaLogs' value for a record without a message field.
inline constexpr std::string_view kMissingMsgValue =
    "missing _msg field; see https://docs.victoriametrics.com/victorialogs/keyconcepts/#message-field";

// One JSON object -> one record, as VictoriaLogs ingests it: nested objects are flattened into
// dotted names (`{"a":{"b":1}}` -> `a.b`), numbers/booleans/arrays become their JSON text, empty
// strings and nulls are dropped (VictoriaLogs treats empty as missing), the first message field
// becomes `_msg`, the first time field becomes `_time` (RFC 3339 or Unix s/ms/µs/ns; missing, "",
// "0" or "-" mean `now_ns`) and the stream fields render `_stream`. Throws std::invalid_argument
// naming the field for a non-object, an unparsable time or nesting deeper than kMaxNesting.
inline constexpr std::size_t kMaxNesting = 64;
LogRecord record_from_json(const e2e::Json& object, const IngestOptions& options, std::int64_t now_ns);

// A record as one line of a query answer: {"_time":"...","_stream":"...","_msg":"...",<fields>},
// every value a JSON string; invalid UTF-8 becomes U+FFFD so the line always parses.
std::string render_record_json(const LogRecord& record);

// RFC 3339 with nanoseconds, trailing zeros trimmed: 2024-03-01T10:00:00.123Z (VictoriaLogs' _time).
std::string format_rfc3339_nano(std::int64_t unix_ns);
// `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`; `t`/space separators and a missing zone (UTC) are
// accepted. nullopt when malformed or outside 1678..2261.
std::optional<std::int64_t> parse_rfc3339_nano(std::string_view text);
// VictoriaLogs' time values: RFC 3339 as above, `YYYY-MM-DD`, or a Unix timestamp (seconds with an
// optional fraction, or integer milliseconds / microseconds / nanoseconds by magnitude).
std::optional<std::int64_t> parse_log_time(std::string_view text);

struct LogSelect {
    std::optional<std::int64_t> start_ns;  // _time >= start
    std::optional<std::int64_t> end_ns;    // _time <= end
    std::size_t limit = 1000;              // at most this many (0: no limit)
};

// Thread-safe. When full, the oldest records (by arrival) are dropped.
class LogStore {
public:
    static constexpr std::size_t kDefaultCapacity = 200'000;

    explicit LogStore(std::size_t capacity = kDefaultCapacity);

    void add(LogRecord record);
    void add(std::vector<LogRecord> records);

    // Matching records: the newest `limit` (by arrival), answered oldest first by _time.
    std::vector<LogRecord> select(const LogsQuery& query, const LogSelect& select = {}) const;

    std::size_t size() const;
    std::uint64_t dropped() const;  // evicted because the store was full
    void clear();

private:
    void add_locked(LogRecord record);

    std::size_t capacity_;
    mutable std::shared_mutex mutex_;
    std::deque<LogRecord> records_;
    std::uint64_t dropped_ = 0;
};

}  // namespace refstack
