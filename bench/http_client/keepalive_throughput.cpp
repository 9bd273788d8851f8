// Throughput and latency of e2e::HttpClient on one keep-alive connection, against a baseline
// (wrk -c1 -t1, or a curl keep-alive loop when wrk is missing) hitting the same loopback server.
//
//   bench-http-client [--requests N] [--max-seconds S] [--baseline-seconds S]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "e2e/http.hpp"
#include "support/loopback_server.hpp"

namespace {

using Clock = std::chrono::steady_clock;

struct Figures {
    std::string tool;
    std::size_t requests = 0;
    double requests_per_second = 0;
    std::optional<double> p50_us;
    std::optional<double> p99_us;
};

struct BenchOptions {
    std::size_t requests = 20'000;
    double max_seconds = 10;
    int baseline_seconds = 5;
};

BenchOptions parse_options(int argc, char** argv) {
    BenchOptions options;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string_view flag = argv[i];
        if (flag == "--requests") options.requests = std::stoul(argv[i + 1]);
        else if (flag == "--max-seconds") options.max_seconds = std::stod(argv[i + 1]);
        else if (flag == "--baseline-seconds") options.baseline_seconds = std::stoi(argv[i + 1]);
        else throw std::invalid_argument(fmt::format("unknown option {}", flag));
    }
    return options;
}

double percentile_us(std::vector<Clock::duration>& sorted, double fraction) {
    auto index = static_cast<std::size_t>(fraction * static_cast<double>(sorted.size() - 1));
    return std::chrono::duration<double, std::micro>(sorted[index]).count();
}

Figures measure_client(const std::string& url, const BenchOptions& options) {
    e2e::HttpClient client;
    for (int i = 0; i < 500; ++i) client.get(url);  // warm up: connection, allocator, caches

    std::vector<Clock::duration> latencies;
    latencies.reserve(options.requests);
    auto limit = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(options.max_seconds));
    auto started = Clock::now();
    while (latencies.size() < options.requests && Clock::now() - started < limit) {
        auto before = Clock::now();
        auto response = client.get(url);
        latencies.push_back(Clock::now() - before);
        if (response.status != 200) throw std::runtime_error(fmt::format("unexpected status {}", response.status));
    }
    double seconds = std::chrono::duration<double>(Clock::now() - started).count();
    if (client.connections_opened() != 1) {
        throw std::runtime_error(fmt::format("expected one keep-alive connection, opened {}", client.connections_opened()));
    }

    std::sort(latencies.begin(), latencies.end());
    return Figures{"e2e::HttpClient", latencies.size(), static_cast<double>(latencies.size()) / seconds,
                   percentile_us(latencies, 0.50), percentile_us(latencies, 0.99)};
}

std::string run_command(const std::string& command) {
    std::FILE* pipe = popen(command.c_str(), "r");
    if (!pipe) throw std::runtime_error("cannot run: " + command);
    std::string out;
    char buffer[4096];
    while (std::size_t n = std::fread(buffer, 1, sizeof buffer, pipe)) out.append(buffer, n);
    if (pclose(pipe) != 0) throw std::runtime_error("failed: " + command + "\n" + out);
    return out;
}

bool on_path(const std::string& program) {
    const char* path = std::getenv("PATH");
    std::stringstream dirs(path ? path : "");
    for (std::string dir; std::getline(dirs, dir, ':');) {
        if (!dir.empty() && std::filesystem::exists(std::filesystem::path(dir) / program)) return true;
    }
    return false;
}

// wrk prints "50%   33.00us"; units are us, ms or s.
double wrk_duration_us(std::string_view text) {
    double value = std::stod(std::string(text));
    if (text.ends_with("us")) return value;
    if (text.ends_with("ms")) return value * 1e3;
    return value * 1e6;
}

Figures measure_wrk(const std::string& url, int seconds) {
    std::string out = run_command(fmt::format("wrk -c1 -t1 -d{}s --latency {} 2>&1", seconds, url));
    Figures figures{"wrk -c1 -t1", 0, 0, std::nullopt, std::nullopt};
    std::istringstream lines(out);
    for (std::string line; std::getline(lines, line);) {
        std::istringstream words(line);
        std::string first, second;
        words >> first >> second;
        if (first == "50%") figures.p50_us = wrk_duration_us(second);
        else if (first == "99%") figures.p99_us = wrk_duration_us(second);
        else if (first == "Requests/sec:") figures.requests_per_second = std::stod(second);
        else if (second == "requests") figures.requests = std::stoul(first);
    }
    if (figures.requests_per_second == 0) throw std::runtime_error("cannot read wrk's output:\n" + out);
    return figures;
}

// curl reuses its connection across the URLs of one invocation: N URLs, one process.
Figures measure_curl(const std::string& url, std::size_t requests) {
    auto started = Clock::now();
    run_command(fmt::format("curl -s -o /dev/null '{}?[1-{}]' >/dev/null", url, requests));
    double seconds = std::chrono::duration<double>(Clock::now() - started).count();
    return Figures{"curl keep-alive loop", requests, static_cast<double>(requests) / seconds, std::nullopt, std::nullopt};
}

std::string micros(const std::optional<double>& value) { return value ? fmt::format("{:.1f} us", *value) : "n/a"; }

void print(const Figures& figures) {
    fmt::print("{:<22} {:>9} requests  {:>10.0f} req/s  p50 {:>10}  p99 {:>10}\n", figures.tool, figures.requests,
               figures.requests_per_second, micros(figures.p50_us), micros(figures.p99_us));
}

}  // namespace

int main(int argc, char** argv) try {
    BenchOptions options = parse_options(argc, argv);
    e2e::test::LoopbackServerOptions server_options;
    server_options.threads = 1;  // one connection at a time: a second thread would only add hand-offs
    e2e::test::LoopbackServer server(server_options);
    std::string url = server.url("/bench");

    fmt::print("server: {} (Beast, 1 thread), response 200 \"ok\"\n", url);
    Figures client = measure_client(url, options);
    print(client);
    Figures baseline = on_path("wrk") ? measure_wrk(url, options.baseline_seconds)
                                      : measure_curl(url, std::min<std::size_t>(options.requests, 5000));
    print(baseline);
    fmt::print("ratio client/baseline (req/s): {:.2f}\n", client.requests_per_second / baseline.requests_per_second);
    return 0;
} catch (const std::exception& error) {
    std::fprintf(stderr, "bench-http-client: %s\n", error.what());
    return 1;
}
