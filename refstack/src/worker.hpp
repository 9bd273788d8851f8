// A worker is one "container" of a function: a thread that runs one invocation at a time with a
// fresh WorkerContext (the function's runtime: request id, trace, environment, logging to
// VictoriaLogs records per contract 1.10, AWS clients, chained invokes). A RuntimeCrash from the
// handler becomes a function error and the runtime re-initialises (a restart) before the next
// invocation, as the Lambda RIE does; any other exception becomes {"errorMessage","errorType"}.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "function_config.hpp"
#include "function_runtime.hpp"
#include "invoker.hpp"

namespace e2e {
class HttpClient;
}

namespace refstack {

class LogSink;

// What every worker of one gateway shares. Not owned; must outlive the workers.
struct WorkerRuntime {
    LogSink& logs;
    const FaultSwitches& faults;
    e2e::HttpClient& http;  // AWS clients and chained invokes (TLS verification off)
    std::chrono::milliseconds child_invoke_timeout{35'000};
};

struct WorkerResult {
    enum class Kind { ok, function_error, timeout, connection_error };
    Kind kind = Kind::ok;
    std::string payload;     // the function's return value, or the RIE-style error document
    std::string message;     // for errors: what happened, in one line
    std::string request_id;  // the invocation's aws_request_id
};

class Worker {
public:
    // `environment`: the function's complete environment (see worker_environment()).
    Worker(FunctionSpec spec, FunctionHandler handler, std::string container_id,
           std::map<std::string, std::string> environment, WorkerRuntime runtime);
    ~Worker();  // stop() and join: waits for a running invocation to end
    Worker(const Worker&) = delete;
    Worker& operator=(const Worker&) = delete;

    // Runs `invocation` on the worker's thread and waits up to `timeout`. On timeout the handler
    // keeps running (a thread cannot be killed): the caller must retire this worker.
    WorkerResult run(const Invocation& invocation, std::chrono::milliseconds timeout);

    // Lets a running invocation finish, then ends the thread; later run() calls fail with
    // connection_error.
    void stop();

    const std::string& container_id() const { return container_id_; }
    const std::string& function_name() const { return spec_.name; }
    int restarts() const { return restarts_.load(); }       // runtime re-initialisations after crashes
    int invocations() const { return invocations_.load(); }  // completed invocations
    bool busy() const { return busy_.load(); }

    struct Clients;  // lazily built AWS clients of this "container" (worker.cpp)

private:
    struct Job;
    void loop();
    void execute(Job& job);

    FunctionSpec spec_;
    FunctionHandler handler_;
    std::string container_id_;
    std::map<std::string, std::string> environment_;
    WorkerRuntime runtime_;
    std::unique_ptr<Clients> clients_;

    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<std::shared_ptr<Job>> jobs_;
    bool stopping_ = false;
    std::atomic<int> restarts_{0};
    std::atomic<int> invocations_{0};
    std::atomic<bool> busy_{false};
    std::thread thread_;
};

// The environment a worker of `spec` sees: the function's own (functions.yml defaults + its
// entries), then `injected` for names still missing (what the gateway adds: endpoints, URLs), then
// the Lambda runtime's AWS_LAMBDA_FUNCTION_NAME/_MEMORY_SIZE/_VERSION, AWS_LAMBDA_LOG_GROUP_NAME,
// AWS_REGION and AWS_DEFAULT_REGION (ap-northeast-1 when unset).
std::map<std::string, std::string> worker_environment(const FunctionSpec& spec,
                                                      const std::map<std::string, std::string>& injected);

// --- the log record rules of contract 1.10, exposed for tests and for other producers ---

// The level a plain text line is given: DEBUG/TRACE -> DEBUG, WARN -> WARNING, ERROR/CRIT -> ERROR,
// else INFO (case-insensitive, checked in that order).
std::string guess_text_level(std::string_view line);

// A CloudWatch event message's level and text after the runtime's prefix rules ("python" or "java").
struct CloudWatchLevel {
    std::string level;
    std::string message;
};
CloudWatchLevel cloudwatch_level(std::string_view message, std::string_view runtime);

// Python logging order: DEBUG < INFO < WARNING < ERROR < CRITICAL; unknown names rank as INFO.
int log_level_rank(std::string_view level);

}  // namespace refstack
