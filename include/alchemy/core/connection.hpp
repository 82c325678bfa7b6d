// Connection: one database connection checked out of an Engine's pool (RAII).
//
// Transactions follow SQLAlchemy 2.0: the first statement begins a transaction
// implicitly ("autobegin"); commit() or rollback() ends it; returning the connection
// to the pool rolls back whatever was not committed. conn.begin() starts one
// explicitly and returns a Transaction guard. Under isolation level AUTOCOMMIT no
// transaction is begun implicitly. A Connection belongs to one thread at a time.
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
    Result<> execute_sql(std::string_view sql, std::span<const Param> params = {});
    /// Runs SQL without parameters that may hold several statements (DDL scripts).
    void execute_script(std::string_view sql);
    /// Runs `sql` once per row of parameters ("executemany"): `params` holds the rows
    /// back to back, `params_per_row` (> 0) each. Returns the rows affected by each run.
    /// The statement is prepared once; PostgreSQL pipelines the rows. Autobegins like
    /// execute_sql; echo logs the SQL once and the row count with the first row's
    /// parameters. A failing row throws its DatabaseError; roll back, as what the batch
    /// did before it is undefined. Throws ArgumentError for a malformed batch.
    std::vector<std::int64_t> execute_batch(std::string_view sql, std::span<const Param> params,
                                            std::size_t params_per_row);
    /// Bulk-loads rows into `table`'s `columns` (bare names; they are quoted): PostgreSQL
    /// COPY ... FROM STDIN in binary, SQLite a prepared INSERT per row. `params` holds
    /// the rows back to back, columns.size() each. Returns the number of rows loaded.
    /// Autobegins like execute_sql; a failure leaves the transaction to roll back.
    std::int64_t copy_rows(std::string_view table, std::span<const std::string_view> columns,
                           std::span<const Param> params);

    /// Begins a transaction explicitly; throws InvalidRequestError if one is open.
    Transaction begin();
    /// Opens a SAVEPOINT inside the current transaction (beginning one if needed).
    Transaction begin_nested();
    /// Commits the current transaction, if any.
    void commit();
    /// Rolls back the current transaction, if any.
    void rollback();
    bool in_transaction() const noexcept;
    bool in_nested_transaction() const noexcept;

    /// Sets this connection's isolation level until it returns to the pool (the pool
    /// then replaces the connection rather than guess the server's default back).
    /// Throws InvalidRequestError inside a transaction.
    void set_isolation_level(IsolationLevel level);
    /// The level set on the engine or this connection; empty: the database's default.
    std::optional<IsolationLevel> isolation_level() const noexcept { return isolation_; }

    const Dialect& dialect() const noexcept { return *dialect_; }
    /// Marks the connection unusable: it is closed, not reused, when returned.
    void invalidate() noexcept;
    /// Returns the connection to the pool now; later use throws InvalidRequestError.
    void close() noexcept;
    bool closed() const noexcept { return entry_ == nullptr; }

    /// The driver connection underneath (for the layers above core and for tests).
    DriverConnection& driver_connection();

private:
    friend class Engine;
    friend class Transaction;
    Connection(std::shared_ptr<detail::EngineState> engine, std::unique_ptr<PoolEntry> entry);

    DriverConnection& live();
    /// live(), after beginning a transaction unless one is open or under AUTOCOMMIT.
    DriverConnection& autobegin();
    /// Returns run(); a DatabaseError that lost the connection invalidates it on the way.
    template <class Run>
    decltype(auto) invalidating_on_disconnect(Run&& run);
    bool autocommit() const noexcept { return isolation_ == IsolationLevel::autocommit; }
    void begin_root(std::string_view log_line);
    void run_control(std::string_view sql, std::string_view log_line);  // logged, unparameterised
    void end_root(std::string_view sql);
    void end_savepoint(std::size_t depth, std::uint64_t id, bool commit);
    bool savepoint_active(std::size_t depth, std::uint64_t id) const noexcept;
    bool root_active(std::uint64_t serial) const noexcept;

    std::shared_ptr<detail::EngineState> engine_;
    std::unique_ptr<PoolEntry> entry_;
    const Dialect* dialect_ = nullptr;
    std::optional<IsolationLevel> isolation_;
    bool isolation_changed_ = false;
    bool root_open_ = false;
    std::uint64_t root_serial_ = 0;            ///< identifies the current root transaction
    std::vector<std::uint64_t> savepoints_;    ///< ids of open SAVEPOINTs, innermost last
    std::uint64_t savepoint_counter_ = 0;
};

template <class Row>
auto TextClause<Row>::execute_on(Connection& conn) const {
    const auto& compiled = this->compiled(conn.dialect());
    const auto params = detail::order_text_params(compiled, binds_);
    auto result = conn.execute_sql(compiled.sql, params);
    if constexpr (std::is_void_v<Row>)
        return result;
    else
        return std::move(result).template as<Row>();
}

}  // namespace alchemy
