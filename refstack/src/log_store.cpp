#include "log_store.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <limits>
#include <unordered_map>
#include <utility>

#include "e2e/utf8.hpp"

namespace refstack {

namespace {

constexpr std::int64_t kNanosPerSecond = 1'000'000'000;
constexpr std::size_t kMaxFieldsPerRecord = 1000;  // VictoriaLogs' -insert.maxFieldsPerLine default
constexpr int kMinYear = 1678;                       // int64 nanoseconds cover 1677-09-21 .. 2262-04-11
constexpr int kMaxYear = 2261;

// Depth of the deepest container, counted without recursion; stops counting past `limit`.
std::size_t nesting_depth(const e2e::Json& root, std::size_t limit) {
    std::vector<std::pair<e2e::Json, std::size_t>> stack{{root, 1}};
    std::size_t deepest = 0;
    while (!stack.empty()) {
        auto [value, depth] = std::move(stack.back());
        stack.pop_back();
        if (!value.is_array() && !value.is_object()) continue;
        deepest = std::max(deepest, depth);
        if (deepest > limit) return deepest;
        if (value.is_array()) {
            for (auto& element : value.elements()) stack.emplace_back(std::move(element), depth + 1);
        } else {
            for (auto& member : value.members()) stack.emplace_back(std::move(member.second), depth + 1);
        }
    }
    return deepest;
}

// Flattened fields in document order, duplicates resolved last-wins at the first position.
LogFields flatten(const e2e::Json& object) {
    LogFields fields;
    std::unordered_map<std::string, std::size_t> index;
    const auto put = [&](std::string name, std::string value) {
        if (value.empty()) return;  // VictoriaLogs: an empty value is a missing field
        const auto [it, inserted] = index.try_emplace(name, fields.size());
        if (inserted) {
            if (fields.size() >= kMaxFieldsPerRecord) {
                throw std::invalid_argument(fmt::format("the record has more than {} fields", kMaxFieldsPerRecord));
            }
            fields.emplace_back(std::move(name), std::move(value));
        } else {
            fields[it->second].second = std::move(value);
        }
    };
    struct Pending {
        std::string prefix;
        std::vector<std::pair<std::string, e2e::Json>> members;
        std::size_t next = 0;
    };
    std::vector<Pending> stack;
    stack.push_back({{}, object.members(), 0});
    while (!stack.empty()) {
        Pending& top = stack.back();
        if (top.next == top.members.size()) {
            stack.pop_back();
            continue;
        }
        auto& [key, value] = top.members[top.next++];
        std::string name = top.prefix.empty() ? key : top.prefix + "." + key;
        switch (value.type()) {
            case e2e::JsonType::null:
                break;
            case e2e::JsonType::string:
                put(std::move(name), value.str());
                break;
            case e2e::JsonType::boolean:
                put(std::move(name), value.boolean() ? "true" : "false");
                break;
            case e2e::JsonType::number:
            case e2e::JsonType::array:
                put(std::move(name), value.dump());
                break;
            case e2e::JsonType::object: {
                auto members = value.members();
                stack.push_back({std::move(name), std::move(members), 0});  // invalidates `top`
                break;
            }
        }
    }
    return fields;
}

LogFields::iterator find_field(LogFields& fields, std::string_view name) {
    return std::find_if(fields.begin(), fields.end(), [&](const auto& field) { return field.first == name; });
}

std::string escape_stream_value(std::string_view value) {
    std::string out;
    for (const char c : value) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out += c;
        }
    }
    return out;
}

// Appends `text` as a JSON string; invalid UTF-8 bytes become U+FFFD.
void append_json_string(std::string& out, std::string_view text) {
    out += '"';
    std::size_t i = 0;
    while (i < text.size()) {
        const auto byte = static_cast<unsigned char>(text[i]);
        if (byte < 0x80) {
            switch (byte) {
                case '"': out += "\\\""; break;
                case '\\': out += "\\\\"; break;
                case '\n': out += "\\n"; break;
                case '\r': out += "\\r"; break;
                case '\t': out += "\\t"; break;
                case '\b': out += "\\b"; break;
                case '\f': out += "\\f"; break;
                default:
                    if (byte < 0x20) {
                        out += fmt::format("\\u{:04x}", byte);
                    } else {
                        out += static_cast<char>(byte);
                    }
            }
            ++i;
            continue;
        }
        // A well-formed sequence is copied; a byte that starts none becomes U+FFFD.
        if (const auto decoded = e2e::decode_utf8(text, i)) {
            out.append(text.substr(i, decoded->length));
            i += decoded->length;
        } else {
            out += "\xEF\xBF\xBD";
            ++i;
        }
    }
    out += '"';
}

template <typename Int>
bool parse_digits(std::string_view text, Int& value) {
    if (text.empty()) return false;
    const auto* end = text.data() + text.size();
    const auto result = std::from_chars(text.data(), end, value);
    return result.ec == std::errc{} && result.ptr == end;
}

bool all_digits(std::string_view text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Unix nanoseconds of a civil date and time (UTC), or nullopt when it is not a real date.
std::optional<std::int64_t> civil_to_unix_ns(int year, unsigned month, unsigned day, int hour, int minute, int second,
                                             std::int64_t nanos) {
    using namespace std::chrono;
    if (year < kMinYear || year > kMaxYear) return std::nullopt;
    const year_month_day date{std::chrono::year{year}, std::chrono::month{month}, std::chrono::day{day}};
    if (!date.ok()) return std::nullopt;
    if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return std::nullopt;
    const std::int64_t days_since_epoch = sys_days(date).time_since_epoch().count();
    const std::int64_t seconds = days_since_epoch * 86'400 + hour * 3'600 + minute * 60 + second;
    return seconds * kNanosPerSecond + nanos;
}

std::optional<std::int64_t> parse_unix_timestamp(std::string_view text) {
    const auto dot = text.find('.');
    if (dot != std::string_view::npos) {  // seconds with a fraction
        const auto whole = text.substr(0, dot);
        auto fraction = text.substr(dot + 1);
        std::int64_t seconds = 0;
        if (!parse_digits(whole, seconds) || !all_digits(whole)) return std::nullopt;
        if (!fraction.empty() && !all_digits(fraction)) return std::nullopt;
        if (seconds > std::numeric_limits<std::int64_t>::max() / kNanosPerSecond - 1) return std::nullopt;
        std::int64_t nanos = 0;
        for (std::size_t k = 0; k < 9; ++k) nanos = nanos * 10 + (k < fraction.size() ? fraction[k] - '0' : 0);
        return seconds * kNanosPerSecond + nanos;
    }
    std::int64_t n = 0;
    if (!all_digits(text) || !parse_digits(text, n)) return std::nullopt;
    constexpr std::int64_t kSecondsBound = std::int64_t{1} << 31;
    if (n < kSecondsBound) return n * kNanosPerSecond;
    if (n < 1'000 * kSecondsBound) return n * 1'000'000;
    if (n < 1'000'000 * kSecondsBound) return n * 1'000;
    return n;
}

}  // namespace

std::optional<std::string_view> LogRecord::field(std::string_view name) const {
    for (const auto& [key, value] : fields) {
        if (key == name) return std::string_view(value);
    }
    return std::nullopt;
}

std::string format_rfc3339_nano(std::int64_t unix_ns) {
    using namespace std::chrono;
    const sys_time<nanoseconds> time{nanoseconds{unix_ns}};
    const auto day = floor<days>(time);
    const year_month_day date{day};
    const hh_mm_ss clock{time - day};
    std::string out = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", static_cast<int>(date.year()),
                                  static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()), clock.hours().count(),
                                  clock.minutes().count(), clock.seconds().count());
    auto fraction = clock.subseconds().count();
    if (fraction != 0) {
        std::string digits = fmt::format("{:09}", fraction);
        digits.erase(digits.find_last_not_of('0') + 1);
        out += '.' + digits;
    }
    return out + 'Z';
}

std::optional<std::int64_t> parse_rfc3339_nano(std::string_view text) {
    // YYYY-MM-DDTHH:MM:SS
    if (text.size() < 19 || text[4] != '-' || text[7] != '-' || text[13] != ':' || text[16] != ':') return std::nullopt;
    if (text[10] != 'T' && text[10] != 't' && text[10] != ' ') return std::nullopt;
    int year = 0;
    unsigned month = 0;
    unsigned day = 0;
    int hour = 0;
    int minute = 0;
    int second = 0;
    const auto part = [&](std::size_t at, std::size_t n, auto& value) { return all_digits(text.substr(at, n)) && parse_digits(text.substr(at, n), value); };
    if (!part(0, 4, year) || !part(5, 2, month) || !part(8, 2, day) || !part(11, 2, hour) || !part(14, 2, minute) ||
        !part(17, 2, second)) {
        return std::nullopt;
    }
    std::size_t at = 19;
    std::int64_t nanos = 0;
    if (at < text.size() && (text[at] == '.' || text[at] == ',')) {
        ++at;
        const std::size_t begin = at;
        while (at < text.size() && text[at] >= '0' && text[at] <= '9') ++at;
        if (at == begin) return std::nullopt;
        for (std::size_t k = 0; k < 9; ++k) nanos = nanos * 10 + (begin + k < at ? text[begin + k] - '0' : 0);
    }
    std::int64_t offset_seconds = 0;
    const auto zone = text.substr(at);
    if (zone == "Z" || zone == "z" || zone.empty()) {
        offset_seconds = 0;
    } else if ((zone[0] == '+' || zone[0] == '-') && (zone.size() == 6 || zone.size() == 5)) {
        const bool colon = zone.size() == 6;
        if (colon && zone[3] != ':') return std::nullopt;
        int zone_hours = 0;
        int zone_minutes = 0;
        const auto hours_text = zone.substr(1, 2);
        const auto minutes_text = zone.substr(colon ? 4 : 3, 2);
        if (!all_digits(hours_text) || !all_digits(minutes_text) || !parse_digits(hours_text, zone_hours) ||
            !parse_digits(minutes_text, zone_minutes) || zone_hours > 23 || zone_minutes > 59) {
            return std::nullopt;
        }
        offset_seconds = (zone_hours * 3'600 + zone_minutes * 60) * (zone[0] == '-' ? -1 : 1);
    } else {
        return std::nullopt;
    }
    const auto local = civil_to_unix_ns(year, month, day, hour, minute, second, nanos);
    if (!local) return std::nullopt;
    return *local - offset_seconds * kNanosPerSecond;
}

std::optional<std::int64_t> parse_log_time(std::string_view text) {
    if (text.size() == 10 && text[4] == '-' && text[7] == '-') {
        int year = 0;
        unsigned month = 0;
        unsigned day = 0;
        if (!all_digits(text.substr(0, 4)) || !all_digits(text.substr(5, 2)) || !all_digits(text.substr(8, 2))) return std::nullopt;
        if (!parse_digits(text.substr(0, 4), year) || !parse_digits(text.substr(5, 2), month) ||
            !parse_digits(text.substr(8, 2), day)) {
            return std::nullopt;
        }
        return civil_to_unix_ns(year, month, day, 0, 0, 0, 0);
    }
    if (text.size() <= 4 || text[4] != '-') return parse_unix_timestamp(text);
    return parse_rfc3339_nano(text);
}

LogRecord record_from_json(const e2e::Json& object, const IngestOptions& options, std::int64_t now_ns) {
    if (!object.is_object()) {
        throw std::invalid_argument(fmt::format("a log record must be a JSON object, not {}", object.type_name()));
    }
    if (nesting_depth(object, kMaxNesting) > kMaxNesting) {
        throw std::invalid_argument(fmt::format("the record nests deeper than {} levels", kMaxNesting));
    }
    LogRecord record;
    LogFields fields = flatten(object);

    record.time_ns = now_ns;
    for (const auto& name : options.time_fields) {
        const auto found = find_field(fields, name);
        if (found == fields.end()) continue;
        const std::string& value = found->second;
        if (value != "0" && value != "-") {
            const auto parsed = parse_log_time(value);
            if (!parsed) {
                std::string shown = value.substr(0, 100);
                throw std::invalid_argument(fmt::format("cannot parse timestamp from field \"{}\": \"{}\"", name, shown));
            }
            record.time_ns = *parsed;
        }
        fields.erase(found);
        break;
    }

    std::optional<std::string> message;
    for (const auto& name : options.msg_fields) {
        const auto found = find_field(fields, name);
        if (found == fields.end()) continue;
        message = std::move(found->second);
        fields.erase(found);
        break;
    }
    if (const auto own = find_field(fields, "_msg"); own != fields.end()) {
        if (!message) message = std::move(own->second);
        fields.erase(own);
    }
    // Names VictoriaLogs reserves for itself never come from the body.
    std::erase_if(fields, [](const auto& field) { return field.first == "_time" || field.first == "_stream" || field.first == "_stream_id"; });

    std::vector<std::pair<std::string_view, std::string_view>> labels;
    for (const auto& name : options.stream_fields) {
        if (name.empty()) continue;
        const auto found = find_field(fields, name);
        if (found == fields.end()) continue;
        const bool seen = std::any_of(labels.begin(), labels.end(), [&](const auto& label) { return label.first == name; });
        if (!seen) labels.emplace_back(found->first, found->second);
    }
    std::sort(labels.begin(), labels.end());
    record.stream = "{";
    for (std::size_t i = 0; i < labels.size(); ++i) {
        if (i != 0) record.stream += ',';
        record.stream += fmt::format("{}=\"{}\"", labels[i].first, escape_stream_value(labels[i].second));
    }
    record.stream += '}';

    record.fields.reserve(fields.size() + 1);
    record.fields.emplace_back("_msg", message ? std::move(*message) : std::string(kMissingMsgValue));
    for (auto& field : fields) record.fields.push_back(std::move(field));
    return record;
}

std::string render_record_json(const LogRecord& record) {
    std::string out = "{\"_time\":";
    append_json_string(out, format_rfc3339_nano(record.time_ns));
    out += ",\"_stream\":";
    append_json_string(out, record.stream);
    for (const auto& [name, value] : record.fields) {
        out += ',';
        append_json_string(out, name);
        out += ':';
        append_json_string(out, value);
    }
    out += '}';
    return out;
}

LogStore::LogStore(std::size_t capacity) : capacity_(std::max<std::size_t>(capacity, 1)) {}

void LogStore::add_locked(LogRecord record) {
    if (records_.size() >= capacity_) {
        records_.pop_front();
        ++dropped_;
    }
    records_.push_back(std::move(record));
}

void LogStore::add(LogRecord record) {
    std::unique_lock lock(mutex_);
    add_locked(std::move(record));
}

void LogStore::add(std::vector<LogRecord> records) {
    std::unique_lock lock(mutex_);
    for (auto& record : records) add_locked(std::move(record));
}

std::vector<LogRecord> LogStore::select(const LogsQuery& query, const LogSelect& select) const {
    std::vector<LogRecord> out;
    {
        std::shared_lock lock(mutex_);
        for (auto it = records_.rbegin(); it != records_.rend(); ++it) {
            if (select.limit != 0 && out.size() >= select.limit) break;
            if (select.start_ns && it->time_ns < *select.start_ns) continue;
            if (select.end_ns && it->time_ns > *select.end_ns) continue;
            if (query.matches(it->fields)) out.push_back(*it);
        }
    }
    std::reverse(out.begin(), out.end());  // arrival order among equal times
    std::stable_sort(out.begin(), out.end(), [](const LogRecord& a, const LogRecord& b) { return a.time_ns < b.time_ns; });
    return out;
}

std::size_t LogStore::size() const {
    std::shared_lock lock(mutex_);
    return records_.size();
}

std::uint64_t LogStore::dropped() const {
    std::shared_lock lock(mutex_);
    return dropped_;
}

void LogStore::clear() {
    std::unique_lock lock(mutex_);
    records_.clear();
}

}  // namespace refstack
