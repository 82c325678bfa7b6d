// DDL rendering: CREATE/DROP TABLE, indexes and constraints as text for one dialect, and
// the ALTER TABLE pieces autogenerate writes migrations with. ddl.cpp lays out the
// statements every backend shares; each backend's folder (src/drivers/sqlite/sqlite_ddl.cpp,
// src/drivers/postgresql/pg_ddl.cpp) supplies type names, autoincrement and what it can
// alter.
#pragma once

#include "alchemy/core/dialect.hpp"
#include "alchemy/core/driver.hpp"
#include "alchemy/core/engine.hpp"
#include "alchemy/schema/metadata.hpp"
#include "alchemy/schema/table.hpp"

#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace alchemy::detail {

class DdlRenderer {
public:
    explicit DdlRenderer(const Dialect& dialect) noexcept : dialect_(dialect) {}
    virtual ~DdlRenderer() = default;
    DdlRenderer(const DdlRenderer&) = delete;
    DdlRenderer& operator=(const DdlRenderer&) = delete;

    /// CREATE TABLE with its columns and constraints, leaving out the foreign keys in
    /// `added_later` (add_foreign_key() creates those once every table exists).
    std::string create_table(const Table& table, std::span<const ForeignKey* const> added_later) const;
    std::string create_index(const Table& table, const Index& index) const;
    /// ALTER TABLE ... ADD CONSTRAINT ... FOREIGN KEY; only where can_alter_foreign_keys().
    std::string add_foreign_key(const Table& table, const ForeignKey& foreign_key) const;
    /// ALTER TABLE ... DROP CONSTRAINT; only where can_alter_foreign_keys().
    std::string drop_foreign_key(const Table& table, const ForeignKey& foreign_key, bool if_exists) const;
    /// DROP TABLE; its indexes and constraints go with it.
    std::string drop_table(const Table& table, bool if_exists) const;

    /// The backend's spelling of `type`, e.g. "BIGINT" or "VARCHAR(80)". Two types with
    /// the same spelling are the same type to the database.
    std::string type_name(const ColumnType& type) const;
    /// A column as CREATE TABLE writes it: name, type, default, NOT NULL or identity.
    std::string column_definition(const Table& table, const Column& column) const;
    /// ALTER TABLE ... ADD COLUMN with column_definition().
    std::string add_column(const Table& table, const Column& column) const;
    /// ALTER TABLE ... ADD CONSTRAINT for a primary key, unique or check constraint;
    /// only where can_alter_foreign_keys() (the backends that alter constraints by name).
    std::string add_constraint(const Table& table, const PrimaryKey& primary_key) const;
    std::string add_constraint(const Table& table, const UniqueConstraint& unique) const;
    std::string add_constraint(const Table& table, const CheckConstraint& check) const;
    /// ALTER TABLE ... DROP CONSTRAINT `name`; only where can_alter_foreign_keys().
    std::string drop_constraint(const Table& table, std::string_view name) const;
    std::string drop_index(const Index& index) const;

    /// Throws ArgumentError for a name in `models` (of a table, column, constraint or
    /// index) longer than the backend keeps: it would cut it, and the name it keeps could
    /// be another's, or never match the model's again.
    void check_name_lengths(const MetaData& models) const;
    /// The bytes of a name the backend keeps; 0: no limit.
    virtual std::size_t max_name_bytes() const noexcept { return 0; }

    /// True when foreign keys can be added to and dropped from an existing table, so a
    /// reference cycle is closed after its tables exist. Otherwise every foreign key is
    /// written inline, which the backend must then accept before the referred table exists.
    virtual bool can_alter_foreign_keys() const noexcept = 0;
    /// A query taking the table name as its one parameter that returns a row when the
    /// table exists where unqualified names resolve to.
    virtual std::string_view has_table_query() const noexcept = 0;
    /// Prepares the connection for drop_all's transaction (none is open yet) and returns
    /// the SQL that undoes it once the transaction has ended, or "" when nothing was done.
    virtual std::string before_drop_all(const Engine& engine, DriverConnection& connection) const;
    /// Inside drop_all's transaction, after the tables `dropped` are: throws if a row of a
    /// table left standing refers to one of them (where before_drop_all() turned the
    /// check off).
    virtual void check_after_drop_all(DriverConnection& connection,
                                      std::span<const std::string_view> dropped) const;

protected:
    const Dialect& dialect() const noexcept { return dialect_; }
    /// An inspected type's domain or database_type as it is, else append_type(); then
    /// its collation, if it has one.
    void append_any_type(std::string& out, const ColumnType& type) const;
    /// Appends the backend's spelling of `type`.
    virtual void append_type(std::string& out, const ColumnType& type) const = 0;
    /// Appends what follows the type of an autoincrement column, including whatever makes
    /// it NOT NULL; throws ArgumentError where the backend cannot generate its values.
    virtual void append_autoincrement(std::string& out, const Table& table, const Column& column) const = 0;
    /// Appends a column's server default after DEFAULT; as written unless the backend
    /// needs it spelled otherwise.
    virtual void append_server_default(std::string& out, std::string_view sql) const;

private:
    void append_column(std::string& out, const Table& table, const Column& column) const;
    void append_names(std::string& out, std::span<const std::string> names) const;
    void append_primary_key(std::string& out, const PrimaryKey& primary_key) const;
    void append_unique(std::string& out, const UniqueConstraint& unique) const;
    void append_check(std::string& out, const CheckConstraint& check) const;
    void append_foreign_key(std::string& out, const ForeignKey& foreign_key) const;
    std::string alter_table(const Table& table) const;

    const Dialect& dialect_;
};

/// The built-in backends' renderers.
std::unique_ptr<DdlRenderer> make_sqlite_ddl(const Dialect& dialect);
std::unique_ptr<DdlRenderer> make_postgresql_ddl(const Dialect& dialect);

/// How a PostgreSQL identity column generates its values, as CREATE TABLE and ALTER
/// COLUMN ... ADD write it: "GENERATED ALWAYS AS IDENTITY" or "GENERATED BY DEFAULT AS
/// IDENTITY" (see Column::generated_always).
std::string_view postgresql_identity(const Column& column) noexcept;

/// The renderer for `dialect`, found by its id; throws CompileError naming a dialect
/// without DDL support.
std::unique_ptr<DdlRenderer> ddl_renderer_for(const Dialect& dialect);

}  // namespace alchemy::detail
