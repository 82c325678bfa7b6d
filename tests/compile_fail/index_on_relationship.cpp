// expect: alchemy: an option in sa::mapping<T> names a relationship
// Relationships are not columns: index their foreign-key column instead.
#include <alchemy/alchemy.hpp>

namespace app {
struct User {
    std::int64_t id = 0;
};
struct Post {
    std::int64_t id = 0;
    std::int64_t user_id = 0;
    alchemy::BelongsTo<User> user;
};
}  // namespace app

template <>
inline constexpr auto alchemy::mapping<app::Post> =
#ifndef ALCHEMY_COMPILE_FAIL_CONTROL
    alchemy::table(alchemy::index(&app::Post::user));
#else
    alchemy::table(alchemy::index(&app::Post::user_id));
#endif

int main() { return static_cast<int>(alchemy::model_info<app::Post>::column_count); }
