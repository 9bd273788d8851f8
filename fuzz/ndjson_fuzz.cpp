// NDJSON as the VictoriaLogs client reads a LogsQL answer (e2e::parse_log_records over
// e2e::parse_ndjson and e2e::Json). Properties: the strict reading throws only JsonError, naming a
// line that exists, and when it succeeds the tolerant reading agrees with it; the tolerant reading
// and parse_log_records never throw; records are objects; every value dumps to valid UTF-8 that
// parses back to an equal value with the same dump; log_message and excerpts hold on any record.
#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cstdlib>

#include "e2e/json.hpp"
#include "e2e/utf8.hpp"
#include "e2e/victorialogs.hpp"
#include "fuzz_check.hpp"

namespace {

void check_value(const e2e::Json& value) {
    const std::string dumped = value.dump();
    E2E_FUZZ_CHECK(e2e::is_valid_utf8(dumped), dumped);
    const auto again = e2e::Json::parse(dumped);  // a JsonError here escapes: a finding
    E2E_FUZZ_CHECK(again == value, dumped);
    E2E_FUZZ_CHECK(again.dump() == dumped, fmt::format("{} dumps again as {}", dumped, again.dump()));
    const std::string excerpt = value.excerpt(300);
    E2E_FUZZ_CHECK(e2e::is_valid_utf8(excerpt), excerpt);
    E2E_FUZZ_CHECK(excerpt.size() <= dumped.size() + 40, excerpt);
    if (value.is_object()) {
        E2E_FUZZ_CHECK(value.keys().size() == value.size(), dumped);
        for (const auto& [key, member] : value.members()) E2E_FUZZ_CHECK(e2e::is_valid_utf8(key), dumped);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto text = e2e::fuzz::text_of(data, size);

    const auto tolerant = e2e::parse_ndjson(text, e2e::BadLine::skip);
    try {
        const auto strict = e2e::parse_ndjson(text, e2e::BadLine::fail);
        E2E_FUZZ_CHECK(strict.size() == tolerant.size(), fmt::format("strict {} lines, tolerant {}", strict.size(), tolerant.size()));
        for (std::size_t i = 0; i < strict.size(); ++i) E2E_FUZZ_CHECK(strict[i] == tolerant[i], fmt::format("line {}", i));
    } catch (const e2e::JsonError& error) {
        const std::string_view what = error.what();
        E2E_FUZZ_CHECK(what.starts_with("NDJSON line "), error.what());
        const auto number = std::strtoull(what.substr(12).data(), nullptr, 10);
        E2E_FUZZ_CHECK(number >= 1 && number <= e2e::fuzz::line_count(text), error.what());
    }

    for (const auto& value : tolerant) check_value(value);

    const auto records = e2e::parse_log_records(text);
    const auto objects = std::count_if(tolerant.begin(), tolerant.end(), [](const e2e::Json& v) { return v.is_object(); });
    E2E_FUZZ_CHECK(records.size() == static_cast<std::size_t>(objects), fmt::format("{} records of {} objects", records.size(), objects));
    for (const auto& record : records) {
        E2E_FUZZ_CHECK(record.is_object(), record.dump());
        const auto message = e2e::log_message(record);
        if (const auto field = record.find("message"); field && field->is_string()) {
            E2E_FUZZ_CHECK(message == field->str(), record.dump());
        } else if (const auto msg = record.find("_msg"); msg && msg->is_string()) {
            E2E_FUZZ_CHECK(message == msg->str(), record.dump());
        } else {
            E2E_FUZZ_CHECK(!message, record.dump());
        }
    }

    // A lone number reads as the C library's strtod reads it (RapidJSON 1.1.0 alone does not).
    if (!text.empty() && text.size() <= 400 && text.find_first_not_of("-+0123456789.eE") == std::string_view::npos) {
        if (const auto number = e2e::Json::try_parse(text); number && number->is_number() && !number->is_integer()) {
            const std::string copy(text);
            const double reference = std::strtod(copy.c_str(), nullptr);
            E2E_FUZZ_CHECK(std::bit_cast<std::uint64_t>(reference) == std::bit_cast<std::uint64_t>(number->number()),
                           fmt::format("{} read as {} but strtod reads {}", copy, number->number(), reference));
        }
    }

    // The whole body as one document: parse and try_parse agree.
    const auto single = e2e::Json::try_parse(text);
    try {
        const auto parsed = e2e::Json::parse(text);
        E2E_FUZZ_CHECK(single && *single == parsed, "parse succeeded, try_parse did not agree");
    } catch (const e2e::JsonError& error) {
        E2E_FUZZ_CHECK(!single, error.what());
        E2E_FUZZ_CHECK(error.offset() && *error.offset() <= text.size(), error.what());
    }
    return 0;
}
