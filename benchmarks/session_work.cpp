#include "session_work.hpp"

#include "workload.hpp"

#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace bench::session {

namespace sa = alchemy;

Check insert_users(Database& db, std::span<const User> users, Stopwatch& t) {
    // The objects exist before the stopwatch starts, as the raw loop's bound values do;
    // they are moved into the Session.
    std::vector<User> pending(users.begin(), users.end());
    t.start();
    sa::Session session(db.engine());
    for (auto& user : pending) session.add(std::move(user));
    session.commit();
    t.stop();
    return {};  // checked against the table afterwards
}

Check load_users(Database& db, Stopwatch& t) {
    t.start();
    sa::Session session(db.engine());
    const std::vector<std::shared_ptr<User>> users = session.query<User>().all();
    session.close();
    t.stop();
    return check_users(users);  // the objects outlive the Session, detached
}

Check get_users(Database& db, std::span<const std::int64_t> ids, Stopwatch& t) {
    std::vector<std::shared_ptr<User>> found;
    found.reserve(ids.size());
    t.start();
    for (const auto id : ids) {
        sa::Session session(db.engine());
        if (auto user = session.get<User>(id)) found.push_back(std::move(user));
    }
    t.stop();
    return check_users(found);
}

Check get_users_one_session(Database& db, std::span<const std::int64_t> ids, Stopwatch& t) {
    Check found;
    t.start();
    sa::Session session(db.engine());
    for (const auto id : ids)
        if (const auto user = session.get<User>(id)) count_user(found, *user);
    session.close();
    t.stop();
    return found;
}

Check update_users(Database& db, std::int64_t count, Stopwatch& t) {
    t.start();
    sa::Session session(db.engine());
    const auto users = session.query<User>().filter(sa::col<&User::id> <= count).all();
    for (const auto& user : users) user->age = updated_age(user->age);
    session.commit();
    t.stop();
    return {};  // checked against the table afterwards
}

Check get_update_users(Database& db, std::int64_t count, Stopwatch& t) {
    t.start();
    sa::Session session(db.engine());
    for (std::int64_t id = 1; id <= count; ++id) {
        const auto user = session.get<User>(id);
        if (!user) throw std::runtime_error("W5b session: no user " + std::to_string(id));
        user->age = updated_age(user->age);
    }
    session.commit();
    t.stop();
    return {};  // checked against the table afterwards
}

Check load_user_posts(Database& db, std::int64_t users, Stopwatch& t) {
    using Group = std::pair<std::shared_ptr<User>, std::vector<std::shared_ptr<Post>>>;
    std::vector<Group> groups;
    t.start();
    {
        sa::Session session(db.engine());
        const auto parents =
            session.query<User>().filter(sa::col<&User::id> <= users).order_by(sa::col<&User::id>).all();
        const auto children = session.query<Post>()
                                  .filter(sa::col<&Post::user_id> <= users)
                                  .order_by(sa::col<&Post::user_id>)
                                  .all();
        // Both lists are ordered by user id: one merge pass groups the posts.
        groups.reserve(parents.size());
        for (const auto& parent : parents) groups.push_back({parent, {}});
        std::size_t g = 0;
        for (const auto& post : children) {
            while (g < groups.size() && groups[g].first->id != post->user_id) ++g;
            if (g == groups.size()) throw std::runtime_error("W6 session: a post whose user was not loaded");
            groups[g].second.push_back(post);
        }
        session.close();
    }
    t.stop();
    // Plain copies for the shared check, after the stopwatch stopped.
    std::vector<UserPosts> copies;
    for (const auto& [user, posts] : groups) {
        UserPosts copy{*user, {}};
        for (const auto& post : posts) copy.posts.push_back(*post);
        copies.push_back(std::move(copy));
    }
    return check_groups(copies);
}

Check load_user_posts_related(Database& db, std::int64_t users, bool eager, Stopwatch& t) {
    std::vector<std::shared_ptr<LinkedUser>> parents;
    t.start();
    {
        sa::Session session(db.engine());
        auto query = session.query<LinkedUser>()
                         .filter(sa::col<&LinkedUser::id> <= users)
                         .order_by(sa::col<&LinkedUser::id>);
        parents = eager ? query.options(sa::selectinload<&LinkedUser::posts>()).all() : query.all();
        if (!eager)
            for (const auto& parent : parents) parent->posts.size();  // the first one loads them all
        session.close();
    }
    t.stop();
    // Plain copies for the shared check, after the stopwatch stopped.
    std::vector<UserPosts> copies;
    for (const auto& user : parents) {
        UserPosts copy{User{user->id, user->name, user->email, user->age}, {}};
        for (const LinkedPost& post : user->posts)
            copy.posts.push_back(Post{post.id, post.user_id, post.title, post.body});
        copies.push_back(std::move(copy));
    }
    return check_groups(copies);
}

Check stream_users(sa::Session& session, std::size_t batch) {
    Check check;
    for (const auto& user : session.query<User>().yield_per(batch)) count_user(check, *user);
    return check;
}

Check load_all_users(sa::Session& session) {
    const auto users = session.query<User>().all();
    return check_users(users);
}

}  // namespace bench::session
