// What a scenario sees: lazy process-wide fixtures (settings, gateway, token, logs, runtime), a
// polling helper with a deadline, the runtime-dependent ID tag and the smoke helpers of contract
// section 5.1. Every HTTP exchange made through these fixtures is recorded (redacted) for the
// current test case; the failure listener (failure_listener.cpp) attaches it to failures.
//
// Boost-free and RapidJSON-free, like every public header of the library.
#pragma once
#include <chrono>
#include <concepts>
#include <functional>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <utility>

#include "e2e/dynamodb.hpp"
#include "e2e/exchange.hpp"
#include "e2e/http.hpp"
#include "e2e/json.hpp"
#include "e2e/s3.hpp"
#include "e2e/settings.hpp"
#include "e2e/victorialogs.hpp"

namespace e2e {

// ---- configuration ----------------------------------------------------------------------------

// Built-in defaults of contract section 4.1 (the lowest layer).
std::map<std::string, std::string, std::less<>> scenario_defaults();

// Builds and validates the suite's settings: scenario_defaults() < the file named by E2E_ENV_FILE
// (when set) < `environment` (the process environment when empty). Derived defaults are filled in
// (GATEWAY_URL from GATEWAY_PORT, VICTORIALOGS_URL, AGENT_METRICS_URL,
// GATEWAY_IDLE_TIMEOUT_SECONDS from IDLE_TIMEOUT_MINUTES). Throws SettingsError naming every
// missing required variable (X_API_KEY, AUTH_USER, AUTH_PASS) at once, or the bad URL.
Settings load_scenario_settings(std::optional<std::map<std::string, std::string, std::less<>>> environment = std::nullopt);

// The process-wide settings, loaded and validated on first use. A configuration error is kept and
// rethrown on every call, so every test case fails with the same message naming the variables.
const Settings& settings();

// ---- recording --------------------------------------------------------------------------------

// The exchanges of the current test case (cleared by the listener when a test case starts).
ExchangeLog& current_exchanges();

// Renders the recorded exchanges for a failure: each one described (already redacted) and a curl
// line for the last one. Empty when nothing was recorded. At most `max_exchanges`, newest last.
std::string describe_recorded_exchanges(std::size_t max_exchanges = 5);

// ---- gateway ----------------------------------------------------------------------------------

// Contract H1: one request to GATEWAY_URL + path, JSON body when given, `Authorization: Bearer`
// only with a token, TLS verification per VERIFY_SSL, 30 s timeout, no retry; a transport error
// throws e2e::HttpError (the test fails with its message). Keep-alive connections are reused.
class Gateway {
public:
    explicit Gateway(const Settings& settings);

    HttpResponse get(std::string_view path, std::optional<std::string> token = std::nullopt, Headers headers = {});
    HttpResponse post(std::string_view path, const Json& body, std::optional<std::string> token = std::nullopt,
                      Headers headers = {});
    HttpResponse post(std::string_view path, std::initializer_list<JsonMember> members,
                      std::optional<std::string> token = std::nullopt, Headers headers = {});
    // Any method; no body when `body` is empty.
    HttpResponse send(std::string method, std::string_view path, std::optional<Json> body = std::nullopt,
                      std::optional<std::string> token = std::nullopt, Headers headers = {});

    std::string url(std::string_view path) const;  // GATEWAY_URL + path
    HttpClient& http() noexcept { return http_; }

private:
    std::string base_url_;  // without a trailing '/'
    HttpClient http_;
};

Gateway& gateway();

// Contract H5: POST AUTH_ENDPOINT_PATH with x-api-key and AUTH_USER/AUTH_PASS, once per process;
// REQUIREs 200 ("Auth failed: <body>", redacted) and returns AuthenticationResult.IdToken.
// A failed attempt is not cached: the next caller tries again.
const std::string& token();

// VictoriaLogs on VICTORIALOGS_URL (recorded like the gateway).
VictoriaLogsClient& logs();

// The stack's data stores, for verifying side effects at the source: S3 on
// http://127.0.0.1:$PORT_S3 and DynamoDB on http://127.0.0.1:$PORT_DATABASE, both signed with
// RUSTFS_ACCESS_KEY / RUSTFS_SECRET_KEY (required on first use).
S3Client& s3();
DynamoDbClient& dynamodb();

// A plain HTTP client that records into current_exchanges() (health checks of other services).
HttpClient& aux_http();

// ---- runtime ----------------------------------------------------------------------------------

// The runtime a binary targets, from its compile definition E2E_RUNTIME ("python", "java", ...;
// "platform" for the runtime-agnostic binary).
class Runtime {
public:
    explicit Runtime(std::string id) : id_(std::move(id)) {}
    const std::string& id() const noexcept { return id_; }
    bool is_platform() const noexcept { return id_ == "platform"; }
    // "/api/connectivity/<id>"; throws std::logic_error for the platform binary.
    std::string connectivity_path() const;
    // "<suffix>-<id>": tag("smoke") == "smoke-python".
    std::string tag(std::string_view suffix) const;

private:
    std::string id_;
};

#if defined(E2E_RUNTIME)
// Defined per binary (every source of a scenario binary is compiled with the same E2E_RUNTIME).
inline const Runtime& runtime() {
    static const Runtime instance(E2E_RUNTIME);
    return instance;
}
#endif

// ---- waiting ----------------------------------------------------------------------------------

using Deadline = std::chrono::steady_clock::time_point;
inline Deadline deadline_in(std::chrono::milliseconds budget) { return std::chrono::steady_clock::now() + budget; }

// What a wait ended with: the value (when the condition held), what the last attempt saw, how
// many attempts and how long.
template <typename T>
struct Eventually {
    std::optional<T> value;
    std::string last_seen;
    int attempts = 0;
    std::chrono::milliseconds waited{0};

    bool ok() const noexcept { return value.has_value(); }
    explicit operator bool() const noexcept { return ok(); }
    std::string describe() const {
        return (ok() ? "condition held after " : "condition never held in ") + std::to_string(waited.count()) +
               " ms (" + std::to_string(attempts) + " attempts); last seen: " +
               (last_seen.empty() ? std::string("nothing") : last_seen);
    }
};

struct EventuallyOptions {
    std::chrono::milliseconds interval{250};
};

namespace detail {
template <typename R>
struct EventuallyValue {
    using type = typename R::value_type;  // std::optional<T> -> T
};
template <>
struct EventuallyValue<bool> {
    using type = bool;
};
}  // namespace detail

// Polls `fn` until it returns a value or the deadline passes; at least one attempt is made. `fn`
// returns std::optional<T> (or bool) and may take a `std::string&` to report what it saw. An
// exception thrown by `fn` counts as a miss and its message becomes the last seen description.
//   auto hit = e2e::eventually(deadline, [&](std::string& seen) -> std::optional<Json> { ... });
//   REQUIRE_MESSAGE... CHECK(hit); INFO(hit.describe());
template <typename Fn>
auto eventually(Deadline deadline, Fn&& fn, EventuallyOptions options = {}) {
    constexpr bool takes_seen = std::is_invocable_v<Fn&, std::string&>;
    using Raw = std::conditional_t<takes_seen, std::invoke_result<Fn&, std::string&>, std::invoke_result<Fn&>>;
    using Result = std::remove_cvref_t<typename Raw::type>;
    constexpr bool is_bool = std::is_same_v<Result, bool>;
    using Value = typename detail::EventuallyValue<Result>::type;

    const auto started = std::chrono::steady_clock::now();
    Eventually<Value> outcome;
    for (;;) {
        ++outcome.attempts;
        std::string seen;
        try {
            Result result = [&] {
                if constexpr (takes_seen) {
                    return fn(seen);
                } else {
                    return fn();
                }
            }();
            if constexpr (is_bool) {
                if (result) outcome.value = true;
                if (seen.empty()) seen = result ? "true" : "false";
            } else {
                if (result) outcome.value = std::move(*result);
                if (seen.empty()) seen = result ? "a value" : "no value";
            }
        } catch (const std::exception& error) {
            seen = std::string("exception: ") + error.what();
        }
        outcome.last_seen = std::move(seen);
        const auto now = std::chrono::steady_clock::now();
        outcome.waited = std::chrono::duration_cast<std::chrono::milliseconds>(now - started);
        if (outcome.ok() || now >= deadline) return outcome;
        std::this_thread::sleep_until(std::min(deadline, now + options.interval));
    }
}

// ---- smoke helpers (contract 5.1) ---------------------------------------------------------------

// status 200, `success` is JSON true, `action` equals the expected string. Checks with CHECK after
// REQUIRE-ing the status and a JSON body, so one failure shows every mismatch.
// `digits` random lower-case hex digits, for unique keys and markers.
std::string random_hex(std::size_t digits);
// A fresh X-Ray trace root `1-<8 hex epoch seconds>-<24 random hex>` (contract 3).
std::string new_trace_root();

void assert_success(const HttpResponse& response, std::string_view action);

// A string child must parse as JSON; an object with a string `body` must have a JSON body with
// `success` true; else an object must itself have `success` true; any other type fails.
void assert_child_success(const Json& child);

}  // namespace e2e

// ---- tags -------------------------------------------------------------------------------------
// E2E_RUNTIME_TAG is "[python]" in e2e-python; E2E_ID(python_id, java_id, ...) is the ID tag of the
// binary's runtime, picked by E2E_RUNTIME_SLOT (python 0, java 1; set by e2e_add_runtime_binary).
#define E2E_INTERNAL_CAT2(a, b) a##b
#define E2E_INTERNAL_CAT(a, b) E2E_INTERNAL_CAT2(a, b)
#define E2E_INTERNAL_PICK_0(a, ...) a
#define E2E_INTERNAL_PICK_1(a, b, ...) b
#define E2E_INTERNAL_PICK_2(a, b, c, ...) c
#define E2E_INTERNAL_PICK_3(a, b, c, d, ...) d
#if defined(E2E_RUNTIME)
#define E2E_RUNTIME_TAG "[" E2E_RUNTIME "]"
#endif
#if defined(E2E_RUNTIME_SLOT)
#define E2E_ID(...) "[" E2E_INTERNAL_CAT(E2E_INTERNAL_PICK_, E2E_RUNTIME_SLOT)(__VA_ARGS__, "", "", "") "]"
#endif
