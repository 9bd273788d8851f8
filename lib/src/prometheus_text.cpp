#include "e2e/prometheus.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <map>
#include <set>

#include "e2e/printable.hpp"
#include "e2e/utf8.hpp"
#include "number_text.hpp"

namespace e2e::prometheus {

namespace {

constexpr std::size_t kExcerpt = 120;

bool is_blank(char c) noexcept { return c == ' ' || c == '\t'; }
bool is_name_start(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':'; }
bool is_name_char(char c) noexcept { return is_name_start(c) || (c >= '0' && c <= '9'); }
bool is_label_start(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_label_char(char c) noexcept { return is_label_start(c) || (c >= '0' && c <= '9'); }

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return (x >= 'A' && x <= 'Z' ? static_cast<char>(x - 'A' + 'a') : x) == y;
           });
}

// Whether a number from_chars found out of range is tiny rather than huge: the exponent of its first
// significant digit is negative. Not the exponent's sign alone: 0.000…01 has none, 1000…0e-5 is huge.
bool is_tiny(std::string_view text, bool hex) {
    const auto exponent = detail::leading_digit_exponent(text, hex);
    return !exponent || *exponent < 0;
}

// Go's strconv.ParseFloat for the forms exporters write: decimal, exponent, hex float, Inf, NaN.
std::optional<double> parse_float(std::string_view text) {
    if (text.empty()) return std::nullopt;
    bool negative = false;
    if (text.front() == '+' || text.front() == '-') {
        negative = text.front() == '-';
        text.remove_prefix(1);
    }
    if (iequals(text, "inf") || iequals(text, "infinity")) {
        return negative ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
    }
    if (iequals(text, "nan")) return std::numeric_limits<double>::quiet_NaN();
    auto format = std::chars_format::general;
    if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
        text.remove_prefix(2);
        format = std::chars_format::hex;
    }
    // A digit or the point first: from_chars also reads "nan(...)", and "inf"/"nan" after "0x".
    const auto digit = [&](char c) {
        return (c >= '0' && c <= '9') || c == '.' ||
               (format == std::chars_format::hex && ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')));
    };
    if (text.empty() || !digit(text.front())) return std::nullopt;
    double value = 0;
    const auto* end = text.data() + text.size();
    const auto result = std::from_chars(text.data(), end, value, format);
    if (result.ptr != end) return std::nullopt;
    if (result.ec == std::errc::result_out_of_range) {
        // Go answers ±Inf (overflow) or 0 (underflow) rather than failing; from_chars leaves value.
        value = is_tiny(text, format == std::chars_format::hex) ? 0.0 : std::numeric_limits<double>::infinity();
    } else if (result.ec != std::errc{}) {
        return std::nullopt;
    }
    return negative ? -value : value;
}

std::optional<std::int64_t> parse_int64(std::string_view text) {
    if (text.empty()) return std::nullopt;
    if (text.front() == '+') text.remove_prefix(1);
    std::int64_t value = 0;
    const auto* end = text.data() + text.size();
    const auto result = std::from_chars(text.data(), end, value);
    if (result.ec != std::errc{} || result.ptr != end) return std::nullopt;
    return value;
}

std::string excerpt(std::string_view line) { return printable_excerpt(line, kExcerpt); }

class Parser {
public:
    Exposition run(std::string_view text) {
        while (!text.empty()) {
            ++line_number_;
            const auto newline = text.find('\n');
            line_ = text.substr(0, newline);
            text = newline == std::string_view::npos ? std::string_view{} : text.substr(newline + 1);
            if (!line_.empty() && line_.back() == '\r') line_.remove_suffix(1);
            pos_ = 0;
            skip_blanks();
            if (at_end()) continue;
            if (peek() == '#') {
                comment();
            } else {
                sample();
            }
        }
        return std::move(result_);
    }

private:
    [[noreturn]] void fail(std::string_view reason) const {
        throw ParseError(fmt::format("line {}: {}: {}", line_number_, reason, excerpt(line_)), line_number_);
    }

    bool at_end() const noexcept { return pos_ >= line_.size(); }
    char peek() const noexcept { return line_[pos_]; }
    void skip_blanks() noexcept {
        while (!at_end() && is_blank(peek())) ++pos_;
    }
    std::string_view token() {
        const std::size_t begin = pos_;
        while (!at_end() && !is_blank(peek())) ++pos_;
        return line_.substr(begin, pos_ - begin);
    }

    std::string_view metric_name() {
        const std::size_t begin = pos_;
        if (at_end() || !is_name_start(peek())) fail("expected a metric name");
        while (!at_end() && is_name_char(peek())) ++pos_;
        return line_.substr(begin, pos_ - begin);
    }

    Family& family_named(std::string_view name) {
        const auto found = index_.find(name);
        if (found != index_.end()) return result_.families[found->second];
        index_.emplace(std::string(name), result_.families.size());
        result_.families.push_back({std::string(name), MetricType::untyped, {}, {}});
        return result_.families.back();
    }

    void comment() {
        ++pos_;  // '#'
        skip_blanks();
        const auto keyword = token();
        if (keyword != "HELP" && keyword != "TYPE") return;  // any other comment is ignored
        skip_blanks();
        const auto name = metric_name();
        if (!at_end() && !is_blank(peek())) fail("invalid character in the metric name");
        if (keyword == "HELP") {
            if (!at_end()) ++pos_;  // the one blank before the docstring
            if (help_seen_.count(name) != 0) fail(fmt::format("second HELP line for {}", name));
            const std::string help = unescape_help(line_.substr(std::min(pos_, line_.size())));
            help_seen_.emplace(name);
            family_named(name).help = help;
            return;
        }
        skip_blanks();
        const auto type_name = token();
        skip_blanks();
        if (!at_end()) fail("unexpected text after the TYPE");
        MetricType type{};
        if (type_name == "counter") {
            type = MetricType::counter;
        } else if (type_name == "gauge") {
            type = MetricType::gauge;
        } else if (type_name == "histogram") {
            type = MetricType::histogram;
        } else if (type_name == "summary") {
            type = MetricType::summary;
        } else if (type_name == "untyped") {
            type = MetricType::untyped;
        } else {
            fail(fmt::format("unknown metric type \"{}\"", excerpt(type_name)));
        }
        if (type_seen_.count(name) != 0) fail(fmt::format("second TYPE line for {}", name));
        Family& family = family_named(name);
        if (!family.samples.empty()) fail(fmt::format("TYPE line for {} after its samples", name));
        type_seen_.emplace(name);
        family.type = type;
    }

    std::string unescape_help(std::string_view text) const {
        std::string out;
        for (std::size_t i = 0; i < text.size(); ++i) {
            if (text[i] != '\\') {
                out += text[i];
                continue;
            }
            if (i + 1 >= text.size()) fail("unterminated escape in HELP");
            const char e = text[++i];
            if (e == '\\') {
                out += '\\';
            } else if (e == 'n') {
                out += '\n';
            } else {
                fail(fmt::format("invalid escape \\{} in HELP", excerpt(std::string_view(&e, 1))));
            }
        }
        if (!is_valid_utf8(out)) fail("HELP is not valid UTF-8");
        return out;
    }

    std::string label_value() {
        if (at_end() || peek() != '"') fail("expected a quoted label value");
        ++pos_;
        std::string out;
        while (true) {
            if (at_end()) fail("unterminated label value");
            const char c = peek();
            ++pos_;
            if (c == '"') break;
            if (c != '\\') {
                out += c;
                continue;
            }
            if (at_end()) fail("unterminated label value");
            const char e = peek();
            ++pos_;
            if (e == '\\') {
                out += '\\';
            } else if (e == '"') {
                out += '"';
            } else if (e == 'n') {
                out += '\n';
            } else {
                fail(fmt::format("invalid escape \\{} in a label value", excerpt(std::string_view(&e, 1))));
            }
        }
        if (!is_valid_utf8(out)) fail("label value is not valid UTF-8");
        return out;
    }

    void labels(Sample& sample) {
        ++pos_;  // '{'
        while (true) {
            skip_blanks();
            if (at_end()) fail("unterminated label set");
            if (peek() == '}') {
                ++pos_;
                return;
            }
            const std::size_t begin = pos_;
            if (!is_label_start(peek())) fail("expected a label name");
            while (!at_end() && is_label_char(peek())) ++pos_;
            std::string name(line_.substr(begin, pos_ - begin));
            skip_blanks();
            if (at_end() || peek() != '=') fail(fmt::format("expected '=' after label {}", name));
            ++pos_;
            skip_blanks();
            std::string value = label_value();
            if (sample.label(name)) fail(fmt::format("duplicate label {}", name));
            sample.labels.emplace_back(std::move(name), std::move(value));
            skip_blanks();
            if (at_end()) fail("unterminated label set");
            if (peek() == ',') {
                ++pos_;
            } else if (peek() != '}') {
                fail("expected ',' or '}' in the label set");
            }
        }
    }

    void sample() {
        Sample sample;
        sample.name = std::string(metric_name());
        const std::size_t after_name = pos_;
        skip_blanks();
        if (!at_end() && peek() == '{') {
            labels(sample);
        } else {
            pos_ = after_name;
        }
        if (at_end() || !is_blank(peek())) fail(at_end() ? "missing value" : "expected a blank before the value");
        skip_blanks();
        const auto value_text = token();
        const auto value = parse_float(value_text);
        if (!value) fail(fmt::format("invalid value \"{}\"", excerpt(value_text)));
        sample.value = *value;
        skip_blanks();
        if (!at_end()) {
            const auto timestamp_text = token();
            const auto timestamp = parse_int64(timestamp_text);
            if (!timestamp) fail(fmt::format("invalid timestamp \"{}\"", excerpt(timestamp_text)));
            sample.timestamp_ms = *timestamp;
            skip_blanks();
            if (!at_end()) fail("unexpected text after the timestamp");
        }
        Family& family = family_for(sample);
        family.samples.push_back(std::move(sample));
    }

    // The family a sample belongs to by TYPE rules; checks the labels histograms and summaries need.
    Family& family_for(const Sample& sample) {
        const std::string_view name = sample.name;
        if (const auto exact = index_.find(name); exact != index_.end()) {
            Family& family = result_.families[exact->second];
            if (family.type == MetricType::histogram) fail("histogram samples are named _bucket, _sum or _count");
            if (family.type == MetricType::summary) require_numeric_label(sample, "quantile");
            return family;
        }
        for (const std::string_view suffix : {"_bucket", "_sum", "_count"}) {
            if (!name.ends_with(suffix)) continue;
            const auto base = index_.find(name.substr(0, name.size() - suffix.size()));
            if (base == index_.end()) continue;
            Family& family = result_.families[base->second];
            if (family.type == MetricType::histogram) {
                if (suffix == "_bucket") require_numeric_label(sample, "le");
                return family;
            }
            if (family.type == MetricType::summary && suffix != "_bucket") return family;
        }
        return family_named(name);
    }

    void require_numeric_label(const Sample& sample, std::string_view label) const {
        const auto value = sample.label(label);
        if (!value) fail(fmt::format("{} sample without a \"{}\" label", sample.name, label));
        if (!parse_float(*value)) fail(fmt::format("{} label \"{}\" is not a number", label, excerpt(*value)));
    }

    Exposition result_;
    std::map<std::string, std::size_t, std::less<>> index_;
    std::set<std::string, std::less<>> help_seen_;
    std::set<std::string, std::less<>> type_seen_;
    std::string_view line_;
    std::size_t line_number_ = 0;
    std::size_t pos_ = 0;
};

}  // namespace

std::string_view to_string(MetricType type) {
    switch (type) {
        case MetricType::counter: return "counter";
        case MetricType::gauge: return "gauge";
        case MetricType::histogram: return "histogram";
        case MetricType::summary: return "summary";
        case MetricType::untyped: return "untyped";
    }
    return "untyped";
}

std::optional<std::string> Sample::label(std::string_view label_name) const {
    for (const auto& [key, label_value] : labels) {
        if (key == label_name) return label_value;
    }
    return std::nullopt;
}

bool Exposition::has_family(std::string_view name) const { return family(name) != nullptr; }

const Family* Exposition::family(std::string_view name) const {
    const auto found = std::find_if(families.begin(), families.end(), [&](const Family& f) { return f.name == name; });
    return found == families.end() ? nullptr : &*found;
}

std::vector<Sample> Exposition::samples(std::string_view name) const {
    std::vector<Sample> out;
    for (const auto& family : families) {
        for (const auto& sample : family.samples) {
            if (sample.name == name) out.push_back(sample);
        }
    }
    return out;
}

Exposition parse(std::string_view text) { return Parser().run(text); }

std::string format_value(double value) {
    if (std::isnan(value)) return "NaN";
    if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
    char buffer[64];
    const auto scientific = std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::scientific);
    const std::string_view text(buffer, static_cast<std::size_t>(scientific.ptr - buffer));
    const auto e = text.find('e');
    int exponent = 0;
    std::from_chars(text.data() + e + (text[e + 1] == '+' ? 2 : 1), text.data() + text.size(), exponent);
    if (exponent < -4 || exponent >= 6) return std::string(text);  // Go: shortest %g switches at 6
    const auto fixed = std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::fixed);
    return std::string(buffer, static_cast<std::size_t>(fixed.ptr - buffer));
}

}  // namespace e2e::prometheus
