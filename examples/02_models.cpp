// The tutorial's "Models" section in C++, with the one-to-one and many-to-many models of its
// "Relations" section: declare models as plain structs, print the DDL they make for both
// dialects, create the tables, insert rows and read them back, and let a constraint the
// mapping declared refuse a bad row.
//
// Runs on SQLite by default; set DATABASE_URL to try PostgreSQL, e.g.
//   DATABASE_URL=postgresql://user:pass@localhost/db ./example_02_models
#include <alchemy/alchemy.hpp>

#include <fmt/format.h>
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

namespace sa = alchemy;

// Models are aggregates in a named namespace: no base class, no macros, no constructors.
// Every member has a default member initializer ({} or = 0): then `User{.name = "ann"}`
// leaves the others out without GCC's -Wmissing-field-initializers warning.
namespace app {

struct UserProfile;
struct Group;
struct UserGroup;

struct User {
    std::int64_t id = 0;                        // primary key by convention; 0 = generate it
    std::string name{};                         // NOT NULL: not an optional
    sa::HasOne<UserProfile> profile{};          // one-to-one (uselist=False); not a column
    sa::ManyToMany<Group, UserGroup> groups{};  // secondary=user_group; not a column
};

struct UserProfile {
    std::int64_t id = 0;
    std::int64_t user_id = 0;          // FK to users.id, because of `user` below
    std::optional<std::string> bio{};  // NULL-able
    sa::BelongsTo<User> user{};
};

struct Group {
    std::int64_t id = 0;
    std::string name{};
    sa::ManyToMany<User, UserGroup> users{};
};

// The association table: two foreign keys that together are the primary key.
struct UserGroup {
    std::int64_t user_id = 0;
    std::int64_t group_id = 0;
    sa::BelongsTo<User> user{};
    sa::BelongsTo<Group> group{};
};

}  // namespace app

// __tablename__ and constraints, at compile time and outside the structs. unique(user_id)
// is what makes the profile one-to-one in the database, not only in the mapping.
template <>
inline constexpr auto sa::mapping<app::User> = sa::table("users");
template <>
inline constexpr auto sa::mapping<app::UserProfile> =
    sa::table("profiles", sa::unique(&app::UserProfile::user_id));
template <>
inline constexpr auto sa::mapping<app::Group> = sa::table("groups");
template <>
inline constexpr auto sa::mapping<app::UserGroup> =
    sa::table("user_group", sa::primary_key(&app::UserGroup::user_id, &app::UserGroup::group_id));

namespace {

int failures = 0;

void expect(bool ok, std::string_view what) {
    if (!ok) {
        ++failures;
        fmt::print(stderr, "FAILED: {}\n", what);
    }
}

void print_ddl(const sa::MetaData& metadata, std::string_view url) {
    // A dialect is known from the URL alone; nothing connects here.
    const auto& dialect = sa::driver_for(sa::make_url(url)).dialect();
    fmt::print("-- {}\n", dialect.name());
    for (const auto& sql : metadata.create_statements(dialect)) fmt::print("{};\n", sql);
    fmt::print("\n");
}

}  // namespace

int main() {
    const char* env_url = std::getenv("DATABASE_URL");
    auto engine = sa::create_engine(env_url ? env_url : "sqlite:///models.db");

    // Base.metadata: the tables of these models, in foreign-key order.
    const auto metadata = sa::metadata<app::User, app::UserProfile, app::Group, app::UserGroup>();
    print_ddl(metadata, "sqlite://");
    print_ddl(metadata, "postgresql://localhost/db");

    metadata.drop_all(engine);    // so that every run starts from empty tables
    metadata.create_all(engine);  // Base.metadata.create_all(engine)

    auto conn = engine.connect();

    // INSERT ... RETURNING: id is 0, so the database generates it and hands it back.
    const auto user_ids = conn.execute(sa::insert<app::User>()
                                           .values(std::vector<app::User>{{.name = "ann"}, {.name = "bob"}})
                                           .returning(sa::col<&app::User::id>))
                              .all();
    expect(user_ids.size() == 2 && user_ids[0] != user_ids[1], "two users with distinct ids");
    const auto ann = user_ids.at(0);
    const auto bob = user_ids.at(1);

    const auto admins = conn.execute(sa::insert<app::Group>()
                                         .values(app::Group{.name = "admins"})
                                         .returning(sa::col<&app::Group::id>))
                            .scalar_one();
    conn.execute(sa::insert<app::UserProfile>().values(
        std::vector<app::UserProfile>{{.user_id = ann, .bio = "likes SQL"}, {.user_id = bob}}));
    conn.execute(sa::insert<app::UserGroup>().values(app::UserGroup{.user_id = ann, .group_id = admins}));
    conn.commit();  // the first statement began a transaction: commit it

    // SELECT every column; rows are the structs themselves (relationships stay empty).
    auto users = conn.execute(sa::select<app::User>()).all();
    std::ranges::sort(users, {}, &app::User::id);
    for (const auto& u : users) fmt::print("user {}: {}\n", u.id, u.name);
    expect(users.size() == 2 && users[0].name == "ann" && users[1].name == "bob",
           "users read back as inserted");

    auto profiles = conn.execute(sa::select<app::UserProfile>()).all();
    std::ranges::sort(profiles, {}, &app::UserProfile::user_id);
    for (const auto& p : profiles)
        fmt::print("profile {} of user {}: {}\n", p.id, p.user_id, p.bio.value_or("(no bio)"));
    expect(profiles.size() == 2 && profiles[0].bio == "likes SQL" && !profiles[1].bio,
           "profiles read back, NULL as an empty optional");

    const auto links = conn.execute(sa::select<app::UserGroup>()).all();
    for (const auto& link : links) fmt::print("user {} is in group {}\n", link.user_id, link.group_id);
    expect(links.size() == 1 && links[0].user_id == ann && links[0].group_id == admins, "one membership");

    {  // One-to-one: the UNIQUE constraint on profiles.user_id refuses a second profile.
        // The reads above began a transaction; a SAVEPOINT keeps the failure from spoiling
        // it (PostgreSQL refuses further statements in a transaction after an error).
        auto savepoint = conn.begin_nested();  // rolled back when it leaves scope uncommitted
        try {
            conn.execute(sa::insert<app::UserProfile>().values(app::UserProfile{.user_id = ann}));
            savepoint.commit();
            expect(false, "a second profile for the same user is refused");
        } catch (const sa::UniqueViolation& e) {
            fmt::print("second profile refused: {}\n", e.message());
        }
    }
    const auto profile_count =
        conn.execute(sa::text("SELECT count(*) FROM profiles").columns<std::int64_t>()).scalar_one();
    expect(profile_count == 2, "still two profiles");

    if (failures > 0) return 1;
    fmt::print("ok\n");
}
