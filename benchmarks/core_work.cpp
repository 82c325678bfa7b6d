#include "core_work.hpp"

#include "workload.hpp"

#include <tuple>
#include <utility>
#include <vector>

namespace bench::core {

namespace sa = alchemy;

Check insert_users(Database& db, std::span<const User> users, Stopwatch& t) {
    auto conn = db.engine().connect();
    t.start();
    conn.execute(sa::insert<User>().values(users));
    conn.commit();
    t.stop();
    return {};  // checked against the table afterwards
}

Check load_users(Database& db, Stopwatch& t) {
    auto conn = db.engine().connect();
    t.start();
    const std::vector<User> users = conn.execute(sa::select<User>()).all();
    conn.commit();
    t.stop();
    return check_users(users);
}

Check get_users(Database& db, std::span<const std::int64_t> ids, Stopwatch& t) {
    auto conn = db.autocommit_engine().connect();
    std::vector<User> found;
    found.reserve(ids.size());
    t.start();
    for (const auto id : ids)
        if (auto user = conn.execute(sa::select<User>().where(sa::col<&User::id> == id)).first())
            found.push_back(std::move(*user));
    t.stop();
    return check_users(found);
}

Check update_users(Database& db, std::int64_t count, Stopwatch& t) {
    auto conn = db.engine().connect();
    t.start();
    auto users = conn.execute(sa::select<User>().where(sa::col<&User::id> <= count)).all();
    for (auto& user : users) {
        user.age = updated_age(user.age);
        conn.execute(
            sa::update<User>().values(sa::col<&User::age> = user.age).where(sa::col<&User::id> == user.id));
    }
    conn.commit();
    t.stop();
    return {};  // checked against the table afterwards
}

Check load_user_posts(Database& db, std::int64_t users, Stopwatch& t) {
    auto conn = db.engine().connect();
    t.start();
    const auto query =
        sa::select(sa::col<&User::id>, sa::col<&User::name>, sa::col<&User::email>, sa::col<&User::age>,
                   sa::col<&Post::id>, sa::col<&Post::user_id>, sa::col<&Post::title>, sa::col<&Post::body>)
            .join<Post>(sa::col<&Post::user_id> == sa::col<&User::id>)
            .where(sa::col<&User::id> <= users)
            .order_by(sa::col<&User::id>, sa::col<&Post::id>);
    std::vector<UserPosts> groups;
    for (auto& [user_id, name, email, age, post_id, post_user_id, title, body] : conn.execute(query)) {
        add_joined_row(groups, User{user_id, std::move(name), std::move(email), age},
                       Post{post_id, post_user_id, std::move(title), std::move(body)});
    }
    conn.commit();
    t.stop();
    return check_groups(groups);
}

}  // namespace bench::core
