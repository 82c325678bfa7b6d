// expect: alchemy: a model must be an aggregate
// Entry points (select, insert, metadata) report why a type cannot be a model, not just
// that a constraint failed.
#include <alchemy/alchemy.hpp>

namespace app {
struct Account {
#ifndef ALCHEMY_COMPILE_FAIL_CONTROL
    Account() = default;
#endif
    std::int64_t id = 0;
};
}  // namespace app

int main() {
    auto statement = alchemy::select<app::Account>();
    (void)statement;
}
