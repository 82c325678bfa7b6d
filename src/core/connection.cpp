// Connection: autobegin, explicit transactions and savepoints, echo, pool return.
#include "alchemy/core/connection.hpp"

#include "alchemy/core/error.hpp"
#include "core/echo.hpp"
#include "core/engine_state.hpp"

#include <fmt/format.h>

#include <utility>

namespace alchemy {
namespace {
std::string savepoint_name(std::uint64_t id) { return fmt::format("sa_savepoint_{}", id); }
}  // namespace

Connection::Connection(std::shared_ptr<detail::EngineState> engine,
                       std::unique_ptr<PoolEntry> entry)
    : engine_(std::move(engine)),
      entry_(std::move(entry)),
      dialect_(&engine_->driver->dialect()),
      isolation_(engine_->isolation) {}

Connection::Connection(Connection&&) noexcept = default;

Connection& Connection::operator=(Connection&& other) noexcept {
    if (this != &other) {
        close();
        engine_ = std::move(other.engine_);
        entry_ = std::move(other.entry_);
        dialect_ = other.dialect_;
        isolation_ = other.isolation_;
        isolation_changed_ = other.isolation_changed_;
        root_open_ = other.root_open_;
        root_serial_ = other.root_serial_;
        savepoints_ = std::move(other.savepoints_);
        savepoint_counter_ = other.savepoint_counter_;
    }
    return *this;
}

Connection::~Connection() { close(); }

void Connection::close() noexcept {
    if (!entry_) return;
    if (isolation_changed_) entry_->invalidated = true;  // see set_isolation_level
    if (root_open_ && !entry_->invalidated) engine_->log("ROLLBACK (connection returned)");
    root_open_ = false;
    savepoints_.clear();
    engine_->pool->checkin(std::move(entry_));
}

void Connection::invalidate() noexcept {
    if (entry_) entry_->invalidated = true;
    root_open_ = false;
    savepoints_.clear();
}

DriverConnection& Connection::live() {
    if (!entry_)
        throw InvalidRequestError("alchemy: this connection is closed; get a new one with "
                                  "engine.connect()");
    if (entry_->invalidated)
        throw InvalidRequestError("alchemy: this connection was invalidated (the database "
                                  "connection was lost or invalidate() was called); get a new "
                                  "one with engine.connect()");
    return *entry_->connection;
}

DriverConnection& Connection::driver_connection() { return live(); }

DriverConnection& Connection::autobegin() {
    auto& dc = live();
    if (!root_open_ && !autocommit()) begin_root("BEGIN (implicit)");
    return dc;
}

// Every statement runs through here, so a lost connection is never handed out again.
template <class Run>
decltype(auto) Connection::invalidating_on_disconnect(Run&& run) {
    try {
        return std::forward<Run>(run)();
    } catch (const DatabaseError& e) {
        if (e.connection_invalidated()) invalidate();
        throw;
    }
}

Result<> Connection::execute_sql(std::string_view sql, std::span<const Param> params) {
    auto& dc = autobegin();
    if (engine_->options.echo) {
        engine_->log(sql);
        if (!params.empty()) engine_->log(fmt::format("[parameters: {}]", detail::render_params(params)));
    }
    return invalidating_on_disconnect([&] { return Result<>(dc.execute(sql, params)); });
}

std::vector<std::int64_t> Connection::execute_batch(std::string_view sql,
                                                    std::span<const Param> params,
                                                    std::size_t params_per_row) {
    // Checked before anything begins or is logged.
    const auto rows = detail::batch_row_count(params.size(), params_per_row, "execute_batch()");
    auto& dc = autobegin();
    if (engine_->options.echo) {
        engine_->log(sql);
        engine_->log(detail::render_batch(params, params_per_row));
    }
    std::vector<std::int64_t> rows_affected(rows);
    invalidating_on_disconnect([&] { dc.execute_batch(sql, params, params_per_row, rows_affected); });
    return rows_affected;
}

std::int64_t Connection::copy_rows(std::string_view table, std::span<const std::string_view> columns,
                                   std::span<const Param> params) {
    const auto rows = detail::batch_row_count(params.size(), columns.size(), "copy_rows()");
    auto& dc = autobegin();
    if (engine_->options.echo) {
        engine_->log(detail::render_copy(*dialect_, table, columns));
        engine_->log(detail::render_row_count(rows));
    }
    return invalidating_on_disconnect([&] { return dc.copy_rows(table, columns, params); });
}

void Connection::execute_script(std::string_view sql) {
    autobegin();
    run_control(sql, sql);
}

// Every unparameterised statement goes through here, logged.
void Connection::run_control(std::string_view sql, std::string_view log_line) {
    auto& dc = live();
    engine_->log(log_line);
    invalidating_on_disconnect([&] { dc.execute_script(sql); });
}

void Connection::begin_root(std::string_view log_line) {
    run_control("BEGIN", log_line);
    root_open_ = true;
    ++root_serial_;
}

Transaction Connection::begin() {
    live();
    if (root_open_)
        throw InvalidRequestError(
            "alchemy: a transaction is already begun on this connection (the first statement "
            "begins one implicitly); commit() or rollback() it first, or use begin_nested() "
            "for a SAVEPOINT");
    begin_root("BEGIN");
    return Transaction(*this, false, 0, root_serial_);
}

Transaction Connection::begin_nested() {
    live();
    if (!root_open_) begin_root("BEGIN (implicit)");
    const auto id = ++savepoint_counter_;
    const auto name = dialect_->quote_identifier(savepoint_name(id));
    run_control("SAVEPOINT " + name, "SAVEPOINT " + name);
    savepoints_.push_back(id);
    return Transaction(*this, true, savepoints_.size() - 1, id);
}

void Connection::commit() {
    if (root_open_) end_root("COMMIT");
}

void Connection::rollback() {
    if (root_open_) end_root("ROLLBACK");
}

bool Connection::in_transaction() const noexcept { return root_open_; }
bool Connection::in_nested_transaction() const noexcept { return !savepoints_.empty(); }

void Connection::end_root(std::string_view sql) {
    if (!entry_ || entry_->invalidated) {
        root_open_ = false;
        savepoints_.clear();
        return;
    }
    try {
        run_control(sql, sql);
    } catch (...) {
        // A failed COMMIT may or may not have ended the transaction (PostgreSQL rolls
        // back; SQLite stays open when busy): believe the server.
        root_open_ = entry_ && !entry_->invalidated && entry_->connection->in_transaction();
        if (!root_open_) savepoints_.clear();
        throw;
    }
    root_open_ = false;
    savepoints_.clear();
}

void Connection::end_savepoint(std::size_t depth, std::uint64_t id, bool commit) {
    const auto name = dialect_->quote_identifier(savepoint_name(id));
    const auto sql = (commit ? "RELEASE SAVEPOINT " : "ROLLBACK TO SAVEPOINT ") + name;
    run_control(sql, sql);
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
        throw InvalidRequestError("alchemy: the isolation level cannot change inside a "
                                  "transaction; commit() or rollback() first");
    if (level != IsolationLevel::autocommit) {
        const auto sql = dialect_->isolation_level_sql(level);
        engine_->log(sql);
        dc.execute_script(sql);
    }
    isolation_ = level;
    isolation_changed_ = true;
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
        // A destructor must not throw; the pool resets the connection on return anyway.
    }
}

bool Transaction::is_active() const noexcept {
    if (!conn_) return false;
    return nested_ ? conn_->savepoint_active(depth_, id_) : conn_->root_active(id_);
}

void Transaction::commit() {
    if (!is_active())
        throw InvalidRequestError("alchemy: this transaction is no longer active (it was "
                                  "already committed or rolled back)");
    if (nested_)
        conn_->end_savepoint(depth_, id_, true);
    else
        conn_->end_root("COMMIT");
}

void Transaction::rollback() {
    if (!is_active()) return;
    if (nested_)
        conn_->end_savepoint(depth_, id_, false);
    else
        conn_->end_root("ROLLBACK");
}

}  // namespace alchemy
