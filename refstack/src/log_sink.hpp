// Where log records go. Every component (gateway, workers, agent) produces VictoriaLogs records:
// JSON objects with at least _time, level, message, container_name, job (contract 1.10). The
// production sink ships them over HTTP to the logs service (`/insert/jsonline`); tests use a
// collecting sink.
#pragma once

#include <mutex>
#include <vector>

#include "e2e/json.hpp"

namespace refstack {

class LogSink {
public:
    virtual ~LogSink() = default;
    // Never blocks on the network and never throws: shipping is fire-and-forget, as in ESB.
    virtual void emit(const e2e::Json& record) = 0;
};

// Keeps records in memory (tests).
class CollectingLogSink : public LogSink {
public:
    void emit(const e2e::Json& record) override {
        std::lock_guard lock(mutex_);
        records_.push_back(record);
    }
    std::vector<e2e::Json> records() const {
        std::lock_guard lock(mutex_);
        return records_;
    }

private:
    mutable std::mutex mutex_;
    std::vector<e2e::Json> records_;
};

// Drops everything (components with logging disabled).
class NullLogSink : public LogSink {
public:
    void emit(const e2e::Json&) override {}
};

}  // namespace refstack
