// SQLite's migrations: its schema reader and alterer, no lock on the version table (a
// write transaction already excludes every other writer), and around each revision what a
// table rebuild needs: foreign keys switched off, and the triggers of the rebuilt table
// created again.
#include "drivers/sqlite/sqlite_migrate.hpp"

#include "alchemy/core/error.hpp"
#include "alchemy/core/text.hpp"
#include "migrate/backend.hpp"

#include <fmt/format.h>

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

/// DROP TABLE drops the table's triggers with it, so a table that a revision drops and
/// then puts back under the same name (a rebuild: sqlite_alter.cpp's, or one written by
/// hand) would lose them silently; they are created again on the table that took its
/// place, as SQLite's procedure for such changes prescribes
/// (https://www.sqlite.org/lang_altertable.html, "Making Other Kinds Of Table Schema
/// Changes"). The triggers are read as the statements run: what matters is the database
/// the revision runs on, and the models (and so autogenerate) know nothing of triggers.
class TriggersOfReplacedTables {
public:
    void execute(Connection& conn, std::string_view statement, std::string_view revision) {
        if (!known_) known_ = read_triggers(conn);
        conn.execute_script(statement);
        auto now = read_triggers(conn);
        // A trigger's row keeps its name as long as the trigger exists: the same name is
        // the same trigger.
        for (auto& trigger : *known_)
            if (std::ranges::none_of(now, [&](const Trigger& t) { return t.name == trigger.name; }) &&
                !table_exists(conn, trigger.table))
                dropped_with_table_.push_back(std::move(trigger));

        std::vector<Trigger> waiting;
        bool recreated = false;
        for (auto& trigger : dropped_with_table_) {
            if (table_exists(conn, trigger.table)) {
                recreate(conn, trigger, revision);
                recreated = true;
            } else {
                waiting.push_back(std::move(trigger));
            }
        }
        dropped_with_table_ = std::move(waiting);
        known_ = recreated ? read_triggers(conn) : std::move(now);
    }

private:
    struct Trigger {
        std::string name;
        std::string table;
        std::string sql;
    };

    static std::vector<Trigger> read_triggers(Connection& conn) {
        std::vector<Trigger> triggers;
        for (auto& [name, table, sql] :
             conn.execute(text("SELECT name, tbl_name, sql FROM main.sqlite_master WHERE type = 'trigger' "
                               "ORDER BY rowid")
                              .columns<std::string, std::string, std::string>())
                 .all())
            triggers.push_back({std::move(name), std::move(table), std::move(sql)});
        return triggers;
    }

    /// Names compare as SQLite's do: the trigger may spell its table differently.
    static bool table_exists(Connection& conn, const std::string& table) {
        return conn
            .execute(text("SELECT 1 FROM main.sqlite_master WHERE type = 'table' AND name = :table COLLATE "
                          "NOCASE")
                         .bind("table", table)
                         .columns<std::int64_t>())
            .scalar()
            .has_value();
    }

    /// CREATE TRIGGER accepts a body that names columns the table lacks; those surface only
    /// when a statement that fires the trigger is compiled. EXPLAIN compiles one of each
    /// kind, the UPDATE setting every column (for UPDATE OF triggers), without running it.
    static void recreate(Connection& conn, const Trigger& trigger, std::string_view revision) {
        try {
            conn.execute_script(trigger.sql);
            const auto table = conn.dialect().quote_identifier(trigger.table);
            std::string assignments;
            for (const auto& column : conn.execute(text("SELECT name FROM pragma_table_info(:table)")
                                                       .bind("table", trigger.table)
                                                       .columns<std::string>())
                                          .all()) {
                const auto name = conn.dialect().quote_identifier(column);
                assignments += fmt::format("{}{} = {}", assignments.empty() ? "" : ", ", name, name);
            }
            conn.execute_script(fmt::format("EXPLAIN INSERT INTO {} DEFAULT VALUES", table));
            conn.execute_script(fmt::format("EXPLAIN UPDATE {} SET {}", table, assignments));
            conn.execute_script(fmt::format("EXPLAIN DELETE FROM {}", table));
        } catch (const DatabaseError& error) {
            throw MigrationError(fmt::format(
                "alchemy: {} was rolled back: trigger {} went with table {} when the revision dropped "
                "it, and cannot be created again on the table that took its place: {}. If the "
                "trigger is to go, add DROP TRIGGER {} to the revision before the table is dropped; "
                "if it is to stay, keep the columns it uses",
                revision, trigger.name, trigger.table, error.message(),
                conn.dialect().quote_identifier(trigger.name)));
        }
    }

    std::optional<std::vector<Trigger>> known_;  ///< as after the last statement
    std::vector<Trigger> dropped_with_table_;    ///< until a table of that name is back
};

class SqliteRevision final : public RevisionGuard {
public:
    SqliteRevision(Engine& engine, Connection& conn) : foreign_keys_off_(engine, conn) {}

    void execute(Connection& conn, std::string_view statement, std::string_view revision) override {
        triggers_.execute(conn, statement, revision);
    }
    void check(Connection& conn, std::string_view revision) const override {
        foreign_keys_off_.check(conn, revision);
    }

private:
    ForeignKeysOff foreign_keys_off_;
    TriggersOfReplacedTables triggers_;
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
                "PRAGMA foreign_keys = ON;\n"};
    }
};

}  // namespace

const MigrateBackend& sqlite_migrate_backend() {
    static const SqliteMigrate backend;
    return backend;
}

}  // namespace alchemy::migrate::detail
