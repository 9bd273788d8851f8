#include "metrics_registry.hpp"

#include <fmt/format.h>
#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <utility>

#include "e2e/prometheus.hpp"

namespace refstack {

namespace {

enum Type : int { kCounter = 0, kGauge = 1, kHistogram = 2 };

std::string_view type_name(int type) {
    switch (type) {
        case kCounter: return "counter";
        case kGauge: return "gauge";
        default: return "histogram";
    }
}

bool valid_metric_name(std::string_view name) {
    if (name.empty()) return false;
    const auto start = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':'; };
    if (!start(name.front())) return false;
    return std::all_of(name.begin(), name.end(), [&](char c) { return start(c) || (c >= '0' && c <= '9'); });
}

bool valid_label_name(std::string_view name) {
    if (name.empty() || name.starts_with("__")) return false;
    const auto start = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
    if (!start(name.front())) return false;
    return std::all_of(name.begin(), name.end(), [&](char c) { return start(c) || (c >= '0' && c <= '9'); });
}

std::string escape_label_value(std::string_view value) {
    std::string out;
    for (const char c : value) {
        if (c == '\\') {
            out += "\\\\";
        } else if (c == '"') {
            out += "\\\"";
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out += c;
        }
    }
    return out;
}

std::string escape_help(std::string_view help) {
    std::string out;
    for (const char c : help) {
        if (c == '\\') {
            out += "\\\\";
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out += c;
        }
    }
    return out;
}

// `{a="x",b="y"}` (plus `extra` last), or nothing when there are no labels at all.
std::string label_set(const std::vector<std::string>& names, const std::vector<std::string>& values, std::string_view extra = {}) {
    if (names.empty() && extra.empty()) return {};
    std::string out = "{";
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (i != 0) out += ',';
        out += fmt::format("{}=\"{}\"", names[i], escape_label_value(values[i]));
    }
    if (!extra.empty()) {
        if (!names.empty()) out += ',';
        out += extra;
    }
    return out + "}";
}

std::int64_t thread_count() {
    std::ifstream status("/proc/self/status");
    for (std::string line; std::getline(status, line);) {
        if (line.starts_with("Threads:")) {
            std::istringstream fields(line.substr(8));
            std::int64_t threads = 0;
            if (fields >> threads) return threads;
        }
    }
    return 1;
}

double resident_bytes() {
    std::ifstream statm("/proc/self/statm");
    std::uint64_t size = 0;
    std::uint64_t resident = 0;
    if (!(statm >> size >> resident)) return 0;
    return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE));
}

// Heap bytes in use from malloc's statistics; resident memory when they are unavailable (another
// allocator, e.g. under AddressSanitizer, reports zeros).
double heap_bytes_in_use() {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
    const struct mallinfo2 info = mallinfo2();
    const auto in_use = static_cast<double>(info.uordblks + info.hblkhd);  // small-chunk heap + mmap'ed blocks
    if (in_use > 0) return in_use;
#endif
    return resident_bytes();
}

}  // namespace

struct MetricsRegistry::Family {
    struct Series {
        double value = 0;                    // counter / gauge
        std::vector<std::uint64_t> buckets;  // histogram, per bucket (not cumulative)
        double sum = 0;
        std::uint64_t count = 0;
    };

    int type = kCounter;
    std::string help;
    std::vector<std::string> label_names;
    std::vector<double> bounds;
    std::function<double()> read;  // gauge_callback
    std::map<std::vector<std::string>, Series> series;

    Series& at(const std::vector<std::string>& values) {
        auto [it, inserted] = series.try_emplace(values);
        if (inserted && type == kHistogram) it->second.buckets.assign(bounds.size(), 0);
        return it->second;
    }
};

const std::vector<double>& default_buckets() {
    static const std::vector<double> buckets{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10};
    return buckets;
}

MetricsRegistry::MetricsRegistry() = default;
MetricsRegistry::~MetricsRegistry() = default;

void MetricsRegistry::declare(std::string name, std::string help, int type, std::vector<std::string> label_names,
                              std::vector<double> buckets, std::function<double()> read) {
    if (!valid_metric_name(name)) throw std::invalid_argument(fmt::format("invalid metric name \"{}\"", name));
    for (std::size_t i = 0; i < label_names.size(); ++i) {
        const auto& label = label_names[i];
        if (!valid_label_name(label) || (type == kHistogram && label == "le")) {
            throw std::invalid_argument(fmt::format("metric {}: invalid label name \"{}\"", name, label));
        }
        if (std::find(label_names.begin(), label_names.begin() + static_cast<std::ptrdiff_t>(i), label) !=
            label_names.begin() + static_cast<std::ptrdiff_t>(i)) {
            throw std::invalid_argument(fmt::format("metric {}: duplicate label name \"{}\"", name, label));
        }
    }
    if (type == kHistogram) {
        if (buckets.empty()) throw std::invalid_argument(fmt::format("histogram {}: no buckets", name));
        for (std::size_t i = 0; i < buckets.size(); ++i) {
            if (!std::isfinite(buckets[i]) || (i != 0 && buckets[i] <= buckets[i - 1])) {
                throw std::invalid_argument(fmt::format("histogram {}: buckets must be finite and strictly increasing", name));
            }
        }
    }
    std::lock_guard lock(mutex_);
    if (const auto found = families_.find(name); found != families_.end()) {
        const Family& existing = *found->second;
        if (existing.type != type || existing.label_names != label_names || existing.bounds != buckets ||
            static_cast<bool>(existing.read) != static_cast<bool>(read)) {
            throw std::invalid_argument(fmt::format("metric {} is already declared as a {} with other labels or buckets", name,
                                                    type_name(existing.type)));
        }
        return;
    }
    auto family = std::make_unique<Family>();
    family->type = type;
    family->help = std::move(help);
    family->label_names = std::move(label_names);
    family->bounds = std::move(buckets);
    family->read = std::move(read);
    families_.emplace(std::move(name), std::move(family));
}

void MetricsRegistry::counter(std::string name, std::string help, std::vector<std::string> label_names) {
    declare(std::move(name), std::move(help), kCounter, std::move(label_names), {}, {});
}

void MetricsRegistry::gauge(std::string name, std::string help, std::vector<std::string> label_names) {
    declare(std::move(name), std::move(help), kGauge, std::move(label_names), {}, {});
}

void MetricsRegistry::gauge_callback(std::string name, std::string help, std::function<double()> read) {
    if (!read) throw std::invalid_argument(fmt::format("gauge {}: empty callback", name));
    declare(std::move(name), std::move(help), kGauge, {}, {}, std::move(read));
}

void MetricsRegistry::histogram(std::string name, std::string help, std::vector<std::string> label_names, std::vector<double> buckets) {
    declare(std::move(name), std::move(help), kHistogram, std::move(label_names), std::move(buckets), {});
}

MetricsRegistry::Family& MetricsRegistry::find(std::string_view name, int expected_type, const std::vector<std::string>& label_values) {
    const auto found = families_.find(name);
    if (found == families_.end()) throw std::invalid_argument(fmt::format("metric {} is not declared", name));
    Family& family = *found->second;
    if (expected_type >= 0 && family.type != expected_type) {
        throw std::invalid_argument(fmt::format("metric {} is a {}, not a {}", name, type_name(family.type), type_name(expected_type)));
    }
    if (family.read) throw std::invalid_argument(fmt::format("gauge {} is read from its callback", name));
    if (label_values.size() != family.label_names.size()) {
        throw std::invalid_argument(fmt::format("metric {} takes {} label value(s), got {}", name, family.label_names.size(),
                                                label_values.size()));
    }
    return family;
}

void MetricsRegistry::inc(std::string_view name, const std::vector<std::string>& label_values, double delta) {
    if (!(delta >= 0)) throw std::invalid_argument(fmt::format("counter {}: negative or NaN increment", name));
    std::lock_guard lock(mutex_);
    Family& family = find(name, -1, label_values);
    if (family.type == kHistogram) throw std::invalid_argument(fmt::format("metric {} is a histogram; use observe()", name));
    family.at(label_values).value += delta;
}

void MetricsRegistry::set(std::string_view name, const std::vector<std::string>& label_values, double value) {
    std::lock_guard lock(mutex_);
    find(name, kGauge, label_values).at(label_values).value = value;
}

void MetricsRegistry::observe(std::string_view name, const std::vector<std::string>& label_values, double value) {
    std::lock_guard lock(mutex_);
    Family& family = find(name, kHistogram, label_values);
    auto& series = family.at(label_values);
    const auto bucket = std::lower_bound(family.bounds.begin(), family.bounds.end(), value);  // first bound >= value
    if (bucket != family.bounds.end()) ++series.buckets[static_cast<std::size_t>(bucket - family.bounds.begin())];
    series.sum += value;
    ++series.count;
}

void MetricsRegistry::touch(std::string_view name, const std::vector<std::string>& label_values) {
    std::lock_guard lock(mutex_);
    find(name, -1, label_values).at(label_values);
}

std::string MetricsRegistry::render(const std::function<bool(std::string_view family)>& include) const {
    // Snapshot under the lock; callbacks run outside it (they may be slow or use the registry).
    std::vector<std::pair<std::string, Family>> snapshot;
    {
        std::lock_guard lock(mutex_);
        for (const auto& [name, family] : families_) {
            if (!include || include(name)) snapshot.emplace_back(name, *family);
        }
    }
    std::string out;
    for (auto& [name, family] : snapshot) {
        if (family.read) {
            double value = 0;
            try {
                value = family.read();
            } catch (const std::exception&) {
                continue;  // a failing reader hides its gauge rather than the whole page
            }
            family.at({}).value = value;
        }
        if (family.series.empty()) continue;
        out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, escape_help(family.help), name, type_name(family.type));
        for (const auto& [values, series] : family.series) {
            if (family.type != kHistogram) {
                out += fmt::format("{}{} {}\n", name, label_set(family.label_names, values), e2e::prometheus::format_value(series.value));
                continue;
            }
            std::uint64_t cumulative = 0;
            for (std::size_t i = 0; i < family.bounds.size(); ++i) {
                cumulative += series.buckets[i];
                const auto le = fmt::format("le=\"{}\"", e2e::prometheus::format_value(family.bounds[i]));
                out += fmt::format("{}_bucket{} {}\n", name, label_set(family.label_names, values, le), cumulative);
            }
            out += fmt::format("{}_bucket{} {}\n", name, label_set(family.label_names, values, "le=\"+Inf\""), series.count);
            out += fmt::format("{}_sum{} {}\n", name, label_set(family.label_names, values), e2e::prometheus::format_value(series.sum));
            out += fmt::format("{}_count{} {}\n", name, label_set(family.label_names, values), series.count);
        }
    }
    return out;
}

const std::vector<std::string>& grpc_code_names() {
    static const std::vector<std::string> codes{"OK", "Canceled", "Unknown", "InvalidArgument", "DeadlineExceeded", "NotFound",
                                                "AlreadyExists", "PermissionDenied", "ResourceExhausted", "FailedPrecondition",
                                                "Aborted", "OutOfRange", "Unimplemented", "Internal", "Unavailable", "DataLoss",
                                                "Unauthenticated"};
    return codes;
}

void register_agent_metrics(MetricsRegistry& registry, const std::vector<GrpcMethod>& methods) {
    registry.gauge_callback("go_goroutines", "Number of goroutines that currently exist.",
                            [] { return static_cast<double>(thread_count()); });
    registry.gauge_callback("go_memstats_alloc_bytes", "Number of bytes allocated and still in use.", heap_bytes_in_use);
    registry.counter("grpc_server_started_total", "Total number of RPCs started on the server.",
                     {"grpc_method", "grpc_service", "grpc_type"});
    registry.counter("grpc_server_handled_total", "Total number of RPCs completed on the server, regardless of success or failure.",
                     {"grpc_code", "grpc_method", "grpc_service", "grpc_type"});
    registry.histogram("grpc_server_handling_seconds",
                       "Histogram of response latency (seconds) of gRPC that had been application-level handled by the server.",
                       {"grpc_method", "grpc_service", "grpc_type"}, default_buckets());
    for (const auto& method : methods) {
        registry.touch("grpc_server_started_total", {method.method, method.service, method.type});
        registry.touch("grpc_server_handling_seconds", {method.method, method.service, method.type});
        for (const auto& code : grpc_code_names()) {
            registry.touch("grpc_server_handled_total", {code, method.method, method.service, method.type});
        }
    }
}

void record_grpc_call(MetricsRegistry& registry, const GrpcMethod& method, std::string_view code, double seconds) {
    registry.inc("grpc_server_started_total", {method.method, method.service, method.type});
    registry.inc("grpc_server_handled_total", {std::string(code), method.method, method.service, method.type});
    registry.observe("grpc_server_handling_seconds", {method.method, method.service, method.type}, seconds);
}

std::string render_agent_metrics(const MetricsRegistry& registry, const FaultSwitches& faults) {
    const bool hide_grpc = faults.on("metrics.agent_missing_grpc");
    return registry.render([&](std::string_view family) { return !(hide_grpc && family.starts_with("grpc_server_")); });
}

}  // namespace refstack
