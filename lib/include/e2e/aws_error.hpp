// The result of any AWS call made by the suite's clients (S3, DynamoDB): the operation's value or
// the service's error answer (AwsError), so tests assert on error codes; a request that got no
// response at all throws e2e::HttpError instead.
#pragma once

#include <iosfwd>
#include <stdexcept>
#include <string>
#include <utility>
#include <variant>

namespace e2e {

// An error answer from an AWS service. S3: `code` is the <Code> of the error document; for an
// answer without one (HEAD responses, a proxy's page) it is the x-amz-error-code header when
// present, else the HTTP status as text ("404"), as botocore does. DynamoDB: the part of `__type`
// after '#'.
struct AwsError {
    int http_status = 0;
    std::string code;        // NoSuchKey, SignatureDoesNotMatch, ResourceNotFoundException, ...
    std::string message;
    std::string request_id;  // x-amz-request-id, or <RequestId>
    std::string operation;   // "GetObject", for messages
    std::string resource;    // "/bucket/key", for messages
};

// "GetObject /bucket/key: 404 NoSuchKey: The specified key does not exist. (request id ...)"
std::string to_string(const AwsError& error);
std::ostream& operator<<(std::ostream& out, const AwsError& error);

// Thrown by AwsResult::value() on an error result; carries the AwsError.
class AwsErrorException : public std::runtime_error {
public:
    explicit AwsErrorException(AwsError error) : std::runtime_error(to_string(error)), error_(std::move(error)) {}
    const AwsError& error() const noexcept { return error_; }

private:
    AwsError error_;
};

// Either the operation's result or the error S3 answered with (std::expected-style).
template <typename T>
class AwsResult {
public:
    AwsResult(T value) : state_(std::in_place_index<0>, std::move(value)) {}         // NOLINT: implicit by design
    AwsResult(AwsError error) : state_(std::in_place_index<1>, std::move(error)) {}  // NOLINT: implicit by design

    bool ok() const noexcept { return state_.index() == 0; }
    explicit operator bool() const noexcept { return ok(); }

    // The result; throws AwsErrorException describing the error when there is none.
    const T& value() const& {
        if (!ok()) throw AwsErrorException(std::get<1>(state_));
        return std::get<0>(state_);
    }
    T&& value() && {
        if (!ok()) throw AwsErrorException(std::get<1>(state_));
        return std::get<0>(std::move(state_));
    }
    const T& operator*() const& { return value(); }
    const T* operator->() const { return &value(); }

    // The error; throws std::logic_error when the operation succeeded.
    const AwsError& error() const {
        if (ok()) throw std::logic_error("AwsResult::error() called on a successful result");
        return std::get<1>(state_);
    }
    // The error code, or "" on success: CHECK(result.error_code() == "NoSuchKey").
    std::string error_code() const { return ok() ? std::string() : std::get<1>(state_).code; }

private:
    std::variant<T, AwsError> state_;
};

}  // namespace e2e
