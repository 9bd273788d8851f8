// e2e::sigv4 against AWS's SigV4 test vectors (read from ../shared at run time, never copied),
// plus the rules the vectors do not cover: S3's path and body hash, presign expiry, verification.
#include "e2e/sigv4.hpp"

#include <catch2/catch_test_macros.hpp>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "e2e/json.hpp"
#include "support/shared_data.hpp"

namespace sigv4 = e2e::sigv4;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

std::string read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path.string());
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// request.txt and *-signed-request.txt: "METHOD target HTTP/1.1", "Name:value" lines (a line
// starting with whitespace continues the previous value), a blank line, the body.
struct HttpText {
    std::string method;
    std::string target;
    std::string version;
    sigv4::Request request;
};

HttpText parse_http_text(std::string_view text, const fs::path& file) {
    auto next_line = [&text](std::string_view& line) {
        if (text.empty()) return false;
        const auto end = text.find('\n');
        line = text.substr(0, end);
        text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
        return true;
    };
    std::string_view line;
    if (!next_line(line)) throw std::runtime_error(file.string() + ": empty");
    const auto first_space = line.find(' ');
    const auto last_space = line.rfind(' ');
    if (first_space == std::string_view::npos || first_space == last_space)
        throw std::runtime_error(file.string() + ": bad request line '" + std::string(line) + "'");
    HttpText out;
    out.method = line.substr(0, first_space);
    out.target = line.substr(first_space + 1, last_space - first_space - 1);  // may hold spaces
    out.version = line.substr(last_space + 1);
    out.request.method = out.method;
    const auto question = out.target.find('?');
    out.request.path = out.target.substr(0, question);
    if (question != std::string::npos) out.request.query = out.target.substr(question + 1);

    while (next_line(line) && !line.empty()) {
        if (line.front() == ' ' || line.front() == '\t') {
            if (out.request.headers.empty())
                throw std::runtime_error(file.string() + ": continuation line before any header");
            out.request.headers.back().second += '\n' + std::string(line);
            continue;
        }
        const auto colon = line.find(':');
        if (colon == std::string_view::npos)
            throw std::runtime_error(file.string() + ": header line without ':' '" + std::string(line) + "'");
        out.request.headers.emplace_back(line.substr(0, colon), line.substr(colon + 1));
    }
    out.request.body = text;
    return out;
}

std::string render_http_text(const HttpText& http, const std::string& query_string,
                             const std::vector<std::pair<std::string, std::string>>& extra_headers) {
    std::string out = http.method + ' ' + http.request.path + (query_string.empty() ? "" : "?" + query_string) + ' ' +
                      http.version + '\n';
    for (const auto& [name, value] : http.request.headers) out += name + ':' + value + '\n';
    for (const auto& [name, value] : extra_headers) out += name + ':' + value + '\n';
    return out + '\n' + http.request.body;
}

// context.json's timestamp: "2015-08-30T12:36:00Z".
std::chrono::system_clock::time_point parse_iso_timestamp(const std::string& text) {
    std::string compact;
    std::copy_if(text.begin(), text.end(), std::back_inserter(compact), [](char c) { return c != '-' && c != ':'; });
    const auto time = sigv4::parse_amz_date(compact);
    if (!time) throw std::runtime_error("bad timestamp in context.json: " + text);
    return *time;
}

struct VectorContext {
    sigv4::Credentials credentials;
    sigv4::Options options;
};

VectorContext load_context(const fs::path& file) {
    const auto json = e2e::Json::parse(read_file(file));
    VectorContext out;
    out.credentials.access_key_id = json.str("credentials.access_key_id");
    out.credentials.secret_access_key = json.str("credentials.secret_access_key");
    if (json.has("credentials.token")) out.credentials.session_token = json.str("credentials.token");
    out.options.region = json.str("region");
    out.options.service = json.str("service");
    out.options.time = parse_iso_timestamp(json.str("timestamp"));
    out.options.normalize_path = json.boolean("normalize");
    out.options.sign_body = json.boolean("sign_body");
    out.options.expires = std::chrono::seconds(json.integer("expiration_in_seconds"));
    if (json.has("omit_session_token")) out.options.omit_session_token = json.boolean("omit_session_token");
    return out;
}

std::vector<fs::path> vector_cases(const fs::path& dir) {
    std::vector<fs::path> cases;
    for (const auto& entry : fs::directory_iterator(dir))
        if (entry.is_directory()) cases.push_back(entry.path());
    std::sort(cases.begin(), cases.end());
    return cases;
}

sigv4::SecretLookup secret_of(const sigv4::Credentials& credentials) {
    return [credentials](std::string_view key) -> std::optional<std::string> {
        if (key == credentials.access_key_id) return credentials.secret_access_key;
        return std::nullopt;
    };
}

sigv4::VerifyOptions verify_options_for(const sigv4::Options& options) {
    sigv4::VerifyOptions out;
    out.now = options.time;
    out.normalize_path = options.normalize_path;
    out.double_encode_path = options.double_encode_path;
    out.payload_hash = options.payload_hash;
    return out;
}

sigv4::Request with_signed_headers(sigv4::Request request, const sigv4::Signed& signed_request) {
    for (const auto& header : signed_request.headers) request.headers.push_back(header);
    return request;
}

sigv4::Request with_signed_query(sigv4::Request request, const sigv4::Signed& signed_request) {
    request.query = signed_request.query_string;
    return request;
}

const auto fixed_time = *sigv4::parse_amz_date("20150830T123600Z");
const sigv4::Credentials example_credentials{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};

sigv4::Request s3_put(std::string path, std::string body) {
    sigv4::Request request;
    request.method = "PUT";
    request.path = std::move(path);
    request.headers = {{"Host", "bucket.s3.localhost"}, {"Content-Type", "text/plain"}};
    request.body = std::move(body);
    return request;
}

sigv4::Options service_options(std::chrono::system_clock::time_point time = fixed_time) {
    sigv4::Options options;
    options.region = "us-east-1";
    options.service = "dynamodb";
    options.time = time;
    return options;
}

}  // namespace

TEST_CASE("the signer reproduces every AWS SigV4 test vector in header and query form", "[sigv4]") {
    const fs::path dir = e2e::test::shared_path(E2E_SIGV4_VECTORS_DIR, "E2E_SIGV4_VECTORS_DIR");
    const auto cases = vector_cases(dir);
    REQUIRE(cases.size() > 30);  // an emptied folder must not pass vacuously

    for (const auto& folder : cases) {
        DYNAMIC_SECTION(folder.filename().string()) {
            const auto context = load_context(folder / "context.json");
            const auto http = parse_http_text(read_file(folder / "request.txt"), folder / "request.txt");

            const auto by_header = sigv4::sign_headers(http.request, context.credentials, context.options);
            CHECK(by_header.canonical_request == read_file(folder / "header-canonical-request.txt"));
            CHECK(by_header.string_to_sign == read_file(folder / "header-string-to-sign.txt"));
            CHECK(by_header.signature == read_file(folder / "header-signature.txt"));
            CHECK(render_http_text(http, by_header.query_string, by_header.headers) ==
                  read_file(folder / "header-signed-request.txt"));

            const auto by_query = sigv4::presign(http.request, context.credentials, context.options);
            CHECK(by_query.canonical_request == read_file(folder / "query-canonical-request.txt"));
            CHECK(by_query.string_to_sign == read_file(folder / "query-string-to-sign.txt"));
            CHECK(by_query.signature == read_file(folder / "query-signature.txt"));
            CHECK(render_http_text(http, by_query.query_string, {}) == read_file(folder / "query-signed-request.txt"));
        }
    }
}

TEST_CASE("the verifier accepts the signed request of every AWS SigV4 test vector", "[sigv4]") {
    const fs::path dir = e2e::test::shared_path(E2E_SIGV4_VECTORS_DIR, "E2E_SIGV4_VECTORS_DIR");
    const auto cases = vector_cases(dir);
    REQUIRE(cases.size() > 30);

    for (const auto& folder : cases) {
        DYNAMIC_SECTION(folder.filename().string()) {
            const auto context = load_context(folder / "context.json");
            const auto secrets = secret_of(context.credentials);
            const auto options = verify_options_for(context.options);

            const auto by_header = parse_http_text(read_file(folder / "header-signed-request.txt"), folder / "header-signed-request.txt");
            const auto header_verdict = sigv4::verify_headers(by_header.request, secrets, options);
            INFO(header_verdict.reason);
            CHECK(header_verdict.valid);
            CHECK(header_verdict.canonical_request == read_file(folder / "header-canonical-request.txt"));

            // A token added after signing is in the URL but outside the signature; a server
            // that checks presigned URLs cannot tell it apart, so it is rejected.
            const auto by_query = parse_http_text(read_file(folder / "query-signed-request.txt"), folder / "query-signed-request.txt");
            const auto query_verdict = sigv4::verify_presigned(by_query.request, secrets, options);
            INFO(query_verdict.reason);
            if (context.options.omit_session_token && !context.credentials.session_token.empty()) {
                CHECK_FALSE(query_verdict.valid);
            } else {
                CHECK(query_verdict.valid);
                CHECK(query_verdict.canonical_request == read_file(folder / "query-canonical-request.txt"));
            }
        }
    }
}

TEST_CASE("S3 signing keeps an unnormalised path and encodes it once", "[sigv4]") {
    const auto options = sigv4::s3_options("us-east-1", fixed_time);
    const auto signed_request = sigv4::sign_headers(s3_put("/a//b/../c", "x"), example_credentials, options);
    CHECK(signed_request.canonical_request.starts_with("PUT\n/a//b/../c\n"));

    // Already encoded on the wire: S3 keeps it; other services encode it a second time.
    CHECK(sigv4::canonical_uri("/my%20key/caf%C3%A9", false, false) == "/my%20key/caf%C3%A9");
    CHECK(sigv4::canonical_uri("/my key/café", false, false) == "/my%20key/caf%C3%A9");
    CHECK(sigv4::canonical_uri("/my%20key", true, true) == "/my%2520key");
    CHECK(sigv4::canonical_uri("/a//b/../c", true, true) == "/a/c");
    CHECK(sigv4::canonical_uri("/a/b/..", true, true) == "/a/");
    CHECK(sigv4::canonical_uri("", true, true) == "/");
}

TEST_CASE("S3 signing sends and signs x-amz-content-sha256", "[sigv4]") {
    const auto options = sigv4::s3_options("eu-west-1", fixed_time);
    const auto signed_request = sigv4::sign_headers(s3_put("/key", "hello"), example_credentials, options);
    const std::string body_hash = sigv4::sha256_hex("hello");
    REQUIRE(body_hash == "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");

    const auto header = std::find_if(signed_request.headers.begin(), signed_request.headers.end(),
                                     [](const auto& h) { return h.first == "x-amz-content-sha256"; });
    REQUIRE(header != signed_request.headers.end());
    CHECK(header->second == body_hash);
    CHECK(signed_request.canonical_request.find("\nx-amz-content-sha256:" + body_hash + '\n') != std::string::npos);
    CHECK(signed_request.canonical_request.ends_with('\n' + body_hash));
    CHECK(signed_request.headers.back().first == "Authorization");
    CHECK(signed_request.headers.back().second.find(
              "Credential=AKIDEXAMPLE/20150830/eu-west-1/s3/aws4_request, "
              "SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date, Signature=") != std::string::npos);

    auto unsigned_options = options;
    unsigned_options.payload_hash = std::string(sigv4::unsigned_payload);
    const auto unsigned_request = sigv4::sign_headers(s3_put("/key", "hello"), example_credentials, unsigned_options);
    CHECK(unsigned_request.canonical_request.ends_with("\nUNSIGNED-PAYLOAD"));
    CHECK(unsigned_request.canonical_request.find("\nx-amz-content-sha256:UNSIGNED-PAYLOAD\n") != std::string::npos);
}

TEST_CASE("presign adds X-Amz-Expires and is deterministic for a fixed time", "[sigv4]") {
    auto options = sigv4::s3_options("us-east-1", fixed_time);
    options.payload_hash = std::string(sigv4::unsigned_payload);
    options.expires = 300s;
    sigv4::Request request;
    request.path = "/bucket/my key.txt";
    request.query = "versionId=3";
    request.headers = {{"Host", "s3.localhost:9000"}};

    const auto first = sigv4::presign(request, example_credentials, options);
    const auto second = sigv4::presign(request, example_credentials, options);
    CHECK(first.query_string == second.query_string);
    CHECK(first.signature == second.signature);
    CHECK(first.headers.empty());
    CHECK(first.query_string.starts_with("versionId=3&X-Amz-Algorithm=AWS4-HMAC-SHA256&"));
    CHECK(first.query_string.find("&X-Amz-Expires=300&") != std::string::npos);
    CHECK(first.query_string.ends_with("&X-Amz-Signature=" + first.signature));
    CHECK(first.canonical_request.ends_with("\nhost\nUNSIGNED-PAYLOAD"));

    auto later = options;
    later.time += 1s;
    CHECK(sigv4::presign(request, example_credentials, later).signature != first.signature);

    options.expires = 0s;
    CHECK_THROWS_AS(sigv4::presign(request, example_credentials, options), std::invalid_argument);
}

TEST_CASE("the signer refuses a request without Host or with its own Authorization", "[sigv4]") {
    sigv4::Request request;
    CHECK_THROWS_AS(sigv4::sign_headers(request, example_credentials, service_options()), std::invalid_argument);
    request.headers = {{"Host", "example.amazonaws.com"}, {"Authorization", "Bearer x"}};
    CHECK_THROWS_AS(sigv4::sign_headers(request, example_credentials, service_options()), std::invalid_argument);
}

TEST_CASE("header verification accepts a freshly signed request and rejects tampering", "[sigv4]") {
    sigv4::Request request;
    request.method = "POST";
    request.headers = {{"Host", "dynamodb.localhost:8000"}, {"Content-Type", "application/x-amz-json-1.0"},
                       {"X-Amz-Target", "DynamoDB_20120810.GetItem"}};
    request.body = R"({"TableName":"t","Key":{"id":{"S":"1"}}})";
    const auto options = service_options();
    const auto sent = with_signed_headers(request, sigv4::sign_headers(request, example_credentials, options));
    auto verify_options = verify_options_for(options);

    const auto accepted = sigv4::verify_headers(sent, secret_of(example_credentials), verify_options);
    INFO(accepted.reason);
    REQUIRE(accepted.valid);
    CHECK(accepted.credential.access_key_id == "AKIDEXAMPLE");
    CHECK(accepted.credential.region == "us-east-1");
    CHECK(accepted.credential.service == "dynamodb");

    SECTION("modified body") {
        auto tampered = sent;
        tampered.body += ' ';
        const auto verdict = sigv4::verify_headers(tampered, secret_of(example_credentials), verify_options);
        CHECK_FALSE(verdict.valid);
        CHECK(verdict.reason.find("signature does not match") != std::string::npos);
    }
    SECTION("modified signed header") {
        auto tampered = sent;
        tampered.headers[2].second = "DynamoDB_20120810.DeleteItem";
        CHECK_FALSE(sigv4::verify_headers(tampered, secret_of(example_credentials), verify_options).valid);
    }
    SECTION("wrong secret") {
        auto wrong = example_credentials;
        wrong.secret_access_key = "not-the-secret";
        CHECK_FALSE(sigv4::verify_headers(sent, secret_of(wrong), verify_options).valid);
    }
    SECTION("unknown access key") {
        const auto verdict = sigv4::verify_headers(sent, [](std::string_view) { return std::nullopt; }, verify_options);
        CHECK_FALSE(verdict.valid);
        CHECK(verdict.reason == "unknown access key id 'AKIDEXAMPLE'");
    }
    SECTION("clock skew beyond 15 minutes") {
        verify_options.now = fixed_time + 16min;
        const auto verdict = sigv4::verify_headers(sent, secret_of(example_credentials), verify_options);
        CHECK_FALSE(verdict.valid);
        CHECK(verdict.reason.find("X-Amz-Date 20150830T123600Z is more than 900s") != std::string::npos);
    }
    SECTION("no Authorization header") {
        CHECK(sigv4::verify_headers(request, secret_of(example_credentials), verify_options).reason ==
              "no Authorization header");
    }
}

TEST_CASE("S3 header verification rejects a body that does not match x-amz-content-sha256", "[sigv4]") {
    const auto options = sigv4::s3_options("us-east-1", fixed_time);
    const auto request = s3_put("/bucket/a//b", "payload");
    const auto sent = with_signed_headers(request, sigv4::sign_headers(request, example_credentials, options));
    const auto verify_options = verify_options_for(options);
    const auto accepted = sigv4::verify_headers(sent, secret_of(example_credentials), verify_options);
    INFO(accepted.reason);
    CHECK(accepted.valid);

    auto tampered = sent;
    tampered.body = "PAYLOAD";
    CHECK(sigv4::verify_headers(tampered, secret_of(example_credentials), verify_options).reason ==
          "x-amz-content-sha256 does not match the body");
}

TEST_CASE("presigned verification accepts until expiry and rejects tampering", "[sigv4]") {
    auto options = sigv4::s3_options("us-east-1", fixed_time);
    options.payload_hash = std::string(sigv4::unsigned_payload);
    options.expires = 60s;
    sigv4::Request request;
    request.path = "/bucket/key";
    request.headers = {{"Host", "s3.localhost:9000"}};
    const auto credentials = sigv4::Credentials{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "tok/en+="};
    const auto sent = with_signed_query(request, sigv4::presign(request, credentials, options));
    auto verify_options = verify_options_for(options);

    verify_options.now = fixed_time + 59s;
    const auto accepted = sigv4::verify_presigned(sent, secret_of(credentials), verify_options);
    INFO(accepted.reason);
    CHECK(accepted.valid);
    CHECK(accepted.session_token == "tok/en+=");

    SECTION("expired") {
        verify_options.now = fixed_time + 60s;
        const auto verdict = sigv4::verify_presigned(sent, secret_of(credentials), verify_options);
        CHECK_FALSE(verdict.valid);
        CHECK(verdict.reason.find("expired at 20150830T123700Z") != std::string::npos);
    }
    SECTION("wrong secret") {
        auto wrong = credentials;
        wrong.secret_access_key = "nope";
        CHECK_FALSE(sigv4::verify_presigned(sent, secret_of(wrong), verify_options).valid);
    }
    SECTION("modified path") {
        auto tampered = sent;
        tampered.path = "/bucket/other";
        CHECK_FALSE(sigv4::verify_presigned(tampered, secret_of(credentials), verify_options).valid);
    }
    SECTION("expiry stretched") {
        auto tampered = sent;
        const auto at = tampered.query.find("X-Amz-Expires=60");
        REQUIRE(at != std::string::npos);
        tampered.query.replace(at, 16, "X-Amz-Expires=600");
        CHECK_FALSE(sigv4::verify_presigned(tampered, secret_of(credentials), verify_options).valid);
    }
    SECTION("missing signature") {
        auto stripped = sent;
        stripped.query = stripped.query.substr(0, stripped.query.find("&X-Amz-Signature="));
        CHECK(sigv4::verify_presigned(stripped, secret_of(credentials), verify_options).reason ==
              "query parameter X-Amz-Signature is missing");
    }
}

TEST_CASE("parse_authorization reads the scope and rejects malformed headers", "[sigv4]") {
    const auto parsed = sigv4::parse_authorization(
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
    CHECK(parsed.credential.access_key_id == "AKIDEXAMPLE");
    CHECK(parsed.credential.date == "20150830");
    CHECK(parsed.credential.region == "us-east-1");
    CHECK(parsed.credential.service == "service");
    CHECK(parsed.signed_headers == std::vector<std::string>{"host", "x-amz-date"});
    CHECK(parsed.signature == "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");

    CHECK_THROWS_AS(sigv4::parse_authorization("Bearer abc"), std::invalid_argument);
    CHECK_THROWS_AS(sigv4::parse_authorization("AWS4-HMAC-SHA256 Credential=A/20150830/r/s/aws4_request, "
                                               "SignedHeaders=host, Signature=abc"),
                    std::invalid_argument);
    CHECK_THROWS_AS(sigv4::parse_credential("A/2015083/r/s/aws4_request"), std::invalid_argument);
    CHECK_THROWS_AS(sigv4::parse_credential("A/20150830/r/s/aws5_request"), std::invalid_argument);
}

TEST_CASE("amz dates format and parse round-trip", "[sigv4]") {
    using namespace std::chrono;
    const auto time = sys_days{2024y / February / 29} + 23h + 59min + 58s;
    CHECK(sigv4::format_amz_date(time) == "20240229T235958Z");
    CHECK(sigv4::format_amz_date(time + 999ms) == "20240229T235958Z");  // sub-second precision dropped
    CHECK(sigv4::parse_amz_date("20240229T235958Z") == time);
    CHECK(sigv4::parse_amz_date(sigv4::format_amz_date(fixed_time)) == fixed_time);

    CHECK_FALSE(sigv4::parse_amz_date("20230229T000000Z"));  // not a leap year
    CHECK_FALSE(sigv4::parse_amz_date("20240229T240000Z"));
    CHECK_FALSE(sigv4::parse_amz_date("20240229 235958Z"));
    CHECK_FALSE(sigv4::parse_amz_date("2024-02-29T23:59:58Z"));
    CHECK_FALSE(sigv4::parse_amz_date("+0240229T235958Z"));
    CHECK_FALSE(sigv4::parse_amz_date(""));
}

TEST_CASE("uri_encode keeps only the RFC 3986 unreserved set", "[sigv4]") {
    CHECK(sigv4::uri_encode("a-._~Z9 /+=&\xE1\x88\xB4", true) == "a-._~Z9%20%2F%2B%3D%26%E1%88%B4");
    CHECK(sigv4::uri_encode("/a b/", false) == "/a%20b/");
    CHECK(sigv4::uri_decode("%E1%88%b4+%zz%4") == "\xE1\x88\xB4+%zz%4");
    CHECK(sigv4::canonical_query("b=2&a=&c&a=1") == "a=&a=1&b=2&c=");
    CHECK(sigv4::hex(sigv4::hmac_sha256("key", "The quick brown fox jumps over the lazy dog")) ==
          "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8");
}
