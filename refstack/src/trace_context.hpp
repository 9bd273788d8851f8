// X-Ray trace headers as the gateway handles them (contract section 3), the X-Amz-Client-Context
// that carries the trace into a worker.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace refstack {

struct TraceContext {
    std::string root;       // "1-<8 hex>-<24 hex>"; empty when the header had no usable root
    std::string parent;     // empty when absent
    std::string sampled = "1";

    // Canonical form: Root=<root>[;Parent=<parent>];Sampled=<sampled>
    std::string header() const;
};

// ESB's parser: split on ';', each k=v trimmed (Root, Parent, Sampled; other keys ignored; Sampled
// defaults to "1"). A header without any '=' but with a '-' is a bare root. Never fails: a header
// without a usable root gives an empty root.
TraceContext parse_trace_header(std::string_view header);

// Root=1-<8 hex of now's epoch seconds>-<24 random hex>;Sampled=1
TraceContext generate_trace(std::chrono::system_clock::time_point now);

// The trace of an incoming request: the parsed header when one was sent and is non-empty,
// otherwise a generated one.
TraceContext trace_for_request(const std::optional<std::string>& header, std::chrono::system_clock::time_point now);

// base64 of {"custom":{"trace_id":"<trace header>"}}: what the gateway sends as X-Amz-Client-Context.
std::string client_context_for_trace(std::string_view trace_header);

// The trace a worker restores from X-Amz-Client-Context: custom.trace_id, else
// custom._X_AMZN_TRACE_ID; nullopt when the context is not base64 JSON or carries neither string.
std::optional<std::string> trace_from_client_context(std::string_view client_context);

}  // namespace refstack
