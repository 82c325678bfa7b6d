// expect: alchemy: a BelongsTo<Target> field needs an integer field named <relationship>_id
// BelongsTo<User> owner pairs with a column owner_id; without it there is no foreign key.
#include <alchemy/alchemy.hpp>

namespace app {
struct User {
    std::int64_t id = 0;
};
struct Car {
    std::int64_t id = 0;
#ifdef ALCHEMY_COMPILE_FAIL_CONTROL
    std::int64_t owner_id = 0;
#endif
    alchemy::BelongsTo<User> owner;
};
}  // namespace app

int main() { return static_cast<int>(alchemy::table_of<app::Car>().foreign_keys.size()); }
