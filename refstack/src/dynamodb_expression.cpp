#include "dynamodb_expression.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "dynamodb_number.hpp"

namespace refstack::dynamodb {
namespace {

using e2e::AttributeType;
using e2e::AttributeValue;
using e2e::Item;

constexpr std::size_t kMaxExpressionLength = 4096;  // DynamoDB's limit on one expression
constexpr int kMaxOperandDepth = 32;                // guards the recursive descent

bool is_word_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'; }

std::string upper(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return out;
}

struct Token {
    enum class Kind { word, name_ref, value_ref, number, symbol, end };
    Kind kind = Kind::end;
    std::string text;
    std::size_t offset = 0;
};

class Lexer {
public:
    Lexer(std::string_view text, std::string_view expression_name) : text_(text), expression_name_(expression_name) {
        if (text.size() > kMaxExpressionLength)
            throw ExpressionError(fmt::format("Invalid {}: Expression size has exceeded the maximum allowed size; "
                                              "size: {}, limit: {}", expression_name_, text.size(), kMaxExpressionLength));
        advance();
    }

    const Token& peek() const { return current_; }
    Token next() {
        Token token = current_;
        advance();
        return token;
    }
    bool at_symbol(char symbol) const { return current_.kind == Token::Kind::symbol && current_.text[0] == symbol; }
    void expect_symbol(char symbol) {
        if (!at_symbol(symbol)) syntax_error();
        advance();
    }

    [[noreturn]] void syntax_error() const {
        if (current_.kind == Token::Kind::end)
            throw ExpressionError(fmt::format("Invalid {}: Syntax error; token: \"<EOF>\", near: \"{}\"", expression_name_,
                                              near(current_.offset)));
        throw ExpressionError(fmt::format("Invalid {}: Syntax error; token: \"{}\", near: \"{}\"", expression_name_,
                                          current_.text, near(current_.offset)));
    }
    [[noreturn]] void fail(const std::string& what) const {
        throw ExpressionError(fmt::format("Invalid {}: {}", expression_name_, what));
    }

private:
    std::string near(std::size_t offset) const {
        const std::size_t begin = offset > 10 ? offset - 10 : 0;
        return std::string(text_.substr(begin, 20));
    }

    void advance() {
        while (position_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[position_])) != 0) ++position_;
        current_ = Token{};
        current_.offset = position_;
        if (position_ >= text_.size()) return;
        const char c = text_[position_];
        auto take_word = [&](std::size_t from) {
            std::size_t end = from;
            while (end < text_.size() && is_word_char(text_[end])) ++end;
            return end;
        };
        if (c == '#' || c == ':') {
            const std::size_t end = take_word(position_ + 1);
            current_.kind = c == '#' ? Token::Kind::name_ref : Token::Kind::value_ref;
            current_.text = std::string(text_.substr(position_, end - position_));
            if (end == position_ + 1) {
                current_.kind = Token::Kind::symbol;  // a lone '#' or ':' is a syntax error where it stands
            }
            position_ = end;
            return;
        }
        if (std::isdigit(static_cast<unsigned char>(c)) != 0) {
            std::size_t end = position_;
            while (end < text_.size() && std::isdigit(static_cast<unsigned char>(text_[end])) != 0) ++end;
            current_.kind = Token::Kind::number;
            current_.text = std::string(text_.substr(position_, end - position_));
            position_ = end;
            return;
        }
        if (std::isalpha(static_cast<unsigned char>(c)) != 0 || c == '_') {
            const std::size_t end = take_word(position_);
            current_.kind = Token::Kind::word;
            current_.text = std::string(text_.substr(position_, end - position_));
            position_ = end;
            return;
        }
        current_.kind = Token::Kind::symbol;
        current_.text = std::string(1, c);
        ++position_;
    }

    std::string_view text_;
    std::string_view expression_name_;
    std::size_t position_ = 0;
    Token current_;
};

class Parser {
public:
    Parser(std::string_view text, std::string_view expression_name, const AttributeNames& names, const Item* values,
           PlaceholderUse& used)
        : lexer_(text, expression_name), names_(names), values_(values), used_(used) {}

    Lexer& lexer() { return lexer_; }

    DocumentPath path() {
        DocumentPath out{{name_element(), std::nullopt}};
        append_steps(out);
        return out;
    }

    Operand set_value() {
        Operand lhs = operand(0);
        if (lexer_.at_symbol('+') || lexer_.at_symbol('-')) {
            const bool plus = lexer_.next().text == "+";
            Operand rhs = operand(0);
            Operand out;
            out.kind = plus ? Operand::Kind::plus : Operand::Kind::minus;
            out.arguments = {std::move(lhs), std::move(rhs)};
            return out;
        }
        return lhs;
    }

private:
    std::string name_element() {
        const Token token = lexer_.peek();
        if (token.kind == Token::Kind::word) {
            lexer_.next();
            return token.text;
        }
        if (token.kind == Token::Kind::name_ref) {
            lexer_.next();
            const auto found = names_.find(token.text);
            if (found == names_.end())
                lexer_.fail(fmt::format("An expression attribute name used in the document path is not defined; "
                                        "attribute name: {}", token.text));
            used_.names.insert(token.text);
            return found->second;
        }
        lexer_.syntax_error();
    }

    Operand operand(int depth) {
        if (depth > kMaxOperandDepth) lexer_.fail("The expression has too many nested function calls");
        const Token token = lexer_.peek();
        Operand out;
        if (token.kind == Token::Kind::value_ref) {
            if (values_ == nullptr) lexer_.syntax_error();  // projections take no values
            lexer_.next();
            const auto found = values_->find(token.text);
            if (found == values_->end())
                lexer_.fail(fmt::format("An expression attribute value used in expression is not defined; "
                                        "attribute value: {}", token.text));
            used_.values.insert(token.text);
            out.kind = Operand::Kind::value;
            out.value = found->second;
            return out;
        }
        if (token.kind == Token::Kind::word) {
            lexer_.next();
            if (lexer_.at_symbol('(')) return function(token.text, depth);
            out.kind = Operand::Kind::path;
            out.path = {{token.text, std::nullopt}};
            append_steps(out.path);
            return out;
        }
        if (token.kind == Token::Kind::name_ref) {
            out.kind = Operand::Kind::path;
            out.path = this->path();
            return out;
        }
        lexer_.syntax_error();
    }

    // The `.name` and `[index]` steps after a path's first name.
    void append_steps(DocumentPath& path) {
        while (true) {
            if (lexer_.at_symbol('.')) {
                lexer_.next();
                path.push_back({name_element(), std::nullopt});
            } else if (lexer_.at_symbol('[')) {
                lexer_.next();
                const Token number = lexer_.next();
                if (number.kind != Token::Kind::number)
                    lexer_.fail(fmt::format("List index must be a non-negative integer; token: \"{}\"", number.text));
                if (number.text.size() > 9) lexer_.fail(fmt::format("List index is too large: {}", number.text));
                lexer_.expect_symbol(']');
                path.push_back({{}, static_cast<std::size_t>(std::stoul(number.text))});
            } else {
                return;
            }
        }
    }

    Operand function(const std::string& name, int depth) {
        lexer_.expect_symbol('(');
        Operand out;
        if (name == "if_not_exists") {
            out.kind = Operand::Kind::if_not_exists;
            out.path = path();
            lexer_.expect_symbol(',');
            out.arguments.push_back(operand(depth + 1));
        } else if (name == "list_append") {
            out.kind = Operand::Kind::list_append;
            out.arguments.push_back(operand(depth + 1));
            lexer_.expect_symbol(',');
            out.arguments.push_back(operand(depth + 1));
        } else {
            lexer_.fail(fmt::format("Invalid function name; function: {}", name));
        }
        lexer_.expect_symbol(')');
        return out;
    }

    Lexer lexer_;
    const AttributeNames& names_;
    const Item* values_;
    PlaceholderUse& used_;
};

bool is_prefix(const DocumentPath& shorter, const DocumentPath& longer) {
    return shorter.size() <= longer.size() && std::equal(shorter.begin(), shorter.end(), longer.begin());
}

std::string bracketed(const DocumentPath& path) {
    std::string out = "[";
    for (std::size_t i = 0; i < path.size(); ++i) {
        if (i > 0) out += ", ";
        out += path[i].index ? fmt::format("[{}]", *path[i].index) : path[i].name;
    }
    return out + "]";
}

void check_overlaps(const std::vector<DocumentPath>& paths) {
    for (std::size_t i = 0; i < paths.size(); ++i)
        for (std::size_t j = i + 1; j < paths.size(); ++j)
            if (is_prefix(paths[i], paths[j]) || is_prefix(paths[j], paths[i]))
                throw ExpressionError(fmt::format("Invalid UpdateExpression: Two document paths overlap with each other; "
                                                  "must remove or rewrite one of these paths; path one: {}, path two: {}",
                                                  bracketed(paths[i]), bracketed(paths[j])));
}

const AttributeValue* step(const AttributeValue& value, const PathElement& element) {
    if (element.index) {
        if (!value.is(AttributeType::list)) return nullptr;
        const auto& list = value.as_list();
        return *element.index < list.size() ? &list[*element.index] : nullptr;
    }
    if (!value.is(AttributeType::map)) return nullptr;
    const auto& map = value.as_map();
    const auto found = map.find(element.name);
    return found == map.end() ? nullptr : &found->second;
}

[[noreturn]] void invalid_update_path() {
    throw ExpressionError("The document path provided in the update expression is invalid for update");
}

// `container` with the value at path[at..] replaced by `value` (copy on write).
AttributeValue with_value(const AttributeValue& container, const DocumentPath& path, std::size_t at,
                          const AttributeValue& value) {
    const PathElement& element = path[at];
    const bool last = at + 1 == path.size();
    if (element.index) {
        if (!container.is(AttributeType::list)) invalid_update_path();
        auto list = container.as_list();
        if (*element.index < list.size()) {
            list[*element.index] = last ? value : with_value(list[*element.index], path, at + 1, value);
        } else {
            if (!last) invalid_update_path();
            list.push_back(value);  // DynamoDB appends when the index is past the end
        }
        return AttributeValue::list(std::move(list));
    }
    if (!container.is(AttributeType::map)) invalid_update_path();
    auto map = container.as_map();
    if (last) {
        map[element.name] = value;
    } else {
        const auto found = map.find(element.name);
        if (found == map.end()) invalid_update_path();
        found->second = with_value(found->second, path, at + 1, value);
    }
    return AttributeValue::map(std::move(map));
}

// `container` without the value at path[at..]; unchanged when the path leads nowhere.
AttributeValue without_value(const AttributeValue& container, const DocumentPath& path, std::size_t at) {
    const PathElement& element = path[at];
    const bool last = at + 1 == path.size();
    if (element.index) {
        if (!container.is(AttributeType::list) || *element.index >= container.as_list().size()) return container;
        auto list = container.as_list();
        const auto position = list.begin() + static_cast<std::ptrdiff_t>(*element.index);
        if (last) list.erase(position);
        else *position = without_value(*position, path, at + 1);
        return AttributeValue::list(std::move(list));
    }
    if (!container.is(AttributeType::map)) return container;
    auto map = container.as_map();
    const auto found = map.find(element.name);
    if (found == map.end()) return container;
    if (last) map.erase(found);
    else found->second = without_value(found->second, path, at + 1);
    return AttributeValue::map(std::move(map));
}

[[noreturn]] void wrong_operand(std::string_view what, const AttributeValue& value) {
    throw ExpressionError(fmt::format("Invalid UpdateExpression: Incorrect operand type for operator or function; "
                                      "{}, operand type: {}", what, e2e::to_string(value.type())));
}

AttributeValue evaluate(const Operand& operand, const Item& item) {
    switch (operand.kind) {
        case Operand::Kind::value: return operand.value;
        case Operand::Kind::path: {
            const auto* found = find_path(item, operand.path);
            if (found == nullptr)
                throw ExpressionError(fmt::format("The provided expression refers to an attribute that does not exist "
                                                  "in the item (path {})", describe(operand.path)));
            return *found;
        }
        case Operand::Kind::if_not_exists: {
            const auto* found = find_path(item, operand.path);
            return found != nullptr ? *found : evaluate(operand.arguments.at(0), item);
        }
        case Operand::Kind::list_append: {
            const auto lhs = evaluate(operand.arguments.at(0), item);
            const auto rhs = evaluate(operand.arguments.at(1), item);
            if (!lhs.is(AttributeType::list)) wrong_operand("function: list_append", lhs);
            if (!rhs.is(AttributeType::list)) wrong_operand("function: list_append", rhs);
            auto joined = lhs.as_list();
            joined.insert(joined.end(), rhs.as_list().begin(), rhs.as_list().end());
            return AttributeValue::list(std::move(joined));
        }
        case Operand::Kind::plus:
        case Operand::Kind::minus: {
            const bool plus = operand.kind == Operand::Kind::plus;
            const auto lhs = evaluate(operand.arguments.at(0), item);
            const auto rhs = evaluate(operand.arguments.at(1), item);
            const std::string what = plus ? "operator: +" : "operator: -";
            if (!lhs.is(AttributeType::number)) wrong_operand(what, lhs);
            if (!rhs.is(AttributeType::number)) wrong_operand(what, rhs);
            return AttributeValue::number(plus ? add_numbers(lhs.as_number(), rhs.as_number())
                                               : subtract_numbers(lhs.as_number(), rhs.as_number()));
        }
    }
    throw ExpressionError("unknown operand");
}

// Later list indexes first, so removing a[0] does not shift a[2] before it is removed.
bool remove_before(const DocumentPath& lhs, const DocumentPath& rhs) {
    for (std::size_t i = 0; i < std::min(lhs.size(), rhs.size()); ++i) {
        if (lhs[i] == rhs[i]) continue;
        if (lhs[i].index && rhs[i].index) return *lhs[i].index > *rhs[i].index;
        return lhs[i].name > rhs[i].name;
    }
    return lhs.size() > rhs.size();
}

}  // namespace

std::string describe(const DocumentPath& path) {
    std::string out;
    for (const auto& element : path) {
        if (element.index) out += fmt::format("[{}]", *element.index);
        else out += (out.empty() ? "" : ".") + element.name;
    }
    return out;
}

std::set<std::string> UpdateExpression::updated_attributes() const {
    std::set<std::string> out;
    for (const auto& action : set) out.insert(action.path.front().name);
    for (const auto& path : remove) out.insert(path.front().name);
    return out;
}

UpdateExpression parse_update_expression(std::string_view text, const AttributeNames& names, const Item& values,
                                         PlaceholderUse& used) {
    Parser parser(text, "UpdateExpression", names, &values, used);
    auto& lexer = parser.lexer();
    if (lexer.peek().kind == Token::Kind::end)
        throw ExpressionError("Invalid UpdateExpression: The expression can not be empty;");
    UpdateExpression out;
    std::set<std::string> clauses;
    while (lexer.peek().kind != Token::Kind::end) {
        const Token keyword = lexer.next();
        const std::string clause = keyword.kind == Token::Kind::word ? upper(keyword.text) : std::string();
        if (clause == "ADD" || clause == "DELETE")
            lexer.fail(fmt::format("the {} clause is not supported by esb-refstack (only SET and REMOVE)", clause));
        if (clause != "SET" && clause != "REMOVE")
            throw ExpressionError(fmt::format("Invalid UpdateExpression: Syntax error; token: \"{}\", near: \"{}\"",
                                              keyword.text, text.substr(keyword.offset, 20)));
        if (!clauses.insert(clause).second)
            lexer.fail(fmt::format("The \"{}\" section can only be used once in an update expression;", clause));
        while (true) {
            if (clause == "SET") {
                SetAction action;
                action.path = parser.path();
                lexer.expect_symbol('=');
                action.value = parser.set_value();
                out.set.push_back(std::move(action));
            } else {
                out.remove.push_back(parser.path());
            }
            if (!lexer.at_symbol(',')) break;
            lexer.next();
        }
        if (lexer.peek().kind != Token::Kind::end && lexer.peek().kind != Token::Kind::word) lexer.syntax_error();
    }
    std::vector<DocumentPath> paths;
    for (const auto& action : out.set) paths.push_back(action.path);
    paths.insert(paths.end(), out.remove.begin(), out.remove.end());
    check_overlaps(paths);
    return out;
}

std::vector<DocumentPath> parse_projection_expression(std::string_view text, const AttributeNames& names,
                                                      PlaceholderUse& used) {
    Parser parser(text, "ProjectionExpression", names, nullptr, used);
    auto& lexer = parser.lexer();
    if (lexer.peek().kind == Token::Kind::end)
        throw ExpressionError("Invalid ProjectionExpression: The expression can not be empty;");
    std::vector<DocumentPath> out;
    while (true) {
        out.push_back(parser.path());
        if (!lexer.at_symbol(',')) break;
        lexer.next();
    }
    if (lexer.peek().kind != Token::Kind::end) lexer.syntax_error();
    return out;
}

const AttributeValue* find_path(const Item& item, const DocumentPath& path) {
    if (path.empty() || path.front().index) return nullptr;
    const auto found = item.find(path.front().name);
    if (found == item.end()) return nullptr;
    const AttributeValue* value = &found->second;
    for (std::size_t i = 1; i < path.size() && value != nullptr; ++i) value = step(*value, path[i]);
    return value;
}

Item apply_update(const UpdateExpression& update, const Item& item) {
    std::vector<AttributeValue> values;
    values.reserve(update.set.size());
    for (const auto& action : update.set) values.push_back(evaluate(action.value, item));

    // Work on the whole item as one map so nested paths and top-level names share one code path.
    AttributeValue result = AttributeValue::map(item);
    for (std::size_t i = 0; i < update.set.size(); ++i) result = with_value(result, update.set[i].path, 0, values[i]);
    auto removals = update.remove;
    std::sort(removals.begin(), removals.end(), remove_before);
    for (const auto& path : removals) result = without_value(result, path, 0);
    return result.as_map();
}

}  // namespace refstack::dynamodb
