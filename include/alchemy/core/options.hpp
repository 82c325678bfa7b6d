// EngineOptions: create_engine's keyword arguments, with SQLAlchemy's names and defaults.
#pragma once

#include "alchemy/core/dialect.hpp"

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace alchemy {

/// Receives one line of the echo log (statements, parameters, transaction events).
using LogSink = std::function<void(std::string_view line)>;

struct EngineOptions {
    /// Connections kept open in the pool.
    int pool_size = 5;
    /// Extra connections opened when the pool is exhausted, closed again on return;
    /// -1 for no limit.
    int max_overflow = 10;
    /// How long checkout waits for a free connection before PoolTimeoutError.
    std::chrono::duration<double> pool_timeout{30.0};
    /// Connections older than this are closed and reopened at checkout; negative: never.
    std::chrono::seconds pool_recycle{-1};
    /// Test each connection with a round trip at checkout and replace it if dead.
    bool pool_pre_ping = false;
    /// The level of every transaction, or AUTOCOMMIT; none keeps the database's default.
    /// A level spelled as text ("REPEATABLE READ", from a config file) converts with
    /// parse_isolation_level().
    std::optional<IsolationLevel> isolation_level{};
    /// Log every statement and its parameters to `echo_sink` (stdout when unset).
    bool echo = false;
    /// Extra driver options (libpq keywords such as "connect_timeout" or
    /// "application_name"; SQLite: "timeout" in seconds, "busy_timeout" in milliseconds,
    /// "journal_mode", "synchronous", "foreign_keys", "begin"), merged over the URL's query.
    std::map<std::string, std::string> connect_args{};
    /// PostgreSQL (psycopg's prepare_threshold): a statement is prepared on the server,
    /// and from then on sent by name, once it has run this many times on a connection;
    /// 0 prepares at the first run, std::nullopt never prepares (PgBouncer < 1.21 in
    /// transaction pooling mode; docs/scaling.md).
    std::optional<int> prepare_threshold = 5;
    /// Where echo lines go.
    LogSink echo_sink{};
};

}  // namespace alchemy
