// expect: alchemy: sa::relationship(member) in sa::mapping<T> names a member that is not a BelongsTo
// sa::relationship() configures a relationship member; a column has its own options.
#include <alchemy/alchemy.hpp>

namespace app {
struct Owner {
    std::int64_t id = 0;
    std::string name{};
};
}  // namespace app

template <>
inline constexpr auto alchemy::mapping<app::Owner> = alchemy::table(
#ifndef ALCHEMY_COMPILE_FAIL_CONTROL
    alchemy::relationship(&app::Owner::name).lazy(alchemy::Lazy::raise));
#else
    alchemy::max_length(&app::Owner::name, 20));
#endif

int main() {
    alchemy::Session session(alchemy::create_engine("sqlite://"));
    return static_cast<int>(session.get<app::Owner>(1) != nullptr);
}
