// What session.query<T>() runs that depends on no type at all: count() and exists(),
// which wrap the query's rows the way select(sa::count()).select_from(q.subquery()) and
// select(sa::exists(q)) would, and yield_per()'s check of the loads it can stream.
#include "alchemy/orm/detail/query_run.hpp"

#include "alchemy/core/error.hpp"
#include "alchemy/orm/detail/relationship_ops.hpp"
#include "alchemy/orm/detail/session_core.hpp"
#include "alchemy/sql/functions.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <string>
#include <utility>

namespace alchemy::detail {
namespace {

// A string_view in the statement tree, so it lives here.
constexpr std::string_view subquery_name = "anon_1";

template <class Value>
Value run_scalar(SessionCore& core, std::size_t model, const QueryStatement& query, query_form form) {
    core.autoflush();
    auto& conn = query_connection(core, model, query);
    ParamBuffer params;
    query.bind(query.query, params);
    std::string scratch;
    return conn.execute_sql(query.sql(query.query, conn.dialect(), form, scratch), params.params())
        .template as<Value>()
        .one();
}

/// What a stream can do instead of loading `rel` per batch: `can_load` when the backend
/// runs the loads between the rows it steps.
std::string streamed_alternative(const RelationshipOps& rel, bool can_load) {
    const auto owner = rel.owner().model_name;
    if (can_load)
        return fmt::format(
            "use sa::selectinload<&{}::{}>(), which yield_per() runs for each batch, or .all()", owner,
            rel.name);
    return fmt::format(
        "use .all() (with limit() and offset() for pages), or sa::lazyload<&{0}::{1}>() or "
        "sa::raiseload<&{0}::{1}>() to stream without it",
        owner, rel.name);
}

}  // namespace

bool check_streamed_loads(const ModelOps& ops, std::span<const std::vector<LoadStep>> loads,
                          const Dialect& dialect) {
    const bool can_load = dialect.runs_statements_while_streaming();
    // Only a path's first step runs with the stream: lazyload and raiseload stop a path,
    // and the steps after a selectinload load with it.
    for (const auto& path : loads) {
        const auto& rel = *path.front().rel;
        if (path.front().strategy == LoadStrategy::joined)
            throw InvalidRequestError(fmt::format(
                "alchemy: yield_per() cannot run sa::joinedload<&{}::{}>(): a joined load reads every "
                "row of the result before it hands out an object, which a stream must not do; {}",
                rel.owner().model_name, rel.name, streamed_alternative(rel, can_load)));
        if (path.front().strategy == LoadStrategy::selectin && !can_load)
            throw InvalidRequestError(fmt::format(
                "alchemy: yield_per() cannot run sa::selectinload<&{}::{}>() on {}: the stream keeps "
                "the session's connection busy until the loop ends, so no statement can load a "
                "batch's relationships; {}",
                rel.owner().model_name, rel.name, dialect.name(), streamed_alternative(rel, false)));
    }
    const auto named = [&](const RelationshipOps* rel) {
        return std::any_of(loads.begin(), loads.end(),
                           [&](const auto& path) { return path.front().rel == rel; });
    };
    for (const auto* rel : ops.relationships) {
        const bool eager = rel->lazy == Lazy::selectin || rel->lazy == Lazy::joined;
        if (!eager || can_load || named(rel)) continue;
        throw InvalidRequestError(fmt::format(
            "alchemy: yield_per() cannot load {}.{}, which its mapping loads with every query "
            "(sa::Lazy::{}), on {}: the stream keeps the session's connection busy until the loop "
            "ends; {}",
            rel->owner().model_name, rel->name, rel->lazy == Lazy::selectin ? "selectin" : "joined",
            dialect.name(), streamed_alternative(*rel, false)));
    }
    return !loads.empty() || loads_eagerly(ops);
}

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

Connection& query_connection(SessionCore& core, std::size_t model, const QueryStatement& query) {
    const auto lower = [&] { return query.lower(query.query, query_form::rows); };
    if (core.has_binds()) core.check_tables(model, lower());
    return core.select_connection(model, lower);
}

std::int64_t count_rows(SessionCore& core, std::size_t model, const QueryStatement& query) {
    return run_scalar<std::int64_t>(core, model, query, query_form::count);
}

bool any_rows(SessionCore& core, std::size_t model, const QueryStatement& query) {
    return run_scalar<bool>(core, model, query, query_form::exists);
}

}  // namespace alchemy::detail
