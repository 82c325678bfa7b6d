#include "models.hpp"

#include <stdexcept>

#include <fmt/format.h>

#include <numeric>

namespace bench {

User make_user(std::int64_t i) {
    User user;
    user.name = fmt::format("user_{}", i);
    if (i % 7 != 0) user.email = fmt::format("user_{}@example.com", i);
    user.age = static_cast<std::int32_t>(i % 90);
    return user;
}

std::vector<User> make_users(std::int64_t n) {
    std::vector<User> users;
    users.reserve(static_cast<std::size_t>(n));
    for (std::int64_t i = 1; i <= n; ++i) users.push_back(make_user(i));
    return users;
}

Post make_post(std::int64_t user_id, std::int64_t k) {
    Post post;
    post.user_id = user_id;
    post.title = fmt::format("post_{}_{}", user_id, k);
    // About 80 bytes: a short text body, so rows are not all key and integers.
    post.body =
        fmt::format("Post {} by user {}: a few words so the body is a realistic short text.", k, user_id);
    return post;
}

std::vector<Post> make_posts(std::int64_t users, std::int64_t per_user) {
    std::vector<Post> posts;
    posts.reserve(static_cast<std::size_t>(users * per_user));
    for (std::int64_t u = 1; u <= users; ++u)
        for (std::int64_t k = 1; k <= per_user; ++k) posts.push_back(make_post(u, k));
    return posts;
}

std::vector<std::int64_t> lookup_ids(std::int64_t count, std::int64_t table_rows) {
    // Any stride coprime with the row count visits each id once before repeating.
    std::int64_t stride = 7919;
    while (std::gcd(stride, table_rows) != 1) ++stride;
    std::vector<std::int64_t> ids;
    ids.reserve(static_cast<std::size_t>(count));
    for (std::int64_t i = 0; i < count; ++i) ids.push_back((i * stride) % table_rows + 1);
    return ids;
}

void add_joined_row(std::vector<UserPosts>& groups, User&& user, Post&& post) {
    if (groups.empty() || groups.back().user.id != user.id) groups.push_back({std::move(user), {}});
    groups.back().posts.push_back(std::move(post));
}

void add_post_in_order(std::vector<UserPosts>& groups, std::size_t& next, Post&& post) {
    while (next < groups.size() && groups[next].user.id != post.user_id) ++next;
    if (next == groups.size()) throw std::runtime_error("W6: a post whose user was not loaded");
    groups[next].posts.push_back(std::move(post));
}

}  // namespace bench
