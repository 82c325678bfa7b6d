// Connection: one database connection checked out of an Engine's pool (RAII).
//
// Transactions follow SQLAlchemy 2.0: the first statement begins a transaction
// implicitly ("autobegin"); commit() or rollback() ends it; returning the connection
// to the pool rolls back whatever was not committed. conn.begin() starts one
// explicitly and returns a Transaction guard. Under isolation level AUTOCOMMIT no
// transaction is begun implicitly. A Connection belongs to one thread at a time.
//
// A database connection lost inside a transaction takes the transaction with it, and so
// does a failed statement after which the database has none (SQLite rolls the whole
// transaction back on some failures). The Connection then refuses everything but
// rollback() with PendingRollbackError, so a program that caught the statement's error
// cannot commit() and believe its earlier work saved; after rollback() (or when lost
// outside a transaction) the next use reconnects through the pool, as SQLAlchemy's
// Connection does.
#pragma once

#include "alchemy/core/dialect.hpp"
#include "alchemy/core/driver.hpp"
#include "alchemy/core/result.hpp"
#include "alchemy/core/text.hpp"
#include "alchemy/core/transaction.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace alchemy {

struct PoolEntry;
namespace detail {
struct EngineState;
}

/// How execute_sql runs one statement (SQLAlchemy's execution_options).
struct ExecuteOptions {
    /// Read the rows from the database as the Result asks for them rather than all at
    /// once, so that a result of any size takes the memory of one row (SQLAlchemy's
    /// stream_results). On PostgreSQL the connection runs nothing else meanwhile: read the
    /// Result to its end or close it before the next statement, commit() or rollback().
    /// On SQLite other statements may run meanwhile, but one on the same connection that
    /// changes a table being streamed leaves the rows still to come undefined (rows
    /// twice, deleted rows, https://www.sqlite.org/isolation.html); an unstreamed Result
    /// reads its rest ahead before such a statement and returns its statement's rows.
    bool stream_results = false;
};

/// A statement a Connection can run: it renders itself for the connection's dialect,
/// binds its values and returns a Result.
template <class S>
concept executable = requires(const S& stmt, Connection& conn) { stmt.execute_on(conn); };

class Connection {
public:
    Connection(Connection&&) noexcept;
    Connection& operator=(Connection&&) noexcept;
    /// Rolls back uncommitted work and returns the connection to the pool.
    ~Connection();

    /// Runs a statement (sa::text(...), and the sql layer's statements).
    template <executable S>
    auto execute(const S& stmt) {
        return stmt.execute_on(*this);
    }
    /// Runs SQL whose placeholders are already the dialect's; the low-level entry point
    /// the other layers use. `params` must stay valid during the call.
    Result<> execute_sql(std::string_view sql, std::span<const Param> params = {},
                         ExecuteOptions options = {});
    /// Runs SQL without parameters that may hold several statements (DDL scripts).
    void execute_script(std::string_view sql);
    /// Runs `sql` once per row of parameters ("executemany"): `params` holds the rows
    /// back to back, `params_per_row` (> 0) each. Returns the rows affected by each run.
    /// The statement is prepared once; PostgreSQL pipelines the rows. Autobegins like
    /// execute_sql; echo logs the SQL once and the row count with the first row's
    /// parameters. A failing row throws its DatabaseError; roll back, as what the batch
    /// did before it is undefined. Under AUTOCOMMIT the error's batch_progress() tells how
    /// many rows stay committed. Throws ArgumentError for a malformed batch.
    std::vector<std::int64_t> execute_batch(std::string_view sql, std::span<const Param> params,
                                            std::size_t params_per_row);
    /// The same, with the counts written into `rows_affected`, which must have one element
    /// per row: a caller that runs many batches keeps one buffer for them.
    void execute_batch(std::string_view sql, std::span<const Param> params, std::size_t params_per_row,
                       std::span<std::int64_t> rows_affected);
    /// Bulk-loads rows into `table`'s `columns` (bare names; they are quoted): PostgreSQL
    /// COPY ... FROM STDIN in binary, SQLite a prepared INSERT per row. `params` holds
    /// the rows back to back, columns.size() each. Returns the number of rows loaded.
    /// Autobegins like execute_sql. The load is all or nothing: a failure inside a
    /// transaction leaves none of its rows (PostgreSQL's then aborted, SQLite's going on),
    /// and under AUTOCOMMIT says that nothing stayed committed (batch_progress()).
    std::int64_t copy_rows(std::string_view table, std::span<const std::string_view> columns,
                           std::span<const Param> params);

    /// Begins a transaction explicitly; throws InvalidRequestError if one is open.
    /// `options` apply to this transaction alone: `conn.begin({.isolation_level =
    /// sa::IsolationLevel::serializable, .read_only = true})`. PostgreSQL renders them in
    /// the BEGIN; SQLite runs a read-only transaction under PRAGMA query_only and refuses a
    /// level other than the connection's (ArgumentError), as its level is connection state.
    Transaction begin(const TransactionOptions& options = {});
    /// Opens a SAVEPOINT inside the current transaction (beginning one if needed).
    Transaction begin_nested();
    /// Commits the current transaction, if any. Throws PendingRollbackError if the
    /// database connection was lost inside it, or a failed statement made the database end it.
    void commit();
    /// Rolls back the current transaction, if any, first closing the streamed Results still
    /// open (their reads then throw InvalidRequestError); after a lost connection or a failure
    /// that ended the transaction, acknowledges that it is gone (sending nothing), so the
    /// connection can be used again. A ROLLBACK that fails gives the connection up, so that
    /// no commit() can save the work.
    void rollback();
    /// Two-phase commit, phase one (PostgreSQL's PREPARE TRANSACTION): ends the current
    /// transaction, whose work the server keeps, locks included, under the name `xid`
    /// until commit_prepared(xid) or rollback_prepared(xid), from any connection, even
    /// after a restart. `xid`: 1 to 200 letters, digits and `_.:-`. Throws ArgumentError on
    /// a backend without two-phase commit, InvalidRequestError without a transaction.
    void prepare_transaction(std::string_view xid);
    /// Phase two: COMMIT PREPARED / ROLLBACK PREPARED `xid`, outside a transaction.
    void commit_prepared(std::string_view xid);
    void rollback_prepared(std::string_view xid);
    /// True from the first statement (or begin()) until commit() or rollback(), including
    /// while a transaction the database ended (lost connection, failure) awaits rollback().
    bool in_transaction() const noexcept;
    bool in_nested_transaction() const noexcept;
    /// True once the open transaction has written on a backend whose writers exclude each
    /// other (SQLite: it holds the write lock until it ends).
    bool has_written() const noexcept;

    /// Sets the isolation level of this connection's next transactions, until it returns
    /// to the pool. On PostgreSQL the level travels in each BEGIN, so nothing outlives
    /// the transaction on the server (which a pooler such as PgBouncer shares); SQLite
    /// keeps it as connection state, which goes back to the engine's level on return.
    /// Throws InvalidRequestError inside a transaction.
    void set_isolation_level(IsolationLevel level);
    /// The level set on the engine or this connection; empty: the database's default.
    std::optional<IsolationLevel> isolation_level() const noexcept { return isolation_; }

    const Dialect& dialect() const noexcept { return *dialect_; }
    /// Marks the database connection underneath unusable: the pool closes it, and this
    /// Connection reconnects on its next use. Inside a transaction, the transaction is
    /// lost with it: rollback() first (see PendingRollbackError).
    void invalidate() noexcept;
    /// Returns the connection to the pool now and closes the Results still open on it;
    /// later use of either throws InvalidRequestError.
    void close() noexcept;
    bool closed() const noexcept { return closed_; }

    /// The driver connection underneath (for the layers above core and for tests).
    DriverConnection& driver_connection();

private:
    friend class Engine;
    friend class Transaction;
    template <class Row>
    friend class TextClause;
    Connection(std::shared_ptr<detail::EngineState> engine, std::unique_ptr<PoolEntry> entry);

    /// The driver connection, reconnecting if it was invalidated; throws if this
    /// Connection is closed or its transaction was lost.
    DriverConnection& live();
    /// Marks the driver connection as having run SQL the program wrote, whose session
    /// state the pool then puts back before the next borrower (restore_session_state()).
    void note_program_sql() noexcept;
    /// Invalidates this Connection if the driver connection broke outside a statement, and
    /// marks the transaction lost if the database ended it there (while a Result read rows).
    void notice_losses() noexcept;
    /// invalidate(), with `why_transaction_lost` as the PendingRollbackError message.
    void invalidate(std::string_view why_transaction_lost) noexcept;
    /// Swaps an invalidated (or missing) pool entry for a fresh one.
    void reconnect();
    /// live(), after beginning a transaction unless one is open or under AUTOCOMMIT.
    DriverConnection& autobegin();
    /// Returns run(), which runs `sql`. A DatabaseError that lost the connection invalidates
    /// it on the way; one after which the database has no transaction, while one was open,
    /// marks it lost.
    template <class Run>
    decltype(auto) noticing_lost_transaction(std::string_view sql, Run&& run);
    bool autocommit() const noexcept { return isolation_ == IsolationLevel::autocommit; }
    /// Runs the connection-state part of a level set with set_isolation_level, if the
    /// dialect has one.
    void apply_connection_isolation(DriverConnection& dc);
    /// begin() without the guard: checks that none is open, then begin_root().
    void begin_transaction(const TransactionOptions& options);
    /// Begins the root transaction with begin_sql_, or with `custom`'s statements, and
    /// runs the engine's begin events.
    void begin_root(std::string_view log_line, const TransactionSql* custom = nullptr);
    /// Runs the engine's before_cursor_execute events.
    void before_cursor_execute(std::string_view sql, std::span<const Param> params, bool executemany);
    /// Runs restore_sql_, if a transaction left one; a failure discards the connection.
    void restore_connection_state() noexcept;
    void run_control(std::string_view sql, std::string_view log_line);  // logged, unparameterised
    void end_root(bool commit);
    /// Checks `xid` and that the dialect has two-phase commit; returns it as a SQL literal.
    std::string two_phase_literal(std::string_view xid) const;
    void end_prepared(std::string_view xid, bool commit);
    void end_savepoint(std::size_t depth, std::uint64_t id, bool commit);
    /// True if the connection, not lost, has no transaction open on the server (after a
    /// failure, to tell whether the failure ended the transaction).
    bool transaction_ended_on_server() const noexcept;
    /// Forgets the root transaction and its SAVEPOINTs: it ended, or ended with the connection.
    void forget_transaction() noexcept;
    bool savepoint_active(std::size_t depth, std::uint64_t id) const noexcept;
    bool root_active(std::uint64_t serial) const noexcept;

    std::shared_ptr<detail::EngineState> engine_;
    std::unique_ptr<PoolEntry> entry_;
    const Dialect* dialect_ = nullptr;
    std::optional<IsolationLevel> isolation_;
    std::string begin_sql_;                     ///< the dialect's BEGIN for isolation_
    bool isolation_set_on_connection_ = false;  ///< to be restored on return
    std::string restore_sql_;  ///< undoes what the current transaction's options set (TransactionSql)
    bool closed_ = false;
    bool root_open_ = false;
    /// Set while root_open_ names a transaction the database ended on its own (the connection
    /// died under it, a failed statement rolled it back, or its ROLLBACK failed and the
    /// connection was given up): the PendingRollbackError message
    /// everything but rollback() throws.
    std::optional<std::string> transaction_lost_;
    std::uint64_t root_serial_ = 0;          ///< identifies the current root transaction
    std::vector<std::uint64_t> savepoints_;  ///< ids of open SAVEPOINTs, innermost last
    std::uint64_t savepoint_counter_ = 0;
    /// Closed before the driver connection goes back to the pool (close(), reconnect()); the
    /// streamed ones also by a rollback.
    detail::OpenResults results_;
};

template <class Row>
auto TextClause<Row>::execute_on(Connection& conn) const {
    const auto compiled = compiled_.get(sql_, conn.dialect());
    const auto params = detail::order_text_params(*compiled, binds_);
    auto result = conn.execute_sql(compiled->sql, params);
    conn.note_program_sql();
    if constexpr (std::is_void_v<Row>) return result;
    else return std::move(result).template as<Row>();
}

}  // namespace alchemy
