#include "s3_protocol.hpp"

#include <fmt/format.h>

#include <ctime>

#include "e2e/xml.hpp"

namespace refstack {
namespace {

std::tm utc(std::chrono::system_clock::time_point time) {
    const std::time_t seconds = std::chrono::system_clock::to_time_t(time);
    std::tm out{};
    gmtime_r(&seconds, &out);
    return out;
}

}  // namespace

std::string s3_error_document(const S3Error& error, std::string_view resource, std::string_view request_id) {
    e2e::XmlWriter xml;
    xml.open("Error").element("Code", error.code).element("Message", error.message);
    for (const auto& [name, value] : error.details) xml.element(name, value);
    xml.element("Resource", resource).element("RequestId", request_id).close();
    return xml.finish();
}

std::string format_http_date(std::chrono::system_clock::time_point time) {
    // Spelled out rather than strftime's %a/%b, which follow the locale.
    static constexpr const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                             "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    const std::tm tm = utc(time);
    return fmt::format("{}, {:02} {} {} {:02}:{:02}:{:02} GMT", days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
                       tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

std::string format_iso8601(std::chrono::system_clock::time_point time) {
    const std::tm tm = utc(time);
    const auto millis =
        std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count() % 1000;
    char buffer[64];
    const auto size = std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%S", &tm);
    return fmt::format("{}.{:03}Z", std::string_view(buffer, size), millis < 0 ? millis + 1000 : millis);
}

std::string printable(std::string_view text, std::size_t max) {
    std::string out;
    for (char c : text.substr(0, max)) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u >= 0x7F || c == '\\') out += fmt::format("\\x{:02x}", u);
        else out += c;
    }
    if (text.size() > max) out += fmt::format("...({} more bytes)", text.size() - max);
    return out;
}

}  // namespace refstack
