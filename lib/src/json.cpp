#include "e2e/json.hpp"

#include <fmt/format.h>
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <ostream>
#include <unordered_set>
#include <variant>
#include <vector>

#include "e2e/utf8.hpp"
#include "number_text.hpp"

namespace e2e {
namespace {

using Value = rapidjson::Value;
using Document = rapidjson::Document;
using Allocator = Document::AllocatorType;

// Full precision so 0.1 round-trips; validated UTF-8; iterative so deep nesting cannot overflow
// the stack.
constexpr unsigned kParseFlags =
    rapidjson::kParseFullPrecisionFlag | rapidjson::kParseValidateEncodingFlag | rapidjson::kParseIterativeFlag;

constexpr std::size_t kValueExcerpt = 200;     // an actual value inside a message
constexpr std::size_t kDocumentExcerpt = 400;  // the document a path was looked up in
constexpr std::size_t kParseContext = 40;      // bytes shown either side of a parse error
// Deeper documents are rejected: comparing, dumping and copying values recurse (Python's json
// stops near 1000 levels too).
constexpr std::size_t kMaxDepth = 1000;

const Value& null_value() {
    static const Value null;
    return null;
}

JsonType type_of(const Value& value) {
    switch (value.GetType()) {
        case rapidjson::kNullType: return JsonType::null;
        case rapidjson::kFalseType:
        case rapidjson::kTrueType: return JsonType::boolean;
        case rapidjson::kNumberType: return JsonType::number;
        case rapidjson::kStringType: return JsonType::string;
        case rapidjson::kArrayType: return JsonType::array;
        case rapidjson::kObjectType: return JsonType::object;
    }
    return JsonType::null;
}

std::string_view view_of(const Value& string) { return {string.GetString(), string.GetStringLength()}; }

rapidjson::SizeType checked_size(std::size_t size) {
    if (size > std::numeric_limits<rapidjson::SizeType>::max()) {
        throw JsonError(fmt::format("JSON string of {} bytes is too large", size));
    }
    return static_cast<rapidjson::SizeType>(size);
}

// Python's json keeps the last of duplicate keys; so does this lookup.
const Value* find_member(const Value& object, std::string_view key) {
    const Value* found = nullptr;
    for (auto it = object.MemberBegin(); it != object.MemberEnd(); ++it) {
        if (view_of(it->name) == key) found = &it->value;
    }
    return found;
}

std::string dump_value(const Value& value) {
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
    value.Accept(writer);
    return {buffer.GetString(), buffer.GetSize()};
}

bool is_continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0U) == 0x80U; }

std::string trimmed(std::string_view text, std::size_t max) {
    const std::size_t cut = utf8_cut(text, max);
    if (cut == text.size()) return std::string(text);
    return fmt::format("{}…({} more bytes)", text.substr(0, cut), text.size() - cut);
}

// Control characters shown as escapes so a message stays on one line.
std::string printable(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (c == '\n') {
            out += "\\n";
        } else if (c == '\r') {
            out += "\\r";
        } else if (c == '\t') {
            out += "\\t";
        } else if (byte < 0x20U || byte == 0x7FU) {
            out += fmt::format("\\x{:02x}", byte);
        } else {
            out += c;
        }
    }
    return out;
}

// "string \"true\"", "number 1.5", "null", "object {...}".
std::string describe_value(const Value& value) {
    if (value.IsNull()) return "null";
    return fmt::format("{} {}", to_string(type_of(value)), trimmed(dump_value(value), kValueExcerpt));
}

std::string subject(std::string_view path) {
    return path.empty() ? std::string("JSON value") : fmt::format("JSON path \"{}\"", path);
}

std::string parse_error_message(std::string_view text, std::size_t offset, std::string_view reason) {
    offset = std::min(offset, text.size());
    std::size_t line = 1;
    std::size_t line_start = 0;
    for (std::size_t i = 0; i < offset; ++i) {
        if (text[i] == '\n') {
            ++line;
            line_start = i + 1;
        }
    }
    std::size_t begin = offset > kParseContext ? offset - kParseContext : 0;
    while (begin < offset && is_continuation(text[begin])) ++begin;
    const std::size_t end = offset + utf8_cut(text.substr(offset), kParseContext);
    const std::string near =
        text.empty() ? std::string("(empty input)")
                     : fmt::format("{}{}<!>{}{}", begin > 0 ? "…" : "", printable(text.substr(begin, offset - begin)),
                                   printable(text.substr(offset, end - offset)), end < text.size() ? "…" : "");
    return fmt::format("invalid JSON at offset {} (line {}, column {}): {} near: {}", offset, line,
                       offset - line_start + 1, reason, near);
}

// What RapidJSON 1.1.0 gets wrong, mended around it. Nesting: values are compared and dumped
// recursively, so documents deeper than kMaxDepth are refused. Surrogates: a \u escape of a low
// surrogate that does not follow a high one decodes into bytes that are not UTF-8, so it is refused
// (a lone high surrogate RapidJSON refuses itself). Numbers: its conversion of non-integers reads
// out of bounds on some (-0.000…0e-310) and gets others wrong near the ends of the double range
// (9e308, -1e-332, -222222222e300 read as -inf), so RapidJSON never converts one: each number it
// would convert is replaced, in a copy of the text, by spaces and a 0 of the same length, and
// std::from_chars converts the original afterwards. Beyond the range is "Number too big", below it
// a signed zero.
struct Refusal {
    std::size_t offset;
    std::string reason;
};

struct NumberToken {
    std::size_t offset;
    std::string_view text;  // the number as JSON's grammar reads it
    bool converted;         // replaced by 0 for RapidJSON: from_chars converts it
};

// The length of the JSON number at the start of `text`: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?,
// each optional part taken only when complete (RapidJSON fails on an incomplete one by itself).
std::size_t json_number_length(std::string_view text) {
    std::size_t i = 0;
    const auto digits = [&](std::size_t from) {
        std::size_t j = from;
        while (j < text.size() && text[j] >= '0' && text[j] <= '9') ++j;
        return j;
    };
    if (i < text.size() && text[i] == '-') ++i;
    if (i >= text.size() || text[i] < '0' || text[i] > '9') return 0;
    i = text[i] == '0' ? i + 1 : digits(i);
    if (i < text.size() && text[i] == '.' && digits(i + 1) > i + 1) i = digits(i + 1);
    if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
        std::size_t j = i + 1;
        if (j < text.size() && (text[j] == '+' || text[j] == '-')) ++j;
        if (digits(j) > j) i = digits(j);
    }
    return i;
}

// Whether RapidJSON keeps the number as an exact integer (it converts the others).
bool exact_integer(std::string_view number) {
    if (number.find_first_of(".eE") != std::string_view::npos) return false;
    const auto* end = number.data() + number.size();
    if (number.starts_with('-')) {
        std::int64_t value = 0;
        const auto result = std::from_chars(number.data(), end, value);
        return result.ec == std::errc{} && result.ptr == end;
    }
    std::uint64_t value = 0;
    const auto result = std::from_chars(number.data(), end, value);
    return result.ec == std::errc{} && result.ptr == end;
}

std::optional<std::uint32_t> hex4(std::string_view text, std::size_t at) {
    if (at + 4 > text.size()) return std::nullopt;
    std::uint32_t value = 0;
    const auto result = std::from_chars(text.data() + at, text.data() + at + 4, value, 16);
    if (result.ec != std::errc{} || result.ptr != text.data() + at + 4) return std::nullopt;
    return value;
}

// One pass over the text before RapidJSON: the refusals above, and the number tokens in order.
// Exact for valid JSON; for invalid text either error is a parse error.
std::optional<Refusal> prescan(std::string_view text, std::vector<NumberToken>& numbers) {
    std::size_t depth = 0;
    bool in_string = false;
    std::size_t high_surrogate_end = std::string_view::npos;  // just after a \uD800-\uDBFF escape
    std::size_t number_end = std::string_view::npos;          // just after the last number
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (in_string) {
            if (c == '"') {
                in_string = false;
            } else if (c == '\\' && i + 1 < text.size() && text[i + 1] == 'u') {
                const auto unit = hex4(text, i + 2);
                if (unit && *unit >= 0xDC00 && *unit <= 0xDFFF && high_surrogate_end != i) {
                    return Refusal{i, fmt::format("\\u{:04X} is a lone low surrogate", *unit)};
                }
                high_surrogate_end = unit && *unit >= 0xD800 && *unit <= 0xDBFF ? i + 6 : std::string_view::npos;
                i += unit ? 5 : 1;
            } else if (c == '\\') {
                ++i;
            }
        } else if (c == '"') {
            in_string = true;
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            // Not a number, or one glued to the number before (01.5): RapidJSON fails before reading it.
            const auto length = i == number_end ? 0 : json_number_length(text.substr(i));
            if (length == 0) continue;
            number_end = i + length;
            const auto number = text.substr(i, length);
            numbers.push_back({i, number, !exact_integer(number)});
            i += length - 1;
        } else if (c == '[' || c == '{') {
            if (++depth > kMaxDepth) return Refusal{i, fmt::format("nested deeper than {} levels", kMaxDepth)};
        } else if ((c == ']' || c == '}') && depth > 0) {
            --depth;
        }
    }
    return std::nullopt;
}

// For a token from_chars found out of range: whether its first significant digit sits at or above
// the units once the exponent is applied (too big), rather than below them (underflow).
bool beyond_double_range(std::string_view token) {
    if (token.starts_with('-')) token.remove_prefix(1);
    const auto exponent = detail::leading_digit_exponent(token, false);
    return exponent && *exponent >= 0;
}

// Replaces RapidJSON's doubles by from_chars' conversion of their tokens (document order is text order).
std::optional<Refusal> mend_numbers(Value& root, const std::vector<NumberToken>& numbers) {
    std::vector<Value*> pending{&root};
    std::size_t next = 0;
    while (!pending.empty()) {
        Value* value = pending.back();
        pending.pop_back();
        if (value->IsNumber()) {
            if (next >= numbers.size()) break;  // cannot happen for a document RapidJSON accepted
            const NumberToken& token = numbers[next++];
            if (!token.converted) continue;  // integers are exact
            double exact = 0;
            const auto result = std::from_chars(token.text.data(), token.text.data() + token.text.size(), exact);
            if (result.ec == std::errc::result_out_of_range) {
                if (beyond_double_range(token.text)) return Refusal{token.offset, rapidjson::GetParseError_En(rapidjson::kParseErrorNumberTooBig)};
                exact = token.text.starts_with('-') ? -0.0 : 0.0;
            } else if (result.ec != std::errc{}) {
                continue;
            }
            value->SetDouble(exact);
        } else if (value->IsArray()) {  // children pushed last first, so they pop in order
            for (auto i = value->Size(); i-- > 0;) pending.push_back(&(*value)[i]);
        } else if (value->IsObject()) {  // indices: clang 14 finds C++20's != on these iterators ambiguous
            for (auto i = value->MemberCount(); i-- > 0;) pending.push_back(&(value->MemberBegin() + i)->value);
        }
    }
    return std::nullopt;
}

// The parsed document, or why the text is refused and where.
std::variant<std::shared_ptr<Document>, Refusal> read_document(std::string_view text) {
    std::vector<NumberToken> numbers;
    if (auto refusal = prescan(text, numbers)) return std::move(*refusal);
    std::string neutral;  // the text with every number RapidJSON would convert replaced by "   0"
    for (const auto& number : numbers) {
        if (!number.converted) continue;
        if (neutral.empty()) neutral = std::string(text);
        const auto at = static_cast<std::ptrdiff_t>(number.offset);
        std::fill(neutral.begin() + at, neutral.begin() + at + static_cast<std::ptrdiff_t>(number.text.size()) - 1, ' ');
        neutral[number.offset + number.text.size() - 1] = '0';
    }
    const std::string_view parsed = neutral.empty() ? text : std::string_view(neutral);
    auto document = std::make_shared<Document>();
    document->Parse<kParseFlags>(parsed.empty() ? "" : parsed.data(), parsed.size());
    if (document->HasParseError()) {
        return Refusal{document->GetErrorOffset(), rapidjson::GetParseError_En(document->GetParseError())};
    }
    if (auto refusal = mend_numbers(*document, numbers)) return std::move(*refusal);
    return document;
}

// ---- paths --------------------------------------------------------------------------------------

struct Segment {
    bool is_index = false;
    std::string key;
    std::size_t index = 0;
    std::size_t begin = 0;  // offset in the path where this segment starts ('.' or '[' included)
};

[[noreturn]] void bad_path(std::string_view path, std::size_t position, std::string_view problem) {
    throw JsonError(fmt::format("invalid JSON path \"{}\" at position {}: {}", path, position, problem));
}

std::vector<Segment> parse_path(std::string_view path) {
    std::vector<Segment> segments;
    std::size_t pos = 0;
    const auto bare_key = [&](std::size_t begin, std::size_t from) {
        std::size_t stop = from;
        while (stop < path.size() && path[stop] != '.' && path[stop] != '[' && path[stop] != ']') ++stop;
        if (stop == from) bad_path(path, from, "empty key (quote unusual keys: [\"a.b\"])");
        segments.push_back({false, std::string(path.substr(from, stop - from)), 0, begin});
        pos = stop;
    };
    while (pos < path.size()) {
        const std::size_t begin = pos;
        const char c = path[pos];
        if (c == '.') {
            if (segments.empty()) bad_path(path, pos, "a path cannot start with '.'");
            bare_key(begin, pos + 1);
        } else if (c == '[') {
            ++pos;
            if (pos < path.size() && (path[pos] == '"' || path[pos] == '\'')) {
                const char quote = path[pos++];
                std::string key;
                while (pos < path.size() && path[pos] != quote) {
                    if (path[pos] == '\\' && pos + 1 < path.size()) ++pos;
                    key += path[pos++];
                }
                if (pos >= path.size()) bad_path(path, begin, "unterminated quoted key");
                ++pos;  // closing quote
                if (pos >= path.size() || path[pos] != ']') bad_path(path, pos, "expected ']' after a quoted key");
                segments.push_back({false, std::move(key), 0, begin});
                ++pos;
            } else {
                const std::size_t close = path.find(']', pos);
                if (close == std::string_view::npos) bad_path(path, begin, "missing ']'");
                const std::string_view digits = path.substr(pos, close - pos);
                std::size_t index = 0;
                const auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), index);
                if (digits.empty() || ec != std::errc{} || ptr != digits.data() + digits.size()) {
                    bad_path(path, pos, "an index is a non-negative integer; quote keys: [\"key\"]");
                }
                segments.push_back({true, {}, index, begin});
                pos = close + 1;
            }
        } else if (segments.empty()) {
            bare_key(begin, pos);
        } else {
            bad_path(path, pos, "expected '.' or '['");
        }
    }
    return segments;
}

std::string where(std::string_view path, const Segment& segment) {
    const std::string_view prefix = path.substr(0, segment.begin);
    return prefix.empty() ? std::string("the root") : fmt::format("\"{}\"", prefix);
}

std::string key_list(const Value& object) {
    std::string keys;
    std::size_t shown = 0;
    for (auto it = object.MemberBegin(); it != object.MemberEnd(); ++it) {
        if (shown == 10) {
            keys += fmt::format(", … ({} keys)", object.MemberCount());
            break;
        }
        keys += fmt::format("{}\"{}\"", shown++ == 0 ? "" : ", ", printable(view_of(it->name)));
    }
    return keys.empty() ? std::string("no keys") : "keys: " + keys;
}

const Value* step(const Value& current, const Segment& segment) {
    if (segment.is_index) {
        if (!current.IsArray() || segment.index >= current.Size()) return nullptr;
        return &current[static_cast<rapidjson::SizeType>(segment.index)];
    }
    return current.IsObject() ? find_member(current, segment.key) : nullptr;
}

// Why step() found nothing there.
std::string step_failure(const Value& current, const Segment& segment, std::string_view path) {
    const std::string at = where(path, segment);
    if (segment.is_index && !current.IsArray()) {
        return fmt::format("cannot index [{}]: {} is {}, not an array", segment.index, at, describe_value(current));
    }
    if (segment.is_index) {
        return fmt::format("index [{}] is out of range: the array at {} has {} element(s)", segment.index, at,
                           current.Size());
    }
    if (!current.IsObject()) {
        return fmt::format("cannot look up key \"{}\": {} is {}, not an object", printable(segment.key), at,
                           describe_value(current));
    }
    return fmt::format("no key \"{}\" in the object at {} ({})", printable(segment.key), at, key_list(current));
}

struct Walk {
    const Value* value = nullptr;  // null when a segment found nothing
    std::string missing;           // why, when asked to explain
};

Walk walk(const Value& root, std::string_view path, bool explain) {
    const Value* current = &root;
    for (const Segment& segment : parse_path(path)) {
        const Value* next = step(*current, segment);
        if (next == nullptr) return {nullptr, explain ? step_failure(*current, segment, path) : std::string()};
        current = next;
    }
    return {current, {}};
}

// ---- equality -----------------------------------------------------------------------------------

bool numbers_equal(const Value& a, const Value& b) {
    if (a.IsDouble() || b.IsDouble()) {
        const double x = a.GetDouble();
        const double y = b.GetDouble();
        return !(x < y) && !(y < x);
    }
    if (a.IsInt64() && b.IsInt64()) return a.GetInt64() == b.GetInt64();
    if (a.IsUint64() && b.IsUint64()) return a.GetUint64() == b.GetUint64();
    return false;  // one negative, the other above INT64_MAX
}

bool values_equal(const Value& a, const Value& b) {
    if (type_of(a) != type_of(b)) return false;
    switch (type_of(a)) {
        case JsonType::null: return true;
        case JsonType::boolean: return a.GetBool() == b.GetBool();
        case JsonType::number: return numbers_equal(a, b);
        case JsonType::string: return view_of(a) == view_of(b);
        case JsonType::array:
            if (a.Size() != b.Size()) return false;
            for (rapidjson::SizeType i = 0; i < a.Size(); ++i) {
                if (!values_equal(a[i], b[i])) return false;
            }
            return true;
        case JsonType::object:
            // As the objects read (the last of duplicate keys wins, as in Python): the same keys
            // with equal values. Comparing member by member would make {"a":1,"a":2} unequal to itself.
            for (auto it = a.MemberBegin(); it != a.MemberEnd(); ++it) {
                const Value* mine = find_member(a, view_of(it->name));
                const Value* other = find_member(b, view_of(it->name));
                if (mine == nullptr || other == nullptr || !values_equal(*mine, *other)) return false;
            }
            for (auto it = b.MemberBegin(); it != b.MemberEnd(); ++it) {
                if (find_member(a, view_of(it->name)) == nullptr) return false;
            }
            return true;
    }
    return false;
}

// ---- building -----------------------------------------------------------------------------------

Value make_string(std::string_view text, Allocator& allocator) {
    return Value(text.data() == nullptr ? "" : text.data(), checked_size(text.size()), allocator);
}

[[noreturn]] void wrong_type(const std::string& document_excerpt, std::string_view path, std::string_view expected,
                             const Value& actual, std::string_view note = {}) {
    std::string message =
        fmt::format("{}: expected {}, got {}{}", subject(path), expected, describe_value(actual), note);
    if (!path.empty()) message += fmt::format("; document: {}", document_excerpt);
    throw JsonError(message);
}

}  // namespace

struct Json::Access {
    static const Value& value(const Json& json) {
        const void* node = json.node_.get();
        return node == nullptr ? null_value() : *static_cast<const Value*>(node);
    }
    static Json adopt(const std::shared_ptr<Document>& document) {
        const Value& root = *document;
        return Json(std::shared_ptr<const void>(document, &root));
    }
    static Json child(const Json& owner, const Value& child) {
        if (owner.node_ == nullptr) return Json();  // only the null root has no document
        return Json(std::shared_ptr<const void>(owner.node_, &child));
    }
    static Json built(const JsonValue& value) {
        auto document = std::make_shared<Document>();
        Value root = build(value, document->GetAllocator());
        static_cast<Value&>(*document) = root;  // moves
        return adopt(document);
    }
    static Value build(const JsonValue& value, Allocator& allocator);
};

Value Json::Access::build(const JsonValue& value, Allocator& allocator) {
    return std::visit(
        [&](const auto& v) -> Value {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, std::nullptr_t>) {
                return Value(rapidjson::kNullType);
            } else if constexpr (std::is_same_v<T, bool>) {
                return Value(v);
            } else if constexpr (std::is_same_v<T, std::int64_t>) {
                return Value(static_cast<int64_t>(v));
            } else if constexpr (std::is_same_v<T, std::uint64_t>) {
                return Value(static_cast<uint64_t>(v));
            } else if constexpr (std::is_same_v<T, double>) {
                if (!std::isfinite(v)) throw JsonError(fmt::format("{} cannot be written as JSON", v));
                return Value(v);
            } else if constexpr (std::is_same_v<T, std::string>) {
                return make_string(v, allocator);
            } else {
                return Value(Access::value(v), allocator);  // deep copy into this document
            }
        },
        value.storage());
}

// ---- JsonError / JsonType / JsonValue -------------------------------------------------------------

std::string_view to_string(JsonType type) {
    switch (type) {
        case JsonType::null: return "null";
        case JsonType::boolean: return "boolean";
        case JsonType::number: return "number";
        case JsonType::string: return "string";
        case JsonType::array: return "array";
        case JsonType::object: return "object";
    }
    return "unknown";
}

JsonValue::JsonValue(const char* text) {
    if (text == nullptr) throw JsonError("a null const char* is not a JSON value (use nullptr for null)");
    storage_.emplace<std::string>(text);
}

// ---- Json ---------------------------------------------------------------------------------------

Json Json::parse(std::string_view text) {
    auto read = read_document(text);
    if (const auto* refusal = std::get_if<Refusal>(&read)) {
        throw JsonError(parse_error_message(text, refusal->offset, refusal->reason), refusal->offset);
    }
    return Access::adopt(std::get<std::shared_ptr<Document>>(read));
}

std::optional<Json> Json::try_parse(std::string_view text) {
    auto read = read_document(text);
    if (std::holds_alternative<Refusal>(read)) return std::nullopt;
    return Access::adopt(std::get<std::shared_ptr<Document>>(read));
}

Json Json::of(const JsonValue& value) { return Access::built(value); }

Json Json::object(std::initializer_list<JsonMember> members) {
    return object(std::vector<JsonMember>(members.begin(), members.end()));
}

Json Json::object(const std::vector<JsonMember>& members) {
    auto document = std::make_shared<Document>();
    auto& allocator = document->GetAllocator();
    document->SetObject();
    std::unordered_set<std::string_view> seen;
    for (const auto& [key, value] : members) {
        if (!seen.insert(key).second) throw JsonError(fmt::format("Json::object: duplicate key \"{}\"", key));
        Value built = Access::build(value, allocator);
        document->AddMember(make_string(key, allocator), built, allocator);
    }
    return Access::adopt(document);
}

Json Json::array(std::initializer_list<JsonValue> elements) {
    return array(std::vector<JsonValue>(elements.begin(), elements.end()));
}

Json Json::array(const std::vector<JsonValue>& elements) {
    auto document = std::make_shared<Document>();
    auto& allocator = document->GetAllocator();
    document->SetArray();
    document->Reserve(checked_size(elements.size()), allocator);
    for (const auto& element : elements) {
        Value built = Access::build(element, allocator);
        document->PushBack(built, allocator);
    }
    return Access::adopt(document);
}

JsonType Json::type() const noexcept { return type_of(Access::value(*this)); }

bool Json::is_integer() const noexcept { return Access::value(*this).IsInt64(); }

JsonLookup Json::lookup(std::string_view path) const {
    Walk found = walk(Access::value(*this), path, true);
    if (found.value == nullptr) return {std::nullopt, std::move(found.missing)};
    return {Access::child(*this, *found.value), {}};
}

std::optional<Json> Json::find(std::string_view path) const {
    const Walk found = walk(Access::value(*this), path, false);
    if (found.value == nullptr) return std::nullopt;
    return Access::child(*this, *found.value);
}

Json Json::at(std::string_view path) const {
    JsonLookup found = lookup(path);
    if (!found.value) {
        throw JsonError(fmt::format("{} is missing: {}; document: {}", subject(path), found.missing,
                                    excerpt(kDocumentExcerpt)));
    }
    return std::move(*found.value);
}

std::string Json::str(std::string_view path) const {
    const Json value = at(path);
    if (!value.is_string()) wrong_type(excerpt(kDocumentExcerpt), path, "string", Access::value(value));
    return std::string(view_of(Access::value(value)));
}

bool Json::boolean(std::string_view path) const {
    const Json value = at(path);
    if (!value.is_bool()) wrong_type(excerpt(kDocumentExcerpt), path, "boolean", Access::value(value));
    return Access::value(value).GetBool();
}

std::int64_t Json::integer(std::string_view path) const {
    const Json value = at(path);
    const Value& v = Access::value(value);
    if (v.IsInt64()) return v.GetInt64();
    const std::string_view note = v.IsUint64()   ? " (outside the int64 range)"
                                  : v.IsNumber() ? " (not an integer literal)"
                                                 : "";
    wrong_type(excerpt(kDocumentExcerpt), path, "integer", v, note);
}

double Json::number(std::string_view path) const {
    const Json value = at(path);
    if (!value.is_number()) wrong_type(excerpt(kDocumentExcerpt), path, "number", Access::value(value));
    return Access::value(value).GetDouble();
}

std::size_t Json::size(std::string_view path) const {
    const Json value = at(path);
    const Value& v = Access::value(value);
    if (v.IsArray()) return v.Size();
    if (v.IsObject()) return v.MemberCount();
    wrong_type(excerpt(kDocumentExcerpt), path, "array or object", Access::value(value));
}

std::vector<Json> Json::elements(std::string_view path) const {
    const Json value = at(path);
    const Value& v = Access::value(value);
    if (!v.IsArray()) wrong_type(excerpt(kDocumentExcerpt), path, "array", Access::value(value));
    std::vector<Json> out;
    out.reserve(v.Size());
    for (const Value& element : v.GetArray()) out.push_back(Access::child(value, element));
    return out;
}

std::vector<std::pair<std::string, Json>> Json::members(std::string_view path) const {
    const Json value = at(path);
    const Value& v = Access::value(value);
    if (!v.IsObject()) wrong_type(excerpt(kDocumentExcerpt), path, "object", Access::value(value));
    std::vector<std::pair<std::string, Json>> out;
    out.reserve(v.MemberCount());
    for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it) {
        out.emplace_back(std::string(view_of(it->name)), Access::child(value, it->value));
    }
    return out;
}

std::vector<std::string> Json::keys(std::string_view path) const {
    const Json value = at(path);
    const Value& v = Access::value(value);
    if (!v.IsObject()) wrong_type(excerpt(kDocumentExcerpt), path, "object", Access::value(value));
    std::vector<std::string> out;
    out.reserve(v.MemberCount());
    for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it) out.emplace_back(view_of(it->name));
    return out;
}

Json Json::decoded(std::string_view path) const {
    const std::string text = str(path);
    try {
        return parse(text);
    } catch (const JsonError& error) {
        throw JsonError(fmt::format("{} is a string that does not hold JSON: {}", subject(path), error.what()));
    }
}

std::string Json::dump() const { return dump_value(Access::value(*this)); }

std::string Json::excerpt(std::size_t max) const { return trimmed(dump(), max); }

bool operator==(const Json& lhs, const Json& rhs) {
    return values_equal(Json::Access::value(lhs), Json::Access::value(rhs));
}

std::ostream& operator<<(std::ostream& out, const Json& json) { return out << json.excerpt(1000); }

// ---- NDJSON -------------------------------------------------------------------------------------

std::vector<Json> parse_ndjson(std::string_view text, BadLine on_bad_line) {
    std::vector<Json> out;
    std::size_t line_number = 0;
    while (!text.empty()) {
        ++line_number;
        const std::size_t newline = text.find('\n');
        std::string_view line = text.substr(0, newline);
        text = newline == std::string_view::npos ? std::string_view{} : text.substr(newline + 1);
        const auto first = line.find_first_not_of(" \t\r");
        if (first == std::string_view::npos) continue;
        line = line.substr(first, line.find_last_not_of(" \t\r") + 1 - first);
        try {
            out.push_back(Json::parse(line));
        } catch (const JsonError& error) {
            if (on_bad_line == BadLine::skip) continue;
            throw JsonError(fmt::format("NDJSON line {}: {}", line_number, error.what()));
        }
    }
    return out;
}

}  // namespace e2e
