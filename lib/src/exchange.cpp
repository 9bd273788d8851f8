// Redaction and rendering of recorded HTTP exchanges. RapidJSON stays private to this file.
#include "e2e/exchange.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <utility>

#include <fmt/format.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "e2e/utf8.hpp"

namespace e2e {
namespace {

char lower_ascii(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }
bool is_upper_ascii(char c) { return c >= 'A' && c <= 'Z'; }
bool is_lower_ascii(char c) { return c >= 'a' && c <= 'z'; }
bool is_alnum_ascii(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

bool equals_ignore_case(std::string_view a, std::string_view b) {
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return lower_ascii(x) == lower_ascii(y); });
}

// Words of an identifier split at separators and camelCase humps: "dbPassWord_v2" -> db pass word v2.
bool has_word(std::string_view name, std::string_view word) {
    std::size_t start = 0;
    for (std::size_t i = 0; i <= name.size(); ++i) {
        bool boundary = i == name.size() || !is_alnum_ascii(name[i]) ||
                        (i > start && is_upper_ascii(name[i]) && is_lower_ascii(name[i - 1]));
        if (!boundary) continue;
        if (equals_ignore_case(name.substr(start, i - start), word)) return true;
        start = (i < name.size() && is_alnum_ascii(name[i])) ? i : i + 1;
    }
    return false;
}

// '+' and %XX decoded, as in query strings; malformed escapes are kept literally.
std::string percent_decode(std::string_view text) {
    auto hex = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        c = lower_ascii(c);
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        return -1;
    };
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '+') {
            out += ' ';
        } else if (text[i] == '%' && i + 2 < text.size() && hex(text[i + 1]) >= 0 && hex(text[i + 2]) >= 0) {
            out += static_cast<char>(hex(text[i + 1]) * 16 + hex(text[i + 2]));
            i += 2;
        } else {
            out += text[i];
        }
    }
    return out;
}

// "a=1&password=x" -> "a=1&password=***"; names are compared decoded, output keeps the encoding.
std::string redact_params(std::string_view params) {
    std::string out;
    out.reserve(params.size());
    std::size_t pos = 0;
    while (pos <= params.size()) {
        std::size_t end = std::min(params.find('&', pos), params.size());
        std::string_view param = params.substr(pos, end - pos);
        std::size_t eq = param.find('=');
        if (eq != std::string_view::npos && is_secret_name(percent_decode(param.substr(0, eq)))) {
            out.append(param.substr(0, eq + 1)).append(kRedacted);
        } else {
            out.append(param);
        }
        if (end == params.size()) break;
        out += '&';
        pos = end + 1;
    }
    return out;
}

constexpr unsigned kMaxJsonDepth = 256;  // deeper values are left alone rather than recursed into

bool looks_like_json(std::string_view text) {
    auto first = text.find_first_not_of(" \t\r\n");
    return first != std::string_view::npos && (text[first] == '{' || text[first] == '[');
}

std::optional<std::string> redact_json_if_changed(std::string_view text);

bool redact_json_value(rapidjson::Value& value, rapidjson::Document::AllocatorType& allocator, unsigned depth) {
    if (depth > kMaxJsonDepth) return false;
    bool changed = false;
    if (value.IsObject()) {
        for (auto& member : value.GetObject()) {
            if (is_secret_name({member.name.GetString(), member.name.GetStringLength()})) {
                member.value.SetString(rapidjson::StringRef(kRedacted.data(), kRedacted.size()));
                changed = true;
            } else {
                changed = redact_json_value(member.value, allocator, depth + 1) || changed;
            }
        }
    } else if (value.IsArray()) {
        for (auto& element : value.GetArray()) changed = redact_json_value(element, allocator, depth + 1) || changed;
    } else if (value.IsString()) {
        // Gateways return {"body": "{\"token\": ...}"}: JSON carried inside a string field.
        std::string_view text{value.GetString(), value.GetStringLength()};
        if (looks_like_json(text)) {
            if (auto inner = redact_json_if_changed(text)) {
                value.SetString(inner->data(), static_cast<rapidjson::SizeType>(inner->size()), allocator);
                changed = true;
            }
        }
    }
    return changed;
}

std::optional<std::string> redact_json_if_changed(std::string_view text) {
    if (!looks_like_json(text)) return std::nullopt;
    rapidjson::Document document;
    document.Parse<rapidjson::kParseIterativeFlag | rapidjson::kParseStopWhenDoneFlag>(text.data(), text.size());
    if (document.HasParseError()) return std::nullopt;
    if (!redact_json_value(document, document.GetAllocator(), 0)) return std::nullopt;
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
    document.Accept(writer);
    return std::string(buffer.GetString(), buffer.GetSize());
}

std::string redact_body(std::string_view body, const std::vector<std::pair<std::string, std::string>>& headers) {
    if (auto redacted = redact_json_if_changed(body)) return std::move(*redacted);
    for (const auto& [name, value] : headers) {
        if (equals_ignore_case(name, "content-type") &&
            value.find("application/x-www-form-urlencoded") != std::string::npos) {
            return redact_params(body);
        }
    }
    return std::string(body);
}

void redact_headers(std::vector<std::pair<std::string, std::string>>& headers) {
    for (auto& [name, value] : headers) {
        if (is_secret_name(name)) value = kRedacted;
    }
}

std::string shell_quote(std::string_view text) {
    std::string out = "'";
    for (char c : text) {
        if (c == '\'') {
            out += "'\\''";  // close the quote, an escaped quote, reopen
        } else {
            out += c;
        }
    }
    out += '\'';
    return out;
}

bool is_shell_word(std::string_view text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return is_alnum_ascii(c) || c == '-' || c == '_'; });
}

// At most max_body bytes, cut on a UTF-8 character boundary, with a note of what was cut.
std::string trimmed_body(std::string_view body, std::size_t max_body) {
    if (body.size() <= max_body) return std::string(body);
    const std::size_t cut = utf8_cut(body, max_body);
    return fmt::format("{}... [{} of {} bytes shown]", body.substr(0, cut), cut, body.size());
}

}  // namespace

bool is_secret_name(std::string_view name) {
    static constexpr std::array<std::string_view, 9> kSecretParts = {
        "authorization", "password", "passwd", "secret", "token", "key", "credential", "signature", "cookie"};
    std::string lowered(name.size(), '\0');
    std::transform(name.begin(), name.end(), lowered.begin(), lower_ascii);
    for (std::string_view part : kSecretParts) {
        if (lowered.find(part) != std::string::npos) return true;
    }
    return has_word(name, "pass") || has_word(name, "pwd");
}

std::string redact_url(std::string_view url) {
    std::string out;
    std::size_t fragment = std::min(url.find('#'), url.size());
    std::size_t query = std::min(url.find('?'), fragment);

    std::string_view before_query = url.substr(0, query);
    std::size_t scheme_end = before_query.find("://");
    std::size_t authority_start = scheme_end == std::string_view::npos ? 0 : scheme_end + 3;
    std::size_t authority_end = std::min(before_query.find('/', authority_start), before_query.size());
    std::string_view authority = before_query.substr(authority_start, authority_end - authority_start);
    std::size_t at = authority.rfind('@');
    std::size_t colon = at == std::string_view::npos ? std::string_view::npos : authority.substr(0, at).find(':');
    if (colon != std::string_view::npos) {
        out.append(before_query.substr(0, authority_start + colon + 1)).append(kRedacted);
        out.append(before_query.substr(authority_start + at));
    } else {
        out.append(before_query);
    }

    if (query < fragment) {
        out += '?';
        out += redact_params(url.substr(query + 1, fragment - query - 1));
    }
    out.append(url.substr(fragment));
    return out;
}

std::string redact_json_text(std::string_view body) {
    if (auto redacted = redact_json_if_changed(body)) return std::move(*redacted);
    return std::string(body);
}

Exchange redact(Exchange exchange) {
    exchange.url = redact_url(exchange.url);
    exchange.request_body = redact_body(exchange.request_body, exchange.request_headers);
    exchange.response_body = redact_body(exchange.response_body, exchange.response_headers);
    redact_headers(exchange.request_headers);
    redact_headers(exchange.response_headers);
    return exchange;
}

std::string to_curl(const Exchange& exchange) {
    std::string out = "curl";
    if (exchange.url.starts_with("https://") || exchange.url.starts_with("HTTPS://")) out += " -k";
    if (equals_ignore_case(exchange.method, "HEAD")) {
        out += " -I";  // -X HEAD would make curl wait for a body that never comes
    } else {
        out += " -X ";
        out += is_shell_word(exchange.method) ? exchange.method : shell_quote(exchange.method);
    }
    out += ' ';
    out += shell_quote(exchange.url);
    for (const auto& [name, value] : exchange.request_headers) {
        // Redaction may have changed the body length; curl computes its own.
        if (equals_ignore_case(name, "content-length")) continue;
        out += " -H ";
        out += shell_quote(fmt::format("{}: {}", name, value));
    }
    if (!exchange.request_body.empty()) {
        out += " --data-raw ";
        out += shell_quote(exchange.request_body);
    }
    return out;
}

std::string describe(const Exchange& exchange, std::size_t max_body) {
    std::string out = fmt::format("{} {}\n", exchange.method, exchange.url);
    for (const auto& [name, value] : exchange.request_headers) out += fmt::format("  {}: {}\n", name, value);
    if (!exchange.request_body.empty()) {
        out += fmt::format("  body ({} bytes): {}\n", exchange.request_body.size(),
                           trimmed_body(exchange.request_body, max_body));
    }
    double millis = static_cast<double>(exchange.duration.count()) / 1000.0;
    if (!exchange.status) {
        out += fmt::format("-> no response after {:.1f} ms: {}\n", millis, exchange.error);
        return out;
    }
    out += fmt::format("-> {} after {:.1f} ms\n", *exchange.status, millis);
    for (const auto& [name, value] : exchange.response_headers) out += fmt::format("  {}: {}\n", name, value);
    if (exchange.response_body.empty()) {
        out += "  (empty body)\n";
    } else {
        out += fmt::format("  body ({} bytes): {}\n", exchange.response_body.size(),
                           trimmed_body(exchange.response_body, max_body));
    }
    return out;
}

void ExchangeLog::add(Exchange exchange) {
    Exchange redacted = redact(std::move(exchange));  // outside the lock: parsing bodies is not free
    std::lock_guard lock(mutex_);
    if (capacity_ == 0) return;
    if (entries_.size() >= capacity_) entries_.erase(entries_.begin(), entries_.begin() + static_cast<std::ptrdiff_t>(entries_.size() - capacity_ + 1));
    entries_.push_back(std::move(redacted));
}

std::vector<Exchange> ExchangeLog::snapshot() const {
    std::lock_guard lock(mutex_);
    return entries_;
}

void ExchangeLog::clear() {
    std::lock_guard lock(mutex_);
    entries_.clear();
}

}  // namespace e2e
