// expect: alchemy: sa::version(field) needs a non-optional integer field
// The optimistic-concurrency counter is an integer the Session increments.
#include <alchemy/alchemy.hpp>

namespace app {
struct Doc {
    std::int64_t id = 0;
    std::string title{};
    std::int64_t version = 0;
};
}  // namespace app

#ifndef ALCHEMY_COMPILE_FAIL_CONTROL
template <>
inline constexpr auto alchemy::mapping<app::Doc> = alchemy::table(alchemy::version(&app::Doc::title));
#else
template <>
inline constexpr auto alchemy::mapping<app::Doc> = alchemy::table(alchemy::version(&app::Doc::version));
#endif

int main() {
    alchemy::Session session(alchemy::create_engine("sqlite:///:memory:"));
    auto doc = session.add(app::Doc{.title = "draft"});
    return doc ? 0 : 1;
}
