// expect: alchemy: HasMany<X>/HasOne<X> in T is ambiguous: X has several BelongsTo<T>
// A collection cannot tell which of two foreign keys to the same parent is its own.
#include <alchemy/alchemy.hpp>

namespace app {
struct Owner;
struct Car {
    std::int64_t id = 0;
    std::int64_t owner_id = 0;
    alchemy::BelongsTo<Owner> owner;
#ifndef ALCHEMY_COMPILE_FAIL_CONTROL
    std::int64_t previous_owner_id = 0;
    alchemy::BelongsTo<Owner> previous_owner;
#endif
};
struct Owner {
    std::int64_t id = 0;
    alchemy::HasMany<Car> cars;
};
}  // namespace app

int main() {
    alchemy::Session session(alchemy::create_engine("sqlite://"));
    return static_cast<int>(session.get<app::Owner>(1) != nullptr);
}
