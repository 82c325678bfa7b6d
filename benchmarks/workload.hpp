// How much work each item does, and the Checks a correct run of it produces.
//
//   W1  insert `insert_users` users through the Session, one commit
//   W2  the fastest bulk insert of `insert_users` users
//   W3  load the `table_users` users of the table
//   W4  `lookups` gets by primary key (ids from lookup_ids) on a table of `table_users`
//   W5  load users 1..`updates` of `table_users`, change each one's age, one commit
//   W5b get users 1..`updates` one by one, change each one's age, one commit
//   W6  load users 1..`post_users` with their `posts_per_user` posts each
//
// At scale, on a table of scale_users() users seeded once per backend:
//   growth     gets and small queries of `probes` keys each, in a Session that loaded
//              each of the `held` counts of users before (growth.hpp)
//   streaming  the whole table through one loop, for its peak memory (stream_memory.hpp)
#pragma once

#include "harness.hpp"
#include "models.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace bench {

struct Sizes {
    std::int64_t insert_users = 20'000;
    std::int64_t table_users = 20'000;
    std::int64_t lookups = 10'000;
    std::int64_t updates = 10'000;
    std::int64_t post_users = 1'000;
    std::int64_t posts_per_user = 10;
    std::array<std::int64_t, 3> held = {1'000, 10'000, 100'000};
    std::int64_t probes = 1'000;
    std::int64_t stream_rows = 1'000'000;

    /// --quick: enough rows to cross a multi-row batch (1000), a pipeline sync (500) and
    /// a yield_per batch (1000).
    static Sizes quick() {
        return {.insert_users = 1'500,
                .table_users = 1'500,
                .lookups = 300,
                .updates = 700,
                .post_users = 30,
                .posts_per_user = 10,
                .held = {100, 300, 1'000},
                .probes = 50,
                .stream_rows = 5'000};
    }

    /// The table at scale: the rows streamed, and room for the growth table's probes
    /// above the most users it loads.
    std::int64_t scale_users() const { return std::max(stream_rows, held.back() + 2 * probes); }
};

/// Every W5 variant sets age to age + 1 (one changed column per user).
constexpr std::int32_t updated_age(std::int32_t age) { return age + 1; }

/// Adds one user to a Check: loops that drop each object after using it count as they go.
void count_user(Check& c, const User& user);
Check check_users(std::span<const User> users);
Check check_users(std::span<const std::shared_ptr<User>> users);
Check check_groups(std::span<const UserPosts> groups);

/// The users table after W1 or W2 inserted `n` users into an empty table.
Check expected_inserted(std::int64_t n);
/// W3: every user of a table of `n`.
Check expected_loaded(std::int64_t n);
/// Users first..last of a table seeded with at least `last` users.
Check expected_range(std::int64_t first, std::int64_t last);
/// W4: the users at lookup_ids(lookups, table_rows).
Check expected_lookups(std::int64_t lookups, std::int64_t table_rows);
/// The users table after W5 changed users 1..updates of `table_rows`.
Check expected_updated(std::int64_t updates, std::int64_t table_rows);
/// W6: users 1..users with their posts.
Check expected_groups(std::int64_t users, std::int64_t per_user);

}  // namespace bench
