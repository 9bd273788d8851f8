// DynamoDB attribute values: the typed model and its wire (typed JSON) and plain JSON forms.
#include <fmt/format.h>

#include <array>
#include <ostream>

#include "e2e/dynamodb.hpp"

namespace e2e {
namespace {

constexpr int kMaxNesting = 32;  // DynamoDB's limit on nested attribute levels

using Kind = AttributeValueError::Kind;

[[noreturn]] void fail(Kind kind, const std::string& message) { throw AttributeValueError(kind, message); }

bool is_digit(char c) { return c >= '0' && c <= '9'; }

constexpr std::string_view kBase64Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string base64_encode(std::string_view bytes) {
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 2 < bytes.size(); i += 3) {
        const auto n = (static_cast<unsigned>(static_cast<unsigned char>(bytes[i])) << 16) |
                       (static_cast<unsigned>(static_cast<unsigned char>(bytes[i + 1])) << 8) |
                       static_cast<unsigned>(static_cast<unsigned char>(bytes[i + 2]));
        for (int shift : {18, 12, 6, 0}) out += kBase64Alphabet[(n >> shift) & 0x3F];
    }
    const std::size_t rest = bytes.size() - i;
    if (rest > 0) {
        unsigned n = static_cast<unsigned>(static_cast<unsigned char>(bytes[i])) << 16;
        if (rest == 2) n |= static_cast<unsigned>(static_cast<unsigned char>(bytes[i + 1])) << 8;
        out += kBase64Alphabet[(n >> 18) & 0x3F];
        out += kBase64Alphabet[(n >> 12) & 0x3F];
        out += rest == 2 ? kBase64Alphabet[(n >> 6) & 0x3F] : '=';
        out += '=';
    }
    return out;
}

// Strict: length a multiple of 4, padding only at the end.
std::optional<std::string> base64_decode(std::string_view text) {
    if (text.size() % 4 != 0) return std::nullopt;
    std::array<int, 256> index{};
    index.fill(-1);
    for (std::size_t i = 0; i < kBase64Alphabet.size(); ++i) index[static_cast<unsigned char>(kBase64Alphabet[i])] = static_cast<int>(i);
    std::string out;
    out.reserve(text.size() / 4 * 3);
    for (std::size_t i = 0; i < text.size(); i += 4) {
        const bool last = i + 4 == text.size();
        unsigned n = 0;
        int padding = 0;
        for (std::size_t j = 0; j < 4; ++j) {
            const char c = text[i + j];
            if (c == '=' && last && j >= 2) {
                ++padding;
                n <<= 6;
                continue;
            }
            if (padding > 0) return std::nullopt;  // data after '='
            const int value = index[static_cast<unsigned char>(c)];
            if (value < 0) return std::nullopt;
            n = (n << 6) | static_cast<unsigned>(value);
        }
        out += static_cast<char>((n >> 16) & 0xFF);
        if (padding < 2) out += static_cast<char>((n >> 8) & 0xFF);
        if (padding < 1) out += static_cast<char>(n & 0xFF);
    }
    return out;
}

std::string child_path(std::string_view where, std::string_view name) { return fmt::format("{}.{}", where, name); }
std::string element_path(std::string_view where, std::size_t index) { return fmt::format("{}[{}]", where, index); }

AttributeValue parse_typed(const Json& json, std::string_view where, int depth);

AttributeValue::Map parse_members(const Json& object, std::string_view where, int depth) {
    AttributeValue::Map members;
    for (const auto& [name, value] : object.members()) members[name] = parse_typed(value, child_path(where, name), depth);
    return members;
}

AttributeValue parse_typed(const Json& json, std::string_view where, int depth) {
    if (depth > kMaxNesting)
        fail(Kind::validation, fmt::format("Nesting Levels have exceeded supported limits (at {}: more than {} levels)",
                                           where, kMaxNesting));
    if (!json.is_object())
        fail(Kind::serialization, fmt::format("{}: an attribute value must be a JSON object like {{\"S\": \"x\"}}, got {} {}",
                                              where, json.type_name(), json.excerpt(80)));
    const auto members = json.members();
    if (members.empty())
        fail(Kind::validation, fmt::format("Supplied AttributeValue is empty, must contain exactly one of the supported "
                                           "datatypes (at {})", where));
    if (members.size() > 1)
        fail(Kind::validation, fmt::format("Supplied AttributeValue has more than one datatypes set, must contain exactly "
                                           "one of the supported datatypes (at {}: {})", where, json.excerpt(80)));
    // Not a structured binding: clang 14 cannot capture one in the lambda below (the fuzz preset's compiler).
    const auto& tag = members.front().first;
    const auto& value = members.front().second;
    auto expect = [&](JsonType type) {
        if (value.type() != type)
            fail(Kind::serialization, fmt::format("{}: the {} of an attribute value must be a JSON {}, got {} {}", where,
                                                  tag, to_string(type), value.type_name(), value.excerpt(80)));
    };
    if (tag == "S") {
        expect(JsonType::string);
        return AttributeValue::string(value.str());
    }
    if (tag == "N") {
        expect(JsonType::string);
        const auto text = value.str();
        if (!is_number_text(text))
            fail(Kind::validation, fmt::format("A value provided cannot be converted into a number (at {}: \"{}\")", where,
                                               text.substr(0, 80)));
        return AttributeValue::number(text);
    }
    if (tag == "B") {
        expect(JsonType::string);
        auto bytes = base64_decode(value.str());
        if (!bytes) fail(Kind::validation, fmt::format("{}: B is not valid base64: {}", where, value.excerpt(80)));
        return AttributeValue::binary(std::move(*bytes));
    }
    if (tag == "BOOL") {
        expect(JsonType::boolean);
        return AttributeValue::boolean(value.boolean());
    }
    if (tag == "NULL") {
        expect(JsonType::boolean);
        if (!value.boolean())
            fail(Kind::validation, fmt::format("One or more parameter values were invalid: Null attribute value types must "
                                               "have the value of true (at {})", where));
        return AttributeValue::null();
    }
    if (tag == "M") {
        expect(JsonType::object);
        return AttributeValue::map(parse_members(value, where, depth + 1));
    }
    if (tag == "L") {
        expect(JsonType::array);
        AttributeValue::List elements;
        const auto items = value.elements();
        elements.reserve(items.size());
        for (std::size_t i = 0; i < items.size(); ++i) elements.push_back(parse_typed(items[i], element_path(where, i), depth + 1));
        return AttributeValue::list(std::move(elements));
    }
    if (tag == "SS" || tag == "NS" || tag == "BS")
        fail(Kind::validation, fmt::format("{}: set type {} is not supported here (only S, N, B, BOOL, NULL, M, L)", where, tag));
    fail(Kind::validation, fmt::format("{}: unknown attribute value type \"{}\" (expected one of S, N, B, BOOL, NULL, M, L)",
                                       where, tag));
}

AttributeValue parse_plain(const Json& json, int depth) {
    if (depth > kMaxNesting)
        fail(Kind::validation, fmt::format("plain JSON nested more than {} levels", kMaxNesting));
    switch (json.type()) {
        case JsonType::null: return AttributeValue::null();
        case JsonType::boolean: return AttributeValue::boolean(json.boolean());
        case JsonType::number: return AttributeValue::number(json.dump());
        case JsonType::string: return AttributeValue::string(json.str());
        case JsonType::array: {
            AttributeValue::List elements;
            for (const auto& element : json.elements()) elements.push_back(parse_plain(element, depth + 1));
            return AttributeValue::list(std::move(elements));
        }
        case JsonType::object: {
            AttributeValue::Map members;
            for (const auto& [name, value] : json.members()) members[name] = parse_plain(value, depth + 1);
            return AttributeValue::map(std::move(members));
        }
    }
    fail(Kind::validation, "unknown JSON type");
}

}  // namespace

std::string_view to_string(AttributeType type) {
    switch (type) {
        case AttributeType::string: return "S";
        case AttributeType::number: return "N";
        case AttributeType::binary: return "B";
        case AttributeType::boolean: return "BOOL";
        case AttributeType::null: return "NULL";
        case AttributeType::map: return "M";
        case AttributeType::list: return "L";
    }
    return "?";
}

bool is_number_text(std::string_view text) {
    std::size_t i = 0;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
    std::size_t digits = 0;
    while (i < text.size() && is_digit(text[i])) ++i, ++digits;
    if (i < text.size() && text[i] == '.') {
        ++i;
        while (i < text.size() && is_digit(text[i])) ++i, ++digits;
    }
    if (digits == 0) return false;
    if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
        ++i;
        if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
        std::size_t exponent_digits = 0;
        while (i < text.size() && is_digit(text[i])) ++i, ++exponent_digits;
        if (exponent_digits == 0) return false;
    }
    return i == text.size();
}

AttributeValue AttributeValue::string(std::string text) { return AttributeValue(Storage(std::move(text))); }

AttributeValue AttributeValue::number(std::string text) {
    if (!is_number_text(text))
        fail(Kind::validation, fmt::format("A value provided cannot be converted into a number: \"{}\"", text.substr(0, 80)));
    return AttributeValue(Storage(Number{std::move(text)}));
}

AttributeValue AttributeValue::number(std::int64_t value) { return AttributeValue(Storage(Number{std::to_string(value)})); }

AttributeValue AttributeValue::binary(std::string bytes) { return AttributeValue(Storage(Binary{std::move(bytes)})); }

AttributeValue AttributeValue::boolean(bool value) { return AttributeValue(Storage(value)); }

AttributeValue AttributeValue::map(Map members) {
    return AttributeValue(Storage(std::make_shared<const Map>(std::move(members))));
}

AttributeValue AttributeValue::list(List elements) {
    return AttributeValue(Storage(std::make_shared<const List>(std::move(elements))));
}

AttributeType AttributeValue::type() const noexcept {
    switch (storage_.index()) {
        case 0: return AttributeType::null;
        case 1: return AttributeType::string;
        case 2: return AttributeType::number;
        case 3: return AttributeType::binary;
        case 4: return AttributeType::boolean;
        case 5: return AttributeType::map;
        default: return AttributeType::list;
    }
}

void AttributeValue::wrong_type(AttributeType wanted) const {
    fail(Kind::validation, fmt::format("attribute value is {} not {}: {}", to_string(type()), to_string(wanted),
                                       to_json().excerpt(120)));
}

const std::string& AttributeValue::as_string() const {
    if (const auto* text = std::get_if<std::string>(&storage_)) return *text;
    wrong_type(AttributeType::string);
}

const std::string& AttributeValue::as_number() const {
    if (const auto* number = std::get_if<Number>(&storage_)) return number->text;
    wrong_type(AttributeType::number);
}

const std::string& AttributeValue::as_binary() const {
    if (const auto* binary = std::get_if<Binary>(&storage_)) return binary->bytes;
    wrong_type(AttributeType::binary);
}

bool AttributeValue::as_bool() const {
    if (const auto* flag = std::get_if<bool>(&storage_)) return *flag;
    wrong_type(AttributeType::boolean);
}

const AttributeValue::Map& AttributeValue::as_map() const {
    if (const auto* members = std::get_if<std::shared_ptr<const Map>>(&storage_)) return **members;
    wrong_type(AttributeType::map);
}

const AttributeValue::List& AttributeValue::as_list() const {
    if (const auto* elements = std::get_if<std::shared_ptr<const List>>(&storage_)) return **elements;
    wrong_type(AttributeType::list);
}

Json AttributeValue::to_json() const {
    const std::string tag(to_string(type()));
    switch (type()) {
        case AttributeType::null: return Json::object({{tag, true}});
        case AttributeType::string: return Json::object({{tag, as_string()}});
        case AttributeType::number: return Json::object({{tag, as_number()}});
        case AttributeType::binary: return Json::object({{tag, base64_encode(as_binary())}});
        case AttributeType::boolean: return Json::object({{tag, as_bool()}});
        case AttributeType::map: return Json::object({{tag, e2e::to_json(as_map())}});
        case AttributeType::list: {
            std::vector<JsonValue> elements;
            for (const auto& element : as_list()) elements.emplace_back(element.to_json());
            return Json::object({{tag, Json::array(elements)}});
        }
    }
    return {};
}

AttributeValue AttributeValue::from_json(const Json& typed, std::string_view where) { return parse_typed(typed, where, 1); }

Json AttributeValue::to_plain_json() const {
    switch (type()) {
        case AttributeType::null: return {};
        case AttributeType::string: return Json::of(as_string());
        case AttributeType::number: {
            auto parsed = Json::try_parse(as_number());
            if (!parsed || !parsed->is_number())
                fail(Kind::validation, fmt::format("N \"{}\" has no plain JSON number form", as_number()));
            return *parsed;
        }
        case AttributeType::binary: return Json::of(base64_encode(as_binary()));
        case AttributeType::boolean: return Json::of(as_bool());
        case AttributeType::map: {
            std::vector<JsonMember> members;
            for (const auto& [name, value] : as_map()) members.emplace_back(name, value.to_plain_json());
            return Json::object(members);
        }
        case AttributeType::list: {
            std::vector<JsonValue> elements;
            for (const auto& element : as_list()) elements.emplace_back(element.to_plain_json());
            return Json::array(elements);
        }
    }
    return {};
}

AttributeValue AttributeValue::from_plain_json(const Json& plain) { return parse_plain(plain, 1); }

bool operator==(const AttributeValue& lhs, const AttributeValue& rhs) {
    if (lhs.type() != rhs.type()) return false;
    switch (lhs.type()) {
        case AttributeType::null: return true;
        case AttributeType::string: return lhs.as_string() == rhs.as_string();
        case AttributeType::number: return lhs.as_number() == rhs.as_number();
        case AttributeType::binary: return lhs.as_binary() == rhs.as_binary();
        case AttributeType::boolean: return lhs.as_bool() == rhs.as_bool();
        case AttributeType::map: return lhs.as_map() == rhs.as_map();
        case AttributeType::list: return lhs.as_list() == rhs.as_list();
    }
    return false;
}

Json to_json(const Item& item) {
    std::vector<JsonMember> members;
    members.reserve(item.size());
    for (const auto& [name, value] : item) members.emplace_back(name, value.to_json());
    return Json::object(members);
}

Item item_from_json(const Json& typed, std::string_view where) {
    if (!typed.is_object())
        fail(Kind::serialization, fmt::format("{} must be a JSON object of attribute values, got {} {}", where,
                                              typed.type_name(), typed.excerpt(80)));
    return parse_members(typed, where, 1);
}

Item item_from_plain_json(const Json& plain) {
    if (!plain.is_object())
        fail(Kind::validation, fmt::format("an item must be a JSON object, got {} {}", plain.type_name(), plain.excerpt(80)));
    return AttributeValue::from_plain_json(plain).as_map();
}

std::ostream& operator<<(std::ostream& out, const AttributeValue& value) { return out << value.to_json().dump(); }

std::ostream& operator<<(std::ostream& out, const Item& item) { return out << to_json(item).dump(); }

std::string_view to_string(ReturnValues value) {
    switch (value) {
        case ReturnValues::none: return "NONE";
        case ReturnValues::all_old: return "ALL_OLD";
        case ReturnValues::updated_old: return "UPDATED_OLD";
        case ReturnValues::all_new: return "ALL_NEW";
        case ReturnValues::updated_new: return "UPDATED_NEW";
    }
    return "NONE";
}

}  // namespace e2e
