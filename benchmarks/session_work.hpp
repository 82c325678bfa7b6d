// The alchemy Session variants (the ORM: identity map, unit of work).
//
// Unlike the Core variants, each Session is
// created inside the stopwatch: checking out a connection and beginning a transaction
// is part of what a Session costs its user.
#pragma once

#include "database.hpp"
#include "harness.hpp"
#include "models.hpp"

#include <cstddef>
#include <cstdint>
#include <span>

namespace bench::session {

/// W1: session.add() per user, one session.commit().
Check insert_users(Database& db, std::span<const User> users, Stopwatch& t);
/// W3: session.query<User>().all() in a fresh Session.
Check load_users(Database& db, Stopwatch& t);
/// W4: a fresh Session per id, session.get<User>(id).
Check get_users(Database& db, std::span<const std::int64_t> ids, Stopwatch& t);
/// W4: every session.get<User>(id) in one Session; each object is dropped after use.
Check get_users_one_session(Database& db, std::span<const std::int64_t> ids, Stopwatch& t);
/// W5: load users 1..count, change each one's age, session.commit().
Check update_users(Database& db, std::int64_t count, Stopwatch& t);
/// W5b: for each of users 1..count, get<User>(id) and change its age (dropping the
/// object), then one session.commit(). Each get autoflushes the previous change.
Check get_update_users(Database& db, std::int64_t count, Stopwatch& t);
/// W6: two queries (users, then their posts), grouped in memory.
Check load_user_posts(Database& db, std::int64_t users, Stopwatch& t);
/// W6 through the relationship: query<LinkedUser>() with selectinload(posts) (`eager`),
/// or each user's posts read lazily (the first read loads them for all the users).
Check load_user_posts_related(Database& db, std::int64_t users, bool eager, Stopwatch& t);

/// Streaming: every user through query<User>().yield_per(batch), in `session` (untimed:
/// the caller measures it).
Check stream_users(alchemy::Session& session, std::size_t batch);
/// Every user through query<User>().all(), for contrast with stream_users.
Check load_all_users(alchemy::Session& session);

}  // namespace bench::session
