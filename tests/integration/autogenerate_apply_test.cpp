// Autogenerate against a live database: a plan computed from the inspected v1 schema to
// the v2 models is applied the way the migration runner applies it, the database then
// inspects as v2 with its rows kept (through SQLite's table rebuild too), and the
// downgrade brings v1 back.
#include <alchemy/alchemy.hpp>
#include <alchemy/migrate/autogenerate.hpp>
#include <alchemy/migrate/inspect.hpp>

#include "support/backends.hpp"

#include <fmt/format.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

namespace sa = alchemy;

namespace autogen {
enum class Mood { calm, angry };
}  // namespace autogen

// v1 -> v2: users.email added and indexed, users.age becomes NOT NULL DEFAULT 18 (rows
// hold NULL there), users.legacy dropped, users.nick renamed to nickname (it carries a
// unique constraint). users.name keeps its index, posts keep their reference to users
// and their own index, and users.mood its CHECK, untouched.
namespace autogen::v1 {
struct User {
    std::int64_t id = 0;
    std::string name{};
    std::optional<std::int32_t> age{};
    std::string nick{};
    std::optional<std::string> legacy{};
    Mood mood = Mood::calm;
};
struct Post {
    std::int64_t id = 0;
    std::int64_t user_id = 0;
    std::string title{};
};
}  // namespace autogen::v1

namespace autogen::v2 {
struct User {
    std::int64_t id = 0;
    std::string name{};
    std::int32_t age = 0;
    std::string nickname{};
    std::optional<std::string> email{};
    Mood mood = Mood::calm;
};
struct Post {
    std::int64_t id = 0;
    std::int64_t user_id = 0;
    std::string title{};
};
}  // namespace autogen::v2

template <>
inline constexpr auto sa::mapping<autogen::v1::User> = sa::table(
    "users", sa::index(&autogen::v1::User::name), sa::unique(&autogen::v1::User::nick),
    sa::enum_as_text(&autogen::v1::User::mood), sa::check("age_in_months", "age >= 0 AND age * 12 < 2000"));
template <>
inline constexpr auto sa::mapping<autogen::v1::Post> =
    sa::table("posts", sa::foreign_key(&autogen::v1::Post::user_id, &autogen::v1::User::id),
              sa::index(&autogen::v1::Post::title));
template <>
inline constexpr auto sa::mapping<autogen::v2::User> =
    sa::table("users", sa::index(&autogen::v2::User::name), sa::index(&autogen::v2::User::email),
              sa::unique(&autogen::v2::User::nickname), sa::enum_as_text(&autogen::v2::User::mood),
              sa::check("age_in_months", "age >= 0 AND age * 12 < 2000"),
              sa::server_default(&autogen::v2::User::age, "18"),
              sa::renamed_from(&autogen::v2::User::nickname, "nick"));
template <>
inline constexpr auto sa::mapping<autogen::v2::Post> =
    sa::table("posts", sa::foreign_key(&autogen::v2::Post::user_id, &autogen::v2::User::id),
              sa::index(&autogen::v2::Post::title));

// v1 -> v2 of another schema: people renamed to members (posts refer to it), legacy
// dropped, tags added (referring to posts).
namespace autogen::v1 {
struct Person {
    std::int64_t id = 0;
    std::string name{};
};
struct Article {
    std::int64_t id = 0;
    std::int64_t person_id = 0;
};
struct Legacy {
    std::int64_t id = 0;
};
}  // namespace autogen::v1

namespace autogen::v2 {
struct Member {
    std::int64_t id = 0;
    std::string name{};
};
struct Article {
    std::int64_t id = 0;
    std::int64_t person_id = 0;
};
struct Tag {
    std::int64_t id = 0;
    std::int64_t article_id = 0;
};
}  // namespace autogen::v2

template <>
inline constexpr auto sa::mapping<autogen::v1::Person> = sa::table("people");
template <>
inline constexpr auto sa::mapping<autogen::v1::Article> =
    sa::table("articles", sa::foreign_key(&autogen::v1::Article::person_id, &autogen::v1::Person::id));
template <>
inline constexpr auto sa::mapping<autogen::v1::Legacy> = sa::table("legacy");
template <>
inline constexpr auto sa::mapping<autogen::v2::Member> = sa::table("members", sa::renamed_from("people"));
template <>
inline constexpr auto sa::mapping<autogen::v2::Article> =
    sa::table("articles", sa::foreign_key(&autogen::v2::Article::person_id, &autogen::v2::Member::id));
template <>
inline constexpr auto sa::mapping<autogen::v2::Tag> =
    sa::table("tags", sa::foreign_key(&autogen::v2::Tag::article_id, &autogen::v2::Article::id));

// users.nick renamed to nickname while the mapping still has nick: a rename that
// cannot be, as is members renamed from people while people is still mapped.
namespace autogen::stale {
struct User {
    std::int64_t id = 0;
    std::string name{};
    std::string nick{};
    std::string nickname{};
};
}  // namespace autogen::stale

template <>
inline constexpr auto sa::mapping<autogen::stale::User> =
    sa::table("users", sa::renamed_from(&autogen::stale::User::nickname, "nick"));

namespace {

using Strings = std::vector<std::string>;

/// Runs `statements` the way the migration runner runs a revision: on SQLite with
/// foreign keys off around the transaction and PRAGMA foreign_key_check clean before
/// COMMIT.
void apply(sa::Engine& engine, const Strings& statements) {
    const bool sqlite = engine.dialect().name() == "sqlite";
    auto conn = engine.connect();
    if (sqlite) conn.driver_connection().execute_script("PRAGMA foreign_keys = OFF");
    {
        auto tx = conn.begin();
        for (const auto& statement : statements)
            if (!statement.starts_with("--")) conn.execute_script(statement);
        if (sqlite) {
            const auto violations =
                conn.execute(
                        sa::text("PRAGMA foreign_key_check")
                            .columns<std::string, std::optional<std::int64_t>, std::string, std::int64_t>())
                    .all();
            REQUIRE(violations.empty());
        }
        tx.commit();
    }
    if (sqlite) conn.driver_connection().execute_script("PRAGMA foreign_keys = ON");
}

/// What is left to do to get from the live schema to `models`.
Strings remaining_changes(sa::Engine& engine, const sa::MetaData& models) {
    return sa::migrate::autogenerate(sa::inspect(engine), models, engine.dialect()).changes;
}

Strings index_names(sa::Engine& engine, const std::string& table) {
    const auto schema = sa::inspect(engine);
    Strings names;
    for (const auto& index : schema.table(table)->indexes) names.push_back(index.name);
    std::ranges::sort(names);
    return names;
}

}  // namespace

TEST_CASE("an autogenerated plan upgrades a live schema with its rows and downgrades it back",
          "[autogenerate]") {
    auto backend = GENERATE(from_range(sa::test::backends()));
    auto engine = backend.engine();
    const auto v1 = sa::metadata<autogen::v1::User, autogen::v1::Post>();
    const auto v2 = sa::metadata<autogen::v2::User, autogen::v2::Post>();

    v1.create_all(engine);
    {
        auto conn = engine.connect();
        conn.execute(
            sa::text("INSERT INTO users (id, name, age, nick, legacy, mood) VALUES "
                     "(1, 'ann', NULL, 'a', 'x', 'calm'), (2, 'bob', 30, 'b', NULL, 'angry')"));
        conn.execute(
            sa::text("INSERT INTO posts (id, user_id, title) VALUES "
                     "(1, 1, 'first'), (2, 1, 'second'), (3, 2, 'third')"));
        conn.commit();
    }
    CHECK(remaining_changes(engine, v1) == Strings{});

    const auto plan = sa::migrate::autogenerate(sa::inspect(engine), v2, engine.dialect());
    INFO("upgrade:\n" << fmt::format("{}", fmt::join(plan.upgrade, ";\n")));
    INFO("downgrade:\n" << fmt::format("{}", fmt::join(plan.downgrade, ";\n")));
    Strings expected_changes{
        "rename column users.nick to users.nickname",
        "add column users.email",
        "alter column users.age: nullable → NOT NULL, default 18",
        "drop column users.legacy",
        "add index ix_users_email",
    };
    // PostgreSQL refers to constraints by name, so the unique constraint follows the rename.
    if (backend.is_postgresql())
        expected_changes.insert(expected_changes.end() - 1,
                                "rename unique constraint uq_users_nick to uq_users_nickname");
    CHECK(plan.changes == expected_changes);
    // legacy and email look alike: autogenerate asks whether this was a rename.
    REQUIRE(plan.warnings.size() == 1);
    CHECK(plan.warnings.front().starts_with("column users.legacy dropped and users.email added"));

    apply(engine, plan.upgrade);
    CHECK(remaining_changes(engine, v2) == Strings{});
    CHECK(index_names(engine, "users") == Strings{"ix_users_email", "ix_users_name"});
    CHECK(index_names(engine, "posts") == Strings{"ix_posts_title"});
    {
        auto conn = engine.connect();
        using Row = std::tuple<std::int64_t, std::string, std::int32_t, std::string,
                               std::optional<std::string>, std::string>;
        CHECK(conn.execute(sa::text("SELECT id, name, age, nickname, email, mood FROM users ORDER BY id")
                               .columns<std::int64_t, std::string, std::int32_t, std::string,
                                        std::optional<std::string>, std::string>())
                  .all() == std::vector<Row>{{1, "ann", 18, "a", std::nullopt, "calm"},
                                             {2, "bob", 30, "b", std::nullopt, "angry"}});
        CHECK(conn.execute(sa::text("SELECT count(*) FROM posts WHERE user_id IN (SELECT id FROM users)")
                               .columns<std::int64_t>())
                  .scalar_one() == 3);
        // The rebuilt table's constraints hold, and posts still refer to it.
        CHECK_THROWS_AS(conn.execute(sa::text(
                            "INSERT INTO users (id, name, nickname, mood) VALUES (3, 'cy', 'a', 'calm')")),
                        sa::UniqueViolation);
        conn.rollback();
        CHECK_THROWS_AS(conn.execute(sa::text("INSERT INTO posts (id, user_id, title) VALUES (4, 99, 'x')")),
                        sa::ForeignKeyViolation);
        conn.rollback();
        conn.execute(sa::text("INSERT INTO users (id, name, nickname, mood) VALUES (3, 'cy', 'c', 'calm')"));
        CHECK(conn.execute(sa::text("SELECT age FROM users WHERE nickname = 'c'").columns<std::int32_t>())
                  .scalar_one() == 18);
        conn.rollback();
    }

    apply(engine, plan.downgrade);
    CHECK(remaining_changes(engine, v1) == Strings{});
    CHECK(index_names(engine, "users") == Strings{"ix_users_name"});
    {
        auto conn = engine.connect();
        using Row =
            std::tuple<std::int64_t, std::optional<std::int32_t>, std::string, std::optional<std::string>>;
        // legacy comes back empty: its data went with the upgrade.
        CHECK(conn.execute(sa::text("SELECT id, age, nick, legacy FROM users ORDER BY id")
                               .columns<std::int64_t, std::optional<std::int32_t>, std::string,
                                        std::optional<std::string>>())
                  .all() == std::vector<Row>{{1, 18, "a", std::nullopt}, {2, 30, "b", std::nullopt}});
        CHECK(conn.execute(sa::text("SELECT count(*) FROM posts").columns<std::int64_t>()).scalar_one() == 3);
    }
}

TEST_CASE("a renamed table keeps its rows and the references to it, new and removed tables",
          "[autogenerate]") {
    auto backend = GENERATE(from_range(sa::test::backends()));
    auto engine = backend.engine();
    const auto v1 = sa::metadata<autogen::v1::Person, autogen::v1::Article, autogen::v1::Legacy>();
    const auto v2 = sa::metadata<autogen::v2::Member, autogen::v2::Article, autogen::v2::Tag>();

    v1.create_all(engine);
    {
        auto conn = engine.connect();
        conn.execute(sa::text("INSERT INTO people (id, name) VALUES (1, 'ann'), (2, 'bob')"));
        conn.execute(sa::text("INSERT INTO articles (id, person_id) VALUES (1, 1), (2, 2)"));
        conn.execute(sa::text("INSERT INTO legacy (id) VALUES (7)"));
        conn.commit();
    }
    const auto plan = sa::migrate::autogenerate(sa::inspect(engine), v2, engine.dialect());
    INFO("upgrade:\n" << fmt::format("{}", fmt::join(plan.upgrade, ";\n")));
    INFO("downgrade:\n" << fmt::format("{}", fmt::join(plan.downgrade, ";\n")));
    CHECK(plan.changes.front() == "rename table people to members");
    CHECK(std::ranges::count(plan.changes, "add table tags") == 1);
    CHECK(plan.changes.back() == "drop table legacy");

    apply(engine, plan.upgrade);
    CHECK(remaining_changes(engine, v2) == Strings{});
    {
        auto conn = engine.connect();
        CHECK(conn.execute(sa::text("SELECT count(*) FROM members JOIN articles ON "
                                    "articles.person_id = members.id")
                               .columns<std::int64_t>())
                  .scalar_one() == 2);
        CHECK_THROWS_AS(conn.execute(sa::text("INSERT INTO articles (id, person_id) VALUES (3, 9)")),
                        sa::ForeignKeyViolation);
        conn.rollback();
        conn.execute(sa::text("INSERT INTO tags (id, article_id) VALUES (1, 1)"));
        conn.commit();
    }

    apply(engine, plan.downgrade);
    CHECK(remaining_changes(engine, v1) == Strings{});
    auto conn = engine.connect();
    CHECK(conn.execute(sa::text("SELECT count(*) FROM people JOIN articles ON "
                                "articles.person_id = people.id")
                           .columns<std::int64_t>())
              .scalar_one() == 2);
    // legacy comes back empty: its rows went with the upgrade.
    CHECK(conn.execute(sa::text("SELECT count(*) FROM legacy").columns<std::int64_t>()).scalar_one() == 0);
}

TEST_CASE("renamed_from naming a table or column the models still map is refused, naming both",
          "[autogenerate]") {
    auto backend = GENERATE(from_range(sa::test::backends()));
    auto engine = backend.engine();
    sa::metadata<autogen::v1::Person, autogen::v1::User>().create_all(engine);
    const auto database = sa::inspect(engine);

    CHECK_THROWS_MATCHES(
        sa::migrate::autogenerate(database, sa::metadata<autogen::v2::Member, autogen::v1::Person>(),
                                  engine.dialect()),
        sa::ArgumentError,
        Catch::Matchers::Message(
            "alchemy: table members is declared sa::renamed_from(\"people\"), but the models still map a "
            "table people, which the rename would take away. Remove the model of people to rename it, or "
            "remove the renamed_from to keep people and add members"));
    CHECK_THROWS_MATCHES(
        sa::migrate::autogenerate(database, sa::metadata<autogen::stale::User>(), engine.dialect()),
        sa::ArgumentError,
        Catch::Matchers::Message(
            "alchemy: column users.nickname is declared sa::renamed_from(&T::nickname, \"nick\"), but the "
            "mapping of users still has a column nick, which the rename would take away. Remove nick from "
            "the model to rename it, or remove the renamed_from to keep nick and add nickname"));
}
