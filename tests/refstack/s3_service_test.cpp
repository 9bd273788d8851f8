// The refstack S3 service driven over HTTP by e2e::S3Client (contract 1.12, STD-019..024, STD-X1).
#include "s3_service.hpp"

#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <mutex>
#include <regex>
#include <set>
#include <thread>
#include <vector>

#include "e2e/http.hpp"
#include "e2e/sigv4.hpp"
#include "e2e/xml.hpp"
#include "s3_test_stack.hpp"

using Catch::Matchers::ContainsSubstring;
using refstack::test::kS3Bucket;
using refstack::test::S3TestStack;
using refstack::test::TempDir;
namespace fs = std::filesystem;

namespace {

// Every file under `root`, relative, sorted.
std::vector<std::string> files_under(const fs::path& root) {
    std::vector<std::string> out;
    for (const auto& entry : fs::recursive_directory_iterator(root))
        if (entry.is_regular_file()) out.push_back(fs::relative(entry.path(), root).string());
    std::sort(out.begin(), out.end());
    return out;
}

std::string binary_payload(std::size_t size, unsigned seed) {
    std::string out(size, '\0');
    for (std::size_t i = 0; i < size; ++i) out[i] = static_cast<char>((i * 131u + seed * 7919u + (i >> 8)) & 0xFF);
    return out;
}

// The S3 error code of a response, or a text no test expects when it is not an error.
std::string code_of(const e2e::HttpResponse& response) {
    const auto error = e2e::aws_error_of(response, response.method, response.url);
    return error ? error->code : fmt::format("(no error: HTTP {})", response.status);
}

// A request signed for one body and sent with another.
e2e::HttpResponse send_with_swapped_body(const std::string& endpoint, const std::string& path, const std::string& signed_body,
                                         const std::string& sent_body) {
    const std::string host = endpoint.substr(std::string("http://").size());
    e2e::sigv4::Request request{"PUT", path, "", {{"Host", host}}, signed_body};
    const auto signed_request = e2e::sigv4::sign_headers(
        request, {refstack::test::kS3AccessKey, refstack::test::kS3SecretKey, {}},
        e2e::sigv4::s3_options("ap-northeast-1", std::chrono::system_clock::now()));
    e2e::HttpRequest http{"PUT", endpoint + path, {{"Host", host}}, sent_body};
    for (const auto& header : signed_request.headers) http.headers.push_back(header);
    e2e::HttpClient client;
    return client.send(http);
}

}  // namespace

TEST_CASE("s3 put then get returns the same bytes with ETag Content-Type and Last-Modified", "[s3]") {
    TempDir dir("put-get");
    S3TestStack stack(dir.path());
    auto s3 = stack.client();

    const auto put = s3->put_object(kS3Bucket, "test-object-1.txt", "hello", {.content_type = "text/plain", .metadata = {}});
    REQUIRE(put.ok());
    CHECK(put->etag == "\"5d41402abc4b2a76b9719d911017c592\"");  // MD5("hello")
    CHECK(put->request_id.size() == 16);

    const auto get = s3->get_object(kS3Bucket, "test-object-1.txt");
    REQUIRE(get.ok());
    CHECK(get->body == "hello");
    CHECK(get->etag == put->etag);
    CHECK(get->content_type == "text/plain");
    CHECK(get->content_length == 5);
    CHECK(std::regex_match(get->last_modified, std::regex(R"([A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT)")));
}

TEST_CASE("s3 put without a content type stores binary octet-stream and keeps user metadata", "[s3]") {
    TempDir dir("metadata");
    S3TestStack stack(dir.path());
    auto s3 = stack.client();
    REQUIRE(s3->put_object(kS3Bucket, "meta.bin", "x", {.content_type = "", .metadata = {{"owner", "e2e"}, {"run", "42"}}}).ok());
    const auto head = s3->head_object(kS3Bucket, "meta.bin");
    REQUIRE(head.ok());
    CHECK(head->content_type == "binary/octet-stream");
    CHECK(head->metadata == e2e::S3Metadata{{"owner", "e2e"}, {"run", "42"}});
}

TEST_CASE("s3 overwriting a key returns the latest content", "[s3][STD-022]") {
    TempDir dir("overwrite");
    S3TestStack stack(dir.path());
    auto s3 = stack.client();
    REQUIRE(s3->put_object(kS3Bucket, "test-overwrite.txt", "original").ok());
    REQUIRE(s3->put_object(kS3Bucket, "test-overwrite.txt", "overwritten").ok());
    const auto get = s3->get_object(kS3Bucket, "test-overwrite.txt");
    REQUIRE(get.ok());
    CHECK(get->body == "overwritten");
    const auto listing = s3->list_all_objects(kS3Bucket, "test-overwrite");
    REQUIRE(listing.ok());
    REQUIRE(listing->size() == 1);
    CHECK((*listing)[0].size == 11);
    CHECK((*listing)[0].etag == get->etag);
}

TEST_CASE("s3 list with a prefix returns exactly the keys under it in order", "[s3][STD-020][STD-023]") {
    TempDir dir("prefix");
    S3TestStack stack(dir.path());
    auto s3 = stack.client();
    for (const char* key : {"prefix-test-1/file2.txt", "prefix-test-1/file0.txt", "prefix-test-1/file1.txt",
                            "prefix-test-10/other.txt", "prefix-test-2/file0.txt", "unrelated.txt"})
        REQUIRE(s3->put_object(kS3Bucket, key, key).ok());

    const auto listing = s3->list_objects_v2(kS3Bucket, {.prefix = "prefix-test-1/"});
    REQUIRE(listing.ok());
    CHECK(listing->key_count == 3);
    CHECK_FALSE(listing->is_truncated);
    CHECK(listing->prefix == "prefix-test-1/");
    std::vector<std::string> keys;
    for (const auto& object : listing->contents) keys.push_back(object.key);
    CHECK(keys == std::vector<std::string>{"prefix-test-1/file0.txt", "prefix-test-1/file1.txt", "prefix-test-1/file2.txt"});
    CHECK(listing->contents[0].size == std::string("prefix-test-1/file0.txt").size());
    CHECK(listing->contents[0].storage_class == "STANDARD");
    CHECK(std::regex_match(listing->contents[0].last_modified, std::regex(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)")));

    const auto all = s3->list_objects_v2(kS3Bucket);
    REQUIRE(all.ok());
    CHECK(all->key_count == 6);
}

TEST_CASE("s3 listing pages with max keys and continuation tokens visit every key once", "[s3]") {
    TempDir dir("paging");
    S3TestStack stack(dir.path());
    auto s3 = stack.client();
    std::set<std::string> expected;
    for (int i = 0; i < 7; ++i) {
        const std::string key = fmt::format("page/{:02}", i);
        REQUIRE(s3->put_object(kS3Bucket, key, "v").ok());
        expected.insert(key);
    }
    std::vector<std::string> seen;
    e2e::ListObjectsV2Options options{.prefix = "page/", .max_keys = 3};
    int pages = 0;
    while (true) {
        const auto page = s3->list_objects_v2(kS3Bucket, options);
        REQUIRE(page.ok());
        ++pages;
        CHECK(page->max_keys == 3);
        CHECK(page->key_count == static_cast<int>(page->contents.size()));
        for (const auto& object : page->contents) seen.push_back(object.key);
        if (!page->is_truncated) {
            CHECK(page->next_continuation_token.empty());
            break;
        }
        CHECK(page->key_count == 3);
        REQUIRE_FALSE(page->next_continuation_token.empty());
        options.continuation_token = page->next_continuation_token;
        REQUIRE(pages < 10);
    }
    CHECK(pages == 3);
    CHECK(seen == std::vector<std::string>(expected.begin(), expected.end()));

    const auto after = s3->list_objects_v2(kS3Bucket, {.prefix = "page/", .start_after = "page/04"});
    REQUIRE(after.ok());
    REQUIRE(after->contents.size() == 2);
    CHECK(after->contents[0].key == "page/05");

    const auto bad = s3->list_objects_v2(kS3Bucket, {.continuation_token = "not-a-token"});
    CHECK(bad.error_code() == "InvalidArgument");
    CHECK(s3->send_signed("GET", fmt::format("/{}", kS3Bucket), "list-type=2&max-keys=abc").status == 400);
}

TEST_CASE("s3 listing with a delimiter groups keys into common prefixes across pages", "[s3]") {
    TempDir dir("delimiter");
    S3TestStack stack(dir.path());
    auto s3 = stack.client();
    for (const char* key : {"d/a/1", "d/a/2", "d/b/1", "d/c", "d/e/1", "d/e/2"}) REQUIRE(s3->put_object(kS3Bucket, key, "v").ok());

    const auto whole = s3->list_objects_v2(kS3Bucket, {.prefix = "d/", .delimiter = "/"});
    REQUIRE(whole.ok());
    CHECK(whole->common_prefixes == std::vector<std::string>{"d/a/", "d/b/", "d/e/"});
    REQUIRE(whole->contents.size() == 1);
    CHECK(whole->contents[0].key == "d/c");
    CHECK(whole->key_count == 4);

    std::vector<std::string> entries;
    e2e::ListObjectsV2Options options{.prefix = "d/", .delimiter = "/", .max_keys = 1};
    for (int page = 0; page < 10; ++page) {
        const auto result = s3->list_objects_v2(kS3Bucket, options);
        REQUIRE(result.ok());
        for (const auto& common : result->common_prefixes) entries.push_back(common);
        for (const auto& object : result->contents) entries.push_back(object.key);
        if (!result->is_truncated) break;
        options.continuation_token = result->next_continuation_token;
    }
    CHECK(entries == std::vector<std::string>{"d/a/", "d/b/", "d/c", "d/e/"});
}

TEST_CASE("s3 listing url-encodes keys with spaces plus signs and non-ASCII text", "[s3]") {
    TempDir dir("encoding");
    S3TestStack stack(dir.path());
    auto s3 = stack.client();
    const std::string key = "dir/a b+c \xC3\xBC&<x>.txt";
    REQUIRE(s3->put_object(kS3Bucket, key, "v").ok());
    const auto listing = s3->list_objects_v2(kS3Bucket, {.prefix = "dir/a b"});
    REQUIRE(listing.ok());
    REQUIRE(listing->contents.size() == 1);
    CHECK(listing->contents[0].key == key);
    CHECK(s3->get_object(kS3Bucket, key).ok());

    const auto raw = s3->send_signed("GET", fmt::format("/{}", kS3Bucket), "list-type=2&encoding-type=url&prefix=dir%2F");
    CHECK_THAT(raw.body, ContainsSubstring("<Key>dir/a%20b%2Bc%20%C3%BC%26%3Cx%3E.txt</Key>"));
}

TEST_CASE("s3 delete removes the object and answers 204 again for a missing key", "[s3][STD-021]") {
    TempDir dir("delete");
    S3TestStack stack(dir.path());
    auto s3 = stack.client();
    REQUIRE(s3->put_object(kS3Bucket, "test-delete.txt", "to be deleted").ok());
    REQUIRE(s3->delete_object(kS3Bucket, "test-delete.txt").ok());
    const auto get = s3->get_object(kS3Bucket, "test-delete.txt");
    REQUIRE_FALSE(get.ok());
    CHECK(get.error().code == "NoSuchKey");
    CHECK(get.error().http_status == 404);
    CHECK(s3->delete_object(kS3Bucket, "test-delete.txt").ok());
    CHECK(s3->send_signed("DELETE", "/e2e-test-bucket/test-delete.txt").status == 204);
    CHECK(s3->list_all_objects(kS3Bucket, "test-delete")->empty());
}

TEST_CASE("s3 get of a missing key answers an S3 error document with resource and request id", "[s3]") {
    TempDir dir("nosuchkey");
    S3TestStack stack(dir.path());
    auto s3 = stack.client();
    const auto response = s3->send_signed("GET", "/e2e-test-bucket/missing%20key.txt");
    CHECK(response.status == 404);
    CHECK(response.header("Content-Type") == "application/xml");
    const auto document = e2e::parse_xml(response.body);
    CHECK(document.name == "Error");
    CHECK(document.child_text("Code") == "NoSuchKey");
    CHECK(document.child_text("Message") == "The specified key does not exist.");
    CHECK(document.child_text("Key") == "missing key.txt");
    CHECK(document.child_text("Resource") == "/e2e-test-bucket/missing%20key.txt");
    REQUIRE(response.header("x-amz-request-id").has_value());
    CHECK(document.child_text("RequestId") == response.header("x-amz-request-id"));

    const auto typed = s3->get_object(kS3Bucket, "missing key.txt");
    CHECK(typed.error_code() == "NoSuchKey");
    CHECK_FALSE(typed.error().request_id.empty());
    CHECK_THROWS_WITH(typed.value(), ContainsSubstring("GetObject /e2e-test-bucket/missing%20key.txt: 404 NoSuchKey"));
}

TEST_CASE("s3 operations on a missing bucket answer 404 NoSuchBucket", "[s3]") {
    TempDir dir("nosuchbucket");
    S3TestStack stack(dir.path());
    auto s3 = stack.client();
    CHECK(s3->put_object("no-such-bucket", "k", "v").error_code() == "NoSuchBucket");
    CHECK(s3->get_object("no-such-bucket", "k").error_code() == "NoSuchBucket");
    CHECK(s3->list_objects_v2("no-such-bucket").error_code() == "NoSuchBucket");
    CHECK(s3->get_bucket_lifecycle_configuration("no-such-bucket").error_code() == "NoSuchBucket");
    const auto head = s3->head_object("no-such-bucket", "k");
    CHECK(head.error_code() == "NoSuchBucket");
    CHECK(head.error().http_status == 404);
    CHECK_FALSE(fs::exists(dir.path() / "buckets" / "no-such-bucket"));
}

TEST_CASE("s3 head object reports length type and ETag and a missing key as 404", "[s3]") {
    TempDir dir("head");
    S3TestStack stack(dir.path());
    auto s3 = stack.client();
    const std::string body(1000, 'z');
    const auto put = s3->put_object(kS3Bucket, "head.txt", body, {.content_type = "text/plain", .metadata = {}});
    REQUIRE(put.ok());
    const auto head = s3->head_object(kS3Bucket, "head.txt");
    REQUIRE(head.ok());
    CHECK(head->content_length == 1000);
    CHECK(head->etag == put->etag);
    CHECK(head->content_type == "text/plain");
    const auto missing = s3->head_object(kS3Bucket, "missing.txt");
    CHECK(missing.error().http_status == 404);
    CHECK(missing.error().code == "NoSuchKey");
}

TEST_CASE("s3 create bucket makes a usable bucket and a repeat answers BucketAlreadyOwnedByYou", "[s3]") {
    TempDir dir("create-bucket");
    S3TestStack stack(dir.path());
    auto s3 = stack.client();
    const auto created = s3->create_bucket("fresh-bucket");
    REQUIRE(created.ok());
    CHECK(created->location == "/fresh-bucket");
    CHECK(s3->put_object("fresh-bucket", "k", "v").ok());
    const auto again = s3->create_bucket("fresh-bucket");
    CHECK(again.error_code() == "BucketAlreadyOwnedByYou");
    CHECK(again.error().http_status == 409);
    CHECK(s3->create_bucket(kS3Bucket).error_code() == "BucketAlreadyOwnedByYou");
    CHECK(s3->get_object("fresh-bucket", "k")->body == "v");

    const auto with_location = s3->send_signed(
        "PUT", "/located-bucket", {},
        "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        "<LocationConstraint>ap-northeast-1</LocationConstraint></CreateBucketConfiguration>");
    CHECK(with_location.status == 200);
    const auto elsewhere = s3->send_signed(
        "PUT", "/elsewhere-bucket", {},
        "<CreateBucketConfiguration><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>");
    CHECK(code_of(elsewhere) == "InvalidLocationConstraint");
}

TEST_CASE("s3 list buckets includes the configured and the created buckets", "[s3]") {
    TempDir dir("list-buckets");
    S3TestStack stack(dir.path());
    auto s3 = stack.client();
    REQUIRE(s3->create_bucket("another-bucket").ok());
    const auto buckets = s3->list_buckets();
    REQUIRE(buckets.ok());
    std::vector<std::string> names;
    for (const auto& bucket : buckets->buckets) names.push_back(bucket.name);
    CHECK(names == std::vector<std::string>{"another-bucket", "e2e-test-bucket"});
    CHECK_FALSE(buckets->owner_id.empty());
    CHECK(std::regex_match(buckets->buckets[0].creation_date, std::regex(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)")));
}

TEST_CASE("s3 the configured bucket has one enabled lifecycle rule expiring after 7 days", "[s3][STD-024]") {
    TempDir dir("lifecycle");
    S3TestStack stack(dir.path());
    auto s3 = stack.client();
    const auto lifecycle = s3->get_bucket_lifecycle_configuration(kS3Bucket);
    REQUIRE(lifecycle.ok());
    REQUIRE(lifecycle->rules.size() == 1);
    CHECK(lifecycle->rules[0].status == "Enabled");
    CHECK(lifecycle->rules[0].expiration_days == 7);
    CHECK(lifecycle->rules[0].prefix == "");
    CHECK(lifecycle->rules[0].id.empty());
}

TEST_CASE("s3 a bucket created through the API has no lifecycle configuration", "[s3]") {
    TempDir dir("no-lifecycle");
    S3TestStack stack(dir.path());
    auto s3 = stack.client();
    REQUIRE(s3->create_bucket("plain-bucket").ok());
    const auto lifecycle = s3->get_bucket_lifecycle_configuration("plain-bucket");
    CHECK(lifecycle.error_code() == "NoSuchLifecycleConfiguration");
    CHECK(lifecycle.error().http_status == 404);
}

TEST_CASE("s3 a presigned GET downloads the exact bytes with a plain HTTP client", "[s3][STD-X1]") {
    TempDir dir("presign");
    S3TestStack stack(dir.path());
    auto s3 = stack.client();
    const std::string body = binary_payload(5000, 3) + std::string("\0presign-content\xff", 17);
    REQUIRE(s3->put_object(kS3Bucket, "test-presign/a b.bin", body).ok());
    const std::string url = s3->presign_get_object(kS3Bucket, "test-presign/a b.bin", std::chrono::seconds(120));
    CHECK_THAT(url, ContainsSubstring("X-Amz-Expires=120") && ContainsSubstring("X-Amz-Signature="));
    e2e::HttpClient plain;
    const auto response = plain.get(url);
    CHECK(response.status == 200);
    CHECK(response.body == body);
    CHECK(response.header("ETag") == s3->head_object(kS3Bucket, "test-presign/a b.bin")->etag);
}

TEST_CASE("s3 a presigned GET is refused once the service clock passes its expiry", "[s3][STD-X1]") {
    TempDir dir("presign-expiry");
    S3TestStack stack(dir.path());
    auto s3 = stack.client();
    REQUIRE(s3->put_object(kS3Bucket, "expiring.txt", "presign-content").ok());
    const std::string url = s3->presign_get_object(kS3Bucket, "expiring.txt", std::chrono::seconds(60));
    e2e::HttpClient plain;
    CHECK(plain.get(url).status == 200);

    stack.advance_clock(std::chrono::seconds(61));
    const auto expired = plain.get(url);
    CHECK(expired.status == 403);
    const auto error = e2e::aws_error_of(expired, "GetObject", "/e2e-test-bucket/expiring.txt");
    REQUIRE(error.has_value());
    CHECK(error->code == "AccessDenied");
    CHECK(error->message == "Request has expired");

    const auto signed_long_ago = s3->presign_get_object(kS3Bucket, "expiring.txt", std::chrono::seconds(30),
                                                        std::chrono::system_clock::now() - std::chrono::hours(1));
    CHECK(plain.get(signed_long_ago).status == 403);
}

TEST_CASE("s3 a presigned URL valid longer than seven days is rejected", "[s3]") {
    TempDir dir("presign-week");
    S3TestStack stack(dir.path());
    auto s3 = stack.client();
    REQUIRE(s3->put_object(kS3Bucket, "week.txt", "v").ok());
    e2e::HttpClient plain;
    CHECK(plain.get(s3->presign_get_object(kS3Bucket, "week.txt", std::chrono::hours(24 * 7))).status == 200);
    const auto too_long = plain.get(s3->presign_get_object(kS3Bucket, "week.txt", std::chrono::hours(24 * 7 + 1)));
    CHECK(too_long.status == 400);
    CHECK(code_of(too_long) == "AuthorizationQueryParametersError");
}

TEST_CASE("s3 a presigned URL for another key or with a changed signature answers SignatureDoesNotMatch", "[s3]") {
    TempDir dir("presign-tamper");
    S3TestStack stack(dir.path());
    auto s3 = stack.client();
    REQUIRE(s3->put_object(kS3Bucket, "one.txt", "1").ok());
    REQUIRE(s3->put_object(kS3Bucket, "two.txt", "2").ok());
    const std::string url = s3->presign_get_object(kS3Bucket, "one.txt", std::chrono::seconds(300));
    e2e::HttpClient plain;
    std::string other_key = url;
    other_key.replace(other_key.find("one.txt"), 7, "two.txt");
    const auto moved = plain.get(other_key);
    CHECK(moved.status == 403);
    CHECK(code_of(moved) == "SignatureDoesNotMatch");

    std::string changed = url;
    const auto at = changed.find("X-Amz-Signature=") + 16;
    changed[at] = changed[at] == '0' ? '1' : '0';
    CHECK(code_of(plain.get(changed)) == "SignatureDoesNotMatch");
}

TEST_CASE("s3 a client with a wrong secret is refused with SignatureDoesNotMatch and writes nothing", "[s3]") {
    TempDir dir("wrong-secret");
    S3TestStack stack(dir.path());
    auto good = stack.client();
    auto bad = stack.client("wrong-secret-wrong-secret-wrong-s");
    REQUIRE(good->put_object(kS3Bucket, "kept.txt", "original").ok());

    const auto put = bad->put_object(kS3Bucket, "kept.txt", "attacker");
    CHECK(put.error_code() == "SignatureDoesNotMatch");
    CHECK(put.error().http_status == 403);
    CHECK_THAT(put.error().message, !ContainsSubstring(refstack::test::kS3SecretKey));
    CHECK(bad->get_object(kS3Bucket, "kept.txt").error_code() == "SignatureDoesNotMatch");
    CHECK(bad->list_objects_v2(kS3Bucket).error_code() == "SignatureDoesNotMatch");
    CHECK(bad->get_bucket_lifecycle_configuration(kS3Bucket).error_code() == "SignatureDoesNotMatch");
    CHECK(bad->delete_object(kS3Bucket, "kept.txt").error_code() == "SignatureDoesNotMatch");
    CHECK(bad->create_bucket("attacker-bucket").error_code() == "SignatureDoesNotMatch");
    e2e::HttpClient plain;
    CHECK(plain.get(bad->presign_get_object(kS3Bucket, "kept.txt", std::chrono::seconds(60))).status == 403);

    const auto response = bad->send_signed("GET", "/e2e-test-bucket/kept.txt");
    CHECK_THAT(response.body, !ContainsSubstring(refstack::test::kS3SecretKey));
    CHECK_THAT(response.body, ContainsSubstring("<CanonicalRequest>GET\n/e2e-test-bucket/kept.txt\n"));

    CHECK(good->get_object(kS3Bucket, "kept.txt")->body == "original");
    CHECK(good->list_buckets()->buckets.size() == 1);
}

TEST_CASE("s3 an unknown access key answers InvalidAccessKeyId", "[s3]") {
    TempDir dir("unknown-key");
    S3TestStack stack(dir.path());
    auto stranger = stack.client(refstack::test::kS3SecretKey, "AKIDSTRANGER");
    const auto result = stranger->get_object(kS3Bucket, "x");
    CHECK(result.error_code() == "InvalidAccessKeyId");
    CHECK(result.error().http_status == 403);
}

TEST_CASE("s3 a request without any signature answers 403 AccessDenied", "[s3]") {
    TempDir dir("anonymous");
    S3TestStack stack(dir.path());
    REQUIRE(stack.client()->put_object(kS3Bucket, "private.txt", "secret data").ok());
    e2e::HttpClient plain;
    const auto get = plain.get(stack.endpoint() + "/e2e-test-bucket/private.txt");
    CHECK(get.status == 403);
    CHECK(code_of(get) == "AccessDenied");
    CHECK_THAT(get.body, !ContainsSubstring("secret data"));
    const auto put = plain.send({"PUT", stack.endpoint() + "/e2e-test-bucket/private.txt", {}, "overwritten"});
    CHECK(put.status == 403);
    CHECK(stack.client()->get_object(kS3Bucket, "private.txt")->body == "secret data");
}

TEST_CASE("s3 a signature scoped to another region is rejected as a malformed authorization header", "[s3]") {
    TempDir dir("region");
    S3TestStack stack(dir.path());
    auto elsewhere = stack.client(refstack::test::kS3SecretKey, refstack::test::kS3AccessKey, "us-east-1");
    const auto result = elsewhere->list_buckets();
    CHECK(result.error_code() == "AuthorizationHeaderMalformed");
    CHECK(result.error().http_status == 400);
    CHECK_THAT(result.error().message, ContainsSubstring("the region 'us-east-1' is wrong; expecting 'ap-northeast-1'"));
}

TEST_CASE("s3 a request signed far from the service clock answers RequestTimeTooSkewed", "[s3]") {
    TempDir dir("skew");
    S3TestStack stack(dir.path());
    auto s3 = stack.client();
    CHECK(s3->list_buckets().ok());
    stack.advance_clock(std::chrono::minutes(16));
    const auto result = s3->list_buckets();
    CHECK(result.error_code() == "RequestTimeTooSkewed");
    CHECK(result.error().http_status == 403);
    s3->set_clock([] { return std::chrono::system_clock::now() + std::chrono::minutes(16); });
    CHECK(s3->list_buckets().ok());
}

TEST_CASE("s3 a body that does not match x-amz-content-sha256 answers XAmzContentSHA256Mismatch", "[s3]") {
    TempDir dir("sha-mismatch");
    S3TestStack stack(dir.path());
    REQUIRE(stack.client()->put_object(kS3Bucket, "swap.txt", "original").ok());
    const auto response = send_with_swapped_body(stack.endpoint(), "/e2e-test-bucket/swap.txt", "signed body", "other body!");
    CHECK(response.status == 400);
    CHECK(code_of(response) == "XAmzContentSHA256Mismatch");
    CHECK(stack.client()->get_object(kS3Bucket, "swap.txt")->body == "original");
}

TEST_CASE("s3 malformed CreateBucket XML answers MalformedXML and creates nothing", "[s3]") {
    TempDir dir("malformed-xml");
    S3TestStack stack(dir.path());
    auto s3 = stack.client();
    REQUIRE(s3->put_object(kS3Bucket, "kept.txt", "kept").ok());
    for (const std::string body : {"<CreateBucketConfiguration><LocationConstraint>", "not xml at all",
                                   "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY e \"e\">]><CreateBucketConfiguration/>",
                                   "<WrongRoot/>"}) {
        INFO("body: " << body);
        const auto response = s3->send_signed("PUT", "/malformed-bucket", {}, body);
        CHECK(response.status == 400);
        CHECK(code_of(response) == "MalformedXML");
    }
    CHECK(s3->head_object("malformed-bucket", "x").error_code() == "NoSuchBucket");
    CHECK_FALSE(fs::exists(dir.path() / "buckets" / "malformed-bucket"));
    CHECK(s3->list_buckets()->buckets.size() == 1);
    CHECK(s3->get_object(kS3Bucket, "kept.txt")->body == "kept");
}

TEST_CASE("s3 keys with dot segments or NUL are refused and nothing is written outside the data dir", "[s3]") {
    TempDir root("traversal");
    const fs::path data = root.path() / "data";
    S3TestStack stack(data);
    auto s3 = stack.client();
    REQUIRE(s3->put_object(kS3Bucket, "kept.txt", "kept").ok());
    const auto files_before = files_under(data);

    for (const std::string& key : std::vector<std::string>{"../escape.txt", "a/../../../escape.txt", "..", ".", "a/./b",
                                                           "a/..", std::string("nul\0byte", 8), "bad-utf8-\xC3"}) {
        INFO("key: " << key);
        const auto put = s3->put_object(kS3Bucket, key, "escaped");
        CHECK(put.error_code() == "InvalidArgument");
        CHECK(put.error().http_status == 400);
        CHECK(s3->get_object(kS3Bucket, key).error_code() == "InvalidArgument");
    }
    for (const std::string raw_path : {"/e2e-test-bucket/..%2F..%2Fescape.txt", "/e2e-test-bucket/%2E%2E/escape.txt",
                                       "/e2e-test-bucket/a%00b"}) {
        INFO("path: " << raw_path);
        CHECK(s3->send_signed("PUT", raw_path, {}, "escaped").status == 400);
    }
    const auto long_key = s3->put_object(kS3Bucket, std::string(1025, 'k'), "v");
    CHECK(long_key.error_code() == "KeyTooLong");
    CHECK(s3->put_object(kS3Bucket, std::string(1024, 'k'), "v").ok());
    CHECK(s3->delete_object(kS3Bucket, std::string(1024, 'k')).ok());

    std::vector<std::string> root_entries;
    for (const auto& entry : fs::directory_iterator(root.path())) root_entries.push_back(entry.path().filename().string());
    CHECK(root_entries == std::vector<std::string>{"data"});
    CHECK(files_under(data) == files_before);
    CHECK(s3->get_object(kS3Bucket, "kept.txt")->body == "kept");
    CHECK(s3->list_all_objects(kS3Bucket)->size() == 1);
}

TEST_CASE("s3 invalid bucket names answer InvalidBucketName", "[s3]") {
    TempDir dir("bucket-name");
    S3TestStack stack(dir.path());
    auto s3 = stack.client();
    for (const char* name : {"Bad_Bucket", "ab", "..", "a..b", "192.168.1.1", "-leading"}) {
        INFO("bucket: " << name);
        CHECK(s3->create_bucket(name).error_code() == "InvalidBucketName");
        CHECK(s3->put_object(name, "k", "v").error_code() == "InvalidBucketName");
    }
    CHECK(s3->send_signed("PUT", "/%2E%2E%2Fescape/k", {}, "v").status == 400);
    CHECK(files_under(dir.path()) == std::vector<std::string>{"buckets/e2e-test-bucket/bucket.meta"});
}

TEST_CASE("s3 an object above the size limit answers EntityTooLarge and keeps the previous value", "[s3]") {
    TempDir dir("too-large");
    constexpr std::size_t limit = 64 * 1024;
    S3TestStack stack(dir.path(), limit);
    auto s3 = stack.client();
    REQUIRE(s3->put_object(kS3Bucket, "big.bin", "previous").ok());

    const auto over = s3->put_object(kS3Bucket, "big.bin", std::string(limit + 1, 'x'));
    CHECK(over.error_code() == "EntityTooLarge");
    CHECK(over.error().http_status == 400);
    CHECK(s3->get_object(kS3Bucket, "big.bin")->body == "previous");

    // Beyond request_body_limit() the HTTP server answers 413 itself, before the service runs.
    const auto far_over = s3->put_object(kS3Bucket, "big.bin", std::string(stack.service().request_body_limit() + 1, 'x'));
    CHECK(far_over.error().http_status == 413);
    CHECK(stack.client()->get_object(kS3Bucket, "big.bin")->body == "previous");

    const std::string exact(limit, 'y');
    REQUIRE(s3->put_object(kS3Bucket, "big.bin", exact).ok());
    CHECK(s3->get_object(kS3Bucket, "big.bin")->body == exact);
}

TEST_CASE("s3 a wrong Content-MD5 answers BadDigest and keeps the previous value", "[s3]") {
    TempDir dir("content-md5");
    S3TestStack stack(dir.path());
    auto s3 = stack.client();
    REQUIRE(s3->put_object(kS3Bucket, "md5.txt", "previous").ok());
    // XUFAKrxLKna5cZ2REBfFkg== is MD5("hello").
    CHECK(s3->send_signed("PUT", "/e2e-test-bucket/md5.txt", {}, "hello", {{"Content-MD5", "XUFAKrxLKna5cZ2REBfFkg=="}}).status == 200);
    CHECK(s3->get_object(kS3Bucket, "md5.txt")->body == "hello");
    const auto wrong = s3->send_signed("PUT", "/e2e-test-bucket/md5.txt", {}, "other", {{"Content-MD5", "XUFAKrxLKna5cZ2REBfFkg=="}});
    CHECK(code_of(wrong) == "BadDigest");
    const auto invalid = s3->send_signed("PUT", "/e2e-test-bucket/md5.txt", {}, "other", {{"Content-MD5", "not base64"}});
    CHECK(code_of(invalid) == "InvalidDigest");
    CHECK(s3->get_object(kS3Bucket, "md5.txt")->body == "hello");
}

TEST_CASE("s3 unsupported methods and subresources answer MethodNotAllowed or NotImplemented", "[s3]") {
    TempDir dir("unsupported");
    S3TestStack stack(dir.path());
    auto s3 = stack.client();
    REQUIRE(s3->put_object(kS3Bucket, "kept.txt", "kept").ok());
    auto code_of = [&](const std::string& method, const std::string& path, const std::string& query = {}) {
        const auto response = s3->send_signed(method, path, query);
        const auto error = e2e::aws_error_of(response, method, path);
        return error ? fmt::format("{} {}", error->http_status, error->code) : std::to_string(response.status);
    };
    CHECK(code_of("POST", "/e2e-test-bucket/kept.txt") == "405 MethodNotAllowed");
    CHECK(code_of("PATCH", "/e2e-test-bucket/kept.txt") == "405 MethodNotAllowed");
    CHECK(code_of("DELETE", "/") == "405 MethodNotAllowed");
    CHECK(code_of("POST", "/e2e-test-bucket") == "405 MethodNotAllowed");
    CHECK(code_of("GET", "/e2e-test-bucket/kept.txt", "acl=") == "501 NotImplemented");
    CHECK(code_of("PUT", "/e2e-test-bucket", "lifecycle=") == "501 NotImplemented");
    CHECK(code_of("GET", "/e2e-test-bucket") == "501 NotImplemented");  // ListObjects v1
    CHECK(code_of("DELETE", "/e2e-test-bucket") == "501 NotImplemented");
    CHECK(code_of("POST", "/e2e-test-bucket", "delete=") == "501 NotImplemented");
    CHECK(code_of("PUT", "/e2e-test-bucket/kept.txt", "uploadId=1&partNumber=1") == "501 NotImplemented");
    CHECK(code_of("HEAD", "/e2e-test-bucket") == "200");
    CHECK(code_of("GET", "/e2e-test-bucket", "location=") == "200");
    CHECK(s3->get_object(kS3Bucket, "kept.txt")->body == "kept");
}

TEST_CASE("s3 objects and buckets survive destroying and recreating the service on the same data dir", "[s3][restart]") {
    TempDir dir("restart");
    std::string binary("\0\x01\x02\xff\xfe\x80 restart \0\r\n", 16);
    binary += binary_payload(70'000, 9);
    std::string etag;
    {
        S3TestStack stack(dir.path());
        auto s3 = stack.client();
        const auto put = s3->put_object(kS3Bucket, "restart/binary.bin", binary,
                                        {.content_type = "application/x-test", .metadata = {{"note", "kept"}}});
        REQUIRE(put.ok());
        etag = put->etag;
        REQUIRE(s3->put_object(kS3Bucket, "restart/deleted.txt", "gone").ok());
        REQUIRE(s3->delete_object(kS3Bucket, "restart/deleted.txt").ok());
        REQUIRE(s3->create_bucket("restart-bucket").ok());
        REQUIRE(s3->put_object("restart-bucket", "k", "v").ok());
    }
    S3TestStack restarted(dir.path());
    auto s3 = restarted.client();
    const auto get = s3->get_object(kS3Bucket, "restart/binary.bin");
    REQUIRE(get.ok());
    CHECK(get->body.size() == binary.size());
    CHECK(get->body == binary);
    CHECK(get->etag == etag);
    CHECK(get->content_type == "application/x-test");
    CHECK(get->metadata == e2e::S3Metadata{{"note", "kept"}});
    CHECK(s3->get_object(kS3Bucket, "restart/deleted.txt").error_code() == "NoSuchKey");
    const auto listing = s3->list_all_objects(kS3Bucket, "restart/");
    REQUIRE(listing.ok());
    REQUIRE(listing->size() == 1);
    CHECK((*listing)[0].etag == etag);
    CHECK(s3->get_object("restart-bucket", "k")->body == "v");
    CHECK(s3->create_bucket("restart-bucket").error_code() == "BucketAlreadyOwnedByYou");
    CHECK(s3->get_bucket_lifecycle_configuration(kS3Bucket)->rules.size() == 1);
}

TEST_CASE("s3 stale temporary files are ignored and removed on restart", "[s3][restart]") {
    TempDir dir("stale-temp");
    { S3TestStack stack(dir.path()); }
    const fs::path objects = dir.path() / "buckets" / "e2e-test-bucket" / "objects";
    const fs::path stale = objects / ".0123.object.tmp-1-1";
    std::ofstream(stale) << "half-written";
    S3TestStack restarted(dir.path());
    CHECK_FALSE(fs::exists(stale));
    CHECK(restarted.client()->list_all_objects(kS3Bucket)->empty());
}

TEST_CASE("s3 a corrupt object file stops the restart with an error naming the file", "[s3][restart]") {
    TempDir dir("corrupt");
    {
        S3TestStack stack(dir.path());
        REQUIRE(stack.client()->put_object(kS3Bucket, "victim.txt", "content").ok());
    }
    const fs::path objects = dir.path() / "buckets" / "e2e-test-bucket" / "objects";
    const fs::path file = fs::directory_iterator(objects)->path();
    std::ofstream(file, std::ios::app) << "trailing garbage";
    CHECK_THROWS_WITH(S3TestStack(dir.path()), ContainsSubstring(file.string()) && ContainsSubstring("is corrupt"));
}

TEST_CASE("s3 service options are validated and name the bad option", "[s3]") {
    TempDir dir("options");
    refstack::S3ServiceOptions options;
    options.data_dir = dir.path();
    options.access_key = "esb";
    CHECK_THROWS_WITH(refstack::S3Service(options), ContainsSubstring("secret_key is empty"));
    options.secret_key = "s";
    options.buckets = {{"Bad_Name", {}}};
    CHECK_THROWS_WITH(refstack::S3Service(options), ContainsSubstring("'Bad_Name' is not a valid S3 bucket name"));
    options.buckets.clear();
    options.data_dir.clear();
    CHECK_THROWS_WITH(refstack::S3Service(options), ContainsSubstring("data_dir is empty"));
}

TEST_CASE("s3 concurrent writers to one key leave exactly one whole payload with a matching ETag", "[s3][concurrency]") {
    TempDir dir("concurrent");
    S3TestStack stack(dir.path());
    e2e::HttpClient http;
    e2e::S3Client s3(stack.endpoint(), refstack::test::kS3AccessKey, refstack::test::kS3SecretKey, "ap-northeast-1", http);
    constexpr int writers = 8, writes = 20;
    constexpr std::size_t size = 64 * 1024;

    std::mutex mutex;
    std::map<std::string, std::string> etag_of_payload;  // payload -> ETag its PUT answered
    std::vector<std::string> failures;
    std::atomic<bool> done{false};
    std::atomic<int> reads{0};
    std::vector<std::thread> threads;
    for (int w = 0; w < writers; ++w) {
        threads.emplace_back([&, w] {
            for (int i = 0; i < writes; ++i) {
                std::string payload = binary_payload(size, static_cast<unsigned>(w * writes + i));
                payload.replace(0, 16, fmt::format("writer{:02}-{:07}", w, i));  // 16 bytes
                const auto put = s3.put_object(kS3Bucket, "contended.bin", payload);
                std::lock_guard lock(mutex);
                if (put.ok()) etag_of_payload[payload] = put->etag;
                else failures.push_back(e2e::to_string(put.error()));
            }
        });
    }
    std::thread reader([&] {
        while (!done) {
            const auto get = s3.get_object(kS3Bucket, "contended.bin");
            std::lock_guard lock(mutex);
            if (!get.ok()) {
                if (get.error_code() != "NoSuchKey") failures.push_back(e2e::to_string(get.error()));
                continue;  // NoSuchKey is fine until the first write lands
            }
            ++reads;
            const auto found = etag_of_payload.find(get->body);
            if (get->body.size() != size) failures.push_back(fmt::format("torn read of {} bytes", get->body.size()));
            else if (found != etag_of_payload.end() && found->second != get->etag)
                failures.push_back("a read's ETag does not match its body");
        }
    });
    for (auto& thread : threads) thread.join();
    done = true;
    reader.join();

    INFO("first failure: " << (failures.empty() ? std::string("none") : failures.front()));
    CHECK(failures.empty());
    CHECK(etag_of_payload.size() == writers * writes);
    std::set<std::string> etags;
    for (const auto& [payload, etag] : etag_of_payload) etags.insert(etag);
    CHECK(etags.size() == writers * writes);
    CHECK(reads > 0);

    const auto final_object = s3.get_object(kS3Bucket, "contended.bin");
    REQUIRE(final_object.ok());
    REQUIRE(etag_of_payload.contains(final_object->body));
    CHECK(final_object->etag == etag_of_payload.at(final_object->body));
    const auto listing = s3.list_all_objects(kS3Bucket);
    REQUIRE(listing.ok());
    REQUIRE(listing->size() == 1);
    CHECK((*listing)[0].etag == final_object->etag);
    CHECK((*listing)[0].size == size);

    const auto objects = dir.path() / "buckets" / "e2e-test-bucket" / "objects";
    CHECK(files_under(objects).size() == 1);  // no temporary files left behind
}
