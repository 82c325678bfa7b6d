// SQLite alters a table in place only to add a column or change its indexes; any other
// change rebuilds the table (Alembic's "batch mode"): copy the rows into a new table
// with the new definition and put it in the old one's place.
#include "core/ascii.hpp"
#include "drivers/sqlite/sqlite_migrate.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

namespace alchemy::migrate::detail {
namespace {

using alchemy::detail::equals_ignoring_ascii_case;

/// A signed decimal number: [+-] digits [. digits] [e [+-] digits].
bool is_number(std::string_view sql) noexcept {
    std::size_t i = 0;
    const auto sign = [&] {
        if (i < sql.size() && (sql[i] == '-' || sql[i] == '+')) ++i;
    };
    const auto digits = [&] {
        const auto start = i;
        while (i < sql.size() && std::isdigit(static_cast<unsigned char>(sql[i]))) ++i;
        return i - start;
    };
    sign();
    auto mantissa = digits();
    if (i < sql.size() && sql[i] == '.') {
        ++i;
        mantissa += digits();
    }
    if (mantissa == 0) return false;
    if (i < sql.size() && (sql[i] == 'e' || sql[i] == 'E')) {
        ++i;
        sign();
        if (digits() == 0) return false;
    }
    return i == sql.size();
}

/// A single '...' literal (X'...' for a blob): the quote that opens it closes it last.
bool is_quoted_literal(std::string_view sql) noexcept {
    if (!sql.empty() && (sql.front() == 'x' || sql.front() == 'X')) sql.remove_prefix(1);
    if (sql.size() < 2 || sql.front() != '\'' || sql.back() != '\'') return false;
    const auto inside = sql.substr(1, sql.size() - 2);
    for (std::size_t i = 0; i < inside.size(); ++i)
        if (inside[i] == '\'' && (i + 1 == inside.size() || inside[++i] != '\'')) return false;
    return true;
}

/// ADD COLUMN takes only a constant default: no CURRENT_TIMESTAMP and the like, no
/// expression (which SQLite requires in parentheses).
bool is_constant_default(std::string_view sql) noexcept {
    while (!sql.empty() && std::isspace(static_cast<unsigned char>(sql.front()))) sql.remove_prefix(1);
    while (!sql.empty() && std::isspace(static_cast<unsigned char>(sql.back()))) sql.remove_suffix(1);
    return is_number(sql) || is_quoted_literal(sql) || equals_ignoring_ascii_case(sql, "NULL") ||
           equals_ignoring_ascii_case(sql, "TRUE") || equals_ignoring_ascii_case(sql, "FALSE");
}

bool names_column(const std::vector<std::string>& columns, const std::string& name) {
    return std::ranges::find(columns, name) != columns.end();
}

/// What ALTER TABLE ... ADD COLUMN accepts: no key or unique column, a constant default,
/// and NOT NULL only with a default other than NULL.
bool can_add_column(const Table& table, const Column& column) {
    if (column.autoincrement || names_column(table.primary_key.columns, column.name)) return false;
    for (const auto& unique : table.unique_constraints)
        if (names_column(unique.columns, column.name)) return false;
    if (column.server_default)
        return is_constant_default(*column.server_default) &&
               (column.nullable || !equals_ignoring_ascii_case(*column.server_default, "NULL"));
    return column.nullable;
}

bool needs_rebuild(const TableDiff& diff) {
    if (!diff.dropped_columns.empty() || !diff.altered_columns.empty() || diff.primary_key_changed ||
        !diff.unique_constraints.empty() || !diff.foreign_keys.empty() || !diff.check_constraints.empty())
        return true;
    return std::ranges::any_of(diff.added_columns,
                               [&](const Column* column) { return !can_add_column(*diff.to, *column); });
}

class SqliteAlterer final : public TableAlterer {
public:
    using TableAlterer::TableAlterer;

    DiffOptions diff_options() const override { return {&ddl(), false, false, true}; }

    void alter(Script& script, const TableDiff& diff) const override {
        if (needs_rebuild(diff)) {
            rebuild(script, *diff.from, *diff.to);
            return;
        }
        // SQLite cannot rename an index: a renamed one is dropped and created anew.
        for (const auto* index : diff.indexes.dropped) script.add(ddl().drop_index(*index));
        for (const auto& renamed : diff.indexes.renamed) script.add(ddl().drop_index(*renamed.first));
        for (const auto* column : diff.added_columns) script.add(ddl().add_column(*diff.to, *column));
        for (const auto* index : diff.indexes.added) script.add(ddl().create_index(*diff.to, *index));
        for (const auto& renamed : diff.indexes.renamed)
            script.add(ddl().create_index(*diff.to, *renamed.second));
    }

private:
    // SQLite's ALTER TABLE cannot drop a column that takes part in anything, change a
    // column, or touch a constraint, so the table is rebuilt the way SQLite's own
    // documentation prescribes: create the new definition under a temporary name, copy
    // the rows, drop the old table, rename the new one into its place, recreate the
    // indexes (they went with the old table). This order matters: other tables refer to
    // the table by name, and renaming the *old* table away first would carry those
    // references along with it (SQLite >= 3.26 rewrites them), leaving them pointing at
    // a table about to be dropped. Foreign keys must be off meanwhile, so dropping the
    // old table deletes nothing through ON DELETE; the migration runner does that around
    // the transaction and runs PRAGMA foreign_key_check before committing. The triggers
    // went with the old table too: the runner creates them again after the rename
    // (sqlite_migrate.cpp), as the database the revision runs on has them, which need not
    // be the one autogenerate saw.
    void rebuild(Script& script, const Table& from, const Table& to) const {
        Table target = to;
        target.name = "_alchemy_tmp_" + to.name;
        script.comment(
            fmt::format("rebuild of {}: its rows move to a new table that takes its "
                        "place (SQLite's ALTER TABLE cannot make these changes); upgrade and "
                        "downgrade create its triggers again, a script run by hand must do that itself",
                        to.name));
        script.add(ddl().create_table(target, {}));

        // A column that exists on both sides keeps its values. A NOT NULL column that was
        // nullable takes its server default where it held NULL; a column that is new is
        // left out, so it gets its default (or NULL). Rowids that are not the key's come
        // along first, so that a key that becomes their alias takes its own values.
        const auto& key = from.primary_key.columns;
        const bool rowid_is_key =
            key.size() == 1 && from.column(key.front()) && from.column(key.front())->autoincrement;
        const bool keeps_rowid = !from.without_rowid && !rowid_is_key;
        std::vector<std::string> columns;
        std::vector<std::string> values;
        for (const auto& column : to.columns) {
            const Column* old = from.column(column.name);
            if (!old) continue;
            columns.push_back(quoted(column.name));
            values.push_back(old->nullable && !column.nullable && column.server_default
                                 ? fmt::format("COALESCE({}, {})", columns.back(), *column.server_default)
                                 : columns.back());
        }
        if (!columns.empty() && keeps_rowid) {
            columns.insert(columns.begin(), "rowid");
            values.insert(values.begin(), "rowid");
        }
        if (!columns.empty())
            script.add(fmt::format("INSERT INTO {} ({}) SELECT {} FROM {}", quoted(target.name),
                                   fmt::join(columns, ", "), fmt::join(values, ", "), quoted(from.name)));
        script.add(ddl().drop_table(from, false));
        script.add(fmt::format("ALTER TABLE {} RENAME TO {}", quoted(target.name), quoted(to.name)));
        for (const auto& index : to.indexes) script.add(ddl().create_index(to, index));
    }
};

}  // namespace

std::unique_ptr<TableAlterer> make_sqlite_alterer(const DdlRenderer& ddl, const Dialect& dialect) {
    return std::make_unique<SqliteAlterer>(ddl, dialect);
}

}  // namespace alchemy::migrate::detail
