// expect: alchemy: a model cannot have a base class (its fields cannot be reflected); embed the base as a
// member instead (a mixin: its fields become the model's columns) Common columns cannot come from a base
// struct: Boost.PFR cannot reflect a class with bases.
#include <alchemy/alchemy.hpp>

#include <chrono>
#include <optional>

namespace app {
struct Timestamps {
    std::optional<std::chrono::sys_seconds> created_at{};
};
#ifndef ALCHEMY_COMPILE_FAIL_CONTROL
struct User : Timestamps {
    std::int64_t id = 0;
};
#else
struct User {
    std::int64_t id = 0;
    std::optional<std::chrono::sys_seconds> created_at{};
};
#endif
}  // namespace app

int main() { return static_cast<int>(alchemy::model_info<app::User>::column_count); }
