// The seam between alchemy and a database's C API.
//
// Core code talks only to these interfaces; src/drivers/sqlite and
// src/drivers/postgresql implement them and are the only files that include
// sqlite3.h or libpq-fe.h. A Driver is picked at run time from the URL's backend, among
// the built-in ones and those registered with register_driver().
#pragma once

#include "alchemy/core/dialect.hpp"
#include "alchemy/core/param.hpp"
#include "alchemy/core/url.hpp"

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace alchemy {

/// One column of a cursor's current row, decoded when the cursor moved there: a read of
/// the kind the column holds is then a load, with no call into the driver per column.
struct Cell {
    enum class Kind : std::uint8_t {
        null,
        integer,  ///< `integer` holds it (a boolean as 0 or 1)
        real,     ///< `real` holds it
        text,     ///< `text` holds it
        other,    ///< read through the driver (blobs, times, numerics, malformed values)
    };
    Kind kind = Kind::other;
    std::int64_t integer = 0;
    double real = 0;
    std::string_view text;  ///< valid until the next call to next() or close()
};

/// Rows of one executed statement, read forward. Owned by its DriverConnection.
///
/// Column reads convert where the value allows it (an integer column read as text is
/// rendered, a text column holding digits read as an integer is parsed) and otherwise
/// throw DataError naming the column. Reads are valid only after next() returned true.
///
/// A driver shows each row's decoded columns (show_cells()); a read whose kind the cell
/// holds is answered inline, any other goes to the driver's do_* function, which also
/// answers every read when a driver shows no cells.
class Cursor {
public:
    virtual ~Cursor() = default;

    /// Advances to the next row; false when there are no more rows.
    virtual bool next() = 0;
    virtual int column_count() const noexcept = 0;
    virtual std::string_view column_name(int column) const = 0;

    bool is_null(int column) const {
        if (const Cell* c = cell(column)) return c->kind == Cell::Kind::null;
        return do_is_null(column);
    }
    bool read_bool(int column) const {
        if (const Cell* c = cell(column); c && c->kind == Cell::Kind::integer && (c->integer & ~1) == 0)
            return c->integer != 0;
        return do_read_bool(column);
    }
    std::int64_t read_int(int column) const {
        if (const Cell* c = cell(column); c && c->kind == Cell::Kind::integer) return c->integer;
        return do_read_int(column);
    }
    double read_real(int column) const {
        if (const Cell* c = cell(column); c && c->kind == Cell::Kind::real) return c->real;
        return do_read_real(column);
    }
    /// The view is valid until the next call to next() or close().
    std::string_view read_text(int column) const {
        if (const Cell* c = cell(column); c && c->kind == Cell::Kind::text) return c->text;
        return do_read_text(column);
    }
    /// The view is valid until the next call to next() or close().
    virtual std::span<const std::byte> read_blob(int column) const = 0;
    /// Microseconds since 1970-01-01T00:00:00Z.
    virtual std::int64_t read_timestamp(int column) const = 0;
    /// Days since 1970-01-01.
    virtual std::int64_t read_date(int column) const = 0;

    /// Rows inserted, updated or deleted by the statement (0 for queries); -1 while it is
    /// not known: a statement streamed from PostgreSQL tells its count at its end, and one
    /// closed or failed before that never does.
    virtual std::int64_t rows_affected() const noexcept = 0;
    /// Releases the statement for reuse. Idempotent.
    virtual void close() noexcept = 0;

protected:
    /// The current row's columns, in order; empty when no row is current, which the do_*
    /// functions then report. A driver calls it whenever its current row changes.
    void show_cells(std::span<const Cell> cells) noexcept { cells_ = cells; }

    virtual bool do_is_null(int column) const = 0;
    virtual bool do_read_bool(int column) const = 0;
    virtual std::int64_t do_read_int(int column) const = 0;
    virtual double do_read_real(int column) const = 0;
    virtual std::string_view do_read_text(int column) const = 0;

private:
    const Cell* cell(int column) const noexcept {
        return static_cast<std::size_t>(column) < cells_.size() ? &cells_[static_cast<std::size_t>(column)]
                                                                : nullptr;
    }
    std::span<const Cell> cells_;
};

/// Per-connection settings a driver receives when it connects.
struct ConnectOptions {
    /// URL query options merged with EngineOptions::connect_args (the latter win).
    std::map<std::string, std::string> args;
    /// PostgreSQL: EngineOptions::prepare_threshold. SQLite always prepares locally.
    std::optional<int> prepare_threshold = 5;
};

/// One open connection to a database. Used by one thread at a time.
class DriverConnection {
public:
    virtual ~DriverConnection() = default;

    /// Runs one statement with parameters bound to its placeholders and returns a
    /// cursor positioned before the first row. Statements are prepared once per SQL
    /// text and cached. A statement that fails throws the matching DatabaseError.
    /// The cursor stays valid until closed; executing the same SQL again while it is
    /// open uses a second statement.
    virtual Cursor& execute(std::string_view sql, std::span<const Param> params) = 0;
    /// Runs one statement as execute() does, but its rows come from the database as
    /// next() asks for them, so a result of any size takes the memory of a row
    /// (SQLAlchemy's stream_results). Failures before the first row throw here; later ones
    /// from next(). PostgreSQL runs one statement at a time per connection: until the
    /// cursor has read its last row or is closed, any other statement on the connection
    /// throws InvalidRequestError. Closing it before its end cancels the statement there,
    /// which undoes that statement alone (src/drivers/postgresql/pg_stream.cpp says how).
    /// SQLite steps every query this way, but execute() reads the rest of an open query's
    /// rows ahead before a statement that may change them runs; stream() does not, so
    /// there a change on the connection to the tables being read leaves the rows that
    /// follow undefined (https://www.sqlite.org/isolation.html).
    virtual Cursor& stream(std::string_view sql, std::span<const Param> params) = 0;
    /// Runs SQL without parameters; it may hold several statements separated by ';'. A
    /// driver may defer a plain BEGIN until the next statement, and leave the reply of a
    /// plain ROLLBACK (sent at once) to its next call, where a failure it reports then
    /// surfaces (PostgreSQL: src/drivers/postgresql/pg_transaction_ends.cpp).
    virtual void execute_script(std::string_view sql) = 0;

    /// Runs `sql` once per row of parameters ("executemany"). `params` holds the rows
    /// back to back, `params_per_row` (> 0) each; `rows_affected` receives each run's
    /// count and must have one element per row. The statement is prepared once (cached
    /// by SQL text as for execute()); PostgreSQL pipelines the runs. Rows must not leave
    /// a cursor to read: rows a statement returns are discarded. A failing row throws
    /// its DatabaseError, and what the batch did before it is undefined until the
    /// caller rolls back. Throws ArgumentError for a malformed batch.
    virtual void execute_batch(std::string_view sql, std::span<const Param> params,
                               std::size_t params_per_row, std::span<std::int64_t> rows_affected) = 0;

    /// Bulk-loads rows into `table`'s `columns` (bare names; the driver quotes them).
    /// `params` holds the rows back to back, columns.size() each. PostgreSQL streams
    /// them with COPY ... FROM STDIN (FORMAT binary), encoding each value for its
    /// column's type (a value that does not suit the column throws ProgrammingError or
    /// DataError naming the column); SQLite runs a prepared INSERT per row. Returns the
    /// number of rows loaded. Failures leave the transaction for the caller to roll back.
    virtual std::int64_t copy_rows(std::string_view table, std::span<const std::string_view> columns,
                                   std::span<const Param> params) = 0;

    /// True when the driver can tell that `sql`, one statement, only reads: it returns rows
    /// and changes nothing, neither the database nor the transaction; false when it would
    /// or when the driver cannot tell. The statement is prepared and cached as execute()
    /// would. SQLite asks the prepared statement; the other backends cannot tell.
    virtual bool only_reads(std::string_view sql) {
        (void)sql;
        return false;
    }

    /// Where other statements run while a query streams (SQLite): the tables whose UPDATE
    /// or DELETE the database carries on into `table`, however many steps away, through
    /// foreign-key actions (ON DELETE CASCADE, SET NULL, ...) or triggers that name it.
    /// `table` itself is not listed. Empty where statements wait for the stream.
    virtual std::vector<std::string> tables_changing(std::string_view table) {
        (void)table;
        return {};
    }

    /// True inside BEGIN ... COMMIT/ROLLBACK as the server sees it, or will once it has
    /// what was sent: false from the moment a ROLLBACK is sent.
    virtual bool in_transaction() const noexcept = 0;
    /// True once the open transaction has written to the main database: SQLite then
    /// holds its write lock, so no other connection writes it until the transaction ends.
    /// Backends whose writers do not exclude each other never say so.
    virtual bool has_written() const noexcept { return false; }
    /// Undoes, before the pool hands the connection to its next borrower, session state a
    /// borrower changed that the driver relies on (PostgreSQL: TimeZone UTC, client_encoding
    /// UTF8, standard_conforming_strings on). Runs after the pool's ROLLBACK; a throw
    /// discards the connection.
    virtual void reset_session_state() {}
    /// Records the session state that SQL of a program's own could change and that the
    /// next borrower would inherit: temporary tables that hide the real ones, settings
    /// (search_path, SQLite's PRAGMAs), roles, locks. Called once the connection is made
    /// and the engine's connect listeners ran.
    virtual void record_session_state() {}
    /// After a borrower ran SQL of its own (sa::text, execute_script): puts that state back
    /// as record_session_state() found it. False when it cannot: the pool then closes the
    /// connection instead of handing it on. Runs after reset_session_state().
    virtual bool restore_session_state() { return true; }
    /// A round trip that proves the connection works (pool_pre_ping).
    virtual bool ping() noexcept = 0;
    /// True once the connection was lost; it must not be used again.
    virtual bool is_broken() const noexcept = 0;
    /// Number of prepared statements currently cached (for tests and diagnostics).
    virtual std::size_t cached_statement_count() const noexcept = 0;
    /// Result rows the open cursors hold in client memory (for tests and diagnostics):
    /// PostgreSQL holds an executed result whole and a streamed one a row at a time;
    /// SQLite computes each row when it steps there and holds only the rows it read ahead:
    /// a statement's RETURNING rows, and an executed query's rest once a statement that
    /// may change them ran.
    virtual std::size_t held_rows() const noexcept = 0;
};

/// A backend: the Dialect that renders its SQL and a way to open connections.
class Driver {
public:
    virtual ~Driver() = default;
    virtual const Dialect& dialect() const noexcept = 0;
    /// Opens a connection; failures throw OperationalError without the password.
    virtual std::unique_ptr<DriverConnection> connect(const URL& url,
                                                      const ConnectOptions& options) const = 0;
    /// True when each connection to `url` with `options` (the URL's query merged with
    /// connect_args) opens a database of its own (SQLite's in-memory databases): an Engine
    /// then keeps exactly one connection and shares it.
    virtual bool database_per_connection(const URL& url, const ConnectOptions& options) const noexcept {
        (void)url;
        (void)options;
        return false;
    }
};

/// The driver serving `url.backend()`; throws ArgumentError naming the known backends for
/// an unknown one.
const Driver& driver_for(const URL& url);
/// Makes `driver` serve URLs whose backend is `backend` ("lite3" serves "lite3:///app.db"
/// and "lite3+any://..."). `driver` must outlive every Engine using it. Throws
/// ArgumentError for a name already taken or one a URL could not start with.
void register_driver(std::string_view backend, const Driver& driver);

namespace detail {
/// The number of rows in a batch of `param_count` parameters, `per_row` per row.
/// Throws ArgumentError naming `call` unless `per_row` > 0 and divides `param_count`.
std::size_t batch_row_count(std::size_t param_count, std::size_t per_row, std::string_view call);
/// execute_batch's checks: batch_row_count, and one rows-affected slot per row. Returns
/// the number of rows.
std::size_t execute_batch_rows(std::size_t param_count, std::size_t per_row, std::size_t rows_affected_size);
}  // namespace detail

}  // namespace alchemy
