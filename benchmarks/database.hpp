// One backend under test: its alchemy engines and the untimed chores around each
// variant (empty tables, seed rows, read the users table back for a Check).
//
// Tables are created once with sa::metadata<User, Post>(), so raw and alchemy variants
// work on identical DDL, and emptied before each variant. Seeding goes through alchemy's multi-row
// INSERT; it is never timed. The chores use an engine of their own: on SQLite a
// connection that wrote the seed rows would keep them in its page cache, while every
// other connection must read them afresh, so neither the raw connection nor the
// engine under test may do the seeding.
#pragma once

#include "harness.hpp"
#include "models.hpp"

#include <alchemy/alchemy.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace bench {

class Database {
public:
    /// `prepare_threshold`: EngineOptions::prepare_threshold of the alchemy variants' engines.
    Database(const std::string& url, std::optional<int> prepare_threshold);

    const alchemy::URL& url() const noexcept { return url_; }
    bool is_postgres() const noexcept { return url_.backend() == "postgresql"; }
    /// The engine every alchemy variant uses (default options, as an application would,
    /// unless --prepare-threshold says otherwise).
    alchemy::Engine& engine() noexcept { return engine_; }
    /// The same database with isolation level AUTOCOMMIT: W4 Core's lookups each run in
    /// their own implicit transaction, like the raw C loop's.
    alchemy::Engine& autocommit_engine() noexcept { return autocommit_engine_; }

    /// Empty users and posts tables whose keys start at 1: created (dropped first) on the
    /// first call, emptied on later ones.
    void reset();
    /// Inserts users 1..n (make_users) into the empty users table.
    void seed_users(std::int64_t n);
    /// Inserts per_user posts for each of users 1..users (make_posts).
    void seed_posts(std::int64_t users, std::int64_t per_user);
    /// A Check of the whole users table, computed by the database.
    Check users_table();

private:
    alchemy::URL url_;
    alchemy::Engine chores_;
    alchemy::Engine engine_;
    alchemy::Engine autocommit_engine_;
    alchemy::MetaData metadata_;
    bool created_ = false;
};

}  // namespace bench
