// expect-regex: "stamps".*alchemy: a mixin struct embedded in a model .* may hold only column fields
// A mixin contributes columns only; its relationships would have no owner to pair with.
#include <alchemy/alchemy.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace sa = alchemy;

namespace app {
struct Account {
    std::int64_t id = 0;
};
struct Stamps {
    std::optional<std::chrono::sys_seconds> created_at{};
#ifndef ALCHEMY_COMPILE_FAIL_CONTROL
    sa::BelongsTo<Account> created_by{};
#endif
};
struct User {
    std::int64_t id = 0;
    Stamps stamps{};
};
}  // namespace app

int main() { return static_cast<int>(sa::model_info<app::User>::column_count); }
