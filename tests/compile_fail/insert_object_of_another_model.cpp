// expect: alchemy: insert<T>().values() takes objects of the model T it inserts
// Inserting an object of another model into a table is refused, not converted.
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

int main() {
#ifndef ALCHEMY_COMPILE_FAIL_CONTROL
    auto statement = alchemy::insert<app::User>().values(app::Post{.title = "hello"});
#else
    auto statement = alchemy::insert<app::User>().values(app::User{.name = "hello"});
#endif
    (void)statement;
}
