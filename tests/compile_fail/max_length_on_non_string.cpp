// expect: alchemy: sa::max_length(field, n) applies to std::string fields only
#include <alchemy/alchemy.hpp>

namespace app {
struct Item {
    std::int64_t id = 0;
    std::int64_t quantity = 0;
    std::string label{};
};
}  // namespace app

template <>
inline constexpr auto alchemy::mapping<app::Item> =
#ifndef ALCHEMY_COMPILE_FAIL_CONTROL
    alchemy::table(alchemy::max_length(&app::Item::quantity, 10));
#else
    alchemy::table(alchemy::max_length(&app::Item::label, 10));
#endif

int main() { return static_cast<int>(alchemy::model_info<app::Item>::column_count); }
