#include "api_gateway_event.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <vector>

#include "base64.hpp"
#include "e2e/utf8.hpp"

namespace refstack {
namespace {

using e2e::Json;
using e2e::JsonMember;
using e2e::JsonValue;

std::string lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Name -> values in first-appearance order of the names.
struct MultiMap {
    std::vector<std::string> order;
    std::map<std::string, std::vector<std::string>> values;

    void add(std::string name, std::string value) {
        auto [it, inserted] = values.try_emplace(name);
        if (inserted) order.push_back(std::move(name));
        it->second.push_back(std::move(value));
    }
    bool empty() const { return order.empty(); }

    // {name: last value}
    Json single() const {
        std::vector<JsonMember> members;
        for (const auto& name : order) members.emplace_back(name, values.at(name).back());
        return Json::object(members);
    }
    // {name: [values...]}
    Json multi() const {
        std::vector<JsonMember> members;
        for (const auto& name : order) {
            std::vector<JsonValue> list(values.at(name).begin(), values.at(name).end());
            members.emplace_back(name, Json::array(list));
        }
        return Json::object(members);
    }
};

// Python's parse_qsl(query, keep_blank_values=True): '&'-separated, a piece without '=' is a
// name with an empty value, empty pieces are skipped.
MultiMap parse_query(std::string_view query) {
    MultiMap out;
    std::size_t start = 0;
    while (start <= query.size()) {
        const auto end = std::min(query.find('&', start), query.size());
        const auto piece = query.substr(start, end - start);
        if (!piece.empty()) {
            const auto equals = piece.find('=');
            const auto name = piece.substr(0, equals);
            const auto value = equals == std::string_view::npos ? std::string_view{} : piece.substr(equals + 1);
            out.add(percent_decode(name, true), percent_decode(value, true));
        }
        start = end + 1;
    }
    return out;
}

// A header value from the function's `headers`/`multiValueHeaders`: strings as-is, other JSON as
// its text; null gives nothing.
std::optional<std::string> header_text(const Json& value) {
    if (value.is_null()) return std::nullopt;
    if (value.is_string()) return value.str();
    return value.dump();
}

bool same_name(std::string_view a, std::string_view b) { return lower(a) == lower(b); }

bool has_header(const Headers& headers, std::string_view name) {
    return std::any_of(headers.begin(), headers.end(), [&](const auto& header) { return same_name(header.first, name); });
}

int status_code_of(const Json& value) {
    double number = 0;
    if (value.is_number()) {
        number = value.number();
    } else if (value.is_string()) {
        // Python's int("201") accepts a numeric string; anything else is not a status.
        const auto text = value.str();
        if (text.empty() || text.size() > 3 || !std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); })) {
            throw LambdaResultError(fmt::format("statusCode {} is not an HTTP status", value.excerpt(60)));
        }
        number = std::stod(text);
    } else {
        throw LambdaResultError(fmt::format("statusCode {} is not an HTTP status", value.excerpt(60)));
    }
    if (number != std::floor(number) || number < 100 || number > 599) {
        throw LambdaResultError(fmt::format("statusCode {} is not an HTTP status", value.excerpt(60)));
    }
    return static_cast<int>(number);
}

struct Body {
    std::string bytes;
    std::string content_type;  // the default when the function sent none
};

Body body_of(const Json& result) {
    const auto body = result.find("body");
    if (!body || body->is_null()) return {"", "application/json"};
    const auto base64 = result.find("isBase64Encoded");
    if (base64 && base64->is_bool() && base64->boolean()) {
        if (!body->is_string()) throw LambdaResultError("isBase64Encoded is true but body is not a string");
        auto bytes = base64_decode(body->str());
        if (!bytes) throw LambdaResultError("isBase64Encoded is true but body is not valid base64");
        return {std::move(*bytes), "application/octet-stream"};
    }
    if (body->is_string()) {
        const auto text = body->str();
        const auto parsed = Json::try_parse(text);
        if (!parsed) return {text, "text/plain; charset=utf-8"};
        if (parsed->is_object() || parsed->is_array()) return {parsed->dump(), "application/json"};
        if (parsed->is_string()) return {parsed->str(), "text/plain; charset=utf-8"};
        return {parsed->dump(), "text/plain; charset=utf-8"};
    }
    if (body->is_object() || body->is_array()) return {body->dump(), "application/json"};
    return {body->dump(), "text/plain; charset=utf-8"};
}

Response map_api_gateway_result(const Json& result) {
    Response response;
    response.status = status_code_of(result.at("statusCode"));

    Headers multi;
    if (const auto values = result.find("multiValueHeaders"); values && values->is_object()) {
        for (const auto& [name, list] : values->members()) {
            if (is_hop_by_hop_header(name)) continue;
            if (list.is_array()) {
                for (const auto& value : list.elements()) {
                    if (auto text = header_text(value)) multi.emplace_back(name, std::move(*text));
                }
            } else if (auto text = header_text(list)) {
                multi.emplace_back(name, std::move(*text));
            }
        }
    }
    if (const auto single = result.find("headers"); single && single->is_object()) {
        for (const auto& [name, value] : single->members()) {
            if (is_hop_by_hop_header(name) || has_header(multi, name)) continue;
            if (auto text = header_text(value)) response.headers.emplace_back(name, std::move(*text));
        }
    }
    response.headers.insert(response.headers.end(), multi.begin(), multi.end());

    auto body = body_of(result);
    response.body = std::move(body.bytes);
    if (!has_header(response.headers, "content-type")) response.headers.emplace_back("Content-Type", body.content_type);
    return response;
}

}  // namespace

std::string percent_decode(std::string_view text, bool plus_as_space) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '%' && i + 2 < text.size()) {
            const int high = hex_value(text[i + 1]);
            const int low = hex_value(text[i + 2]);
            if (high >= 0 && low >= 0) {
                out += static_cast<char>(high * 16 + low);
                i += 2;
                continue;
            }
        }
        out += (plus_as_space && c == '+') ? ' ' : c;
    }
    return out;
}

e2e::Json build_api_gateway_event(const ApiGatewayEventInput& input) {
    const Request& request = input.request;
    MultiMap headers;
    for (const auto& [name, value] : request.headers) headers.add(lower(name), value);

    std::vector<JsonMember> event;
    event.emplace_back("resource", std::string(input.resource));
    event.emplace_back("path", std::string(input.path));
    event.emplace_back("httpMethod", request.method);
    event.emplace_back("headers", headers.single());
    event.emplace_back("multiValueHeaders", headers.multi());
    if (const auto query = parse_query(request.query); !query.empty()) {
        event.emplace_back("queryStringParameters", query.single());
        event.emplace_back("multiValueQueryStringParameters", query.multi());
    }

    const auto forwarded = request.header("x-forwarded-for");
    std::vector<JsonMember> identity{{"sourceIp", forwarded.value_or("unknown")}};
    if (const auto agent = request.header("user-agent")) identity.emplace_back("userAgent", *agent);
    const std::string user(input.user);
    const auto authorizer = Json::object({
        {"claims", Json::object({{"cognito:username", user}, {"username", user}})},
        {"cognito:username", user},
    });
    event.emplace_back("requestContext", Json::object({
                                             {"identity", Json::object(identity)},
                                             {"authorizer", authorizer},
                                             {"requestId", std::string(input.request_id)},
                                             {"stage", "prod"},
                                             {"path", std::string(input.path)},
                                             {"protocol", "HTTP/1.1"},
                                         }));

    bool base64 = false;
    if (!request.body.empty()) {
        const auto encoding = request.header("content-encoding");
        base64 = (encoding && lower(*encoding).find("gzip") != std::string::npos) || !e2e::is_valid_utf8(request.body);
        event.emplace_back("body", base64 ? base64_encode(request.body) : request.body);
    }
    event.emplace_back("isBase64Encoded", base64);
    return Json::object(event);
}

bool is_hop_by_hop_header(std::string_view name) {
    const auto key = lower(name);
    return key == "content-length" || key == "transfer-encoding" || key == "connection" || key == "keep-alive";
}

Response map_lambda_result(int worker_status, const Headers& worker_headers, std::string_view payload) {
    if (payload.empty()) return Response::json(200, "{}");
    const auto json = Json::try_parse(payload);
    if (!json) {
        Response raw;
        raw.status = worker_status;
        raw.headers.emplace_back("Content-Type", find_header(worker_headers, "content-type").value_or("application/octet-stream"));
        raw.body = std::string(payload);
        return raw;
    }
    if (json->is_object() && json->has("statusCode")) return map_api_gateway_result(*json);
    return Response::json(200, json->dump());
}

}  // namespace refstack
