#include "e2e/matchers.hpp"

#include <fmt/format.h>

#include "e2e/exchange.hpp"
#include "e2e/utf8.hpp"

#include <algorithm>
#include <chrono>
#include <utility>

namespace e2e {
namespace {

constexpr std::size_t kActualExcerpt = 200;

// "\"echo\" (string)", "true (boolean)", "null", "{...} (object)".
std::string show(const Json& value) {
    if (value.is_null()) return "null";
    return fmt::format("{} ({})", value.excerpt(kActualExcerpt), value.type_name());
}

// At most max bytes without splitting a UTF-8 sequence; control bytes other than newline and tab
// are escaped so a binary body cannot garble the report.
std::string printable_body(std::string_view body, std::size_t max) {
    const std::size_t cut = utf8_cut(body, max);
    std::string out;
    out.reserve(cut + 32);
    for (const char c : body.substr(0, cut)) {
        const auto byte = static_cast<unsigned char>(c);
        if ((byte < 0x20U && c != '\n' && c != '\t') || byte == 0x7FU) {
            out += fmt::format("\\x{:02x}", byte);
        } else {
            out += c;
        }
    }
    if (cut < body.size()) out += fmt::format("…({} more bytes)", body.size() - cut);
    return out;
}

}  // namespace

// ---- FieldMatcher -------------------------------------------------------------------------------

FieldMatcher::FieldMatcher(std::string path, std::string expectation, Check check)
    : path_(std::move(path)), expectation_(std::move(expectation)), check_(std::move(check)) {}

bool FieldMatcher::match(const Json& json) const {
    JsonLookup found = json.lookup(path_);  // a malformed path throws: the test itself is wrong
    seen_ = found.value ? show(*found.value) : fmt::format("missing ({})", found.missing);
    return check_(found.value);
}

std::string FieldMatcher::describe() const {
    std::string text = fmt::format("has field \"{}\" {}", path_, expectation_);
    if (seen_) text += fmt::format("; actual: {}", *seen_);
    return text;
}

FieldMatcher Field(std::string path, const JsonValue& expected) {
    Json want = Json::of(expected);
    std::string expectation = fmt::format("equal to {}", show(want));
    return {std::move(path), std::move(expectation),
            [want = std::move(want)](const std::optional<Json>& found) { return found && *found == want; }};
}

FieldMatcher HasField(std::string path) {
    return {std::move(path), "present (null allowed)",
            [](const std::optional<Json>& found) { return found.has_value(); }};
}

FieldMatcher FieldIsNull(std::string path) {
    return {std::move(path), "that is null (present)",
            [](const std::optional<Json>& found) { return found && found->is_null(); }};
}

FieldMatcher FieldType(std::string path, JsonType type) {
    return {std::move(path), fmt::format("of type {}", to_string(type)),
            [type](const std::optional<Json>& found) { return found && found->type() == type; }};
}

FieldMatcher FieldContains(std::string path, std::string substring) {
    std::string expectation = fmt::format("that is a string containing {}", Json::of(substring).dump());
    return {std::move(path), std::move(expectation),
            [substring = std::move(substring)](const std::optional<Json>& found) {
                return found && found->is_string() && found->str().find(substring) != std::string::npos;
            }};
}

FieldMatcher FieldMatches(std::string path, std::function<bool(const Json&)> predicate, std::string description) {
    return {std::move(path), "that " + description,
            [predicate = std::move(predicate)](const std::optional<Json>& found) {
                return found && predicate(*found);
            }};
}

// ---- StatusMatcher ------------------------------------------------------------------------------

StatusMatcher::StatusMatcher(std::vector<int> accepted) : accepted_(std::move(accepted)) {}

bool StatusMatcher::match(const HttpResponse& response) const {
    seen_ = response.status;
    return std::find(accepted_.begin(), accepted_.end(), response.status) != accepted_.end();
}

std::string StatusMatcher::describe() const {
    std::string text = accepted_.size() == 1 ? fmt::format("has status {}", accepted_.front())
                                             : fmt::format("has status in {{{}}}", fmt::join(accepted_, ", "));
    if (seen_) text += fmt::format(" (got {})", *seen_);
    return text;
}

StatusMatcher Status(int status) { return StatusMatcher({status}); }

StatusMatcher StatusIn(std::initializer_list<int> statuses) { return StatusMatcher(std::vector<int>(statuses)); }

std::string describe_response(const HttpResponse& response, std::size_t max_body) {
    const std::string request =
        response.method.empty() && response.url.empty() ? std::string("(unknown request)")
                                                         : fmt::format("{} {}", response.method, redact_url(response.url));
    const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(response.elapsed).count();
    std::string status = std::to_string(response.status);
    if (!response.reason.empty()) status += " " + response.reason;
    const std::string body = response.body.empty()
                                 ? std::string("empty body")
                                 : fmt::format("body ({} bytes): {}", response.body.size(),
                                               printable_body(redact_json_text(response.body), max_body));
    return fmt::format("{} -> {} in {} ms; {}", request, status, millis, body);
}

}  // namespace e2e

std::string Catch::StringMaker<e2e::HttpResponse>::convert(const e2e::HttpResponse& response) {
    return e2e::describe_response(response);
}
