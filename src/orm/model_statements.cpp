// The unit of work's statements, built as sql-layer statement trees from the model's Table.
#include "orm/model_statements.hpp"

#include "alchemy/sql/detail/ast.hpp"
#include "alchemy/sql/detail/batching.hpp"
#include "alchemy/sql/detail/update_from_values.hpp"

#include <deque>

namespace alchemy::detail {
namespace {

/// `"column" = ?` for each key column, then the version column when asked.
void match_key(const ModelOps& ops, std::vector<ast::Node>& where, bool with_version, std::string_view qualifier = {}) {
    const auto& columns = ops.table().columns;
    auto match = [&](std::size_t c) {
        ast::Node n{ast::Kind::binary, "="};
        n.children.emplace_back(ast::Kind::column, columns[c].name, qualifier);
        n.children.emplace_back(ast::Kind::parameter);
        where.push_back(std::move(n));
    };
    for (auto c : ops.primary_key) match(c);
    if (with_version && ops.version_column < ops.column_count) match(ops.version_column);
}

/// SELECT every column FROM the table.
ast::Select select_every_column(const Table& table) {
    ast::Select s;
    for (const auto& column : table.columns) s.columns.emplace_back(ast::Kind::column, column.name, table.name);
    ast::TableRef from;
    from.name = table.name;
    s.from.push_back(std::move(from));
    return s;
}

std::string render_insert(const Dialect& dialect, const ModelOps& ops, bool generated, std::size_t rows) {
    const auto& columns = ops.table().columns;
    ast::Insert s;
    s.table = ops.table().name;
    for (std::size_t c = 0; c < ops.column_count; ++c)
        if (!(generated && c == ops.generated_column)) s.columns.push_back(columns[c].name);
    s.rows = rows;
    if (generated) s.returning.emplace_back(ast::Kind::column, columns[ops.generated_column].name);
    return ast::render(dialect, s);
}

/// The columns an UPDATE ... FROM (VALUES ...) sets (the changed ones and the version) and
/// matches (the key and the old version), in bind order.
std::pair<std::vector<std::size_t>, std::vector<std::size_t>> update_columns(const ModelOps& ops,
                                                                             const ColumnMask& changed) {
    std::vector<std::size_t> set, match(ops.primary_key.begin(), ops.primary_key.end());
    for (std::size_t c = 0; c < ops.column_count; ++c)
        if (changed.test(c)) set.push_back(c);
    if (ops.version_column < ops.column_count) {
        set.push_back(ops.version_column);
        match.push_back(ops.version_column);
    }
    return {std::move(set), std::move(match)};
}

}  // namespace

template <class Render>
std::string_view ModelStatements::cached(std::string& text, Render&& render) {
    // Under the lock: another thread may be rendering the same text.
    if (text.empty()) text = render();
    return text;
}

std::string_view ModelStatements::select_by_key(const Dialect& dialect, const ModelOps& ops) {
    std::lock_guard lock(mutex_);
    return cached(texts(dialect).select_by_key, [&] {
        const auto& table = ops.table();
        auto s = select_every_column(table);
        match_key(ops, s.where, false, table.name);
        return ast::render(dialect, s);
    });
}

std::string_view ModelStatements::select_where_in(const Dialect& dialect, const ModelOps& ops, std::size_t column,
                                                  std::size_t count, std::size_t then_by, bool descending) {
    std::lock_guard lock(mutex_);
    return cached(texts(dialect).select_in[{column, count, then_by, descending}], [&] {
        const auto& table = ops.table();
        auto s = select_every_column(table);
        ast::Node in{ast::Kind::binary, "IN"};
        in.children.emplace_back(ast::Kind::column, table.columns[column].name, table.name);
        ast::Node list{ast::Kind::list};
        for (std::size_t i = 0; i < count; ++i) list.children.emplace_back(ast::Kind::parameter);
        in.children.push_back(std::move(list));
        s.where.push_back(std::move(in));
        s.order_by.push_back({ast::Node(ast::Kind::column, table.columns[column].name, table.name), {}});
        if (then_by < ops.column_count)
            s.order_by.push_back(
                {ast::Node(ast::Kind::column, table.columns[then_by].name, table.name), {.descending = descending}});
        for (auto k : ops.primary_key)
            if (k != column) s.order_by.push_back({ast::Node(ast::Kind::column, table.columns[k].name, table.name), {}});
        return ast::render(dialect, s);
    });
}

std::string_view ModelStatements::association_row(const Dialect& dialect, const ModelOps& ops, std::size_t a,
                                                  std::size_t b, bool insert) {
    std::lock_guard lock(mutex_);
    return cached(texts(dialect).association_rows[{a, b, insert}], [&] {
        const auto& columns = ops.table().columns;
        if (insert) {
            ast::Insert s;
            s.table = ops.table().name;
            s.columns = {columns[a].name, columns[b].name};
            return ast::render(dialect, s);
        }
        ast::Delete d;
        d.table = ops.table().name;
        for (auto c : {a, b}) {
            ast::Node n{ast::Kind::binary, "="};
            n.children.emplace_back(ast::Kind::column, columns[c].name);
            n.children.emplace_back(ast::Kind::parameter);
            d.where.push_back(std::move(n));
        }
        return ast::render(dialect, d);
    });
}

std::string_view ModelStatements::delete_row(const Dialect& dialect, const ModelOps& ops) {
    std::lock_guard lock(mutex_);
    return cached(texts(dialect).delete_row, [&] {
        ast::Delete d;
        d.table = ops.table().name;
        match_key(ops, d.where, true);
        return ast::render(dialect, d);
    });
}

std::size_t ModelStatements::insert_batch_rows(const Dialect& dialect, const ModelOps& ops, bool generated) {
    const auto columns = ops.column_count - (generated && ops.generated_column < ops.column_count ? 1 : 0);
    // With every column generated there is nothing to batch: DEFAULT VALUES is one row.
    return columns == 0 ? 1 : rows_per_statement(dialect, columns);
}

std::string_view ModelStatements::insert(const Dialect& dialect, const ModelOps& ops, bool generated,
                                         std::size_t rows, std::string& scratch) {
    const auto full = insert_batch_rows(dialect, ops, generated);
    if (rows != 1 && rows != full) return scratch = render_insert(dialect, ops, generated, rows);
    std::lock_guard lock(mutex_);
    auto& text = rows == 1 ? texts(dialect).insert_one[generated] : texts(dialect).insert_batch[generated];
    return cached(text, [&] { return render_insert(dialect, ops, generated, rows); });
}

std::string_view ModelStatements::update(const Dialect& dialect, const ModelOps& ops, const ColumnMask& changed) {
    std::lock_guard lock(mutex_);
    return cached(texts(dialect).updates[changed], [&] {
        const auto& columns = ops.table().columns;
        ast::Update u;
        u.table = ops.table().name;
        const auto [set, match] = update_columns(ops, changed);
        for (auto c : set) u.set.push_back({columns[c].name, ast::Node(ast::Kind::parameter)});
        match_key(ops, u.where, true);
        return ast::render(dialect, u);
    });
}

std::size_t ModelStatements::update_chunk_rows(const Dialect& dialect, const ModelOps& ops,
                                               const ColumnMask& changed) {
    const auto [set, match] = update_columns(ops, changed);
    return rows_per_statement(dialect, set.size() + match.size());
}

std::string_view ModelStatements::update_from_values(const Dialect& dialect, const ModelOps& ops,
                                                     const ColumnMask& changed, std::size_t rows,
                                                     std::string& scratch) {
    const auto [set, match] = update_columns(ops, changed);
    const auto render = [&] { return render_update_from_values(dialect, ops.table(), set, match, rows); };
    if (rows != update_chunk_rows(dialect, ops, changed)) return scratch = render();
    std::lock_guard lock(mutex_);
    return cached(texts(dialect).update_chunks[changed], render);
}

ModelStatements& new_model_statements() {
    static std::mutex mutex;
    static std::deque<ModelStatements> all;  // a deque never moves what it holds
    std::lock_guard lock(mutex);
    return all.emplace_back();
}

}  // namespace alchemy::detail
