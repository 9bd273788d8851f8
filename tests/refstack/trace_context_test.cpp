#include "trace_context.hpp"

#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <fmt/format.h>

#include <regex>
#include <set>

#include "base64.hpp"
#include "e2e/json.hpp"
#include "random_id.hpp"

using refstack::parse_trace_header;

namespace {

const std::string kRoot = "1-65f0a1b2-0123456789abcdef01234567";

bool matches(const std::string& text, const char* pattern) { return std::regex_match(text, std::regex(pattern)); }

}  // namespace

TEST_CASE("a full trace header keeps root parent and sampled in canonical form", "[refstack][trace]") {
    const auto trace = parse_trace_header("Root=" + kRoot + ";Parent=53995c3f42cd8ad8;Sampled=0");
    CHECK(trace.root == kRoot);
    CHECK(trace.parent == "53995c3f42cd8ad8");
    CHECK(trace.sampled == "0");
    CHECK(trace.header() == "Root=" + kRoot + ";Parent=53995c3f42cd8ad8;Sampled=0");
}

TEST_CASE("trace header parts are trimmed and re-serialised in canonical order", "[refstack][trace]") {
    CHECK(parse_trace_header(" Sampled = 0 ; Parent = p1 ;  Root = " + kRoot + " ").header() ==
          "Root=" + kRoot + ";Parent=p1;Sampled=0");
}

TEST_CASE("sampled defaults to one and an absent parent is left out", "[refstack][trace]") {
    CHECK(parse_trace_header("Root=" + kRoot).header() == "Root=" + kRoot + ";Sampled=1");
    CHECK(parse_trace_header("Root=" + kRoot + ";Parent=").header() == "Root=" + kRoot + ";Sampled=1");
}

TEST_CASE("unknown trace header keys are ignored", "[refstack][trace]") {
    CHECK(parse_trace_header("Root=" + kRoot + ";Self=1-abc;Lineage=a:1;Sampled=1").header() == "Root=" + kRoot + ";Sampled=1");
}

TEST_CASE("a header without an equals sign but with a dash is a bare root", "[refstack][trace]") {
    CHECK(parse_trace_header(kRoot).header() == "Root=" + kRoot + ";Sampled=1");
    CHECK(parse_trace_header("  " + kRoot + " ").root == kRoot);
}

TEST_CASE("a header without a usable root gives an empty root and no error", "[refstack][trace]") {
    CHECK(parse_trace_header("garbage").header() == "Root=;Sampled=1");
    CHECK(parse_trace_header("Foo=1-2-3").header() == "Root=;Sampled=1");
    CHECK(parse_trace_header(";;;").header() == "Root=;Sampled=1");
}

TEST_CASE("a generated trace has the epoch seconds of now and 24 random hex digits", "[refstack][trace]") {
    const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(0x65f0a1b2));
    const auto first = refstack::generate_trace(now).header();
    const auto second = refstack::generate_trace(now).header();
    CHECK(matches(first, "Root=1-65f0a1b2-[0-9a-f]{24};Sampled=1"));
    CHECK(matches(second, "Root=1-65f0a1b2-[0-9a-f]{24};Sampled=1"));
    CHECK(first != second);
}

TEST_CASE("the request trace is parsed when sent and generated when missing or empty", "[refstack][trace]") {
    const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(0x12345678));
    CHECK(refstack::trace_for_request("Root=" + kRoot, now).root == kRoot);
    CHECK(matches(refstack::trace_for_request(std::nullopt, now).header(), "Root=1-12345678-[0-9a-f]{24};Sampled=1"));
    CHECK(matches(refstack::trace_for_request(std::string(), now).header(), "Root=1-12345678-[0-9a-f]{24};Sampled=1"));
}

TEST_CASE("the client context is base64 of the trace under custom trace_id", "[refstack][trace]") {
    const auto header = "Root=" + kRoot + ";Sampled=1";
    const auto context = refstack::client_context_for_trace(header);
    const auto decoded = refstack::base64_decode(context);
    REQUIRE(decoded.has_value());
    CHECK(e2e::Json::parse(*decoded) == e2e::Json::object({{"custom", e2e::Json::object({{"trace_id", header}})}}));
    CHECK(refstack::trace_from_client_context(context) == header);
}

TEST_CASE("the client context reader falls back to the environment variable key", "[refstack][trace]") {
    const auto context = refstack::base64_encode(R"({"custom":{"_X_AMZN_TRACE_ID":"Root=1-a-b;Sampled=1"}})");
    CHECK(refstack::trace_from_client_context(context) == "Root=1-a-b;Sampled=1");
}

TEST_CASE("the client context reader refuses contexts without a trace", "[refstack][trace]") {
    CHECK_FALSE(refstack::trace_from_client_context("not base64!").has_value());
    CHECK_FALSE(refstack::trace_from_client_context(refstack::base64_encode("not json")).has_value());
    CHECK_FALSE(refstack::trace_from_client_context(refstack::base64_encode(R"({"custom":{}})")).has_value());
    CHECK_FALSE(refstack::trace_from_client_context(refstack::base64_encode(R"({"custom":{"trace_id":5}})")).has_value());
    CHECK_FALSE(refstack::trace_from_client_context(refstack::base64_encode(R"({"client":{}})")).has_value());
}

TEST_CASE("request ids are distinct version 4 UUIDs", "[refstack][trace]") {
    std::set<std::string> seen;
    for (int i = 0; i < 500; ++i) {
        const auto id = refstack::make_uuid4();
        REQUIRE(matches(id, "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"));
        seen.insert(id);
    }
    CHECK(seen.size() == 500);
}
