// SQLite's migrations: its schema reader and alterer, no lock on the version table (a
// write transaction already excludes every other writer), and foreign keys switched off
// around each revision, which a table rebuild needs.
#include "drivers/sqlite/sqlite_migrate.hpp"

#include "alchemy/core/error.hpp"
#include "alchemy/core/text.hpp"
#include "migrate/backend.hpp"

#include <fmt/format.h>

#include <cstdint>
#include <optional>

namespace alchemy::migrate::detail {
namespace {

/// SQLite ignores PRAGMA foreign_keys inside a transaction, so it is switched off on the
/// connection before BEGIN and back on once the transaction has ended (the runner makes
/// the guard before the transaction, so it is destroyed after it). A connection whose
/// setting cannot be restored is discarded rather than returned to the pool; new
/// connections enforce foreign keys anyway, and the revision's outcome stands.
class ForeignKeysOff final : public RevisionGuard {
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
    ~ForeignKeysOff() override {
        if (!restore_) return;
        try {
            switch_to("PRAGMA foreign_keys = ON");
        } catch (...) {
            conn_.invalidate();
        }
    }

    /// With enforcement off, the revision's statements were not checked as they ran.
    void check(Connection& conn, std::string_view revision) const override {
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
        return std::make_unique<ForeignKeysOff>(engine, conn);
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
