// expect: alchemy: sum() applies to numeric expressions only
// Summing a text column is refused at compile time (avg() likewise).
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
    auto q = alchemy::select(alchemy::sum(alchemy::col<&app::Item::label>));
#else
    auto q = alchemy::select(alchemy::sum(alchemy::col<&app::Item::quantity>));
#endif
    (void)q;
}
