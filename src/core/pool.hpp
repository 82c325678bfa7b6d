// Pool: SQLAlchemy's QueuePool for DriverConnections. Thread-safe. Private to src/: users
// configure it through EngineOptions and read it through Engine::pool_status().
//
// Why it works this way: up to pool_size connections stay open between uses; beyond
// that up to max_overflow more may be opened, and those are closed when returned so
// the pool shrinks back. A checkout that finds neither waits for at most pool_timeout,
// in line: waiters are served first come, first served, and a returned connection goes
// to the longest waiter rather than to whichever thread asks next (the returning thread
// itself, typically), so no thread starves under load. Connections are opened outside
// the lock, so a
// slow server does not stall threads that return connections. When one connection
// turns out broken, every connection opened before it is suspect too (the server
// probably restarted), so the pool's generation advances and older idle connections
// are replaced at their next checkout.
#pragma once

#include "alchemy/core/driver.hpp"
#include "alchemy/core/pool.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

namespace alchemy {

struct PoolOptions {
    int pool_size = 5;
    int max_overflow = 10;  ///< -1: unlimited
    std::chrono::duration<double> timeout{30.0};
    std::chrono::seconds recycle{-1};
    bool pre_ping = false;
};

/// One pooled DriverConnection and what the pool knows about it.
struct PoolEntry {
    std::unique_ptr<DriverConnection> connection;
    std::chrono::steady_clock::time_point opened;
    std::uint64_t generation = 0;
    bool invalidated = false;
    /// The borrower ran SQL text of its own, which may have left session state behind.
    bool ran_program_sql = false;
};

class Pool {
public:
    using Connector = std::function<std::unique_ptr<DriverConnection>()>;
    /// Runs on every connection before it is handed out again (ROLLBACK and the like),
    /// told whether the borrower ran SQL of its own; false or a throw discards the connection.
    using Resetter = std::function<bool(DriverConnection&, bool ran_program_sql)>;

    Pool(Connector connect, Resetter reset, PoolOptions options);
    ~Pool();
    Pool(const Pool&) = delete;
    Pool& operator=(const Pool&) = delete;

    /// An open connection; waits up to the timeout, then throws PoolTimeoutError.
    std::unique_ptr<PoolEntry> checkout();
    /// Gives a connection back: reset and kept, or closed if broken, invalidated,
    /// from an older generation, or beyond pool_size.
    void checkin(std::unique_ptr<PoolEntry> entry) noexcept;
    /// Closes every idle connection; connections in use are closed when returned.
    void dispose() noexcept;

    PoolStatus status() const;
    /// SQLAlchemy's status line: "Pool size: 5  Connections in pool: 1 ...".
    std::string status_text() const;

private:
    /// A checkout's claim, filled under the lock: an idle connection, or a slot to open.
    struct Grant {
        std::unique_ptr<PoolEntry> entry;
        bool open_slot = false;
        std::uint64_t generation = 0;
        bool granted = false;
        std::condition_variable ready;  ///< signalled when granted while waiting
    };

    std::unique_ptr<PoolEntry> open_new(std::uint64_t generation);
    bool usable(PoolEntry& entry);
    /// Grants `grant` an idle connection or an opening slot if there is one (lock held).
    bool try_grant(Grant& grant);
    /// Grants waiters in arrival order while connections or slots remain (lock held).
    void serve_waiters();

    Connector connect_;
    Resetter reset_;
    PoolOptions options_;

    mutable std::mutex mutex_;
    std::deque<Grant*> waiters_;  ///< checkouts waiting, oldest first
    std::deque<std::unique_ptr<PoolEntry>> idle_;
    int open_ = 0;  ///< connections that exist (idle, in use, or being opened)
    int checked_out_ = 0;
    std::uint64_t generation_ = 0;
    std::uint64_t connects_ = 0;
};

}  // namespace alchemy
