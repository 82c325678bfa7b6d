// The benchmark's two models and the fixed data every variant works on.
//
// The data is deterministic so raw and alchemy runs can be checked against the same
// expected values: user i (1-based, and its generated id on an empty table) is named
// "user_<i>", has no email when i is a multiple of 7 and is i % 90 years old; user u's
// k-th post is titled "post_<u>_<k>".
#pragma once

#include <alchemy/alchemy.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace bench {

struct User {
    std::int64_t id = 0;
    std::string name{};
    std::optional<std::string> email{};
    std::int32_t age = 0;
};

struct Post {
    std::int64_t id = 0;
    std::int64_t user_id = 0;
    std::string title{};
    std::string body{};
};

/// The same two tables seen through relationships, for W6's relationship variants (the
/// other workloads use User and Post, which have none).
struct LinkedPost;
struct LinkedUser {
    std::int64_t id = 0;
    std::string name{};
    std::optional<std::string> email{};
    std::int32_t age = 0;
    alchemy::HasMany<LinkedPost> posts{};
};
struct LinkedPost {
    std::int64_t id = 0;
    std::int64_t user_id = 0;
    std::string title{};
    std::string body{};
    alchemy::BelongsTo<LinkedUser> user{};
};

/// User i of the data set (id left 0: the database generates it, as i on an empty table).
User make_user(std::int64_t i);
/// Users 1..n.
std::vector<User> make_users(std::int64_t n);
/// Post k (1-based) of user u (id left 0).
Post make_post(std::int64_t user_id, std::int64_t k);
/// per_user posts for each of users 1..users, ordered by user then k.
std::vector<Post> make_posts(std::int64_t users, std::int64_t per_user);

/// The ids W4 fetches: `count` distinct ids out of 1..table_rows, in a scattered order
/// (a stride that is coprime with table_rows), so lookups do not walk the table in order.
std::vector<std::int64_t> lookup_ids(std::int64_t count, std::int64_t table_rows);

/// A user with its posts, as W6 loads them (users by id, posts by id within a user).
struct UserPosts {
    User user{};
    std::vector<Post> posts{};
};

/// Adds one row of "users JOIN posts ORDER BY users.id, posts.id" to `groups`: a new
/// group when the user changes. Raw and alchemy variants share it, so both pay the same
/// grouping cost and only the database access differs.
void add_joined_row(std::vector<UserPosts>& groups, User&& user, Post&& post);
/// Adds a post read by W6's second query (posts ordered by user id) to its user's group;
/// `next` is the group the previous post went to. Raw two-query variants share it.
void add_post_in_order(std::vector<UserPosts>& groups, std::size_t& next, Post&& post);

}  // namespace bench

template <>
inline constexpr auto alchemy::mapping<bench::User> = alchemy::table("users");
template <>
inline constexpr auto alchemy::mapping<bench::Post> =
    alchemy::table("posts", alchemy::foreign_key(&bench::Post::user_id, &bench::User::id));
template <>
inline constexpr auto alchemy::mapping<bench::LinkedUser> = alchemy::table("users");
template <>
inline constexpr auto alchemy::mapping<bench::LinkedPost> = alchemy::table("posts");
