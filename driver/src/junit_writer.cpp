#include "e2e/driver/junit_writer.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include "e2e/xml.hpp"

#include <cstdio>
#include <map>
#include <stdexcept>

namespace e2e::driver {

double SuiteResult::seconds() const {
    double total = 0;
    for (const auto& c : cases) total += c.seconds;
    return total;
}

std::string clean_text(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    const auto n = text.size();
    for (std::size_t i = 0; i < n;) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c == 0x1B) {  // ESC: CSI "ESC [ ... final", OSC "ESC ] ... BEL|ESC \", or a 2-byte escape
            if (i + 1 < n && text[i + 1] == '[') {
                std::size_t j = i + 2;
                while (j < n && !(text[j] >= '@' && text[j] <= '~')) ++j;
                i = j < n ? j + 1 : n;
            } else if (i + 1 < n && text[i + 1] == ']') {
                std::size_t j = i + 2;
                while (j < n && text[j] != '\a' && !(text[j] == 0x1B && j + 1 < n && text[j + 1] == '\\')) ++j;
                i = j >= n ? n : (text[j] == '\a' ? j + 1 : j + 2);
            } else {
                i += std::min<std::size_t>(2, n - i);
            }
            continue;
        }
        if (c < 0x20) {
            if (c == '\t' || c == '\n' || c == '\r') out += static_cast<char>(c);
            ++i;
            continue;
        }
        if (c < 0x80) {
            out += static_cast<char>(c);
            ++i;
            continue;
        }
        // UTF-8: validate the sequence, else U+FFFD for one byte.
        std::size_t len = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
        bool ok = len != 0 && i + len <= n;
        unsigned long cp = len == 2 ? (c & 0x1Fu) : len == 3 ? (c & 0x0Fu) : (c & 0x07u);
        for (std::size_t k = 1; ok && k < len; ++k) {
            const auto cc = static_cast<unsigned char>(text[i + k]);
            ok = (cc & 0xC0) == 0x80;
            cp = (cp << 6) | (cc & 0x3Fu);
        }
        const bool structural = ok;
        if (ok) {
            const unsigned long min = len == 2 ? 0x80 : len == 3 ? 0x800 : 0x10000;
            ok = cp >= min && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF) && cp != 0xFFFE && cp != 0xFFFF &&
                 !(cp >= 0x80 && cp <= 0x9F);  // C1 controls are discouraged in XML too
        }
        if (ok) {
            out.append(text.substr(i, len));
            i += len;
        } else {
            out += "\xEF\xBF\xBD";
            i += structural ? len : 1;  // a well-formed but disallowed character is replaced whole
        }
    }
    return out;
}

std::string redact(std::string text, const std::vector<std::string>& secrets) {
    for (const auto& s : secrets) {
        if (s.size() < 4) continue;  // too short to be a secret worth hiding, and would mangle text
        for (auto pos = text.find(s); pos != std::string::npos; pos = text.find(s, pos + 3)) text.replace(pos, s.size(), "***");
    }
    return text;
}

namespace {

std::string escape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\n': out += "&#10;"; break;  // only used in attributes: keep line breaks
            case '\r': out += "&#13;"; break;
            case '\t': out += "&#9;"; break;
            default: out += c;
        }
    }
    return out;
}

class Writer {
public:
    explicit Writer(const std::vector<std::string>& secrets) : secrets_(secrets) {}
    std::string clean(std::string_view s) const { return redact(clean_text(s), secrets_); }
    std::string attr(std::string_view s) const { return escape(clean(s)); }
    std::string text(std::string_view s) const { return e2e::xml_escape(clean(s)); }

private:
    const std::vector<std::string>& secrets_;
};

std::string time_of(double seconds) { return fmt::format("{:.3f}", seconds < 0 ? 0.0 : seconds); }

void problem_element(std::string& out, const Writer& w, const char* element, const CaseProblem& p, const CaseResult& c) {
    // junit-10.xsd has no file/line attributes on testcase: the location opens the body instead.
    std::string body = p.details;
    if (!c.file.empty()) body = fmt::format("test case at {}:{}\n{}", c.file, c.line, body);
    out += fmt::format("      <{} type=\"{}\" message=\"{}\">{}</{}>\n", element, w.attr(p.type), w.attr(p.message), w.text(body),
                       element);
}

}  // namespace

std::string render_junit(const std::vector<SuiteResult>& suites, const std::vector<std::string>& secrets) {
    const Writer w(secrets);
    int tests = 0, failures = 0, errors = 0;
    double total = 0;
    std::string body;
    for (const auto& s : suites) {
        int sf = 0, se = 0, ss = 0;
        for (const auto& c : s.cases) {
            sf += c.status == CaseStatus::failed;
            se += c.status == CaseStatus::error;
            ss += c.status == CaseStatus::skipped;
        }
        const int st = static_cast<int>(s.cases.size());
        tests += st;
        failures += sf;
        errors += se;
        total += s.seconds();
        body += fmt::format("  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{}\">\n",
                            w.attr(s.name()), st, sf, se, ss, time_of(s.seconds()));
        body += "    <properties>\n";
        const std::pair<const char*, const std::string*> props[] = {{"environment", &s.environment}, {"binary", &s.binary},
                                                                    {"filter", &s.filter},           {"mode", &s.mode},
                                                                    {"seed", &s.seed},               {"shard", &s.shard}};
        for (const auto& [k, v] : props) body += fmt::format("      <property name=\"{}\" value=\"{}\"/>\n", k, w.attr(*v));
        body += "    </properties>\n";
        for (const auto& c : s.cases) {
            body += fmt::format("    <testcase name=\"{}\" classname=\"{}\" time=\"{}\">\n", w.attr(c.name), w.attr(s.name()),
                                time_of(c.seconds));
            if (c.status == CaseStatus::skipped) body += fmt::format("      <skipped message=\"{}\"/>\n", w.attr(c.skip_message));
            // A failed case carries one <failure>/<error> (the first problem) and the rest in its body:
            // several failure elements per testcase confuse some CI parsers.
            if (c.status == CaseStatus::failed || c.status == CaseStatus::error) {
                CaseProblem first = c.problems.empty() ? CaseProblem{} : c.problems.front();
                for (std::size_t i = 1; i < c.problems.size(); ++i) first.details += "\n---\n" + c.problems[i].details;
                problem_element(body, w, c.status == CaseStatus::error ? "error" : "failure", first, c);
            }
            for (const auto& p : c.flaky_problems) problem_element(body, w, p.error ? "flakyError" : "flakyFailure", p, c);
            for (const auto& p : c.rerun_problems) problem_element(body, w, p.error ? "rerunError" : "rerunFailure", p, c);
            if (!c.stdout_text.empty()) body += fmt::format("      <system-out>{}</system-out>\n", w.text(c.stdout_text));
            if (!c.stderr_text.empty()) body += fmt::format("      <system-err>{}</system-err>\n", w.text(c.stderr_text));
            body += "    </testcase>\n";
        }
        body += "  </testsuite>\n";
    }
    return fmt::format("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"esb-e2e\" tests=\"{}\" failures=\"{}\" "
                       "errors=\"{}\" time=\"{}\">\n{}</testsuites>\n",
                       tests, failures, errors, time_of(total), body);
}

void write_file_atomically(const std::filesystem::path& path, const std::string& content) {
    if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path());
    const auto tmp = path.string() + ".tmp." + std::to_string(::getpid());
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) throw std::runtime_error("cannot write " + tmp);
    std::size_t written = 0;
    while (written < content.size()) {
        const auto r = ::write(fd, content.data() + written, content.size() - written);
        if (r <= 0) {
            ::close(fd);
            std::remove(tmp.c_str());
            throw std::runtime_error("cannot write " + tmp);
        }
        written += static_cast<std::size_t>(r);
    }
    ::fsync(fd);
    ::close(fd);
    std::filesystem::rename(tmp, path);
}

namespace {

void serialize(std::string& out, const XmlNode& node, int depth) {
    const std::string indent(static_cast<std::size_t>(depth) * 2, ' ');
    out += indent + "<" + node.name;
    for (const auto& [k, v] : node.attributes) out += fmt::format(" {}=\"{}\"", k, escape(v));
    const auto trimmed_text = node.text.find_first_not_of(" \t\r\n") == std::string::npos ? std::string() : node.text;
    if (node.children.empty() && trimmed_text.empty()) {
        out += "/>\n";
        return;
    }
    out += ">";
    out += e2e::xml_escape(trimmed_text);
    if (!node.children.empty()) {
        out += "\n";
        for (const auto& c : node.children) serialize(out, c, depth + 1);
        out += indent;
    }
    out += "</" + node.name + ">\n";
}

void set_attr(XmlNode& node, const std::string& key, const std::string& value) {
    for (auto& [k, v] : node.attributes)
        if (k == key) {
            v = value;
            return;
        }
    node.attributes.emplace_back(key, value);
}

}  // namespace

std::string merge_junit(const std::vector<std::string>& documents) {
    std::vector<XmlNode> suites;
    std::map<std::string, std::size_t> by_name;
    for (const auto& doc : documents) {
        const auto root = parse_tolerant_xml(doc);
        const auto* top = root.child("testsuites");
        std::vector<const XmlNode*> found;
        if (top) {
            for (const auto& s : top->children)
                if (s.name == "testsuite") found.push_back(&s);
        } else if (const auto* single = root.child("testsuite")) {
            found.push_back(single);
        } else {
            throw std::runtime_error("not a JUnit report (no <testsuites> or <testsuite>)");
        }
        for (const auto* s : found) {
            const auto name = s->attr("name");
            auto it = by_name.find(name);
            if (it == by_name.end()) {
                by_name[name] = suites.size();
                suites.push_back(*s);
                continue;
            }
            auto& target = suites[it->second];
            for (const auto& c : s->children) {
                if (c.name == "testcase") target.children.push_back(c);
                if (c.name == "properties") {  // shards: list every shard label
                    for (const auto& p : c.children)
                        if (p.attr("name") == "shard")
                            for (auto& tp : target.children)
                                if (tp.name == "properties")
                                    for (auto& q : tp.children)
                                        if (q.attr("name") == "shard" && !p.attr("value").empty())
                                            set_attr(q, "value", q.attr("value").empty() ? p.attr("value") : q.attr("value") + "," + p.attr("value"));
                }
            }
        }
    }
    int tests = 0, failures = 0, errors = 0;
    double total = 0;
    std::string body;
    for (auto& s : suites) {
        int st = 0, sf = 0, se = 0, ss = 0;
        double seconds = 0;
        for (const auto& c : s.children) {
            if (c.name != "testcase") continue;
            ++st;
            sf += c.child("failure") != nullptr;
            se += c.child("error") != nullptr;
            ss += c.child("skipped") != nullptr;
            seconds += std::atof(c.attr("time").c_str());
        }
        set_attr(s, "tests", std::to_string(st));
        set_attr(s, "failures", std::to_string(sf));
        set_attr(s, "errors", std::to_string(se));
        set_attr(s, "skipped", std::to_string(ss));
        set_attr(s, "time", time_of(seconds));
        tests += st;
        failures += sf;
        errors += se;
        total += seconds;
        serialize(body, s, 1);
    }
    return fmt::format("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"esb-e2e\" tests=\"{}\" failures=\"{}\" "
                       "errors=\"{}\" time=\"{}\">\n{}</testsuites>\n",
                       tests, failures, errors, time_of(total), body);
}

JunitCounts count_junit(const std::string& document) {
    JunitCounts counts;
    const auto root = parse_tolerant_xml(document);
    const auto* top = root.child("testsuites");
    if (!top) return counts;
    for (const auto& s : top->children)
        for (const auto& c : s.children) {
            if (c.name != "testcase") continue;
            ++counts.tests;
            counts.failures += c.child("failure") != nullptr;
            counts.errors += c.child("error") != nullptr;
            counts.skipped += c.child("skipped") != nullptr;
        }
    return counts;
}

}  // namespace e2e::driver
