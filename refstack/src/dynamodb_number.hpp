// DynamoDB numbers for the reference service: normalisation (DynamoDB answers "1.50" as "1.5" and
// treats "1" and "1.0" as one key) and exact decimal addition for `SET n = n + :one`.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace refstack::dynamodb {

// A number DynamoDB would refuse; what() is DynamoDB's ValidationException message.
class NumberError : public std::invalid_argument {
public:
    using std::invalid_argument::invalid_argument;
};

// The canonical text of a valid number ("+01.50e1" -> "15", "-0" -> "0", "1E-3" -> "0.001"):
// no exponent, no leading or trailing zeros. Throws NumberError for text that is not a number,
// more than 38 significant digits, or a magnitude outside 1E-130 .. 9.99E+125.
std::string normalize_number(std::string_view text);

// Exact decimal arithmetic on number text; the result is normalised (and may throw NumberError
// when it leaves DynamoDB's range).
std::string add_numbers(std::string_view lhs, std::string_view rhs);
std::string subtract_numbers(std::string_view lhs, std::string_view rhs);

}  // namespace refstack::dynamodb
