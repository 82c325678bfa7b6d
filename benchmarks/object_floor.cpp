#include "object_floor.hpp"

#include <stdexcept>

namespace bench {

void UserPostsFloor::add_user(User&& row) {
    auto adopted = user_objects_.adopt(std::move(row));
    users_.push_back(std::move(adopted.object));
    posts_of_users_.push_back(&adopted.extra);
}

void UserPostsFloor::add_post(Post&& row) {
    auto adopted = post_objects_.adopt(std::move(row));
    auto* posts = user_objects_.extra_of(adopted.object->user_id);
    if (!posts) throw std::runtime_error("W6 floor: a post whose user was not loaded");
    posts->push_back(std::move(adopted.object));
}

std::vector<UserPosts> UserPostsFloor::groups() const {
    std::vector<UserPosts> groups;
    for (std::size_t i = 0; i < users_.size(); ++i) {
        UserPosts group{*users_[i], {}};
        for (const auto& post : *posts_of_users_[i]) group.posts.push_back(*post);
        groups.push_back(std::move(group));
    }
    return groups;
}

}  // namespace bench
