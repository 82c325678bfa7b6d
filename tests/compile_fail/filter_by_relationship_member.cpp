// expect: alchemy: filter_by() names a relationship, which is not a column; filter on its foreign-key column,
// as filter_by<&Post::user_id>(id) filter_by() compares one column; a relationship member is none.
#include <alchemy/alchemy.hpp>

#include <cstdint>
#include <string>

namespace sa = alchemy;

namespace app {
struct User;
struct Post {
    std::int64_t id = 0;
    std::int64_t user_id = 0;
    sa::BelongsTo<User> user{};
};
struct User {
    std::int64_t id = 0;
    std::string name{};
    sa::HasMany<Post> posts{};
};
}  // namespace app

int main() {
    sa::Session session(sa::create_engine("sqlite://"));
#ifndef ALCHEMY_COMPILE_FAIL_CONTROL
    auto q = session.query<app::Post>().filter_by<&app::Post::user>(app::User{});
#else
    auto q = session.query<app::Post>().filter_by<&app::Post::user_id>(1);
#endif
    static_cast<void>(q);
}
