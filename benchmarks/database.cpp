#include "database.hpp"

#include <span>
#include <tuple>

namespace bench {

Database::Database(const std::string& url, std::optional<int> prepare_threshold)
    : url_(alchemy::make_url(url)),
      chores_(alchemy::create_engine(url_, {.pool_size = 1})),
      engine_(alchemy::create_engine(url_, {.prepare_threshold = prepare_threshold})),
      autocommit_engine_(alchemy::create_engine(url_, {.isolation_level = alchemy::IsolationLevel::autocommit,
                                                       .prepare_threshold = prepare_threshold})),
      metadata_(alchemy::metadata<User, Post>()) {}

void Database::reset() {
    if (!created_) {
        metadata_.drop_all(chores_);
        metadata_.create_all(chores_);
        created_ = true;
        return;
    }
    // Emptied, not dropped and created again: an application writes into tables that
    // stay, and a schema change makes SQLite re-prepare every statement the engines keep
    // prepared (for a 999-row INSERT, a sixth of W1's work) where a raw loop prepares its
    // statement in each run anyway. Keys start at 1 again either way.
    auto conn = chores_.connect();
    conn.execute_script(is_postgres() ? "TRUNCATE posts, users RESTART IDENTITY"
                                      : "DELETE FROM posts; DELETE FROM users");
    conn.commit();
}

void Database::seed_users(std::int64_t n) {
    const auto users = make_users(n);
    auto conn = chores_.connect();
    conn.execute(alchemy::insert<User>().values(std::span<const User>(users)));
    conn.commit();
}

void Database::seed_posts(std::int64_t users, std::int64_t per_user) {
    const auto posts = make_posts(users, per_user);
    auto conn = chores_.connect();
    conn.execute(alchemy::insert<Post>().values(std::span<const Post>(posts)));
    conn.commit();
}

Check Database::users_table() {
    // CASTs: PostgreSQL sums BIGINTs into NUMERIC.
    auto conn = chores_.connect();
    const auto [users, ids, ages, emails, text] =
        conn.execute(alchemy::text("SELECT count(*), CAST(coalesce(sum(id), 0) AS BIGINT), "
                                   "CAST(coalesce(sum(age), 0) AS BIGINT), count(email), "
                                   "CAST(coalesce(sum(length(name)), 0) AS BIGINT) FROM users")
                         .columns<std::int64_t, std::int64_t, std::int64_t, std::int64_t, std::int64_t>())
            .one();
    conn.commit();
    return {users, ids, ages, emails, text, 0};
}

}  // namespace bench
