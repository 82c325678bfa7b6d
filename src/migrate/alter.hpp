// The per-backend half of autogenerate: the statements that turn one version of an
// existing table into another. src/drivers/postgresql/pg_alter.cpp alters in place;
// src/drivers/sqlite/sqlite_alter.cpp alters what SQLite's ALTER TABLE can and rebuilds
// the table for the rest.
#pragma once

#include "alchemy/core/dialect.hpp"
#include "core/printable.hpp"
#include "migrate/diff.hpp"

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace alchemy::migrate::detail {

/// One direction of a migration as it is written.
struct Script {
    std::vector<std::string> statements;  ///< SQL statements and "-- " comment lines
    std::vector<std::string> warnings;

    void add(std::string statement) { statements.push_back(std::move(statement)); }
    /// A "-- " line. Names read from the database may hold a line break, which would end
    /// the comment and make the rest a statement the revision runs: control characters
    /// are written as \xNN.
    void comment(std::string_view text) { statements.push_back("-- " + alchemy::detail::printable(text)); }
};

class TableAlterer {
public:
    TableAlterer(const DdlRenderer& ddl, const Dialect& dialect) noexcept : ddl_(ddl), dialect_(dialect) {}
    virtual ~TableAlterer() = default;
    TableAlterer(const TableAlterer&) = delete;
    TableAlterer& operator=(const TableAlterer&) = delete;

    /// What diff_table() must compare for this backend.
    virtual DiffOptions diff_options() const = 0;
    /// Runs for every altered table before any alter(): what other tables' changes
    /// depend on having gone (PostgreSQL: foreign keys that are dropped or replaced).
    virtual void before_tables(Script&, const TableDiff&) const {}
    /// The table's own changes. Renames have run: `diff.from` is already named as `to`.
    virtual void alter(Script& script, const TableDiff& diff) const = 0;
    /// Runs for every altered table after every alter() (PostgreSQL: new foreign keys,
    /// which may refer to columns and constraints the other tables only now have).
    virtual void after_tables(Script&, const TableDiff&) const {}

protected:
    const DdlRenderer& ddl() const noexcept { return ddl_; }
    const Dialect& dialect() const noexcept { return dialect_; }
    std::string quoted(std::string_view identifier) const { return dialect_.quote_identifier(identifier); }

private:
    const DdlRenderer& ddl_;
    const Dialect& dialect_;
};

}  // namespace alchemy::migrate::detail
