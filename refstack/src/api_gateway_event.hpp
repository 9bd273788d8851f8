// The two translations of a routed call (contract 1.7): HTTP request -> API Gateway REST (v1) proxy
// event for the function, and the function's result -> HTTP answer.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

#include "e2e/json.hpp"
#include "http_server.hpp"

namespace refstack {

// %XX decoding (a bad escape stays as-is, like Python's unquote); '+' becomes a space only when
// asked (query strings). The result may hold any bytes.
std::string percent_decode(std::string_view text, bool plus_as_space = false);

struct ApiGatewayEventInput {
    const Request& request;
    std::string_view resource;    // the matched route pattern, e.g. /api/echo
    std::string_view path;        // the percent-decoded request path
    std::string_view user;        // JWT sub: requestContext.authorizer claims
    std::string_view request_id;  // the gateway request UUID (x-amzn-RequestId)
};

// {resource, path, httpMethod, headers, multiValueHeaders, [queryStringParameters,
// multiValueQueryStringParameters], requestContext, [body], isBase64Encoded}; keys whose value
// would be null are left out. Header names are lower case; for a repeated header or query
// parameter the single-value map keeps the last value.
e2e::Json build_api_gateway_event(const ApiGatewayEventInput& input);

// A worker result that cannot be turned into an HTTP answer (statusCode not an HTTP status,
// undecodable base64 body); the gateway answers 500 "Internal Processing Error: <what()>".
class LambdaResultError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Hop-by-hop headers never copied from a worker's answer: content-length, transfer-encoding,
// connection, keep-alive (case-insensitive).
bool is_hop_by_hop_header(std::string_view name);

// The HTTP answer of a routed call from the worker's status, headers and payload:
// - JSON object with statusCode: that status, its headers (multiValueHeaders win on a name clash,
//   hop-by-hop dropped), its body (isBase64Encoded true -> decoded bytes; a string holding a JSON
//   object/array -> re-serialised JSON; holding a scalar -> that scalar as plain text; any other
//   string as-is; null/absent -> empty);
// - other JSON -> 200 with the JSON re-serialised; empty payload -> 200 {};
// - not JSON -> the raw bytes with the worker's status and content type.
// Throws LambdaResultError for a statusCode that is not an integer HTTP status or bad base64.
Response map_lambda_result(int worker_status, const Headers& worker_headers, std::string_view payload);

}  // namespace refstack
