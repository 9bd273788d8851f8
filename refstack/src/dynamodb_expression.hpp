// DynamoDB expressions for the reference service: UpdateExpression (SET and REMOVE) and
// ProjectionExpression, parsed with their #name and :value placeholders resolved, and applied to
// an item. ADD and DELETE clauses, condition expressions and reserved-word checks are not
// implemented (the refstack answers ValidationException naming the unsupported part).
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "e2e/dynamodb.hpp"

namespace refstack::dynamodb {

// What() is the ValidationException message ("Invalid UpdateExpression: Syntax error; ...").
class ExpressionError : public std::invalid_argument {
public:
    using std::invalid_argument::invalid_argument;
};

// One step of a document path: a map member (`a`, `#n`) or a list index (`[2]`).
struct PathElement {
    std::string name;                  // resolved attribute name; empty for an index
    std::optional<std::size_t> index;  // set for a list index

    friend bool operator==(const PathElement&, const PathElement&) = default;
};

// The first element is always a name.
using DocumentPath = std::vector<PathElement>;

std::string describe(const DocumentPath& path);  // "a.b[0]"

// The right-hand side of a SET action.
struct Operand {
    enum class Kind { path, value, if_not_exists, list_append, plus, minus };
    Kind kind = Kind::value;
    DocumentPath path;               // path; if_not_exists: the tested path
    e2e::AttributeValue value;       // value: the resolved :placeholder
    std::vector<Operand> arguments;  // if_not_exists: [fallback]; list_append, plus, minus: [lhs, rhs]
};

struct SetAction {
    DocumentPath path;
    Operand value;
};

struct UpdateExpression {
    std::vector<SetAction> set;
    std::vector<DocumentPath> remove;

    // Top-level attribute names the expression writes (for UPDATED_OLD/UPDATED_NEW and key checks).
    std::set<std::string> updated_attributes() const;
};

// The placeholders an expression used, for DynamoDB's "unused in expressions" check.
struct PlaceholderUse {
    std::set<std::string> names;   // "#ts"
    std::set<std::string> values;  // ":msg"
};

using AttributeNames = std::map<std::string, std::string>;  // "#ts" -> "timestamp"

// Throws ExpressionError for syntax errors, undefined placeholders, unsupported clauses and
// overlapping paths.
UpdateExpression parse_update_expression(std::string_view text, const AttributeNames& names,
                                         const e2e::Item& values, PlaceholderUse& used);
std::vector<DocumentPath> parse_projection_expression(std::string_view text, const AttributeNames& names,
                                                      PlaceholderUse& used);

// The item after the update. `item` is the stored item, or the key alone when there is none
// (upsert). Every right-hand side is evaluated against `item` before any assignment, as DynamoDB
// does. Throws ExpressionError (missing operand attribute, wrong operand type, invalid path) or
// NumberError (arithmetic out of range).
e2e::Item apply_update(const UpdateExpression& update, const e2e::Item& item);

// The value at `path`, or nullptr.
const e2e::AttributeValue* find_path(const e2e::Item& item, const DocumentPath& path);

}  // namespace refstack::dynamodb
