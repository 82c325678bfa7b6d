// expect: alchemy: in sa::col<&Model::mixin, &Mixin::field> the second member must be a field of the mixin
// the first one holds The second member pointer must belong to the mixin that the first member holds.
#include <alchemy/alchemy.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace sa = alchemy;

namespace app {
struct Stamps {
    std::optional<std::chrono::sys_seconds> created_at{};
};
struct Audit {
    std::optional<std::string> changed_by{};
};
struct User {
    std::int64_t id = 0;
    Stamps stamps{};
    Audit audit{};
};
}  // namespace app

int main() {
#ifndef ALCHEMY_COMPILE_FAIL_CONTROL
    auto q = sa::select<app::User>().where(sa::col<&app::User::stamps, &app::Audit::changed_by> == "ann");
#else
    auto q = sa::select<app::User>().where(sa::col<&app::User::audit, &app::Audit::changed_by> == "ann");
#endif
    static_cast<void>(q);
}
