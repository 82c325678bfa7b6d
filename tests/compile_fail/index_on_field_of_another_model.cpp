// expect: alchemy: an option in sa::mapping<T> names a field of another struct
// An index can only name fields of its own model (a field that does not exist at all is
// already refused by C++ itself: &Post::nope does not compile).
#include <alchemy/alchemy.hpp>

namespace app {
struct User {
    std::int64_t id = 0;
    std::string name;
};
struct Post {
    std::int64_t id = 0;
    std::string title;
};
}  // namespace app

template <>
inline constexpr auto alchemy::mapping<app::Post> =
#ifndef ALCHEMY_COMPILE_FAIL_CONTROL
    alchemy::table(alchemy::index(&app::User::name));
#else
    alchemy::table(alchemy::index(&app::Post::title));
#endif

int main() { return static_cast<int>(alchemy::model_info<app::Post>::column_count); }
