// An immutable, type-strict JSON value for reading responses and building request bodies.
// Strictness is the point (contract appendix B): true is not "true", 1 is not true, a present null
// is not a missing key. RapidJSON stays inside lib/src/json.cpp; this header is RapidJSON-free.
//
// Paths: `child.body`, `pools[0].idle`, `a.b[2][0].c`; keys with dots or brackets are quoted in
// brackets: `["cognito:username"]`, `requestContext.authorizer["a.b"]` (\" and \\ escape inside).
// The empty path is the value itself.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <iosfwd>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace e2e {

// Every message names the input: the path and a trimmed excerpt of the document, or the parse
// offset and the text around it.
class JsonError : public std::runtime_error {
public:
    explicit JsonError(const std::string& message, std::optional<std::size_t> offset = std::nullopt)
        : std::runtime_error(message), offset_(offset) {}
    // Byte offset of a parse error in the input text; empty for other errors.
    std::optional<std::size_t> offset() const noexcept { return offset_; }

private:
    std::optional<std::size_t> offset_;
};

enum class JsonType { null, boolean, number, string, array, object };

std::string_view to_string(JsonType type);  // "null", "boolean", "number", ...

class Json;
class JsonValue;
using JsonMember = std::pair<std::string, JsonValue>;

// Result of a path lookup that keeps the reason when nothing is there.
struct JsonLookup;

class Json {
public:
    Json() noexcept = default;  // null

    // Throws JsonError with offset, line/column, RapidJSON's message and the text around the error.
    // Documents nested deeper than 1000 arrays/objects are rejected (values are compared and dumped
    // recursively), as are lone low surrogate escapes (\uDC00-\uDFFF) and numbers beyond the range
    // of a double; numbers below it read as a signed zero. Non-integers are converted by
    // std::from_chars (exact), not by RapidJSON.
    static Json parse(std::string_view text);
    static std::optional<Json> try_parse(std::string_view text);

    // Builders (deep copies; NaN/Inf and duplicate keys throw JsonError):
    //   Json::object({{"action", "echo"}, {"n", 3}, {"nested", Json::object({...})}, {"none", nullptr}})
    static Json of(const JsonValue& value);
    static Json object(std::initializer_list<JsonMember> members = {});
    static Json object(const std::vector<JsonMember>& members);
    static Json array(std::initializer_list<JsonValue> elements = {});
    static Json array(const std::vector<JsonValue>& elements);

    JsonType type() const noexcept;
    std::string_view type_name() const noexcept { return to_string(type()); }
    bool is_null() const noexcept { return type() == JsonType::null; }
    bool is_bool() const noexcept { return type() == JsonType::boolean; }
    bool is_number() const noexcept { return type() == JsonType::number; }
    bool is_integer() const noexcept;  // an integer literal that fits std::int64_t (not 2.0)
    bool is_string() const noexcept { return type() == JsonType::string; }
    bool is_array() const noexcept { return type() == JsonType::array; }
    bool is_object() const noexcept { return type() == JsonType::object; }

    // Path access. A malformed path throws JsonError (a bug in the test, not a missing field).
    std::optional<Json> find(std::string_view path) const;  // nullopt only when absent
    bool has(std::string_view path) const { return find(path).has_value(); }
    JsonLookup lookup(std::string_view path) const;          // like find(), with the reason
    Json at(std::string_view path) const;                    // throws JsonError when absent

    // Strict getters: throw JsonError when absent or of another JSON type (no coercion).
    std::string str(std::string_view path = {}) const;
    bool boolean(std::string_view path = {}) const;
    std::int64_t integer(std::string_view path = {}) const;  // rejects 1.5 and 2.0
    double number(std::string_view path = {}) const;

    // Containers at path: size() of an array or object, elements() of an array, members()/keys()
    // of an object (document order). Throw JsonError for any other type.
    std::size_t size(std::string_view path = {}) const;
    std::vector<Json> elements(std::string_view path = {}) const;
    std::vector<std::pair<std::string, Json>> members(std::string_view path = {}) const;
    std::vector<std::string> keys(std::string_view path = {}) const;

    // The JSON text carried in a string field (Lambda `body`, chain_invoke's `child.body`), parsed.
    Json decoded(std::string_view path = {}) const;

    std::string dump() const;                            // compact
    std::string excerpt(std::size_t max = 400) const;    // dump() cut at max bytes + "…(N more bytes)"

    // Deep, type-strict: numbers compare by value (1 == 1.0); bool, number, string never mix;
    // objects compare as they read, the last of duplicate keys winning.
    friend bool operator==(const Json& lhs, const Json& rhs);

private:
    struct Access;  // json.cpp internals
    // Points at a RapidJSON value inside a document owned by the same control block (aliasing
    // shared_ptr): copies are cheap and a sub-value keeps its document alive. Empty means null.
    explicit Json(std::shared_ptr<const void> node) noexcept : node_(std::move(node)) {}
    std::shared_ptr<const void> node_;
};

struct JsonLookup {
    std::optional<Json> value;
    std::string missing;  // when value is empty: which segment failed and what was there instead
};

// Prints excerpt(1000); Catch2 uses it for "actual" values in every translation unit.
std::ostream& operator<<(std::ostream& out, const Json& json);

// One builder argument. Exactly bool becomes a JSON boolean, so a const char* or a pointer never
// turns into true; char is rejected rather than guessed as a number or a string.
class JsonValue {
public:
    using Storage = std::variant<std::nullptr_t, bool, std::int64_t, std::uint64_t, double, std::string, Json>;

    JsonValue(std::nullptr_t) noexcept : storage_(nullptr) {}  // NOLINT: implicit by design
    template <std::same_as<bool> B>
    JsonValue(B value) noexcept : storage_(std::in_place_type<bool>, value) {}  // NOLINT
    template <std::integral I>
        requires(!std::same_as<I, bool> && !std::same_as<I, char> && !std::same_as<I, wchar_t> &&
                 !std::same_as<I, char8_t> && !std::same_as<I, char16_t> && !std::same_as<I, char32_t>)
    JsonValue(I value) noexcept {  // NOLINT
        if constexpr (std::is_signed_v<I>) {
            storage_.emplace<std::int64_t>(value);
        } else {
            storage_.emplace<std::uint64_t>(value);
        }
    }
    template <std::floating_point F>
    JsonValue(F value) noexcept : storage_(std::in_place_type<double>, static_cast<double>(value)) {}  // NOLINT
    JsonValue(const char* text);                                                 // NOLINT; null throws
    JsonValue(std::string_view text) : storage_(std::in_place_type<std::string>, text) {}  // NOLINT
    JsonValue(std::string text) noexcept : storage_(std::move(text)) {}                  // NOLINT
    JsonValue(Json json) noexcept : storage_(std::move(json)) {}                          // NOLINT
    template <typename T>
    JsonValue(const std::optional<T>& value) : storage_(nullptr) {  // NOLINT: nullopt is null
        if (value) *this = JsonValue(*value);
    }

    const Storage& storage() const noexcept { return storage_; }

private:
    Storage storage_;
};

// Newline-delimited JSON (VictoriaLogs query answers). Blank lines are skipped. A bad line throws
// JsonError naming its 1-based line number, or is dropped with BadLine::skip (what the Python
// suite does, contract H6).
enum class BadLine { fail, skip };
std::vector<Json> parse_ndjson(std::string_view text, BadLine on_bad_line = BadLine::fail);

}  // namespace e2e
