// Catch2 matchers over e2e::Json and e2e::HttpResponse. They compose with &&, || and !, and a
// failure reads "<actual> has field "success" equal to true (boolean); actual: "true" (string)".
//
//   REQUIRE_THAT(res, e2e::Status(200));   // prints method, URL, status and the trimmed body
//   CHECK_THAT(body, e2e::Field("success", true) && e2e::HasField("item"));
#pragma once

#include <catch2/catch_tostring.hpp>
#include <catch2/matchers/catch_matchers_templated.hpp>

#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "e2e/http.hpp"
#include "e2e/json.hpp"

namespace e2e {

// One check on the value at a path. match() remembers what it saw so describe() (which Catch2
// calls after match) can show the actual value or why the path led nowhere.
class FieldMatcher final : public Catch::Matchers::MatcherGenericBase {
public:
    // Gets the value at the path, or nullopt when absent; returns true when satisfied.
    using Check = std::function<bool(const std::optional<Json>& found)>;

    FieldMatcher(std::string path, std::string expectation, Check check);

    bool match(const Json& json) const;
    std::string describe() const override;

private:
    std::string path_;
    std::string expectation_;  // "equal to true (boolean)"
    Check check_;
    mutable std::optional<std::string> seen_;  // "actual: ..." after match()
};

// Equal to expected with the JSON type respected: Field("success", true) fails on "true" and on 1;
// Field("item", nullptr) needs a present null. Numbers compare by value (3 matches 3.0).
FieldMatcher Field(std::string path, const JsonValue& expected);
FieldMatcher HasField(std::string path);  // present; null counts as present
FieldMatcher FieldIsNull(std::string path);
FieldMatcher FieldType(std::string path, JsonType type);
FieldMatcher FieldContains(std::string path, std::string substring);  // a string field containing it
// Any present value accepted by predicate; description completes "has field "x" that ...".
FieldMatcher FieldMatches(std::string path, std::function<bool(const Json&)> predicate, std::string description);

// The response status is one of the accepted codes. Catch2 prints the response itself (see the
// StringMaker below), so the description stays short.
class StatusMatcher final : public Catch::Matchers::MatcherGenericBase {
public:
    explicit StatusMatcher(std::vector<int> accepted);

    bool match(const HttpResponse& response) const;
    std::string describe() const override;

private:
    std::vector<int> accepted_;
    mutable std::optional<int> seen_;
};

StatusMatcher Status(int status);
StatusMatcher StatusIn(std::initializer_list<int> statuses);

// "POST https://localhost:8443/api/echo -> 502 Bad Gateway in 12 ms; body (1234 bytes): ...",
// body cut at max_body bytes. Request headers are never printed (they carry the secrets).
std::string describe_response(const HttpResponse& response, std::size_t max_body = 1000);

}  // namespace e2e

// Json prints through its operator<< (json.hpp), so every translation unit agrees on it; the
// response has no operator<< in http.hpp, so it gets a StringMaker here.
template <>
struct Catch::StringMaker<e2e::HttpResponse> {
    static std::string convert(const e2e::HttpResponse& response);
};
