// expect: alchemy: sa::onupdate() names a primary-key or sa::version() column
// The unit of work sets the key and the version itself; onupdate is for other columns.
#include <alchemy/alchemy.hpp>

#include <chrono>
#include <optional>

namespace app {
struct Doc {
    std::int64_t id = 0;
    std::int64_t version = 0;
    std::optional<std::chrono::sys_seconds> updated_at{};
};
}  // namespace app

#ifndef ALCHEMY_COMPILE_FAIL_CONTROL
template <>
inline constexpr auto alchemy::mapping<app::Doc> = alchemy::table(
    alchemy::version(&app::Doc::version), alchemy::onupdate(&app::Doc::version, "version + 1"));
#else
template <>
inline constexpr auto alchemy::mapping<app::Doc> = alchemy::table(
    alchemy::version(&app::Doc::version), alchemy::onupdate(&app::Doc::updated_at, "CURRENT_TIMESTAMP"));
#endif

int main() {
    alchemy::Session session(alchemy::create_engine("sqlite:///:memory:"));
    auto doc = session.add(app::Doc{});
    return doc ? 0 : 1;
}
