// create_engine: picks the driver from the URL, builds the pool, applies the options.
#include "alchemy/core/engine.hpp"

#include "alchemy/core/error.hpp"
#include "core/engine_state.hpp"

#include <fmt/format.h>

#include <cstdio>

namespace alchemy {

void detail::EngineState::log(std::string_view line) const {
    if (!options.echo) return;
    if (options.echo_sink) options.echo_sink(line);
    else
        // stdout, as SQLAlchemy's echo: the log and the program's own output share one
        // buffer, so they interleave in order when both go to a pipe or file.
        fmt::print(stdout, "[alchemy.engine] {}\n", line);
}

std::shared_ptr<const detail::EngineEvents> detail::EngineState::published_events() const {
    std::lock_guard lock(events_mutex_);
    return events_;
}

std::unique_ptr<PoolEntry> detail::EngineState::checkout() {
    auto entry = pool->checkout();
    if (const auto listeners = events()) {
        try {
            for (const auto& fn : listeners->checkout) fn(*entry->connection);
        } catch (...) {
            // Discarded rather than trusted, unless that would destroy its database.
            entry->invalidated = !database_per_connection;
            pool->checkin(std::move(entry));
            throw;
        }
    }
    return entry;
}

Engine create_engine(std::string_view url, EngineOptions options) {
    return create_engine(make_url(url), std::move(options));
}

Engine create_engine(const URL& url, EngineOptions options) {
    auto state = std::make_shared<detail::EngineState>();
    state->url = url;
    state->driver = &driver_for(url);
    state->options = std::move(options);
    const auto& opts = state->options;
    const auto& isolation = opts.isolation_level;
    const bool autocommit = isolation == IsolationLevel::autocommit;
    // Also refuses, now rather than at the first transaction, a level the backend lacks.
    // An explicit begin() under AUTOCOMMIT gets the database's default level.
    state->begin_sql = state->driver->dialect().begin_sql(autocommit ? std::nullopt : isolation);
    const auto& dialect = state->driver->dialect();
    const std::string connection_isolation_sql =
        isolation && !autocommit ? dialect.connection_isolation_sql(*isolation) : std::string();
    if (const auto restored = isolation && !autocommit ? isolation : dialect.default_isolation_level())
        state->isolation_restore_sql = dialect.connection_isolation_sql(*restored);
    if (!(opts.pool_timeout.count() >= 0))  // NaN too
        throw ArgumentError("alchemy: pool_timeout must be a number of seconds, not negative");

    ConnectOptions connect_options;
    connect_options.args = url.query;
    for (const auto& [key, value] : opts.connect_args) connect_options.args[key] = value;
    if (opts.prepare_threshold && *opts.prepare_threshold < 0)
        throw ArgumentError(
            "alchemy: prepare_threshold must be 0 or more (0 prepares every statement at its "
            "first run); std::nullopt never prepares");
    connect_options.prepare_threshold = opts.prepare_threshold;

    PoolOptions pool_options{opts.pool_size, opts.max_overflow, opts.pool_timeout, opts.pool_recycle,
                             opts.pool_pre_ping};
    state->database_per_connection = state->driver->database_per_connection(url, connect_options);
    if (state->database_per_connection) {
        // Each connection to an in-memory database opens a different one: share exactly one.
        pool_options.pool_size = 1;
        pool_options.max_overflow = 0;
        pool_options.recycle = std::chrono::seconds{-1};
    }

    detail::EngineState* raw = state.get();  // the pool lives inside the state it points to
    auto connect = [raw, connect_options, connection_isolation_sql]() {
        auto conn = raw->driver->connect(raw->url, connect_options);
        if (!connection_isolation_sql.empty()) conn->execute_script(connection_isolation_sql);
        // A listener that throws destroys `conn` on the way out: the pool never holds it.
        if (const auto listeners = raw->events())
            for (const auto& fn : listeners->connect) fn(*conn);
        conn->record_session_state();
        return conn;
    };
    auto reset = [raw](DriverConnection& conn, bool ran_program_sql) {
        if (conn.in_transaction()) conn.execute_script("ROLLBACK");
        conn.reset_session_state();
        if (ran_program_sql && !conn.restore_session_state()) return false;
        if (const auto listeners = raw->events()) {
            try {
                for (const auto& fn : listeners->checkin) fn(conn);
            } catch (...) {
                // The pool closes a connection whose checkin failed, unless that would
                // destroy its database; the connection itself was reset above.
                if (!raw->database_per_connection) throw;
            }
        }
        return true;
    };
    state->pool = std::make_unique<Pool>(std::move(connect), std::move(reset), pool_options);
    return Engine(std::move(state));
}

Connection Engine::connect() { return Connection(state_, state_->checkout()); }

Connection Engine::begin(const TransactionOptions& options) {
    auto conn = connect();
    conn.begin_transaction(options);
    return conn;
}

void Engine::on_connect(ConnectionEvent fn) {
    state_->add_event([&](detail::EngineEvents& events) { events.connect.push_back(std::move(fn)); });
}
void Engine::on_checkout(ConnectionEvent fn) {
    state_->add_event([&](detail::EngineEvents& events) { events.checkout.push_back(std::move(fn)); });
}
void Engine::on_checkin(ConnectionEvent fn) {
    state_->add_event([&](detail::EngineEvents& events) { events.checkin.push_back(std::move(fn)); });
}
void Engine::on_begin(BeginEvent fn) {
    state_->add_event([&](detail::EngineEvents& events) { events.begin.push_back(std::move(fn)); });
}
void Engine::on_before_cursor_execute(CursorExecuteEvent fn) {
    state_->add_event(
        [&](detail::EngineEvents& events) { events.before_cursor_execute.push_back(std::move(fn)); });
}

void Engine::dispose() noexcept { state_->pool->dispose(); }
PoolStatus Engine::pool_status() const { return state_->pool->status(); }
std::string Engine::pool_status_text() const { return state_->pool->status_text(); }
const URL& Engine::url() const noexcept { return state_->url; }
const Dialect& Engine::dialect() const noexcept { return state_->driver->dialect(); }
const EngineOptions& Engine::options() const noexcept { return state_->options; }
void Engine::log(std::string_view line) const { state_->log(line); }

}  // namespace alchemy
