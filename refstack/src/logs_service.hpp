// The refstack's VictoriaLogs (contract 1.10): `GET /health`, `POST /insert/jsonline`,
// `GET|POST /select/logsql/query` over an in-memory LogStore. See docs/refstack-logs.md.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http_server.hpp"
#include "log_store.hpp"

namespace refstack {

struct LogsServiceOptions {
    std::size_t capacity = LogStore::kDefaultCapacity;  // newest records kept
    std::size_t default_limit = 1000;                   // a query without `limit` (or limit=0)
    // Ingestion time of records without a time field; default: the system clock.
    std::function<std::chrono::system_clock::time_point()> clock;
};

struct LogsServiceStats {
    std::uint64_t ingested = 0;      // records stored
    std::uint64_t rejected = 0;      // lines skipped as unparsable
    std::uint64_t queries = 0;       // answered queries
};

// Thread-safe: handle() may run on many server threads at once.
class LogsService {
public:
    explicit LogsService(LogsServiceOptions options = {});

    // Never throws for bad input: 400 with VictoriaLogs-style error text, 404 for unknown paths,
    // 405 for a wrong method.
    Response handle(const Request& request);

    LogStore& store() noexcept { return store_; }
    const LogStore& store() const noexcept { return store_; }
    LogsServiceStats stats() const;

private:
    Response insert_jsonline(const Request& request);
    Response query(const Request& request);

    LogsServiceOptions options_;
    LogStore store_;
    mutable std::mutex stats_mutex_;
    LogsServiceStats stats_;
};

// `a=1&b=x+y&c=%2F` -> {a,1},{b,"x y"},{c,"/"}: percent-decoding (a malformed % is kept as is) and
// `+` as space, as HTML forms and Go's url.ParseQuery do. A name without `=` has an empty value.
std::vector<std::pair<std::string, std::string>> parse_form(std::string_view text);

}  // namespace refstack
