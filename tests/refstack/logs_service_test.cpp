// The refstack's VictoriaLogs driven over HTTP by the suite's client (e2e::VictoriaLogsClient) and
// fed by the production sink (refstack::HttpLogShipper), plus the store's ingestion rules.
#include "logs_service.hpp"

#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "e2e/http.hpp"
#include "e2e/json.hpp"
#include "e2e/victorialogs.hpp"
#include "http_server.hpp"
#include "log_shipper.hpp"
#include "log_store.hpp"

using Catch::Matchers::ContainsSubstring;
using e2e::Json;
using namespace std::chrono_literals;

namespace {

constexpr const char* kIngestPath = "/insert/jsonline?_stream_fields=container_name,job&_msg_field=message&_time_field=_time";
constexpr const char* kRoot = "1-65f0a1b2-0123456789abcdef01234567";

// A LogsService behind an HttpServer on a free loopback port, with the suite's client.
struct LogsStack {
    explicit LogsStack(refstack::LogsServiceOptions options = {})
        : service(std::move(options)),
          server({.name = "logs"}, [this](const refstack::Request& request) { return service.handle(request); }) {
        server.start();
        client = std::make_unique<e2e::VictoriaLogsClient>(server.url(), http);
    }

    e2e::HttpResponse ingest(const std::string& body, const std::string& path = kIngestPath) {
        return http.send({.method = "POST",
                          .url = server.url() + path,
                          .headers = {{"Content-Type", "application/json"}},
                          .body = body});
    }
    e2e::HttpResponse get(const std::string& target) { return http.get(server.url() + target); }

    refstack::LogsService service;
    refstack::HttpServer server;
    e2e::HttpClient http;
    std::unique_ptr<e2e::VictoriaLogsClient> client;
};

Json gateway_record(const std::string& message, const std::string& time = "2024-03-01T10:00:00.123Z") {
    return Json::object({{"_time", time},
                         {"level", "INFO"},
                         {"logger", "gateway.main"},
                         {"message", message},
                         {"container_name", "esb-gateway"},
                         {"job", "services"},
                         {"trace_id", std::string("Root=") + kRoot + ";Sampled=1"},
                         {"aws_request_id", "0f8fad5b-d9cb-469f-a165-70867728950e"},
                         {"status", 200},
                         {"latency_ms", 1.5},
                         {"ok", true}});
}

refstack::LogRecord ingest_one(const Json& object, refstack::IngestOptions options = {}, std::int64_t now = 42) {
    return refstack::record_from_json(object, options, now);
}

// A handler that holds every request until release() (to fill the shipper's queue).
class Gate {
public:
    refstack::Response handle(const refstack::Request&) {
        std::unique_lock lock(mutex_);
        ++waiting_;
        changed_.notify_all();
        changed_.wait(lock, [&] { return open_; });
        return refstack::Response::text(200, "");
    }
    void wait_for_request() {
        std::unique_lock lock(mutex_);
        changed_.wait_for(lock, 5s, [&] { return waiting_ > 0; });
    }
    void release() {
        std::lock_guard lock(mutex_);
        open_ = true;
        changed_.notify_all();
    }

private:
    std::mutex mutex_;
    std::condition_variable changed_;
    int waiting_ = 0;
    bool open_ = false;
};

}  // namespace

TEST_CASE("logs service health answers 200 OK", "[logs]") {
    LogsStack stack;
    const auto response = stack.client->health();
    CHECK(response.status == 200);
    CHECK(response.body == "OK");
    CHECK(stack.client->healthy());
}

TEST_CASE("ingested records come back with _msg and string values and a stream", "[logs]") {
    LogsStack stack;
    const auto ingested = stack.ingest(gateway_record("POST /api/echo 200").dump());
    REQUIRE(ingested.status == 200);

    const auto hits = stack.client->query({{"trace_id", kRoot}});
    REQUIRE(hits.size() == 1);
    const Json& hit = hits[0];
    CHECK(hit.str("_msg") == "POST /api/echo 200");
    CHECK_FALSE(hit.has("message"));  // renamed by _msg_field, not kept twice
    CHECK(hit.str("_time") == "2024-03-01T10:00:00.123Z");
    CHECK(hit.str("_stream") == R"({container_name="esb-gateway",job="services"})");
    CHECK(hit.str("container_name") == "esb-gateway");
    CHECK(hit.str("status") == "200");       // numbers are stringified
    CHECK(hit.str("latency_ms") == "1.5");
    CHECK(hit.str("ok") == "true");          // booleans too
    CHECK(hit.str("trace_id") == std::string("Root=") + kRoot + ";Sampled=1");
    for (const auto& [name, value] : hit.members()) {
        INFO(name);
        CHECK(value.is_string());
    }
    CHECK(e2e::log_message(hit) == "POST /api/echo 200");
}

TEST_CASE("several lines in one request are stored as several records", "[logs]") {
    LogsStack stack;
    const std::string body = gateway_record("one").dump() + "\n\n" + gateway_record("two").dump() + "\r\n" + gateway_record("three").dump();
    REQUIRE(stack.ingest(body).status == 200);
    const auto hits = stack.client->query({{"container_name", "esb-gateway"}});
    std::set<std::string> messages;
    for (const auto& hit : hits) messages.insert(hit.str("_msg"));
    CHECK(messages == std::set<std::string>{"one", "two", "three"});
    CHECK(stack.service.stats().ingested == 3);
}

TEST_CASE("a query matches the phrase at word boundaries over HTTP", "[logs]") {
    LogsStack stack;
    auto record = [](const char* container, const char* stream) {
        return Json::object({{"message", "m"}, {"container_name", container}, {"job", "lambda"}, {"log_stream", stream}}).dump() + "\n";
    };
    REQUIRE(stack.ingest(record("lambda-echo", "test-stream-1700000000") + record("lambda-echo-java", "test-stream-17000000001")).status ==
            200);
    CHECK(stack.client->query({{"container_name", "lambda-echo"}}).size() == 2);
    const auto exact = stack.client->query({{"log_stream", "test-stream-1700000000"}});
    REQUIRE(exact.size() == 1);
    CHECK(exact[0].str("container_name") == "lambda-echo");
    CHECK(stack.client->query("logger:cloudwatch.logs.python").empty());
}

TEST_CASE("only records at or after start are returned", "[logs]") {
    LogsStack stack;
    REQUIRE(stack.ingest(gateway_record("old", "2024-03-01T09:59:59.999Z").dump() + "\n" +
                         gateway_record("exact", "2024-03-01T10:00:00Z").dump() + "\n" +
                         gateway_record("new", "2024-03-01T11:00:00+01:00").dump() + "\n" +  // = 10:00:00Z
                         gateway_record("later", "2024-03-01T10:00:01.5Z").dump())
                .status == 200);
    e2e::LogsQueryOptions options;
    options.start = std::chrono::sys_days(std::chrono::year{2024} / 3 / 1) + 10h;
    const auto hits = stack.client->query({{"trace_id", kRoot}}, options);
    std::set<std::string> messages;
    for (const auto& hit : hits) messages.insert(hit.str("_msg"));
    CHECK(messages == std::set<std::string>{"exact", "new", "later"});
    CHECK(stack.client->query_url("*", options).find("start=2024-03-01T10%3A00%3A00Z") != std::string::npos);
}

TEST_CASE("end and fractional start bounds are honoured", "[logs]") {
    LogsStack stack;
    REQUIRE(stack.ingest(gateway_record("a", "2024-03-01T10:00:00.100Z").dump() + "\n" +
                         gateway_record("b", "2024-03-01T10:00:00.200Z").dump() + "\n" +
                         gateway_record("c", "2024-03-01T10:00:00.300Z").dump())
                .status == 200);
    const auto response = stack.get("/select/logsql/query?query=*&start=2024-03-01T10:00:00.150Z&end=2024-03-01T10:00:00.200Z");
    REQUIRE(response.status == 200);
    const auto hits = e2e::parse_ndjson(response.body);
    REQUIRE(hits.size() == 1);
    CHECK(hits[0].str("_msg") == "b");
}

TEST_CASE("at most limit records are returned and the newest are kept", "[logs]") {
    LogsStack stack;
    std::string body;
    for (int i = 0; i < 10; ++i) body += gateway_record(std::to_string(i), "2024-03-01T10:00:0" + std::to_string(i) + "Z").dump() + "\n";
    REQUIRE(stack.ingest(body).status == 200);
    e2e::LogsQueryOptions options;
    options.limit = 3;
    const auto hits = stack.client->query({{"job", "services"}}, options);
    REQUIRE(hits.size() == 3);
    CHECK(hits[0].str("_msg") == "7");
    CHECK(hits[2].str("_msg") == "9");
    CHECK(stack.client->query({{"job", "services"}}).size() == 10);
}

TEST_CASE("a query without limit answers at most the default limit", "[logs]") {
    LogsStack stack({.default_limit = 4});
    std::string body;
    for (int i = 0; i < 6; ++i) body += gateway_record(std::to_string(i)).dump() + "\n";
    REQUIRE(stack.ingest(body).status == 200);
    const auto response = stack.get("/select/logsql/query?query=*");
    REQUIRE(response.status == 200);
    CHECK(e2e::parse_ndjson(response.body).size() == 4);
    CHECK(e2e::parse_ndjson(stack.get("/select/logsql/query?query=*&limit=0").body).size() == 4);
}

TEST_CASE("a query that matches nothing answers 200 with an empty body", "[logs]") {
    LogsStack stack;
    REQUIRE(stack.ingest(gateway_record("x").dump()).status == 200);
    const auto response = stack.get("/select/logsql/query?query=trace_id%3A%22nothing%22&limit=100");
    CHECK(response.status == 200);
    CHECK(response.body.empty());
    CHECK(stack.client->query({{"trace_id", "1-00000000-000000000000000000000000"}}).empty());
}

TEST_CASE("query arguments are percent-decoded with plus as space", "[logs]") {
    LogsStack stack;
    REQUIRE(stack.ingest(Json::object({{"message", "Echo: from chain"}, {"k", "a b"}}).dump()).status == 200);
    CHECK(e2e::parse_ndjson(stack.get("/select/logsql/query?query=k%3A%22a+b%22").body).size() == 1);
    CHECK(e2e::parse_ndjson(stack.get("/select/logsql/query?query=%22Echo%3A%20from%20chain%22").body).size() == 1);
    CHECK(refstack::parse_form("a=1&b=x+y&c=%2F&d&e=%zz&=v") ==
          std::vector<std::pair<std::string, std::string>>{{"a", "1"}, {"b", "x y"}, {"c", "/"}, {"d", ""}, {"e", "%zz"}, {"", "v"}});
}

TEST_CASE("a query may also be posted as a form", "[logs]") {
    LogsStack stack;
    REQUIRE(stack.ingest(gateway_record("posted").dump()).status == 200);
    const auto response = stack.http.send({.method = "POST",
                                           .url = stack.server.url() + "/select/logsql/query",
                                           .headers = {{"Content-Type", "application/x-www-form-urlencoded"}},
                                           .body = "query=job%3A%22services%22&limit=5"});
    REQUIRE(response.status == 200);
    const auto hits = e2e::parse_ndjson(response.body);
    REQUIRE(hits.size() == 1);
    CHECK(hits[0].str("_msg") == "posted");
}

TEST_CASE("a malformed query answers 400 with the parser's reason", "[logs]") {
    LogsStack stack;
    try {
        stack.client->query(R"(trace_id:"abc OR)");
        FAIL("the query was accepted");
    } catch (const e2e::VictoriaLogsError& error) {
        CHECK(error.status() == 400);
        CHECK_THAT(std::string(error.what()), ContainsSubstring("unterminated"));
        CHECK_THAT(std::string(error.what()), ContainsSubstring("/select/logsql/query"));
    }
    CHECK(stack.get("/select/logsql/query").status == 400);                       // no query
    CHECK_THAT(stack.get("/select/logsql/query?query=*&limit=-1").body, ContainsSubstring("cannot parse limit"));
    CHECK_THAT(stack.get("/select/logsql/query?query=*&start=yesterday").body, ContainsSubstring("cannot parse start"));
    CHECK(stack.get("/select/logsql/query?query=*&start=2024-02-30T00:00:00Z").status == 400);
}

TEST_CASE("an ingestion request whose every line is bad answers 400 naming the line", "[logs]") {
    LogsStack stack;
    const auto response = stack.ingest("{\"message\": \"a\"\n");
    CHECK(response.status == 400);
    CHECK_THAT(response.body, ContainsSubstring("line #1"));
    const auto bad_time = stack.ingest(Json::object({{"message", "a"}, {"_time", "not a time"}}).dump());
    CHECK(bad_time.status == 400);
    CHECK_THAT(bad_time.body, ContainsSubstring("cannot parse timestamp from field \"_time\""));
    CHECK(stack.ingest("[1, 2]").status == 400);
    CHECK(stack.service.store().size() == 0);
}

TEST_CASE("bad lines next to good ones are skipped as VictoriaLogs does", "[logs]") {
    LogsStack stack;
    const auto response = stack.ingest(gateway_record("good-1").dump() + "\nnot json\n" + gateway_record("good-2").dump());
    CHECK(response.status == 200);
    CHECK(stack.service.store().size() == 2);
    CHECK(stack.service.stats().rejected == 1);
}

TEST_CASE("an empty ingestion body is accepted and stores nothing", "[logs]") {
    LogsStack stack;
    CHECK(stack.ingest("").status == 200);
    CHECK(stack.service.store().size() == 0);
}

TEST_CASE("unknown paths answer 404 and wrong methods 405", "[logs]") {
    LogsStack stack;
    CHECK(stack.get("/select/logsql/hits?query=*").status == 404);
    CHECK(stack.get("/").status == 404);
    CHECK(stack.get("/insert/jsonline").status == 405);
    CHECK(stack.http.send({.method = "DELETE", .url = stack.server.url() + "/select/logsql/query?query=*"}).status == 405);
}

TEST_CASE("records without a time field get the ingestion time", "[logs]") {
    const auto now = std::chrono::sys_days(std::chrono::year{2030} / 1 / 2) + 3h;
    LogsStack stack({.clock = [now] { return std::chrono::system_clock::time_point(now); }});
    REQUIRE(stack.ingest(Json::object({{"message", "no time"}}).dump()).status == 200);
    const auto hits = stack.client->query("*");
    REQUIRE(hits.size() == 1);
    CHECK(hits[0].str("_time") == "2030-01-02T03:00:00Z");
    CHECK(hits[0].str("_stream") == "{}");
}

TEST_CASE("nested objects are flattened with dots and arrays kept as JSON text", "[logs]") {
    const auto record = ingest_one(Json::parse(R"({"message":"m","location":{"file":"app.py","line":12,"deep":{"x":null,"y":false}},
                                                   "tags":["a",1],"empty":"","none":null})"),
                                   {.msg_fields = {"message"}});
    CHECK(record.field("_msg") == "m");
    CHECK(record.field("location.file") == "app.py");
    CHECK(record.field("location.line") == "12");
    CHECK(record.field("location.deep.y") == "false");
    CHECK_FALSE(record.field("location.deep.x"));  // null: missing
    CHECK(record.field("tags") == R"(["a",1])");
    CHECK_FALSE(record.field("empty"));            // empty: missing, as in VictoriaLogs
    CHECK_FALSE(record.field("none"));
    CHECK_FALSE(record.field("message"));
}

TEST_CASE("a record without a message field gets VictoriaLogs' default message", "[logs]") {
    const auto without = ingest_one(Json::object({{"message", "m"}}));  // no _msg_field declared
    CHECK(without.field("_msg") == refstack::kMissingMsgValue);
    CHECK(without.field("message") == "m");
    const auto own = ingest_one(Json::object({{"_msg", "direct"}}));
    CHECK(own.field("_msg") == "direct");
}

TEST_CASE("time fields accept RFC 3339 and Unix timestamps", "[logs]") {
    const auto time_of = [](const e2e::JsonValue& value) { return ingest_one(Json::object({{"_time", value}})).time_ns; };
    constexpr std::int64_t second = 1'000'000'000;
    CHECK(time_of("2024-03-01T10:00:00Z") == 1'709'287'200 * second);
    CHECK(time_of("2024-03-01T10:00:00.123456789Z") == 1'709'287'200 * second + 123'456'789);
    CHECK(time_of("2024-03-01T12:00:00+02:00") == 1'709'287'200 * second);
    CHECK(time_of("2024-03-01T10:00:00") == 1'709'287'200 * second);  // no zone: UTC
    CHECK(time_of(1'709'287'200) == 1'709'287'200 * second);           // seconds
    CHECK(time_of(1'709'287'200'123) == 1'709'287'200'123'000'000);    // milliseconds
    CHECK(time_of("1709287200.5") == 1'709'287'200 * second + 500'000'000);
    CHECK(time_of("0") == 42);  // "0" means now
    CHECK_THROWS_AS(time_of("2024-13-01T10:00:00Z"), std::invalid_argument);
    CHECK_THROWS_AS(time_of("2024-03-01T10:00:00+2:00"), std::invalid_argument);
    const auto custom = ingest_one(Json::object({{"ts", "2024-03-01T10:00:00Z"}, {"_time", "ignored"}}), {.time_fields = {"ts"}});
    CHECK(custom.time_ns == 1'709'287'200 * second);
    CHECK_FALSE(custom.field("ts"));
    CHECK_FALSE(custom.field("_time"));
}

TEST_CASE("rfc 3339 times format and parse back", "[logs]") {
    for (const std::int64_t ns : {std::int64_t{0}, std::int64_t{1'709'287'200'123'000'000}, std::int64_t{-1}, std::int64_t{1}}) {
        const auto text = refstack::format_rfc3339_nano(ns);
        INFO(text);
        CHECK(refstack::parse_rfc3339_nano(text) == ns);
    }
    CHECK(refstack::format_rfc3339_nano(1'709'287'200'100'000'000) == "2024-03-01T10:00:00.1Z");
    CHECK_FALSE(refstack::parse_rfc3339_nano("2024-03-01T10:00:00Zjunk"));
    CHECK_FALSE(refstack::parse_rfc3339_nano("9999-03-01T10:00:00Z"));  // beyond int64 nanoseconds
}

TEST_CASE("the stream lists the stream fields sorted and escaped", "[logs]") {
    const auto record = ingest_one(Json::object({{"job", "lambda"}, {"container_name", "a\"b"}, {"other", "x"}}),
                                   {.stream_fields = {"job", "container_name", "missing"}});
    CHECK(record.stream == R"({container_name="a\"b",job="lambda"})");
    CHECK(record.field("job") == "lambda");  // stream fields stay ordinary fields too
}

TEST_CASE("deeply nested records are rejected instead of recursing", "[logs]") {
    // Deeper than the store's 64 levels, within Json::parse's 1000 (beyond which parsing fails first).
    std::string deep = "{\"message\":\"m\",\"a\":";
    for (int i = 0; i < 100; ++i) deep += "[";
    for (int i = 0; i < 100; ++i) deep += "]";
    deep += "}";
    CHECK_THROWS_WITH(ingest_one(Json::parse(deep)), ContainsSubstring("nests deeper"));
}

TEST_CASE("invalid utf-8 in a value still renders a parsable line", "[logs]") {
    refstack::LogRecord record;
    record.fields = {{"_msg", std::string("bad \xff byte and \xc3\xa9 ok\n")}};
    const auto line = refstack::render_record_json(record);
    const auto parsed = Json::parse(line);
    CHECK(parsed.str("_msg") == "bad \xef\xbf\xbd byte and \xc3\xa9 ok\n");
}

TEST_CASE("the store drops its oldest records when full", "[logs]") {
    refstack::LogStore store(3);
    for (int i = 0; i < 5; ++i) {
        refstack::LogRecord record;
        record.time_ns = i;
        record.fields = {{"_msg", std::to_string(i)}};
        store.add(std::move(record));
    }
    CHECK(store.size() == 3);
    CHECK(store.dropped() == 2);
    const auto all = store.select(refstack::LogsQuery::parse("*"));
    REQUIRE(all.size() == 3);
    CHECK(all.front().field("_msg") == "2");
    CHECK(all.back().field("_msg") == "4");
}

TEST_CASE("the shipper delivers emitted records to the logs service", "[logs][shipper]") {
    LogsStack stack;
    refstack::HttpLogShipper shipper({.victorialogs_url = stack.server.url()});
    CHECK(shipper.insert_url() == stack.server.url() + kIngestPath);
    for (int i = 0; i < 25; ++i) shipper.emit(gateway_record("shipped " + std::to_string(i)));
    REQUIRE(shipper.flush(5s));
    CHECK(shipper.stats().shipped == 25);
    CHECK(shipper.stats().failed == 0);
    const auto hits = stack.client->query({{"trace_id", kRoot}, {"container_name", "esb-gateway"}});
    CHECK(hits.size() == 25);
    for (const auto& hit : hits) {
        CHECK_FALSE(hit.has("message"));
        CHECK_THAT(hit.str("_msg"), ContainsSubstring("shipped "));
        CHECK(hit.str("_stream") == R"({container_name="esb-gateway",job="services"})");
    }
}

TEST_CASE("the shipper accepts a full insert url", "[logs][shipper]") {
    refstack::HttpLogShipper shipper({.victorialogs_url = "http://127.0.0.1:9/insert/jsonline/"});
    CHECK(shipper.insert_url() == std::string("http://127.0.0.1:9") + kIngestPath);
    CHECK_THROWS_AS(refstack::HttpLogShipper({.victorialogs_url = "not a url"}), std::invalid_argument);
}

TEST_CASE("the shipper swallows and counts failures when the logs service is down", "[logs][shipper]") {
    std::string url;
    {
        refstack::HttpServer gone({}, [](const refstack::Request&) { return refstack::Response::text(200, ""); });
        gone.start();
        url = gone.url();
    }  // the port is closed now
    refstack::HttpLogShipper shipper({.victorialogs_url = url, .shutdown_flush = 100ms});
    const auto before = std::chrono::steady_clock::now();
    for (int i = 0; i < 5; ++i) shipper.emit(gateway_record("lost"));
    CHECK(std::chrono::steady_clock::now() - before < 500ms);  // emit() never waits for the network
    REQUIRE(shipper.flush(5s));
    CHECK(shipper.stats().failed == 5);
    CHECK(shipper.stats().shipped == 0);
}

TEST_CASE("the shipper counts non-2xx answers as failures", "[logs][shipper]") {
    refstack::HttpServer refusing({}, [](const refstack::Request&) { return refstack::Response::text(503, "busy"); });
    refusing.start();
    refstack::HttpLogShipper shipper({.victorialogs_url = refusing.url()});
    shipper.emit(gateway_record("x"));
    REQUIRE(shipper.flush(5s));
    CHECK(shipper.stats().failed == 1);
}

TEST_CASE("a full shipper queue drops its oldest records", "[logs][shipper]") {
    Gate gate;
    refstack::HttpServer slow({}, [&](const refstack::Request& request) { return gate.handle(request); });
    slow.start();
    {
        refstack::HttpLogShipper shipper({.victorialogs_url = slow.url(), .max_queue = 3, .max_batch = 1});
        shipper.emit(gateway_record("in flight"));
        gate.wait_for_request();  // the sender is now blocked on the first record
        for (int i = 0; i < 10; ++i) shipper.emit(gateway_record("queued"));
        CHECK(shipper.stats().dropped == 7);
        CHECK(shipper.stats().emitted == 11);
        CHECK_FALSE(shipper.flush(50ms));
        gate.release();
        CHECK(shipper.flush(5s));
        CHECK(shipper.stats().shipped == 4);
    }
    slow.stop();
}

TEST_CASE("the shipper drops records that are not JSON objects", "[logs][shipper]") {
    LogsStack stack;
    refstack::HttpLogShipper shipper({.victorialogs_url = stack.server.url()});
    shipper.emit(Json::parse("[1]"));
    shipper.emit(Json::parse("\"text\""));
    REQUIRE(shipper.flush(2s));
    CHECK(shipper.stats().dropped == 2);
    CHECK(stack.service.store().size() == 0);
}

TEST_CASE("waiting for hits succeeds when records arrive before the deadline", "[logs][wait]") {
    LogsStack stack;
    refstack::HttpLogShipper shipper({.victorialogs_url = stack.server.url()});
    std::thread late([&] {
        std::this_thread::sleep_for(300ms);
        shipper.emit(gateway_record("Echo: from-chain"));
    });
    const auto wait = stack.client->wait_for_hits({{"trace_id", kRoot}}, std::chrono::steady_clock::now() + 10s,
                                                  {.poll_interval = 50ms}, [](const Json& hit) {
                                                      return e2e::log_message(hit).value_or("").find("Echo: from-chain") != std::string::npos;
                                                  });
    late.join();
    CHECK(wait.matched);
    CHECK(wait.hits.size() == 1);
    CHECK(wait.attempts >= 2);
    CHECK(wait.query == std::string("trace_id:\"") + kRoot + "\"");
}

TEST_CASE("waiting for hits reports the last hits when the predicate never holds", "[logs][wait]") {
    LogsStack stack;
    REQUIRE(stack.ingest(gateway_record("something else").dump()).status == 200);
    const auto wait = stack.client->wait_for_hits({{"trace_id", kRoot}}, std::chrono::steady_clock::now() + 300ms,
                                                  {.poll_interval = 50ms}, [](const Json& hit) { return hit.str("missing") == "x"; });
    CHECK_FALSE(wait.matched);
    CHECK(wait.hits.size() == 1);  // kept for the failure message
    CHECK(wait.attempts >= 2);
    CHECK(wait.waited >= 250ms);
    CHECK_THAT(wait.describe(), ContainsSubstring("did not match") && ContainsSubstring("something else"));
}

TEST_CASE("waiting for hits needs min hits records", "[logs][wait]") {
    LogsStack stack;
    REQUIRE(stack.ingest(gateway_record("a").dump() + "\n" + gateway_record("b").dump()).status == 200);
    const auto deadline = std::chrono::steady_clock::now() + 200ms;
    CHECK_FALSE(stack.client->wait_for_hits({{"trace_id", kRoot}}, deadline, {.min_hits = 3, .poll_interval = 50ms}).matched);
    CHECK(stack.client->wait_for_hits({{"trace_id", kRoot}}, deadline, {.min_hits = 2}).matched);
}

TEST_CASE("waiting for hits makes one attempt even after the deadline and reports errors", "[logs][wait]") {
    LogsStack stack;
    const auto wait = stack.client->wait_for_hits(R"(bad:"query)", std::chrono::steady_clock::now() - 1s);
    CHECK(wait.attempts == 1);
    CHECK_FALSE(wait.matched);
    CHECK_THAT(wait.last_error, ContainsSubstring("400"));
    CHECK_THAT(wait.describe(), ContainsSubstring("last error"));
}
