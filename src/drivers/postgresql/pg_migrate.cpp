// PostgreSQL's migrations: its schema reader and alterer, and a lock on the version table
// so that two runs at once wait for each other. DDL is transactional and foreign keys are
// checked as each statement runs, so nothing more surrounds a revision.
#include "drivers/postgresql/pg_migrate.hpp"

#include "migrate/backend.hpp"

namespace alchemy::migrate::detail {
namespace {

class PostgresMigrate final : public MigrateBackend {
public:
    std::vector<Table> inspect(Connection& conn, std::span<const std::string> exclude) const override {
        return alchemy::detail::inspect_postgresql(conn, exclude);
    }
    std::unique_ptr<TableAlterer> alterer(const DdlRenderer& ddl, const Dialect& dialect) const override {
        return make_postgresql_alterer(ddl, dialect);
    }
    /// Readers (`current`) are not blocked.
    std::string_view lock_version_table_sql() const noexcept override {
        return "LOCK TABLE alchemy_version IN EXCLUSIVE MODE";
    }
    std::unique_ptr<RevisionGuard> guard_revision(Engine&, Connection&) const override { return nullptr; }
    ScriptFrame script_frame() const noexcept override { return {}; }
};

}  // namespace

const MigrateBackend& postgresql_migrate_backend() {
    static const PostgresMigrate backend;
    return backend;
}

}  // namespace alchemy::migrate::detail
