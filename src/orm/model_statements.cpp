// The unit of work's statements, built as sql-layer statement trees from the model's Table.
#include "orm/model_statements.hpp"

#include "alchemy/sql/rows_per_statement.hpp"
#include "alchemy/sql/statement_tree.hpp"
#include "alchemy/sql/update_from_values.hpp"

#include <algorithm>
#include <deque>

namespace alchemy::detail {
namespace {

/// Whether the table's primary key, a unique constraint or an index the mapping declares
/// starts with `column`.
bool leads_an_index(const Table& table, std::string_view column) {
    const auto leads = [&](const std::vector<std::string>& columns) {
        return !columns.empty() && columns.front() == column;
    };
    return leads(table.primary_key.columns) ||
           std::any_of(table.unique_constraints.begin(), table.unique_constraints.end(),
                       [&](const UniqueConstraint& u) { return leads(u.columns); }) ||
           std::any_of(table.indexes.begin(), table.indexes.end(),
                       [&](const Index& i) { return leads(i.columns); });
}

/// `"column" = ?` for each key column, then the version column when asked.
void match_key(const ModelOps& ops, std::vector<ast::Node>& where, bool with_version,
               std::string_view qualifier = {}) {
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
    for (const auto& column : table.columns)
        s.columns.emplace_back(ast::Kind::column, column.name, table.name);
    ast::TableRef from;
    from.name = table.name;
    s.from.push_back(std::move(from));
    return s;
}

/// `value BETWEEN ? AND ?` for a range of keys, else `value IN (?, ...)`.
ast::Node one_of(const ast::Node& value, const ModelStatements::KeyBatch& keys) {
    ast::Node n{keys.range ? ast::Kind::between : ast::Kind::binary, keys.range ? "BETWEEN" : "IN"};
    n.children.push_back(value);
    if (keys.range) {
        n.children.emplace_back(ast::Kind::parameter);
        n.children.emplace_back(ast::Kind::parameter);
        return n;
    }
    ast::Node list{ast::Kind::list};
    for (std::size_t i = 0; i < keys.params.size(); ++i) list.children.emplace_back(ast::Kind::parameter);
    n.children.push_back(std::move(list));
    return n;
}

/// The columns of `mask` as RETURNING terms, in column order, named bare or (with a
/// qualifier, for an UPDATE ... FROM) by table.
std::vector<ast::Node> returning(const ModelOps& ops, const ColumnMask& mask,
                                 std::string_view qualifier = {}) {
    std::vector<ast::Node> out;
    for (std::size_t c = 0; c < ops.column_count; ++c)
        if (mask.test(c)) out.emplace_back(ast::Kind::column, ops.table().columns[c].name, qualifier);
    return out;
}

std::string render_insert(const Dialect& dialect, const ModelOps& ops, const ColumnMask& omitted,
                          std::size_t rows, bool returning_rows = true) {
    const auto& columns = ops.table().columns;
    ast::Insert s;
    s.table = ops.table().name;
    for (std::size_t c = 0; c < ops.column_count; ++c)
        if (!omitted.test(c)) s.columns.push_back(columns[c].name);
    s.rows = rows;
    if (returning_rows) s.returning = returning(ops, ModelStatements::returned_by_insert(ops, omitted));
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

/// The onupdate columns of an UPDATE of `changed` with their SQL.
std::vector<SqlAssignment> onupdate_sql(const ModelOps& ops, const ColumnMask& changed) {
    std::vector<SqlAssignment> out;
    const auto columns = ModelStatements::onupdate_columns(ops, changed);
    for (std::size_t c = 0; c < ops.column_count; ++c)
        if (columns.test(c)) out.push_back({c, ops.columns[c].onupdate});
    return out;
}

std::vector<std::size_t> indexes_of(const ModelOps& ops, const ColumnMask& mask) {
    std::vector<std::size_t> out;
    for (std::size_t c = 0; c < ops.column_count; ++c)
        if (mask.test(c)) out.push_back(c);
    return out;
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

std::string_view ModelStatements::select_where_keys(const Dialect& dialect, const ModelOps& ops,
                                                    std::size_t column, const KeyBatch& keys,
                                                    std::size_t then_by, bool descending, bool unordered) {
    std::lock_guard lock(mutex_);
    const auto key = std::tuple(column, keys.range, keys.params.size(), then_by, descending, unordered);
    return cached(texts(dialect).select_where_keys[key], [&] {
        const auto& table = ops.table();
        auto s = select_every_column(table);
        s.where.push_back(one_of(ast::Node(ast::Kind::column, table.columns[column].name, table.name), keys));
        if (unordered) return ast::render(dialect, s);
        // Each owner's rows reach its collection in this order, whether or not they come
        // grouped by owner. So by `column` first only where an index the mapping declares
        // yields that order: without one, the database would sort what it can read in key
        // order as it is (SQLite scans a table by its key).
        const bool by_column = leads_an_index(table, table.columns[column].name);
        if (by_column)
            s.order_by.push_back({ast::Node(ast::Kind::column, table.columns[column].name, table.name), {}});
        if (then_by < ops.column_count)
            s.order_by.push_back({ast::Node(ast::Kind::column, table.columns[then_by].name, table.name),
                                  {.descending = descending}});
        for (auto k : ops.primary_key)
            if (!by_column || k != column)
                s.order_by.push_back({ast::Node(ast::Kind::column, table.columns[k].name, table.name), {}});
        return ast::render(dialect, s);
    });
}

std::vector<ModelStatements::KeyBatch> ModelStatements::key_batches(const Dialect& dialect,
                                                                    const ModelOps& ops, std::size_t column,
                                                                    std::vector<std::int64_t> values) {
    std::sort(values.begin(), values.end());
    values.erase(std::unique(values.begin(), values.end()), values.end());
    if (values.empty()) return {};
    // Unsigned: the distance between the extremes of int64 does not fit a signed one.
    const auto span = static_cast<std::uint64_t>(values.back()) - static_cast<std::uint64_t>(values.front());
    if (span == values.size() - 1 && is_integer_kind(ops.table().columns[column].type.kind))
        return {{{Param::of_int(values.front()), Param::of_int(values.back())}, true}};
    constexpr auto sizes = in_list_sizes;
    // Few, long lists: each statement on a foreign key without an index scans the table.
    const auto fits =
        std::find_if(sizes.rbegin(), sizes.rend(), [&](auto s) { return s <= dialect.parameter_limit(); });
    const auto largest = fits == sizes.rend() ? sizes.front() : *fits;
    std::vector<KeyBatch> out;
    for (std::size_t begin = 0; begin < values.size();) {
        const auto n = std::min(values.size() - begin, largest);
        const auto padded = *std::find_if(sizes.begin(), sizes.end(), [&](auto s) { return s >= n; });
        auto& params = out.emplace_back().params;
        params.reserve(padded);
        for (std::size_t i = 0; i < padded; ++i)
            params.push_back(Param::of_int(values[begin + std::min(i, n - 1)]));
        begin += n;
    }
    return out;
}

std::string_view ModelStatements::shared_values(const Dialect& dialect, const ModelOps& ops,
                                                std::size_t column, const KeyBatch& keys) {
    std::lock_guard lock(mutex_);
    return cached(texts(dialect).shared[{column, keys.range, keys.params.size()}], [&] {
        const auto& table = ops.table();
        const ast::Node value(ast::Kind::column, table.columns[column].name, table.name);
        ast::Node rows{ast::Kind::function, "count"};
        rows.children.emplace_back(ast::Kind::star);
        ast::Select s;
        s.columns = {value, rows};
        ast::TableRef from;
        from.name = table.name;
        s.from.push_back(std::move(from));
        s.where.push_back(one_of(value, keys));
        s.group_by.push_back(value);
        ast::Node several{ast::Kind::binary, ">"};
        several.children.push_back(std::move(rows));
        several.children.emplace_back(ast::Kind::keyword, "1");
        s.having.push_back(std::move(several));
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

ColumnMask ModelStatements::returned_by_insert(const ModelOps& ops, const ColumnMask& omitted) {
    ColumnMask out = omitted;
    if (omitted.any() && !(ops.generated_column < ops.column_count && omitted.test(ops.generated_column)))
        for (auto k : ops.primary_key) out.set(k);
    return out;
}

std::size_t ModelStatements::insert_batch_rows(const Dialect& dialect, const ModelOps& ops,
                                               const ColumnMask& omitted) {
    std::size_t columns = 0;
    for (std::size_t c = 0; c < ops.column_count; ++c) columns += omitted.test(c) ? 0 : 1;
    // With every column left to the database there is nothing to batch: DEFAULT VALUES is one row.
    return columns == 0 ? 1 : rows_per_statement(dialect, columns);
}

std::string_view ModelStatements::insert(const Dialect& dialect, const ModelOps& ops,
                                         const ColumnMask& omitted, std::size_t rows, std::string& scratch) {
    const auto full = insert_batch_rows(dialect, ops, omitted);
    if (rows != 1 && rows != full) return scratch = render_insert(dialect, ops, omitted, rows);
    std::lock_guard lock(mutex_);
    auto& text = rows == 1 ? texts(dialect).insert_one[omitted] : texts(dialect).insert_batch[omitted];
    return cached(text, [&] { return render_insert(dialect, ops, omitted, rows); });
}

std::string_view ModelStatements::insert_unreturned(const Dialect& dialect, const ModelOps& ops,
                                                    std::size_t rows, std::string& scratch) {
    ColumnMask omitted;
    omitted.set(ops.generated_column);
    if (rows != insert_batch_rows(dialect, ops, omitted))
        return scratch = render_insert(dialect, ops, omitted, rows, false);
    std::lock_guard lock(mutex_);
    return cached(texts(dialect).insert_unreturned_batch,
                  [&] { return render_insert(dialect, ops, omitted, rows, false); });
}

const KeyNumberingSql& ModelStatements::key_numbering(const Dialect& dialect, const ModelOps& ops) {
    std::lock_guard lock(mutex_);
    auto& sql = texts(dialect).key_numbering;
    if (!sql)
        sql = dialect.key_numbering_sql(ops.table().name, ops.table().columns[ops.generated_column].name);
    return *sql;
}

const ReservedKeysSql& ModelStatements::reserved_keys(const Dialect& dialect, const ModelOps& ops) {
    std::lock_guard lock(mutex_);
    auto& sql = texts(dialect).reserved_keys;
    if (!sql) sql = dialect.reserved_keys_sql(ops.table().name);
    return *sql;
}

ColumnMask ModelStatements::onupdate_columns(const ModelOps& ops, const ColumnMask& changed) {
    return ops.onupdate.without(changed);
}

ColumnMask ModelStatements::written_by_update(const ModelOps& ops, const ColumnMask& changed) {
    auto out = onupdate_columns(ops, changed);
    out |= changed;
    if (ops.version_column < ops.column_count) out.set(ops.version_column);
    return out;
}

ColumnMask ModelStatements::returned_by_update(const ModelOps& ops, const ColumnMask& changed) {
    ColumnMask out = onupdate_columns(ops, changed);
    if (out.any())
        for (auto k : ops.primary_key) out.set(k);
    return out;
}

std::string_view ModelStatements::update(const Dialect& dialect, const ModelOps& ops,
                                         const ColumnMask& changed) {
    std::lock_guard lock(mutex_);
    return cached(texts(dialect).updates[changed], [&] {
        const auto& columns = ops.table().columns;
        ast::Update u;
        u.table = ops.table().name;
        const auto [set, match] = update_columns(ops, changed);
        for (auto c : set) u.set.push_back({columns[c].name, ast::Node(ast::Kind::parameter)});
        // The onupdate SQL binds nothing, so the parameters keep their order.
        for (const auto& a : onupdate_sql(ops, changed))
            u.set.push_back({columns[a.column].name, ast::Node(ast::Kind::keyword, a.sql)});
        match_key(ops, u.where, true);
        u.returning = returning(ops, returned_by_update(ops, changed));
        return ast::render(dialect, u);
    });
}

std::string_view ModelStatements::set_null(const Dialect& dialect, const ModelOps& ops, std::size_t column) {
    std::lock_guard lock(mutex_);
    return cached(texts(dialect).set_null[column], [&] {
        ast::Update u;
        u.table = ops.table().name;
        u.set.push_back({ops.table().columns[column].name, ast::Node(ast::Kind::null)});
        match_key(ops, u.where, false);
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
    // Captured by name: clang 14 cannot capture structured bindings implicitly.
    const auto render = [&, &set = set, &match = match] {
        return render_update_from_values(dialect, ops.table(), set, match, rows, onupdate_sql(ops, changed),
                                         indexes_of(ops, returned_by_update(ops, changed)));
    };
    if (rows != update_chunk_rows(dialect, ops, changed)) return scratch = render();
    std::lock_guard lock(mutex_);
    return cached(texts(dialect).update_chunks[changed], render);
}

ColumnMask columns_with_onupdate(std::span<const ColumnSpec> columns) noexcept {
    ColumnMask out;
    for (std::size_t c = 0; c < columns.size(); ++c)
        if (!columns[c].onupdate.empty()) out.set(c);
    return out;
}

ColumnMask columns_in_unique_keys(const Table& table) {
    ColumnMask out;
    const auto mark = [&](const std::vector<std::string>& names) {
        for (const auto& name : names)
            for (std::size_t c = 0; c < table.columns.size(); ++c)
                if (table.columns[c].name == name) out.set(c);
    };
    mark(table.primary_key.columns);
    for (const auto& unique : table.unique_constraints) mark(unique.columns);
    for (const auto& index : table.indexes)
        if (index.unique) mark(index.columns);
    return out;
}

ModelStatements& new_model_statements() {
    static std::mutex mutex;
    static std::deque<ModelStatements> all;  // a deque never moves what it holds
    std::lock_guard lock(mutex);
    return all.emplace_back();
}

}  // namespace alchemy::detail
