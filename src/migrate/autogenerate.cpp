// autogenerate(): the database as inspected against the models, written as a migration.
// Both directions come from one writer: the downgrade is the same comparison read from
// the models back to the database, so it restores exactly what the upgrade changed.
#include "alchemy/migrate/autogenerate.hpp"

#include "migrate/backend.hpp"
#include "migrate/diff.hpp"
#include "schema/ddl/ddl.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <deque>
#include <memory>
#include <utility>

namespace alchemy::migrate {
namespace {

using detail::DdlRenderer;
using detail::Matching;
using detail::Script;
using detail::TableAlterer;
using detail::TableDiff;

enum class Direction { upgrade, downgrade };

std::string column_list(const std::vector<std::string>& columns) {
    return fmt::format("({})", fmt::join(columns, ", "));
}

bool is_float(TypeKind kind) noexcept {
    return kind == TypeKind::single_precision || kind == TypeKind::double_precision;
}

/// True when `to` cannot hold every value of `from`: a shorter text, a smaller integer or
/// a boolean, an integer made a float with fewer digits (a 32-bit one single precision, a
/// 64-bit one any float), a float made integer or single precision, a timestamp made a
/// date, or text or bytes made anything else.
bool narrows(const ColumnType& from, const ColumnType& to) noexcept {
    if (from.kind == TypeKind::text)
        return to.kind != TypeKind::text || (to.length > 0 && (from.length == 0 || to.length < from.length));
    if (from.kind == TypeKind::blob) return to.kind != TypeKind::blob;
    if (is_integer_kind(from.kind))
        return to.kind == TypeKind::boolean || (is_integer_kind(to.kind) && to.kind < from.kind) ||
               (to.kind == TypeKind::single_precision && from.kind != TypeKind::small_integer) ||
               (to.kind == TypeKind::double_precision && from.kind == TypeKind::big_integer);
    if (is_float(from.kind))
        return is_integer_kind(to.kind) || to.kind == TypeKind::boolean ||
               (is_float(to.kind) && to.kind < from.kind);
    return from.kind == TypeKind::timestamp && to.kind == TypeKind::date;
}

/// One direction of the migration, from the schema `from` to the schema `to`: renames,
/// new tables in foreign-key order, each remaining table's changes, then the tables
/// that go, in reverse foreign-key order.
class Writer {
public:
    Writer(const MetaData& from, const MetaData& to, const Matching& matching, const Dialect& dialect,
           const DdlRenderer& ddl, const TableAlterer& alterer, Direction direction)
        : from_(from),
          to_(to),
          matching_(matching),
          dialect_(dialect),
          ddl_(ddl),
          alterer_(alterer),
          direction_(direction) {}

    void write() {
        rename_tables();
        rename_columns();
        create_tables();
        alter_tables();
        drop_tables();
    }

    Script script;
    std::vector<std::string> changes;

private:
    std::string quoted(std::string_view name) const { return dialect_.quote_identifier(name); }
    std::string_view migration() const {
        return direction_ == Direction::upgrade ? "the upgrade" : "the downgrade";
    }
    void warn(const std::string& text) {
        script.comment("WARNING: " + text);
        // Printed on a terminal, where an escape sequence in a name would act.
        auto shown = alchemy::detail::printable(text);
        script.warnings.push_back(direction_ == Direction::upgrade ? std::move(shown)
                                                                   : "downgrade: " + shown);
    }

    // Renames run first, so everything after addresses tables and columns by their
    // new names only.
    void rename_tables() {
        for (const Table* table : to_.sorted_tables()) {
            const auto* pair = matching_.pair_of(table);
            if (!pair || !pair->renamed()) continue;
            script.add(
                fmt::format("ALTER TABLE {} RENAME TO {}", quoted(pair->from->name), quoted(table->name)));
            changes.push_back(fmt::format("rename table {} to {}", pair->from->name, table->name));
        }
    }

    void rename_columns() {
        for (const Table* table : to_.sorted_tables()) {
            const auto* pair = matching_.pair_of(table);
            if (!pair) continue;
            for (const auto& rename : pair->column_renames) {
                script.add(fmt::format("ALTER TABLE {} RENAME COLUMN {} TO {}", quoted(table->name),
                                       quoted(rename.from), quoted(rename.to)));
                changes.push_back(
                    fmt::format("rename column {0}.{1} to {0}.{2}", table->name, rename.from, rename.to));
            }
        }
    }

    // The new tables on their own give MetaData's order: each after the tables it
    // refers to, and (where the backend can) a reference cycle closed once both exist.
    void create_tables() {
        std::vector<Table> added;
        for (const Table* table : to_.sorted_tables())
            if (std::ranges::find(matching_.added, table) != matching_.added.end()) added.push_back(*table);
        if (added.empty()) return;
        const MetaData created(std::move(added));
        std::vector<std::pair<const Table*, const ForeignKey*>> added_later;
        if (ddl_.can_alter_foreign_keys()) added_later = created.cycle_foreign_keys();

        for (const Table* table : created.sorted_tables()) {
            if (direction_ == Direction::downgrade)
                script.comment(
                    fmt::format("table {} comes back empty: its rows went with the upgrade", table->name));
            std::vector<const ForeignKey*> own_added_later;
            for (const auto& [owner, fk] : added_later)
                if (owner == table) own_added_later.push_back(fk);
            script.add(ddl_.create_table(*table, own_added_later));
            for (const auto& index : table->indexes) script.add(ddl_.create_index(*table, index));
            changes.push_back(fmt::format("add table {}", table->name));
        }
        for (const auto& [table, fk] : added_later) script.add(ddl_.add_foreign_key(*table, *fk));
    }

    void alter_tables() {
        std::deque<Table> renamed;  // diffs point into these
        std::vector<TableDiff> diffs;
        for (const Table* table : to_.sorted_tables()) {
            const auto* pair = matching_.pair_of(table);
            if (!pair) continue;
            renamed.push_back(detail::after_renames(*pair, matching_));
            auto diff = detail::diff_table(renamed.back(), *table, alterer_.diff_options());
            if (!diff.empty()) diffs.push_back(std::move(diff));
        }
        for (const auto& diff : diffs) alterer_.before_tables(script, diff);
        for (const auto& diff : diffs) {
            notes(diff);
            describe(diff);
            alterer_.alter(script, diff);
        }
        for (const auto& diff : diffs) alterer_.after_tables(script, diff);
    }

    void drop_tables() {
        std::vector<Table> removed;
        for (const Table* table : from_.sorted_tables())
            if (std::ranges::find(matching_.removed, table) != matching_.removed.end())
                removed.push_back(*table);
        if (removed.empty()) return;
        if (direction_ == Direction::upgrade) table_rename_candidates(removed);
        const MetaData dropped(std::move(removed));
        for (auto& statement : dropped.drop_statements(dialect_)) script.add(std::move(statement));
        // Reverse iterators rather than std::views::reverse, which clang 14 cannot use with
        // libstdc++ 12.
        const auto sorted = dropped.sorted_tables();
        for (auto table = sorted.rbegin(); table != sorted.rend(); ++table)
            changes.push_back(fmt::format("drop table {}", (*table)->name));
    }

    // What a person should know before running the statements that follow: a likely
    // rename written as drop + add, a NOT NULL that existing rows may not satisfy, a
    // column that comes back without its data.
    void notes(const TableDiff& diff) {
        const auto& table = diff.to->name;
        if (direction_ == Direction::upgrade) rename_candidates(diff);
        for (const Column* column : diff.added_columns) {
            if (direction_ == Direction::downgrade)
                script.comment(
                    fmt::format("column {}.{} comes back empty (NULL or its server default): its data went "
                                "with the upgrade",
                                table, column->name));
            if (!column->nullable && !column->server_default && !column->autoincrement)
                warn(
                    fmt::format("column {0}.{1} is added NOT NULL without a server default: {2} fails if {0} "
                                "has rows; give it a server default or fill it in the revision",
                                table, column->name, migration()));
        }
        for (const auto& change : diff.altered_columns) {
            const auto& from_type = change.from->type;
            if (change.type && (!from_type.database_type.empty() || !from_type.domain.empty()))
                warn(
                    fmt::format("column {}.{} is {} in the database, which no model type describes: {} "
                                "makes it {}; if the database's type is the one to keep, take the "
                                "statement out of the revision (check will go on reporting it)",
                                table, change.to->name, ddl_.type_name(from_type), migration(),
                                ddl_.type_name(change.to->type)));
            else if (change.type && narrows(change.from->type, change.to->type))
                warn(fmt::format(
                    "column {}.{} narrows from {} to {}: on PostgreSQL a value it cannot hold fails {} "
                    "(a number is rounded into a float, bytes become their text escape); SQLite's rebuild "
                    "converts what the new type's affinity can (a number rounded into REAL, a text that "
                    "reads as a number made that number) and keeps the rest as it was; check the data, "
                    "or write the conversion into the revision (PostgreSQL: ALTER COLUMN ... TYPE ... "
                    "USING expression)",
                    table, change.to->name, ddl_.type_name(change.from->type),
                    ddl_.type_name(change.to->type), migration()));
            if (change.nullable && !change.to->nullable && !change.to->server_default &&
                !change.to->autoincrement)
                warn(
                    fmt::format("column {}.{} becomes NOT NULL without a server default: {} fails if a row "
                                "holds NULL in it",
                                table, change.to->name, migration()));
        }
    }

    /// Pairs each dropped table with an added one, preferring the most column names in
    /// common: a table renamed in the models without sa::renamed_from loses its rows.
    void table_rename_candidates(const std::vector<Table>& removed) {
        std::vector<const Table*> added = matching_.added;
        for (const auto& dropped : removed) {
            const auto in_common = [&](const Table* table) {
                return std::ranges::count_if(
                    table->columns, [&](const Column& c) { return dropped.column(c.name) != nullptr; });
            };
            const auto chosen = std::ranges::max_element(
                added, [&](const Table* a, const Table* b) { return in_common(a) < in_common(b); });
            if (chosen == added.end()) return;
            warn(
                fmt::format("table {0} dropped and table {1} added: if this was a rename, declare "
                            "sa::renamed_from(\"{0}\") in the mapping of table {1}; as written, the rows of "
                            "{0} are lost",
                            dropped.name, (*chosen)->name));
            added.erase(chosen);
        }
    }

    /// Pairs each dropped column with an added one, preferring the same type.
    void rename_candidates(const TableDiff& diff) {
        std::vector<bool> taken(diff.added_columns.size(), false);
        for (const Column* dropped : diff.dropped_columns) {
            const auto type = ddl_.type_name(dropped->type);
            std::size_t chosen = taken.size();
            for (std::size_t i = 0; i < taken.size(); ++i) {
                if (taken[i]) continue;
                if (chosen == taken.size()) chosen = i;
                if (ddl_.type_name(diff.added_columns[i]->type) == type) {
                    chosen = i;
                    break;
                }
            }
            if (chosen == taken.size()) return;
            taken[chosen] = true;
            const auto& table = diff.to->name;
            const auto& added = diff.added_columns[chosen]->name;
            warn(
                fmt::format("column {0}.{1} dropped and {0}.{2} added: if this was a rename, declare "
                            "sa::renamed_from(&T::{2}, \"{1}\") in the mapping of table {0}; as written, "
                            "the data of {0}.{1} is lost",
                            table, dropped->name, added));
        }
    }

    void describe(const TableDiff& diff) {
        const auto& table = diff.to->name;
        for (const Column* column : diff.added_columns)
            changes.push_back(fmt::format("add column {}.{}", table, column->name));
        for (const auto& change : diff.altered_columns)
            changes.push_back(
                fmt::format("alter column {}.{}: {}", table, change.to->name, describe(change)));
        for (const Column* column : diff.dropped_columns)
            changes.push_back(fmt::format("drop column {}.{}", table, column->name));

        const auto& old_key = diff.from->primary_key;
        const auto& new_key = diff.to->primary_key;
        if (diff.primary_key_changed) {
            if (old_key.columns.empty())
                changes.push_back(
                    fmt::format("add primary key {} {}", new_key.name, column_list(new_key.columns)));
            else if (new_key.columns.empty())
                changes.push_back(fmt::format("drop primary key {}", old_key.name));
            else
                changes.push_back(fmt::format("alter primary key {}: {} → {}", new_key.name,
                                              column_list(old_key.columns), column_list(new_key.columns)));
        }
        if (diff.primary_key_renamed)
            changes.push_back(fmt::format("rename primary key {} to {}", old_key.name, new_key.name));
        describe(diff.unique_constraints, "unique constraint");
        describe(diff.foreign_keys, "foreign key");
        describe(diff.check_constraints, "check constraint");
        describe(diff.indexes, "index");
    }

    std::string describe(const detail::ColumnChange& change) const {
        const Column& old = *change.from;
        const Column& now = *change.to;
        std::vector<std::string> parts;
        if (change.type)
            parts.push_back(fmt::format("{} → {}", ddl_.type_name(old.type), ddl_.type_name(now.type)));
        if (change.nullable) parts.emplace_back(now.nullable ? "NOT NULL → nullable" : "nullable → NOT NULL");
        if (change.server_default) {
            if (!old.server_default) parts.push_back(fmt::format("default {}", *now.server_default));
            else if (!now.server_default)
                parts.push_back(fmt::format("no default (was {})", *old.server_default));
            else parts.push_back(fmt::format("default {} → {}", *old.server_default, *now.server_default));
        }
        if (change.autoincrement)
            parts.emplace_back(now.autoincrement ? "autoincrement on" : "autoincrement off");
        return fmt::format("{}", fmt::join(parts, ", "));
    }

    template <class T>
    void describe(const detail::ItemChanges<T>& items, std::string_view kind) {
        const auto named = [](const std::vector<const T*>& list, const std::string& name) {
            return std::ranges::any_of(list, [&](const T* item) { return item->name == name; });
        };
        for (const T* item : items.dropped)
            changes.push_back(
                fmt::format("{} {} {}", named(items.added, item->name) ? "alter" : "drop", kind, item->name));
        for (const T* item : items.added)
            if (!named(items.dropped, item->name))
                changes.push_back(fmt::format("add {} {}", kind, item->name));
        for (const auto& [old, now] : items.renamed)
            changes.push_back(fmt::format("rename {} {} to {}", kind, old->name, now->name));
    }

    const MetaData& from_;
    const MetaData& to_;
    const Matching& matching_;
    const Dialect& dialect_;
    const DdlRenderer& ddl_;
    const TableAlterer& alterer_;
    Direction direction_;
};

}  // namespace

Plan autogenerate(const MetaData& inspected, const MetaData& models, const Dialect& dialect) {
    const auto ddl = alchemy::detail::ddl_renderer_for(dialect);
    ddl->check_name_lengths(models);
    const auto alterer = detail::migrate_backend(dialect).alterer(*ddl, dialect);
    const MetaData database =
        alterer->diff_options().names_ignore_case ? detail::respelled(inspected, models) : inspected;
    const auto matching = detail::match(database, models);
    const auto back = detail::reversed(matching);

    Writer upgrade(database, models, matching, dialect, *ddl, *alterer, Direction::upgrade);
    upgrade.write();
    Writer downgrade(models, database, back, dialect, *ddl, *alterer, Direction::downgrade);
    downgrade.write();

    Plan plan;
    plan.upgrade = std::move(upgrade.script.statements);
    plan.downgrade = std::move(downgrade.script.statements);
    // Printed and written into the revision's header, where a name's control characters
    // could forge a line or act on a terminal.
    for (const auto& change : upgrade.changes) plan.changes.push_back(alchemy::detail::printable(change));
    plan.warnings = std::move(upgrade.script.warnings);
    for (auto& warning : downgrade.script.warnings) plan.warnings.push_back(std::move(warning));
    return plan;
}

}  // namespace alchemy::migrate
