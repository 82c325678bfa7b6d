#include "workload.hpp"

namespace bench {
namespace {

/// Users 1..n as an empty table holds them (ids generated in insertion order).
std::vector<User> table_rows(std::int64_t n) {
    auto users = make_users(n);
    for (std::size_t i = 0; i < users.size(); ++i) users[i].id = static_cast<std::int64_t>(i) + 1;
    return users;
}

}  // namespace

void count_user(Check& c, const User& user) {
    ++c.users;
    c.ids += user.id;
    c.ages += user.age;
    c.emails += user.email ? 1 : 0;
    c.text += static_cast<std::int64_t>(user.name.size());
}

Check check_users(std::span<const User> users) {
    Check c;
    for (const auto& user : users) count_user(c, user);
    return c;
}

Check check_users(std::span<const std::shared_ptr<User>> users) {
    Check c;
    for (const auto& user : users)
        if (user) count_user(c, *user);  // a null pointer counts as missing
    return c;
}

Check check_groups(std::span<const UserPosts> groups) {
    Check c;
    for (const auto& group : groups) {
        count_user(c, group.user);
        for (const auto& post : group.posts) {
            ++c.posts;
            c.ids += post.id + post.user_id;
            c.text += static_cast<std::int64_t>(post.title.size() + post.body.size());
        }
    }
    return c;
}

Check expected_inserted(std::int64_t n) { return check_users(table_rows(n)); }

Check expected_loaded(std::int64_t n) { return expected_range(1, n); }

Check expected_range(std::int64_t first, std::int64_t last) {
    Check c;
    for (std::int64_t i = first; i <= last; ++i) {
        auto user = make_user(i);
        user.id = i;
        count_user(c, user);
    }
    return c;
}

Check expected_lookups(std::int64_t lookups, std::int64_t table_rows_count) {
    const auto rows = table_rows(table_rows_count);
    std::vector<User> found;
    for (auto id : lookup_ids(lookups, table_rows_count))
        found.push_back(rows[static_cast<std::size_t>(id - 1)]);
    return check_users(found);
}

Check expected_updated(std::int64_t updates, std::int64_t table_rows_count) {
    auto rows = table_rows(table_rows_count);
    for (std::int64_t i = 0; i < updates; ++i) {
        auto& user = rows[static_cast<std::size_t>(i)];
        user.age = updated_age(user.age);
    }
    return check_users(rows);
}

Check expected_groups(std::int64_t users, std::int64_t per_user) {
    std::vector<UserPosts> groups;
    const auto rows = table_rows(users);
    std::int64_t next_post_id = 1;
    for (const auto& user : rows) {
        UserPosts group{user, {}};
        for (std::int64_t k = 1; k <= per_user; ++k) {
            auto post = make_post(user.id, k);
            post.id = next_post_id++;  // posts are seeded in (user, k) order
            group.posts.push_back(std::move(post));
        }
        groups.push_back(std::move(group));
    }
    return check_groups(groups);
}

}  // namespace bench
