// expect: alchemy: a sa::foreign_key(...) on the key column of a BelongsTo<Target>
// The relationship loads and writes the parent by its primary key; a schema key to another
// column (here a unique one) would make the two name different rows.
#include <alchemy/alchemy.hpp>

#include <cstdint>
#include <string>

namespace app {
struct Customer {
    std::int64_t id = 0;
    std::int64_t number = 0;
    std::string name{};
};
struct Purchase {
    std::int64_t id = 0;
    std::int64_t customer_id = 0;
    alchemy::BelongsTo<Customer> customer{};
};
}  // namespace app

template <>
inline constexpr auto alchemy::mapping<app::Customer> =
    alchemy::table(alchemy::unique(&app::Customer::number));
#ifndef ALCHEMY_COMPILE_FAIL_CONTROL
template <>
inline constexpr auto alchemy::mapping<app::Purchase> =
    alchemy::table(alchemy::foreign_key(&app::Purchase::customer_id, &app::Customer::number));
#else
template <>
inline constexpr auto alchemy::mapping<app::Purchase> = alchemy::table(
    alchemy::foreign_key(&app::Purchase::customer_id, &app::Customer::id).on_delete(alchemy::cascade));
#endif

int main() { return static_cast<int>(alchemy::table_of<app::Purchase>().foreign_keys.size()); }
