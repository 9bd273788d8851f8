#include "e2e/driver/cli.hpp"

#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <map>
#include <optional>
#include <ostream>
#include <random>
#include <sstream>

#include "e2e/driver/catch_results.hpp"
#include "e2e/driver/junit_writer.hpp"
#include "e2e/driver/matrix.hpp"
#include "e2e/driver/plan.hpp"
#include "e2e/driver/retries.hpp"
#include "e2e/driver/self_check.hpp"
#include "e2e/driver/stack.hpp"
#include "e2e/driver/summary.hpp"

namespace e2e::driver {

ProcessSpec job_process(const Job& job, const std::filesystem::path& jobs_dir, const std::string& seed,
                        const std::filesystem::path& env_file, std::filesystem::path& report) {
    const auto stem = jobs_dir / (job.attempt > 0 ? fmt::format("{}.r{}", job.id, job.attempt) : job.id);
    report = stem.string() + ".xml";
    std::filesystem::remove(report);
    std::vector<std::string> argv{job.binary_path.string()};
    if (!job.names.empty()) {
        const auto names_file = stem.string() + ".names";
        std::ofstream names(names_file, std::ios::trunc);
        for (const auto& n : job.names) names << n << '\n';
        argv.insert(argv.end(), {"--input-file", names_file});
    } else if (!job.filter.empty()) {
        argv.push_back(job.filter);
    }
    argv.insert(argv.end(), {"--reporter", "xml::out=" + report.string(), "--reporter", "console", "--colour-mode", "none",
                             "--durations", "yes", "--rng-seed", seed});
    if (job.catch_shard_count > 1)
        argv.insert(argv.end(), {"--shard-count", std::to_string(job.catch_shard_count), "--shard-index", std::to_string(job.catch_shard_index)});
    std::vector<std::pair<std::string, std::string>> env{{"E2E_ENVIRONMENT", job.environment}, {"E2E_MODE", job.mode}};
    if (!env_file.empty()) env.emplace_back("E2E_ENV_FILE", env_file.string());
    ProcessSpec spec;
    spec.argv = std::move(argv);
    spec.env = std::move(env);
    spec.log_file = stem.string() + ".log";
    return spec;
}

namespace {

constexpr const char* kMainHelp = R"(usage: esb-e2e <command> [options]

commands:
  run     run the matrix and write one JUnit report
  list    print the plan (environment, binary, filter, case count) without running
  merge   merge JUnit reports of several shards: esb-e2e merge OUT IN...
  self-check  prove the suite can fail: a clean baseline, then every esb-refstack fault switch
          alone; prints fault -> caught by (test IDs) and a score (exit 1 uncaught, 4 baseline red)

esb-e2e <command> --help shows the options of a command.
exit codes: 0 all passed, 1 a test failed, 2 usage or configuration error, 3 infrastructure error
  (self-check adds 4: the baseline without faults is not green)
)";

constexpr const char* kRunHelp = R"(usage: esb-e2e run [options]
  --matrix FILE        matrix file (default environments/test_matrix.yaml)
  --profile ENV        run only this environment (repeatable)
  --suite S            run only suite S of the environments that list it
  --test-target SPEC   Catch2 test spec replacing every suite filter
  --jobs N             parallel jobs (default: number of cores)
  --junit PATH         JUnit report (default reports/junit.xml)
  --shard K/N          run shard K of N of the full case list (for CI machines)
  --split N            split each (environment, binary) job in N Catch2 shards (default 1)
  --parallel-within-env  let jobs of one environment run at the same time (default: one at a
                       time, because restart scenarios disturb everything sharing the stack)
  --retries N          re-run failed tests by name up to N times; a later pass counts as flaky
  --timeout SECONDS    per job (default 1800); the test in flight is reported as timed out
  --build-only         start/deploy the stacks, run no tests
  --test-only          skip the compose lifecycle (reset/compose/deploy); stacks must be up
  --seed N             Catch2 --rng-seed for every job (default: random, recorded)
  --bin-dir DIR        test binaries folder (default <build>/scenarios)
  --refstack PATH      esb-refstack binary (default <build>/refstack/esb-refstack)
  --work-dir DIR       job logs, reports and stack folders (default .esb-e2e)
  --no-live            plain progress lines even on a terminal
  --verbose            also print every job's log as it finishes
)";

constexpr const char* kListHelp = R"(usage: esb-e2e list [options]
  prints environment, binary, filter and case count per job without running anything.
  --matrix FILE, --profile ENV, --suite S, --test-target SPEC, --shard K/N, --split N, --bin-dir DIR
)";

constexpr const char* kMergeHelp = R"(usage: esb-e2e merge OUT IN...
  merges JUnit reports (for example one per --shard) into OUT; testsuites with the same name are
  joined and their counts recomputed.
)";

constexpr const char* kSelfCheckHelp = R"(usage: esb-e2e self-check [options]
  Runs every scenario of one reference environment against an esb-refstack with no fault (the
  baseline, which must be green), then once per fault switch against a fresh esb-refstack with
  only that switch set, and prints fault -> the test IDs that failed, and the score.
  --matrix FILE        matrix file (default environments/test_matrix.yaml)
  --env NAME           reference environment whose suites run (default: the first one)
  --faults LIST        all (default) or id[,id...] (esb-refstack --list-faults lists them)
  --jobs N             fault runs at the same time, each with its own refstack (default 2)
  --timeout SECONDS    per test binary run (default 600); the test in flight fails as timed out
  --report FILE        the table as JSON (default reports/self-check.json)
  --seed N             Catch2 --rng-seed for every run (default: random, recorded)
  --bin-dir DIR        test binaries folder (default <build>/scenarios)
  --refstack PATH      esb-refstack binary (default <build>/refstack/esb-refstack)
  --work-dir DIR       runs go to DIR/self-check/<baseline|fault>/ (default .esb-e2e)
exit codes: 0 every fault caught, 1 a fault uncaught, 2 usage or configuration (unknown fault id),
  3 a refstack did not start, 4 the baseline is not green
)";

class UsageError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct Options {
    std::filesystem::path matrix = "environments/test_matrix.yaml";
    std::vector<std::string> profiles;
    std::string suite, test_target, shard;
    int jobs = 0, split = 1, retries = 0;
    double timeout = 1800;
    std::filesystem::path junit = "reports/junit.xml";
    bool build_only = false, test_only = false, no_live = false, verbose = false, help = false, parallel_within_env = false;
    std::optional<unsigned long> seed;
    std::filesystem::path bin_dir, refstack, work_dir = ".esb-e2e";
};

int to_int(const std::string& flag, const std::string& value, int min) {
    int v = 0;
    auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
    if (ec != std::errc{} || ptr != value.data() + value.size() || v < min)
        throw UsageError(fmt::format("{} expects an integer >= {}, got '{}'", flag, min, value));
    return v;
}

Options parse_options(const std::vector<std::string>& args, std::size_t first) {
    Options o;
    for (std::size_t i = first; i < args.size(); ++i) {
        const auto& a = args[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= args.size()) throw UsageError(fmt::format("{} needs a value", a));
            return args[++i];
        };
        if (a == "--help" || a == "-h") o.help = true;
        else if (a == "--matrix") o.matrix = value();
        else if (a == "--profile") o.profiles.push_back(value());
        else if (a == "--suite") o.suite = value();
        else if (a == "--test-target") o.test_target = value();
        else if (a == "--jobs") o.jobs = to_int(a, value(), 1);
        else if (a == "--split") o.split = to_int(a, value(), 1);
        else if (a == "--retries") o.retries = to_int(a, value(), 0);
        else if (a == "--timeout") o.timeout = to_int(a, value(), 1);
        else if (a == "--junit") o.junit = value();
        else if (a == "--shard") o.shard = value();
        else if (a == "--seed") o.seed = static_cast<unsigned long>(to_int(a, value(), 0));
        else if (a == "--bin-dir") o.bin_dir = value();
        else if (a == "--refstack") o.refstack = value();
        else if (a == "--work-dir") o.work_dir = value();
        else if (a == "--build-only") o.build_only = true;
        else if (a == "--test-only") o.test_only = true;
        else if (a == "--no-live") o.no_live = true;
        else if (a == "--parallel-within-env") o.parallel_within_env = true;
        else if (a == "--verbose") o.verbose = true;
        else throw UsageError(fmt::format("unknown option '{}'", a));
    }
    if (o.build_only && o.test_only) throw UsageError("--build-only and --test-only cannot be used together.");
    return o;
}

SelfCheckOptions parse_self_check_options(const std::vector<std::string>& args, std::size_t first, bool& help) {
    SelfCheckOptions o;
    for (std::size_t i = first; i < args.size(); ++i) {
        const auto& a = args[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= args.size()) throw UsageError(fmt::format("{} needs a value", a));
            return args[++i];
        };
        if (a == "--help" || a == "-h") help = true;
        else if (a == "--matrix") o.matrix = value();
        else if (a == "--env") o.environment = value();
        else if (a == "--faults") o.faults = value();
        else if (a == "--jobs") o.jobs = to_int(a, value(), 1);
        else if (a == "--timeout") o.timeout = std::chrono::seconds(to_int(a, value(), 1));
        else if (a == "--report") o.report = value();
        else if (a == "--seed") o.seed = static_cast<unsigned long>(to_int(a, value(), 0));
        else if (a == "--bin-dir") o.bin_dir = value();
        else if (a == "--refstack") o.refstack = value();
        else if (a == "--work-dir") o.work_dir = value();
        else throw UsageError(fmt::format("unknown option '{}'", a));
    }
    return o;
}

std::filesystem::path abs_path(const std::filesystem::path& p) { return std::filesystem::absolute(p).lexically_normal(); }

std::string read_file(const std::filesystem::path& p) {
    // rdbuf() into a stream: GCC 12 -O3 warns falsely on istreambuf_iterator ranges.
    std::ifstream in(p, std::ios::binary);
    std::ostringstream text;
    if (in) text << in.rdbuf();
    return text.str();
}

std::vector<std::string> catch_listing(ProcessLauncher& launcher, Clock& clock, const Job& job, const std::filesystem::path& scratch) {
    std::vector<std::string> argv{job.binary_path.string(), "--list-tests", "--reporter", "xml"};
    if (!job.filter.empty()) argv.push_back(job.filter);
    if (job.catch_shard_count > 1) {
        argv.insert(argv.end(), {"--shard-count", std::to_string(job.catch_shard_count), "--shard-index", std::to_string(job.catch_shard_index)});
    }
    std::filesystem::create_directories(scratch);
    const auto file = scratch / (job.id + ".list.xml");
    ProcessSpec spec;
    spec.argv = argv;
    spec.log_file = file;
    const int handle = launcher.start(spec);
    std::optional<int> status;
    while (!(status = launcher.poll(handle))) clock.sleep_for(std::chrono::milliseconds(10));
    const auto text = read_file(file);
    const auto root = parse_tolerant_xml(text);
    std::vector<std::string> names;
    if (const auto* tests = root.child("MatchingTests"))
        for (const auto& tc : tests->children)
            if (tc.name == "TestCase")
                if (const auto* n = tc.child("Name")) names.push_back(n->text);
    return names;
}

void append_file(const std::filesystem::path& to, const std::filesystem::path& from) {
    std::ofstream out(to, std::ios::app | std::ios::binary);
    std::ifstream in(from, std::ios::binary);
    if (in) out << in.rdbuf();
}

struct Pipeline {
    ProcessLauncher& launcher;
    Clock& clock;
    std::ostream& out;
    std::ostream& err;
    bool stdout_is_tty;
};

int do_list(const Options& o, const Matrix& matrix, std::vector<Job> jobs, Pipeline& p) {
    const auto scratch = abs_path(o.work_dir) / "list";
    std::map<std::string, std::size_t> counts;
    if (!o.shard.empty()) {
        jobs = apply_shard(jobs, parse_shard(o.shard), [&](const Job& j) { return catch_listing(p.launcher, p.clock, j, scratch); });
        for (const auto& j : jobs) counts[j.id] = j.names.size();
    }
    (void)matrix;
    p.out << fmt::format("{:<20} {:<14} {:>6}  {}\n", "environment", "binary", "cases", "filter");
    for (const auto& j : jobs) {
        std::string count = "?";
        if (counts.contains(j.id)) count = std::to_string(counts[j.id]);
        else if (std::filesystem::is_regular_file(j.binary_path))
            count = std::to_string(catch_listing(p.launcher, p.clock, j, scratch).size());
        else count = "missing";
        p.out << fmt::format("{:<20} {:<14} {:>6}  {}{}\n", j.environment, j.binary, count, j.filter,
                             j.catch_shard_count > 1 ? fmt::format(" (Catch2 shard {}/{})", j.catch_shard_index, j.catch_shard_count) : "");
    }
    return 0;
}

int do_run(const Options& o, const Matrix& matrix, std::vector<Job> jobs, Pipeline& p, const std::filesystem::path& refstack) {
    const auto work = abs_path(o.work_dir);
    const auto jobs_dir = work / "jobs";
    std::filesystem::create_directories(jobs_dir);
    if (!o.shard.empty())
        jobs = apply_shard(jobs, parse_shard(o.shard), [&](const Job& j) { return catch_listing(p.launcher, p.clock, j, work / "list"); });
    if (!o.build_only)
        for (const auto& j : jobs)
            if (!std::filesystem::is_regular_file(j.binary_path))
                throw ConfigError(fmt::format("test binary not found: {} (build it, or pass --bin-dir)", j.binary_path.string()));
    const std::string seed = o.seed ? std::to_string(*o.seed) : std::to_string(std::random_device{}() % 2147483647u);

    // Environments in plan order, each with its .parallel-<env>.log.
    std::vector<const Environment*> envs;
    for (const auto& j : jobs)
        if (std::none_of(envs.begin(), envs.end(), [&](const Environment* e) { return e->name == j.environment; }))
            envs.push_back(matrix.find(j.environment));
    std::map<std::string, std::filesystem::path> env_logs;
    for (const auto* e : envs) {
        env_logs[e->name] = work / fmt::format(".parallel-{}.log", e->name);
        std::ofstream(env_logs[e->name], std::ios::trunc) << fmt::format("[{}] started\n", e->name);
        p.out << fmt::format("[{}] started ({} stack, mode {})\n", e->name, to_string(e->stack), e->mode);
    }

    StackOptions stack_options{refstack, work, matrix.file.parent_path(), std::chrono::milliseconds(60'000), o.test_only};
    std::map<std::string, StackHandle> stacks;
    std::map<std::string, std::string> infra_errors;
    std::vector<std::string> secrets;
    for (const auto* e : envs) {
        try {
            stacks[e->name] = start_stack(*e, stack_options, p.launcher, p.clock, env_logs[e->name]);
            for (const auto& s : stacks[e->name].secrets) secrets.push_back(s);
        } catch (const std::exception& ex) {
            infra_errors[e->name] = ex.what();
            std::ofstream(env_logs[e->name], std::ios::app) << "[ERROR] " << ex.what() << '\n';
            p.err << fmt::format("[{}] [ERROR] {}\n", e->name, ex.what());
        }
    }

    std::vector<SuiteResult> suites;
    auto suite_for = [&](const Job& j) -> SuiteResult& {
        for (auto& s : suites)
            if (s.environment == j.environment && s.binary == j.binary) return s;
        suites.push_back({j.environment, j.binary, j.filter, j.mode, seed, j.shard, {}});
        return suites.back();
    };
    RunnerOptions runner{o.jobs > 0 ? o.jobs : std::max(1, static_cast<int>(::sysconf(_SC_NPROCESSORS_ONLN))),
                         std::chrono::milliseconds(static_cast<long>(o.timeout * 1000))};

    // A live status line only on a terminal that wants it (NO_COLOR / TERM=dumb / --no-live / --verbose opt out).
    const char* term = std::getenv("TERM");
    const char* no_color = std::getenv("NO_COLOR");
    const bool live = !o.no_live && !o.verbose && p.stdout_is_tty && !(term && std::string(term) == "dumb") &&
                      !(no_color && *no_color);

    // Runs a batch of jobs and returns each job's report with the way it ended folded in.
    auto run_batch = [&](const std::vector<Job>& batch) {
        std::vector<Task> tasks;
        std::vector<std::filesystem::path> reports(batch.size());
        for (std::size_t i = 0; i < batch.size(); ++i) {
            const auto& j = batch[i];
            tasks.push_back({j.id, j.lane, job_process(j, jobs_dir, seed, stacks[j.environment].env_file, reports[i])});
        }
        RunnerEvents events;
        std::size_t done = 0, started = 0;
        auto status_line = [&] {
            if (live) p.out << fmt::format("\r\x1b[K[esb-e2e] {}/{} jobs done, {} running", done, batch.size(), started - done) << std::flush;
        };
        events.started = [&](const Task&) {
            ++started;
            status_line();
        };
        events.finished = [&](const Task& t, const TaskResult& r) {
            ++done;
            if (live) p.out << "\r\x1b[K";
            p.out << fmt::format("[{}] {} {}\n", t.id, r.exit.passed() ? "ok" : "FAILED", r.exit.passed() ? fmt::format("({:.1f}s)", r.exit.seconds) : "(" + r.exit.describe() + ")");
            if (o.verbose) p.out << read_file(t.spec.log_file);
            status_line();
        };
        const auto results = run_tasks(tasks, runner, p.launcher, p.clock, events);
        if (live) p.out << "\r\x1b[K" << std::flush;
        std::vector<RunReport> out;
        for (std::size_t i = 0; i < batch.size(); ++i) {
            auto report = parse_catch_report(read_file(reports[i]));
            attribute_exit(report, results[i].exit, o.timeout, batch[i].binary, tail_file(tasks[i].spec.log_file, 40));
            out.push_back(std::move(report));
            const auto& log = env_logs[batch[i].environment];
            append_file(log, tasks[i].spec.log_file);
        }
        return out;
    };

    if (!o.build_only) {
        std::vector<Job> runnable;
        for (const auto& j : jobs)
            if (!infra_errors.contains(j.environment)) runnable.push_back(j);
        const auto reports = run_batch(runnable);
        for (std::size_t i = 0; i < runnable.size(); ++i) {
            auto& s = suite_for(runnable[i]);
            if (!reports[i].rng_seed.empty()) s.seed = reports[i].rng_seed;
            for (const auto& c : reports[i].cases) s.cases.push_back(c);
        }
        for (int attempt = 1; attempt <= o.retries; ++attempt) {
            std::vector<Job> retry_jobs;
            std::vector<SuiteResult*> targets;
            for (auto& s : suites) {
                auto names = retry_names(s.cases);
                if (names.empty()) continue;
                const auto it = std::find_if(runnable.begin(), runnable.end(),
                                             [&](const Job& j) { return j.environment == s.environment && j.binary == s.binary; });
                Job retry = *it;
                retry.names = std::move(names);
                retry.catch_shard_count = 1;
                retry.catch_shard_index = 0;
                retry.id = s.name();
                retry.attempt = attempt;
                retry_jobs.push_back(std::move(retry));
                targets.push_back(&s);
            }
            if (retry_jobs.empty()) break;
            p.out << fmt::format("retry {} of {}: {} job(s)\n", attempt, o.retries, retry_jobs.size());
            const auto reports_retry = run_batch(retry_jobs);
            for (std::size_t i = 0; i < retry_jobs.size(); ++i) merge_retry(targets[i]->cases, reports_retry[i]);
        }
    }

    for (const auto* e : envs) {
        if (!stacks.contains(e->name)) continue;
        try {
            stop_stack(stacks[e->name], *e, stack_options, p.launcher, p.clock, env_logs[e->name]);
        } catch (const std::exception& ex) {
            infra_errors[e->name] = ex.what();
            p.err << fmt::format("[{}] [ERROR] {}\n", e->name, ex.what());
        }
    }
    // An environment whose stack failed appears in the report as an error, not as silence.
    for (const auto& [env, message] : infra_errors) {
        const auto* e = matrix.find(env);
        SuiteResult s{env, "stack", "", e ? e->mode : "", seed, o.shard, {}};
        CaseResult c;
        c.name = env + " stack";
        c.status = CaseStatus::error;
        c.problems.push_back({true, "infrastructure", message.substr(0, message.find('\n')), message});
        s.cases.push_back(std::move(c));
        suites.push_back(std::move(s));
    }

    std::vector<std::string> failed_envs;
    for (const auto* e : envs) {
        bool ok = !infra_errors.contains(e->name);
        for (const auto& s : suites)
            if (s.environment == e->name)
                for (const auto& c : s.cases) ok = ok && c.status != CaseStatus::failed && c.status != CaseStatus::error;
        std::ofstream(env_logs[e->name], std::ios::app) << fmt::format("[{}] done ... {}\n", e->name, ok ? "PASSED" : "FAILED");
        if (!ok) failed_envs.push_back(e->name);
    }
    for (const auto& env : failed_envs) {
        const auto& log = env_logs[env];
        p.out << fmt::format("[PARALLEL] Last 40 lines for {} ({}):\n", env, log.string());
        p.out << redact(clean_text(tail_file(log, 40)), secrets);
    }

    const auto junit = abs_path(o.junit);
    if (!o.build_only) {
        write_file_atomically(junit, render_junit(suites, secrets));
        p.out << render_summary(suites);
        p.out << fmt::format("JUnit report: {}\n", junit.string());
    }
    if (!infra_errors.empty()) {
        std::string names;
        for (const auto& [env, m] : infra_errors) names += (names.empty() ? "" : ", ") + env;
        p.err << fmt::format("[ERROR] infrastructure failed for: {}\n", names);
        return 3;
    }
    if (!failed_envs.empty()) {
        std::string names;
        for (const auto& n : failed_envs) names += (names.empty() ? "" : ", ") + n;
        p.out << fmt::format("[FAILED] The following environments failed: {}\n", names);
        return 1;
    }
    p.out << "[PASSED] ALL MATRIX ENTRIES PASSED!\n";
    return 0;
}

int do_merge(const std::vector<std::string>& args, std::ostream& out) {
    if (args.size() < 4) throw UsageError("merge needs OUT and at least one IN");
    std::vector<std::string> docs;
    for (std::size_t i = 3; i < args.size(); ++i) {
        if (!std::filesystem::is_regular_file(args[i])) throw ConfigError(fmt::format("report not found: {}", args[i]));
        docs.push_back(read_file(args[i]));
    }
    const auto merged = merge_junit(docs);
    write_file_atomically(args[2], merged);
    const auto c = count_junit(merged);
    out << fmt::format("merged {} report(s) into {}: {} tests, {} failures, {} errors, {} skipped\n", docs.size(), args[2], c.tests,
                       c.failures, c.errors, c.skipped);
    return 0;
}

}  // namespace

int run_cli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err, const CliEnvironment& environment) {
    PosixLauncher posix;
    SystemClock system_clock;
    Pipeline p{environment.launcher ? *environment.launcher : posix, environment.clock ? *environment.clock : system_clock, out, err,
               environment.stdout_is_tty};
    const std::string command = args.size() > 1 ? args[1] : "";
    try {
        if (command.empty() || command == "--help" || command == "-h" || command == "help") {
            out << kMainHelp;
            return command.empty() ? 2 : 0;
        }
        if (command == "merge") {
            if (args.size() > 2 && (args[2] == "--help" || args[2] == "-h")) {
                out << kMergeHelp;
                return 0;
            }
            return do_merge(args, out);
        }
        if (command == "self-check") {
            bool help = false;
            auto o = parse_self_check_options(args, 2, help);
            if (help) {
                out << kSelfCheckHelp;
                return 0;
            }
            o.bin_dir = abs_path(o.bin_dir.empty() ? environment.self_dir / ".." / "scenarios" : o.bin_dir);
            o.refstack = abs_path(o.refstack.empty() ? environment.self_dir / ".." / "refstack" / "esb-refstack" : o.refstack);
            return run_self_check(o, p.launcher, p.clock, out, err);
        }
        if (command != "run" && command != "list") throw UsageError(fmt::format("unknown command '{}'", command));
        const auto o = parse_options(args, 2);
        if (o.help) {
            out << (command == "run" ? kRunHelp : kListHelp);
            return 0;
        }
        const auto matrix = load_matrix(o.matrix);
        PlanOptions plan;
        plan.profiles = o.profiles;
        plan.suite = o.suite;
        plan.test_target = o.test_target;
        plan.split = o.split;
        plan.serial_per_environment = !o.parallel_within_env;
        plan.bin_dir = abs_path(o.bin_dir.empty() ? environment.self_dir / ".." / "scenarios" : o.bin_dir);
        auto jobs = plan_jobs(matrix, plan);
        if (!o.shard.empty()) (void)parse_shard(o.shard);  // validate before anything runs
        if (command == "list") return do_list(o, matrix, std::move(jobs), p);
        const auto refstack = abs_path(o.refstack.empty() ? environment.self_dir / ".." / "refstack" / "esb-refstack" : o.refstack);
        return do_run(o, matrix, std::move(jobs), p, refstack);
    } catch (const UsageError& e) {
        err << fmt::format("[ERROR] {}\n(esb-e2e {} --help lists the options)\n", e.what(), command.empty() ? "" : command);
        return 2;
    } catch (const ConfigError& e) {
        err << fmt::format("[ERROR] {}\n", e.what());
        return 2;
    } catch (const StackError& e) {
        err << fmt::format("[ERROR] {}\n", e.what());
        return 3;
    } catch (const std::exception& e) {
        err << fmt::format("[ERROR] {}\n", e.what());
        return 3;
    }
}

}  // namespace e2e::driver
