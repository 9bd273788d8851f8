#include "worker_pool.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "agent_client.hpp"
#include "faults.hpp"
#include "worker.hpp"

namespace refstack {

e2e::Json PoolSnapshot::to_json() const {
    return e2e::Json::object({{"function_name", function_name},
                              {"total_workers", total_workers},
                              {"idle", idle},
                              {"busy", busy},
                              {"provisioning", provisioning},
                              {"max_capacity", max_capacity},
                              {"min_capacity", min_capacity},
                              {"acquire_timeout", acquire_timeout}});
}

WorkerPool::WorkerPool(std::string function_name, ScalingSpec scaling, AgentClient& agent, WorkerFactory factory,
                       const FaultSwitches& faults, Clock clock)
    : function_name_(std::move(function_name)),
      scaling_(scaling),
      agent_(agent),
      factory_(std::move(factory)),
      faults_(faults),
      clock_(std::move(clock)) {}

WorkerPool::~WorkerPool() {
    std::vector<std::shared_ptr<Worker>> all;
    {
        std::lock_guard lock(mutex_);
        for (auto& entry : idle_) all.push_back(std::move(entry.worker));
        idle_.clear();
        all.insert(all.end(), busy_.begin(), busy_.end());
        busy_.clear();
    }
    for (auto& worker : all) worker->stop();
}

std::chrono::steady_clock::time_point WorkerPool::now() const {
    return clock_ ? clock_() : std::chrono::steady_clock::now();
}

void WorkerPool::delete_container(const std::string& id) noexcept {
    try {
        agent_.delete_container(id);
    } catch (const std::exception&) {
        // The orphan sweep deletes it later (or the next gateway start does).
    }
}

std::shared_ptr<Worker> WorkerPool::acquire() {
    const auto timeout = std::chrono::duration<double>(scaling_.acquire_timeout_seconds);
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::duration_cast<std::chrono::steady_clock::duration>(timeout);
    std::unique_lock lock(mutex_);
    for (;;) {
        if (!idle_.empty()) {
            auto worker = std::move(idle_.front().worker);
            idle_.pop_front();
            busy_.push_back(worker);
            return worker;
        }
        const int total = static_cast<int>(busy_.size()) + provisioning_;  // no idle worker here
        if (total < scaling_.max_capacity || faults_.on("pool.exceeds_max_capacity")) break;
        if (std::chrono::steady_clock::now() >= deadline) {
            throw NoWorkerError(fmt::format("Pool acquire timeout after {:.1f}s (max_capacity {} reached)",
                                            timeout.count(), scaling_.max_capacity));
        }
        released_.wait_until(lock, deadline);
    }
    ++provisioning_;
    lock.unlock();
    std::shared_ptr<Worker> worker;
    std::string failure;
    std::string created_id;
    try {
        const auto container = agent_.create_container(function_name_);
        created_id = container.id;
        worker = factory_(container);
        if (!worker) failure = "no worker was built for the container";
    } catch (const std::exception& error) {
        failure = error.what();
    }
    if (!worker && !created_id.empty()) delete_container(created_id);
    lock.lock();
    --provisioning_;
    if (!worker) {
        lock.unlock();
        released_.notify_one();  // a waiter may provision in our place
        throw NoWorkerError(failure);
    }
    busy_.push_back(worker);
    return worker;
}

void WorkerPool::release(const std::shared_ptr<Worker>& worker) {
    {
        std::lock_guard lock(mutex_);
        const auto it = std::find(busy_.begin(), busy_.end(), worker);
        if (it == busy_.end()) return;
        busy_.erase(it);
        idle_.push_back({worker, now()});
    }
    released_.notify_one();
}

void WorkerPool::discard(const std::shared_ptr<Worker>& worker) {
    {
        std::lock_guard lock(mutex_);
        const auto it = std::find(busy_.begin(), busy_.end(), worker);
        if (it == busy_.end()) return;
        busy_.erase(it);
    }
    released_.notify_one();  // capacity freed: a waiter may provision
    worker->stop();
    delete_container(worker->container_id());
}

std::vector<std::shared_ptr<Worker>> WorkerPool::prune_idle(std::chrono::duration<double> idle_timeout) {
    if (faults_.on("pool.never_prune_idle")) return {};
    std::vector<std::shared_ptr<Worker>> pruned;
    {
        std::lock_guard lock(mutex_);
        const auto at = now();
        for (auto it = idle_.begin(); it != idle_.end();) {
            if (at - it->last_used > idle_timeout) {
                pruned.push_back(std::move(it->worker));
                it = idle_.erase(it);
            } else {
                ++it;
            }
        }
    }
    for (const auto& worker : pruned) {
        worker->stop();
        delete_container(worker->container_id());
    }
    return pruned;
}

bool WorkerPool::owns_container(const std::string& id) const {
    std::lock_guard lock(mutex_);
    const auto matches = [&](const std::shared_ptr<Worker>& worker) { return worker->container_id() == id; };
    return std::any_of(busy_.begin(), busy_.end(), matches) ||
           std::any_of(idle_.begin(), idle_.end(), [&](const Idle& entry) { return matches(entry.worker); });
}

std::vector<std::shared_ptr<Worker>> WorkerPool::workers() const {
    std::lock_guard lock(mutex_);
    std::vector<std::shared_ptr<Worker>> out(busy_.begin(), busy_.end());
    for (const auto& entry : idle_) out.push_back(entry.worker);
    return out;
}

PoolSnapshot WorkerPool::snapshot() const {
    std::lock_guard lock(mutex_);
    PoolSnapshot snapshot;
    snapshot.function_name = function_name_;
    snapshot.idle = static_cast<int>(idle_.size());
    snapshot.busy = static_cast<int>(busy_.size());
    snapshot.total_workers = snapshot.idle + snapshot.busy;
    snapshot.provisioning = provisioning_;
    snapshot.max_capacity = scaling_.max_capacity;
    snapshot.min_capacity = scaling_.min_capacity;
    snapshot.acquire_timeout = scaling_.acquire_timeout_seconds;
    return snapshot;
}

}  // namespace refstack
