// The tutorial's models in C++: users with id and name; users and profiles one-to-one;
// users and groups many-to-many through the association table user_group.
#pragma once

#include <alchemy/alchemy.hpp>

namespace tutorial {

struct UserProfile;
struct Group;
struct UserGroup;

struct User {
    std::int64_t id = 0;
    std::string name{};
    alchemy::HasOne<UserProfile> profile{};
    alchemy::ManyToMany<Group, UserGroup> groups{};
};

struct UserProfile {
    std::int64_t id = 0;
    std::int64_t user_id = 0;
    std::optional<std::string> bio{};
    alchemy::BelongsTo<User> user{};
};

struct Group {
    std::int64_t id = 0;
    std::string name{};
    alchemy::ManyToMany<User, UserGroup> users{};
};

struct UserGroup {
    std::int64_t user_id = 0;
    std::int64_t group_id = 0;
    alchemy::BelongsTo<User> user{};
    alchemy::BelongsTo<Group> group{};
};

}  // namespace tutorial

template <>
inline constexpr auto alchemy::mapping<tutorial::User> = alchemy::table("users");
template <>
inline constexpr auto alchemy::mapping<tutorial::UserProfile> =
    alchemy::table("profiles", alchemy::unique(&tutorial::UserProfile::user_id));
template <>
inline constexpr auto alchemy::mapping<tutorial::Group> = alchemy::table("groups");
template <>
inline constexpr auto alchemy::mapping<tutorial::UserGroup> = alchemy::table(
    "user_group", alchemy::primary_key(&tutorial::UserGroup::user_id, &tutorial::UserGroup::group_id));
