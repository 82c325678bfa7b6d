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
/// Of Table Schema Changes"), and that is done here for what the models (and so
/// autogenerate) cannot describe: triggers, and indexes over expressions or with a WHERE,
/// which inspect() leaves out. Indexes over plain columns are in the plan. Column
/// properties that the new CREATE TABLE must carry itself (COLLATE, AUTOINCREMENT, a
/// generated column) are checked instead: the revision fails rather than lose them. All
/// of it is read as the statements run: what matters is the database the revision runs
/// on, which need not be the one autogenerate saw.
class ReplacedTables {
public:
    void execute(Connection& conn, std::string_view statement, std::string_view revision) {
        if (!known_) known_ = read_schema(conn);
        conn.execute_script(statement);
        auto now = read_schema(conn);
        for (auto& table : known_->tables)
            if (!now.table(table.name)) dropped_tables_.push_back(std::move(table));
        // A trigger's or index's row keeps its name as long as it exists: the same name
        // is the same object. One whose table was renamed away went with it, not lost.
        for (auto& object : known_->objects)
            if (!now.object(object.name) && !now.table(object.table))
                dropped_with_table_.push_back(std::move(object));

        bool recreated = false;
        std::vector<SchemaObject> waiting_tables;
        for (auto& table : dropped_tables_) {
            if (const auto* replacement = now.table(table.name)) {
                keep_definition(table, *replacement, revision);
                keep_sequence(conn, table, *replacement);
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

private:
    struct SchemaObject {
        std::string type;  ///< "table", "trigger" or "index"
        std::string name;
        std::string table;
        std::string sql;
        std::optional<std::int64_t> sequence;  ///< a table's AUTOINCREMENT high-water mark
    };

    struct Schema {
        std::vector<SchemaObject> tables;
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

    // The indexes restored are those inspect() leaves out (sqlite_inspect.cpp): over an
    // expression or the rowid (a column number below 0), partial, or with a key's collation
    // or order written out. Those SQLite makes for constraints have no SQL and come back
    // with the table's definition.
    static Schema read_schema(Connection& conn) {
        Schema schema;
        for (auto& [type, name, table, sql, restored] :
             conn.execute(
                     text("SELECT type, name, tbl_name, sql, type = 'trigger' OR EXISTS (SELECT 1 FROM "
                          "pragma_index_info(m.name) WHERE cid < 0) OR EXISTS (SELECT 1 FROM "
                          "pragma_index_list(m.tbl_name) l WHERE l.name = m.name AND l.partial) FROM "
                          "main.sqlite_master m WHERE type IN ('table', 'trigger') OR (type = 'index' "
                          "AND sql IS NOT NULL) ORDER BY rowid")
                         .columns<std::string, std::string, std::string, std::optional<std::string>, bool>())
                 .all()) {
            SchemaObject object{std::move(type), std::move(name), std::move(table), sql.value_or(""), {}};
            if (object.type == "table") schema.tables.push_back(std::move(object));
            else if (restored || alchemy::detail::sqlite_index_has_key_options(object.sql))
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

    /// What the new table's CREATE TABLE lacks of the old one's: an option of the table, a
    /// deferred foreign key, or a property of a column both have.
    static void keep_definition(const SchemaObject& old, const SchemaObject& replacement,
                                std::string_view revision) {
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
    /// when a statement that fires the trigger is compiled. EXPLAIN compiles one of each
    /// kind, the UPDATE setting every column (for UPDATE OF triggers), without running it.
    /// CREATE INDEX checks its columns itself.
    static void recreate(Connection& conn, const SchemaObject& object, std::string_view revision) {
        try {
            conn.execute_script(object.sql);
            if (object.type != "trigger") return;
            const auto table = conn.dialect().quote_identifier(object.table);
            std::string assignments;
            for (const auto& column : conn.execute(text("SELECT name FROM pragma_table_info(:table)")
                                                       .bind("table", object.table)
                                                       .columns<std::string>())
                                          .all()) {
                const auto name = conn.dialect().quote_identifier(column);
                assignments += fmt::format("{}{} = {}", assignments.empty() ? "" : ", ", name, name);
            }
            conn.execute_script(fmt::format("EXPLAIN INSERT INTO {} DEFAULT VALUES", table));
            conn.execute_script(fmt::format("EXPLAIN UPDATE {} SET {}", table, assignments));
            conn.execute_script(fmt::format("EXPLAIN DELETE FROM {}", table));
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
};

class SqliteRevision final : public RevisionGuard {
public:
    SqliteRevision(Engine& engine, Connection& conn) : foreign_keys_off_(engine, conn) {}

    void execute(Connection& conn, std::string_view statement, std::string_view revision) override {
        replaced_tables_.execute(conn, statement, revision);
    }
    void check(Connection& conn, std::string_view revision) const override {
        foreign_keys_off_.check(conn, revision);
    }

private:
    ForeignKeysOff foreign_keys_off_;
    ReplacedTables replaced_tables_;
};

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
        return {"PRAGMA foreign_keys = OFF;\n", "PRAGMA foreign_key_check;  -- must return no rows\n",
                "PRAGMA foreign_keys = ON;\n",
                "-- NOTE: this revision drops a table and makes or changes one. Run online, `upgrade`\n"
                "-- creates again the triggers and the partial and expression indexes of a table\n"
                "-- dropped and put back, keeps its AUTOINCREMENT high-water mark, and refuses to lose\n"
                "-- its COLLATE, STRICT, WITHOUT ROWID or generated columns. This script does none of\n"
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
