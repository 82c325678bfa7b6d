// The SQL of a fixed-shape statement type is rendered once per dialect and reused
// (sql/sql_cache.hpp); a statement whose shape depends on run-time values (an IN
// list over a vector) is rendered for each call. Then the exact SQL each dialect gets
// for the core statements: SELECT with WHERE/JOIN/GROUP BY/HAVING/ORDER BY/LIMIT/OFFSET/
// DISTINCT, UPDATE, DELETE, INSERT and text(). No database.
#include <alchemy/alchemy.hpp>

#include <catch2/catch.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace sa = alchemy;

namespace sqlcache {

/// Only the cache tests use this model, so no other test renders its statement types.
struct Probe {
    std::int64_t id = 0;
    std::string name{};
    std::int32_t age = 0;
};

struct User {
    std::int64_t id = 0;
    std::string name{};
    std::optional<std::string> email{};
    std::int32_t age = 0;
    std::optional<double> score{};
    bool active = false;
};

struct Post {
    std::int64_t id = 0;
    std::int64_t user_id = 0;
    std::string title{};
    std::int64_t views = 0;
    std::optional<std::int32_t> rating{};
};

}  // namespace sqlcache

template <>
inline constexpr auto sa::mapping<sqlcache::Probe> = sa::table("sc_probes");
template <>
inline constexpr auto sa::mapping<sqlcache::User> = sa::table("sc_users");
template <>
inline constexpr auto sa::mapping<sqlcache::Post> = sa::table("sc_posts");

namespace {

using sqlcache::Post;
using sqlcache::Probe;
using sqlcache::User;

const sa::Dialect& sqlite() { return sa::driver_for(sa::make_url("sqlite://")).dialect(); }
const sa::Dialect& pg() { return sa::driver_for(sa::make_url("postgresql://h/db")).dialect(); }

constexpr auto probe_id = sa::col<&Probe::id>;
constexpr auto probe_name = sa::col<&Probe::name>;
constexpr auto probe_age = sa::col<&Probe::age>;

constexpr auto id = sa::col<&User::id>;
constexpr auto name = sa::col<&User::name>;
constexpr auto email = sa::col<&User::email>;
constexpr auto age = sa::col<&User::age>;
constexpr auto score = sa::col<&User::score>;
constexpr auto active = sa::col<&User::active>;
constexpr auto user_id = sa::col<&Post::user_id>;
constexpr auto title = sa::col<&Post::title>;
constexpr auto views = sa::col<&Post::views>;
constexpr auto rating = sa::col<&Post::rating>;

template <class Shape>
std::size_t renders() {
    return sa::detail::sql_cache<Shape>::renders();
}

std::size_t count_of(std::string_view text, std::string_view what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string_view::npos; at = text.find(what, at + what.size())) ++n;
    return n;
}

/// "$1, $2, ..., $n".
std::string numbered(std::size_t from, std::size_t to) {
    std::string out;
    for (std::size_t i = from; i <= to; ++i) out += (i == from ? "$" : ", $") + std::to_string(i);
    return out;
}

/// The same statement type with different bound values each call.
auto probe_select(std::int32_t min_age, std::string pattern, std::int64_t limit) {
    return sa::select(probe_name, probe_age)
        .where(probe_age >= min_age && probe_name.like(std::move(pattern)))
        .order_by(probe_name.asc())
        .limit(limit);
}

}  // namespace

// The cache ------------------------------------------------------------------------

TEST_CASE("sql_cache runs the render function once per dialect however often it is asked", "[sql]") {
    struct tag {};
    int calls = 0;
    auto render = [&](const sa::Dialect& d) {
        ++calls;
        return std::string("text for ") + std::string(d.name());
    };
    CHECK(renders<tag>() == 0);
    for (int i = 0; i < 5; ++i) CHECK(sa::detail::sql_cache<tag>::get(sqlite(), render) == "text for sqlite");
    CHECK(calls == 1);
    CHECK(renders<tag>() == 1);
    for (int i = 0; i < 5; ++i) CHECK(sa::detail::sql_cache<tag>::get(pg(), render) == "text for postgresql");
    CHECK(calls == 2);
    CHECK(renders<tag>() == 2);
}

TEST_CASE("a fixed-shape select is rendered once per dialect and reused with other bound values", "[sql]") {
    using Shape = decltype(probe_select(0, "", 0));
    STATIC_REQUIRE(Shape::fixed_shape);
    STATIC_REQUIRE(std::is_same_v<decltype(probe_select(18, "a%", 10)), Shape>);

    CHECK(renders<Shape>() == 0);
    const auto first = probe_select(18, "a%", 10).sql(sqlite());
    CHECK(renders<Shape>() == 1);
    CHECK(
        first ==
        R"(SELECT "sc_probes"."name", "sc_probes"."age" FROM "sc_probes" WHERE ("sc_probes"."age" >= ?) AND ("sc_probes"."name" LIKE ? ESCAPE ?) ORDER BY "sc_probes"."name" LIMIT ?)");

    for (std::int32_t i = 0; i < 20; ++i)
        CHECK(probe_select(i, "'); DROP TABLE sc_probes;--" + std::to_string(i), i).sql(sqlite()) == first);
    CHECK(renders<Shape>() == 1);

    const auto for_pg = probe_select(21, "b%", 3).sql(pg());
    CHECK(renders<Shape>() == 2);
    CHECK(
        for_pg ==
        R"(SELECT "sc_probes"."name", "sc_probes"."age" FROM "sc_probes" WHERE ("sc_probes"."age" >= $1) AND ("sc_probes"."name" LIKE $2 ESCAPE $3) ORDER BY "sc_probes"."name" LIMIT $4)");
    CHECK(probe_select(1, "c", 1).sql(pg()) == for_pg);
    CHECK(probe_select(1, "c", 1).sql(sqlite()) == first);
    CHECK(renders<Shape>() == 2);
}

TEST_CASE("each added clause is a new statement type with a cache of its own", "[sql]") {
    const auto base = sa::select(probe_id).where(probe_age > 1);
    const auto limited = base.limit(5);
    using Base = std::remove_const_t<decltype(base)>;
    using Limited = std::remove_const_t<decltype(limited)>;
    STATIC_REQUIRE(!std::is_same_v<Base, Limited>);
    CHECK(renders<Base>() == 0);
    CHECK(renders<Limited>() == 0);
    CHECK(limited.sql(sqlite()) ==
          R"(SELECT "sc_probes"."id" FROM "sc_probes" WHERE "sc_probes"."age" > ? LIMIT ?)");
    CHECK(renders<Base>() == 0);
    CHECK(renders<Limited>() == 1);
    CHECK(base.sql(sqlite()) == R"(SELECT "sc_probes"."id" FROM "sc_probes" WHERE "sc_probes"."age" > ?)");
    CHECK(renders<Base>() == 1);
    CHECK(renders<Limited>() == 1);
}

TEST_CASE("embedded limited queries multiply the variants up to max_shape_variants, past it each run renders",
          "[sql]") {
    // A member of a union, its WHERE reading a query whose LIMIT is given or not (4 variants).
    const auto member = [](std::optional<std::int64_t> limit) {
        return sa::select(probe_id).where(probe_id.in_(sa::select(id).limit_offset(limit, std::nullopt)));
    };
    const auto three = [&](std::optional<std::int64_t> a, std::optional<std::int64_t> c) {
        return sa::union_all(member(a), member(1), member(c));
    };
    const auto four = [&](std::optional<std::int64_t> a, std::optional<std::int64_t> d) {
        return sa::union_all(member(a), member(1), member(1), member(d));
    };
    using Three = decltype(three(1, 1));
    using Four = decltype(four(1, 1));
    STATIC_REQUIRE(Three::shape_variants == 64);
    STATIC_REQUIRE(Three::shape_variants == sa::detail::max_shape_variants);
    STATIC_REQUIRE(Four::shape_variants == 1);
    STATIC_REQUIRE(!Four::fixed_shape);

    CHECK(count_of(three(1, 1).sql(pg()), "LIMIT") == 3);
    CHECK(count_of(three(std::nullopt, 1).sql(pg()), "LIMIT") == 2);
    CHECK(count_of(three(std::nullopt, std::nullopt).sql(pg()), "LIMIT") == 1);
    CHECK(sa::detail::sql_cache<Three, 64>::renders() == 3);
    CHECK(count_of(three(5, 6).sql(pg()), "LIMIT") == 3);
    CHECK(sa::detail::sql_cache<Three, 64>::renders() == 3);

    // Past the cap: right for every combination, and never kept.
    CHECK(count_of(four(1, 1).sql(pg()), "LIMIT") == 4);
    CHECK(count_of(four(std::nullopt, 1).sql(pg()), "LIMIT") == 3);
    CHECK(count_of(four(std::nullopt, std::nullopt).sql(pg()), "LIMIT") == 2);
    CHECK(four(1, std::nullopt).sql(pg()) != four(std::nullopt, 1).sql(pg()));
    CHECK(sa::detail::sql_cache<Four, 1>::renders() == 0);
}

TEST_CASE("fixed-shape update and delete statements are rendered once per dialect", "[sql]") {
    auto update = [](std::string new_name, std::int64_t key) {
        return sa::update<Probe>()
            .values(probe_name = std::move(new_name))
            .where(probe_id == key)
            .returning(probe_age);
    };
    auto remove = [](std::int32_t max_age) { return sa::delete_<Probe>().where(probe_age < max_age); };
    using UpdateShape = decltype(update("", 0));
    using DeleteShape = decltype(remove(0));

    CHECK(renders<UpdateShape>() == 0);
    const auto update_sql = update("a", 1).sql(sqlite());
    CHECK(update_sql ==
          R"(UPDATE "sc_probes" SET "name" = ? WHERE "sc_probes"."id" = ? RETURNING "sc_probes"."age")");
    CHECK(renders<UpdateShape>() == 1);
    CHECK(update("b'; --", 2).sql(sqlite()) == update_sql);
    CHECK(renders<UpdateShape>() == 1);
    CHECK(update("c", 3).sql(pg()) ==
          R"(UPDATE "sc_probes" SET "name" = $1 WHERE "sc_probes"."id" = $2 RETURNING "sc_probes"."age")");
    CHECK(renders<UpdateShape>() == 2);

    CHECK(renders<DeleteShape>() == 0);
    CHECK(remove(10).sql(pg()) == R"(DELETE FROM "sc_probes" WHERE "sc_probes"."age" < $1)");
    CHECK(renders<DeleteShape>() == 1);
    CHECK(remove(20).sql(pg()) == R"(DELETE FROM "sc_probes" WHERE "sc_probes"."age" < $1)");
    CHECK(renders<DeleteShape>() == 1);
    CHECK(remove(30).sql(sqlite()) == R"(DELETE FROM "sc_probes" WHERE "sc_probes"."age" < ?)");
    CHECK(renders<DeleteShape>() == 2);
}

TEST_CASE("an IN list over a run-time vector is rendered per call with one placeholder per value", "[sql]") {
    auto stmt = [](const std::vector<std::int64_t>& ids) {
        return sa::select(probe_name).where(probe_age >= 18 && probe_id.in_(ids)).limit(100);
    };
    using Shape = decltype(stmt({}));
    STATIC_REQUIRE(!Shape::fixed_shape);

    const std::string head_sqlite =
        R"(SELECT "sc_probes"."name" FROM "sc_probes" WHERE ("sc_probes"."age" >= ?) AND ("sc_probes"."id" IN ()";
    const std::string head_pg =
        R"(SELECT "sc_probes"."name" FROM "sc_probes" WHERE ("sc_probes"."age" >= $1) AND ("sc_probes"."id" IN ()";
    for (std::size_t n : {1u, 2u, 5u, 40u, 3u, 1u}) {
        std::vector<std::int64_t> ids;
        for (std::size_t i = 0; i < n; ++i) ids.push_back(static_cast<std::int64_t>(i * 7));
        INFO(n << " values");

        const auto for_sqlite = stmt(ids).sql(sqlite());
        std::string marks;
        for (std::size_t i = 0; i < n; ++i) marks += i == 0 ? "?" : ", ?";
        CHECK(for_sqlite == head_sqlite + marks + ")) LIMIT ?");
        CHECK(count_of(for_sqlite, "?") == n + 2);  // age, the n ids, the limit

        const auto for_pg = stmt(ids).sql(pg());
        CHECK(for_pg == head_pg + numbered(2, n + 1) + ")) LIMIT $" + std::to_string(n + 2));
        CHECK(count_of(for_pg, "$") == n + 2);
    }
    // An empty list renders a condition that is false (NOT IN: true) and binds nothing.
    CHECK(stmt({}).sql(sqlite()) ==
          R"(SELECT "sc_probes"."name" FROM "sc_probes" WHERE ("sc_probes"."age" >= ?) AND (1 = 0) LIMIT ?)");
    CHECK(
        stmt({}).sql(pg()) ==
        R"(SELECT "sc_probes"."name" FROM "sc_probes" WHERE ("sc_probes"."age" >= $1) AND (1 = 0) LIMIT $2)");
    // Nothing of it went through the cache.
    CHECK(renders<Shape>() == 0);
}

// Expected SQL per dialect ----------------------------------------------------------

TEST_CASE("select lists and WHERE comparisons render one placeholder per value", "[sql]") {
    {
        const auto s = sa::select<User>();
        CHECK(
            s.sql(sqlite()) ==
            R"(SELECT "sc_users"."id", "sc_users"."name", "sc_users"."email", "sc_users"."age", "sc_users"."score", "sc_users"."active" FROM "sc_users")");
        CHECK(s.sql(pg()) == s.sql(sqlite()));
    }
    {
        const auto s = sa::select(name).where(id == 1);
        CHECK(s.sql(sqlite()) == R"(SELECT "sc_users"."name" FROM "sc_users" WHERE "sc_users"."id" = ?)");
        CHECK(s.sql(pg()) == R"(SELECT "sc_users"."name" FROM "sc_users" WHERE "sc_users"."id" = $1)");
    }
    {
        const auto s = sa::select(id, name).where(age >= 18 && age < 65);
        CHECK(
            s.sql(sqlite()) ==
            R"(SELECT "sc_users"."id", "sc_users"."name" FROM "sc_users" WHERE ("sc_users"."age" >= ?) AND ("sc_users"."age" < ?))");
        CHECK(
            s.sql(pg()) ==
            R"(SELECT "sc_users"."id", "sc_users"."name" FROM "sc_users" WHERE ("sc_users"."age" >= $1) AND ("sc_users"."age" < $2))");
    }
    {
        const auto s = sa::select(id).where(age > 1 || !(active == true));
        CHECK(
            s.sql(sqlite()) ==
            R"(SELECT "sc_users"."id" FROM "sc_users" WHERE ("sc_users"."age" > ?) OR (NOT ("sc_users"."active" = ?)))");
        CHECK(
            s.sql(pg()) ==
            R"(SELECT "sc_users"."id" FROM "sc_users" WHERE ("sc_users"."age" > $1) OR (NOT ("sc_users"."active" = $2)))");
    }
    {
        // Grouping follows the C++ expression, whatever the SQL precedence would be.
        const auto s = sa::select(id).where((age < 18 || age > 65) && name != "root");
        CHECK(
            s.sql(sqlite()) ==
            R"(SELECT "sc_users"."id" FROM "sc_users" WHERE (("sc_users"."age" < ?) OR ("sc_users"."age" > ?)) AND ("sc_users"."name" != ?))");
        CHECK(
            s.sql(pg()) ==
            R"(SELECT "sc_users"."id" FROM "sc_users" WHERE (("sc_users"."age" < $1) OR ("sc_users"."age" > $2)) AND ("sc_users"."name" != $3))");
    }
    {
        const auto s = sa::select(id).where(score > 1.5 && score <= 2);
        CHECK(
            s.sql(sqlite()) ==
            R"(SELECT "sc_users"."id" FROM "sc_users" WHERE ("sc_users"."score" > ?) AND ("sc_users"."score" <= ?))");
        CHECK(
            s.sql(pg()) ==
            R"(SELECT "sc_users"."id" FROM "sc_users" WHERE ("sc_users"."score" > $1) AND ("sc_users"."score" <= $2))");
    }
    {
        // Two where() calls are ANDed, each condition in parentheses.
        const auto s = sa::select(id).where(age > 1).where(name == "x");
        CHECK(
            s.sql(sqlite()) ==
            R"(SELECT "sc_users"."id" FROM "sc_users" WHERE ("sc_users"."age" > ?) AND ("sc_users"."name" = ?))");
        CHECK(
            s.sql(pg()) ==
            R"(SELECT "sc_users"."id" FROM "sc_users" WHERE ("sc_users"."age" > $1) AND ("sc_users"."name" = $2))");
    }
}

TEST_CASE("NULL tests render IS NULL and IS NOT NULL, also for == and != sa::null", "[sql]") {
    const auto is_null = R"(SELECT "sc_users"."name" FROM "sc_users" WHERE "sc_users"."email" IS NULL)";
    const auto is_not_null =
        R"(SELECT "sc_users"."name" FROM "sc_users" WHERE "sc_users"."email" IS NOT NULL)";
    CHECK(sa::select(name).where(email.is_null()).sql(sqlite()) == is_null);
    CHECK(sa::select(name).where(email.is_null()).sql(pg()) == is_null);
    CHECK(sa::select(name).where(email == sa::null).sql(sqlite()) == is_null);
    CHECK(sa::select(name).where(email == sa::null).sql(pg()) == is_null);
    CHECK(sa::select(name).where(email.is_not_null()).sql(sqlite()) == is_not_null);
    CHECK(sa::select(name).where(email.is_not_null()).sql(pg()) == is_not_null);
    CHECK(sa::select(name).where(email != sa::null).sql(sqlite()) == is_not_null);
    CHECK(sa::select(name).where(email != sa::null).sql(pg()) == is_not_null);
}

TEST_CASE("LIKE binds its pattern and its escape character, ILIKE is LIKE on SQLite", "[sql]") {
    {
        const auto s = sa::select(id).where(name.like("a%"));
        CHECK(s.sql(sqlite()) ==
              R"(SELECT "sc_users"."id" FROM "sc_users" WHERE "sc_users"."name" LIKE ? ESCAPE ?)");
        CHECK(s.sql(pg()) ==
              R"(SELECT "sc_users"."id" FROM "sc_users" WHERE "sc_users"."name" LIKE $1 ESCAPE $2)");
        // Another escape character, contains() and autoescape bind the same way: one statement text.
        CHECK(sa::select(id).where(name.like("a!%", '!')).sql(pg()) == s.sql(pg()));
        CHECK(sa::select(id).where(name.contains("50%", sa::autoescape)).sql(pg()) == s.sql(pg()));
        CHECK(sa::select(id).where(name.startswith("a")).sql(sqlite()) == s.sql(sqlite()));
    }
    {
        const auto s = sa::select(id).where(name.not_like("a%"));
        CHECK(s.sql(sqlite()) ==
              R"(SELECT "sc_users"."id" FROM "sc_users" WHERE "sc_users"."name" NOT LIKE ? ESCAPE ?)");
        CHECK(s.sql(pg()) ==
              R"(SELECT "sc_users"."id" FROM "sc_users" WHERE "sc_users"."name" NOT LIKE $1 ESCAPE $2)");
    }
    {
        const auto s = sa::select(id).where(email.ilike("%@X.org"));
        CHECK(s.sql(sqlite()) ==
              R"(SELECT "sc_users"."id" FROM "sc_users" WHERE "sc_users"."email" LIKE ? ESCAPE ?)");
        CHECK(s.sql(pg()) ==
              R"(SELECT "sc_users"."id" FROM "sc_users" WHERE "sc_users"."email" ILIKE $1 ESCAPE $2)");
    }
}

TEST_CASE("autoescape escapes %, _ and the escape character, and a bad escape character is an ArgumentError",
          "[sql]") {
    CHECK(sa::detail::escape_like("100% a_b \\ c", '\\') == "100\\% a\\_b \\\\ c");
    CHECK(sa::detail::escape_like("a!b%", '!') == "a!!b!%");
    CHECK(sa::detail::escape_like("", '\\').empty());
    CHECK_THROWS_AS(name.like("a", '\0'), sa::ArgumentError);
    CHECK_THROWS_AS(name.like("a", static_cast<char>(0xC3)), sa::ArgumentError);
}

TEST_CASE("IN lists and BETWEEN render their placeholders, an empty IN list is a constant", "[sql]") {
    {
        const auto s = sa::select(id).where(name.in_(std::string("a"), std::string("b"), std::string("c")));
        CHECK(s.sql(sqlite()) ==
              R"(SELECT "sc_users"."id" FROM "sc_users" WHERE "sc_users"."name" IN (?, ?, ?))");
        CHECK(s.sql(pg()) ==
              R"(SELECT "sc_users"."id" FROM "sc_users" WHERE "sc_users"."name" IN ($1, $2, $3))");
    }
    {
        const auto s = sa::select(id).where(id.not_in(std::vector<std::int64_t>{1, 2}));
        CHECK(s.sql(sqlite()) ==
              R"(SELECT "sc_users"."id" FROM "sc_users" WHERE "sc_users"."id" NOT IN (?, ?))");
        CHECK(s.sql(pg()) ==
              R"(SELECT "sc_users"."id" FROM "sc_users" WHERE "sc_users"."id" NOT IN ($1, $2))");
    }
    {
        const auto s = sa::select(name).where(email.not_in(std::vector<std::string>{"a", "b"}));
        CHECK(s.sql(sqlite()) ==
              R"(SELECT "sc_users"."name" FROM "sc_users" WHERE "sc_users"."email" NOT IN (?, ?))");
        CHECK(s.sql(pg()) ==
              R"(SELECT "sc_users"."name" FROM "sc_users" WHERE "sc_users"."email" NOT IN ($1, $2))");
    }
    {
        const auto in_nothing = sa::select(id).where(id.in_(std::vector<std::int64_t>{}));
        const auto not_in_nothing = sa::select(id).where(id.not_in(std::vector<std::int64_t>{}));
        for (const sa::Dialect* d : {&sqlite(), &pg()}) {
            CHECK(in_nothing.sql(*d) == R"(SELECT "sc_users"."id" FROM "sc_users" WHERE (1 = 0))");
            CHECK(not_in_nothing.sql(*d) == R"(SELECT "sc_users"."id" FROM "sc_users" WHERE (1 = 1))");
        }
    }
    {
        const auto s = sa::select(id).where(age.between(18, 30));
        CHECK(s.sql(sqlite()) ==
              R"(SELECT "sc_users"."id" FROM "sc_users" WHERE "sc_users"."age" BETWEEN ? AND ?)");
        CHECK(s.sql(pg()) ==
              R"(SELECT "sc_users"."id" FROM "sc_users" WHERE "sc_users"."age" BETWEEN $1 AND $2)");
    }
}

TEST_CASE("arithmetic binds its operands in text order", "[sql]") {
    {
        const auto s = sa::select(id + 1, age * 2).where(age % 2 == 0);
        CHECK(
            s.sql(sqlite()) ==
            R"(SELECT "sc_users"."id" + ?, "sc_users"."age" * ? FROM "sc_users" WHERE ("sc_users"."age" % ?) = ?)");
        CHECK(
            s.sql(pg()) ==
            R"(SELECT "sc_users"."id" + $1, "sc_users"."age" * $2 FROM "sc_users" WHERE ("sc_users"."age" % $3) = $4)");
    }
    {
        const auto s = sa::select(score / 2.0, age - 1);
        CHECK(s.sql(sqlite()) == R"(SELECT "sc_users"."score" / ?, "sc_users"."age" - ? FROM "sc_users")");
        CHECK(s.sql(pg()) == R"(SELECT "sc_users"."score" / $1, "sc_users"."age" - $2 FROM "sc_users")");
    }
}

TEST_CASE("ORDER BY, LIMIT, OFFSET and DISTINCT", "[sql]") {
    {
        const auto s = sa::select(id, name).order_by(name.asc(), id.desc());
        const auto text =
            R"(SELECT "sc_users"."id", "sc_users"."name" FROM "sc_users" ORDER BY "sc_users"."name", "sc_users"."id" DESC)";
        CHECK(s.sql(sqlite()) == text);
        CHECK(s.sql(pg()) == text);
    }
    {
        const auto s = sa::select(id).order_by(name).limit(10).offset(20);
        CHECK(s.sql(sqlite()) ==
              R"(SELECT "sc_users"."id" FROM "sc_users" ORDER BY "sc_users"."name" LIMIT ? OFFSET ?)");
        CHECK(s.sql(pg()) ==
              R"(SELECT "sc_users"."id" FROM "sc_users" ORDER BY "sc_users"."name" LIMIT $1 OFFSET $2)");
    }
    {
        // Clauses added out of order still render, and bind, in SQL order.
        const auto s = sa::select(id).offset(5).limit(1).where(!(name == "x"));
        CHECK(s.sql(sqlite()) ==
              R"(SELECT "sc_users"."id" FROM "sc_users" WHERE NOT ("sc_users"."name" = ?) LIMIT ? OFFSET ?)");
        CHECK(
            s.sql(pg()) ==
            R"(SELECT "sc_users"."id" FROM "sc_users" WHERE NOT ("sc_users"."name" = $1) LIMIT $2 OFFSET $3)");
    }
    {
        const auto s = sa::select(name).distinct();
        CHECK(s.sql(sqlite()) == R"(SELECT DISTINCT "sc_users"."name" FROM "sc_users")");
        CHECK(s.sql(pg()) == R"(SELECT DISTINCT "sc_users"."name" FROM "sc_users")");
    }
}

TEST_CASE("joins, GROUP BY and HAVING", "[sql]") {
    {
        const auto s = sa::select(name, title).join<Post>(user_id == id).where(views > 100);
        CHECK(
            s.sql(sqlite()) ==
            R"(SELECT "sc_users"."name", "sc_posts"."title" FROM "sc_users" JOIN "sc_posts" ON "sc_posts"."user_id" = "sc_users"."id" WHERE "sc_posts"."views" > ?)");
        CHECK(
            s.sql(pg()) ==
            R"(SELECT "sc_users"."name", "sc_posts"."title" FROM "sc_users" JOIN "sc_posts" ON "sc_posts"."user_id" = "sc_users"."id" WHERE "sc_posts"."views" > $1)");
    }
    {
        const auto s = sa::select(name, rating).left_join<Post>(user_id == id && rating >= 3);
        CHECK(
            s.sql(sqlite()) ==
            R"(SELECT "sc_users"."name", "sc_posts"."rating" FROM "sc_users" LEFT OUTER JOIN "sc_posts" ON ("sc_posts"."user_id" = "sc_users"."id") AND ("sc_posts"."rating" >= ?))");
        CHECK(
            s.sql(pg()) ==
            R"(SELECT "sc_users"."name", "sc_posts"."rating" FROM "sc_users" LEFT OUTER JOIN "sc_posts" ON ("sc_posts"."user_id" = "sc_users"."id") AND ("sc_posts"."rating" >= $1))");
    }
    {
        // The join's value binds before WHERE's, as the text has them.
        const auto s = sa::select(title).where(name == "ann").join<User>(id == user_id && age > 30);
        CHECK(
            s.sql(sqlite()) ==
            R"(SELECT "sc_posts"."title" FROM "sc_posts" JOIN "sc_users" ON ("sc_users"."id" = "sc_posts"."user_id") AND ("sc_users"."age" > ?) WHERE "sc_users"."name" = ?)");
        CHECK(
            s.sql(pg()) ==
            R"(SELECT "sc_posts"."title" FROM "sc_posts" JOIN "sc_users" ON ("sc_users"."id" = "sc_posts"."user_id") AND ("sc_users"."age" > $1) WHERE "sc_users"."name" = $2)");
    }
    {
        const auto s = sa::select(age).group_by(age).having(age > 20).order_by(age.desc());
        CHECK(
            s.sql(sqlite()) ==
            R"(SELECT "sc_users"."age" FROM "sc_users" GROUP BY "sc_users"."age" HAVING "sc_users"."age" > ? ORDER BY "sc_users"."age" DESC)");
        CHECK(
            s.sql(pg()) ==
            R"(SELECT "sc_users"."age" FROM "sc_users" GROUP BY "sc_users"."age" HAVING "sc_users"."age" > $1 ORDER BY "sc_users"."age" DESC)");
    }
}

TEST_CASE("UPDATE sets values and expressions, assigns NULL, and returns columns", "[sql]") {
    {
        const auto s = sa::update<User>().values(name = "x").where(id == 1);
        CHECK(s.sql(sqlite()) == R"(UPDATE "sc_users" SET "name" = ? WHERE "sc_users"."id" = ?)");
        CHECK(s.sql(pg()) == R"(UPDATE "sc_users" SET "name" = $1 WHERE "sc_users"."id" = $2)");
    }
    {
        const auto s = sa::update<User>()
                           .values(age = age + 1, email = sa::null)
                           .where(active == true)
                           .returning(id, age);
        CHECK(
            s.sql(sqlite()) ==
            R"(UPDATE "sc_users" SET "age" = "sc_users"."age" + ?, "email" = NULL WHERE "sc_users"."active" = ? RETURNING "sc_users"."id", "sc_users"."age")");
        CHECK(
            s.sql(pg()) ==
            R"(UPDATE "sc_users" SET "age" = "sc_users"."age" + $1, "email" = NULL WHERE "sc_users"."active" = $2 RETURNING "sc_users"."id", "sc_users"."age")");
    }
    {
        const auto s = sa::update<User>().values(score = 1.0).where(name.like("%x"));
        CHECK(s.sql(sqlite()) ==
              R"(UPDATE "sc_users" SET "score" = ? WHERE "sc_users"."name" LIKE ? ESCAPE ?)");
        CHECK(s.sql(pg()) ==
              R"(UPDATE "sc_users" SET "score" = $1 WHERE "sc_users"."name" LIKE $2 ESCAPE $3)");
    }
}

TEST_CASE("DELETE with and without WHERE, and with RETURNING", "[sql]") {
    {
        const auto s = sa::delete_<User>().where(id == 1);
        CHECK(s.sql(sqlite()) == R"(DELETE FROM "sc_users" WHERE "sc_users"."id" = ?)");
        CHECK(s.sql(pg()) == R"(DELETE FROM "sc_users" WHERE "sc_users"."id" = $1)");
    }
    {
        const auto s = sa::delete_<User>().where(age < 18 && email.is_null()).returning(id, name);
        CHECK(
            s.sql(sqlite()) ==
            R"(DELETE FROM "sc_users" WHERE ("sc_users"."age" < ?) AND ("sc_users"."email" IS NULL) RETURNING "sc_users"."id", "sc_users"."name")");
        CHECK(
            s.sql(pg()) ==
            R"(DELETE FROM "sc_users" WHERE ("sc_users"."age" < $1) AND ("sc_users"."email" IS NULL) RETURNING "sc_users"."id", "sc_users"."name")");
    }
    {
        const auto s = sa::delete_<User>();
        CHECK(s.sql(sqlite()) == R"(DELETE FROM "sc_users")");
        CHECK(s.sql(pg()) == R"(DELETE FROM "sc_users")");
    }
}

TEST_CASE("INSERT of objects leaves an unset generated key out and returns columns bare", "[sql]") {
    {
        const auto s = sa::insert<User>().values(User{.name = "n"});
        CHECK(s.sql(sqlite()) ==
              R"(INSERT INTO "sc_users" ("name", "email", "age", "score", "active") VALUES (?, ?, ?, ?, ?))");
        CHECK(
            s.sql(pg()) ==
            R"(INSERT INTO "sc_users" ("name", "email", "age", "score", "active") VALUES ($1, $2, $3, $4, $5))");
    }
    {
        const auto s = sa::insert<User>().values(User{.id = 5, .name = "n"});
        CHECK(
            s.sql(sqlite()) ==
            R"(INSERT INTO "sc_users" ("id", "name", "email", "age", "score", "active") VALUES (?, ?, ?, ?, ?, ?))");
        CHECK(
            s.sql(pg()) ==
            R"(INSERT INTO "sc_users" ("id", "name", "email", "age", "score", "active") VALUES ($1, $2, $3, $4, $5, $6))");
    }
    {
        // For a vector, sql() shows the statement for the first object alone.
        const auto s =
            sa::insert<User>().values(std::vector{User{.name = "a"}, User{.name = "b"}}).returning(id);
        CHECK(
            s.sql(sqlite()) ==
            R"(INSERT INTO "sc_users" ("name", "email", "age", "score", "active") VALUES (?, ?, ?, ?, ?) RETURNING "id")");
        CHECK(
            s.sql(pg()) ==
            R"(INSERT INTO "sc_users" ("name", "email", "age", "score", "active") VALUES ($1, $2, $3, $4, $5) RETURNING "id")");
    }
}

TEST_CASE("text() turns each :name into the dialect's placeholder and leaves literals and casts alone",
          "[sql]") {
    const auto t = sa::text(
                       "SELECT * FROM sc_users WHERE name = :name AND (id > :id OR age = :id) "
                       "AND note = 'x:y' AND a::text = b")
                       .bind("name", std::string("n"))
                       .bind("id", 1);
    CHECK(t.sql(sqlite()) ==
          "SELECT * FROM sc_users WHERE name = ? AND (id > ? OR age = ?) AND note = 'x:y' AND a::text = b");
    CHECK(
        t.sql(pg()) ==
        "SELECT * FROM sc_users WHERE name = $1 AND (id > $2 OR age = $3) AND note = 'x:y' AND a::text = b");
}

TEST_CASE("in_ and not_in take string literals as well as strings", "[sql]") {
    const auto names = sa::select(sa::col<&User::id>).where(sa::col<&User::name>.in_("ann", "bob"));
    CHECK(names.sql(pg()) == R"(SELECT "sc_users"."id" FROM "sc_users" WHERE "sc_users"."name" IN ($1, $2))");
    const auto others = sa::select(sa::col<&User::id>).where(sa::col<&User::name>.not_in("x"));
    CHECK(others.sql(sqlite()) ==
          R"(SELECT "sc_users"."id" FROM "sc_users" WHERE "sc_users"."name" NOT IN (?))");
}
