// What an Engine's copies and its Connections share: the parsed URL, the options,
// the driver, the pool and the echo log.
#pragma once

#include "alchemy/core/dialect.hpp"
#include "alchemy/core/driver.hpp"
#include "alchemy/core/events.hpp"
#include "alchemy/core/options.hpp"
#include "alchemy/core/url.hpp"
#include "core/pool.hpp"

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace alchemy::detail {

/// The listeners registered with Engine::on_connect() and friends.
struct EngineEvents {
    std::vector<ConnectionEvent> connect, checkout, checkin;
    std::vector<BeginEvent> begin;
    std::vector<CursorExecuteEvent> before_cursor_execute;
};

struct EngineState {
    URL url;
    EngineOptions options;
    const Driver* driver = nullptr;
    /// The dialect's BEGIN for options.isolation_level (the default level's under
    /// AUTOCOMMIT).
    std::string begin_sql;
    /// What gives a connection the engine's isolation level again (the dialect's default
    /// level's, when the engine sets none) after set_isolation_level changed it on the
    /// connection; empty when the dialect cannot say, and such a connection is closed.
    std::string isolation_restore_sql;
    /// Each connection opens a database of its own (SQLite in memory): closing the
    /// engine's one connection would destroy its data.
    bool database_per_connection = false;
    std::unique_ptr<Pool> pool;

    void log(std::string_view line) const;

    /// The listeners now: an immutable snapshot, so a listener added meanwhile never
    /// changes a list being run. Null while none was ever added (the common case costs no
    /// lock).
    std::shared_ptr<const EngineEvents> events() const {
        if (!has_events_.load(std::memory_order_acquire)) return nullptr;
        return published_events();
    }
    /// Copies the listeners, lets `add` change the copy and publishes it.
    template <class Add>
    void add_event(Add&& add) {
        std::lock_guard lock(events_mutex_);
        auto next = events_ ? std::make_shared<EngineEvents>(*events_) : std::make_shared<EngineEvents>();
        std::forward<Add>(add)(*next);
        events_ = std::move(next);
        has_events_.store(true, std::memory_order_release);
    }
    /// pool->checkout() followed by the checkout listeners; a listener that throws discards
    /// the connection.
    std::unique_ptr<PoolEntry> checkout();

private:
    std::shared_ptr<const EngineEvents> published_events() const;

    mutable std::mutex events_mutex_;
    std::shared_ptr<const EngineEvents> events_;
    std::atomic<bool> has_events_{false};
};

}  // namespace alchemy::detail
