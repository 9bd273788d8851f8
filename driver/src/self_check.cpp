#include "e2e/driver/self_check.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <mutex>
#include <ostream>
#include <random>
#include <sstream>
#include <thread>

#include "e2e/driver/cli.hpp"
#include "e2e/driver/junit_writer.hpp"
#include "e2e/driver/matrix.hpp"
#include "e2e/driver/plan.hpp"
#include "e2e/driver/stack.hpp"
#include "e2e/json.hpp"

namespace e2e::driver {
namespace {

std::string read_file(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream text;  // not istreambuf_iterator: GCC 12 -O3 warns falsely on it
    if (in) text << in.rdbuf();
    return text.str();
}

std::string join(const std::vector<std::string>& items, std::string_view separator) {
    std::string out;
    for (const auto& item : items) out += (out.empty() ? "" : std::string(separator)) + item;
    return out;
}

bool is_id_tag(std::string_view tag) {
    const auto dash = tag.find('-');
    if (dash == std::string_view::npos || dash == 0 || dash + 1 == tag.size()) return false;
    return std::all_of(tag.begin(), tag.begin() + static_cast<std::ptrdiff_t>(dash), [](char c) { return c >= 'A' && c <= 'Z'; }) &&
           std::all_of(tag.begin() + static_cast<std::ptrdiff_t>(dash) + 1, tag.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

}  // namespace

std::vector<FaultSwitch> parse_fault_catalogue(std::string_view text) {
    std::vector<FaultSwitch> out;
    std::size_t number = 0;
    for (std::size_t begin = 0; begin < text.size();) {
        const auto end = std::min(text.find('\n', begin), text.size());
        const std::string line(text.substr(begin, end - begin));
        begin = end + 1;
        ++number;
        if (line.empty()) continue;
        const auto tab1 = line.find('\t');
        const auto tab2 = tab1 == std::string::npos ? std::string::npos : line.find('\t', tab1 + 1);
        if (tab2 == std::string::npos || tab1 == 0)
            throw ConfigError(fmt::format("esb-refstack --list-faults: line {} is not id<TAB>area<TAB>description: '{}'", number, line));
        out.push_back({line.substr(0, tab1), line.substr(tab1 + 1, tab2 - tab1 - 1), line.substr(tab2 + 1)});
    }
    if (out.empty()) throw ConfigError("esb-refstack --list-faults printed no fault switch");
    return out;
}

std::vector<FaultSwitch> select_faults(const std::vector<FaultSwitch>& catalogue, const std::string& spec) {
    if (spec == "all") return catalogue;
    std::set<std::string> wanted;
    for (std::size_t begin = 0; begin <= spec.size();) {
        const auto end = std::min(spec.find(',', begin), spec.size());
        const auto id = spec.substr(begin, end - begin);
        begin = end + 1;
        if (id.empty()) continue;
        if (std::none_of(catalogue.begin(), catalogue.end(), [&](const FaultSwitch& f) { return f.id == id; }))
            throw ConfigError(fmt::format("unknown fault switch '{}' in --faults (esb-refstack --list-faults lists the {} known ones)", id,
                                          catalogue.size()));
        wanted.insert(id);
    }
    if (wanted.empty()) throw ConfigError("--faults names no fault switch (use 'all' or id[,id...])");
    std::vector<FaultSwitch> out;
    for (const auto& f : catalogue)
        if (wanted.contains(f.id)) out.push_back(f);
    return out;
}

std::vector<std::string> id_tags(std::string_view tags) {
    std::vector<std::string> out;
    for (std::size_t open = tags.find('['); open != std::string_view::npos; open = tags.find('[', open + 1)) {
        const auto close = tags.find(']', open);
        if (close == std::string_view::npos) break;
        const auto tag = tags.substr(open + 1, close - open - 1);
        if (is_id_tag(tag)) out.emplace_back(tag);
    }
    return out;
}

CheckRun summarise_run(std::string fault, const std::vector<RunReport>& reports, double seconds) {
    CheckRun run;
    run.fault = std::move(fault);
    run.seconds = seconds;
    for (const auto& report : reports) {
        for (const auto& c : report.cases) {
            ++run.tests;
            if (c.status == CaseStatus::skipped) ++run.skipped;
            if (c.status != CaseStatus::failed && c.status != CaseStatus::error) continue;
            ++run.failed;
            const auto ids = id_tags(c.tags);
            // A case without an ID (the synthetic "<binary> (process)" of a crash) still counts, by name.
            if (ids.empty()) run.failed_ids.insert(c.name);
            run.failed_ids.insert(ids.begin(), ids.end());
            const std::string problem = c.problems.empty() ? std::string() : ": " + first_line(c.problems.front().message);
            run.failures.push_back(fmt::format("{}{}{}", c.name, ids.empty() ? "" : " [" + join(ids, ", ") + "]", problem));
        }
    }
    return run;
}

std::string to_string(FaultVerdict verdict) {
    switch (verdict) {
        case FaultVerdict::caught: return "caught";
        case FaultVerdict::uncaught: return "UNCAUGHT";
        case FaultVerdict::error: return "ERROR";
    }
    return "?";
}

int SelfCheckResult::caught() const {
    return static_cast<int>(std::count_if(rows.begin(), rows.end(), [](const FaultRow& r) { return r.verdict == FaultVerdict::caught; }));
}

std::string SelfCheckResult::score() const {
    const int percent = total() == 0 ? 0 : caught() * 100 / total();  // rounded down: 35/36 is not 100%
    return fmt::format("{}/{} ({}%)", caught(), total(), percent);
}

SelfCheckResult build_self_check(CheckRun baseline, const std::vector<FaultSwitch>& faults, const std::vector<CheckRun>& runs) {
    SelfCheckResult result;
    result.baseline = std::move(baseline);
    if (!result.baseline.green()) return result;
    for (const auto& fault : faults) {
        FaultRow row{fault, FaultVerdict::error, {}, "not run", 0};
        const auto run = std::find_if(runs.begin(), runs.end(), [&](const CheckRun& r) { return r.fault == fault.id; });
        if (run != runs.end()) {
            row.seconds = run->seconds;
            if (run->stack_error) {
                row.error = first_line(*run->stack_error);
            } else if (run->tests == 0) {
                row.error = "no test ran";
            } else {
                row.error.clear();
                row.caught_by.assign(run->failed_ids.begin(), run->failed_ids.end());  // a std::set: sorted, unique
                row.verdict = row.caught_by.empty() ? FaultVerdict::uncaught : FaultVerdict::caught;
            }
        }
        result.rows.push_back(std::move(row));
    }
    return result;
}

std::string render_self_check_table(const SelfCheckResult& result) {
    const auto& b = result.baseline;
    std::string out;
    if (b.stack_error) {
        out += fmt::format("baseline: ERROR, the refstack did not start: {}\n", first_line(*b.stack_error));
    } else {
        out += fmt::format("baseline (no fault): {}, {} tests, {} failed, {} skipped, {:.1f}s\n", b.green() ? "green" : "RED", b.tests,
                           b.failed, b.skipped, b.seconds);
        for (const auto& f : b.failures) out += "  failed: " + f + "\n";
    }
    if (!b.green()) {
        out += "no fault was checked: a red baseline proves nothing\n";
        return out;
    }
    std::size_t width = 5;
    for (const auto& r : result.rows) width = std::max(width, r.fault.id.size());
    out += fmt::format("{:<{}}  {:<10}  {:<8}  {:>7}  {}\n", "fault", width, "area", "result", "time", "caught by");
    for (const auto& r : result.rows) {
        const std::string detail = r.verdict == FaultVerdict::error ? r.error : r.verdict == FaultVerdict::uncaught ? "-" : join(r.caught_by, ", ");
        out += fmt::format("{:<{}}  {:<10}  {:<8}  {:>6.1f}s  {}\n", r.fault.id, width, r.fault.area, to_string(r.verdict), r.seconds, detail);
    }
    out += fmt::format("score: {} faults caught\n", result.score());
    if (result.seconds > 0) out += fmt::format("wall time: {:.0f}s\n", result.seconds);
    return out;
}

std::string render_self_check_json(const SelfCheckResult& result, const std::string& environment, const std::string& seed) {
    const auto& b = result.baseline;
    std::vector<JsonValue> failures(b.failures.begin(), b.failures.end());
    const Json baseline = Json::object({{"green", b.green()},
                                        {"stack_error", b.stack_error},
                                        {"tests", b.tests},
                                        {"failed", b.failed},
                                        {"skipped", b.skipped},
                                        {"seconds", b.seconds},
                                        {"failures", Json::array(failures)}});
    std::vector<JsonValue> rows;
    for (const auto& r : result.rows) {
        std::vector<JsonValue> ids(r.caught_by.begin(), r.caught_by.end());
        rows.emplace_back(Json::object({{"fault", r.fault.id},
                                        {"area", r.fault.area},
                                        {"description", r.fault.description},
                                        {"result", r.verdict == FaultVerdict::caught     ? "caught"
                                                   : r.verdict == FaultVerdict::uncaught ? "uncaught"
                                                                                         : "error"},
                                        {"caught_by", Json::array(ids)},
                                        {"error", r.error.empty() ? JsonValue(nullptr) : JsonValue(r.error)},
                                        {"seconds", r.seconds}}));
    }
    return Json::object({{"environment", environment},
                         {"seed", seed},
                         {"baseline", baseline},
                         {"faults", Json::array(rows)},
                         {"caught", result.caught()},
                         {"total", result.total()},
                         {"score", result.score()},
                         {"seconds", result.seconds},
                         {"exit_code", self_check_exit_code(result)}})
               .dump() +
           "\n";
}

int self_check_exit_code(const SelfCheckResult& result) {
    if (result.baseline.stack_error) return kSelfCheckInfrastructure;
    if (!result.baseline.green()) return kSelfCheckBaselineRed;
    if (std::any_of(result.rows.begin(), result.rows.end(), [](const FaultRow& r) { return r.verdict == FaultVerdict::error; }))
        return kSelfCheckInfrastructure;
    if (result.caught() < result.total()) return kSelfCheckUncaught;
    return kSelfCheckPassed;
}

namespace {

// Everything one run needs; shared read-only by the pool's threads.
struct RunContext {
    const Environment& environment;
    const std::vector<Job>& jobs;
    const SelfCheckOptions& options;
    std::filesystem::path refstack;
    std::filesystem::path matrix_dir;
    std::filesystem::path work;  // <work-dir>/self-check
    std::string seed;
    ProcessLauncher& launcher;
    Clock& clock;
};

// Starts a refstack with only `fault` set ("" = none), runs every job one after the other (restart
// cases share the stack), stops the refstack. Files under <work>/<fault or baseline>/.
CheckRun run_against(const RunContext& ctx, const std::string& fault) {
    const auto dir = ctx.work / (fault.empty() ? "baseline" : fault);
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir / "jobs");
    const auto env_log = dir / "run.log";
    std::ofstream(env_log, std::ios::trunc) << fmt::format("[{}] self-check run, fault: {}\n", ctx.environment.name, fault.empty() ? "none" : fault);
    StackOptions stack_options{ctx.refstack, dir, ctx.matrix_dir, std::chrono::milliseconds(60'000), false,
                               fault.empty() ? std::vector<std::string>{} : std::vector<std::string>{fault}};
    const auto started = ctx.clock.now();
    auto elapsed = [&] { return std::chrono::duration<double>(ctx.clock.now() - started).count(); };
    StackHandle stack;
    try {
        stack = start_stack(ctx.environment, stack_options, ctx.launcher, ctx.clock, env_log);
    } catch (const std::exception& e) {
        CheckRun run;
        run.fault = fault;
        run.stack_error = e.what();
        run.seconds = elapsed();
        return run;
    }
    std::vector<Task> tasks;
    std::vector<std::filesystem::path> reports(ctx.jobs.size());
    for (std::size_t i = 0; i < ctx.jobs.size(); ++i)
        tasks.push_back({ctx.jobs[i].id, "stack", job_process(ctx.jobs[i], dir / "jobs", ctx.seed, stack.env_file, reports[i])});
    RunnerOptions runner{1, std::chrono::duration_cast<std::chrono::milliseconds>(ctx.options.timeout)};
    const auto results = run_tasks(tasks, runner, ctx.launcher, ctx.clock);
    std::vector<RunReport> parsed;
    std::vector<SuiteResult> suites;
    for (std::size_t i = 0; i < ctx.jobs.size(); ++i) {
        auto report = parse_catch_report(read_file(reports[i]));
        attribute_exit(report, results[i].exit, static_cast<double>(ctx.options.timeout.count()), ctx.jobs[i].binary,
                       tail_file(tasks[i].spec.log_file, 40));
        suites.push_back({ctx.environment.name, ctx.jobs[i].binary, ctx.jobs[i].filter, ctx.jobs[i].mode, ctx.seed, "", report.cases});
        parsed.push_back(std::move(report));
    }
    try {
        stop_stack(stack, ctx.environment, stack_options, ctx.launcher, ctx.clock, env_log);
    } catch (const std::exception& e) {
        std::ofstream(env_log, std::ios::app) << "[ERROR] " << e.what() << '\n';
    }
    // Each run's own JUnit report, for reading why a case failed (secrets redacted).
    write_file_atomically(dir / "junit.xml", render_junit(suites, stack.secrets));
    return summarise_run(fault, parsed, elapsed());
}

const Environment& pick_environment(const Matrix& matrix, const std::string& name) {
    if (!name.empty()) {
        const auto* e = matrix.find(name);
        if (!e) throw ConfigError(fmt::format("Environment '{}' not found in matrix ({})", name, join(matrix.environment_names(), ", ")));
        if (e->stack != StackKind::reference)
            throw ConfigError(fmt::format("self-check needs a reference environment (an esb-refstack it can set faults on); '{}' is {}",
                                          name, to_string(e->stack)));
        return *e;
    }
    for (const auto& e : matrix.environments)
        if (e.stack == StackKind::reference) return e;
    throw ConfigError(fmt::format("{}: no environment with stack: reference to run the self-check against", matrix.file.string()));
}

std::vector<FaultSwitch> list_faults(const std::filesystem::path& refstack, const std::filesystem::path& work, ProcessLauncher& launcher,
                                     Clock& clock) {
    if (!std::filesystem::is_regular_file(refstack))
        throw StackError(fmt::format("esb-refstack not found at {} (build it or pass --refstack PATH)", refstack.string()));
    ProcessSpec spec;
    spec.argv = {refstack.string(), "--list-faults"};
    spec.log_file = work / "faults.txt";
    const int handle = launcher.start(spec);
    std::optional<int> status;
    while (!(status = launcher.poll(handle))) clock.sleep_for(std::chrono::milliseconds(10));
    auto text = read_file(spec.log_file);
    if (text.starts_with("$")) text.erase(0, text.find('\n') == std::string::npos ? text.size() : text.find('\n') + 1);  // the launcher's header
    if (*status != 0) throw StackError(fmt::format("{} --list-faults failed (status {}): {}", refstack.string(), *status, first_line(text)));
    return parse_fault_catalogue(text);
}

}  // namespace

int run_self_check(const SelfCheckOptions& options, ProcessLauncher& launcher, Clock& clock, std::ostream& out, std::ostream& err) {
    const auto matrix = load_matrix(options.matrix);
    const auto& environment = pick_environment(matrix, options.environment);
    PlanOptions plan;
    plan.profiles = {environment.name};
    plan.bin_dir = options.bin_dir;
    const auto jobs = plan_jobs(matrix, plan);
    for (const auto& j : jobs)
        if (!std::filesystem::is_regular_file(j.binary_path))
            throw ConfigError(fmt::format("test binary not found: {} (build it, or pass --bin-dir)", j.binary_path.string()));
    const auto work = std::filesystem::absolute(options.work_dir).lexically_normal() / "self-check";
    std::filesystem::create_directories(work);
    const auto faults = select_faults(list_faults(options.refstack, work, launcher, clock), options.faults);
    const auto check_started = clock.now();
    const std::string seed = options.seed ? std::to_string(*options.seed) : std::to_string(std::random_device{}() % 2147483647u);

    const RunContext ctx{environment, jobs, options, options.refstack, matrix.file.parent_path(), work, seed, launcher, clock};
    std::mutex out_mutex;
    auto say = [&](const std::string& line) {
        std::lock_guard lock(out_mutex);
        out << line << std::flush;
    };
    say(fmt::format("[self-check] environment {}: {} binaries, {} fault switches, seed {}, files in {}\n", environment.name, jobs.size(),
                    faults.size(), seed, work.string()));
    say("[self-check] baseline (no fault) ...\n");
    auto baseline = run_against(ctx, "");
    std::vector<CheckRun> runs;
    if (baseline.green()) {
        say(fmt::format("[self-check] baseline green: {} tests ({} skipped) in {:.1f}s\n", baseline.tests, baseline.skipped, baseline.seconds));
        // A bounded pool of fault runs, each with its own refstack on free ports.
        runs.resize(faults.size());
        std::atomic<std::size_t> next{0}, done{0};
        auto worker = [&] {
            for (std::size_t i = next++; i < faults.size(); i = next++) {
                runs[i] = run_against(ctx, faults[i].id);
                const auto& r = runs[i];
                const std::string verdict = r.stack_error ? "ERROR (refstack did not start)"
                                            : r.failed_ids.empty()
                                                ? "UNCAUGHT"
                                                : "caught by " + join(std::vector<std::string>(r.failed_ids.begin(), r.failed_ids.end()), ", ");
                say(fmt::format("[self-check] {}/{} {}: {} ({:.1f}s)\n", ++done, faults.size(), faults[i].id, verdict, r.seconds));
            }
        };
        const auto threads = std::min<std::size_t>(static_cast<std::size_t>(std::max(1, options.jobs)), faults.size());
        std::vector<std::thread> pool;
        for (std::size_t t = 0; t < threads; ++t) pool.emplace_back(worker);
        for (auto& t : pool) t.join();
    }
    auto result = build_self_check(std::move(baseline), faults, runs);
    result.seconds = std::chrono::duration<double>(clock.now() - check_started).count();
    out << render_self_check_table(result);
    const auto report = std::filesystem::absolute(options.report).lexically_normal();
    write_file_atomically(report, render_self_check_json(result, environment.name, seed));
    out << fmt::format("report: {}\n", report.string());
    const int code = self_check_exit_code(result);
    switch (code) {
        case kSelfCheckPassed: out << fmt::format("[PASSED] every fault switch was caught: {}\n", result.score()); break;
        case kSelfCheckUncaught: out << fmt::format("[FAILED] some fault switches were not caught: {}\n", result.score()); break;
        case kSelfCheckBaselineRed: out << "[FAILED] the baseline without faults is not green\n"; break;
        default: err << "[ERROR] a refstack did not start (see the table)\n"; break;
    }
    return code;
}

}  // namespace e2e::driver
