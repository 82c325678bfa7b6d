// expect: alchemy: lower() applies to text expressions only
// Text functions (lower, upper, length) refuse a number column at compile time.
#include <alchemy/alchemy.hpp>

namespace app {
struct Item {
    std::int64_t id = 0;
    std::string label{};
    std::int32_t quantity = 0;
};
}  // namespace app

int main() {
#ifndef ALCHEMY_COMPILE_FAIL_CONTROL
    auto q = alchemy::select(alchemy::lower(alchemy::col<&app::Item::quantity>));
#else
    auto q = alchemy::select(alchemy::lower(alchemy::col<&app::Item::label>));
#endif
    (void)q;
}
