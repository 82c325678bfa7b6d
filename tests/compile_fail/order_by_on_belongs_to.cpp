// expect: alchemy: order_by() applies to a HasMany
// Only a collection has an order; a BelongsTo holds one object.
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
    alchemy::table(alchemy::relationship(&app::Car::owner).order_by(&app::Owner::id));
#else
template <>
inline constexpr auto alchemy::mapping<app::Owner> =
    alchemy::table(alchemy::relationship(&app::Owner::cars).order_by(&app::Car::id));
#endif

int main() {
    alchemy::Session session(alchemy::create_engine("sqlite://"));
    return static_cast<int>(session.get<app::Car>(1) != nullptr);
}
