// What migrations need from a backend besides its DDL (schema/ddl/ddl.hpp): reading the
// live schema, altering tables, and what runs around each revision. Each backend's folder
// under src/drivers/ implements it; migrate_backend() finds it by the Dialect's id.
#pragma once

#include "alchemy/core/connection.hpp"
#include "alchemy/core/engine.hpp"
#include "alchemy/schema/table.hpp"
#include "migrate/alter.hpp"

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace alchemy::migrate::detail {

/// Lines of an offline migration script around each revision (runner.cpp's render_script);
/// each empty or ending in a newline.
struct ScriptFrame {
    std::string_view before_begin;
    std::string_view before_commit;
    std::string_view after_commit;
    /// Comment lines before a revision that drops a table and makes or changes one, for
    /// what the RevisionGuard would do online that the script cannot (empty: nothing).
    std::string_view rebuild_note;
};

/// Held while one revision runs: made before its transaction begins, destroyed after it
/// ended.
class RevisionGuard {
public:
    virtual ~RevisionGuard() = default;
    /// Runs one of the revision's statements in its transaction; throws MigrationError
    /// starting with `revision` (as for check()) when it cannot keep what the statement
    /// would lose.
    virtual void execute(Connection& conn, std::string_view statement, std::string_view revision) = 0;
    /// Runs in the revision's transaction after its statements: puts back what they
    /// would lose that could not be put back sooner, and throws MigrationError starting
    /// with `revision` (which revision, for the message) when it cannot, or when they left
    /// rows that the transaction cannot check by itself.
    virtual void finish(Connection& conn, std::string_view revision) = 0;
};

class MigrateBackend {
public:
    virtual ~MigrateBackend() = default;
    /// The tables where unqualified names resolve, in no particular order, without those in
    /// `exclude` (inspect_backend.hpp's is_excluded()).
    virtual std::vector<Table> inspect(Connection& conn, std::span<const std::string> exclude) const = 0;
    virtual std::unique_ptr<TableAlterer> alterer(const DdlRenderer& ddl, const Dialect& dialect) const = 0;
    /// Runs first in each revision's transaction, so that two migration runs wait for each
    /// other; empty where transactions already do.
    virtual std::string_view lock_version_table_sql() const noexcept = 0;
    /// What one revision needs around its transaction on `conn`; nullptr for nothing.
    virtual std::unique_ptr<RevisionGuard> guard_revision(Engine& engine, Connection& conn) const = 0;
    virtual ScriptFrame script_frame() const noexcept = 0;
};

/// The built-in backends' (src/drivers/sqlite/sqlite_migrate.cpp and
/// src/drivers/postgresql/pg_migrate.cpp).
const MigrateBackend& sqlite_migrate_backend();
const MigrateBackend& postgresql_migrate_backend();

/// The backend of `dialect`; throws CompileError naming a dialect without migrations.
const MigrateBackend& migrate_backend(const Dialect& dialect);

}  // namespace alchemy::migrate::detail
