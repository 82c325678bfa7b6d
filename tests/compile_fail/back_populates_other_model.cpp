// expect: alchemy: .back_populates(&X::member) names a member of a model other than the relationship's target
// back_populates must name a member of the model the relationship points to.
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
struct Bike {
    std::int64_t id = 0;
    std::int64_t owner_id = 0;
    alchemy::BelongsTo<Owner> owner;
};
}  // namespace app

template <>
inline constexpr auto alchemy::mapping<app::Owner> = alchemy::table(
#ifndef ALCHEMY_COMPILE_FAIL_CONTROL
    alchemy::relationship(&app::Owner::cars).back_populates(&app::Bike::owner));
#else
    alchemy::relationship(&app::Owner::cars).back_populates(&app::Car::owner));
#endif

int main() {
    alchemy::Session session(alchemy::create_engine("sqlite://"));
    return static_cast<int>(session.get<app::Car>(1) != nullptr);
}
