// QueuePool: see pool.hpp for the why.
#include "core/pool.hpp"

#include "alchemy/core/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

namespace alchemy {

Pool::Pool(Connector connect, Resetter reset, PoolOptions options)
    : connect_(std::move(connect)), reset_(std::move(reset)), options_(options) {
    if (options_.pool_size < 0)
        throw ArgumentError(fmt::format("alchemy: pool_size must be 0 or more, got {}", options_.pool_size));
    if (options_.max_overflow < -1)
        throw ArgumentError(fmt::format("alchemy: max_overflow must be -1 (unlimited) or more, got {}",
                                        options_.max_overflow));
    if (options_.pool_size == 0 && options_.max_overflow == 0)
        throw ArgumentError(
            "alchemy: pool_size and max_overflow are both 0: the pool could "
            "never hand out a connection");
}

Pool::~Pool() { dispose(); }

std::unique_ptr<PoolEntry> Pool::open_new(std::uint64_t generation) {
    auto entry = std::make_unique<PoolEntry>();
    try {
        entry->connection = connect_();
    } catch (...) {
        std::lock_guard lock(mutex_);
        --open_;
        --checked_out_;
        serve_waiters();  // the slot is free again
        throw;
    }
    entry->opened = std::chrono::steady_clock::now();
    entry->generation = generation;
    std::lock_guard lock(mutex_);
    ++connects_;
    return entry;
}

bool Pool::usable(PoolEntry& entry) {
    if (entry.invalidated || entry.connection->is_broken()) return false;
    {
        std::lock_guard lock(mutex_);
        if (entry.generation != generation_) return false;
    }
    if (options_.recycle.count() >= 0 && std::chrono::steady_clock::now() - entry.opened >= options_.recycle)
        return false;
    if (options_.pre_ping && !entry.connection->ping()) {
        // The server dropped it; connections opened before it are suspect as well.
        std::lock_guard lock(mutex_);
        if (entry.generation == generation_) ++generation_;
        return false;
    }
    return true;
}

bool Pool::try_grant(Grant& grant) {
    if (!idle_.empty()) {
        grant.entry = std::move(idle_.front());
        idle_.pop_front();
    } else if (options_.max_overflow < 0 || open_ < options_.pool_size + options_.max_overflow) {
        ++open_;  // reserve the slot before connecting outside the lock
        grant.open_slot = true;
        grant.generation = generation_;
    } else {
        return false;
    }
    ++checked_out_;
    grant.granted = true;
    return true;
}

void Pool::serve_waiters() {
    while (!waiters_.empty() && try_grant(*waiters_.front())) {
        waiters_.front()->ready.notify_one();
        waiters_.pop_front();
    }
}

std::unique_ptr<PoolEntry> Pool::checkout() {
    // A longer wait is forever in practice, and in the clock's nanoseconds it would overflow.
    constexpr std::chrono::duration<double> longest_wait = std::chrono::hours(24 * 365 * 100);
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                               std::min(options_.timeout, longest_wait));
    Grant grant;
    {
        std::unique_lock lock(mutex_);
        // Only when nobody waits may a checkout take a connection at once.
        if (!waiters_.empty() || !try_grant(grant)) {
            waiters_.push_back(&grant);
            if (!grant.ready.wait_until(lock, deadline, [&] { return grant.granted; })) {
                std::erase(waiters_, &grant);
                throw PoolTimeoutError(
                    fmt::format("alchemy: QueuePool limit of size {} overflow {} reached, connection timed "
                                "out after {:.2f} s; raise pool_size/max_overflow or return connections "
                                "sooner",
                                options_.pool_size, options_.max_overflow, options_.timeout.count()));
            }
        }
    }
    if (grant.open_slot) return open_new(grant.generation);
    if (usable(*grant.entry)) return std::move(grant.entry);
    // Stale: close it and reuse its slot for a fresh connection.
    grant.entry.reset();
    std::uint64_t generation = 0;
    {
        std::lock_guard lock(mutex_);
        generation = generation_;
    }
    return open_new(generation);
}

void Pool::checkin(std::unique_ptr<PoolEntry> entry) noexcept {
    if (!entry) return;
    bool keep = !entry->invalidated && entry->connection && !entry->connection->is_broken();
    if (keep) {
        try {
            keep = reset_(*entry->connection, std::exchange(entry->ran_program_sql, false));
        } catch (...) {
            keep = false;
        }
        keep = keep && !entry->connection->is_broken();
    }
    std::unique_ptr<PoolEntry> to_close;
    {
        std::lock_guard lock(mutex_);
        --checked_out_;
        if (!keep && entry->connection && entry->connection->is_broken() && entry->generation == generation_)
            ++generation_;  // the server may have restarted: older idle ones are suspect
        if (keep && entry->generation == generation_ && static_cast<int>(idle_.size()) < options_.pool_size) {
            idle_.push_back(std::move(entry));
        } else {
            --open_;
            to_close = std::move(entry);
        }
        serve_waiters();
    }
    // to_close is destroyed here, outside the lock: closing may wait on the network.
}

void Pool::dispose() noexcept {
    std::deque<std::unique_ptr<PoolEntry>> closing;
    {
        std::lock_guard lock(mutex_);
        closing.swap(idle_);
        open_ -= static_cast<int>(closing.size());
        ++generation_;    // connections in use are closed when they come back
        serve_waiters();  // the slots of the closed connections may be opened again
    }
}

PoolStatus Pool::status() const {
    std::lock_guard lock(mutex_);
    PoolStatus s;
    s.size = options_.pool_size;
    s.checked_in = static_cast<int>(idle_.size());
    s.checked_out = checked_out_;
    s.overflow = open_ - options_.pool_size;
    s.connects = connects_;
    return s;
}

std::string Pool::status_text() const {
    const auto s = status();
    return fmt::format(
        "Pool size: {}  Connections in pool: {} Current Overflow: {} Current Checked out "
        "connections: {}",
        s.size, s.checked_in, s.overflow, s.checked_out);
}

}  // namespace alchemy
