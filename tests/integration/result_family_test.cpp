// One family of results and of transaction guards, on both backends: a streamed
// Result, an INSERT's RETURNING rows (InsertResult) and the Session's objects
// (ScalarResult) answer SQLAlchemy's accessors alike, and a Connection's Transaction
// and a SessionTransaction share is_active(), is_nested() and a rollback() that is a
// no-op once the guard has ended.
#include "support/backends.hpp"

#include <alchemy/alchemy.hpp>

#include <catch2/catch.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

namespace sa = alchemy;
using sa::test::backends;

namespace family {

struct Pet {
    std::int64_t id = 0;
    std::string name{};
};

}  // namespace family

template <>
inline constexpr auto sa::mapping<family::Pet> = sa::table("family_pets");

using family::Pet;

namespace {

constexpr auto pet_id = sa::col<&Pet::id>;
constexpr auto pet_name = sa::col<&Pet::name>;

/// Runs the same checks on a Transaction and on a SessionTransaction.
template <class Begin, class BeginNested>
void check_guards(Begin begin, BeginNested begin_nested) {
    auto outer = begin();
    CHECK(outer.is_active());
    CHECK_FALSE(outer.is_nested());
    {
        auto inner = begin_nested();
        CHECK(inner.is_active());
        CHECK(inner.is_nested());
        inner.rollback();
        CHECK_FALSE(inner.is_active());
        inner.rollback();  // ended: nothing happens
        CHECK_THROWS_AS(inner.commit(), sa::InvalidRequestError);
    }
    outer.commit();
    CHECK_FALSE(outer.is_active());
    outer.rollback();  // ended: nothing happens
    CHECK_THROWS_AS(outer.commit(), sa::InvalidRequestError);
}

}  // namespace

TEST_CASE("Result, InsertResult and ScalarResult answer SQLAlchemy's accessors alike") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    sa::metadata<Pet>().create_all(engine);
    auto conn = engine.connect();

    // InsertResult: RETURNING rows, read as often as wanted.
    auto inserted = conn.execute(sa::insert<Pet>()
                                     .values(std::vector<Pet>{{.name = "rex"}, {.name = "tom"}})
                                     .returning(pet_id, pet_name));
    CHECK(inserted.rowcount() == 2);
    CHECK(inserted.size() == 2);
    CHECK(std::get<1>(*inserted.first()) == "rex");
    CHECK(inserted.scalar() == std::get<0>(inserted.all().front()));
    CHECK_THROWS_AS(inserted.one(), sa::MultipleResultsFound);
    CHECK_THROWS_AS(inserted.one_or_none(), sa::MultipleResultsFound);
    CHECK_THROWS_AS(inserted.scalar_one_or_none(), sa::MultipleResultsFound);
    auto single = conn.execute(sa::insert<Pet>().values(Pet{.name = "kit"}).returning(pet_name));
    CHECK(single.one() == "kit");
    CHECK(single.scalar_one() == "kit");
    CHECK(single.scalar_one_or_none() == "kit");
    CHECK(single.one_or_none() == "kit");
    conn.commit();

    // Result: the same names on a streamed result.
    CHECK(conn.execute(sa::select(pet_name).where(pet_name == "kit")).scalar_one_or_none() == "kit");
    CHECK(conn.execute(sa::select(pet_name).where(pet_name == "none")).scalar_one_or_none() == std::nullopt);
    CHECK_THROWS_AS(conn.execute(sa::select(pet_name)).scalar_one_or_none(), sa::MultipleResultsFound);
    CHECK(conn.execute(sa::select(pet_id, pet_name).where(pet_name == "tom")).scalar_one_or_none() ==
          std::get<0>(inserted.all().back()));

    // ScalarResult: the Session's objects; "no row" is a null pointer.
    sa::Session session(engine);
    auto pets = session.scalars(sa::select<Pet>().order_by(pet_id));
    CHECK(pets.size() == 3);
    CHECK(pets.first()->name == "rex");
    CHECK(pets.scalar() == pets.first());
    CHECK_THROWS_AS(pets.one(), sa::MultipleResultsFound);
    CHECK_THROWS_AS(pets.scalar_one_or_none(), sa::MultipleResultsFound);
    auto none = session.scalars(sa::select<Pet>().where(pet_name == "none"));
    CHECK(none.first() == nullptr);
    CHECK(none.one_or_none() == nullptr);
    CHECK(none.scalar_one_or_none() == nullptr);
    CHECK_THROWS_AS(none.one(), sa::NoResultFound);
    CHECK_THROWS_AS(none.scalar_one(), sa::NoResultFound);
    auto kit = session.scalars(sa::select<Pet>().where(pet_name == "kit"));
    CHECK(kit.scalar_one() == kit.one());
    CHECK(kit.scalar_one()->name == "kit");
}

TEST_CASE("a Connection's Transaction and a SessionTransaction share their spellings") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    sa::metadata<Pet>().create_all(engine);
    SECTION("Connection") {
        auto conn = engine.connect();
        check_guards([&] { return conn.begin(); }, [&] { return conn.begin_nested(); });
    }
    SECTION("Session") {
        sa::Session session(engine);
        check_guards([&] { return session.begin(); }, [&] { return session.begin_nested(); });
    }
}

TEST_CASE("a Result read a row at a time gives each row's cursor, and none once its rows ended") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    sa::metadata<Pet>().create_all(engine);
    auto conn = engine.connect();
    conn.execute(sa::insert<Pet>().values(std::vector<Pet>{{.name = "rex"}, {.name = "tom"}}));

    auto result = conn.execute(sa::select(pet_name).order_by(pet_id));
    std::vector<std::string> names;
    while (result.next_row()) names.emplace_back(result.current_row().read_text(0));
    CHECK(names == std::vector<std::string>{"rex", "tom"});
    CHECK_FALSE(result.next_row());
    CHECK_THROWS_AS(result.current_row(), sa::InvalidRequestError);
    CHECK_THROWS_WITH(result.current_row(), Catch::Matchers::Contains("this Result has no current row"));
}
