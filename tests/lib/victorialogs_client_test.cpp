// The suite's VictoriaLogs client pieces that need no server: query building and time format.
#include "e2e/victorialogs.hpp"

#include <catch2/catch_test_macros.hpp>

#include <chrono>

using namespace std::chrono_literals;

TEST_CASE("filters build an AND query in insertion order", "[victorialogs]") {
    CHECK(e2e::build_logsql({{"trace_id", "1-abc"}, {"container_name", "lambda-echo"}}) ==
          R"(trace_id:"1-abc" AND container_name:"lambda-echo")");
    CHECK(e2e::build_logsql({{"z", "1"}, {"a", "2"}}) == R"(z:"1" AND a:"2")");
    CHECK(e2e::build_logsql({}) == "*");
}

TEST_CASE("filter values are quoted with quotes and backslashes escaped", "[victorialogs]") {
    CHECK(e2e::logsql_quote(R"(say "hi" C:\x)") == R"("say \"hi\" C:\\x")");
    CHECK(e2e::logsql_quote("a\nb\tc\x01") == R"("a\nb\tc\u0001")");
    CHECK(e2e::build_logsql({{"log group", "g"}, {"AND", "v"}}) == R"("log group":"g" AND "AND":"v")");
}

TEST_CASE("start times are formatted to whole UTC seconds", "[victorialogs]") {
    const auto time = std::chrono::sys_days(std::chrono::year{2024} / 3 / 1) + 10h + 5min + 7s + 999ms;
    CHECK(e2e::format_logs_time(time) == "2024-03-01T10:05:07Z");
    CHECK(e2e::format_logs_time(std::chrono::system_clock::time_point{}) == "1970-01-01T00:00:00Z");
}

TEST_CASE("the message is read from message first and then from _msg", "[victorialogs]") {
    CHECK(e2e::log_message(e2e::Json::parse(R"({"message":"a","_msg":"b"})")) == "a");
    CHECK(e2e::log_message(e2e::Json::parse(R"({"_msg":"b"})")) == "b");
    CHECK(e2e::log_message(e2e::Json::parse(R"({"message":1,"_msg":"b"})")) == "b");
    CHECK_FALSE(e2e::log_message(e2e::Json::parse(R"({"level":"INFO"})")));
    CHECK_FALSE(e2e::log_message(e2e::Json::parse("[1]")));
}

TEST_CASE("query urls percent-encode the query and carry limit and start", "[victorialogs]") {
    e2e::VictoriaLogsClient client("http://127.0.0.1:9428/");
    CHECK(client.base_url() == "http://127.0.0.1:9428");
    e2e::LogsQueryOptions options;
    options.limit = 20;
    options.start = std::chrono::sys_days(std::chrono::year{2024} / 3 / 1);
    CHECK(client.query_url(R"(a:"b c")", options) ==
          "http://127.0.0.1:9428/select/logsql/query?query=a%3A%22b%20c%22&limit=20&start=2024-03-01T00%3A00%3A00Z");
    CHECK_THROWS_AS(e2e::VictoriaLogsClient("victorialogs:9428"), std::invalid_argument);
}
