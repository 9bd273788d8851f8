// A small, strict XML 1.0 reader and writer for S3 request and response bodies: elements,
// attributes, character data, CDATA, the five predefined entities and numeric character
// references, an XML declaration, comments and processing instructions. No DTDs (a DOCTYPE is an
// error, so no entity expansion), no namespace processing: `xmlns` and prefixes stay as written.
#pragma once

#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace e2e {

// A parse error names what was wrong, the byte offset and the text around it.
class XmlError : public std::runtime_error {
public:
    XmlError(const std::string& message, std::size_t offset) : std::runtime_error(message), offset_(offset) {}
    std::size_t offset() const noexcept { return offset_; }

private:
    std::size_t offset_;
};

using XmlAttributes = std::vector<std::pair<std::string, std::string>>;

struct XmlElement {
    std::string name;  // as written, prefix included ("Key", "s3:Key")
    XmlAttributes attributes;
    std::vector<XmlElement> children;
    std::string text;  // character data directly inside this element, entities decoded, concatenated

    // First child with exactly this name, or nullptr.
    const XmlElement* child(std::string_view child_name) const;
    // Every child with this name, in document order.
    std::vector<const XmlElement*> children_named(std::string_view child_name) const;
    // The text of the first child with this name; nullopt when there is no such child.
    std::optional<std::string> child_text(std::string_view child_name) const;
    std::optional<std::string> attribute(std::string_view attribute_name) const;
};

struct XmlLimits {
    std::size_t max_bytes = 8u * 1024u * 1024u;  // S3 bodies worth parsing are small
    std::size_t max_depth = 64;
};

// Parses a whole document and returns its root element. Throws XmlError for anything that is not
// well-formed (mismatched tags, a bare '&' or '<', an unknown entity, a DOCTYPE, text outside the
// root, invalid characters) or exceeds the limits.
XmlElement parse_xml(std::string_view text, const XmlLimits& limits = {});

// Escapes & < > " ' for use in text or in an attribute value. Control characters that XML 1.0
// cannot carry (below 0x20 except tab, LF, CR) are written as &#xN; the way S3 writes them.
std::string xml_escape(std::string_view text);

// Builds a document element by element:
//   XmlWriter w; w.open("Error").element("Code", "NoSuchKey").close(); std::string xml = w.finish();
// Names are checked (std::invalid_argument naming the name); text and attribute values are escaped.
class XmlWriter {
public:
    explicit XmlWriter(bool declaration = true);

    XmlWriter& open(std::string_view name, const XmlAttributes& attributes = {});
    XmlWriter& close();  // closes the innermost open element; std::logic_error when none is open
    XmlWriter& element(std::string_view name, std::string_view text);  // <name>text</name>
    XmlWriter& text(std::string_view text);

    // The document; std::logic_error naming the open elements when some are still open.
    std::string finish() const;

private:
    std::string out_;
    std::vector<std::string> open_;
};

}  // namespace e2e
