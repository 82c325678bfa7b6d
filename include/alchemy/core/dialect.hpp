// Dialect: how one backend spells SQL and what it can do. Shared code asks these
// questions and never compares a dialect's name; each backend answers them in its folder
// under src/drivers/ (docs/engine.md, "Dialects").
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace alchemy {

/// Transaction isolation, as SQLAlchemy's isolation_level names it.
enum class IsolationLevel {
    read_uncommitted,
    read_committed,
    repeatable_read,
    serializable,
    autocommit,  ///< no BEGIN is emitted; every statement commits on its own
};

/// Parses "READ COMMITTED", "read_committed", "AUTOCOMMIT", ... (case-insensitive);
/// throws ArgumentError listing the accepted names.
IsolationLevel parse_isolation_level(std::string_view name);
std::string_view to_string(IsolationLevel level) noexcept;

/// Options of one transaction, for Connection::begin() (SQLAlchemy's
/// `conn.execution_options(isolation_level=..., postgresql_readonly=True)` before
/// `conn.begin()`). They end with the transaction.
struct TransactionOptions {
    /// This transaction's level; unset: the connection's. AUTOCOMMIT is not one.
    std::optional<IsolationLevel> isolation_level{};
    /// Writes inside the transaction fail with ReadOnlySqlTransaction.
    bool read_only = false;
};

/// The statements behind one transaction begun with TransactionOptions.
struct TransactionSql {
    std::string begin;    ///< opens the transaction
    std::string setup;    ///< runs right after `begin`, inside it; may be empty
    std::string restore;  ///< runs once the transaction ended, undoing `setup`; may be empty
};

/// A dialect's small number, unique in the process and fixed for its lifetime: the SQL
/// cache (sql/sql_cache.hpp) keeps one text per statement shape and DialectId.
using DialectId = std::size_t;
/// How many Dialect objects a process may create (the built-in ones included).
inline constexpr std::size_t max_dialects = 8;

/// Which lexical forms a dialect's SQL has (PostgreSQL's by default), for finding where text
/// is code (text()'s ":name" parameters are looked for in code only) and where a statement ends.
struct SqlLexicon {
    bool nested_comments = true;  ///< /* a /* b */ c */ is one comment; else the first */ ends it
    bool escape_strings = true;   ///< E'...' strings with backslash escapes
    bool dollar_quotes = true;    ///< $$...$$ and $tag$...$tag$ strings
    /// A ';' in parentheses, or in the BEGIN ATOMIC ... END body of a CREATE FUNCTION or
    /// PROCEDURE, is inside the statement (PostgreSQL, split as psql splits a script).
    bool nested_statements = true;
    /// A CREATE TRIGGER's body ends at "; END;" (SQLite, read as sqlite3_complete() reads it).
    bool trigger_bodies = false;
    /// The characters that end a -- comment: PostgreSQL's scanner ends one at a carriage
    /// return too, so the text after a lone \r is code there.
    std::string_view line_comment_ends = "\n\r";
    /// `name` (`` standing for one `) and [name] (no escape: the first ] ends it) are
    /// quoted names, as SQLite reads them for MySQL's and SQL Server's sake.
    bool backtick_and_bracket_names = false;
};

/// How a backend numbers the rows of one INSERT that leaves an integer key to it, where
/// that differs from table to table (Dialect::key_numbering_sql).
enum class KeyNumbering : std::int64_t {
    at_random = 0,    ///< in no order: only a row inserted alone is known to have its key
    ascending = 1,    ///< in the order of the VALUES rows, other rows (a trigger's) between
    consecutive = 2,  ///< one after another, nothing between: the last key tells them all
};
/// The statements behind Dialect::key_numbering_sql; both empty where RETURNING pairs
/// rows with objects without them (Dialect::returns_rows_in_values_order).
struct KeyNumberingSql {
    /// Binds the table's name, the number of rows still to insert and the key column's
    /// name; run once the transaction has written (so it holds the write lock and no other
    /// writer changes the answer). One integer: a KeyNumbering.
    std::string check;
    /// Binds the INSERT's row count; run right after an INSERT of a table `check` found
    /// `consecutive`, inside its transaction. One row: the key of the INSERT's last row, or
    /// NULL unless it stored every row and numbered them one after another.
    std::string last_key;
};

/// The statements behind Dialect::reserved_keys_sql, run in one transaction.
struct ReservedKeysSql {
    /// Binds the table's bare name; one boolean: the role may take `lock`, which needs more
    /// privilege on the table than an INSERT of some of its columns.
    std::string may_lock;
    /// Locks the table against changes to what COPY would do (a new trigger) until the
    /// transaction ends.
    std::string lock;
    /// Binds the table's and the key column's bare names and a count; takes that many
    /// keys and returns one row: how many it took, the least and the greatest, and the
    /// sequence's step. It takes none where COPY would store other rows than an INSERT (a
    /// trigger before the INSERT, a rule, row security, a key that is not an identity
    /// column), the role lacks a privilege COPY needs beyond the INSERT's, or the
    /// statement's snapshot of the catalog could be older than the COPY's view of it; nor
    /// where the keys would seldom be one run (a sequence that cycles, or that hands each
    /// session a block of values), whose step then reads 0 (`keys` takes them).
    std::string taken;
    /// Binds as `taken` does; takes the keys and returns them, one per row, in the
    /// sequence's order, or no row where `taken` refuses. Used where `taken` reads a step
    /// of 0, or took keys that are not one run (another transaction drew values between
    /// them).
    std::string keys;
};

/// How INSERT says "on a duplicate key, do this instead".
enum class UpsertSyntax {
    none,         ///< no upsert; rendering one throws CompileError
    on_conflict,  ///< INSERT ... ON CONFLICT (...) DO NOTHING / DO UPDATE SET
};

/// Which of a flush's changed rows of one table go as one UPDATE ... FROM (VALUES ...)
/// rather than by the prepared single-row UPDATE, which is cached per connection.
enum class ManyRowUpdates {
    none,          ///< every row by the single-row UPDATE
    full_batches,  ///< batches of rows_per_statement() rows; the rest row by row, where a
                   ///< statement of another size costs a prepare of its own (SQLite: about
                   ///< 1 µs a row, where a row stepped alone costs 0.07 µs more than in a batch)
    every_batch,   ///< all of them, in batches of at most rows_per_statement() rows
};

/// One backend's SQL. A Dialect lives as long as the process (its Driver owns it); the
/// constructor takes the next DialectId and throws ArgumentError past max_dialects.
class Dialect {
public:
    Dialect();
    virtual ~Dialect() = default;
    Dialect(const Dialect&) = delete;
    Dialect& operator=(const Dialect&) = delete;

    DialectId id() const noexcept { return id_; }
    /// The backend's name as errors show it: "sqlite", "postgresql".
    virtual std::string_view name() const noexcept = 0;

    /// Appends the placeholder for the 1-based parameter `index` ("?" or "$3").
    virtual void append_placeholder(std::string& out, int index) const = 0;

    /// Appends `identifier` double-quoted, with embedded quotes doubled. Identifiers are
    /// always quoted, so reserved words and mixed case are safe.
    void append_identifier(std::string& out, std::string_view identifier) const;
    std::string quote_identifier(std::string_view identifier) const;

    /// The statement that begins a transaction at `level` (nullopt: the database's
    /// default). Never called for AUTOCOMMIT. Throws ArgumentError naming the levels the
    /// backend has when it lacks `level`.
    virtual std::string begin_sql(std::optional<IsolationLevel> level) const = 0;
    /// What a connection must run once so that its transactions get `level`, for a
    /// backend where the level is connection state rather than part of BEGIN; empty when
    /// begin_sql() carries it. Never called for AUTOCOMMIT.
    virtual std::string connection_isolation_sql(IsolationLevel level) const = 0;
    /// The level a new connection's transactions get when nothing sets one; empty when
    /// unknown. A connection whose level was set on it returns to the pool at the engine's
    /// level, or at this one.
    virtual std::optional<IsolationLevel> default_isolation_level() const noexcept { return std::nullopt; }
    /// How a transaction with `options` begins on a connection whose own level is
    /// `connection_level` (unset: the default; never AUTOCOMMIT). Throws ArgumentError for
    /// options the backend cannot honour exactly.
    virtual TransactionSql transaction_sql(const TransactionOptions& options,
                                           std::optional<IsolationLevel> connection_level) const = 0;

    // What the backend can do. Statements that need what it lacks throw CompileError.

    /// INSERT/UPDATE/DELETE ... RETURNING.
    virtual bool supports_returning() const noexcept = 0;
    virtual UpsertSyntax upsert_syntax() const noexcept = 0;
    /// The most parameters one statement may bind: the database's documented default, the
    /// same for every connection, since a full batch's SQL is rendered once per dialect
    /// (sql/rows_per_statement.hpp).
    virtual std::size_t parameter_limit() const noexcept = 0;
    /// A transaction can be prepared for two-phase commit (PREPARE TRANSACTION).
    virtual bool supports_two_phase_commit() const noexcept { return false; }
    /// DriverConnection::copy_rows loads rows faster than a multi-row INSERT does (COPY),
    /// so bulk_insert() uses it.
    virtual bool bulk_loads_by_copy() const noexcept { return false; }
    /// Where one UPDATE ... FROM (VALUES ...) for many rows is faster than one prepared
    /// UPDATE per row, so that the Session's flush uses it (one changed row always goes
    /// by the single-row UPDATE).
    virtual ManyRowUpdates many_row_updates() const noexcept { return ManyRowUpdates::none; }
    /// INSERT ... VALUES ... RETURNING gives its rows in the order of the VALUES rows, so
    /// the flush pairs generated keys with objects by position, in whatever order the keys
    /// come (a sequence counting down, a trigger setting keys). PostgreSQL's executor
    /// inserts and returns one row at a time, in order; SQLite leaves the order open.
    virtual bool returns_rows_in_values_order() const noexcept { return false; }
    /// How an INSERT into `table` numbers the rows it leaves the integer key `column` of
    /// to the database (bare names). SQLite: consecutively, unless a trigger inserts into
    /// the table or its keys reach the largest integer (then at random); learning them
    /// from the last key costs less than RETURNING them (about three times the INSERT's
    /// own work per row).
    virtual KeyNumberingSql key_numbering_sql([[maybe_unused]] std::string_view table,
                                              [[maybe_unused]] std::string_view column) const {
        return {};
    }
    /// How a flush takes keys for many new rows of `table` (a bare name) from the sequence
    /// behind its integer key, so that copy_rows() can load them with their keys (COPY
    /// costs less than INSERT ... RETURNING). Empty where the backend has no such way.
    virtual ReservedKeysSql reserved_keys_sql([[maybe_unused]] std::string_view table) const { return {}; }
    /// A connection runs other statements while a streamed Result still reads rows (a
    /// SQLite statement is stepped; a PostgreSQL connection is busy until the result ends).
    virtual bool runs_statements_while_streaming() const noexcept { return false; }

    // The renderer's choices (src/sql/render_ast.cpp); the defaults are standard SQL.

    /// What goes before OFFSET when a SELECT has no LIMIT (" LIMIT -1"); empty when OFFSET
    /// may stand alone.
    virtual std::string_view limit_before_lone_offset() const noexcept { return {}; }
    /// True when the SELECT of INSERT ... SELECT ... ON CONFLICT needs a WHERE, without
    /// which ON would be read as the condition of a join at its end.
    virtual bool upsert_select_needs_where() const noexcept { return false; }
    /// The backend's spelling of the portable operator `op` ("ILIKE", "IS DISTINCT FROM").
    virtual std::string_view operator_spelling(std::string_view op) const noexcept { return op; }
    /// The backend's name for a portable CAST type (sql/case_cast.hpp: "BIGINT", "BLOB").
    virtual std::string_view cast_type(std::string_view portable) const noexcept { return portable; }
    /// False where CAST(text AS BOOLEAN) reads the text as a number ('true' is false), so
    /// that such a cast is refused rather than answered wrongly.
    virtual bool casts_text_to_boolean() const noexcept { return true; }
    /// True when the parameters of a VALUES list need a CAST to their column's type in
    /// its first row, which types the list's columns (a column of bare parameters would
    /// be untyped text).
    virtual bool values_need_casts() const noexcept { return true; }
    /// How its SQL text is lexed; PostgreSQL's forms by default.
    virtual SqlLexicon lexicon() const noexcept { return {}; }

private:
    DialectId id_;
};

}  // namespace alchemy
