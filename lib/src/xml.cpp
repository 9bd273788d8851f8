#include "e2e/xml.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>

#include "e2e/utf8.hpp"

namespace e2e {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

bool is_name_start(char c) {
    const auto u = static_cast<unsigned char>(c);
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || c == ':' || u >= 0x80;
}

bool is_name_char(char c) { return is_name_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.'; }

bool is_name(std::string_view name) {
    return !name.empty() && is_name_start(name.front()) && std::all_of(name.begin(), name.end(), is_name_char);
}

// The XML 1.0 Char production.
bool is_xml_char(std::uint32_t cp) {
    return cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0xD7FF) || (cp >= 0xE000 && cp <= 0xFFFD) ||
           (cp >= 0x10000 && cp <= 0x10FFFF);
}

// Printable excerpt of the input around `offset`, for error messages.
std::string excerpt_around(std::string_view text, std::size_t offset) {
    const std::size_t begin = offset > 20 ? offset - 20 : 0;
    const std::size_t end = std::min(text.size(), offset + 20);
    std::string out;
    for (char c : text.substr(begin, end - begin)) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7F) out += fmt::format("\\x{:02x}", u);
        else out += c;
    }
    return out;
}

class Parser {
public:
    Parser(std::string_view text, const XmlLimits& limits) : in_(text), limits_(limits) {}

    XmlElement document() {
        if (in_.size() > limits_.max_bytes)
            fail(fmt::format("document of {} bytes exceeds the limit of {} bytes", in_.size(), limits_.max_bytes),
                 limits_.max_bytes);
        check_characters();
        if (in_.starts_with("\xEF\xBB\xBF")) pos_ = 3;
        if (in_.substr(pos_).starts_with("<?xml") && pos_ + 5 < in_.size() && is_space(in_[pos_ + 5])) declaration();
        misc();
        if (!at("<") || at("</")) fail("expected the root element", pos_);
        XmlElement root = element(1);
        misc();
        if (pos_ != in_.size()) fail("unexpected content after the root element", pos_);
        return root;
    }

private:
    std::string_view in_;
    const XmlLimits& limits_;
    std::size_t pos_ = 0;

    [[noreturn]] void fail(const std::string& what, std::size_t at) const {
        throw XmlError(fmt::format("XML: {} at offset {} near '{}'", what, at, excerpt_around(in_, at)), at);
    }

    bool at(std::string_view token) const { return in_.substr(pos_).starts_with(token); }

    void expect(std::string_view token) {
        if (!at(token)) fail(fmt::format("expected '{}'", token), pos_);
        pos_ += token.size();
    }

    bool skip_spaces() {
        const std::size_t start = pos_;
        while (pos_ < in_.size() && is_space(in_[pos_])) ++pos_;
        return pos_ != start;
    }

    // Every byte is well-formed UTF-8 and an XML Char, so later steps can work on bytes.
    void check_characters() const {
        for (std::size_t i = 0; i < in_.size();) {
            const auto decoded = decode_utf8(in_, i);
            if (!decoded) fail("malformed UTF-8", i);
            if (!is_xml_char(decoded->code_point))
                fail(fmt::format("character U+{:04X} is not allowed in XML 1.0", decoded->code_point), i);
            i += decoded->length;
        }
    }

    std::string name() {
        const std::size_t start = pos_;
        if (pos_ >= in_.size() || !is_name_start(in_[pos_])) fail("expected a name", pos_);
        while (pos_ < in_.size() && is_name_char(in_[pos_])) ++pos_;
        return std::string(in_.substr(start, pos_ - start));
    }

    // <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
    void declaration() {
        const std::size_t start = pos_;
        pos_ += 5;
        const auto end = in_.find("?>", pos_);
        if (end == std::string_view::npos) fail("unterminated XML declaration", start);
        bool has_version = false;
        while (true) {
            const bool spaced = skip_spaces();
            if (at("?>")) break;
            if (!spaced) fail("expected a space between declaration attributes", pos_);
            const std::size_t attribute_at = pos_;
            const std::string key = name();
            skip_spaces();
            expect("=");
            skip_spaces();
            const std::string value = quoted_value();
            if (key == "version") {
                if (!value.starts_with("1.")) fail(fmt::format("unsupported XML version '{}'", value), attribute_at);
                has_version = true;
            } else if (key == "encoding") {
                std::string lower = value;
                std::transform(lower.begin(), lower.end(), lower.begin(),
                               [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; });
                if (lower != "utf-8" && lower != "utf8" && lower != "us-ascii")
                    fail(fmt::format("unsupported encoding '{}' (only UTF-8)", value), attribute_at);
            } else if (key == "standalone") {
                if (value != "yes" && value != "no") fail(fmt::format("standalone must be yes or no, not '{}'", value), attribute_at);
            } else {
                fail(fmt::format("unknown XML declaration attribute '{}'", key), attribute_at);
            }
        }
        if (!has_version) fail("XML declaration without version", start);
        expect("?>");
    }

    // Comments, processing instructions and white space between markup.
    void misc() {
        while (true) {
            skip_spaces();
            if (at("<!--")) {
                comment();
            } else if (at("<?")) {
                processing_instruction();
            } else if (at("<!DOCTYPE")) {
                fail("DOCTYPE declarations are not supported", pos_);
            } else {
                return;
            }
        }
    }

    void comment() {
        const std::size_t start = pos_;
        pos_ += 4;
        const auto end = in_.find("--", pos_);
        if (end == std::string_view::npos) fail("unterminated comment", start);
        if (in_.substr(end).starts_with("-->")) {
            pos_ = end + 3;
            return;
        }
        fail("'--' inside a comment", end);
    }

    void processing_instruction() {
        const std::size_t start = pos_;
        pos_ += 2;
        const std::string target = name();
        std::string lower = target;
        std::transform(lower.begin(), lower.end(), lower.begin(),
                       [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; });
        if (lower == "xml") fail("XML declaration is only allowed at the start of the document", start);
        const auto end = in_.find("?>", pos_);
        if (end == std::string_view::npos) fail("unterminated processing instruction", start);
        if (end != pos_ && !is_space(in_[pos_])) fail("expected a space after the processing instruction target", pos_);
        pos_ = end + 2;
    }

    // &name; or &#N; or &#xN; at pos_ (which holds '&'), appended decoded.
    void reference(std::string& out) {
        const std::size_t start = pos_;
        const auto semicolon = in_.find(';', pos_);
        if (semicolon == std::string_view::npos || semicolon - pos_ > 12) fail("'&' that does not start a reference", start);
        const std::string_view body = in_.substr(pos_ + 1, semicolon - pos_ - 1);
        pos_ = semicolon + 1;
        if (body == "lt") out += '<';
        else if (body == "gt") out += '>';
        else if (body == "amp") out += '&';
        else if (body == "quot") out += '"';
        else if (body == "apos") out += '\'';
        else if (body.starts_with('#')) {
            const bool hex = body.size() > 1 && body[1] == 'x';
            const std::string_view digits = body.substr(hex ? 2 : 1);
            if (digits.empty()) fail("empty character reference", start);
            std::uint32_t cp = 0;
            for (char c : digits) {
                std::uint32_t digit = 0;
                if (c >= '0' && c <= '9') digit = static_cast<std::uint32_t>(c - '0');
                else if (hex && c >= 'a' && c <= 'f') digit = static_cast<std::uint32_t>(c - 'a' + 10);
                else if (hex && c >= 'A' && c <= 'F') digit = static_cast<std::uint32_t>(c - 'A' + 10);
                else fail(fmt::format("bad character reference '&{};'", body), start);
                cp = cp * (hex ? 16u : 10u) + digit;
                if (cp > 0x10FFFF) fail(fmt::format("character reference '&{};' is out of range", body), start);
            }
            if (!is_xml_char(cp)) fail(fmt::format("character reference '&{};' is not an XML 1.0 character", body), start);
            append_utf8(out, cp);
        } else {
            fail(fmt::format("unknown entity '&{};'", body), start);
        }
    }

    // A quoted attribute value, references decoded, white space normalised to spaces.
    std::string quoted_value() {
        if (pos_ >= in_.size() || (in_[pos_] != '"' && in_[pos_] != '\'')) fail("expected a quoted value", pos_);
        const char quote = in_[pos_++];
        std::string value;
        while (true) {
            if (pos_ >= in_.size()) fail("unterminated attribute value", pos_);
            const char c = in_[pos_];
            if (c == quote) break;
            if (c == '<') fail("'<' inside an attribute value", pos_);
            if (c == '&') {
                reference(value);
                continue;
            }
            if (c == '\r' && pos_ + 1 < in_.size() && in_[pos_ + 1] == '\n') ++pos_;
            value += is_space(c) ? ' ' : c;
            ++pos_;
        }
        ++pos_;
        return value;
    }

    XmlElement element(std::size_t depth) {
        if (depth > limits_.max_depth) fail(fmt::format("elements nested deeper than {}", limits_.max_depth), pos_);
        const std::size_t start = pos_;
        expect("<");
        XmlElement out;
        out.name = name();
        while (true) {
            const bool spaced = skip_spaces();
            if (at("/>")) {
                pos_ += 2;
                return out;
            }
            if (at(">")) {
                ++pos_;
                break;
            }
            if (pos_ >= in_.size()) fail(fmt::format("unterminated start tag <{}>", out.name), start);
            if (!spaced) fail(fmt::format("expected a space before an attribute of <{}>", out.name), pos_);
            const std::size_t attribute_at = pos_;
            std::string key = name();
            skip_spaces();
            expect("=");
            skip_spaces();
            std::string value = quoted_value();
            for (const auto& existing : out.attributes)
                if (existing.first == key) fail(fmt::format("duplicate attribute '{}' on <{}>", key, out.name), attribute_at);
            out.attributes.emplace_back(std::move(key), std::move(value));
        }
        content(out, depth, start);
        return out;
    }

    // Children and character data up to and including the matching end tag.
    void content(XmlElement& out, std::size_t depth, std::size_t start) {
        while (true) {
            if (pos_ >= in_.size()) fail(fmt::format("element <{}> is not closed", out.name), start);
            const char c = in_[pos_];
            if (c == '<') {
                if (at("</")) {
                    const std::size_t end_at = pos_;
                    pos_ += 2;
                    const std::string closing = name();
                    skip_spaces();
                    expect(">");
                    if (closing != out.name)
                        fail(fmt::format("end tag </{}> does not match <{}>", closing, out.name), end_at);
                    return;
                }
                if (at("<!--")) {
                    comment();
                } else if (at("<![CDATA[")) {
                    const auto end = in_.find("]]>", pos_ + 9);
                    if (end == std::string_view::npos) fail("unterminated CDATA section", pos_);
                    append_text(out.text, in_.substr(pos_ + 9, end - pos_ - 9));
                    pos_ = end + 3;
                } else if (at("<?")) {
                    processing_instruction();
                } else if (at("<!")) {
                    fail("unsupported markup declaration", pos_);
                } else {
                    out.children.push_back(element(depth + 1));
                }
            } else if (c == '&') {
                reference(out.text);
            } else {
                const auto next = in_.find_first_of("<&", pos_);
                const std::size_t end = next == std::string_view::npos ? in_.size() : next;
                const std::string_view run = in_.substr(pos_, end - pos_);
                if (const auto bad = run.find("]]>"); bad != std::string_view::npos)
                    fail("']]>' in character data", pos_ + bad);
                append_text(out.text, run);
                pos_ = end;
            }
        }
    }

    // Line ends normalised to LF, as XML processors must.
    static void append_text(std::string& out, std::string_view run) {
        for (std::size_t i = 0; i < run.size(); ++i) {
            if (run[i] == '\r') {
                out += '\n';
                if (i + 1 < run.size() && run[i + 1] == '\n') ++i;
            } else {
                out += run[i];
            }
        }
    }
};

}  // namespace

const XmlElement* XmlElement::child(std::string_view child_name) const {
    for (const auto& element : children)
        if (element.name == child_name) return &element;
    return nullptr;
}

std::vector<const XmlElement*> XmlElement::children_named(std::string_view child_name) const {
    std::vector<const XmlElement*> out;
    for (const auto& element : children)
        if (element.name == child_name) out.push_back(&element);
    return out;
}

std::optional<std::string> XmlElement::child_text(std::string_view child_name) const {
    const XmlElement* found = child(child_name);
    if (found == nullptr) return std::nullopt;
    return found->text;
}

std::optional<std::string> XmlElement::attribute(std::string_view attribute_name) const {
    for (const auto& [key, value] : attributes)
        if (key == attribute_name) return value;
    return std::nullopt;
}

XmlElement parse_xml(std::string_view text, const XmlLimits& limits) { return Parser(text, limits).document(); }

std::string xml_escape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&apos;"; break;
            default: {
                const auto u = static_cast<unsigned char>(c);
                if (u < 0x20 && c != '\t' && c != '\n' && c != '\r') out += fmt::format("&#x{:X};", u);
                else out += c;
            }
        }
    }
    return out;
}

XmlWriter::XmlWriter(bool declaration) {
    if (declaration) out_ = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
}

XmlWriter& XmlWriter::open(std::string_view name, const XmlAttributes& attributes) {
    if (!is_name(name)) throw std::invalid_argument(fmt::format("XmlWriter: '{}' is not an XML name", name));
    for (const auto& attribute : attributes)
        if (!is_name(attribute.first))
            throw std::invalid_argument(fmt::format("XmlWriter: attribute '{}' of <{}> is not an XML name", attribute.first, name));
    out_ += '<';
    out_ += name;
    for (const auto& [key, value] : attributes) out_ += fmt::format(" {}=\"{}\"", key, xml_escape(value));
    out_ += '>';
    open_.emplace_back(name);
    return *this;
}

XmlWriter& XmlWriter::close() {
    if (open_.empty()) throw std::logic_error("XmlWriter: close() with no open element");
    out_ += "</" + open_.back() + '>';
    open_.pop_back();
    return *this;
}

XmlWriter& XmlWriter::element(std::string_view name, std::string_view text) {
    open(name);
    out_ += xml_escape(text);
    return close();
}

XmlWriter& XmlWriter::text(std::string_view text) {
    if (open_.empty()) throw std::logic_error("XmlWriter: text outside the root element");
    out_ += xml_escape(text);
    return *this;
}

std::string XmlWriter::finish() const {
    if (!open_.empty()) {
        std::string names;
        for (const auto& name : open_) names += (names.empty() ? "<" : ", <") + name + '>';
        throw std::logic_error("XmlWriter: finish() with open elements " + names);
    }
    return out_;
}

}  // namespace e2e
