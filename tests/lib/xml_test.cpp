#include "e2e/xml.hpp"

#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <string>

using Catch::Matchers::ContainsSubstring;

namespace {

// The offset of a parse error, or SIZE_MAX when the text parses.
std::size_t error_offset(std::string_view text, const e2e::XmlLimits& limits = {}) {
    try {
        e2e::parse_xml(text, limits);
    } catch (const e2e::XmlError& error) {
        return error.offset();
    }
    return SIZE_MAX;
}

std::string error_message(std::string_view text, const e2e::XmlLimits& limits = {}) {
    try {
        e2e::parse_xml(text, limits);
    } catch (const e2e::XmlError& error) {
        return error.what();
    }
    return "(parsed)";
}

}  // namespace

TEST_CASE("xml reader parses an S3 error document into elements and text", "[xml]") {
    const auto root = e2e::parse_xml(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message>"
        "<Key>a/b.txt</Key><RequestId>4442587FB7D0A2F9</RequestId></Error>");
    CHECK(root.name == "Error");
    REQUIRE(root.children.size() == 4);
    CHECK(root.child_text("Code") == "NoSuchKey");
    CHECK(root.child_text("Message") == "The specified key does not exist.");
    CHECK(root.child_text("Key") == "a/b.txt");
    CHECK(root.child("Missing") == nullptr);
    CHECK_FALSE(root.child_text("Missing").has_value());
}

TEST_CASE("xml reader tells a missing element from an empty one", "[xml]") {
    const auto root = e2e::parse_xml("<Filter><Prefix></Prefix><Tag/></Filter>");
    CHECK(root.child_text("Prefix") == "");
    CHECK(root.child_text("Tag") == "");
    CHECK_FALSE(root.child_text("And").has_value());
}

TEST_CASE("xml reader lists repeated children in document order", "[xml]") {
    const auto root = e2e::parse_xml(
        "<ListBucketResult><Contents><Key>a</Key></Contents><Name>b</Name>"
        "<Contents><Key>c</Key></Contents></ListBucketResult>");
    const auto contents = root.children_named("Contents");
    REQUIRE(contents.size() == 2);
    CHECK(contents[0]->child_text("Key") == "a");
    CHECK(contents[1]->child_text("Key") == "c");
}

TEST_CASE("xml reader decodes predefined entities and numeric character references", "[xml]") {
    const auto root = e2e::parse_xml("<t a=\"&quot;x&apos;\">&lt;&gt;&amp; &#65;&#x42;&#xe9;&#x1F600;</t>");
    CHECK(root.text == "<>& AB\xC3\xA9\xF0\x9F\x98\x80");
    CHECK(root.attribute("a") == "\"x'");
}

TEST_CASE("xml reader keeps namespaces and prefixes as plain names and attributes", "[xml]") {
    const auto root = e2e::parse_xml(
        "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\" xmlns:x='urn:x'>"
        "<LocationConstraint>ap-northeast-1</LocationConstraint><x:Extra/></CreateBucketConfiguration>");
    CHECK(root.attribute("xmlns") == "http://s3.amazonaws.com/doc/2006-03-01/");
    CHECK(root.attribute("xmlns:x") == "urn:x");
    CHECK(root.child_text("LocationConstraint") == "ap-northeast-1");
    CHECK(root.child("x:Extra") != nullptr);
    CHECK_FALSE(root.attribute("missing").has_value());
}

TEST_CASE("xml reader skips comments and processing instructions and keeps CDATA text", "[xml]") {
    const auto root = e2e::parse_xml(
        "\xEF\xBB\xBF<?xml version='1.0'?><!-- before --><?pi data?>\n"
        "<r><!-- inside -->a<![CDATA[<b>&amp;]]>c<?x y?></r>\n<!-- after -->\n");
    CHECK(root.name == "r");
    CHECK(root.text == "a<b>&amp;c");
    CHECK(root.children.empty());
}

TEST_CASE("xml reader normalises line ends in text and white space in attributes", "[xml]") {
    const auto root = e2e::parse_xml("<r a=\"x\ty\r\nz\">1\r\n2\r3</r>");
    CHECK(root.text == "1\n2\n3");
    CHECK(root.attribute("a") == "x y z");
}

TEST_CASE("xml reader rejects a mismatched end tag at its offset", "[xml]") {
    const std::string text = "<a><b></a></b>";
    CHECK(error_offset(text) == 6);
    CHECK_THAT(error_message(text), ContainsSubstring("end tag </a> does not match <b>") && ContainsSubstring("offset 6"));
}

TEST_CASE("xml reader rejects unclosed elements and truncated documents", "[xml]") {
    CHECK_THAT(error_message("<a><b></b>"), ContainsSubstring("element <a> is not closed"));
    CHECK_THAT(error_message("<a attr=\"x"), ContainsSubstring("unterminated attribute value"));
    CHECK_THAT(error_message("<a"), ContainsSubstring("unterminated start tag"));
    CHECK_THAT(error_message(""), ContainsSubstring("expected the root element"));
    CHECK_THAT(error_message("<!-- only a comment -->"), ContainsSubstring("expected the root element"));
}

TEST_CASE("xml reader rejects a bare ampersand and unknown or invalid references", "[xml]") {
    CHECK_THAT(error_message("<a>fish & chips</a>"), ContainsSubstring("'&' that does not start a reference"));
    CHECK_THAT(error_message("<a>&nbsp;</a>"), ContainsSubstring("unknown entity '&nbsp;'"));
    CHECK_THAT(error_message("<a>&#0;</a>"), ContainsSubstring("not an XML 1.0 character"));
    CHECK_THAT(error_message("<a>&#x1;</a>"), ContainsSubstring("not an XML 1.0 character"));
    CHECK_THAT(error_message("<a>&#xD800;</a>"), ContainsSubstring("not an XML 1.0 character"));
    CHECK_THAT(error_message("<a>&#x110000;</a>"), ContainsSubstring("out of range"));
    CHECK_THAT(error_message("<a>&#12a;</a>"), ContainsSubstring("bad character reference"));
    CHECK_THAT(error_message("<a b=\"<\"/>"), ContainsSubstring("'<' inside an attribute value"));
}

TEST_CASE("xml reader refuses DOCTYPE declarations so no entity can expand", "[xml]") {
    const std::string billion_laughs =
        "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;\">]><lolz>&lol2;</lolz>";
    CHECK_THAT(error_message(billion_laughs), ContainsSubstring("DOCTYPE declarations are not supported"));
    CHECK(error_offset(billion_laughs) == 21);
}

TEST_CASE("xml reader rejects text outside the root and a second root", "[xml]") {
    CHECK_THAT(error_message("junk<a/>"), ContainsSubstring("expected the root element"));
    CHECK_THAT(error_message("<a/>junk"), ContainsSubstring("unexpected content after the root element"));
    CHECK_THAT(error_message("<a/><b/>"), ContainsSubstring("unexpected content after the root element"));
}

TEST_CASE("xml reader rejects a misplaced or unsupported XML declaration", "[xml]") {
    CHECK_THAT(error_message("<a/><?xml version=\"1.0\"?>"), ContainsSubstring("only allowed at the start"));
    CHECK_THAT(error_message("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a/>"), ContainsSubstring("unsupported encoding"));
    CHECK_THAT(error_message("<?xml encoding=\"UTF-8\"?><a/>"), ContainsSubstring("without version"));
}

TEST_CASE("xml reader rejects duplicate attributes and bad names", "[xml]") {
    CHECK_THAT(error_message("<a x=\"1\" x=\"2\"/>"), ContainsSubstring("duplicate attribute 'x' on <a>"));
    CHECK_THAT(error_message("<1a/>"), ContainsSubstring("expected a name"));
    CHECK_THAT(error_message("<a x=\"1\"y=\"2\"/>"), ContainsSubstring("expected a space"));
    CHECK_THAT(error_message("<a>--x<!-- a -- b --></a>"), ContainsSubstring("'--' inside a comment"));
    CHECK_THAT(error_message("<a>]]></a>"), ContainsSubstring("']]>' in character data"));
}

TEST_CASE("xml reader rejects malformed UTF-8 and control characters", "[xml]") {
    CHECK_THAT(error_message("<a>\xC3</a>"), ContainsSubstring("malformed UTF-8"));
    CHECK_THAT(error_message("<a>\xC0\xAF</a>"), ContainsSubstring("malformed UTF-8"));       // overlong '/'
    CHECK_THAT(error_message("<a>\xED\xA0\x80</a>"), ContainsSubstring("malformed UTF-8"));   // a surrogate
    CHECK_THAT(error_message(std::string("<a>x\0y</a>", 10)), ContainsSubstring("U+0000"));
    CHECK(error_offset(std::string("<a>x\x01y</a>")) == 4);
}

TEST_CASE("xml reader enforces its depth and size limits", "[xml]") {
    std::string deep;
    for (int i = 0; i < 5; ++i) deep += "<a>";
    for (int i = 0; i < 5; ++i) deep += "</a>";
    CHECK_NOTHROW(e2e::parse_xml(deep, {.max_bytes = 1024, .max_depth = 5}));
    CHECK_THAT(error_message(deep, {.max_bytes = 1024, .max_depth = 4}), ContainsSubstring("nested deeper than 4"));
    CHECK(error_offset(deep, {.max_bytes = 1024, .max_depth = 4}) == 12);

    const std::string big = "<a>" + std::string(100, 'x') + "</a>";
    CHECK_THAT(error_message(big, {.max_bytes = 64, .max_depth = 8}), ContainsSubstring("exceeds the limit of 64 bytes"));
    CHECK_NOTHROW(e2e::parse_xml(big, {.max_bytes = big.size(), .max_depth = 8}));
}

TEST_CASE("xml escape covers markup characters and writes control characters as references", "[xml]") {
    CHECK(e2e::xml_escape("a<b>&\"c'") == "a&lt;b&gt;&amp;&quot;c&apos;");
    CHECK(e2e::xml_escape("tab\tnl\n\x01") == "tab\tnl\n&#x1;");
    CHECK(e2e::xml_escape("caf\xC3\xA9") == "caf\xC3\xA9");
}

TEST_CASE("xml writer output reads back to the same elements attributes and text", "[xml]") {
    e2e::XmlWriter writer;
    writer.open("ListBucketResult", {{"xmlns", "http://s3.amazonaws.com/doc/2006-03-01/"}, {"q", "a\"b<c"}})
        .element("Name", "bucket")
        .open("Contents")
        .element("Key", "dir/<weird> & 'key'")
        .element("ETag", "\"abc\"")
        .close()
        .element("Empty", "")
        .close();
    const std::string document = writer.finish();
    CHECK(document.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListBucketResult "));
    CHECK_THAT(document, ContainsSubstring("<Empty></Empty>"));

    const auto root = e2e::parse_xml(document);
    CHECK(root.attribute("q") == "a\"b<c");
    CHECK(root.child_text("Name") == "bucket");
    REQUIRE(root.child("Contents") != nullptr);
    CHECK(root.child("Contents")->child_text("Key") == "dir/<weird> & 'key'");
    CHECK(root.child("Contents")->child_text("ETag") == "\"abc\"");
    CHECK(root.child_text("Empty") == "");
}

TEST_CASE("xml writer refuses invalid names and unbalanced documents", "[xml]") {
    e2e::XmlWriter writer(false);
    CHECK_THROWS_WITH(writer.open("1bad"), ContainsSubstring("'1bad' is not an XML name"));
    CHECK_THROWS_WITH(writer.open("a", {{"b c", "v"}}), ContainsSubstring("attribute 'b c' of <a>"));
    CHECK_THROWS_AS(writer.close(), std::logic_error);

    e2e::XmlWriter open_writer(false);
    open_writer.open("Outer").open("Inner");
    CHECK_THROWS_WITH(open_writer.finish(), ContainsSubstring("<Outer>, <Inner>"));
    open_writer.close().close();
    CHECK(open_writer.finish() == "<Outer><Inner></Inner></Outer>");
}

TEST_CASE("xml reader answers every truncation and byte flip of a document with a result or an XmlError", "[xml]") {
    const std::string document =
        "<?xml version=\"1.0\"?><!-- c --><R a='1' b=\"&amp;\"><K>x&lt;&#x41;</K><![CDATA[d]]><E/></R>";
    std::size_t parsed = 0, rejected = 0;
    auto attempt = [&](const std::string& text) {
        try {
            e2e::parse_xml(text);
            ++parsed;
        } catch (const e2e::XmlError& error) {
            ++rejected;
            CHECK(error.offset() <= text.size());
        }
    };
    for (std::size_t length = 0; length < document.size(); ++length) attempt(document.substr(0, length));
    for (std::size_t at = 0; at < document.size(); ++at) {
        for (const char replacement : {'<', '>', '&', '"', '\'', '/', ' ', '\0', '\xff'}) {
            std::string mutated = document;
            mutated[at] = replacement;
            attempt(mutated);
        }
    }
    CHECK(rejected >= document.size());  // every strict prefix is incomplete
    CHECK(parsed > 0);                   // some flips (inside text) stay well-formed
}
