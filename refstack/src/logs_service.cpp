#include "logs_service.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <limits>
#include <mutex>
#include <optional>

#include "e2e/printable.hpp"

namespace refstack {

namespace {

constexpr std::string_view kNdjsonType = "application/stream+json; charset=utf-8";
constexpr std::size_t kShownBytes = 200;

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::string decode_component(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '+') {
            out += ' ';
        } else if (c == '%' && i + 2 < text.size() && hex_digit(text[i + 1]) >= 0 && hex_digit(text[i + 2]) >= 0) {
            out += static_cast<char>(hex_digit(text[i + 1]) * 16 + hex_digit(text[i + 2]));
            i += 2;
        } else {
            out += c;
        }
    }
    return out;
}

std::optional<std::string> arg(const std::vector<std::pair<std::string, std::string>>& args, std::string_view name) {
    for (const auto& [key, value] : args) {
        if (key == name) return value;
    }
    return std::nullopt;
}

// A comma-separated list from the query arg, else from VictoriaLogs' equivalent header.
std::vector<std::string> list_param(const std::vector<std::pair<std::string, std::string>>& args, const Request& request,
                                    std::string_view name, std::string_view header) {
    std::optional<std::string> raw = arg(args, name);
    if (!raw) raw = request.header(header);
    std::vector<std::string> out;
    if (!raw) return out;
    std::string_view rest = *raw;
    while (true) {
        const auto comma = rest.find(',');
        std::string_view item = rest.substr(0, comma);
        const auto first = item.find_first_not_of(" \t");
        if (first != std::string_view::npos) {
            item = item.substr(first, item.find_last_not_of(" \t") + 1 - first);
            out.emplace_back(item);
        }
        if (comma == std::string_view::npos) break;
        rest = rest.substr(comma + 1);
    }
    return out;
}

// Printable, trimmed text for error messages.
std::string shown(std::string_view text) { return e2e::printable_excerpt(text, kShownBytes); }

Response bad_request(std::string message) { return Response::text(400, std::move(message) + "\n"); }

std::int64_t to_unix_ns(std::chrono::system_clock::time_point time) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(time.time_since_epoch()).count();
}

}  // namespace

std::vector<std::pair<std::string, std::string>> parse_form(std::string_view text) {
    std::vector<std::pair<std::string, std::string>> out;
    while (!text.empty()) {
        const auto amp = text.find('&');
        const std::string_view pair = text.substr(0, amp);
        text = amp == std::string_view::npos ? std::string_view{} : text.substr(amp + 1);
        if (pair.empty()) continue;
        const auto eq = pair.find('=');
        out.emplace_back(decode_component(pair.substr(0, eq)),
                         eq == std::string_view::npos ? std::string{} : decode_component(pair.substr(eq + 1)));
    }
    return out;
}

LogsService::LogsService(LogsServiceOptions options) : options_(std::move(options)), store_(options_.capacity) {
    if (!options_.clock) options_.clock = [] { return std::chrono::system_clock::now(); };
    if (options_.default_limit == 0) options_.default_limit = 1000;
}

LogsServiceStats LogsService::stats() const {
    std::lock_guard lock(stats_mutex_);
    return stats_;
}

Response LogsService::handle(const Request& request) {
    if (request.path == "/health") {
        if (request.method != "GET" && request.method != "HEAD") return Response::text(405, "use GET\n");
        return Response::text(200, "OK");
    }
    if (request.path == "/insert/jsonline") {
        if (request.method != "POST") return Response::text(405, "use POST\n");
        return insert_jsonline(request);
    }
    if (request.path == "/select/logsql/query") {
        if (request.method != "GET" && request.method != "POST") return Response::text(405, "use GET or POST\n");
        return query(request);
    }
    if (request.path == "/internal/force_flush") return Response::text(200, "");  // records are visible at once anyway
    return Response::text(404, fmt::format("unsupported path requested: {}\n", shown(request.path)));
}

Response LogsService::insert_jsonline(const Request& request) {
    const auto args = parse_form(request.query);
    IngestOptions ingest;
    ingest.stream_fields = list_param(args, request, "_stream_fields", "VL-Stream-Fields");
    ingest.msg_fields = list_param(args, request, "_msg_field", "VL-Msg-Field");
    if (auto time_fields = list_param(args, request, "_time_field", "VL-Time-Field"); !time_fields.empty()) {
        ingest.time_fields = std::move(time_fields);
    }
    const std::int64_t now = to_unix_ns(options_.clock());

    std::vector<LogRecord> records;
    std::size_t line_number = 0;
    std::size_t bad_lines = 0;
    std::string last_error;
    std::string_view rest = request.body;
    while (!rest.empty()) {
        ++line_number;
        const auto newline = rest.find('\n');
        std::string_view line = rest.substr(0, newline);
        rest = newline == std::string_view::npos ? std::string_view{} : rest.substr(newline + 1);
        const auto first = line.find_first_not_of(" \t\r");
        if (first == std::string_view::npos) continue;
        line = line.substr(first, line.find_last_not_of(" \t\r") + 1 - first);
        try {
            records.push_back(record_from_json(e2e::Json::parse(line), ingest, now));
        } catch (const std::exception& error) {  // e2e::JsonError or std::invalid_argument
            ++bad_lines;
            last_error = fmt::format("line #{}: {}; line contents: {}", line_number, error.what(), shown(line));
        }
    }
    const std::size_t good = records.size();
    if (good != 0) store_.add(std::move(records));
    {
        std::lock_guard lock(stats_mutex_);
        stats_.ingested += good;
        stats_.rejected += bad_lines;
    }
    // VictoriaLogs skips bad lines and fails the request only when no line could be stored.
    if (good == 0 && bad_lines != 0) {
        return bad_request(fmt::format("cannot process jsonline request; error: {}", last_error));
    }
    return Response::text(200, "", "application/json");
}

Response LogsService::query(const Request& request) {
    auto args = parse_form(request.query);
    if (request.method == "POST" && !request.body.empty()) {
        const auto type = request.header("Content-Type").value_or("application/x-www-form-urlencoded");
        if (type.starts_with("application/x-www-form-urlencoded")) {
            for (auto& pair : parse_form(request.body)) args.push_back(std::move(pair));
        }
    }
    const auto text = arg(args, "query");
    if (!text || text->find_first_not_of(" \t\r\n") == std::string::npos) return bad_request("missing `query` arg");

    LogSelect select;
    select.limit = options_.default_limit;
    if (const auto limit = arg(args, "limit"); limit && !limit->empty()) {
        std::uint64_t value = 0;
        const auto* end = limit->data() + limit->size();
        const auto parsed = std::from_chars(limit->data(), end, value);
        if (parsed.ptr != end || (parsed.ec != std::errc{} && parsed.ec != std::errc::result_out_of_range)) {
            return bad_request(fmt::format("cannot parse limit=\"{}\": expecting a non-negative integer", shown(*limit)));
        }
        if (parsed.ec == std::errc::result_out_of_range) value = std::numeric_limits<std::uint64_t>::max();
        select.limit = value == 0 ? options_.default_limit
                                  : static_cast<std::size_t>(std::min<std::uint64_t>(value, std::numeric_limits<std::size_t>::max()));
    }
    for (const auto* name : {"start", "end"}) {
        const auto value = arg(args, name);
        if (!value || value->empty()) continue;
        const auto parsed = parse_log_time(*value);
        if (!parsed) {
            return bad_request(fmt::format("cannot parse {}=\"{}\": expecting an RFC 3339 time or a Unix timestamp", name,
                                           shown(*value)));
        }
        (std::string_view(name) == "start" ? select.start_ns : select.end_ns) = *parsed;
    }

    LogsQuery parsed_query;
    try {
        parsed_query = LogsQuery::parse(*text);
    } catch (const LogsqlError& error) {
        return bad_request(error.what());
    }
    const auto records = store_.select(parsed_query, select);
    std::string body;
    for (const auto& record : records) {
        body += render_record_json(record);
        body += '\n';
    }
    {
        std::lock_guard lock(stats_mutex_);
        ++stats_.queries;
    }
    return Response::text(200, std::move(body), std::string(kNdjsonType));
}

}  // namespace refstack
