// The refstack's LogsQL parser (refstack::LogsQuery::parse): the `query` argument of
// /select/logsql/query, straight from the network. Properties: only LogsqlError escapes, with an
// offset inside the query; a parsed query's canonical text parses back to the same clauses (and is
// stable); the suite's own query builder (e2e::build_logsql) is read back to the same clauses; a
// query matches the record made of its own phrases.
#include <fmt/format.h>

#include <set>

#include "e2e/victorialogs.hpp"
#include "fuzz_check.hpp"
#include "logsql.hpp"

namespace {

using refstack::LogsQuery;

bool same_clauses(const LogsQuery& a, const LogsQuery& b) {
    if (a.clauses().size() != b.clauses().size()) return false;
    for (std::size_t i = 0; i < a.clauses().size(); ++i) {
        const auto& x = a.clauses()[i];
        const auto& y = b.clauses()[i];
        if (x.field != y.field || x.phrase != y.phrase || x.any_value != y.any_value) return false;
    }
    return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto text = e2e::fuzz::text_of(data, size);
    std::optional<LogsQuery> query;
    try {
        query = LogsQuery::parse(text);
    } catch (const refstack::LogsqlError& error) {
        E2E_FUZZ_CHECK(error.offset() <= text.size(), fmt::format("offset {} of {}: {}", error.offset(), text.size(), error.what()));
        E2E_FUZZ_CHECK(std::string_view(error.what()).starts_with("cannot parse query \""), error.what());
        return 0;
    }

    const std::string canonical = query->str();
    const auto again = LogsQuery::parse(canonical);  // a LogsqlError here escapes: a finding
    E2E_FUZZ_CHECK(same_clauses(*query, again), fmt::format("{:?} -> {:?}", text, canonical));
    E2E_FUZZ_CHECK(again.str() == canonical, canonical);
    E2E_FUZZ_CHECK(query->match_all() == (canonical == "*"), canonical);

    // What the suite sends for these clauses reads back the same (the `field:*` clauses aside).
    e2e::LogFilters filters;
    for (const auto& clause : query->clauses()) {
        if (!clause.any_value) filters.emplace_back(clause.field, clause.phrase);
    }
    if (filters.size() == query->clauses().size()) {
        const std::string built = e2e::build_logsql(filters);
        E2E_FUZZ_CHECK(same_clauses(*query, LogsQuery::parse(built)), fmt::format("{:?} -> {:?}", text, built));
    }

    // A record holding each clause's own phrase matches (fields must be distinct: the first wins).
    refstack::LogFields record;
    std::set<std::string_view> fields;
    bool distinct = true;
    for (const auto& clause : query->clauses()) {
        distinct = distinct && fields.insert(clause.field).second;
        record.emplace_back(clause.field, clause.any_value ? "x" : clause.phrase);
    }
    if (distinct) E2E_FUZZ_CHECK(query->matches(record), canonical);
    for (const auto& clause : query->clauses()) {
        if (!clause.any_value) E2E_FUZZ_CHECK(refstack::phrase_matches(clause.phrase, clause.phrase), clause.phrase);
        if (!clause.phrase.empty()) {
            E2E_FUZZ_CHECK(refstack::phrase_matches(" " + clause.phrase + " ", clause.phrase), clause.phrase);
        }
    }
    return 0;
}
