// W3 and W6 of the raw baselines over a backend's own loops, which hand each row to a
// callback: into plain structs, and into objects kept as object_floor.hpp keeps them. One
// body for both backends, so that their raw figures differ only by the C API.
#pragma once

#include "harness.hpp"
#include "object_floor.hpp"
#include "workload.hpp"

#include <cstddef>
#include <memory>
#include <utility>
#include <vector>

namespace bench {

/// W3: `each_user(take)` calls take(User&&) for every user.
template <class EachUser>
Check users_into_structs(EachUser&& each_user, Stopwatch& t) {
    t.start();
    std::vector<User> users;
    each_user([&](User&& user) { users.push_back(std::move(user)); });
    t.stop();
    return check_users(users);
}

template <class EachUser>
Check users_into_objects(EachUser&& each_user, Stopwatch& t) {
    std::vector<std::shared_ptr<User>> users;
    t.start();
    {
        ObjectFloor<User> objects;
        each_user([&](User&& user) { users.push_back(objects.adopt(std::move(user)).object); });
        objects.close();
    }
    t.stop();
    return check_users(users);
}

/// W6 in two queries: `each_user_then_post(take_user, take_post)` calls take_user(User&&)
/// for users by id, then take_post(Post&&) for their posts ordered by user.
template <class EachUserThenPost>
Check user_posts_into_groups(EachUserThenPost&& each_user_then_post, Stopwatch& t) {
    t.start();
    std::vector<UserPosts> groups;
    std::size_t next = 0;
    each_user_then_post([&](User&& user) { groups.push_back({std::move(user), {}}); },
                        [&](Post&& post) { add_post_in_order(groups, next, std::move(post)); });
    t.stop();
    return check_groups(groups);
}

template <class EachUserThenPost>
Check user_posts_into_objects(EachUserThenPost&& each_user_then_post, Stopwatch& t) {
    UserPostsFloor objects;
    t.start();
    each_user_then_post([&](User&& user) { objects.add_user(std::move(user)); },
                        [&](Post&& post) { objects.add_post(std::move(post)); });
    objects.close();
    t.stop();
    return check_groups(objects.groups());
}

}  // namespace bench
