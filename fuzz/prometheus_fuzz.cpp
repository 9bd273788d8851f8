// The Prometheus text exposition parser (e2e::prometheus::parse): the agent's /metrics page.
// Properties: only ParseError escapes, naming a line that exists; families are unique and their
// samples obey the TYPE rules; an exposition written back as text (format_value for values) parses
// to the same samples and declarations; a lone value token reads as strtod reads it (Go's
// ParseFloat semantics: ±Inf on overflow, 0 on underflow).
#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <map>
#include <set>
#include <tuple>

#include "e2e/prometheus.hpp"
#include "e2e/utf8.hpp"
#include "fuzz_check.hpp"

namespace prom = e2e::prometheus;

namespace {

std::string escape_label(std::string_view value) {
    std::string out;
    for (const char c : value) {
        if (c == '\\') out += "\\\\";
        else if (c == '"') out += "\\\"";
        else if (c == '\n') out += "\\n";
        else out += c;
    }
    return out;
}

std::string escape_help(std::string_view help) {
    std::string out;
    for (const char c : help) {
        if (c == '\\') out += "\\\\";
        else if (c == '\n') out += "\\n";
        else out += c;
    }
    return out;
}

// HELP text cannot carry a trailing '\r' through a line (the reader drops it as CRLF).
bool help_survives(const prom::Family& family) { return !family.help.empty() && family.help.back() != '\r'; }

std::string write(const prom::Exposition& exposition) {
    std::string out;
    for (const auto& family : exposition.families) {
        if (help_survives(family)) out += fmt::format("# HELP {} {}\n", family.name, escape_help(family.help));
        if (family.type != prom::MetricType::untyped) out += fmt::format("# TYPE {} {}\n", family.name, prom::to_string(family.type));
        for (const auto& sample : family.samples) {
            out += sample.name;
            if (!sample.labels.empty()) {
                out += '{';
                for (std::size_t i = 0; i < sample.labels.size(); ++i) {
                    out += fmt::format("{}{}=\"{}\"", i == 0 ? "" : ",", sample.labels[i].first, escape_label(sample.labels[i].second));
                }
                out += '}';
            }
            out += ' ';
            out += prom::format_value(sample.value);
            if (sample.timestamp_ms) out += fmt::format(" {}", *sample.timestamp_ms);
            out += '\n';
        }
    }
    return out;
}

// A sample as a comparable value: NaNs compare equal to each other, ±0 stay apart.
using SampleKey = std::tuple<std::string, std::vector<std::pair<std::string, std::string>>, std::uint64_t, std::optional<std::int64_t>>;

SampleKey key_of(const prom::Sample& sample) {
    const std::uint64_t bits = std::isnan(sample.value) ? 0x7ff8000000000000ULL : std::bit_cast<std::uint64_t>(sample.value);
    return {sample.name, sample.labels, bits, sample.timestamp_ms};
}

std::multiset<SampleKey> samples_of(const prom::Exposition& exposition) {
    std::multiset<SampleKey> out;
    for (const auto& family : exposition.families) {
        for (const auto& sample : family.samples) out.insert(key_of(sample));
    }
    return out;
}

// Families that the written text declares: name -> (type, help).
std::map<std::string, std::pair<prom::MetricType, std::string>> declared(const prom::Exposition& exposition) {
    std::map<std::string, std::pair<prom::MetricType, std::string>> out;
    for (const auto& family : exposition.families) {
        if (family.type != prom::MetricType::untyped || help_survives(family)) {
            out[family.name] = {family.type, help_survives(family) ? family.help : std::string()};
        }
    }
    return out;
}

bool numeric(const std::optional<std::string>& label) {
    if (!label) return false;
    try {
        prom::parse("m{x=\"\"} " + *label);  // the parser's own number reading, through a sample
        return true;
    } catch (const prom::ParseError&) {
        return false;
    }
}

void check_structure(const prom::Exposition& exposition) {
    std::set<std::string_view> names;
    for (const auto& family : exposition.families) {
        E2E_FUZZ_CHECK(names.insert(family.name).second, fmt::format("family {} twice", family.name));
        E2E_FUZZ_CHECK(e2e::is_valid_utf8(family.help), family.name);
        for (const auto& sample : family.samples) {
            std::set<std::string_view> label_names;
            for (const auto& [label, value] : sample.labels) {
                E2E_FUZZ_CHECK(label_names.insert(label).second, fmt::format("{}: label {} twice", sample.name, label));
                E2E_FUZZ_CHECK(e2e::is_valid_utf8(value), fmt::format("{}: label {}", sample.name, label));
            }
            if (family.type == prom::MetricType::histogram) {
                E2E_FUZZ_CHECK(sample.name == family.name + "_bucket" || sample.name == family.name + "_sum" ||
                                   sample.name == family.name + "_count",
                               fmt::format("{} in histogram {}", sample.name, family.name));
                if (sample.name == family.name + "_bucket") E2E_FUZZ_CHECK(numeric(sample.label("le")), sample.name);
            } else if (family.type == prom::MetricType::summary) {
                E2E_FUZZ_CHECK(sample.name == family.name || sample.name == family.name + "_sum" || sample.name == family.name + "_count",
                               fmt::format("{} in summary {}", sample.name, family.name));
                if (sample.name == family.name) E2E_FUZZ_CHECK(numeric(sample.label("quantile")), sample.name);
            } else {
                E2E_FUZZ_CHECK(sample.name == family.name, fmt::format("{} in {} family {}", sample.name, prom::to_string(family.type), family.name));
            }
        }
    }
}

// A lone token is also read as a sample value and compared with the C library's strtod.
void check_value_token(std::string_view token) {
    if (token.empty() || token.size() > 512 || token.find_first_of(std::string_view(" \t\r\n\0", 5)) != std::string_view::npos) return;
    std::optional<double> ours;
    try {
        const auto exposition = prom::parse("m " + std::string(token));
        ours = exposition.families.at(0).samples.at(0).value;
    } catch (const prom::ParseError&) {
        return;  // a rejected token; strtod accepts more (leading blanks, nan(...), hex without digits)
    }
    const std::string copy(token);
    char* end = nullptr;
    errno = 0;
    const double reference = std::strtod(copy.c_str(), &end);
    E2E_FUZZ_CHECK(end == copy.c_str() + copy.size(), fmt::format("value {:?} accepted, strtod stops at byte {}", copy, end - copy.c_str()));
    E2E_FUZZ_CHECK(std::isnan(reference) ? std::isnan(*ours) : std::bit_cast<std::uint64_t>(reference) == std::bit_cast<std::uint64_t>(*ours),
                   fmt::format("value {:?} read as {} but strtod reads {}", copy, *ours, reference));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto text = e2e::fuzz::text_of(data, size);
    check_value_token(text);
    prom::Exposition exposition;
    try {
        exposition = prom::parse(text);
    } catch (const prom::ParseError& error) {
        const auto lines = e2e::fuzz::line_count(text);
        E2E_FUZZ_CHECK(error.line() >= 1 && error.line() <= lines, fmt::format("line {} of {}: {}", error.line(), lines, error.what()));
        E2E_FUZZ_CHECK(std::string_view(error.what()).starts_with(fmt::format("line {}: ", error.line())), error.what());
        return 0;
    }
    check_structure(exposition);
    for (const auto& family : exposition.families) {
        E2E_FUZZ_CHECK(exposition.family(family.name) == &family, family.name);
    }

    const std::string written = write(exposition);
    const auto again = prom::parse(written);  // a ParseError here escapes: a finding
    E2E_FUZZ_CHECK(samples_of(again) == samples_of(exposition), written);
    E2E_FUZZ_CHECK(declared(again) == declared(exposition), written);
    return 0;
}
