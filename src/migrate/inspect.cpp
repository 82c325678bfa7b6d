// inspect(): the live schema as a MetaData, so autogenerate can compare it with the models.
//
// What comes back, on both backends:
// - Tables in name order; columns in the table's own order. Unique constraints,
//   indexes, foreign keys and check constraints each in name order (byte order), so
//   compare them as sets keyed by name. Column::renamed_from and Table::renamed_from
//   are never set.
// - server_default has no parentheses around the whole expression: SQLite drops them
//   itself, so "(datetime('now'))" comes back as "datetime('now')", and PostgreSQL's
//   are dropped to match. Compare a model's default with its enclosing parentheses
//   removed.
// - Indexes are those made by CREATE INDEX, not the ones behind a PRIMARY KEY or UNIQUE
//   constraint. An index over an expression is left out (Index lists columns only); a
//   partial index is reported without its WHERE clause.
// The backend readers (src/drivers/sqlite/sqlite_inspect.cpp,
// src/drivers/postgresql/pg_inspect.cpp) say how types, defaults and check expressions are
// read back, and where that differs from what the models wrote.
#include "alchemy/migrate/inspect.hpp"

#include "alchemy/core/error.hpp"
#include "migrate/backend.hpp"
#include "migrate/inspect_backend.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace alchemy {
namespace {

template <class T>
void sort_by_name(std::vector<T>& items) {
    std::ranges::sort(items, {}, &T::name);
}

std::vector<Table> read_tables(Connection& conn, std::span<const std::string> exclude) {
    return migrate::detail::migrate_backend(conn.dialect()).inspect(conn, exclude);
}

// The catalog queries begin a transaction implicitly; one inspect() began is ended here,
// on success and on error alike (a failed query leaves a PostgreSQL transaction unusable).
// A transaction the caller had open is left to the caller.
class EndOwnTransaction {
public:
    explicit EndOwnTransaction(Connection& conn) noexcept : conn_(conn), owned_(!conn.in_transaction()) {}
    EndOwnTransaction(const EndOwnTransaction&) = delete;
    EndOwnTransaction& operator=(const EndOwnTransaction&) = delete;
    ~EndOwnTransaction() {
        if (!owned_) return;
        try {
            conn_.rollback();  // nothing was written, so nothing to commit
        } catch (...) {
            // Already failing or the connection is gone: the pool discards it either way.
            conn_.invalidate();
        }
    }

private:
    Connection& conn_;
    bool owned_;
};

}  // namespace

bool detail::is_excluded(std::string_view table, std::span<const std::string> exclude) noexcept {
    return std::ranges::find(exclude, table) != exclude.end();
}

std::size_t detail::closing_paren(std::string_view sql, std::size_t open) noexcept {
    int depth = 0;
    char quote = 0;
    for (auto i = open; i < sql.size(); ++i) {
        const char c = sql[i];
        if (quote) {
            if (c == quote) quote = 0;  // a doubled quote closes and reopens: same result
        } else if (c == '\'' || c == '"') {
            quote = c;
        } else if (c == '(') {
            ++depth;
        } else if (c == ')' && --depth == 0) {
            return i;
        }
    }
    return std::string_view::npos;
}

std::string_view detail::without_enclosing_parens(std::string_view sql) noexcept {
    while (sql.starts_with('(') && closing_paren(sql, 0) == sql.size() - 1)
        sql = sql.substr(1, sql.size() - 2);
    return sql;
}

MetaData inspect(Connection& conn, std::span<const std::string> exclude) {
    std::vector<Table> tables;
    {
        EndOwnTransaction end_transaction(conn);
        tables = read_tables(conn, exclude);
    }
    sort_by_name(tables);
    for (auto& table : tables) {
        sort_by_name(table.unique_constraints);
        sort_by_name(table.indexes);
        sort_by_name(table.foreign_keys);
        sort_by_name(table.check_constraints);
    }
    return MetaData(std::move(tables));
}

MetaData inspect(Engine& engine, std::span<const std::string> exclude) {
    auto conn = engine.connect();
    return inspect(conn, exclude);
}

}  // namespace alchemy
