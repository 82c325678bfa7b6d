// expect: alchemy: delete_orphan applies to the parent's side (HasMany, HasOne)
// A child cannot be the orphan of its own BelongsTo: the cascade belongs on the collection.
#include <alchemy/alchemy.hpp>

namespace app {
struct Owner;
struct Car {
    std::int64_t id = 0;
    std::int64_t owner_id = 0;
    alchemy::BelongsTo<Owner> owner;
};
struct Owner {
    std::int64_t id = 0;
    alchemy::HasMany<Car> cars;
};
}  // namespace app

#ifndef ALCHEMY_COMPILE_FAIL_CONTROL
template <>
inline constexpr auto alchemy::mapping<app::Car> =
    alchemy::table(alchemy::relationship(&app::Car::owner).cascade(alchemy::all | alchemy::delete_orphan));
#else
template <>
inline constexpr auto alchemy::mapping<app::Owner> =
    alchemy::table(alchemy::relationship(&app::Owner::cars).cascade(alchemy::all | alchemy::delete_orphan));
#endif

int main() {
    alchemy::Session session(alchemy::create_engine("sqlite://"));
    return static_cast<int>(session.get<app::Car>(1) != nullptr);
}
