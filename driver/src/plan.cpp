#include "e2e/driver/plan.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

namespace e2e::driver {

std::string Shard::label() const { return fmt::format("{}/{}", index, count); }

Shard parse_shard(const std::string& text) {
    const auto slash = text.find('/');
    Shard shard;
    auto parse = [&](std::string_view part, int& out) {
        const auto* end = part.data() + part.size();
        auto [ptr, ec] = std::from_chars(part.data(), end, out);
        return ec == std::errc{} && ptr == end && !part.empty();
    };
    if (slash == std::string::npos || !parse(std::string_view(text).substr(0, slash), shard.index) ||
        !parse(std::string_view(text).substr(slash + 1), shard.count) || shard.count < 1 || shard.index < 1 ||
        shard.index > shard.count)
        throw ConfigError(fmt::format("--shard expects K/N with 1 <= K <= N, got '{}'", text));
    return shard;
}

std::vector<Job> plan_jobs(const Matrix& matrix, const PlanOptions& options) {
    for (const auto& p : options.profiles)
        if (!matrix.find(p)) {
            std::string names;
            for (const auto& n : matrix.environment_names()) names += (names.empty() ? "" : ", ") + n;
            throw ConfigError(fmt::format("Environment '{}' not found in matrix. Available environments: {}", p, names));
        }
    if (!options.suite.empty() && !matrix.suites.contains(options.suite))
        throw ConfigError(fmt::format("Suite '{}' not defined in suites of {}", options.suite, matrix.file.string()));
    const int split = std::max(1, options.split);
    std::vector<Job> jobs;
    for (const auto& env : matrix.environments) {
        if (!options.profiles.empty() &&
            std::find(options.profiles.begin(), options.profiles.end(), env.name) == options.profiles.end())
            continue;
        std::vector<std::string> suites = env.suites;
        if (!options.suite.empty()) {
            if (std::find(suites.begin(), suites.end(), options.suite) == suites.end()) continue;
            suites = {options.suite};
        }
        const auto& binaries = env.binaries.empty() ? matrix.binaries : env.binaries;
        for (const auto& binary : binaries) {
            std::string filter;
            if (!options.test_target.empty()) {
                filter = options.test_target;
            } else {
                std::vector<std::string> filters;
                for (const auto& s : suites) filters.push_back(suite_filter(matrix.suites.at(s), binary));
                filter = combine_filters(filters);
                if (filter.empty()) continue;  // no suite of this environment targets this binary
            }
            for (int i = 0; i < split; ++i) {
                Job job;
                job.environment = env.name;
                job.binary = binary;
                job.filter = filter;
                job.mode = env.mode;
                job.binary_path = options.bin_dir / binary;
                job.catch_shard_count = split;
                job.catch_shard_index = i;
                job.id = split > 1 ? fmt::format("{}.{}.s{}", env.name, binary, i) : fmt::format("{}.{}", env.name, binary);
                job.lane = options.serial_per_environment ? env.name : job.id;
                jobs.push_back(std::move(job));
            }
        }
    }
    return jobs;
}

std::vector<Job> apply_shard(const std::vector<Job>& jobs, const Shard& shard, const CaseLister& lister) {
    struct Entry {
        std::size_t job;
        std::string name;
    };
    std::vector<Entry> all;
    for (std::size_t j = 0; j < jobs.size(); ++j)
        for (auto& name : lister(jobs[j])) all.push_back({j, std::move(name)});
    std::stable_sort(all.begin(), all.end(), [&](const Entry& a, const Entry& b) {
        const auto& ja = jobs[a.job];
        const auto& jb = jobs[b.job];
        return std::tie(ja.environment, ja.binary, ja.catch_shard_index, a.name) <
               std::tie(jb.environment, jb.binary, jb.catch_shard_index, b.name);
    });
    std::vector<std::vector<std::string>> kept(jobs.size());
    for (std::size_t i = 0; i < all.size(); ++i)
        if (static_cast<int>(i % static_cast<std::size_t>(shard.count)) == shard.index - 1) kept[all[i].job].push_back(all[i].name);
    std::vector<Job> out;
    for (std::size_t j = 0; j < jobs.size(); ++j) {
        if (kept[j].empty()) continue;
        Job job = jobs[j];
        job.names = std::move(kept[j]);
        job.catch_shard_count = 1;  // the names already select the cases
        job.catch_shard_index = 0;
        job.shard = shard.label();
        out.push_back(std::move(job));
    }
    return out;
}

}  // namespace e2e::driver
