// SigV4 authentication of S3 requests, header-signed or presigned, answered the way S3 answers:
// 403 SignatureDoesNotMatch / InvalidAccessKeyId / AccessDenied (expired, anonymous) /
// RequestTimeTooSkewed, 400 AuthorizationHeaderMalformed / AuthorizationQueryParametersError /
// XAmzContentSHA256Mismatch. e2e::sigv4 does the cryptography; this file picks S3's error.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http_server.hpp"
#include "s3_protocol.hpp"

namespace refstack {

struct S3Credentials {
    std::string access_key;
    std::string secret_key;
    std::vector<std::string> regions;  // accepted credential-scope regions, the first one reported
};

// nullopt when the request is signed by `credentials` (scope region and service "s3" included)
// and valid at `now`; otherwise the S3 error to answer with. Never puts the secret in an error.
std::optional<S3Error> authenticate_s3_request(const Request& request, const S3Credentials& credentials,
                                               std::chrono::system_clock::time_point now);

// The query string as decoded name/value pairs, in order ("a&b=1" -> {a,""}, {b,"1"}).
std::vector<std::pair<std::string, std::string>> parse_s3_query(std::string_view raw_query);

}  // namespace refstack
