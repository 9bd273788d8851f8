// Layered configuration: built-in defaults < .env file(s) (in order) < process environment.
// Read once, typed, and every error names the variable, its bad value and where it came from.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace e2e {

class SettingsError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// A URL split for the suite's needs (scheme http or https, host, port, path with query).
struct Url {
    std::string scheme;
    std::string host;
    std::uint16_t port = 0;
    std::string target = "/";

    std::string origin() const;  // scheme://host:port
    std::string str() const;     // origin + target
};

// Parses an absolute http(s) URL; nullopt when it is not one.
std::optional<Url> parse_url(std::string_view text);

// ESB's boolean rule: true only for 1/true/yes/on (trimmed, any case); false otherwise.
bool esb_truthy(std::string_view text);

// Where a value came from, for error messages: "default", "<file>:<line>" or "environment".
struct SettingValue {
    std::string value;
    std::string origin;
};

class Settings {
public:
    struct Layers {
        std::map<std::string, std::string, std::less<>> defaults;
        std::vector<std::filesystem::path> env_files;  // later files win
        bool process_environment = true;
    };

    Settings() = default;
    explicit Settings(const Layers& layers);  // throws DotenvError for a malformed file

    // From explicit key/values (tests, generated environments). Origin "<name>".
    static Settings from_map(const std::map<std::string, std::string, std::less<>>& values,
                             std::string origin_name = "map");

    // Overrides one value (highest layer); origin "override".
    void set(std::string name, std::string value);

    bool has(std::string_view name) const;             // present, even when empty
    std::optional<SettingValue> lookup(std::string_view name) const;
    std::optional<std::string> raw(std::string_view name) const;

    // Required getters throw SettingsError when missing (or blank) or unparsable.
    std::string str(std::string_view name) const;
    std::string str(std::string_view name, std::string_view fallback) const;  // blank -> fallback
    std::int64_t integer(std::string_view name) const;
    std::int64_t integer(std::string_view name, std::int64_t fallback) const;
    double number(std::string_view name) const;
    double number(std::string_view name, double fallback) const;
    // Durations: a bare number is seconds (ESB's knobs: `10.0`, `15`); suffixes ms, s, m, h.
    std::chrono::milliseconds duration(std::string_view name) const;
    std::chrono::milliseconds duration(std::string_view name, std::chrono::milliseconds fallback) const;
    Url url(std::string_view name) const;
    Url url(std::string_view name, std::string_view fallback) const;
    // Booleans follow esb_truthy; a missing or blank value gives the fallback.
    bool flag(std::string_view name, bool fallback = false) const;

    // Throws one SettingsError listing every missing or blank name at once.
    void require(std::initializer_list<std::string_view> names) const;
    void require(const std::vector<std::string>& names) const;

    // All names, sorted (for diagnostics; never print values of secrets).
    std::vector<std::string> names() const;

private:
    std::map<std::string, SettingValue, std::less<>> values_;
};

// Parse helpers shared with the getters; each throws SettingsError naming `name` and `value`.
std::int64_t parse_integer_setting(std::string_view name, std::string_view value);
double parse_number_setting(std::string_view name, std::string_view value);
std::chrono::milliseconds parse_duration_setting(std::string_view name, std::string_view value);

}  // namespace e2e
