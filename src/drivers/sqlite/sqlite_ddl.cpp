// SQLite's DDL: its type names, rowid-alias autoincrement, inline foreign keys, and
// foreign-key enforcement switched off while drop_all runs.
#include "schema/ddl/ddl.hpp"

#include "core/ascii.hpp"
#include "drivers/sqlite/sqlite_defaults.hpp"
#include "migrate/inspect_backend.hpp"

#include "alchemy/core/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <span>

namespace alchemy::detail {
namespace {

std::string_view trimmed(std::string_view sql) noexcept {
    while (!sql.empty() && std::isspace(static_cast<unsigned char>(sql.front()))) sql.remove_prefix(1);
    while (!sql.empty() && std::isspace(static_cast<unsigned char>(sql.back()))) sql.remove_suffix(1);
    return sql;
}

/// A signed decimal number: [+-] digits [. digits] [e [+-] digits].
bool is_number(std::string_view sql) noexcept {
    std::size_t i = 0;
    const auto sign = [&] {
        if (i < sql.size() && (sql[i] == '-' || sql[i] == '+')) ++i;
    };
    const auto digits = [&] {
        const auto start = i;
        while (i < sql.size() && std::isdigit(static_cast<unsigned char>(sql[i]))) ++i;
        return i - start;
    };
    sign();
    auto mantissa = digits();
    if (i < sql.size() && sql[i] == '.') {
        ++i;
        mantissa += digits();
    }
    if (mantissa == 0) return false;
    if (i < sql.size() && (sql[i] == 'e' || sql[i] == 'E')) {
        ++i;
        sign();
        if (digits() == 0) return false;
    }
    return i == sql.size();
}

/// A single '...' literal (X'...' for a blob): the quote that opens it closes it last.
bool is_quoted_literal(std::string_view sql) noexcept {
    if (!sql.empty() && (sql.front() == 'x' || sql.front() == 'X')) sql.remove_prefix(1);
    if (sql.size() < 2 || sql.front() != '\'' || sql.back() != '\'') return false;
    const auto inside = sql.substr(1, sql.size() - 2);
    for (std::size_t i = 0; i < inside.size(); ++i)
        if (inside[i] == '\'' && (i + 1 == inside.size() || inside[++i] != '\'')) return false;
    return true;
}

class SqliteDdl final : public DdlRenderer {
public:
    using DdlRenderer::DdlRenderer;

    // SQLite cannot ADD or DROP a constraint on an existing table, but it also does not
    // check that a referenced table exists when a table is created: a reference cycle is
    // written inline and enforced once both tables exist.
    bool can_alter_foreign_keys() const noexcept override { return false; }

    std::string_view has_table_query() const noexcept override {
        // SQLite's names are one whatever their ASCII case: "Users" is the table users.
        return "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ? COLLATE NOCASE";
    }

    // With foreign keys enforced, DROP TABLE first deletes the table's rows and fails
    // if another table still refers to them, so the tables of a reference cycle could
    // not be dropped in any order. The pragma is ignored inside a transaction, hence on
    // the bare connection before drop_all begins one.
    std::string before_drop_all(const Engine& engine, DriverConnection& connection) const override {
        auto& cursor = connection.execute("PRAGMA foreign_keys", {});
        const bool enforced = cursor.next() && cursor.read_int(0) != 0;
        cursor.close();
        if (!enforced) return {};
        constexpr std::string_view off = "PRAGMA foreign_keys = OFF";
        engine.log(off);
        connection.execute_script(off);
        return "PRAGMA foreign_keys = ON";
    }

    // With the check off, a table outside the MetaData that still has rows referring to a
    // dropped table would be left pointing at nothing; enforced, SQLite refuses that drop,
    // as PostgreSQL refuses any drop another table's foreign key depends on.
    void check_after_drop_all(DriverConnection& connection,
                              std::span<const std::string_view> dropped) const override {
        auto& cursor = connection.execute("PRAGMA foreign_key_check", {});
        while (cursor.next()) {
            const auto parent = cursor.read_text(2);
            // SQLite spells table names in any case.
            if (std::none_of(dropped.begin(), dropped.end(),
                             [&](std::string_view name) { return equals_ignoring_ascii_case(name, parent); }))
                continue;
            const auto message = fmt::format(
                "drop_all would leave rows of table {0} referring to table {1}, which it drops; drop {0} "
                "too (add its model to the MetaData) or delete those rows first (nothing was dropped)",
                cursor.read_text(0), parent);
            cursor.close();
            throw_database_error("23503", message, "PRAGMA foreign_key_check");
        }
    }

protected:
    // Besides a constant, SQLite takes only CURRENT_TIME, CURRENT_DATE and CURRENT_TIMESTAMP
    // as they are; any other expression must be in parentheses (DEFAULT (1 + 2)). Its own
    // catalog reports the expression without them, which inspect() hands back.
    void append_server_default(std::string& out, std::string_view sql) const override {
        const bool bare = sqlite_is_constant_default(sql) ||
                          std::ranges::any_of(std::array{"CURRENT_TIME", "CURRENT_DATE", "CURRENT_TIMESTAMP"},
                                              [&](std::string_view keyword) {
                                                  return equals_ignoring_ascii_case(trimmed(sql), keyword);
                                              });
        if (bare) out += sql;
        else out += fmt::format("({})", without_enclosing_parens(trimmed(sql)));
    }

    void append_type(std::string& out, const ColumnType& type) const override {
        switch (type.kind) {
        case TypeKind::boolean: out += "BOOLEAN"; return;
        // Every integer width is spelled exactly INTEGER: only then is a single-column
        // integer primary key an alias of the rowid, which SQLite fills in by itself.
        case TypeKind::small_integer:
        case TypeKind::integer:
        case TypeKind::big_integer: out += "INTEGER"; return;
        case TypeKind::single_precision:
        case TypeKind::double_precision: out += "REAL"; return;
        case TypeKind::text:
            out += type.length > 0 ? fmt::format("VARCHAR({})", type.length) : "TEXT";
            return;
        case TypeKind::blob: out += "BLOB"; return;
        case TypeKind::timestamp: out += "DATETIME"; return;
        case TypeKind::date: out += "DATE"; return;
        }
    }

    // The rowid alias is the only column SQLite generates values for; the table-level
    // PRIMARY KEY makes it one, so nothing beyond NOT NULL is needed here.
    void append_autoincrement(std::string& out, const Table& table, const Column& column) const override {
        const auto& pk = table.primary_key.columns;
        if (!is_integer_kind(column.type.kind) || pk.size() != 1 || pk.front() != column.name)
            throw ArgumentError(
                fmt::format("alchemy: column '{}' of table '{}' is autoincrement, but SQLite generates "
                            "values only for an integer column that is the whole primary key",
                            column.name, table.name));
        out += " NOT NULL";
    }
};

}  // namespace

bool sqlite_is_constant_default(std::string_view sql) noexcept {
    sql = trimmed(sql);
    return is_number(sql) || is_quoted_literal(sql) || equals_ignoring_ascii_case(sql, "NULL") ||
           equals_ignoring_ascii_case(sql, "TRUE") || equals_ignoring_ascii_case(sql, "FALSE");
}

std::unique_ptr<DdlRenderer> make_sqlite_ddl(const Dialect& dialect) {
    return std::make_unique<SqliteDdl>(dialect);
}

}  // namespace alchemy::detail
