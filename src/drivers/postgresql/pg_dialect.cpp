// PostgreSQL's Dialect: numbered placeholders, isolation and read-only carried by BEGIN.
#include "drivers/postgresql/pg_dialect.hpp"

#include "alchemy/core/error.hpp"
#include "drivers/postgresql/pg_copy_format.hpp"

#include <fmt/format.h>

#include <cctype>
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

ReservedKeysSql PostgresDialect::reserved_keys_sql(std::string_view table) const {
    // COPY skips rules and refuses row security; a BEFORE ROW INSERT trigger (tgtype bits
    // ROW 1, BEFORE 2, INSERT 4) may change the key, which only RETURNING would tell; a
    // key that is not an identity column may default to another sequence than the one
    // that owns it; COPY stores timestamps as an INSERT does only in UTC
    // (pg_copy_format.hpp); COPY names the key column, and nextval() needs a privilege on
    // the sequence that an identity column's INSERT does not. The catalog is read in the
    // statement's own snapshot, as fresh as the COPY's only under READ COMMITTED, and the
    // lock taken before it keeps a trigger from being created until the COPY is done.
    // MATERIALIZED: the sequence is looked up once, not once per key.
    static const std::string sequence = [] {
        std::string utc;
        for (const auto name : pg::utc_zone_names()) {
            utc += utc.empty() ? "'" : ", '";
            for (const char c : name) utc += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
            utc += '\'';
        }
        return "WITH key AS MATERIALIZED (SELECT"
               " pg_catalog.pg_get_serial_sequence(pg_catalog.quote_ident($1), $2)::pg_catalog.regclass"
               " AS sequence"
               " FROM pg_catalog.pg_class AS c"
               " JOIN pg_catalog.pg_attribute AS a ON a.attrelid = c.oid AND a.attname = $2"
               " WHERE c.oid = pg_catalog.to_regclass(pg_catalog.quote_ident($1))"
               " AND c.relkind = 'r'"
               " AND NOT c.relrowsecurity"
               " AND a.attidentity IN ('a', 'd')"
               " AND pg_catalog.has_column_privilege(c.oid, a.attnum, 'INSERT')"
               " AND pg_catalog.current_setting('transaction_isolation') = 'read committed'"
               " AND pg_catalog.upper(pg_catalog.current_setting('TimeZone')) IN (" +
               utc +
               ")"
               " AND NOT EXISTS (SELECT FROM pg_catalog.pg_rewrite AS r"
               " WHERE r.ev_class = c.oid AND r.ev_type = '3')"
               " AND NOT EXISTS (SELECT FROM pg_catalog.pg_trigger AS t"
               " WHERE t.tgrelid = c.oid AND (t.tgtype & 7) = 7))";
    }();
    static const std::string take =
        "SELECT pg_catalog.nextval(key.sequence) AS value FROM key, pg_catalog.generate_series(1, $3::bigint)"
        " WHERE key.sequence IS NOT NULL AND pg_catalog.has_sequence_privilege(key.sequence, 'USAGE, "
        "UPDATE')";
    // Sending 20 000 keys is over a quarter of the time of taking and sending them
    // (psql: about 6 against 8.5 ms), so they come as a count, bounds and a step. Drawn
    // one by one from a sequence that does not cycle, keys are never given twice (unless
    // another session calls setval() meanwhile, after which the list could repeat a key
    // as well), so bounds count - 1 steps apart hold exactly the keys taken. A sequence
    // that cycles, or hands each session a block of values (CACHE above 1, whose blocks
    // other sessions' interleave), takes none here: `keys` lists them.
    static const std::string listed = "(s.seqcycle OR s.seqcache > 1)";
    static const std::string taken =
        sequence +
        " SELECT pg_catalog.count(*), pg_catalog.min(taken.value), pg_catalog.max(taken.value),"
        " (SELECT CASE WHEN " +
        listed +
        " THEN 0 ELSE s.seqincrement END"
        " FROM key, pg_catalog.pg_sequence AS s WHERE s.seqrelid = key.sequence)"
        " FROM (" +
        take +
        " AND NOT EXISTS (SELECT FROM pg_catalog.pg_sequence AS s"
        " WHERE s.seqrelid = key.sequence AND " +
        listed + ")) AS taken";
    // The lock needs one of these privileges on the whole table; an INSERT that leaves the
    // key to the database needs INSERT on its other columns only.
    return {
        "SELECT pg_catalog.has_table_privilege(pg_catalog.to_regclass(pg_catalog.quote_ident($1)),"
        " 'INSERT, UPDATE, DELETE, TRUNCATE') IS TRUE",
        "LOCK TABLE " + quote_identifier(table) + " IN ROW EXCLUSIVE MODE", taken, sequence + " " + take};
}

}  // namespace alchemy::detail
