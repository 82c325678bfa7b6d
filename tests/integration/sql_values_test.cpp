// How plain values beside columns bind, and statements whose clauses repeat: numbers keep
// their own type in comparisons and arithmetic but must fit the column they are assigned
// to, a later limit()/offset() replaces an earlier one, CTEs of one name are one CTE, and
// generated subquery column names never collide with given ones. Both backends.
#include "support/backends.hpp"

#include <alchemy/alchemy.hpp>

#include <catch2/catch.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace sa = alchemy;

namespace sqlvalues {

struct Member {
    std::int64_t id = 0;
    std::string name{};
    std::int32_t age = 0;
    std::optional<std::int32_t> score{};
};

struct Visit {
    std::int64_t id = 0;
    std::chrono::year_month_day day{};
};

}  // namespace sqlvalues

template <>
inline constexpr auto sa::mapping<sqlvalues::Member> = sa::table("sv_members");
template <>
inline constexpr auto sa::mapping<sqlvalues::Visit> = sa::table("sv_visits");

namespace {

using sqlvalues::Member;
using sqlvalues::Visit;

constexpr auto id = sa::col<&Member::id>;
constexpr auto name = sa::col<&Member::name>;
constexpr auto age = sa::col<&Member::age>;
constexpr auto score = sa::col<&Member::score>;

using Names = std::vector<std::string>;

/// ann 10, bob 20, cy 30, dee 40, eve 50; scores only for ann (1) and cy (3).
sa::Connection members(sa::Engine& engine) {
    sa::metadata<Member, Visit>().create_all(engine);
    auto conn = engine.connect();
    conn.execute(sa::insert<Member>().values(std::vector<Member>{
        {.id = 1, .name = "ann", .age = 10, .score = 1},
        {.id = 2, .name = "bob", .age = 20, .score = std::nullopt},
        {.id = 3, .name = "cy", .age = 30, .score = 3},
        {.id = 4, .name = "dee", .age = 40, .score = std::nullopt},
        {.id = 5, .name = "eve", .age = 50, .score = std::nullopt},
    }));
    return conn;
}

template <class Where>
Names names_where(sa::Connection& conn, Where where) {
    return conn.execute(sa::select(name).where(std::move(where)).order_by(id)).all();
}

}  // namespace

TEST_CASE("a number compared with an integer column keeps its own type", "[sql][values]") {
    auto backend = GENERATE(from_range(alchemy::test::backends()));
    auto engine = backend.engine();
    auto conn = members(engine);

    CHECK(names_where(conn, age == 10.7).empty());
    CHECK(names_where(conn, age == std::int64_t{4294967306}).empty());  // 10 + 2^32
    CHECK(names_where(conn, age != 10.5).size() == 5);
    CHECK(names_where(conn, age >= 10.5) == Names{"bob", "cy", "dee", "eve"});
    CHECK(names_where(conn, age < 20.5) == Names{"ann", "bob"});
    CHECK(names_where(conn, 39.5 < age) == Names{"dee", "eve"});
    CHECK(names_where(conn, age.in_(std::vector<std::int64_t>{4294967316, 30})) == Names{"cy"});
    CHECK(names_where(conn, age.in_(std::vector<double>{10.5, 20.0})) == Names{"bob"});
    CHECK(names_where(conn, age.not_in(std::vector<double>{10.5, 20.0})).size() == 4);
    CHECK(names_where(conn, age.between(10.5, 20.5)) == Names{"bob"});
    CHECK(names_where(conn, score == std::optional<double>(1.5)).empty());
    CHECK(names_where(conn, score == std::optional<double>(3.0)) == Names{"cy"});
}

TEST_CASE("arithmetic, CASE and coalesce with a number keep the number's type", "[sql][values]") {
    auto backend = GENERATE(from_range(alchemy::test::backends()));
    auto engine = backend.engine();
    auto conn = members(engine);

    const auto [half, plus, big] =
        conn.execute(sa::select(age * 0.5, age + 0.25, age + std::int64_t{3'000'000'000}).where(id == 1))
            .one();
    CHECK(half == 5.0);
    CHECK(plus == 10.25);
    CHECK(big == 3'000'000'010);
    CHECK(conn.execute(sa::select(sa::coalesce(score, 7.5)).where(id == 2)).scalar_one() == 7.5);
    const auto cased =
        conn.execute(sa::select(sa::case_().when(age > 15, age).else_(0.5)).order_by(id)).all();
    CHECK(cased == std::vector<double>{0.5, 20, 30, 40, 50});
}

TEST_CASE("a Session query compares numbers as themselves too, in SQL and in memory", "[sql][values]") {
    auto backend = GENERATE(from_range(alchemy::test::backends()));
    auto engine = backend.engine();
    members(engine).commit();

    sa::Session session(engine);
    CHECK(session.query<Member>().filter_by<&Member::age>(10.7).count() == 0);
    CHECK(session.query<Member>().filter_by<&Member::age>(std::int64_t{4294967306}).count() == 0);
    CHECK(session.query<Member>().filter_by<&Member::age>(std::int64_t{10}).count() == 1);
    CHECK(session.query<Member>().filter(age >= 10.5).count() == 4);

    // synchronize_session::evaluate compares the loaded objects the same way.
    const auto ann = session.get<Member>(std::int64_t{1});
    const auto bob = session.get<Member>(std::int64_t{2});
    REQUIRE(ann);
    REQUIRE(bob);
    session.query<Member>()
        .filter(age < 10.5 || age == 20.5)
        .update(score = 9, sa::synchronize_session::evaluate);
    CHECK(ann->score == 9);
    CHECK(bob->score == std::nullopt);
    session.query<Member>()
        .filter(age.between(15.5, 20))
        .update(score = 8, sa::synchronize_session::evaluate);
    CHECK(bob->score == 8);
    CHECK(ann->score == 9);
    // An unsigned value beside a signed column compares by value, not as unsigned.
    session.query<Member>()
        .filter(age > std::uint64_t{45})
        .update(score = 7, sa::synchronize_session::evaluate);
    CHECK(bob->score == 8);
    session.commit();
    CHECK(sa::Session(engine).query<Member>().filter(score == 8).count() == 1);
}

TEST_CASE("an integer assigned to a column it does not fit is refused", "[sql][values]") {
    auto backend = GENERATE(from_range(alchemy::test::backends()));
    auto engine = backend.engine();
    auto conn = members(engine);

    const auto refuses_as_data_error = [](auto make) {
        try {
            make();
            FAIL("no DataError");
        } catch (const sa::DataError& e) {
            CHECK(e.sqlstate() == "22003");
            CHECK_THAT(e.what(), Catch::Contains("sv_members.age"));
        }
    };
    refuses_as_data_error([&] { return sa::update<Member>().values(age = std::int64_t{5'000'000'000}); });
    refuses_as_data_error([&] { return sa::update<Member>().values(age = std::uint32_t{3'000'000'000}); });
    refuses_as_data_error([&] {
        return sa::insert<Member>().values(id = 9, name = "zed", age = std::int64_t{-3'000'000'000});
    });
    refuses_as_data_error([&] {
        return sa::insert<Member>()
            .values(std::vector<Member>{{.id = 1, .name = "ann", .age = 10}})
            .on_conflict_do_update(id)
            .set(age = std::int64_t{1} << 40);
    });

    // In range: stored as the number it is.
    conn.execute(sa::update<Member>().values(age = std::int64_t{2'000'000'000}).where(id == 1));
    conn.execute(sa::update<Member>().values(score = std::optional<std::int64_t>(-7)).where(id == 2));
    CHECK(conn.execute(sa::select(age).where(id == 1)).scalar_one() == 2'000'000'000);
    CHECK(conn.execute(sa::select(score).where(id == 2)).scalar_one() == -7);
}

TEST_CASE("a later limit() or offset() replaces the earlier one", "[sql][values]") {
    auto backend = GENERATE(from_range(alchemy::test::backends()));
    auto engine = backend.engine();
    auto conn = members(engine);
    const auto all = sa::select(name).order_by(id);

    CHECK(conn.execute(all.limit(1).limit(3)).all() == Names{"ann", "bob", "cy"});
    CHECK(conn.execute(all.offset(1).offset(3)).all() == Names{"dee", "eve"});
    CHECK(conn.execute(all.offset(3).limit(1)).all() == Names{"dee"});
    CHECK(conn.execute(all.limit_offset(std::nullopt, 3).limit(1)).all() == Names{"dee"});
    CHECK(conn.execute(all.limit_offset(2, std::nullopt).offset(1)).all() == Names{"bob", "cy"});
    CHECK(conn.execute(all.limit_offset(2, 1).limit_offset(std::nullopt, 4)).all() == Names{"eve"});
    // limit_offset() replaces both: a limit not given there is no limit.
    CHECK(conn.execute(all.limit(2).offset(1).limit_offset(std::nullopt, 2)).all() ==
          Names{"cy", "dee", "eve"});
    CHECK(conn.execute(all.limit(2).limit_offset(1, 1)).all() == Names{"bob"});

    const auto both =
        sa::union_all(sa::select(name).where(age < 25), sa::select(name).where(age > 35)).order_by(name);
    CHECK(conn.execute(both.limit(1).limit(3)).all() == Names{"ann", "bob", "dee"});
    CHECK(conn.execute(both.offset(3).offset(1).limit(2)).all() == Names{"bob", "dee"});
}

TEST_CASE("a statement given more or fewer values than its placeholders is refused", "[sql][values]") {
    auto backend = GENERATE(from_range(alchemy::test::backends()));
    auto engine = backend.engine();
    auto conn = members(engine);
    const std::string sql = backend.is_postgresql() ? "SELECT name FROM sv_members WHERE id = $1 -- $9"
                                                    : "SELECT name FROM sv_members WHERE id = ?";
    const auto run = [&](std::vector<sa::Param> params) {
        return conn.execute_sql(sql, params).as<std::string>().all();
    };
    CHECK(run({sa::Param::of_int(2)}) == Names{"bob"});
    CHECK_THROWS_AS(run({sa::Param::of_int(2), sa::Param::of_int(3)}), sa::ProgrammingError);
    CHECK_THROWS_AS(run({}), sa::ProgrammingError);
}

TEST_CASE("two different CTEs of one name in one statement are refused", "[sql][values]") {
    auto backend = GENERATE(from_range(alchemy::test::backends()));
    auto engine = backend.engine();
    auto conn = members(engine);
    const auto at_least = [](int years) { return sa::select(id, name).where(age >= years).cte<"picked">(); };

    const auto old = at_least(50);
    const auto everyone = at_least(10);
    CHECK_THROWS_AS(conn.execute(sa::union_all(sa::select(old.c<1>()), sa::select(everyone.c<1>()))),
                    sa::CompileError);
    CHECK_THROWS_WITH(
        sa::union_all(sa::select(old.c<1>()), sa::select(everyone.c<1>())).sql(engine.dialect()),
        Catch::Contains("unrelated CTEs") && Catch::Contains("picked"));
    // Once the text is cached, binding still tells them apart.
    const auto twice = sa::union_all(sa::select(old.c<1>()), sa::select(old.c<1>()));
    CHECK(conn.execute(twice).all() == Names{"eve", "eve"});
    CHECK_THROWS_AS(conn.execute(sa::union_all(sa::select(everyone.c<1>()), sa::select(old.c<1>()))),
                    sa::CompileError);

    // One CTE read twice, through a copy, is defined once with its value bound once.
    const auto copy = old;
    const auto through_copy = sa::union_all(sa::select(old.c<1>()), sa::select(copy.c<1>()));
    CHECK(conn.execute(through_copy).all() == Names{"eve", "eve"});
    const auto text = through_copy.sql(engine.dialect());
    CHECK(text.find("\"picked\" AS") == text.rfind("\"picked\" AS"));
}

TEST_CASE("a date that is not in the calendar is refused, not stored as another", "[sql][values]") {
    using namespace std::chrono;
    auto backend = GENERATE(from_range(alchemy::test::backends()));
    auto engine = backend.engine();
    auto conn = members(engine);

    for (const auto day : {2023y / February / 30, 2023y / April / 31, year{2023} / month{13} / 1}) {
        try {
            conn.execute(sa::insert<Visit>().values(Visit{.id = 1, .day = day}));
            FAIL("no DataError");
        } catch (const sa::DataError& e) {
            CHECK(e.sqlstate() == "22008");
        }
    }
    CHECK_THROWS_AS(
        conn.execute(sa::select(sa::col<&Visit::id>).where(sa::col<&Visit::day> == 2023y / February / 29)),
        sa::DataError);
    conn.execute(sa::insert<Visit>().values(Visit{.id = 1, .day = 2024y / February / 29}));
    CHECK(conn.execute(sa::select(sa::col<&Visit::day>)).scalar_one() == 2024y / February / 29);
}

TEST_CASE("generated subquery column names differ from the names given", "[sql][values]") {
    auto backend = GENERATE(from_range(alchemy::test::backends()));
    auto engine = backend.engine();
    auto conn = members(engine);

    const auto sq =
        sa::select(name.label("col_2"), sa::upper(name), age, sa::lower(name).label("col_5"), age + 1)
            .where(id == 1)
            .subquery<"sq">();
    const auto [given, upper, plus] = conn.execute(sa::select(sq.c<0>(), sq.c<1>(), sq.c<4>())).one();
    CHECK(given == "ann");
    CHECK(upper == "ANN");
    CHECK(plus == 11);
    CHECK(sq.statement().output_names() ==
          std::array<std::string_view, 5>{"col_2", "col_7", "age", "col_5", "col_10"});
}

TEST_CASE("a label made for the call names its column after the name is gone", "[sql][values]") {
    auto backend = GENERATE(from_range(alchemy::test::backends()));
    auto engine = backend.engine();
    auto conn = members(engine);

    const std::string prefix = "a name longer than the short-string buffer, ";
    const auto sq =
        sa::select(name.label(prefix + "given"), age.label(prefix + "age")).where(id == 1).subquery<"sq">();
    const std::vector<std::string> reusing_freed_memory(64, std::string(prefix.size() + 5, 'x'));
    CHECK(sq.statement().output_names() == std::array<std::string_view, 2>{prefix + "given", prefix + "age"});
    const auto [given, years] = conn.execute(sa::select(sq.c<0>(), sq.c<1>())).one();
    CHECK(given == "ann");
    CHECK(years == 10);
}

TEST_CASE("subquery column names that differ only in case are made different", "[sql][values]") {
    // SQLite matches column names without regard to case, even quoted: "sq"."NAME" would
    // read the column "name".
    auto backend = GENERATE(from_range(alchemy::test::backends()));
    auto engine = backend.engine();
    auto conn = members(engine);

    const auto sq =
        sa::select(name, sa::upper(name).label("NAME"), sa::lower(name).label("COL_5"), age, age + 1)
            .where(id == 1)
            .subquery<"sq">();
    const auto [lower, upper, plus] = conn.execute(sa::select(sq.c<0>(), sq.c<1>(), sq.c<4>())).one();
    CHECK(lower == "ann");
    CHECK(upper == "ANN");
    CHECK(plus == 11);
    CHECK(sq.statement().output_names() ==
          std::array<std::string_view, 5>{"name", "col_2", "COL_5", "age", "col_10"});
}

TEST_CASE("evaluate compares an integer with a floating value as the databases do", "[sql][values]") {
    auto backend = GENERATE(from_range(alchemy::test::backends()));
    auto engine = backend.engine();
    auto conn = members(engine);
    constexpr std::int64_t beyond_doubles = (std::int64_t{1} << 53) + 1;
    conn.execute(sa::insert<Member>().values(Member{.id = beyond_doubles, .name = "big", .age = 16777217}));
    conn.commit();

    sa::Session session(engine);
    const auto big = session.get<Member>(beyond_doubles);
    REQUIRE(big);
    // As floats, C++ would round 16777217 to 16777216; both databases compare it as a double.
    CHECK(session.query<Member>()
              .filter(age == 16777216.0f)
              .update(score = 5, sa::synchronize_session::evaluate) == 0);
    CHECK(big->score == std::nullopt);
    // Beyond 2^53 SQLite compares exactly and PostgreSQL as doubles: nothing to evaluate
    // with, so evaluate refuses and auto_ has the database say which rows it changed.
    CHECK_THROWS_AS(session.query<Member>()
                        .filter(id > 9007199254740992.0)
                        .update(score = 6, sa::synchronize_session::evaluate),
                    sa::ArgumentError);
    session.query<Member>().filter(id > 9007199254740992.0).update(score = 6);
    const auto in_memory = big->score;
    session.commit();
    CHECK(sa::Session(engine).get<Member>(beyond_doubles)->score == in_memory);
}
