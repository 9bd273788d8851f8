#include "e2e/settings.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>

#include "e2e/dotenv.hpp"
#include "e2e/exchange.hpp"

extern char** environ;  // NOLINT: POSIX process environment

namespace e2e {
namespace {

std::string_view trim(std::string_view text) {
    const auto is_space = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
    while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
    while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
    return text;
}

std::string lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

// Values of secret variables never reach an error message.
std::string shown_value(std::string_view name, std::string_view value) {
    if (is_secret_name(name)) return std::string(kRedacted);
    return fmt::format("\"{}\"", value);
}

[[noreturn]] void bad_value(std::string_view name, std::string_view value, std::string_view expected,
                            std::string_view origin = {}) {
    if (origin.empty()) {
        throw SettingsError(fmt::format("{}={} is not {}", name, shown_value(name, value), expected));
    }
    throw SettingsError(fmt::format("{}={} is not {} (from {})", name, shown_value(name, value), expected, origin));
}

template <typename Parse>
auto parse_with_origin(const SettingValue& setting, Parse parse) -> decltype(parse()) {
    try {
        return parse();
    } catch (const SettingsError& error) {
        throw SettingsError(fmt::format("{} (from {})", error.what(), setting.origin));
    }
}

}  // namespace

std::string Url::origin() const { return fmt::format("{}://{}:{}", scheme, host, port); }
std::string Url::str() const { return origin() + target; }

std::optional<Url> parse_url(std::string_view text) {
    text = trim(text);
    Url url;
    const auto scheme_end = text.find("://");
    if (scheme_end == std::string_view::npos) return std::nullopt;
    url.scheme = lower(text.substr(0, scheme_end));
    if (url.scheme != "http" && url.scheme != "https") return std::nullopt;
    std::string_view rest = text.substr(scheme_end + 3);
    const auto path_begin = rest.find_first_of("/?#");
    std::string_view authority = rest.substr(0, path_begin);
    if (path_begin != std::string_view::npos) {
        std::string_view target = rest.substr(path_begin);
        target = target.substr(0, target.find('#'));
        url.target = target.starts_with('/') ? std::string(target) : "/" + std::string(target);
    }
    if (authority.empty() || authority.find('@') != std::string_view::npos) return std::nullopt;
    std::string_view port_text;
    if (authority.front() == '[') {  // IPv6 literal
        const auto close = authority.find(']');
        if (close == std::string_view::npos) return std::nullopt;
        url.host = std::string(authority.substr(1, close - 1));
        std::string_view after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') return std::nullopt;
            port_text = after.substr(1);
        }
    } else {
        const auto colon = authority.rfind(':');
        url.host = std::string(authority.substr(0, colon));
        if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
    }
    if (url.host.empty()) return std::nullopt;
    if (port_text.empty()) {
        url.port = url.scheme == "https" ? 443 : 80;
    } else {
        unsigned value = 0;
        const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
        if (ec != std::errc() || end != port_text.data() + port_text.size() || value == 0 || value > 65535) return std::nullopt;
        url.port = static_cast<std::uint16_t>(value);
    }
    return url;
}

bool esb_truthy(std::string_view text) {
    const std::string value = lower(trim(text));
    return value == "1" || value == "true" || value == "yes" || value == "on";
}

std::int64_t parse_integer_setting(std::string_view name, std::string_view value) {
    const std::string_view text = trim(value);
    std::int64_t result = 0;
    const char* begin = text.data();
    if (!text.empty() && text.front() == '+') ++begin;
    const auto [end, ec] = std::from_chars(begin, text.data() + text.size(), result);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size()) bad_value(name, value, "an integer");
    return result;
}

double parse_number_setting(std::string_view name, std::string_view value) {
    const std::string_view text = trim(value);
    double result = 0;
    const char* begin = text.data();
    if (!text.empty() && text.front() == '+') ++begin;
    const auto [end, ec] = std::from_chars(begin, text.data() + text.size(), result);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size() || !std::isfinite(result)) {
        bad_value(name, value, "a number");
    }
    return result;
}

std::chrono::milliseconds parse_duration_setting(std::string_view name, std::string_view value) {
    std::string_view text = trim(value);
    double scale_ms = 1000.0;  // a bare number is seconds, as in ESB's knobs
    struct Suffix {
        std::string_view text;
        double ms;
    };
    for (const Suffix suffix : {Suffix{"ms", 1.0}, Suffix{"s", 1000.0}, Suffix{"m", 60'000.0}, Suffix{"h", 3'600'000.0}}) {
        if (text.ends_with(suffix.text)) {
            text.remove_suffix(suffix.text.size());
            scale_ms = suffix.ms;
            break;
        }
    }
    double amount = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), amount);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size() || !std::isfinite(amount) || amount < 0 ||
        amount * scale_ms > static_cast<double>(std::numeric_limits<std::int64_t>::max() / 2)) {
        bad_value(name, value, "a duration (seconds, or a number with ms/s/m/h)");
    }
    return std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(amount * scale_ms)));
}

Settings::Settings(const Layers& layers) {
    for (const auto& [name, value] : layers.defaults) values_[name] = SettingValue{value, "default"};
    for (const auto& file : layers.env_files) {
        for (auto& entry : read_dotenv_file(file)) {
            values_[entry.key] = SettingValue{std::move(entry.value), fmt::format("{}:{}", file.string(), entry.line)};
        }
    }
    if (layers.process_environment) {
        for (char** env = environ; env != nullptr && *env != nullptr; ++env) {
            const std::string_view entry(*env);
            const auto eq = entry.find('=');
            if (eq == std::string_view::npos || eq == 0) continue;
            values_[std::string(entry.substr(0, eq))] = SettingValue{std::string(entry.substr(eq + 1)), "environment"};
        }
    }
}

Settings Settings::from_map(const std::map<std::string, std::string, std::less<>>& values, std::string origin_name) {
    Settings settings;
    for (const auto& [name, value] : values) settings.values_[name] = SettingValue{value, origin_name};
    return settings;
}

void Settings::set(std::string name, std::string value) { values_[std::move(name)] = SettingValue{std::move(value), "override"}; }

bool Settings::has(std::string_view name) const { return values_.find(name) != values_.end(); }

std::optional<SettingValue> Settings::lookup(std::string_view name) const {
    const auto it = values_.find(name);
    if (it == values_.end()) return std::nullopt;
    return it->second;
}

std::optional<std::string> Settings::raw(std::string_view name) const {
    auto found = lookup(name);
    if (!found) return std::nullopt;
    return std::move(found->value);
}

namespace {
// Present and not blank.
std::optional<SettingValue> non_blank(const Settings& settings, std::string_view name) {
    auto found = settings.lookup(name);
    if (!found || trim(found->value).empty()) return std::nullopt;
    return found;
}

SettingValue required(const Settings& settings, std::string_view name) {
    auto found = non_blank(settings, name);
    if (!found) {
        if (settings.has(name)) throw SettingsError(fmt::format("required setting {} is blank", name));
        throw SettingsError(fmt::format("required setting {} is not set", name));
    }
    return *found;
}
}  // namespace

std::string Settings::str(std::string_view name) const { return required(*this, name).value; }

std::string Settings::str(std::string_view name, std::string_view fallback) const {
    const auto found = non_blank(*this, name);
    return found ? found->value : std::string(fallback);
}

std::int64_t Settings::integer(std::string_view name) const {
    const auto setting = required(*this, name);
    return parse_with_origin(setting, [&] { return parse_integer_setting(name, setting.value); });
}

std::int64_t Settings::integer(std::string_view name, std::int64_t fallback) const {
    const auto found = non_blank(*this, name);
    if (!found) return fallback;
    return parse_with_origin(*found, [&] { return parse_integer_setting(name, found->value); });
}

double Settings::number(std::string_view name) const {
    const auto setting = required(*this, name);
    return parse_with_origin(setting, [&] { return parse_number_setting(name, setting.value); });
}

double Settings::number(std::string_view name, double fallback) const {
    const auto found = non_blank(*this, name);
    if (!found) return fallback;
    return parse_with_origin(*found, [&] { return parse_number_setting(name, found->value); });
}

std::chrono::milliseconds Settings::duration(std::string_view name) const {
    const auto setting = required(*this, name);
    return parse_with_origin(setting, [&] { return parse_duration_setting(name, setting.value); });
}

std::chrono::milliseconds Settings::duration(std::string_view name, std::chrono::milliseconds fallback) const {
    const auto found = non_blank(*this, name);
    if (!found) return fallback;
    return parse_with_origin(*found, [&] { return parse_duration_setting(name, found->value); });
}

Url Settings::url(std::string_view name) const {
    const auto setting = required(*this, name);
    auto parsed = parse_url(setting.value);
    if (!parsed) bad_value(name, setting.value, "an http(s) URL", setting.origin);
    return *parsed;
}

Url Settings::url(std::string_view name, std::string_view fallback) const {
    const auto found = non_blank(*this, name);
    if (found) return url(name);
    auto parsed = parse_url(fallback);
    if (!parsed) bad_value(name, fallback, "an http(s) URL", "default");
    return *parsed;
}

bool Settings::flag(std::string_view name, bool fallback) const {
    const auto found = non_blank(*this, name);
    return found ? esb_truthy(found->value) : fallback;
}

void Settings::require(std::initializer_list<std::string_view> names) const {
    require(std::vector<std::string>(names.begin(), names.end()));
}

void Settings::require(const std::vector<std::string>& names) const {
    std::vector<std::string> missing;
    for (const auto& name : names) {
        if (!non_blank(*this, name)) missing.push_back(name);
    }
    if (missing.empty()) return;
    throw SettingsError(fmt::format("missing required setting{}: {} (set them in the environment or the .env file)",
                                    missing.size() == 1 ? "" : "s", fmt::join(missing, ", ")));
}

std::vector<std::string> Settings::names() const {
    std::vector<std::string> out;
    out.reserve(values_.size());
    for (const auto& [name, value] : values_) out.push_back(name);
    return out;
}

}  // namespace e2e
