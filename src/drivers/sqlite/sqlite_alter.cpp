// SQLite alters a table in place only to add a column or change its indexes; any other
// change rebuilds the table (Alembic's "batch mode"): copy the rows into a new table
// with the new definition and put it in the old one's place.
#include "core/ascii.hpp"
#include "drivers/sqlite/sqlite_defaults.hpp"
#include "drivers/sqlite/sqlite_migrate.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <string>
#include <vector>

namespace alchemy::migrate::detail {
namespace {

using alchemy::detail::equals_ignoring_ascii_case;

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
        return alchemy::detail::sqlite_is_constant_default(*column.server_default) &&
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
            rebuild(script, diff);
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
    // be the one autogenerate saw; so it does with the indexes, and refuses to lose the
    // constraints, that the revision does not drop on purpose. The indexes the models no
    // longer have are therefore dropped by name, and the constraints named in a comment.
    void rebuild(Script& script, const TableDiff& diff) const {
        const Table& from = *diff.from;
        const Table& to = *diff.to;
        Table target = to;
        target.name = "_alchemy_tmp_" + to.name;
        script.comment(
            fmt::format("rebuild of {}: its rows move to a new table that takes its "
                        "place (SQLite's ALTER TABLE cannot make these changes); upgrade and "
                        "downgrade create its triggers again, a script run by hand must do that itself",
                        to.name));
        // A definition that changed under the same name is dropped and added, but keeps its name.
        const auto note_dropped = [&](const auto& changes, const auto& kept) {
            const auto note = [&](const std::string& name) {
                if (std::ranges::none_of(kept,
                                         [&](const auto& constraint) { return constraint.name == name; }))
                    script.comment(fmt::format("{}{}{}{}", rebuild_of, to.name, drops_constraint, name));
            };
            for (const auto* constraint : changes.dropped) note(constraint->name);
            for (const auto& [old, renamed] : changes.renamed) note(old->name);
        };
        note_dropped(diff.unique_constraints, to.unique_constraints);
        note_dropped(diff.check_constraints, to.check_constraints);
        note_dropped(diff.foreign_keys, to.foreign_keys);
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
        for (const auto* index : diff.indexes.dropped) script.add(ddl().drop_index(*index));
        for (const auto& [old, renamed] : diff.indexes.renamed) script.add(ddl().drop_index(*old));
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
