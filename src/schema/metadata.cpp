// MetaData: validation, foreign-key ordering of tables, and create_all / drop_all.
#include "alchemy/schema/metadata.hpp"

#include "alchemy/core/error.hpp"
#include "alchemy/schema/naming.hpp"
#include "schema/ddl/ddl.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <utility>

namespace alchemy {
namespace {

// Constraints and indexes declared without a name get the conventional one, so
// everything created can later be dropped or compared by name.
void fill_conventional_names(Table& table) {
    if (table.primary_key.name.empty() && !table.primary_key.columns.empty())
        table.primary_key.name = naming::primary_key(table.name);
    for (auto& unique : table.unique_constraints)
        if (unique.name.empty()) unique.name = naming::unique(table.name, unique.columns);
    for (auto& index : table.indexes)
        if (index.name.empty()) index.name = naming::index(table.name, index.columns);
    for (auto& fk : table.foreign_keys)
        if (fk.name.empty()) fk.name = naming::foreign_key(table.name, fk.columns, fk.referred_table);
}

void check_columns_exist(const Table& table, std::string_view what, std::span<const std::string> columns) {
    if (columns.empty())
        throw ArgumentError(fmt::format("alchemy: {} of table '{}' names no columns", what, table.name));
    for (const auto& name : columns)
        if (!table.column(name))
            throw ArgumentError(
                fmt::format("alchemy: {} of table '{}' names column '{}', which table '{}' does not have",
                            what, table.name, name, table.name));
}

// What can be checked without the other tables; references are checked on create.
void check_table(const Table& table) {
    if (table.name.empty()) throw ArgumentError("alchemy: a table needs a name");
    if (table.columns.empty())
        throw ArgumentError(fmt::format("alchemy: table '{}' has no columns", table.name));
    for (auto column = table.columns.begin(); column != table.columns.end(); ++column) {
        if (column->name.empty())
            throw ArgumentError(fmt::format("alchemy: table '{}' has a column without a name", table.name));
        if (std::any_of(table.columns.begin(), column,
                        [&](const Column& c) { return c.name == column->name; }))
            throw ArgumentError(
                fmt::format("alchemy: table '{}' has two columns named '{}'", table.name, column->name));
        if (column->autoincrement && column->server_default)
            throw ArgumentError(
                fmt::format("alchemy: column '{}' of table '{}' is autoincrement and also has a server "
                            "default; the database can generate its value only one way",
                            column->name, table.name));
    }
    if (!table.primary_key.columns.empty())
        check_columns_exist(table, "the primary key", table.primary_key.columns);
    for (const auto& unique : table.unique_constraints)
        check_columns_exist(table, fmt::format("unique constraint '{}'", unique.name), unique.columns);
    for (const auto& index : table.indexes)
        check_columns_exist(table, fmt::format("index '{}'", index.name), index.columns);
    for (const auto& fk : table.foreign_keys) {
        const auto what = fmt::format("foreign key '{}'", fk.name);
        check_columns_exist(table, what, fk.columns);
        if (fk.columns.size() != fk.referred_columns.size())
            throw ArgumentError(fmt::format(
                "alchemy: {} of table '{}' has {} column(s) but refers to {} column(s) of "
                "table '{}'; the two lists must match one to one",
                what, table.name, fk.columns.size(), fk.referred_columns.size(), fk.referred_table));
    }
    for (const auto& check : table.check_constraints)
        if (check.name.empty())
            throw ArgumentError(
                fmt::format("alchemy: the check constraint CHECK ({}) of table '{}' has no name; "
                            "name it with naming::check()",
                            check.sql, table.name));
}

void check_references(const MetaData& metadata) {
    for (const auto& table : metadata.tables())
        for (const auto& fk : table.foreign_keys) {
            const Table* referred = metadata.table(fk.referred_table);
            if (!referred)
                throw ArgumentError(
                    fmt::format("alchemy: foreign key '{}' of table '{}' refers to table '{}', which is "
                                "not in this MetaData",
                                fk.name, table.name, fk.referred_table));
            for (const auto& column : fk.referred_columns)
                if (!referred->column(column))
                    throw ArgumentError(
                        fmt::format("alchemy: foreign key '{}' of table '{}' refers to column '{}', which "
                                    "table '{}' does not have",
                                    fk.name, table.name, column, fk.referred_table));
        }
}

/// For each table (by declaration position), the tables it refers to; self-references
/// and references to tables outside the MetaData do not count.
std::vector<std::vector<std::size_t>> references_between(const MetaData& metadata) {
    const auto& tables = metadata.tables();
    std::vector<std::vector<std::size_t>> refs(tables.size());
    for (std::size_t i = 0; i < tables.size(); ++i)
        for (const auto& fk : tables[i].foreign_keys) {
            const Table* referred = metadata.table(fk.referred_table);
            if (!referred) continue;
            const auto j = static_cast<std::size_t>(referred - tables.data());
            if (j != i && std::ranges::find(refs[i], j) == refs[i].end()) refs[i].push_back(j);
        }
    return refs;
}

/// Declaration positions in creation order.
///
/// Tables that share a reference cycle form one group; groups are ordered by Kahn's
/// algorithm (a group comes after every group it refers to, ties go to the group declared
/// first) and the tables of a group keep their declared order. Without cycles every
/// group is one table and this is plain Kahn with declaration order breaking ties.
std::vector<std::size_t> creation_order(const MetaData& metadata) {
    const auto refs = references_between(metadata);
    const auto n = refs.size();

    // reaches[i][j]: table i refers to table j, directly or through other tables.
    std::vector<std::vector<bool>> reaches(n, std::vector<bool>(n, false));
    for (std::size_t i = 0; i < n; ++i) {
        std::vector<std::size_t> pending(refs[i]);
        while (!pending.empty()) {
            const auto j = pending.back();
            pending.pop_back();
            if (reaches[i][j]) continue;
            reaches[i][j] = true;
            pending.insert(pending.end(), refs[j].begin(), refs[j].end());
        }
    }
    // group[i]: the first-declared table on a cycle with table i, or i itself.
    std::vector<std::size_t> group(n);
    std::vector<std::vector<std::size_t>> members(n);
    for (std::size_t i = 0; i < n; ++i) {
        group[i] = i;
        for (std::size_t j = 0; j < i; ++j)
            if (reaches[i][j] && reaches[j][i]) {
                group[i] = j;
                break;
            }
        members[group[i]].push_back(i);
    }

    std::vector<bool> placed(n, false);
    const auto ready = [&](std::size_t g) {
        for (auto member : members[g])
            for (auto referred : refs[member])
                if (!placed[referred] && group[referred] != g) return false;
        return true;
    };
    std::vector<std::size_t> order;
    order.reserve(n);
    while (order.size() < n) {
        // The groups form a DAG, so some unplaced group is always ready.
        for (std::size_t g = 0; g < n; ++g) {
            if (group[g] != g || placed[g] || !ready(g)) continue;
            for (auto member : members[g]) {
                placed[member] = true;
                order.push_back(member);
            }
            break;
        }
    }
    return order;
}

bool contains(std::span<const Table* const> tables, const Table* table) {
    return std::ranges::find(tables, table) != tables.end();
}

std::vector<std::string> render_create(const MetaData& metadata, const detail::DdlRenderer& renderer,
                                       std::span<const Table* const> existing) {
    std::vector<std::pair<const Table*, const ForeignKey*>> added_later;
    if (renderer.can_alter_foreign_keys()) added_later = metadata.cycle_foreign_keys();

    std::vector<std::string> statements;
    for (const Table* table : metadata.sorted_tables()) {
        if (contains(existing, table)) continue;
        std::vector<const ForeignKey*> own_added_later;
        for (const auto& [owner, fk] : added_later)
            if (owner == table) own_added_later.push_back(fk);
        statements.push_back(renderer.create_table(*table, own_added_later));
        for (const auto& index : table->indexes) statements.push_back(renderer.create_index(*table, index));
    }
    for (const auto& [table, fk] : added_later)
        if (!contains(existing, table)) statements.push_back(renderer.add_foreign_key(*table, *fk));
    return statements;
}

std::vector<std::string> render_drop(const MetaData& metadata, const detail::DdlRenderer& renderer,
                                     bool if_exists) {
    std::vector<std::string> statements;
    if (renderer.can_alter_foreign_keys())
        for (const auto& [table, fk] : metadata.cycle_foreign_keys())
            statements.push_back(renderer.drop_foreign_key(*table, *fk, if_exists));
    // Reverse iterators rather than std::views::reverse, which clang 14 cannot use with
    // libstdc++ 12.
    const auto sorted = metadata.sorted_tables();
    for (auto table = sorted.rbegin(); table != sorted.rend(); ++table)
        statements.push_back(renderer.drop_table(**table, if_exists));
    return statements;
}

bool table_exists(Connection& conn, const detail::DdlRenderer& renderer, const std::string& name) {
    const Param table_name = Param::of_text(name);
    return conn.execute_sql(renderer.has_table_query(), {&table_name, 1}).scalar<std::int64_t>().has_value();
}

/// Runs what before_drop_all() asked for. A connection whose settings cannot be restored
/// is discarded rather than returned to the pool in that state.
void restore_after_drop(const Engine& engine, Connection& conn, const std::string& sql) {
    if (sql.empty()) return;
    try {
        engine.log(sql);
        conn.driver_connection().execute_script(sql);
    } catch (...) {
        conn.invalidate();
        throw;
    }
}

}  // namespace

MetaData::MetaData(std::vector<Table> tables) {
    for (auto& table : tables) add(std::move(table));
}

void MetaData::add(Table table) {
    if (this->table(table.name))
        throw ArgumentError(fmt::format("alchemy: this MetaData already has a table named '{}'", table.name));
    fill_conventional_names(table);
    check_table(table);
    tables_.push_back(std::move(table));
}

const Table* MetaData::table(std::string_view name) const noexcept {
    for (const auto& t : tables_)
        if (t.name == name) return &t;
    return nullptr;
}

std::vector<const Table*> MetaData::sorted_tables() const {
    std::vector<const Table*> sorted;
    for (auto position : creation_order(*this)) sorted.push_back(&tables_[position]);
    return sorted;
}

std::vector<std::pair<const Table*, const ForeignKey*>> MetaData::cycle_foreign_keys() const {
    const auto order = creation_order(*this);
    std::vector<std::size_t> created_at(order.size());
    for (std::size_t step = 0; step < order.size(); ++step) created_at[order[step]] = step;

    std::vector<std::pair<const Table*, const ForeignKey*>> forward;
    for (auto position : order) {
        const Table& table = tables_[position];
        for (const auto& fk : table.foreign_keys) {
            const Table* referred = this->table(fk.referred_table);
            if (!referred || referred == &table) continue;
            const auto referred_position = static_cast<std::size_t>(referred - tables_.data());
            if (created_at[referred_position] > created_at[position]) forward.emplace_back(&table, &fk);
        }
    }
    return forward;
}

std::vector<std::string> MetaData::create_statements(const Dialect& dialect) const {
    check_references(*this);
    return render_create(*this, *detail::ddl_renderer_for(dialect), {});
}

std::vector<std::string> MetaData::drop_statements(const Dialect& dialect) const {
    return render_drop(*this, *detail::ddl_renderer_for(dialect), false);
}

void MetaData::create_all(Engine& engine, bool checkfirst) const {
    check_references(*this);
    const auto renderer = detail::ddl_renderer_for(engine.dialect());
    renderer->check_name_lengths(*this);
    // One transaction: PostgreSQL (and SQLite) DDL is transactional, so a failure part
    // way leaves no half-created schema behind.
    auto conn = engine.begin();
    std::vector<const Table*> existing;
    if (checkfirst)
        for (const auto& table : tables_)
            if (table_exists(conn, *renderer, table.name)) existing.push_back(&table);
    for (const auto& sql : render_create(*this, *renderer, existing)) conn.execute_script(sql);
    conn.commit();
}

void MetaData::drop_all(Engine& engine, bool checkfirst) const {
    const auto renderer = detail::ddl_renderer_for(engine.dialect());
    const auto statements = render_drop(*this, *renderer, checkfirst);
    auto conn = engine.connect();
    const auto restore = renderer->before_drop_all(engine, conn.driver_connection());
    try {
        auto tx = conn.begin();
        for (const auto& sql : statements) conn.execute_script(sql);
        std::vector<std::string_view> dropped;
        for (const auto& table : tables_) dropped.push_back(table.name);
        renderer->check_after_drop_all(conn.driver_connection(), dropped);
        tx.commit();
    } catch (...) {
        try {
            restore_after_drop(engine, conn, restore);
        } catch (...) {
            // The drop's own error is the one worth reporting; the connection is discarded.
        }
        throw;
    }
    restore_after_drop(engine, conn, restore);
}

}  // namespace alchemy
