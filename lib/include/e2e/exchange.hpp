// A recorded HTTP exchange, redacted for printing, and its curl reproduction.
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace e2e {

struct Exchange {
    std::string method;
    std::string url;
    std::vector<std::pair<std::string, std::string>> request_headers;
    std::string request_body;
    std::optional<int> status;  // empty when the request failed
    std::vector<std::pair<std::string, std::string>> response_headers;
    std::string response_body;
    std::chrono::microseconds duration{0};
    std::string error;  // transport error text when status is empty
};

inline constexpr std::string_view kRedacted = "***";

// True for header, JSON field and query parameter names that carry secrets (case-insensitive):
// any name containing authorization, password, passwd, secret, token, key, credential, signature or
// cookie, and names with a word "pass" or "pwd" (AUTH_PASS, db-pwd).
bool is_secret_name(std::string_view name);

// The URL with secret query parameter values and any userinfo password replaced by "***"
// (presigned URLs carry X-Amz-Signature / X-Amz-Credential / X-Amz-Security-Token).
std::string redact_url(std::string_view url);

// Replaces secret header values, secret JSON field values (at any depth, when the body is JSON,
// also inside JSON held in a string field), secret form fields (x-www-form-urlencoded bodies) and
// secret query-string parameter values with "***".
Exchange redact(Exchange exchange);

// Masks secret fields of a JSON text; returns the text unchanged when it is not JSON.
std::string redact_json_text(std::string_view body);

// A copy-pasteable curl command (single-quoted, -k for https) for a redacted exchange.
std::string to_curl(const Exchange& exchange);

// Multi-line human-readable rendering: request line, headers, body (trimmed to max_body chars),
// status, response headers and body. Call on a redacted exchange.
std::string describe(const Exchange& exchange, std::size_t max_body = 2000);

// Thread-safe bounded log of exchanges; stores them already redacted.
class ExchangeLog {
public:
    explicit ExchangeLog(std::size_t capacity = 50) : capacity_(capacity) {}
    void add(Exchange exchange);
    std::vector<Exchange> snapshot() const;
    void clear();

private:
    mutable std::mutex mutex_;
    std::size_t capacity_;
    std::vector<Exchange> entries_;
};

}  // namespace e2e
