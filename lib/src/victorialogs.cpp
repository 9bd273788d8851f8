// The VictoriaLogs pieces that need no server: LogsQL building, the time format and the reading of
// query answers. Kept apart from the client so the parsers build without the HTTP machinery (fuzz/).
#include "e2e/victorialogs.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace e2e {

namespace {

// A field name LogsQL reads unquoted: no whitespace, quotes or structural characters, not a keyword.
bool plain_field_name(std::string_view name) {
    if (name.empty() || name.front() == '-' || name.front() == '!') return false;
    for (const char c : name) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte <= 0x20 || byte == 0x7f) return false;
        switch (c) {
            case '"': case '\'': case '`': case '(': case ')': case '|': case ':': case '*': case ',': case '{': case '}':
            case '\\':
                return false;
            default:
                break;
        }
    }
    const auto upper = [&](std::string_view keyword) {
        return name.size() == keyword.size() &&
               std::equal(name.begin(), name.end(), keyword.begin(), [](char a, char b) { return (a & ~0x20) == b; });
    };
    return !upper("AND") && !upper("OR") && !upper("NOT");
}

}  // namespace

std::string logsql_quote(std::string_view value) {
    std::string out = "\"";
    for (const char c : value) {
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
                    out += fmt::format("\\u{:04x}", static_cast<unsigned char>(c));
                } else {
                    out += c;
                }
        }
    }
    return out + "\"";
}

std::string build_logsql(const LogFilters& filters) {
    if (filters.empty()) return "*";
    std::string out;
    for (const auto& [field, value] : filters) {
        if (!out.empty()) out += " AND ";
        out += plain_field_name(field) ? field : logsql_quote(field);
        out += ':';
        out += logsql_quote(value);
    }
    return out;
}

std::string format_logs_time(std::chrono::system_clock::time_point time) {
    using namespace std::chrono;
    const auto seconds = floor<std::chrono::seconds>(time);
    const auto day = floor<days>(seconds);
    const year_month_day date{day};
    const hh_mm_ss clock{seconds - day};
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", static_cast<int>(date.year()), static_cast<unsigned>(date.month()),
                       static_cast<unsigned>(date.day()), clock.hours().count(), clock.minutes().count(), clock.seconds().count());
}

std::optional<std::string> log_message(const Json& hit) {
    if (!hit.is_object()) return std::nullopt;
    for (const auto* name : {"message", "_msg"}) {
        const auto value = hit.find(name);
        if (value && value->is_string()) return value->str();
    }
    return std::nullopt;
}

std::vector<Json> parse_log_records(std::string_view body) {
    auto records = parse_ndjson(body, BadLine::skip);
    std::erase_if(records, [](const Json& record) { return !record.is_object(); });
    return records;
}

}  // namespace e2e
