// A parser for the Prometheus text exposition format 0.0.4 (what the agent's /metrics serves,
// contract 1.11): `# HELP` / `# TYPE` lines, samples with labels (escaped values), optional
// timestamps, +Inf/-Inf/NaN. Samples are grouped into families by their TYPE (histogram
// `_bucket`/`_sum`/`_count`, summary `_sum`/`_count`); samples without a TYPE form untyped families.
// Errors name the 1-based line. Made to be fed arbitrary bytes: no recursion, no UB.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace e2e::prometheus {

enum class MetricType { counter, gauge, histogram, summary, untyped };

std::string_view to_string(MetricType type);  // "counter", ...

struct Sample {
    std::string name;  // as written: `x_bucket`, `x_sum`, ...
    std::vector<std::pair<std::string, std::string>> labels;  // in written order, values unescaped
    double value = 0;
    std::optional<std::int64_t> timestamp_ms;

    std::optional<std::string> label(std::string_view label_name) const;
};

struct Family {
    std::string name;
    MetricType type = MetricType::untyped;
    std::string help;  // unescaped
    std::vector<Sample> samples;
};

struct Exposition {
    std::vector<Family> families;  // in order of first appearance

    // A family declared by HELP/TYPE or holding samples (`grpc_server_handling_seconds`).
    bool has_family(std::string_view name) const;
    const Family* family(std::string_view name) const;
    // Every sample with exactly this name, across families (`grpc_server_handling_seconds_bucket`).
    std::vector<Sample> samples(std::string_view name) const;
    bool has_sample(std::string_view name) const { return !samples(name).empty(); }
};

class ParseError : public std::runtime_error {
public:
    ParseError(const std::string& message, std::size_t line) : std::runtime_error(message), line_(line) {}
    std::size_t line() const noexcept { return line_; }  // 1-based

private:
    std::size_t line_;
};

// Throws ParseError ("line 7: ...: <the line, trimmed>") for: a bad metric or label name, an
// unterminated or badly escaped label value, a duplicate label, a bad value or timestamp, an
// unknown TYPE, a second HELP or TYPE for one family, a TYPE after that family's samples, a
// histogram bucket without a numeric `le`, a summary quantile without a numeric `quantile`.
Exposition parse(std::string_view text);

// Go's strconv.FormatFloat(v, 'g', -1, 64) as the Prometheus client prints values:
// 3, 0.005, 1e+06, +Inf, -Inf, NaN.
std::string format_value(double value);

}  // namespace e2e::prometheus
