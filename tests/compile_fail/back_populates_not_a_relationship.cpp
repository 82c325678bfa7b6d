// expect: alchemy: .back_populates(&X::member) must name a relationship of X whose target is T
// back_populates names the other side's relationship member, not one of its columns.
#include <alchemy/alchemy.hpp>

namespace app {
struct Car;
struct Owner {
    std::int64_t id = 0;
    alchemy::HasMany<Car> cars;
};
struct Car {
    std::int64_t id = 0;
    std::int64_t owner_id = 0;
    alchemy::BelongsTo<Owner> owner;
};
}  // namespace app

template <>
inline constexpr auto alchemy::mapping<app::Owner> = alchemy::table(
#ifndef ALCHEMY_COMPILE_FAIL_CONTROL
    alchemy::relationship(&app::Owner::cars).back_populates(&app::Car::owner_id));
#else
    alchemy::relationship(&app::Owner::cars).back_populates(&app::Car::owner));
#endif

int main() {
    alchemy::Session session(alchemy::create_engine("sqlite://"));
    return static_cast<int>(session.get<app::Car>(1) != nullptr);
}
