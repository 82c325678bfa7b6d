// The seed's models in C++: users with id and name; users and profiles one-to-one;
// users and groups many-to-many through the association table user_group.
#pragma once

#include <alchemy/alchemy.hpp>

namespace seed {

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

}  // namespace seed

template <>
inline constexpr auto alchemy::mapping<seed::User> = alchemy::table("users");
template <>
inline constexpr auto alchemy::mapping<seed::UserProfile> =
    alchemy::table("profiles", alchemy::unique(&seed::UserProfile::user_id));
template <>
inline constexpr auto alchemy::mapping<seed::Group> = alchemy::table("groups");
template <>
inline constexpr auto alchemy::mapping<seed::UserGroup> = alchemy::table(
    "user_group", alchemy::primary_key(&seed::UserGroup::user_id, &seed::UserGroup::group_id));
