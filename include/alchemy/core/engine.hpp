// Engine: the starting point. Holds the URL, the driver and dialect chosen from it,
// and the connection pool. Cheap to copy (copies share one pool); thread-safe.
#pragma once

#include "alchemy/core/connection.hpp"
#include "alchemy/core/dialect.hpp"
#include "alchemy/core/events.hpp"
#include "alchemy/core/options.hpp"
#include "alchemy/core/pool.hpp"
#include "alchemy/core/url.hpp"

#include <memory>
#include <string>
#include <string_view>

namespace alchemy {

class Engine {
public:
    /// A connection from the pool; waits up to pool_timeout.
    Connection connect();
    /// A connection with a transaction already begun: commit() it, or its destructor
    /// rolls back (C++ cannot tell a normal scope exit from an unwinding one without
    /// throwing from a destructor, so the commit is explicit).
    Connection begin(const TransactionOptions& options = {});

    /// Engine events (SQLAlchemy's `@event.listens_for(engine, "...")`). Each adds `fn` to
    /// the listeners of its event, which run in the order added. Safe to call while other
    /// threads use the engine; connections already open get the new listeners from their
    /// next event on. A listener that throws makes the operation fail with its exception.
    ///
    /// "connect": once per new database connection, before the pool hands it out and
    /// outside any transaction, so it may run `PRAGMA synchronous = NORMAL` or `SET ...`.
    /// If it throws, the connection is closed and the checkout fails.
    void on_connect(ConnectionEvent fn);
    /// "checkout": each time the pool hands out a connection. If it throws, the connection
    /// is discarded and the checkout fails.
    void on_checkout(ConnectionEvent fn);
    /// "checkin": each time a connection returns to the pool and is kept or closed as
    /// surplus, after its transaction was rolled back. One the pool discards (lost,
    /// invalidated) has none. If it throws, the connection is closed.
    void on_checkin(ConnectionEvent fn);
    /// "begin": each time a Connection begins a transaction (implicitly or with begin()),
    /// right after BEGIN, so its statements run inside the transaction. If it throws, the
    /// transaction is rolled back.
    void on_begin(BeginEvent fn);
    /// "before_cursor_execute": before each statement a Connection runs through
    /// execute_sql (every Core and ORM statement), execute_script and execute_batch;
    /// not for transaction control (BEGIN, COMMIT, SAVEPOINT) or copy_rows.
    void on_before_cursor_execute(CursorExecuteEvent fn);

    /// Closes all idle connections; those in use close when returned.
    void dispose() noexcept;
    PoolStatus pool_status() const;
    std::string pool_status_text() const;

    const URL& url() const noexcept;
    const Dialect& dialect() const noexcept;
    const EngineOptions& options() const noexcept;

    /// Writes one line to the echo log if echo is on.
    void log(std::string_view line) const;

    /// The same engine: copies of one create_engine() result, sharing its pool.
    friend bool operator==(const Engine& a, const Engine& b) noexcept { return a.state_ == b.state_; }

private:
    friend Engine create_engine(const URL& url, EngineOptions options);
    explicit Engine(std::shared_ptr<detail::EngineState> state) : state_(std::move(state)) {}
    std::shared_ptr<detail::EngineState> state_;
};

/// Makes an Engine for `url` (see URL). No connection is opened until first use.
/// Throws ArgumentError for a bad URL or option.
Engine create_engine(std::string_view url, EngineOptions options = {});
Engine create_engine(const URL& url, EngineOptions options = {});

}  // namespace alchemy
