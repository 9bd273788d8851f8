// The refstack's LogsQL subset (contract 1.10): word-boundary phrase matching and the parser.
#include "logsql.hpp"

#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <random>
#include <string>

using Catch::Matchers::ContainsSubstring;
using refstack::LogFields;
using refstack::LogsqlError;
using refstack::LogsQuery;
using refstack::phrase_matches;

namespace {

bool query_matches(std::string_view query, const LogFields& fields) { return LogsQuery::parse(query).matches(fields); }

// The parse error text, or "" when the query parses.
std::string parse_error(std::string_view query) {
    try {
        LogsQuery::parse(query);
        return {};
    } catch (const LogsqlError& error) {
        return error.what();
    }
}

}  // namespace

TEST_CASE("a trace root matches the full trace header value", "[logs][logsql]") {
    const LogFields record{{"trace_id", "Root=1-5f0a1b2c-0123456789abcdef01234567;Sampled=1"}};
    CHECK(query_matches(R"(trace_id:"1-5f0a1b2c-0123456789abcdef01234567")", record));
    CHECK(query_matches(R"(trace_id:"Root=1-5f0a1b2c-0123456789abcdef01234567;Sampled=1")", record));
    CHECK_FALSE(query_matches(R"(trace_id:"1-5f0a1b2c-0123456789abcdef0123456")", record));  // one hex digit short
    CHECK_FALSE(query_matches(R"(trace_id:"1-5f0a1b2c-ffffffffffffffffffffffff")", record));
}

TEST_CASE("a container name phrase also matches a longer hyphenated name", "[logs][logsql]") {
    CHECK(query_matches(R"(container_name:"lambda-echo")", {{"container_name", "lambda-echo-java"}}));
    CHECK(query_matches(R"(container_name:"lambda-echo")", {{"container_name", "lambda-echo"}}));
    CHECK_FALSE(query_matches(R"(container_name:"lambda-echo")", {{"container_name", "lambda-echoes"}}));
}

TEST_CASE("a phrase does not match inside a longer word", "[logs][logsql]") {
    CHECK_FALSE(query_matches(R"(log_stream:"test-stream-1700000000")", {{"log_stream", "test-stream-17000000001"}}));
    CHECK(query_matches(R"(log_stream:"test-stream-1700000000")", {{"log_stream", "test-stream-1700000000"}}));
    CHECK_FALSE(phrase_matches("xtest", "test"));
    CHECK_FALSE(phrase_matches("test_x", "test"));  // '_' is a word character
    CHECK(phrase_matches("a.test.b", "test"));
    CHECK(phrase_matches("test", "test"));
}

TEST_CASE("a phrase matches at a later occurrence when the first is inside a word", "[logs][logsql]") {
    CHECK(phrase_matches("abc-1 abc", "abc"));
    CHECK(phrase_matches("xabc abc", "abc"));
    CHECK_FALSE(phrase_matches("xabc abcx", "abc"));
}

TEST_CASE("phrase boundaries are only required next to word characters of the phrase", "[logs][logsql]") {
    CHECK(phrase_matches("Root=1-abc;Sampled=1", ";Sampled"));  // starts with a non-word character
    CHECK(phrase_matches("x=1", "=1"));
    CHECK_FALSE(phrase_matches("x=12", "=1"));  // ends with a word character followed by one
}

TEST_CASE("phrase matching is case-sensitive", "[logs][logsql]") {
    CHECK_FALSE(query_matches(R"(level:"debug")", {{"level", "DEBUG"}}));
    CHECK(query_matches(R"(level:"DEBUG")", {{"level", "DEBUG"}}));
    CHECK_FALSE(query_matches(R"(_msg:"echo")", {{"_msg", "Echo: hello"}}));
}

TEST_CASE("an unquoted dotted word matches the logger name", "[logs][logsql]") {
    const auto query = LogsQuery::parse("logger:cloudwatch.logs.python");
    REQUIRE(query.clauses().size() == 1);
    CHECK(query.clauses()[0].field == "logger");
    CHECK(query.clauses()[0].phrase == "cloudwatch.logs.python");
    CHECK(query.matches({{"logger", "cloudwatch.logs.python"}}));
    CHECK_FALSE(query.matches({{"logger", "cloudwatch.logs.java"}}));
}

TEST_CASE("clauses joined by AND must all match", "[logs][logsql]") {
    const auto query = LogsQuery::parse(
        R"(logger:cloudwatch.logs.python AND log_group:"/aws/lambda/test-group" AND log_stream:"test-stream-1700000000")");
    REQUIRE(query.clauses().size() == 3);
    const LogFields hit{{"_msg", "[DEBUG] x"}, {"logger", "cloudwatch.logs.python"},
                        {"log_group", "/aws/lambda/test-group"}, {"log_stream", "test-stream-1700000000"}};
    CHECK(query.matches(hit));
    LogFields other_stream = hit;
    other_stream[3].second = "test-stream-1700000001";
    CHECK_FALSE(query.matches(other_stream));
    CHECK_FALSE(query.matches({{"logger", "cloudwatch.logs.python"}}));  // missing fields are empty
}

TEST_CASE("lower-case and and whitespace also join clauses as in LogsQL", "[logs][logsql]") {
    CHECK(LogsQuery::parse(R"(a:"x" and b:"y")").clauses().size() == 2);
    CHECK(LogsQuery::parse(R"(a:"x"   b:"y")").clauses().size() == 2);
}

TEST_CASE("escaped quotes and backslashes inside a phrase are unescaped", "[logs][logsql]") {
    const auto query = LogsQuery::parse(R"(_msg:"say \"hi\" to C:\\temp")");
    REQUIRE(query.clauses().size() == 1);
    CHECK(query.clauses()[0].phrase == R"(say "hi" to C:\temp)");
    CHECK(query.matches({{"_msg", R"(I say "hi" to C:\temp now)"}}));
    CHECK(LogsQuery::parse(R"(f:"\u00e9t\u00e9")").clauses()[0].phrase == "\xc3\xa9t\xc3\xa9");
    CHECK(LogsQuery::parse("f:'single \"quoted\"'").clauses()[0].phrase == "single \"quoted\"");
}

TEST_CASE("a bare phrase searches the message field", "[logs][logsql]") {
    const auto query = LogsQuery::parse(R"("Echo: from-chain")");
    REQUIRE(query.clauses().size() == 1);
    CHECK(query.clauses()[0].field == "_msg");
    CHECK(query.matches({{"_msg", "Echo: from-chain"}}));
    CHECK_FALSE(query.matches({{"message", "Echo: from-chain"}}));
}

TEST_CASE("a star alone matches every record and a field star needs a value", "[logs][logsql]") {
    CHECK(LogsQuery::parse("*").match_all());
    CHECK(query_matches("*", {}));
    CHECK(query_matches("  *  ", {{"a", "b"}}));
    CHECK(query_matches("trace_id:*", {{"trace_id", "x"}}));
    CHECK_FALSE(query_matches("trace_id:*", {{"other", "x"}}));
}

TEST_CASE("an empty phrase matches only a missing or empty field", "[logs][logsql]") {
    CHECK(query_matches(R"(f:"")", {}));
    CHECK_FALSE(query_matches(R"(f:"")", {{"f", "x"}}));
}

TEST_CASE("the canonical text quotes every phrase and parses back to the same clauses", "[logs][logsql]") {
    const auto query = LogsQuery::parse(R"(logger:cloudwatch.logs.python AND "log group":"a\"b" AND f:*)");
    CHECK(query.str() == R"(logger:"cloudwatch.logs.python" AND "log group":"a\"b" AND f:*)");
    const auto again = LogsQuery::parse(query.str());
    REQUIRE(again.clauses().size() == 3);
    CHECK(again.clauses()[1].field == "log group");
    CHECK(again.clauses()[1].phrase == "a\"b");
    CHECK(again.clauses()[2].any_value);
    CHECK(LogsQuery::parse("*").str() == "*");
}

TEST_CASE("malformed queries are rejected with the reason and the offset", "[logs][logsql]") {
    CHECK_THAT(parse_error(""), ContainsSubstring("empty query"));
    CHECK_THAT(parse_error("   "), ContainsSubstring("empty query"));
    CHECK_THAT(parse_error(R"(trace_id:"abc)"), ContainsSubstring("unterminated"));
    CHECK_THAT(parse_error("trace_id:"), ContainsSubstring("missing value"));
    CHECK_THAT(parse_error(R"(a:"x" AND)"), ContainsSubstring("missing filter after AND"));
    CHECK_THAT(parse_error(R"(AND a:"x")"), ContainsSubstring("AND without a filter"));
    CHECK_THAT(parse_error(R"(a:"x" OR b:"y")"), ContainsSubstring("OR is not supported"));
    CHECK_THAT(parse_error(R"(NOT a:"x")"), ContainsSubstring("NOT is not supported"));
    CHECK_THAT(parse_error(R"((a:"x"))"), ContainsSubstring("parentheses"));
    CHECK_THAT(parse_error(R"(a:"x" | limit 5)"), ContainsSubstring("pipes"));
    CHECK_THAT(parse_error("a:foo*"), ContainsSubstring("prefix filters"));
    CHECK_THAT(parse_error(R"(a:~"re")"), ContainsSubstring("not supported"));
    CHECK_THAT(parse_error(R"(a:="x")"), ContainsSubstring("not supported"));
    CHECK_THAT(parse_error("_time:5m"), ContainsSubstring("_time filters"));
    CHECK_THAT(parse_error(R"(:"x")"), ContainsSubstring("without a field name"));
    CHECK_THAT(parse_error(R"(a:"\q")"), ContainsSubstring("unknown escape"));
    CHECK_THAT(parse_error(R"(a:"\u12")"), ContainsSubstring("hex digits"));
    CHECK_THAT(parse_error(R"(a:"\ud800")"), ContainsSubstring("Unicode scalar"));
    CHECK_THAT(parse_error("a:b:c"), ContainsSubstring("quote values"));
    CHECK_THAT(parse_error(R"(a:"x" AND)"), ContainsSubstring(R"(cannot parse query "a:"x" AND")"));
}

TEST_CASE("a parse error reports the byte offset of the problem", "[logs][logsql]") {
    try {
        LogsQuery::parse(R"(a:"x" OR b:"y")");
        FAIL("the query parsed");
    } catch (const LogsqlError& error) {
        CHECK(error.offset() == 6);
        CHECK_THAT(std::string(error.what()), ContainsSubstring("at offset 6"));
    }
}

TEST_CASE("oversized queries and too many clauses are rejected", "[logs][logsql]") {
    CHECK_THAT(parse_error(std::string(LogsQuery::kMaxQueryBytes + 1, 'a')), ContainsSubstring("at most"));
    std::string many;
    for (std::size_t i = 0; i <= LogsQuery::kMaxClauses; ++i) many += "a ";
    CHECK_THAT(parse_error(many), ContainsSubstring("more than"));
}

TEST_CASE("arbitrary bytes either parse or fail with a LogsqlError", "[logs][logsql]") {
    std::mt19937 random(20240601);
    const std::string alphabet = "ab:\"'`\\ *()|-!~=AND OR\tu0x{}.,\n\x80\xff";
    int parsed = 0;
    int rejected = 0;
    for (int round = 0; round < 20000; ++round) {
        std::string text;
        const auto length = random() % 24;
        for (std::size_t i = 0; i < length; ++i) text += alphabet[random() % alphabet.size()];
        try {
            const auto query = LogsQuery::parse(text);
            ++parsed;
            // The canonical text is itself a valid query with the same clauses.
            const auto again = LogsQuery::parse(query.str());
            REQUIRE(again.clauses().size() == query.clauses().size());
            (void)query.matches({{"_msg", text}});
        } catch (const LogsqlError&) {
            ++rejected;
        }
    }
    CHECK(parsed > 100);
    CHECK(rejected > 100);
}
