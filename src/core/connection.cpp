// Connection: autobegin, explicit transactions and savepoints, echo, pool return.
#include "alchemy/core/connection.hpp"

#include "alchemy/core/error.hpp"
#include "core/echo.hpp"
#include "core/engine_state.hpp"
#include "core/printable.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <utility>

namespace alchemy {
namespace {

std::string savepoint_name(std::uint64_t id) { return fmt::format("sa_savepoint_{}", id); }

constexpr std::string_view lost_with_connection =
    "alchemy: the database connection was lost inside this transaction, so the "
    "database ended it and the work it had not committed is gone; call rollback() on "
    "the connection, Session or outermost transaction to acknowledge that, then redo "
    "the work (the next statement reconnects)";

constexpr std::string_view ended_outside_a_statement =
    "alchemy: the database has no transaction open any more, though this connection began one "
    "and has not ended it: a failure while rows were read made the database roll it back (SQLite "
    "does so when it runs out of memory or meets an I/O error), or a COMMIT or ROLLBACK sent as "
    "text ended it; call rollback() on the connection, Session or outermost transaction to "
    "acknowledge that, then redo the work that was not saved";

constexpr std::string_view rollback_failed =
    "alchemy: a rollback of this transaction failed (its error said why), so the connection was "
    "given up, which ends the transaction on the database without saving its work; call rollback() "
    "on the connection, Session or outermost transaction to acknowledge that, then redo the work "
    "(the next statement reconnects)";

std::string rolled_back_on_failure(std::string_view sql) {
    return fmt::format(
        "alchemy: the database rolled this transaction back when one of its statements failed (its "
        "error said why), so none of its work was saved; call rollback() on the connection, Session "
        "or outermost transaction to acknowledge that, then redo the work\n[SQL: {}]",
        detail::printable(sql, "\n\t\r"));
}

}  // namespace

Connection::Connection(std::shared_ptr<detail::EngineState> engine, std::unique_ptr<PoolEntry> entry)
    : engine_(std::move(engine)),
      entry_(std::move(entry)),
      dialect_(&engine_->driver->dialect()),
      isolation_(engine_->options.isolation_level),
      begin_sql_(engine_->begin_sql) {}

Connection::Connection(Connection&& other) noexcept { *this = std::move(other); }

Connection& Connection::operator=(Connection&& other) noexcept {
    if (this != &other) {
        close();
        engine_ = std::move(other.engine_);
        entry_ = std::move(other.entry_);
        dialect_ = other.dialect_;
        isolation_ = other.isolation_;
        begin_sql_ = std::move(other.begin_sql_);
        isolation_set_on_connection_ = other.isolation_set_on_connection_;
        restore_sql_ = std::move(other.restore_sql_);
        closed_ = std::exchange(other.closed_, true);  // a moved-from Connection is closed
        root_open_ = other.root_open_;
        transaction_lost_ = other.transaction_lost_;
        root_serial_ = other.root_serial_;
        savepoints_ = std::move(other.savepoints_);
        savepoint_counter_ = other.savepoint_counter_;
        results_ = std::move(other.results_);
    }
    return *this;
}

Connection::~Connection() { close(); }

void Connection::close() noexcept {
    if (closed_ || !engine_) return;
    closed_ = true;
    results_.close_all();  // before their cursors go back to the pool with the connection
    if (entry_) {
        if (root_open_ && !entry_->invalidated) engine_->log("ROLLBACK (connection returned)");
        restore_connection_state();  // the pool's ROLLBACK would leave it in place
        if (isolation_set_on_connection_) {
            // The next borrower gets the engine's level; closing the connection instead would
            // take an in-memory SQLite database with it.
            restore_sql_ = engine_->isolation_restore_sql;
            if (restore_sql_.empty()) entry_->invalidated = true;
            else restore_connection_state();
        }
        engine_->pool->checkin(std::move(entry_));
    }
    root_open_ = false;
    transaction_lost_.reset();
    savepoints_.clear();
}

void Connection::invalidate() noexcept { invalidate(lost_with_connection); }

void Connection::invalidate(std::string_view why_transaction_lost) noexcept {
    if (entry_) entry_->invalidated = true;
    if (root_open_ && !transaction_lost_) transaction_lost_ = std::string(why_transaction_lost);
}

void Connection::notice_losses() noexcept {
    // A Result reads rows after execute_sql returned, beyond the reach of
    // noticing_lost_transaction: the connection or the transaction it lost is noticed at the
    // next use, before a statement can run in autocommit or a COMMIT can claim the work.
    if (!entry_ || entry_->invalidated) return;
    if (entry_->connection->is_broken()) invalidate();
    else if (root_open_ && !transaction_lost_ && !entry_->connection->in_transaction())
        transaction_lost_ = std::string(ended_outside_a_statement);
}

DriverConnection& Connection::live() {
    if (closed_)
        throw InvalidRequestError(
            "alchemy: this connection is closed; get a new one with "
            "engine.connect()");
    notice_losses();
    if (transaction_lost_) throw PendingRollbackError(*transaction_lost_);
    if (!entry_ || entry_->invalidated) reconnect();
    return *entry_->connection;
}

void Connection::reconnect() {
    // The lost connection goes back first: with a pool of one it holds the only slot.
    results_.close_all();
    if (entry_) engine_->pool->checkin(std::move(entry_));
    isolation_set_on_connection_ = false;
    restore_sql_.clear();          // it belonged to the connection that went
    entry_ = engine_->checkout();  // on failure the next use tries again
    if (isolation_ != engine_->options.isolation_level) apply_connection_isolation(*entry_->connection);
}

DriverConnection& Connection::driver_connection() { return live(); }

DriverConnection& Connection::autobegin() {
    auto& dc = live();
    if (!root_open_ && !autocommit()) begin_root("BEGIN (implicit)");
    return dc;
}

// Every statement runs through here, so a lost connection is never handed out again, and a
// transaction the database ended is never taken for open: SQLite rolls the whole transaction
// back on some failures (ON CONFLICT ROLLBACK, RAISE(ROLLBACK), a full disk, ...), and each
// statement after it would commit on its own.
template <class Run>
decltype(auto) Connection::noticing_lost_transaction(std::string_view sql, Run&& run) {
    try {
        return std::forward<Run>(run)();
    } catch (const DatabaseError& e) {
        if (e.connection_invalidated()) invalidate();
        else if (root_open_ && !transaction_lost_ && transaction_ended_on_server())
            transaction_lost_ = rolled_back_on_failure(sql);
        throw;
    }
}

Result<> Connection::execute_sql(std::string_view sql, std::span<const Param> params,
                                 ExecuteOptions options) {
    auto& dc = autobegin();
    before_cursor_execute(sql, params, false);
    if (engine_->options.echo) {
        engine_->log(sql);
        if (!params.empty()) engine_->log(fmt::format("[parameters: {}]", detail::render_params(params)));
    }
    return noticing_lost_transaction(sql, [&] {
        Result<> result(options.stream_results ? dc.stream(sql, params) : dc.execute(sql, params));
        results_.add(result, options.stream_results, savepoints_.size());
        return result;
    });
}

std::vector<std::int64_t> Connection::execute_batch(std::string_view sql, std::span<const Param> params,
                                                    std::size_t params_per_row) {
    std::vector<std::int64_t> rows_affected(
        detail::batch_row_count(params.size(), params_per_row, "execute_batch()"));
    execute_batch(sql, params, params_per_row, rows_affected);
    return rows_affected;
}

void Connection::execute_batch(std::string_view sql, std::span<const Param> params,
                               std::size_t params_per_row, std::span<std::int64_t> rows_affected) {
    // Checked before anything begins or is logged.
    detail::execute_batch_rows(params.size(), params_per_row, rows_affected.size());
    auto& dc = autobegin();
    before_cursor_execute(sql, params, true);
    if (engine_->options.echo) {
        engine_->log(sql);
        engine_->log(detail::render_batch(params, params_per_row));
    }
    noticing_lost_transaction(sql, [&] { dc.execute_batch(sql, params, params_per_row, rows_affected); });
}

std::int64_t Connection::copy_rows(std::string_view table, std::span<const std::string_view> columns,
                                   std::span<const Param> params) {
    const auto rows = detail::batch_row_count(params.size(), columns.size(), "copy_rows()");
    auto& dc = autobegin();
    const auto copy = detail::render_copy(*dialect_, table, columns);
    if (engine_->options.echo) {
        engine_->log(copy);
        engine_->log(detail::render_row_count(rows));
    }
    return noticing_lost_transaction(copy, [&] { return dc.copy_rows(table, columns, params); });
}

void Connection::execute_script(std::string_view sql) {
    autobegin();
    before_cursor_execute(sql, {}, false);
    note_program_sql();
    run_control(sql, sql);
}

void Connection::note_program_sql() noexcept {
    if (entry_) entry_->ran_program_sql = true;
}

void Connection::before_cursor_execute(std::string_view sql, std::span<const Param> params,
                                       bool executemany) {
    if (const auto listeners = engine_->events())
        for (const auto& fn : listeners->before_cursor_execute) fn(*this, sql, params, executemany);
}

// Every unparameterised statement goes through here, logged.
void Connection::run_control(std::string_view sql, std::string_view log_line) {
    auto& dc = live();
    engine_->log(log_line);
    noticing_lost_transaction(sql, [&] { dc.execute_script(sql); });
}

void Connection::begin_root(std::string_view log_line, const TransactionSql* custom) {
    run_control(custom ? custom->begin : begin_sql_, log_line);
    root_open_ = true;
    ++root_serial_;
    try {
        if (custom && !custom->setup.empty()) {
            // Set before it runs, so that a failing setup is undone too.
            restore_sql_ = custom->restore;
            run_control(custom->setup, custom->setup);
        }
        if (const auto listeners = engine_->events())
            for (const auto& fn : listeners->begin) fn(*this);
    } catch (...) {
        try {
            end_root(false);
        } catch (...) {
            // The first error says why; the pool resets the connection on return.
        }
        throw;
    }
}

void Connection::begin_transaction(const TransactionOptions& options) {
    live();
    if (root_open_)
        throw InvalidRequestError(
            "alchemy: a transaction is already begun on this connection (the first statement "
            "begins one implicitly); commit() or rollback() it first, or use begin_nested() "
            "for a SAVEPOINT");
    if (options.isolation_level == IsolationLevel::autocommit)
        throw ArgumentError(
            "alchemy: AUTOCOMMIT is not an isolation level of one transaction; call "
            "conn.set_isolation_level(sa::IsolationLevel::autocommit) instead of begin()");
    if (!options.isolation_level && !options.read_only) {
        begin_root("BEGIN");
        return;
    }
    const auto sql = dialect_->transaction_sql(options, autocommit() ? std::nullopt : isolation_);
    begin_root(sql.begin, &sql);
}

Transaction Connection::begin(const TransactionOptions& options) {
    begin_transaction(options);
    return Transaction(*this, false, 0, root_serial_);
}

Transaction Connection::begin_nested() {
    live();
    // Under AUTOCOMMIT an implicit BEGIN would outlive the savepoint: the statements after
    // its RELEASE would run in a transaction nothing commits, and the pool would roll it back.
    if (!root_open_ && autocommit())
        throw InvalidRequestError(
            "alchemy: begin_nested() on an AUTOCOMMIT connection has no transaction to make a "
            "SAVEPOINT in; call begin() first and commit() it, or use a connection that is not "
            "AUTOCOMMIT");
    if (!root_open_) begin_root("BEGIN (implicit)");
    const auto id = ++savepoint_counter_;
    const auto name = dialect_->quote_identifier(savepoint_name(id));
    run_control("SAVEPOINT " + name, "SAVEPOINT " + name);
    savepoints_.push_back(id);
    return Transaction(*this, true, savepoints_.size() - 1, id);
}

void Connection::commit() {
    if (root_open_) end_root(true);
}

void Connection::rollback() {
    if (root_open_) end_root(false);
}

bool Connection::in_transaction() const noexcept { return root_open_; }
bool Connection::in_nested_transaction() const noexcept { return !savepoints_.empty(); }
bool Connection::has_written() const noexcept {
    return root_open_ && entry_ && entry_->connection->has_written();
}

void Connection::forget_transaction() noexcept {
    root_open_ = false;
    transaction_lost_.reset();
    savepoints_.clear();
}

bool Connection::transaction_ended_on_server() const noexcept {
    return !entry_ || (!entry_->invalidated && !entry_->connection->in_transaction());
}

void Connection::end_root(bool commit) {
    // A rollback ends the statements streaming in the transaction, as SQLAlchemy's invalidates
    // its open cursors; PostgreSQL cannot send the ROLLBACK before.
    if (!commit) results_.close_streamed(0);
    notice_losses();
    if (transaction_lost_) {
        if (commit) throw PendingRollbackError(*transaction_lost_);
        engine_->log("ROLLBACK (the database already ended the transaction; nothing to send)");
        forget_transaction();
        restore_connection_state();
        return;
    }
    const std::string_view sql = commit ? "COMMIT" : "ROLLBACK";
    try {
        run_control(sql, sql);
    } catch (...) {
        // A failed COMMIT may or may not have ended the transaction (PostgreSQL rolls
        // back; SQLite stays open when busy): believe the server, and the COMMIT's error
        // tells the caller. One that lost the connection stays open as lost, for rollback()
        // to acknowledge, as does one whose ROLLBACK failed (see invalidate()).
        if (transaction_ended_on_server()) {
            forget_transaction();
            restore_connection_state();
        } else if (!commit) invalidate(rollback_failed);
        throw;
    }
    forget_transaction();
    restore_connection_state();
}

void Connection::restore_connection_state() noexcept {
    if (restore_sql_.empty()) return;
    const auto sql = std::exchange(restore_sql_, {});
    if (!entry_ || entry_->invalidated) return;  // the connection goes, and its state with it
    try {
        engine_->log(sql);
        entry_->connection->execute_script(sql);
    } catch (...) {
        entry_->invalidated = true;  // never hand out a connection in a state nobody asked for
    }
}

std::string Connection::two_phase_literal(std::string_view xid) const {
    if (!dialect_->supports_two_phase_commit())
        throw ArgumentError(
            fmt::format("alchemy: {} has no two-phase commit (PREPARE TRANSACTION)", dialect_->name()));
    const bool valid = !xid.empty() && xid.size() <= 200 && std::all_of(xid.begin(), xid.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == ':' || c == '-';
    });
    if (!valid)
        throw ArgumentError("alchemy: a two-phase transaction id takes 1 to 200 letters, digits and _.:-");
    return fmt::format("'{}'", xid);
}

void Connection::prepare_transaction(std::string_view xid) {
    const auto literal = two_phase_literal(xid);
    notice_losses();
    if (transaction_lost_) throw PendingRollbackError(*transaction_lost_);
    if (!root_open_) throw InvalidRequestError("alchemy: prepare_transaction() needs an open transaction");
    const auto sql = "PREPARE TRANSACTION " + literal;
    try {
        run_control(sql, sql);
    } catch (...) {
        // As after a failed COMMIT: believe the server about whether the transaction ended.
        if (transaction_ended_on_server()) forget_transaction();
        throw;
    }
    forget_transaction();
}

void Connection::commit_prepared(std::string_view xid) { end_prepared(xid, true); }

void Connection::rollback_prepared(std::string_view xid) { end_prepared(xid, false); }

void Connection::end_prepared(std::string_view xid, bool commit) {
    const auto literal = two_phase_literal(xid);
    if (root_open_)
        throw InvalidRequestError(
            fmt::format("alchemy: {} PREPARED runs outside a transaction; commit or roll "
                        "back this connection's transaction first",
                        commit ? "COMMIT" : "ROLLBACK"));
    const auto sql = fmt::format("{} PREPARED {}", commit ? "COMMIT" : "ROLLBACK", literal);
    run_control(sql, sql);
}

void Connection::end_savepoint(std::size_t depth, std::uint64_t id, bool commit) {
    if (!commit) results_.close_streamed(depth + 1);  // as end_root() does, for those begun in it
    // Nothing of the transaction is left to release or roll back to.
    notice_losses();
    if (transaction_lost_) throw PendingRollbackError(*transaction_lost_);
    const auto name = dialect_->quote_identifier(savepoint_name(id));
    const auto sql = (commit ? "RELEASE SAVEPOINT " : "ROLLBACK TO SAVEPOINT ") + name;
    try {
        run_control(sql, sql);
    } catch (...) {
        // The work the SAVEPOINT could not undo must not reach the root's COMMIT.
        if (!commit) invalidate(rollback_failed);
        throw;
    }
    savepoints_.resize(depth);
}

bool Connection::root_active(std::uint64_t serial) const noexcept {
    return root_open_ && root_serial_ == serial;
}

bool Connection::savepoint_active(std::size_t depth, std::uint64_t id) const noexcept {
    return root_open_ && depth < savepoints_.size() && savepoints_[depth] == id;
}

void Connection::set_isolation_level(IsolationLevel level) {
    auto& dc = live();
    if (root_open_)
        throw InvalidRequestError(
            "alchemy: the isolation level cannot change inside a "
            "transaction; commit() or rollback() first");
    begin_sql_ = dialect_->begin_sql(
        level == IsolationLevel::autocommit ? std::nullopt : std::optional<IsolationLevel>(level));
    isolation_ = level;
    apply_connection_isolation(dc);
}

void Connection::apply_connection_isolation(DriverConnection& dc) {
    if (!isolation_ || autocommit()) return;
    const auto sql = dialect_->connection_isolation_sql(*isolation_);
    if (sql.empty()) return;
    engine_->log(sql);
    dc.execute_script(sql);
    isolation_set_on_connection_ = true;
}

// Transaction ---------------------------------------------------------------------

Transaction::Transaction(Transaction&& other) noexcept
    : conn_(std::exchange(other.conn_, nullptr)),
      nested_(other.nested_),
      depth_(other.depth_),
      id_(other.id_) {}

Transaction::~Transaction() {
    if (!is_active()) return;
    try {
        rollback();
    } catch (...) {
        // A destructor must not throw. A rollback that failed gave the connection up, so
        // no commit() can save the work.
    }
}

bool Transaction::is_active() const noexcept {
    if (!conn_) return false;
    return nested_ ? conn_->savepoint_active(depth_, id_) : conn_->root_active(id_);
}

void Transaction::commit() {
    if (!is_active())
        throw InvalidRequestError(
            "alchemy: this transaction is no longer active (it was "
            "already committed or rolled back)");
    if (nested_) conn_->end_savepoint(depth_, id_, true);
    else conn_->end_root(true);
}

void Transaction::rollback() {
    if (!is_active()) return;
    if (nested_) conn_->end_savepoint(depth_, id_, false);
    else conn_->end_root(false);
}

}  // namespace alchemy
