// The statement layout every backend shares: CREATE TABLE with named table-level
// constraints, CREATE INDEX, ALTER TABLE for columns and constraints, DROP TABLE.
#include "schema/ddl/ddl.hpp"

#include "alchemy/core/error.hpp"
#include "drivers/drivers.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <utility>

namespace alchemy::detail {
namespace {

constexpr std::string_view indent = "    ";

std::string_view action_sql(ReferentialAction action) noexcept {
    switch (action) {
    case ReferentialAction::no_action: return "NO ACTION";
    case ReferentialAction::restrict: return "RESTRICT";
    case ReferentialAction::cascade: return "CASCADE";
    case ReferentialAction::set_null: return "SET NULL";
    case ReferentialAction::set_default: return "SET DEFAULT";
    }
    return "NO ACTION";
}

}  // namespace

std::string DdlRenderer::create_table(const Table& table,
                                      std::span<const ForeignKey* const> added_later) const {
    std::vector<std::string> elements;
    for (const auto& column : table.columns) {
        auto& out = elements.emplace_back();
        append_column(out, table, column);
    }
    if (!table.primary_key.columns.empty()) append_primary_key(elements.emplace_back(), table.primary_key);
    for (const auto& unique : table.unique_constraints) append_unique(elements.emplace_back(), unique);
    for (const auto& foreign_key : table.foreign_keys) {
        if (std::ranges::find(added_later, &foreign_key) != added_later.end()) continue;
        append_foreign_key(elements.emplace_back(), foreign_key);
    }
    for (const auto& check : table.check_constraints) append_check(elements.emplace_back(), check);

    std::string sql = "CREATE TABLE ";
    dialect_.append_identifier(sql, table.name);
    sql += " (\n";
    for (std::size_t i = 0; i < elements.size(); ++i) {
        sql += indent;
        sql += elements[i];
        sql += i + 1 < elements.size() ? ",\n" : "\n";
    }
    sql += ')';
    return sql;
}

std::string DdlRenderer::create_index(const Table& table, const Index& index) const {
    std::string sql = index.unique ? "CREATE UNIQUE INDEX " : "CREATE INDEX ";
    dialect_.append_identifier(sql, index.name);
    sql += " ON ";
    dialect_.append_identifier(sql, table.name);
    sql += ' ';
    append_names(sql, index.columns);
    return sql;
}

std::string DdlRenderer::add_foreign_key(const Table& table, const ForeignKey& foreign_key) const {
    std::string sql = alter_table(table) + " ADD ";
    append_foreign_key(sql, foreign_key);
    return sql;
}

std::string DdlRenderer::drop_foreign_key(const Table& table, const ForeignKey& foreign_key,
                                          bool if_exists) const {
    std::string sql = if_exists ? "ALTER TABLE IF EXISTS " : "ALTER TABLE ";
    dialect_.append_identifier(sql, table.name);
    sql += if_exists ? " DROP CONSTRAINT IF EXISTS " : " DROP CONSTRAINT ";
    dialect_.append_identifier(sql, foreign_key.name);
    return sql;
}

std::string DdlRenderer::drop_table(const Table& table, bool if_exists) const {
    std::string sql = if_exists ? "DROP TABLE IF EXISTS " : "DROP TABLE ";
    dialect_.append_identifier(sql, table.name);
    return sql;
}

std::string DdlRenderer::type_name(const ColumnType& type) const {
    std::string name;
    append_any_type(name, type);
    return name;
}

void DdlRenderer::append_any_type(std::string& out, const ColumnType& type) const {
    if (!type.domain.empty()) out += type.domain;
    else if (type.database_type.empty()) append_type(out, type);
    else out += type.database_type;
    if (!type.collation.empty()) out += " COLLATE " + type.collation;
}

std::string DdlRenderer::column_definition(const Table& table, const Column& column) const {
    std::string definition;
    append_column(definition, table, column);
    return definition;
}

std::string DdlRenderer::add_column(const Table& table, const Column& column) const {
    std::string sql = alter_table(table) + " ADD COLUMN ";
    append_column(sql, table, column);
    return sql;
}

std::string DdlRenderer::add_constraint(const Table& table, const PrimaryKey& primary_key) const {
    std::string sql = alter_table(table) + " ADD ";
    append_primary_key(sql, primary_key);
    return sql;
}

std::string DdlRenderer::add_constraint(const Table& table, const UniqueConstraint& unique) const {
    std::string sql = alter_table(table) + " ADD ";
    append_unique(sql, unique);
    return sql;
}

std::string DdlRenderer::add_constraint(const Table& table, const CheckConstraint& check) const {
    std::string sql = alter_table(table) + " ADD ";
    append_check(sql, check);
    return sql;
}

std::string DdlRenderer::drop_constraint(const Table& table, std::string_view name) const {
    std::string sql = alter_table(table) + " DROP CONSTRAINT ";
    dialect_.append_identifier(sql, name);
    return sql;
}

std::string DdlRenderer::drop_index(const Index& index) const {
    std::string sql = "DROP INDEX ";
    dialect_.append_identifier(sql, index.name);
    return sql;
}

void DdlRenderer::check_name_lengths(const MetaData& models) const {
    const auto limit = max_name_bytes();
    if (limit == 0) return;
    const auto check = [&](std::string_view what, std::string_view name, std::string_view table) {
        if (name.size() <= limit) return;
        throw ArgumentError(fmt::format(
            "alchemy: the {} name '{}'{} is {} bytes long, and {} keeps only the first {} of a name: the "
            "database would know it by another name, perhaps another's, and the schema would never match "
            "the models; give it a name of at most {} bytes",
            what, name, table.empty() ? "" : fmt::format(" of table '{}'", table), name.size(),
            dialect().name(), limit, limit));
    };
    for (const auto& table : models.tables()) {
        check("table", table.name, {});
        for (const auto& column : table.columns) check("column", column.name, table.name);
        check("primary key", table.primary_key.name, table.name);
        for (const auto& unique : table.unique_constraints)
            check("unique constraint", unique.name, table.name);
        for (const auto& index : table.indexes) check("index", index.name, table.name);
        for (const auto& fk : table.foreign_keys) check("foreign key", fk.name, table.name);
        for (const auto& constraint : table.check_constraints)
            check("check constraint", constraint.name, table.name);
    }
}

std::string DdlRenderer::before_drop_all(const Engine&, DriverConnection&) const { return {}; }

void DdlRenderer::check_after_drop_all(DriverConnection&, std::span<const std::string_view>) const {}

std::string DdlRenderer::alter_table(const Table& table) const {
    std::string sql = "ALTER TABLE ";
    dialect_.append_identifier(sql, table.name);
    return sql;
}

void DdlRenderer::append_column(std::string& out, const Table& table, const Column& column) const {
    dialect_.append_identifier(out, column.name);
    out += ' ';
    append_any_type(out, column.type);
    if (column.autoincrement) {
        append_autoincrement(out, table, column);
        return;
    }
    if (column.server_default) {
        out += " DEFAULT ";
        append_server_default(out, *column.server_default);
    }
    if (!column.nullable) out += " NOT NULL";
}

void DdlRenderer::append_server_default(std::string& out, std::string_view sql) const { out += sql; }

void DdlRenderer::append_names(std::string& out, std::span<const std::string> names) const {
    out += '(';
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (i > 0) out += ", ";
        dialect_.append_identifier(out, names[i]);
    }
    out += ')';
}

void DdlRenderer::append_primary_key(std::string& out, const PrimaryKey& primary_key) const {
    out += "CONSTRAINT ";
    dialect_.append_identifier(out, primary_key.name);
    out += " PRIMARY KEY ";
    append_names(out, primary_key.columns);
}

void DdlRenderer::append_unique(std::string& out, const UniqueConstraint& unique) const {
    out += "CONSTRAINT ";
    dialect_.append_identifier(out, unique.name);
    out += " UNIQUE ";
    append_names(out, unique.columns);
}

void DdlRenderer::append_check(std::string& out, const CheckConstraint& check) const {
    out += "CONSTRAINT ";
    dialect_.append_identifier(out, check.name);
    out += fmt::format(" CHECK ({})", check.sql);
}

void DdlRenderer::append_foreign_key(std::string& out, const ForeignKey& foreign_key) const {
    out += "CONSTRAINT ";
    dialect_.append_identifier(out, foreign_key.name);
    out += " FOREIGN KEY ";
    append_names(out, foreign_key.columns);
    out += " REFERENCES ";
    dialect_.append_identifier(out, foreign_key.referred_table);
    out += ' ';
    append_names(out, foreign_key.referred_columns);
    // NO ACTION is both backends' default; leaving it out keeps the DDL as people write it.
    if (foreign_key.on_delete != ReferentialAction::no_action)
        out += fmt::format(" ON DELETE {}", action_sql(foreign_key.on_delete));
    if (foreign_key.on_update != ReferentialAction::no_action)
        out += fmt::format(" ON UPDATE {}", action_sql(foreign_key.on_update));
    if (foreign_key.deferrable)
        out += foreign_key.initially_deferred ? " DEFERRABLE INITIALLY DEFERRED" : " DEFERRABLE";
}

std::unique_ptr<DdlRenderer> ddl_renderer_for(const Dialect& dialect) {
    using Make = std::unique_ptr<DdlRenderer> (*)(const Dialect&);
    // The built-in backends, by their dialect's id.
    static const std::array<std::pair<DialectId, Make>, 2> built_in{{
        {sqlite_driver().dialect().id(), &make_sqlite_ddl},
        {postgresql_driver().dialect().id(), &make_postgresql_ddl},
    }};
    for (const auto& [id, make] : built_in)
        if (id == dialect.id()) return make(dialect);
    throw CompileError(
        fmt::format("alchemy: the {} dialect has no DDL support (create_all, drop_all)", dialect.name()));
}

}  // namespace alchemy::detail
