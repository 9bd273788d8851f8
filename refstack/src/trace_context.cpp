#include "trace_context.hpp"

#include <fmt/format.h>

#include "base64.hpp"
#include "e2e/json.hpp"
#include "random_id.hpp"

namespace refstack {
namespace {

std::string_view trim(std::string_view text) {
    constexpr std::string_view kSpace = " \t\r\n\f\v";
    const auto begin = text.find_first_not_of(kSpace);
    if (begin == std::string_view::npos) return {};
    return text.substr(begin, text.find_last_not_of(kSpace) - begin + 1);
}

}  // namespace

std::string TraceContext::header() const {
    std::string out = "Root=" + root;
    if (!parent.empty()) out += ";Parent=" + parent;
    out += ";Sampled=" + sampled;
    return out;
}

TraceContext parse_trace_header(std::string_view header) {
    TraceContext trace;
    bool has_root = false;
    std::size_t start = 0;
    while (start <= header.size()) {
        const auto end = std::min(header.find(';', start), header.size());
        const auto part = header.substr(start, end - start);
        if (const auto equals = part.find('='); equals != std::string_view::npos) {
            const auto key = trim(part.substr(0, equals));
            const auto value = trim(part.substr(equals + 1));
            if (key == "Root") {
                trace.root = std::string(value);
                has_root = true;
            } else if (key == "Parent") {
                trace.parent = std::string(value);
            } else if (key == "Sampled") {
                trace.sampled = std::string(value);
            }
        }
        start = end + 1;
    }
    if (!has_root && header.find('=') == std::string_view::npos && header.find('-') != std::string_view::npos) {
        trace.root = std::string(trim(header));
    }
    return trace;
}

TraceContext generate_trace(std::chrono::system_clock::time_point now) {
    const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
    TraceContext trace;
    trace.root = fmt::format("1-{:08x}-{}", seconds, random_hex_digits(24));
    return trace;
}

TraceContext trace_for_request(const std::optional<std::string>& header, std::chrono::system_clock::time_point now) {
    if (header && !header->empty()) return parse_trace_header(*header);
    return generate_trace(now);
}

std::string client_context_for_trace(std::string_view trace_header) {
    const auto context = e2e::Json::object({{"custom", e2e::Json::object({{"trace_id", trace_header}})}});
    return base64_encode(context.dump());
}

std::optional<std::string> trace_from_client_context(std::string_view client_context) {
    const auto bytes = base64_decode(trim(client_context));
    if (!bytes) return std::nullopt;
    const auto json = e2e::Json::try_parse(*bytes);
    if (!json || !json->is_object()) return std::nullopt;
    const auto custom = json->find("custom");
    if (!custom || !custom->is_object()) return std::nullopt;
    for (const char* key : {"trace_id", "_X_AMZN_TRACE_ID"}) {
        if (const auto value = custom->find(key); value && value->is_string() && !value->str().empty()) return value->str();
    }
    return std::nullopt;
}

}  // namespace refstack
