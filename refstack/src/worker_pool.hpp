// A function's worker pool (contract 1.15): created lazily by the invoker on the function's first
// invocation. acquire() reuses the oldest idle worker (FIFO), else provisions one through the agent
// while total + provisioning < max_capacity, else waits up to acquire_timeout for a release, else
// fails with NoWorkerError. prune_idle() (the janitor) removes idle workers unused for longer than
// the idle timeout and deletes their containers; min_capacity is reported only. Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "e2e/json.hpp"
#include "function_config.hpp"

namespace refstack {

class AgentClient;
class FaultSwitches;
class Worker;
struct ContainerInfo;

// No worker could be acquired; what() is the cause (the gateway answers 503
// "Failed to start container <fn>: <cause>").
class NoWorkerError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// One /metrics/pools entry (contract 1.9).
struct PoolSnapshot {
    std::string function_name;
    int total_workers = 0;  // idle + busy
    int idle = 0;
    int busy = 0;
    int provisioning = 0;
    int max_capacity = 0;
    int min_capacity = 0;
    double acquire_timeout = 0;

    e2e::Json to_json() const;
};

class WorkerPool {
public:
    using Clock = std::function<std::chrono::steady_clock::time_point()>;
    // Builds the worker for a freshly created container; may throw (provisioning failure).
    using WorkerFactory = std::function<std::shared_ptr<Worker>(const ContainerInfo&)>;

    // `faults` enables pool.exceeds_max_capacity and pool.never_prune_idle. `clock` stamps
    // last-used times for pruning (waiting for a release always uses real time).
    WorkerPool(std::string function_name, ScalingSpec scaling, AgentClient& agent, WorkerFactory factory,
               const FaultSwitches& faults, Clock clock = {});
    ~WorkerPool();  // stops every worker (containers are left to the next gateway start, as in ESB)
    WorkerPool(const WorkerPool&) = delete;
    WorkerPool& operator=(const WorkerPool&) = delete;

    // Throws NoWorkerError naming the cause (provisioning failure or acquire timeout).
    std::shared_ptr<Worker> acquire();
    // Returns a busy worker to the idle queue and stamps its last use.
    void release(const std::shared_ptr<Worker>& worker);
    // Forgets a busy worker that cannot be reused (timed out, unreachable) and deletes its container.
    void discard(const std::shared_ptr<Worker>& worker);
    // Removes idle workers unused for more than `idle_timeout`, deletes their containers and
    // returns them (stopped; the caller drops them). Agent errors are ignored.
    std::vector<std::shared_ptr<Worker>> prune_idle(std::chrono::duration<double> idle_timeout);

    bool owns_container(const std::string& id) const;
    std::vector<std::shared_ptr<Worker>> workers() const;  // idle and busy
    PoolSnapshot snapshot() const;
    const std::string& function_name() const { return function_name_; }

private:
    struct Idle {
        std::shared_ptr<Worker> worker;
        std::chrono::steady_clock::time_point last_used;
    };
    std::chrono::steady_clock::time_point now() const;
    void delete_container(const std::string& id) noexcept;

    std::string function_name_;
    ScalingSpec scaling_;
    AgentClient& agent_;
    WorkerFactory factory_;
    const FaultSwitches& faults_;
    Clock clock_;

    mutable std::mutex mutex_;
    std::condition_variable released_;
    std::deque<Idle> idle_;
    std::vector<std::shared_ptr<Worker>> busy_;
    int provisioning_ = 0;
};

}  // namespace refstack
