// Running session.query<T>(). A Query type per chain of filter() and order_by() calls is
// what makes its SQL cacheable, but everything that runs it (autoflush, the connection,
// reading rows into the session's objects, count(*), EXISTS, joined and streamed loads)
// depends on the model only. So a Query hands itself over as a QueryStatement: the few
// functions that depend on its type, as pointers. The running is compiled once per model
// (below) or once for all (src/orm/query_run.cpp), and each query adds only its statement
// tree, its values and its SQL cache.
#pragma once

#include "alchemy/core/connection.hpp"
#include "alchemy/core/param_buffer.hpp"
#include "alchemy/orm/detail/joined_loader.hpp"
#include "alchemy/orm/detail/model_set.hpp"
#include "alchemy/sql/statement_tree.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace alchemy::detail {

/// The statements one query's filters make: SELECT its rows, SELECT count(*) FROM them,
/// SELECT EXISTS (them).
enum class query_form : std::size_t { rows, count, exists };
inline constexpr std::size_t query_forms = 3;

/// A Query seen through the parts that depend on its type.
struct QueryStatement {
    const void* query;
    /// Its statement tree in `form`.
    ast::Select (*lower)(const void* query, query_form form);
    /// Its SQL in `form` for `dialect`: the cached text, or one rendered into `scratch`.
    std::string_view (*sql)(const void* query, const Dialect& dialect, query_form form, std::string& scratch);
    /// Binds its values, in text order (the same in every form).
    void (*bind)(const void* query, ParamBuffer& out);
};

/// The statement tree of `rows` in `form`: `rows` itself, or wrapped in count(*) or EXISTS.
ast::Select in_form(ast::Select rows, query_form form);

/// The connection that reads `query` of model id `model` (SessionCore::read_connection),
/// after SessionCore::check_tables of its statement.
Connection& query_connection(SessionCore& core, std::size_t model, const QueryStatement& query);

/// SELECT count(*) over the query's rows / SELECT EXISTS (them), on the connection that
/// reads `model`, after an autoflush.
std::int64_t count_rows(SessionCore& core, std::size_t model, const QueryStatement& query);
bool any_rows(SessionCore& core, std::size_t model, const QueryStatement& query);

/// yield_per()'s check of its loads, before anything runs: throws InvalidRequestError,
/// naming the relationship and what to do instead, for a joinedload option (the joined
/// loader reads the whole result before it hands out an object) and, where the backend
/// runs nothing else while it streams (`dialect`), for loads that need a statement per
/// batch (selectinload, the mapping's lazy(selectin|joined)). True when the stream's
/// batches need run_loader_options.
bool check_streamed_loads(const ModelOps& ops, std::span<const std::vector<LoadStep>> loads,
                          const Dialect& dialect);

/// The objects one query returned, as a group whose lazy loads run for all of them at once.
template <class T>
void remember_query_group(SessionCore& core, const std::vector<std::shared_ptr<T>>& objects) {
    if constexpr (!relationship_impl::relationship_fields<T>.empty()) {
        std::vector<InstanceState*> states;
        states.reserve(objects.size());
        for (const auto& object : objects) states.push_back(find_state(object));
        core.remember_group(model_ops<T>(), states);
    }
}

/// query<T>().all(): the session's objects for the query's rows, with the relationships
/// that joinedload options or the mapping name joined in.
template <class T>
std::vector<std::shared_ptr<T>> query_objects(SessionCore& core, const QueryStatement& query,
                                              std::span<const std::vector<LoadStep>> loads) {
    ParamBuffer params;
    query.bind(query.query, params);
    const auto joined = joined_steps(model_ops<T>(), loads);
    if (!joined.empty()) {
        auto rows = load_joined(core, model_ops<T>(), query.lower(query.query, query_form::rows),
                                params.params(), joined);
        std::vector<std::shared_ptr<T>> objects;
        objects.reserve(rows.size());
        for (auto& row : rows) objects.push_back(std::static_pointer_cast<T>(std::move(row)));
        return objects;
    }
    core.autoflush();
    auto& conn = query_connection(core, model_id<T>(), query);
    std::string scratch;
    std::vector<std::shared_ptr<T>> objects;
    adopt_rows<T>(core, conn, query.sql(query.query, conn.dialect(), query_form::rows, scratch),
                  params.params(), objects);
    remember_query_group(core, objects);
    return objects;
}

}  // namespace alchemy::detail
