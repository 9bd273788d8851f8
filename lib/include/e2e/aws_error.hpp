// An AWS service's error answer as a value (DynamoDB's `__type`, S3's `<Code>`), and a result that
// holds either the operation's value or that error. Tests assert on the error's code; a request
// that produced no response at all stays an e2e::HttpError exception.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>
#include <variant>

namespace e2e {

struct AwsError {
    int http_status = 0;
    std::string code;        // ResourceNotFoundException, NoSuchKey, ... (DynamoDB: after '#' in __type)
    std::string message;
    std::string request_id;  // x-amzn-RequestId / x-amz-request-id, empty when absent

    // "HTTP 400 ValidationException: <message> (request id <id>)"
    std::string describe() const {
        std::string text = "HTTP " + std::to_string(http_status) + " " + (code.empty() ? "<no code>" : code);
        if (!message.empty()) text += ": " + message;
        if (!request_id.empty()) text += " (request id " + request_id + ")";
        return text;
    }
};

// Thrown by AwsResult::value() when the result holds an error; the message is the error's describe().
class AwsResultError : public std::runtime_error {
public:
    explicit AwsResultError(AwsError error) : std::runtime_error(error.describe()), error_(std::move(error)) {}
    const AwsError& error() const noexcept { return error_; }

private:
    AwsError error_;
};

// The value of a successful call or the service's error. value() on an error and error() on a
// value throw (a test bug), naming what the result actually held.
template <class T>
class AwsResult {
public:
    AwsResult(T value) : state_(std::in_place_index<0>, std::move(value)) {}        // NOLINT: implicit by design
    AwsResult(AwsError error) : state_(std::in_place_index<1>, std::move(error)) {}  // NOLINT: implicit by design

    bool ok() const noexcept { return state_.index() == 0; }
    explicit operator bool() const noexcept { return ok(); }

    const T& value() const& {
        if (!ok()) throw AwsResultError(std::get<1>(state_));
        return std::get<0>(state_);
    }
    T&& value() && {
        if (!ok()) throw AwsResultError(std::get<1>(state_));
        return std::get<0>(std::move(state_));
    }
    const T* operator->() const { return &value(); }
    const T& operator*() const& { return value(); }

    const AwsError& error() const {
        if (ok()) throw std::logic_error("AwsResult::error() called on a successful result");
        return std::get<1>(state_);
    }

    // "ok" or the error's describe(), for failure messages (INFO(result.describe())).
    std::string describe() const { return ok() ? std::string("ok") : std::get<1>(state_).describe(); }

private:
    std::variant<T, AwsError> state_;
};

}  // namespace e2e
