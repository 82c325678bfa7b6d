// The tutorial's "Update" and "Delete" sections at Core level, plus a report query:
//
//   upd = update(User).where(User.name == 'John').values(nickname='new_nickname')
//   del_stmt = delete(User).where(User.name == 'John')
//
// Runs on SQLite by default; set DATABASE_URL to use another database.
#include <alchemy/alchemy.hpp>

#include <fmt/format.h>
#include <cstdlib>

namespace sa = alchemy;

namespace blog {

struct Post;

// Default member initialisers keep GCC's -Wextra quiet when designated initialisers
// leave members out.
struct User {
    std::int64_t id = 0;
    std::string name{};
    std::optional<std::string> nickname{};
    sa::HasMany<Post> posts{};
};

struct Post {
    std::int64_t id = 0;
    std::int64_t user_id = 0;
    std::string title{};
    std::int32_t likes = 0;
    sa::BelongsTo<User> user{};
};

}  // namespace blog

template <>
inline constexpr auto sa::mapping<blog::User> = sa::table("users");
template <>
inline constexpr auto sa::mapping<blog::Post> = sa::table("posts", sa::index(&blog::Post::user_id));

using blog::Post;
using blog::User;

int main() {
    const char* env_url = std::getenv("DATABASE_URL");
    auto engine = sa::create_engine(env_url ? env_url : "sqlite:///update_delete.db");
    auto metadata = sa::metadata<User, Post>();
    metadata.drop_all(engine);
    metadata.create_all(engine);

    auto conn = engine.connect();
    for (const char* name : {"John", "Ann", "Bob"}) {
        const auto id =
            conn.execute(sa::insert<User>().values(User{.name = name}).returning(sa::col<&User::id>))
                .scalar_one();
        std::vector<Post> posts;
        for (int i = 0; i < (name[0] == 'B' ? 1 : 3); ++i)
            posts.push_back({.user_id = id, .title = fmt::format("{}'s post {}", name, i), .likes = 10 * i});
        conn.execute(sa::insert<Post>().values(posts));
    }
    conn.commit();

    // update(User).where(User.name == 'John').values(nickname='new_nickname')
    auto upd = sa::update<User>()
                   .where(sa::col<&User::name> == "John")
                   .values(sa::col<&User::nickname> = "new_nickname");
    fmt::print("{}\n", upd.sql(engine.dialect()));
    fmt::print("updated {} row(s)\n", conn.execute(upd).rowcount());

    // The report: users with more than one post, their post count and likes.
    auto report =
        sa::select(sa::col<&User::name>, sa::count(sa::col<&Post::id>), sa::sum(sa::col<&Post::likes>))
            .join<Post>(sa::col<&Post::user_id> == sa::col<&User::id>)
            .group_by(sa::col<&User::name>)
            .having(sa::count(sa::col<&Post::id>) > 1)
            .order_by(sa::col<&User::name>);
    fmt::print("{}\n", report.sql(engine.dialect()));
    int reported = 0;
    for (auto [name, posts, likes] : conn.execute(report)) {
        fmt::print("{:>5}: {} posts, {} likes\n", name, posts, likes.value_or(0));
        ++reported;
    }

    // delete(User).where(User.name == 'John'): posts first, the foreign key insists.
    const auto johns = sa::select(sa::col<&User::id>).where(sa::col<&User::name> == "John");
    const auto posts_deleted =
        conn.execute(sa::delete_<Post>().where(sa::col<&Post::user_id>.in_(johns))).rowcount();
    auto del_stmt =
        sa::delete_<User>().where(sa::col<&User::name> == "John").returning(sa::col<&User::nickname>);
    fmt::print("{}\n", del_stmt.sql(engine.dialect()));
    const auto deleted = conn.execute(del_stmt).all();
    conn.commit();
    fmt::print("deleted {} post(s) and {} user(s) (nickname was {})\n", posts_deleted, deleted.size(),
               deleted.empty() ? "-" : deleted.front().value_or("none"));

    const auto left = conn.execute(sa::select(sa::count<User>())).scalar_one();
    fmt::print("{} users left\n", left);
    return reported == 2 && deleted.size() == 1 && left == 2 ? 0 : 1;
}
