// create_engine: picks the driver from the URL, builds the pool, applies the options.
#include "alchemy/core/engine.hpp"

#include "alchemy/core/error.hpp"
#include "core/engine_state.hpp"

#include <fmt/format.h>

#include <cstdio>

namespace alchemy {

void detail::EngineState::log(std::string_view line) const {
    if (!options.echo) return;
    if (options.echo_sink)
        options.echo_sink(line);
    else
        fmt::print(stderr, "[alchemy.engine] {}\n", line);
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
    if (!opts.isolation_level.empty())
        state->isolation = parse_isolation_level(opts.isolation_level);
    const bool autocommit = state->isolation == IsolationLevel::autocommit;
    // Also refuses, now rather than at the first transaction, a level the backend lacks.
    // An explicit begin() under AUTOCOMMIT gets the database's default level.
    state->begin_sql =
        state->driver->dialect().begin_sql(autocommit ? std::nullopt : state->isolation);
    const std::string connection_isolation_sql =
        state->isolation && !autocommit
            ? state->driver->dialect().connection_isolation_sql(*state->isolation)
            : std::string();
    if (opts.pool_timeout.count() < 0)
        throw ArgumentError("alchemy: pool_timeout must not be negative");

    ConnectOptions connect_options;
    connect_options.args = url.query;
    for (const auto& [key, value] : opts.connect_args) connect_options.args[key] = value;
    if (opts.prepare_threshold && *opts.prepare_threshold < 0)
        throw ArgumentError(
            "alchemy: prepare_threshold must be 0 or more (0 prepares every statement at its "
            "first run); std::nullopt never prepares");
    connect_options.prepare_threshold = opts.prepare_threshold;

    PoolOptions pool_options{opts.pool_size, opts.max_overflow, opts.pool_timeout,
                             opts.pool_recycle, opts.pool_pre_ping};
    if (url.is_memory()) {
        // Each connection to ":memory:" is a different database: share exactly one.
        pool_options.pool_size = 1;
        pool_options.max_overflow = 0;
        pool_options.recycle = std::chrono::seconds{-1};
    }

    detail::EngineState* raw = state.get();  // the pool lives inside the state it points to
    auto connect = [raw, connect_options, connection_isolation_sql]() {
        auto conn = raw->driver->connect(raw->url, connect_options);
        if (!connection_isolation_sql.empty()) conn->execute_script(connection_isolation_sql);
        return conn;
    };
    auto reset = [raw](DriverConnection& conn) {
        if (conn.in_transaction()) conn.execute_script("ROLLBACK");
    };
    state->pool = std::make_unique<Pool>(std::move(connect), std::move(reset), pool_options);
    return Engine(std::move(state));
}

Connection Engine::connect() { return Connection(state_, state_->pool->checkout()); }

Connection Engine::begin() {
    auto conn = connect();
    conn.begin_root("BEGIN");
    return conn;
}

void Engine::dispose() noexcept { state_->pool->dispose(); }
PoolStatus Engine::pool_status() const { return state_->pool->status(); }
std::string Engine::pool_status_text() const { return state_->pool->status_text(); }
const URL& Engine::url() const noexcept { return state_->url; }
const Dialect& Engine::dialect() const noexcept { return state_->driver->dialect(); }
const EngineOptions& Engine::options() const noexcept { return state_->options; }
void Engine::log(std::string_view line) const { state_->log(line); }

}  // namespace alchemy
