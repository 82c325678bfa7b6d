// What session.query<T>() runs that depends on no type at all: count() and exists(),
// which wrap the query's rows the way select(sa::count()).select_from(q.subquery()) and
// select(sa::exists(q)) would.
#include "alchemy/orm/detail/query_run.hpp"

#include "alchemy/orm/detail/session_core.hpp"
#include "alchemy/sql/functions.hpp"

#include <memory>
#include <utility>

namespace alchemy::detail {
namespace {

// A string_view in the statement tree, so it lives here.
constexpr std::string_view subquery_name = "anon_1";

template <class Value>
Value run_scalar(SessionCore& core, std::size_t model, const QueryStatement& query, query_form form) {
    core.autoflush();
    auto& conn = core.read_connection(model);
    ParamBuffer params;
    query.bind(query.query, params);
    std::string scratch;
    return conn.execute_sql(query.sql(query.query, conn.dialect(), form, scratch), params.params())
        .template as<Value>()
        .one();
}

}  // namespace

ast::Select in_form(ast::Select rows, query_form form) {
    if (form == query_form::rows) return rows;
    ast::Select outer;
    if (form == query_form::count) {
        outer.columns.push_back(alchemy::count().lower());
        outer.from.push_back({{}, subquery_name, std::make_shared<const ast::Select>(std::move(rows)), {}});
    } else {
        ast::Node exists(ast::Kind::exists);
        exists.select = std::make_shared<const ast::Select>(std::move(rows));
        outer.columns.push_back(std::move(exists));
    }
    return outer;
}

std::int64_t count_rows(SessionCore& core, std::size_t model, const QueryStatement& query) {
    return run_scalar<std::int64_t>(core, model, query, query_form::count);
}

bool any_rows(SessionCore& core, std::size_t model, const QueryStatement& query) {
    return run_scalar<bool>(core, model, query, query_form::exists);
}

}  // namespace alchemy::detail
