// The raw SQLite baselines: the sqlite3 C API as a careful C programmer uses it.
// Statements are prepared once and then bound, stepped and reset per row; writes and
// multi-statement reads run inside one BEGIN/COMMIT, as the alchemy variants do.
//
// One connection serves every repetition, as alchemy's pooled connection does, and it
// is opened with the flags and PRAGMAs alchemy's SQLite driver uses, so both sides run
// with the same settings. Each variant prepares its statements (timed) and finalizes
// them when done, so no statement holds a lock while the tables are emptied.
#pragma once

#include "harness.hpp"
#include "models.hpp"

#include <sqlite3.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace bench::raw_sqlite {

/// Rows per multi-row INSERT: alchemy's batch (include/alchemy/sql/rows_per_statement.hpp).
inline constexpr std::size_t multirow_batch = 1000;

class Connection {
public:
    explicit Connection(const std::string& path);
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;
    ~Connection();

    sqlite3* get() const noexcept { return db_; }
    void exec(const char* sql);
    /// The first column of the first row of `sql`, as text.
    std::string text_value(const char* sql);
    /// After a failure: rolls back a transaction the failed variant left open.
    void recover() noexcept;

private:
    sqlite3* db_ = nullptr;
};

/// W1 and W2: one prepared single-row INSERT per user, one transaction.
Check insert_users(Connection& db, std::span<const User> users, Stopwatch& t);
/// W2: multi-row INSERTs of `multirow_batch` users each (the last one shorter), the full
/// batch prepared once; one transaction.
Check insert_users_multirow(Connection& db, std::span<const User> users, Stopwatch& t);
/// W3: every user into a std::vector<User>.
Check load_users(Connection& db, Stopwatch& t);
/// W3 into objects kept as any Session must keep them, with nothing else (object_floor.hpp).
Check load_users_as_objects(Connection& db, Stopwatch& t);
/// W4: one prepared SELECT per id, each in autocommit mode.
Check get_users(Connection& db, std::span<const std::int64_t> ids, Stopwatch& t);
/// W4: the same SELECTs inside one transaction, as a Session runs them.
Check get_users_in_transaction(Connection& db, std::span<const std::int64_t> ids, Stopwatch& t);
/// W4 in one transaction into objects kept as any Session must keep them (object_floor.hpp),
/// each used once and dropped.
Check get_users_in_transaction_as_objects(Connection& db, std::span<const std::int64_t> ids, Stopwatch& t);
/// W5: load users 1..count, then one prepared UPDATE of age per user; one transaction.
Check update_users(Connection& db, std::int64_t count, Stopwatch& t);
/// W5b: for each of users 1..count, the prepared SELECT by key, then the prepared UPDATE
/// of its age; one transaction.
Check get_update_users(Connection& db, std::int64_t count, Stopwatch& t);
/// W6: users 1..users with their posts, one JOIN ordered by user and post id.
Check load_user_posts(Connection& db, std::int64_t users, Stopwatch& t);
/// W6 in two queries (users by id, then their posts by user id), merged in memory: what a
/// relationship load does.
Check load_user_posts_two_queries(Connection& db, std::int64_t users, Stopwatch& t);
/// The two queries into objects kept as any Session must keep them, each user with the
/// collection of its posts (object_floor.hpp).
Check load_user_posts_as_objects(Connection& db, std::int64_t users, Stopwatch& t);
/// Streaming: every user, stepped and read into one User at a time (untimed: the caller
/// measures it).
Check stream_users(Connection& db);

}  // namespace bench::raw_sqlite
