// The alchemy Core variants: typed statements on a Connection, values not identities.
// Each checks its connection out of the pool before the stopwatch starts, as the raw
// variants open theirs before theirs.
#pragma once

#include "database.hpp"
#include "harness.hpp"
#include "models.hpp"

#include <cstdint>
#include <span>

namespace bench::core {

/// W2: insert<User>().values(span): multi-row VALUES, as many rows per statement as
/// sql/rows_per_statement.hpp allows (1000 here).
Check insert_users(Database& db, std::span<const User> users, Stopwatch& t);
/// W3: conn.execute(select<User>()).all().
Check load_users(Database& db, Stopwatch& t);
/// W4: select<User>().where(id == ?) per id on an AUTOCOMMIT connection.
Check get_users(Database& db, std::span<const std::int64_t> ids, Stopwatch& t);
/// W5: load users 1..count, then update<User>().values(age).where(id) per user; one commit.
Check update_users(Database& db, std::int64_t count, Stopwatch& t);
/// W6: one JOIN of users and posts, rows grouped like the raw variant's.
Check load_user_posts(Database& db, std::int64_t users, Stopwatch& t);

}  // namespace bench::core
