// SQLite's migrations: its schema reader and alterer, no lock on the version table (a
// write transaction already excludes every other writer), and around each revision what a
// table rebuild needs: foreign keys switched off, and what the models do not describe of
// the rebuilt table (triggers, expression and partial indexes) created again.
#include "drivers/sqlite/sqlite_migrate.hpp"
#include "core/ascii.hpp"

#include "alchemy/core/error.hpp"
#include "alchemy/core/text.hpp"
#include "migrate/backend.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace alchemy::migrate::detail {
namespace {

/// SQLite ignores PRAGMA foreign_keys inside a transaction, so it is switched off on the
/// connection before BEGIN and back on once the transaction has ended (the runner makes
/// the guard before the transaction, so it is destroyed after it). A connection whose
/// setting cannot be restored is discarded rather than returned to the pool; new
/// connections enforce foreign keys anyway, and the revision's outcome stands.
class ForeignKeysOff {
public:
    ForeignKeysOff(Engine& engine, Connection& conn) : engine_(engine), conn_(conn) {
        auto& cursor = conn.driver_connection().execute("PRAGMA foreign_keys", {});
        const bool enforced = cursor.next() && cursor.read_int(0) != 0;
        cursor.close();
        if (!enforced) return;
        switch_to("PRAGMA foreign_keys = OFF");
        restore_ = true;
    }
    ForeignKeysOff(const ForeignKeysOff&) = delete;
    ForeignKeysOff& operator=(const ForeignKeysOff&) = delete;
    ~ForeignKeysOff() {
        if (!restore_) return;
        try {
            switch_to("PRAGMA foreign_keys = ON");
        } catch (...) {
            conn_.invalidate();
        }
    }

    /// With enforcement off, the revision's statements were not checked as they ran.
    void check(Connection& conn, std::string_view revision) const {
        const auto violations =
            conn.execute(text("PRAGMA foreign_key_check")
                             .columns<std::string, std::optional<std::int64_t>, std::string, std::int64_t>())
                .all();
        if (violations.empty()) return;
        const auto& [table, rowid, parent, fk] = violations.front();
        throw MigrationError(
            fmt::format("alchemy: {} was rolled back: it leaves {} row(s) that break foreign keys, the first "
                        "in table {} (rowid {}) referring to table {}",
                        revision, violations.size(), table, rowid ? std::to_string(*rowid) : "?", parent));
    }

private:
    void switch_to(std::string_view sql) {
        engine_.log(sql);
        conn_.driver_connection().execute_script(sql);
    }
    Engine& engine_;
    Connection& conn_;
    bool restore_ = false;
};

/// DROP TABLE drops the table's triggers and indexes with it, so a table that a revision
/// drops and then puts back under the same name (a rebuild: sqlite_alter.cpp's, or one
/// written by hand) would lose silently what the revision's own statements do not create
/// again. SQLite's procedure for such changes prescribes creating them again on the table
/// that took its place (https://www.sqlite.org/lang_altertable.html, "Making Other Kinds
/// Of Table Schema Changes"), and that is done here: triggers, and indexes over
/// expressions or with a WHERE, which the models cannot describe, right after the table is
/// back; indexes over plain columns at the end, unless the revision dropped them itself or
/// created them again (a rebuild creates the models' indexes). DROP VIEW likewise drops
/// the view's INSTEAD OF triggers, which come back when a view of that name does. What
/// the new CREATE TABLE must carry itself (COLLATE, AUTOINCREMENT, a generated column, a
/// UNIQUE, CHECK or FOREIGN KEY constraint) is checked instead: the revision fails rather
/// than lose it, unless it says that it drops the constraint on purpose (a rebuild's
/// comment, see sqlite_migrate.hpp). All of it is read as the statements run: what
/// matters is the database the revision runs on, which need not be the one autogenerate
/// saw.
class ReplacedTables {
public:
    void execute(Connection& conn, std::string_view statement, std::string_view revision) {
        if (!known_) known_ = read_schema(conn);
        note_dropped_constraints(statement);
        conn.execute_script(statement);
        auto now = read_schema(conn);
        for (auto& table : known_->tables)
            if (!now.table(table.name)) dropped_tables_.push_back(std::move(table));
        // A trigger's or index's row keeps its name as long as it exists: the same name
        // is the same object. One whose table was renamed away went with it, not lost.
        for (auto& object : known_->objects)
            if (!now.object(object.name) && !now.table(object.table))
                (object.restored_last ? dropped_plain_indexes_ : dropped_with_table_)
                    .push_back(std::move(object));

        bool recreated = false;
        std::vector<SchemaObject> waiting_tables;
        for (auto& table : dropped_tables_) {
            if (const auto* replacement = now.table(table.name)) {
                if (table.type == "table" && replacement->type == "table") {
                    keep_definition(table, *replacement, revision);
                    keep_sequence(conn, table, *replacement);
                }
            } else {
                waiting_tables.push_back(std::move(table));
            }
        }
        dropped_tables_ = std::move(waiting_tables);
        std::vector<SchemaObject> waiting;
        for (auto& object : dropped_with_table_) {
            if (now.table(object.table)) {
                recreate(conn, object, revision);
                recreated = true;
            } else {
                waiting.push_back(std::move(object));
            }
        }
        dropped_with_table_ = std::move(waiting);
        known_ = recreated ? read_schema(conn) : std::move(now);
    }

    /// After the revision's last statement: the plain indexes that went with their table
    /// and that it neither dropped nor created again.
    void finish(Connection& conn, std::string_view revision) const {
        for (const auto& index : dropped_plain_indexes_) {
            const auto now = read_schema(conn);
            if (!now.object(index.name) && now.table(index.table)) recreate(conn, index, revision);
        }
    }

private:
    struct SchemaObject {
        std::string type;  ///< "table", "view", "trigger" or "index"
        std::string name;
        std::string table;
        std::string sql;
        std::optional<std::int64_t> sequence;  ///< a table's AUTOINCREMENT high-water mark
        /// An index over plain columns, which the revision's own statements may create
        /// again after the table is back: restored only after its last one.
        bool restored_last = false;
    };

    struct Schema {
        std::vector<SchemaObject> tables;   ///< and views
        std::vector<SchemaObject> objects;  ///< triggers and indexes to restore, in creation order

        /// Names compare as SQLite's do: a trigger may spell its table differently.
        const SchemaObject* table(const std::string& name) const {
            const auto found =
                std::ranges::find_if(tables, [&](const SchemaObject& t) { return same(t.name, name); });
            return found == tables.end() ? nullptr : &*found;
        }
        const SchemaObject* object(const std::string& name) const {
            const auto found = std::ranges::find(objects, name, &SchemaObject::name);
            return found == objects.end() ? nullptr : &*found;
        }
    };

    static bool same(std::string_view a, std::string_view b) {
        return alchemy::detail::equals_ignoring_ascii_case(a, b);
    }

    // The indexes restored with the triggers are those inspect() leaves out
    // (sqlite_inspect.cpp): over an expression or the rowid (a column number below 0),
    // partial, or with a key's collation or order written out. Those SQLite makes for
    // constraints have no SQL and come back with the table's definition.
    static Schema read_schema(Connection& conn) {
        Schema schema;
        for (auto& [type, name, table, sql, restored] :
             conn.execute(
                     text("SELECT type, name, tbl_name, sql, type = 'trigger' OR EXISTS (SELECT 1 FROM "
                          "pragma_index_info(m.name) WHERE cid < 0) OR EXISTS (SELECT 1 FROM "
                          "pragma_index_list(m.tbl_name) l WHERE l.name = m.name AND l.partial) FROM "
                          "main.sqlite_master m WHERE type IN ('table', 'view', 'trigger') OR (type = "
                          "'index' AND sql IS NOT NULL) ORDER BY rowid")
                         .columns<std::string, std::string, std::string, std::optional<std::string>, bool>())
                 .all()) {
            SchemaObject object{std::move(type), std::move(name), std::move(table), sql.value_or(""), {}};
            if (object.type == "table" || object.type == "view") {
                schema.tables.push_back(std::move(object));
                continue;
            }
            object.restored_last = !restored && !alchemy::detail::sqlite_index_has_key_options(object.sql);
            schema.objects.push_back(std::move(object));
        }
        if (!schema.table("sqlite_sequence")) return schema;
        for (auto& [name, seq] :
             conn.execute(
                     text("SELECT name, seq FROM main.sqlite_sequence").columns<std::string, std::int64_t>())
                 .all())
            for (auto& table : schema.tables)
                if (table.name == name) table.sequence = seq;
        return schema;
    }

    /// Records the constraints that a rebuild's comment says it drops on purpose.
    void note_dropped_constraints(std::string_view statement) {
        // Line by line with find(): clang before 16 cannot compile libstdc++ 12's views::split.
        for (std::size_t start = 0; start < statement.size();) {
            const auto end = std::min(statement.find('\n', start), statement.size());
            auto comment = statement.substr(start, end - start);
            start = end + 1;
            while (comment.starts_with(' ')) comment.remove_prefix(1);
            if (!comment.starts_with("-- ")) continue;
            comment.remove_prefix(3);
            const auto drops = comment.find(drops_constraint);
            if (!comment.starts_with(rebuild_of) || drops == std::string_view::npos) continue;
            auto constraint = comment.substr(drops + drops_constraint.size());
            while (!constraint.empty() && (constraint.back() == '\r' || constraint.back() == ' '))
                constraint.remove_suffix(1);
            dropped_constraints_.push_back(
                {std::string(comment.substr(rebuild_of.size(), drops - rebuild_of.size())),
                 std::string(constraint)});
        }
    }

    /// What the new table's CREATE TABLE lacks of the old one's: an option of the table, a
    /// deferred foreign key, a property of a column both have, or a constraint.
    void keep_definition(const SchemaObject& old, const SchemaObject& replacement,
                         std::string_view revision) const {
        const auto refuse = [&](std::string_view what) {
            throw MigrationError(fmt::format(
                "alchemy: {} was rolled back: it puts a new table in the place of table {}, and {} would be "
                "lost, which the models cannot describe. Write the definition as it is into the "
                "revision's CREATE TABLE (for a generated column, also leave it out of the INSERT that "
                "copies the rows), or change the table in a revision of its own",
                revision, old.name, what));
        };
        const auto was = alchemy::detail::sqlite_table_facts(old.name, old.sql);
        const auto is = alchemy::detail::sqlite_table_facts(replacement.name, replacement.sql);
        if (was.strict && !is.strict) refuse("its STRICT typing (a column would take a value of any type)");
        if (was.without_rowid && !is.without_rowid) refuse("WITHOUT ROWID (the rows would get rowids)");
        const auto same_columns = [](const std::vector<std::string>& a, const std::vector<std::string>& b) {
            return std::ranges::equal(a, b, [](const auto& x, const auto& y) { return same(x, y); });
        };
        const auto among = [&](const std::vector<std::vector<std::string>>& keys, const auto& columns) {
            return std::ranges::any_of(keys, [&](const auto& key) { return same_columns(key, columns); });
        };
        for (const auto& columns : was.deferred_foreign_keys)
            if (among(is.foreign_keys, columns) && !among(is.deferred_foreign_keys, columns))
                refuse(
                    fmt::format("the DEFERRABLE INITIALLY DEFERRED of its foreign key ({}) (it would be "
                                "checked at each statement, not at COMMIT)",
                                fmt::join(columns, ", ")));
        for (const auto& column : was.columns) {
            const auto now =
                std::ranges::find_if(is.columns, [&](const auto& c) { return same(c.name, column.name); });
            if (now == is.columns.end()) continue;
            const auto lose = [&](std::string_view what) {
                refuse(fmt::format("column {}.{}'s {}", old.name, column.name, what));
            };
            if (column.collation && !(now->collation && same(*now->collation, *column.collation)))
                lose(fmt::format("collation (COLLATE {})", *column.collation));
            if (column.autoincrement && !now->autoincrement)
                lose("AUTOINCREMENT (ids of deleted rows would be used again)");
            if (column.generated && !now->generated)
                lose("expression (a generated column would become a plain one)");
        }
        // A conflict clause says what a statement breaking the constraint does instead of
        // failing (REPLACE deletes the rows in a key's way, IGNORE skips the row): kept
        // without it, the constraint would fail those statements. A constraint the new table
        // lacks altogether went on purpose (the models dropped it) or is refused below.
        for (const auto& conflict : was.conflicts) {
            if (conflict.resolution.empty()) continue;
            const auto now = std::ranges::find_if(
                is.conflicts, [&](const auto& c) { return same(c.constraint, conflict.constraint); });
            if (now != is.conflicts.end() && now->resolution != conflict.resolution)
                refuse(
                    fmt::format("the ON CONFLICT {} of its {} (a statement breaking it would fail instead)",
                                conflict.resolution, conflict.constraint));
        }
        // A constraint is kept under its name or with its definition (SQLite never refers
        // to one by name, and autogenerate compares definitions only).
        for (const auto& constraint : was.constraints) {
            const bool kept = std::ranges::any_of(is.constraints, [&](const auto& c) {
                return same(c.name, constraint.name) || same(c.definition, constraint.definition);
            });
            const bool dropped_on_purpose =
                std::ranges::any_of(dropped_constraints_, [&](const auto& dropped) {
                    return same(dropped.first, old.name) && same(dropped.second, constraint.name);
                });
            if (kept || dropped_on_purpose) continue;
            throw MigrationError(fmt::format(
                "alchemy: {0} was rolled back: it puts a new table in the place of table {1}, and its "
                "constraint "
                "{2} ({3}) would be lost. The revision does not drop it on purpose: it was written for a "
                "table "
                "without it, perhaps generated on another database. Generate the revision again against this "
                "database, or add the constraint to the models and then generate it; if the constraint is to "
                "go, "
                "write the line `-- {4}{1}{5}{2}` into the revision before the table is dropped",
                revision, old.name, constraint.name, constraint.definition, rebuild_of, drops_constraint));
        }
    }

    /// DROP TABLE forgets an AUTOINCREMENT table's high-water mark; the copy of the rows
    /// sets the new table's to the largest id left, which may be lower.
    static void keep_sequence(Connection& conn, const SchemaObject& old, const SchemaObject& replacement) {
        if (!old.sequence || replacement.sequence >= old.sequence ||
            std::ranges::none_of(
                alchemy::detail::sqlite_table_facts(replacement.name, replacement.sql).columns,
                &alchemy::detail::SqliteColumnFacts::autoincrement))
            return;
        conn.execute(
            text("DELETE FROM main.sqlite_sequence WHERE name = :table").bind("table", replacement.name));
        conn.execute(text("INSERT INTO main.sqlite_sequence (name, seq) VALUES (:table, :seq)")
                         .bind("table", replacement.name)
                         .bind("seq", *old.sequence));
    }

    /// CREATE TRIGGER accepts a body that names columns the table lacks; those surface only
    /// when a statement that fires the trigger is compiled. EXPLAIN compiles one of its
    /// kind, an UPDATE setting every column (for UPDATE OF triggers), without running it;
    /// only that kind, as a view takes only the statements it has INSTEAD OF triggers for.
    /// CREATE INDEX checks its columns itself.
    static void recreate(Connection& conn, const SchemaObject& object, std::string_view revision) {
        try {
            conn.execute_script(object.sql);
            if (object.type != "trigger") return;
            const auto table = conn.dialect().quote_identifier(object.table);
            const auto event = alchemy::detail::sqlite_trigger_event(object.sql);
            if (event == "INSERT") {
                conn.execute_script(fmt::format("EXPLAIN INSERT INTO {} DEFAULT VALUES", table));
            } else if (event == "UPDATE") {
                std::string assignments;
                for (const auto& column : conn.execute(text("SELECT name FROM pragma_table_info(:table)")
                                                           .bind("table", object.table)
                                                           .columns<std::string>())
                                              .all()) {
                    const auto name = conn.dialect().quote_identifier(column);
                    assignments += fmt::format("{}{} = {}", assignments.empty() ? "" : ", ", name, name);
                }
                conn.execute_script(fmt::format("EXPLAIN UPDATE {} SET {}", table, assignments));
            } else {
                conn.execute_script(fmt::format("EXPLAIN DELETE FROM {}", table));
            }
        } catch (const DatabaseError& error) {
            throw MigrationError(
                fmt::format("alchemy: {} was rolled back: {} {} went with table {} when the revision dropped "
                            "it, and cannot be created again on the table that took its place: {}. If the "
                            "{} is to go, add DROP {} {} to the revision before the table is dropped; "
                            "if it is to stay, keep the columns it uses",
                            revision, object.type, object.name, object.table, error.message(), object.type,
                            object.type == "trigger" ? "TRIGGER" : "INDEX",
                            conn.dialect().quote_identifier(object.name)));
        }
    }

    std::optional<Schema> known_;               ///< as after the last statement
    std::vector<SchemaObject> dropped_tables_;  ///< until a table of that name is back
    std::vector<SchemaObject> dropped_with_table_;
    std::vector<SchemaObject> dropped_plain_indexes_;                       ///< until finish()
    std::vector<std::pair<std::string, std::string>> dropped_constraints_;  ///< table, constraint
};

class SqliteRevision final : public RevisionGuard {
public:
    SqliteRevision(Engine& engine, Connection& conn) : foreign_keys_off_(engine, conn) {}

    void execute(Connection& conn, std::string_view statement, std::string_view revision) override {
        replaced_tables_.execute(conn, statement, revision);
    }
    void finish(Connection& conn, std::string_view revision) override {
        replaced_tables_.finish(conn, revision);
        foreign_keys_off_.check(conn, revision);
    }

private:
    ForeignKeysOff foreign_keys_off_;
    ReplacedTables replaced_tables_;
};

/// What ForeignKeysOff::check() does online, for a script: PRAGMA foreign_key_check only
/// prints the rows that break foreign keys, and a shell goes on to COMMIT them, -bail or not.
/// A CHECK constraint that fails when there are any stops a shell run with -bail before
/// COMMIT; the pragma before it shows them.
constexpr std::string_view foreign_key_check_script =
    "PRAGMA foreign_key_check;\n"
    "CREATE TEMP TABLE alchemy_foreign_key_check (broken_rows INTEGER CONSTRAINT \"no row may break a "
    "foreign key: PRAGMA foreign_key_check lists them\" CHECK (broken_rows = 0));\n"
    "INSERT INTO temp.alchemy_foreign_key_check SELECT count(*) FROM pragma_foreign_key_check;\n"
    "DROP TABLE temp.alchemy_foreign_key_check;\n";

class SqliteMigrate final : public MigrateBackend {
public:
    std::vector<Table> inspect(Connection& conn, std::span<const std::string> exclude) const override {
        return alchemy::detail::inspect_sqlite(conn, exclude);
    }
    std::unique_ptr<TableAlterer> alterer(const DdlRenderer& ddl, const Dialect& dialect) const override {
        return make_sqlite_alterer(ddl, dialect);
    }
    std::string_view lock_version_table_sql() const noexcept override { return {}; }
    std::unique_ptr<RevisionGuard> guard_revision(Engine& engine, Connection& conn) const override {
        return std::make_unique<SqliteRevision>(engine, conn);
    }
    ScriptFrame script_frame() const noexcept override {
        return {"PRAGMA foreign_keys = OFF;\n", foreign_key_check_script, "PRAGMA foreign_keys = ON;\n",
                "-- NOTE: this revision drops a table and makes or changes one. Run online, `upgrade`\n"
                "-- creates again the triggers and the indexes of a table (or view) dropped and put\n"
                "-- back, keeps its AUTOINCREMENT high-water mark, and refuses to lose its COLLATE,\n"
                "-- STRICT, WITHOUT ROWID, generated columns or constraints. This script does none of\n"
                "-- that: compare the table's entries in sqlite_master and sqlite_sequence before and\n"
                "-- after running it.\n"};
    }
};

}  // namespace

const MigrateBackend& sqlite_migrate_backend() {
    static const SqliteMigrate backend;
    return backend;
}

}  // namespace alchemy::migrate::detail
