// expect: alchemy: on_conflict_do_update(...) needs .set(...) with the columns to update
// An upsert that updates must say what it updates.
#include <alchemy/alchemy.hpp>

namespace app {
struct Tag {
    std::int64_t id = 0;
    std::string name;
    std::int32_t uses = 0;
};
}  // namespace app

template <>
inline constexpr auto alchemy::mapping<app::Tag> = alchemy::table("tags", alchemy::unique(&app::Tag::name));

int main() {
    namespace sa = alchemy;
    const auto& dialect = sa::driver_for(sa::make_url("sqlite://")).dialect();
    auto upsert =
        sa::insert<app::Tag>().values(app::Tag{.name = "x"}).on_conflict_do_update(sa::col<&app::Tag::name>);
#ifndef ALCHEMY_COMPILE_FAIL_CONTROL
    (void)upsert.sql(dialect);
#else
    (void)upsert.set(sa::col<&app::Tag::uses> = sa::excluded<&app::Tag::uses>).sql(dialect);
#endif
}
