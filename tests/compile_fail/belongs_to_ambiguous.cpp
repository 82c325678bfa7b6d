// expect: alchemy: BelongsTo<X> in T is ambiguous: X has several HasMany<T>/HasOne<T>
// Two collections of the same child type cannot both pair with one BelongsTo.
#include <alchemy/alchemy.hpp>

namespace app {
struct Car;
struct Owner {
    std::int64_t id = 0;
    alchemy::HasMany<Car> cars;
#ifndef ALCHEMY_COMPILE_FAIL_CONTROL
    alchemy::HasMany<Car> old_cars;
#endif
};
struct Car {
    std::int64_t id = 0;
    std::int64_t owner_id = 0;
    alchemy::BelongsTo<Owner> owner;
};
}  // namespace app

int main() {
    alchemy::Session session(alchemy::create_engine("sqlite://"));
    return static_cast<int>(session.get<app::Car>(1) != nullptr);
}
