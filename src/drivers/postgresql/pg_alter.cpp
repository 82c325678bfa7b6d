// PostgreSQL alters every part of a table in place: columns (type, default, NOT NULL,
// identity), constraints by name and indexes.
#include "drivers/postgresql/pg_migrate.hpp"

#include <fmt/format.h>

namespace alchemy::migrate::detail {
namespace {

/// `text` as an SQL string literal.
std::string sql_literal(std::string_view text) {
    std::string literal = "'";
    for (const char c : text) {
        if (c == '\'') literal += '\'';
        literal += c;
    }
    return literal + "'";
}

class PostgresqlAlterer final : public TableAlterer {
public:
    using TableAlterer::TableAlterer;

    DiffOptions diff_options() const override { return {&ddl(), true, true}; }

    void before_tables(Script& script, const TableDiff& diff) const override {
        for (const auto* fk : diff.foreign_keys.dropped)
            script.add(ddl().drop_foreign_key(*diff.from, *fk, false));
    }

    // Drops first, so nothing stands in the way of what follows (an index on a column
    // about to change type, a primary key about to move); adds last, once the columns
    // they name are in their new shape.
    void alter(Script& script, const TableDiff& diff) const override {
        const Table& from = *diff.from;
        const Table& to = *diff.to;
        for (const auto* index : diff.indexes.dropped) script.add(ddl().drop_index(*index));
        for (const auto& [old, now] : diff.indexes.renamed)
            script.add(fmt::format("ALTER INDEX {} RENAME TO {}", quoted(old->name), quoted(now->name)));
        for (const auto* check : diff.check_constraints.dropped)
            script.add(ddl().drop_constraint(from, check->name));
        for (const auto* unique : diff.unique_constraints.dropped)
            script.add(ddl().drop_constraint(from, unique->name));
        if (diff.primary_key_changed && !from.primary_key.columns.empty())
            script.add(ddl().drop_constraint(from, from.primary_key.name));

        if (diff.primary_key_renamed)
            rename_constraint(script, to, from.primary_key.name, to.primary_key.name);
        for (const auto& [old, now] : diff.unique_constraints.renamed)
            rename_constraint(script, to, old->name, now->name);
        for (const auto& [old, now] : diff.check_constraints.renamed)
            rename_constraint(script, to, old->name, now->name);
        for (const auto& [old, now] : diff.foreign_keys.renamed)
            rename_constraint(script, to, old->name, now->name);

        for (const auto* column : diff.added_columns) script.add(ddl().add_column(to, *column));
        for (const auto& change : diff.altered_columns) alter_column(script, to, change);
        for (const auto* column : diff.dropped_columns)
            script.add(fmt::format("ALTER TABLE {} DROP COLUMN {}", quoted(to.name), quoted(column->name)));

        if (diff.primary_key_changed && !to.primary_key.columns.empty())
            script.add(ddl().add_constraint(to, to.primary_key));
        for (const auto* unique : diff.unique_constraints.added)
            script.add(ddl().add_constraint(to, *unique));
        for (const auto* check : diff.check_constraints.added) script.add(ddl().add_constraint(to, *check));
        for (const auto* index : diff.indexes.added) script.add(ddl().create_index(to, *index));
    }

    void after_tables(Script& script, const TableDiff& diff) const override {
        for (const auto* fk : diff.foreign_keys.added)
            script.add(ddl().add_foreign_key(*diff.to, keeping_deferral(*fk, diff)));
    }

private:
    /// `added` as it replaces the foreign key of its name that the diff drops, if any: the
    /// models cannot declare DEFERRABLE, so the key keeps the database's (a downgrade's
    /// inspected key brings its own).
    static ForeignKey keeping_deferral(const ForeignKey& added, const TableDiff& diff) {
        ForeignKey key = added;
        if (key.deferrable) return key;
        for (const auto* dropped : diff.foreign_keys.dropped) {
            if (dropped->name != key.name) continue;
            key.deferrable = dropped->deferrable;
            key.initially_deferred = dropped->initially_deferred;
        }
        return key;
    }

    void rename_constraint(Script& script, const Table& table, const std::string& old,
                           const std::string& now) const {
        script.add(fmt::format("ALTER TABLE {} RENAME CONSTRAINT {} TO {}", quoted(table.name), quoted(old),
                               quoted(now)));
    }

    // The order makes each step valid where the next needs it: an identity goes before
    // anything else changes and comes last (it needs NOT NULL and no default); the old
    // default goes before a type change that could not convert it; existing NULLs take
    // the new default before NOT NULL is enforced, so those rows survive.
    void alter_column(Script& script, const Table& table, const ColumnChange& change) const {
        const Column& old = *change.from;
        const Column& now = *change.to;
        const auto alter =
            fmt::format("ALTER TABLE {} ALTER COLUMN {}", quoted(table.name), quoted(now.name));
        if (change.autoincrement && old.autoincrement) script.add(alter + " DROP IDENTITY");
        if (change.type) {
            if (change.server_default && old.server_default) script.add(alter + " DROP DEFAULT");
            // No USING: PostgreSQL then converts with its assignment cast, which refuses a
            // value the new type cannot hold (too long, out of range) where an explicit
            // cast would cut or coerce it, and refuses a change with no such cast at all.
            // Whoever wants another conversion writes USING into the revision.
            // TYPE alone would give the column its new type's default collation. The models
            // cannot declare one, so the column keeps the collation it has, where the new
            // type takes one (a downgrade's inspected type brings its own).
            ColumnType type = now.type;
            if (type.collation.empty() && type.kind == TypeKind::text) type.collation = old.type.collation;
            script.add(fmt::format("{} TYPE {}", alter, ddl().type_name(type)));
            if (change.server_default && now.server_default)
                script.add(fmt::format("{} SET DEFAULT {}", alter, *now.server_default));
        } else if (change.server_default) {
            script.add(now.server_default ? fmt::format("{} SET DEFAULT {}", alter, *now.server_default)
                                          : alter + " DROP DEFAULT");
        }
        if (change.nullable) {
            if (now.nullable) {
                script.add(alter + " DROP NOT NULL");
            } else {
                if (now.server_default)
                    script.add(fmt::format("UPDATE {} SET {} = {} WHERE {} IS NULL", quoted(table.name),
                                           quoted(now.name), *now.server_default, quoted(now.name)));
                script.add(alter + " SET NOT NULL");
            }
        }
        if (change.autoincrement && now.autoincrement) {
            script.add(fmt::format("{} ADD {}", alter, alchemy::detail::postgresql_identity(now)));
            // The new sequence starts at 1; move it past the values the rows already hold.
            script.add(
                fmt::format("SELECT setval(pg_get_serial_sequence({}, {}), COALESCE(MAX({}), 0) + 1, false) "
                            "FROM {}",
                            sql_literal(quoted(table.name)), sql_literal(now.name), quoted(now.name),
                            quoted(table.name)));
        }
    }
};

}  // namespace

std::unique_ptr<TableAlterer> make_postgresql_alterer(const DdlRenderer& ddl, const Dialect& dialect) {
    return std::make_unique<PostgresqlAlterer>(ddl, dialect);
}

}  // namespace alchemy::migrate::detail
