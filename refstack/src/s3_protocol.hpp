// S3's wire formats shared by the refstack S3 service's parts: error documents, dates, and
// printable renderings of client-supplied text for messages.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace refstack {

inline constexpr std::string_view kS3Namespace = "http://s3.amazonaws.com/doc/2006-03-01/";

// An S3 error answer: status, <Code>, <Message> and extra elements (<Key>, <BucketName>, ...).
struct S3Error {
    int status = 500;
    std::string code;
    std::string message;
    std::vector<std::pair<std::string, std::string>> details;
};

// <Error><Code/><Message/>details...<Resource/><RequestId/></Error>, with an XML declaration.
std::string s3_error_document(const S3Error& error, std::string_view resource, std::string_view request_id);

std::string format_http_date(std::chrono::system_clock::time_point time);  // Wed, 12 Oct 2009 17:50:00 GMT
std::string format_iso8601(std::chrono::system_clock::time_point time);    // 2009-10-12T17:50:00.000Z

// Client-supplied text for a message: control and non-ASCII bytes as \xNN, cut at `max` bytes.
std::string printable(std::string_view text, std::size_t max = 200);

}  // namespace refstack
