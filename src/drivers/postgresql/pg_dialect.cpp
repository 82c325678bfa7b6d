// PostgreSQL's Dialect: numbered placeholders, isolation and read-only carried by BEGIN.
#include "drivers/postgresql/pg_dialect.hpp"

#include "alchemy/core/error.hpp"

#include <fmt/format.h>

#include <charconv>

namespace alchemy::detail {

void PostgresDialect::append_placeholder(std::string& out, int index) const {
    char digits[12];
    out += '$';
    out.append(digits, std::to_chars(digits, digits + sizeof digits, index).ptr);
}

// The level travels in each BEGIN rather than as session state (SET SESSION
// CHARACTERISTICS), which a pooler in transaction mode would hand to other clients.
std::string PostgresDialect::begin_sql(std::optional<IsolationLevel> level) const {
    if (!level) return "BEGIN";
    if (*level == IsolationLevel::autocommit)
        throw ArgumentError(
            "alchemy: AUTOCOMMIT is not a PostgreSQL isolation level; the engine "
            "handles it by not emitting BEGIN");
    return fmt::format("BEGIN ISOLATION LEVEL {}", to_string(*level));
}

std::string PostgresDialect::connection_isolation_sql(IsolationLevel level) const {
    begin_sql(level);  // refuses AUTOCOMMIT
    return {};
}

// Both options travel in the BEGIN, so nothing outlives the transaction.
TransactionSql PostgresDialect::transaction_sql(const TransactionOptions& options,
                                                std::optional<IsolationLevel> connection_level) const {
    TransactionSql sql{
        begin_sql(options.isolation_level ? options.isolation_level : connection_level), {}, {}};
    if (options.read_only) sql.begin += " READ ONLY";
    return sql;
}

std::string_view PostgresDialect::cast_type(std::string_view portable) const noexcept {
    if (portable == "BLOB") return "BYTEA";
    if (portable == "TIMESTAMP") return "TIMESTAMP WITH TIME ZONE";
    return portable;
}

}  // namespace alchemy::detail
