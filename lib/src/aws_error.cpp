#include "e2e/aws_error.hpp"

#include <fmt/format.h>

#include <ostream>

namespace e2e {

std::string to_string(const AwsError& error) {
    std::string out = fmt::format("{} {}: {} {}: {}", error.operation.empty() ? "AWS" : error.operation, error.resource,
                                  error.http_status, error.code, error.message);
    if (!error.request_id.empty()) out += fmt::format(" (request id {})", error.request_id);
    return out;
}

std::ostream& operator<<(std::ostream& out, const AwsError& error) { return out << to_string(error); }

}  // namespace e2e
