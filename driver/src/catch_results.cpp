#include "e2e/driver/catch_results.hpp"

#include <fmt/format.h>

#include <cctype>
#include <charconv>
#include <cstdint>
#include <cstdlib>

#include "e2e/utf8.hpp"

namespace e2e::driver {
namespace {

// Elements nested deeper are left out with their content: the tree is destroyed and walked
// recursively, and a Catch2 report nests a few levels per section.
constexpr std::size_t kMaxXmlDepth = 256;

// XML 1.0's Char production.
bool is_xml_char(unsigned long cp) {
    return cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0xD7FF) || (cp >= 0xE000 && cp <= 0xFFFD) ||
           (cp >= 0x10000 && cp <= 0x10FFFF);
}

void append_decoded(std::string& out, std::string_view raw) {
    for (std::size_t i = 0; i < raw.size(); ++i) {
        if (raw[i] != '&') {
            out += raw[i];
            continue;
        }
        const auto semi = raw.find(';', i);
        if (semi == std::string_view::npos || semi - i > 10) {
            out += '&';
            continue;
        }
        const auto entity = raw.substr(i + 1, semi - i - 1);
        if (entity == "lt") out += '<';
        else if (entity == "gt") out += '>';
        else if (entity == "amp") out += '&';
        else if (entity == "quot") out += '"';
        else if (entity == "apos") out += '\'';
        else if (!entity.empty() && entity[0] == '#') {
            unsigned long cp = 0;
            const bool hex = entity.size() > 1 && (entity[1] == 'x' || entity[1] == 'X');
            const auto digits = entity.substr(hex ? 2 : 1);
            const auto* end = digits.data() + digits.size();
            auto [ptr, ec] = std::from_chars(digits.data(), end, cp, hex ? 16 : 10);
            // A reference to what is not an XML character (a surrogate, NUL, beyond U+10FFFF) stays
            // text: decoding it would put invalid UTF-8 into the report.
            if (ec != std::errc{} || ptr != end || !is_xml_char(cp)) {
                out += '&';
                continue;
            }
            e2e::append_utf8(out, static_cast<std::uint32_t>(cp));
        } else {
            out += '&';
            continue;
        }
        i = semi;
    }
}

bool is_name_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == ':' || c == '.';
}

// An integer attribute; 0 when it is not one or does not fit (atoi's overflow is undefined).
int int_attr(const std::string& text) {
    int value = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    return ec == std::errc{} ? value : 0;
}

std::string trim(std::string s) {
    const auto b = s.find_first_not_of(" \t\r\n");
    if (b == std::string::npos) return {};
    const auto e = s.find_last_not_of(" \t\r\n");
    return s.substr(b, e - b + 1);
}

}  // namespace

std::string XmlNode::attr(std::string_view key) const {
    for (const auto& [k, v] : attributes)
        if (k == key) return v;
    return {};
}

const XmlNode* XmlNode::child(std::string_view key) const {
    for (const auto& c : children)
        if (c.name == key) return &c;
    return nullptr;
}

XmlNode parse_tolerant_xml(std::string_view text) {
    XmlNode root;
    root.complete = true;
    std::vector<XmlNode*> stack{&root};
    std::size_t skipped_open = 0;  // elements left out below kMaxXmlDepth that are still open
    std::string discarded;
    const auto text_sink = [&]() -> std::string& {
        if (skipped_open == 0) return stack.back()->text;
        discarded.clear();
        return discarded;
    };
    std::size_t i = 0;
    const auto n = text.size();
    while (i < n) {
        if (text[i] != '<') {
            const auto next = text.find('<', i);
            const auto end = next == std::string_view::npos ? n : next;
            append_decoded(text_sink(), text.substr(i, end - i));
            i = end;
            continue;
        }
        if (text.substr(i, 4) == "<!--") {
            const auto end = text.find("-->", i + 4);
            if (end == std::string_view::npos) break;
            i = end + 3;
            continue;
        }
        if (text.substr(i, 9) == "<![CDATA[") {
            const auto end = text.find("]]>", i + 9);
            if (end == std::string_view::npos) {
                text_sink() += text.substr(i + 9);
                break;
            }
            text_sink() += text.substr(i + 9, end - i - 9);
            i = end + 3;
            continue;
        }
        if (text.substr(i, 2) == "<?" || text.substr(i, 2) == "<!") {
            const auto end = text.find('>', i);
            if (end == std::string_view::npos) break;
            i = end + 1;
            continue;
        }
        if (text.substr(i, 2) == "</") {
            const auto end = text.find('>', i);
            if (end == std::string_view::npos) break;
            const auto name = trim(std::string(text.substr(i + 2, end - i - 2)));
            if (skipped_open > 0) {  // the end of an element left out for its depth
                --skipped_open;
                i = end + 1;
                continue;
            }
            // Close up to the matching element; a stray closing tag is ignored.
            for (std::size_t d = stack.size(); d-- > 1;) {
                if (stack[d]->name == name) {
                    stack[d]->complete = true;
                    stack.resize(d);
                    break;
                }
            }
            i = end + 1;
            continue;
        }
        // A start tag: name, attributes with quoted values, then > or />.
        std::size_t j = i + 1;
        while (j < n && is_name_char(text[j])) ++j;
        if (j == i + 1) {  // a lone '<' in text
            text_sink() += '<';
            ++i;
            continue;
        }
        XmlNode node;
        node.name = std::string(text.substr(i + 1, j - i - 1));
        bool truncated = false;
        bool self_closing = false;
        while (true) {
            while (j < n && std::isspace(static_cast<unsigned char>(text[j]))) ++j;
            if (j >= n) {
                truncated = true;
                break;
            }
            if (text[j] == '>') {
                ++j;
                break;
            }
            if (text[j] == '/') {
                if (j + 1 >= n) {
                    truncated = true;
                    break;
                }
                if (text[j + 1] == '>') {
                    self_closing = true;
                    j += 2;
                    break;
                }
                ++j;  // a stray '/' inside the tag: what follows it is not the '>'
                continue;
            }
            const auto key_start = j;
            while (j < n && is_name_char(text[j])) ++j;
            const auto key = text.substr(key_start, j - key_start);
            while (j < n && std::isspace(static_cast<unsigned char>(text[j]))) ++j;
            if (j >= n) {
                truncated = true;
                break;
            }
            if (text[j] != '=' || key.empty()) {  // garbage inside the tag: skip a character
                ++j;
                continue;
            }
            ++j;
            while (j < n && std::isspace(static_cast<unsigned char>(text[j]))) ++j;
            if (j >= n || (text[j] != '"' && text[j] != '\'')) {
                truncated = j >= n;
                if (truncated) break;
                continue;
            }
            const char quote = text[j];
            const auto close = text.find(quote, j + 1);
            if (close == std::string_view::npos) {
                truncated = true;
                break;
            }
            std::string value;
            append_decoded(value, text.substr(j + 1, close - j - 1));
            node.attributes.emplace_back(std::string(key), std::move(value));
            j = close + 1;
        }
        if (stack.size() > kMaxXmlDepth || skipped_open > 0) {  // too deep: left out with its content
            if (!self_closing) ++skipped_open;
            if (truncated) break;
            i = j;
            continue;
        }
        // A start tag cut in the middle still counts as an element in flight.
        node.complete = self_closing;
        stack.back()->children.push_back(std::move(node));
        if (truncated) break;
        if (!self_closing) stack.push_back(&stack.back()->children.back());
        i = j;
    }
    return root;
}

std::string to_string(CaseStatus status) {
    switch (status) {
        case CaseStatus::passed: return "passed";
        case CaseStatus::failed: return "failed";
        case CaseStatus::error: return "error";
        case CaseStatus::skipped: return "skipped";
    }
    return "?";
}

namespace {

std::string location(const XmlNode& node) {
    const auto file = node.attr("filename");
    if (file.empty()) return {};
    return fmt::format("{}:{}", file, node.attr("line"));
}

std::string infos_of(const XmlNode& node) {
    std::string out;
    for (const auto& c : node.children)
        if (c.name == "Info" || c.name == "Warning") out += fmt::format("  with message: {}\n", trim(c.text));
    return out;
}

void collect(const XmlNode& node, const std::string& section_path, CaseResult& result) {
    for (const auto& c : node.children) {
        if (c.name == "Section") {
            const auto name = c.attr("name");
            collect(c, section_path.empty() ? name : section_path + " / " + name, result);
        } else if (c.name == "Expression" && c.attr("success") == "false") {
            CaseProblem p;
            p.type = c.attr("type");
            const auto* original = c.child("Original");
            const auto* expanded = c.child("Expanded");
            const auto orig = original ? trim(original->text) : std::string();
            const auto exp = expanded ? trim(expanded->text) : std::string();
            p.message = fmt::format("{}( {} ) with expansion: {}", p.type, orig, exp);
            if (const auto* ex = c.child("Exception")) {
                p.error = true;
                p.message = fmt::format("{}( {} ) threw: {}", p.type, orig, trim(ex->text));
            }
            p.details = fmt::format("{}\n{}( {} )\nwith expansion:\n  {}\n{}", location(c), p.type, orig, exp, infos_of(c));
            if (!section_path.empty()) p.details += "in section: " + section_path + "\n";
            result.problems.push_back(std::move(p));
        } else if (c.name == "Exception" || c.name == "FatalErrorCondition") {
            CaseProblem p;
            p.error = true;
            p.type = c.name == "Exception" ? "exception" : "fatal";
            p.message = (c.name == "Exception" ? "unexpected exception: " : "fatal error: ") + trim(c.text);
            p.details = fmt::format("{}\n{}\n{}", location(c), trim(c.text), infos_of(c));
            if (!section_path.empty()) p.details += "in section: " + section_path + "\n";
            result.problems.push_back(std::move(p));
        } else if (c.name == "Failure") {
            CaseProblem p;
            p.type = "FAIL";
            p.message = trim(c.text);
            p.details = fmt::format("{}\n{}\n{}", location(c), trim(c.text), infos_of(c));
            if (!section_path.empty()) p.details += "in section: " + section_path + "\n";
            result.problems.push_back(std::move(p));
        } else if (c.name == "Skip") {
            if (result.skip_message.empty()) result.skip_message = trim(c.text);
        }
    }
}

}  // namespace

RunReport parse_catch_report(std::string_view xml) {
    RunReport report;
    const auto root = parse_tolerant_xml(xml);
    const auto* run = root.child("Catch2TestRun");
    if (!run) return report;
    report.complete = run->complete;
    report.rng_seed = run->attr("rng-seed");
    for (const auto& tc : run->children) {
        if (tc.name != "TestCase") continue;
        CaseResult result;
        result.name = tc.attr("name");
        result.tags = tc.attr("tags");
        result.file = tc.attr("filename");
        result.line = int_attr(tc.attr("line"));
        collect(tc, {}, result);
        const auto* overall = tc.child("OverallResult");
        if (overall) {
            result.seconds = std::atof(overall->attr("durationInSeconds").c_str());
            if (const auto* out = overall->child("StdOut")) result.stdout_text = out->text;
            if (const auto* err = overall->child("StdErr")) result.stderr_text = err->text;
            const bool success = overall->attr("success") == "true";
            const bool skips = int_attr(overall->attr("skips")) > 0;
            bool any_error = false;
            for (const auto& p : result.problems) any_error = any_error || p.error;
            if (!success) {
                result.status = any_error ? CaseStatus::error : CaseStatus::failed;
                if (result.problems.empty())
                    result.problems.push_back({false, "failed", "the test case failed", "Catch2 reported failure without details"});
            } else if (skips) {
                result.status = CaseStatus::skipped;
            } else {
                result.status = CaseStatus::passed;
                result.problems.clear();  // [!mayfail] / [!shouldfail]: Catch2 decided
            }
        } else {
            report.in_flight = report.cases.size();
            result.status = result.problems.empty() ? CaseStatus::passed : CaseStatus::failed;
        }
        report.cases.push_back(std::move(result));
    }
    return report;
}

void attribute_exit(RunReport& report, const ExitInfo& exit, double timeout_seconds, const std::string& binary,
                    const std::string& log_tail) {
    const std::string tail = log_tail.empty() ? std::string() : "\nlast lines of the log:\n" + log_tail;
    if (report.in_flight) {
        auto& c = report.cases[*report.in_flight];
        CaseProblem p;
        if (exit.timed_out) {
            p.type = "timeout";
            p.message = fmt::format("timed out: the job exceeded its timeout of {:.0f}s while this test was running", timeout_seconds);
        } else if (exit.signal != 0) {
            p.error = true;
            p.type = signal_name(exit.signal);
            p.message = fmt::format("crashed: {} (signal {}) while this test was running", signal_name(exit.signal), exit.signal);
        } else {
            p.error = true;
            p.type = "incomplete";
            p.message = fmt::format("the test binary stopped ({}) before this test finished", exit.describe());
        }
        p.details = p.message + tail;
        c.status = p.error ? CaseStatus::error : CaseStatus::failed;
        c.problems.push_back(std::move(p));
        return;
    }
    if (exit.passed()) return;
    // Catch2 exits 4 when every selected test skipped and 2 when none matched the filter: with a
    // whole report and nothing failed, the report says it all.
    bool any_failed = false;
    for (const auto& c : report.cases) any_failed = any_failed || c.status == CaseStatus::failed || c.status == CaseStatus::error;
    if (report.complete && !any_failed && exit.signal == 0 && !exit.timed_out && (exit.code == 4 || (exit.code == 2 && report.cases.empty())))
        return;
    bool blamed = false;
    for (const auto& c : report.cases) blamed = blamed || c.status == CaseStatus::failed || c.status == CaseStatus::error;
    // Catch2 exits with the number of failed cases: nothing more to say when the report is whole.
    if (report.complete && exit.signal == 0 && !exit.timed_out && blamed) return;
    if (report.complete && exit.signal != 0 && blamed) return;  // Catch2 handled the signal and reported it
    CaseResult synthetic;
    synthetic.name = binary + " (process)";
    CaseProblem p;
    p.error = !exit.timed_out;
    p.type = exit.timed_out ? "timeout" : (exit.signal != 0 ? signal_name(exit.signal) : "exit");
    if (exit.timed_out) p.message = fmt::format("timed out: the job exceeded its timeout of {:.0f}s outside any test", timeout_seconds);
    else if (report.cases.empty() && !report.complete) p.message = fmt::format("{} ended with {} without a report", binary, exit.describe());
    else p.message = fmt::format("{} ended with {}", binary, exit.describe());
    p.details = p.message + tail;
    synthetic.status = p.error ? CaseStatus::error : CaseStatus::failed;
    synthetic.problems.push_back(std::move(p));
    report.cases.push_back(std::move(synthetic));
}

}  // namespace e2e::driver
