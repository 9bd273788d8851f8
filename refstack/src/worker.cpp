#include "worker.hpp"

#include <cxxabi.h>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <future>
#include <typeinfo>

#include "e2e/dynamodb.hpp"
#include "e2e/http.hpp"
#include "e2e/s3.hpp"
#include "faults.hpp"
#include "log_sink.hpp"
#include "random_id.hpp"
#include "s3_protocol.hpp"  // format_iso8601

namespace refstack {

struct Worker::Job {
    Invocation invocation;
    std::promise<WorkerResult> result;
};

struct Worker::Clients {
    std::mutex mutex;
    std::unique_ptr<e2e::S3Client> s3;
    std::unique_ptr<e2e::S3Client> s3_presign;
    std::unique_ptr<e2e::DynamoDbClient> dynamodb;
};

namespace {

constexpr std::string_view kRegion = "ap-northeast-1";

std::string upper(std::string_view text) {
    std::string out(text);
    for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
}

bool contains(std::string_view text, std::string_view needle) { return text.find(needle) != std::string_view::npos; }

std::string now_iso() { return format_iso8601(std::chrono::system_clock::now()); }

std::string percent_encode(std::string_view text) {
    std::string out;
    for (const char c : text) {
        const auto u = static_cast<unsigned char>(c);
        if (std::isalnum(u) || c == '-' || c == '_' || c == '.' || c == '~' || c == ':') out += c;
        else out += fmt::format("%{:02X}", u);
    }
    return out;
}

// The exception's class name without namespaces, as Python's RIE reports `errorType`.
std::string error_type(const std::exception& error) {
    const char* mangled = typeid(error).name();
    int status = 0;
    char* demangled = abi::__cxa_demangle(mangled, nullptr, nullptr, &status);
    std::string name = status == 0 && demangled ? demangled : mangled;
    std::free(demangled);  // NOLINT: __cxa_demangle allocates with malloc
    if (const auto colon = name.rfind("::"); colon != std::string::npos) name.erase(0, colon + 2);
    return name;
}

std::string normalised_level(std::string_view level) {
    auto out = upper(level);
    if (out == "WARN") out = "WARNING";
    if (out == "FATAL") out = "CRITICAL";
    return out;
}

// The concrete runtime of one invocation (what the RIE + sitecustomize give a Python function).
class WorkerContext final : public FunctionContext {
public:
    WorkerContext(const FunctionSpec& spec, const std::map<std::string, std::string>& environment,
                  const WorkerRuntime& runtime, Worker::Clients& clients, std::string request_id, std::string trace)
        : spec_(spec),
          environment_(environment),
          runtime_(runtime),
          clients_(clients),
          request_id_(std::move(request_id)),
          trace_(std::move(trace)) {}

    const std::string& function_name() const override { return spec_.name; }
    const std::string& aws_request_id() const override { return request_id_; }
    const std::string& trace_header() const override { return trace_; }

    std::string env(std::string_view name, std::string_view fallback = {}) const override {
        if (name == "_X_AMZN_TRACE_ID") return trace_.empty() ? std::string(fallback) : trace_;
        if (name == "AWS_LAMBDA_REQUEST_ID") return request_id_;
        const auto it = environment_.find(std::string(name));
        // An empty value counts as unset: functions.yml's ${VAR} expands to "" for unset variables.
        return it == environment_.end() || it->second.empty() ? std::string(fallback) : it->second;
    }

    void print(std::string_view line) override {
        while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
        if (line.find_first_not_of(" \t") == std::string_view::npos) return;
        if (const auto json = e2e::Json::try_parse(line); json && json->is_object()) {
            emit(enrich(*json));
            return;
        }
        emit(record({{"_time", now_iso()}, {"level", guess_text_level(line)}, {"message", line}}));
    }

    void log(std::string_view level, std::string_view message, std::string_view logger) override {
        const auto normalised = normalised_level(level);
        if (log_level_rank(normalised) < log_level_rank(normalised_level(env("LOG_LEVEL", "INFO")))) return;
        emit(record({{"_time", now_iso()}, {"level", normalised}, {"message", message}, {"logger", logger}}));
    }

    void put_log_events(std::string_view log_group, std::string_view log_stream,
                        const std::vector<std::pair<std::int64_t, std::string>>& events_ms_message,
                        std::string_view runtime) override {
        const bool java = runtime == "java";
        const auto threshold = log_level_rank(normalised_level(env("LOG_LEVEL", "INFO")));
        for (const auto& [millis, text] : events_ms_message) {
            const auto parsed = cloudwatch_level(text, java ? "java" : "python");
            if (!java && log_level_rank(parsed.level) < threshold) continue;  // Python filters; Java does not
            const auto time = std::chrono::system_clock::time_point(std::chrono::milliseconds(millis));
            auto event = record({{"_time", format_iso8601(time)},
                                 {"level", parsed.level},
                                 {"message", parsed.message},
                                 {"log_group", log_group},
                                 {"log_stream", log_stream},
                                 {"logger", java ? "cloudwatch.logs.java" : "cloudwatch.logs.python"}});
            emit(event);
            if (runtime_.faults.on("logs.cloudwatch_duplicated")) emit(event);
        }
    }

    e2e::S3Client& s3() override {
        std::lock_guard lock(clients_.mutex);
        if (!clients_.s3) clients_.s3 = make_s3(required("S3_ENDPOINT"));
        return *clients_.s3;
    }

    e2e::S3Client& s3_presign() override {
        std::lock_guard lock(clients_.mutex);
        if (!clients_.s3_presign) {
            const auto endpoint = env("S3_PRESIGN_ENDPOINT", env("S3_ENDPOINT"));
            if (endpoint.empty()) throw std::runtime_error(fmt::format("S3_PRESIGN_ENDPOINT is not set for {}", spec_.name));
            clients_.s3_presign = make_s3(endpoint);
        }
        return *clients_.s3_presign;
    }

    e2e::DynamoDbClient& dynamodb() override {
        std::lock_guard lock(clients_.mutex);
        if (!clients_.dynamodb) {
            clients_.dynamodb = std::make_unique<e2e::DynamoDbClient>(
                e2e::DynamoDbConfig{required("DYNAMODB_ENDPOINT"), env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY"),
                                    env("AWS_REGION", kRegion)},
                runtime_.http);
        }
        return *clients_.dynamodb;
    }

    ChildInvocation invoke(std::string_view function_name, std::string_view payload, bool event) override {
        auto base = required("GATEWAY_INTERNAL_URL");
        while (!base.empty() && base.back() == '/') base.pop_back();
        e2e::HttpRequest request{.method = "POST",
                                 .url = fmt::format("{}/2015-03-31/functions/{}/invocations", base, percent_encode(function_name)),
                                 .headers = {{"Content-Type", "application/json"},
                                             {"X-Amz-Invocation-Type", event ? "Event" : "RequestResponse"}},
                                 .body = std::string(payload)};
        if (!trace_.empty() && !runtime_.faults.on("trace.not_propagated")) {
            request.headers.emplace_back("X-Amzn-Trace-Id", trace_);
        }
        const auto response = runtime_.http.send(request, runtime_.child_invoke_timeout);
        return {response.status, response.body, response.header("X-Amz-Function-Error").has_value()};
    }

    const FaultSwitches& faults() const override { return runtime_.faults; }

private:
    std::string required(std::string_view name) const {
        auto value = env(name);
        if (value.empty()) throw std::runtime_error(fmt::format("{} is not set for {}", name, spec_.name));
        return value;
    }

    std::unique_ptr<e2e::S3Client> make_s3(const std::string& endpoint) const {
        return std::make_unique<e2e::S3Client>(endpoint, env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY"),
                                               env("AWS_REGION", kRegion), runtime_.http);
    }

    bool java() const { return spec_.runtime.starts_with("java"); }

    // A record of this worker: `fields` then container_name, job, trace_id, aws_request_id.
    e2e::Json record(std::vector<e2e::JsonMember> fields) const {
        fields.emplace_back("container_name", spec_.name);
        fields.emplace_back("job", "lambda");
        if (!trace_.empty()) fields.emplace_back("trace_id", trace_);
        fields.emplace_back("aws_request_id", request_id_);
        return e2e::Json::object(fields);
    }

    // A JSON line of the function: its own fields win; the runtime's are added only when absent.
    e2e::Json enrich(const e2e::Json& line) const {
        std::vector<e2e::JsonMember> fields;
        bool has_time = line.has(R"(["_time"])");
        bool has_trace = false;
        for (auto& [key, value] : line.members()) {
            if (key == "timestamp" && !has_time) {
                fields.emplace_back("_time", value);
                has_time = true;
                continue;
            }
            if (key == "trace_id") {
                // The Java agent replaces a placeholder trace id by the real one.
                const bool placeholder = java() && !trace_.empty() &&
                                         (!value.is_string() || value.str() == "not-found" ||
                                          value.str().find_first_not_of(" \t") == std::string::npos);
                fields.emplace_back(key, placeholder ? e2e::Json::of(trace_) : value);
                has_trace = true;
                continue;
            }
            fields.emplace_back(key, value);
        }
        const auto absent = [&](std::string_view key) {
            return std::none_of(fields.begin(), fields.end(), [&](const e2e::JsonMember& member) { return member.first == key; });
        };
        if (!has_time) fields.emplace_back("_time", now_iso());
        if (absent("container_name")) fields.emplace_back("container_name", spec_.name);
        if (absent("job")) fields.emplace_back("job", "lambda");
        if (!has_trace && !trace_.empty()) fields.emplace_back("trace_id", trace_);
        if (absent("aws_request_id")) fields.emplace_back("aws_request_id", request_id_);
        return e2e::Json::object(fields);
    }

    void emit(const e2e::Json& record) {
        if (runtime_.faults.on("logs.drop_function_records")) return;
        runtime_.logs.emit(record);
    }

    const FunctionSpec& spec_;
    const std::map<std::string, std::string>& environment_;
    const WorkerRuntime& runtime_;
    Worker::Clients& clients_;
    std::string request_id_;
    std::string trace_;
};

}  // namespace

// --- level rules ---

std::string guess_text_level(std::string_view line) {
    const auto text = upper(line);
    if (contains(text, "DEBUG") || contains(text, "TRACE")) return "DEBUG";
    if (contains(text, "WARN")) return "WARNING";
    if (contains(text, "ERROR") || contains(text, "CRIT")) return "ERROR";
    return "INFO";
}

CloudWatchLevel cloudwatch_level(std::string_view message, std::string_view runtime) {
    const auto strip_prefix = [](std::string_view text, std::size_t length) {
        text.remove_prefix(length);
        while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
        return std::string(text);
    };
    if (runtime == "java") {
        std::string level = "INFO";
        if (message.starts_with("[DEBUG]") || contains(message, " TRACE")) level = "DEBUG";
        else if (contains(message, "WARN")) level = "WARNING";
        else if (contains(message, "ERROR") || contains(message, "CRIT")) level = "ERROR";
        // Any leading "[WORD]" tag is stripped.
        if (message.starts_with('[')) {
            const auto close = message.find(']');
            const auto tag = close == std::string_view::npos ? std::string_view{} : message.substr(1, close - 1);
            if (!tag.empty() && std::all_of(tag.begin(), tag.end(), [](char c) { return std::isupper(static_cast<unsigned char>(c)); })) {
                return {level, strip_prefix(message, close + 1)};
            }
        }
        return {level, std::string(message)};
    }
    for (const std::string_view level : {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}) {
        const auto prefix = fmt::format("[{}]", level);
        if (message.starts_with(prefix)) return {std::string(level), strip_prefix(message, prefix.size())};
    }
    return {"INFO", std::string(message)};
}

int log_level_rank(std::string_view level) {
    if (level == "DEBUG") return 10;
    if (level == "WARNING") return 30;
    if (level == "ERROR") return 40;
    if (level == "CRITICAL") return 50;
    return 20;
}

std::map<std::string, std::string> worker_environment(const FunctionSpec& spec,
                                                      const std::map<std::string, std::string>& injected) {
    auto environment = spec.environment;
    for (const auto& [name, value] : injected) {
        if (const auto it = environment.find(name); it == environment.end() || it->second.empty()) environment[name] = value;
    }
    environment["AWS_LAMBDA_FUNCTION_NAME"] = spec.name;
    environment["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] = std::to_string(spec.memory_size_mb);
    environment["AWS_LAMBDA_FUNCTION_VERSION"] = "$LATEST";
    environment["AWS_LAMBDA_LOG_GROUP_NAME"] = "/aws/lambda/" + spec.name;
    for (const char* name : {"AWS_REGION", "AWS_DEFAULT_REGION"}) {
        if (environment[name].empty()) environment[name] = std::string(kRegion);
    }
    return environment;
}

// --- the worker ---

Worker::Worker(FunctionSpec spec, FunctionHandler handler, std::string container_id,
               std::map<std::string, std::string> environment, WorkerRuntime runtime)
    : spec_(std::move(spec)),
      handler_(std::move(handler)),
      container_id_(std::move(container_id)),
      environment_(std::move(environment)),
      runtime_(runtime),
      clients_(std::make_unique<Clients>()) {
    thread_ = std::thread([this] { loop(); });
}

Worker::~Worker() {
    stop();
    if (thread_.joinable()) thread_.join();
}

void Worker::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
}

WorkerResult Worker::run(const Invocation& invocation, std::chrono::milliseconds timeout) {
    auto job = std::make_shared<Job>();
    job->invocation = invocation;
    auto result = job->result.get_future();
    {
        std::lock_guard lock(mutex_);
        if (stopping_) {
            return {WorkerResult::Kind::connection_error, {},
                    fmt::format("Connection refused: worker {} of {} is not running", container_id_, spec_.name), {}};
        }
        jobs_.push_back(std::move(job));
    }
    wake_.notify_all();
    if (result.wait_for(timeout) != std::future_status::ready) {
        return {WorkerResult::Kind::timeout, {},
                fmt::format("Read timed out: {} did not answer within {:.1f}s", spec_.name,
                            std::chrono::duration<double>(timeout).count()),
                {}};
    }
    return result.get();
}

void Worker::loop() {
    for (;;) {
        std::shared_ptr<Job> job;
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
            if (jobs_.empty()) return;  // stopping with nothing queued
            job = std::move(jobs_.front());
            jobs_.pop_front();
        }
        execute(*job);
    }
}

void Worker::execute(Job& job) {
    busy_ = true;
    WorkerResult result;
    result.request_id = make_uuid4();
    bool crashed = false;
    const auto error_document = [&](std::string_view message, std::string_view type) {
        result.kind = WorkerResult::Kind::function_error;
        result.message = std::string(message);
        result.payload = e2e::Json::object({{"errorMessage", message}, {"errorType", type}}).dump();
    };
    {
        WorkerContext context(spec_, environment_, runtime_, *clients_, result.request_id, job.invocation.trace_header);
        try {
            result.payload = handler_(job.invocation.payload, context);
            result.kind = WorkerResult::Kind::ok;
        } catch (const RuntimeCrash&) {
            crashed = true;
            error_document(fmt::format("RequestId: {} Error: Runtime exited with error: exit status 1", result.request_id),
                           "Runtime.ExitError");
        } catch (const std::exception& error) {
            error_document(error.what(), error_type(error));
        } catch (...) {
            error_document("unknown exception", "Unknown");
        }
    }
    if (crashed) {
        // The runtime process is gone: the next invocation starts a fresh one (new clients).
        clients_ = std::make_unique<Clients>();
        ++restarts_;
    }
    ++invocations_;
    busy_ = false;
    job.result.set_value(std::move(result));
}

}  // namespace refstack
