// Queries through the Session on both backends: session.query<T>() (filter, filter_by,
// order_by, limit, offset, all/first/one/one_or_none/count/exists/get), autoflush, bulk
// update()/delete_() with each synchronize_session, and session.scalars()/execute().
#include "support/backends.hpp"
#include "support/matchers.hpp"

#include <alchemy/alchemy.hpp>

#include <fmt/format.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace sa = alchemy;
using sa::test::backends;
using sa::test::count_starting_with;
using sa::test::MessageContains;

namespace sq {

struct Person {
    std::int64_t id = 0;
    std::string name{};
    std::int32_t age = 0;
    std::optional<std::string> city{};
};

struct Pet {
    std::int64_t id = 0;
    std::int64_t owner_id = 0;
    std::string name{};
};

/// In a table made by hand whose name column has a collation of its own.
struct Collated {
    std::int64_t id = 0;
    std::string name{};
    std::int64_t age = 0;
    double weight = 0;
};

/// Versioned, with a level stored as its name.
enum class Level { low, high };
struct Ticket {
    std::int64_t id = 0;
    Level level = Level::low;
    std::string note{};
    std::int32_t version = 0;
};

}  // namespace sq

template <>
inline constexpr auto sa::mapping<sq::Person> = sa::table("people");
template <>
inline constexpr auto sa::mapping<sq::Pet> = sa::table("pets");
template <>
inline constexpr auto sa::mapping<sq::Collated> = sa::table("collated_people");
template <>
inline constexpr auto sa::mapping<sq::Ticket> =
    sa::table("tickets", sa::version(&sq::Ticket::version), sa::enum_as_text(&sq::Ticket::level));

using sq::Person;

namespace {

constexpr auto id = sa::col<&Person::id>;
constexpr auto name = sa::col<&Person::name>;
constexpr auto age = sa::col<&Person::age>;
constexpr auto city = sa::col<&Person::city>;

const std::optional<std::string> no_city{};

/// ann 30 Oslo, bob 25 -, cid 35 Rome, dan 25 Oslo, eve 40 -; ids in that order.
void seed_people(sa::Engine& engine) {
    sa::metadata<Person>().create_all(engine);
    sa::Session session(engine);
    session.add_all(std::vector<Person>{{.name = "ann", .age = 30, .city = "Oslo"},
                                        {.name = "bob", .age = 25},
                                        {.name = "cid", .age = 35, .city = "Rome"},
                                        {.name = "dan", .age = 25, .city = "Oslo"},
                                        {.name = "eve", .age = 40}});
    session.commit();
}

std::vector<std::string> names_of(const std::vector<std::shared_ptr<Person>>& people) {
    std::vector<std::string> out;
    for (const auto& p : people) out.push_back(p->name);
    return out;
}

using Names = std::vector<std::string>;

std::int32_t age_in_database(sa::Engine& engine, const std::string& who) {
    auto conn = engine.connect();
    return conn.execute(sa::select(age).where(name == who)).scalar_one();
}

}  // namespace

// Reading ------------------------------------------------------------------------------------------------

TEST_CASE("query<T>() filters, orders and pages") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    seed_people(engine);
    sa::Session session(engine);
    auto people = session.query<Person>();

    CHECK(names_of(people.order_by(id).all()) == Names{"ann", "bob", "cid", "dan", "eve"});
    CHECK(names_of(people.filter(age >= 30).order_by(name).all()) == Names{"ann", "cid", "eve"});
    CHECK(names_of(people.filter(age >= 30).filter(city == "Oslo").all()) == Names{"ann"});  // ANDed
    CHECK(names_of(people.filter(age == 25 || city == "Rome").order_by(id).all()) ==
          Names{"bob", "cid", "dan"});
    CHECK(names_of(people.filter(city.is_null()).order_by(id).all()) == Names{"bob", "eve"});

    CHECK(names_of(people.filter_by<&Person::city>("Oslo").order_by(id).all()) == Names{"ann", "dan"});
    CHECK(names_of(people.filter_by<&Person::city>(no_city).order_by(id).all()) ==
          Names{"bob", "eve"});  // IS NULL
    CHECK(names_of(people.filter_by<&Person::age>(25).filter_by<&Person::city>(no_city).all()) ==
          Names{"bob"});
    CHECK(names_of(people.filter_by<&Person::age>(25).filter(name != "bob").all()) == Names{"dan"});

    CHECK(names_of(people.order_by(age.desc(), name).all()) == Names{"eve", "cid", "ann", "bob", "dan"});
    CHECK(names_of(people.order_by(age).order_by(name.desc()).all()) ==
          Names{"dan", "bob", "ann", "cid", "eve"});
    CHECK(names_of(people.order_by(id).limit(2).all()) == Names{"ann", "bob"});
    CHECK(names_of(people.order_by(id).offset(3).all()) == Names{"dan", "eve"});
    CHECK(names_of(people.order_by(id).offset(1).limit(2).all()) == Names{"bob", "cid"});
    CHECK(names_of(people.order_by(id).limit(2).offset(1).all()) == Names{"bob", "cid"});

    auto oldest = people.order_by(age.desc()).first();
    REQUIRE(oldest);
    CHECK(oldest->name == "eve");
    CHECK(people.filter(age > 100).first() == nullptr);

    CHECK(people.filter(name == "cid").one()->age == 35);
    CHECK_THROWS_AS(people.filter(name == "nobody").one(), sa::NoResultFound);
    CHECK_THROWS_AS(people.filter(age == 25).one(), sa::MultipleResultsFound);
    CHECK(people.filter(name == "nobody").one_or_none() == nullptr);
    CHECK(people.filter(name == "dan").one_or_none()->age == 25);
    CHECK_THROWS_AS(people.filter(age == 25).one_or_none(), sa::MultipleResultsFound);

    CHECK(people.count() == 5);
    CHECK(people.filter(age == 25).count() == 2);
    CHECK(people.filter_by<&Person::city>(no_city).count() == 2);
    CHECK(people.order_by(id).limit(3).count() == 3);
    CHECK(people.order_by(id).offset(4).count() == 1);
    CHECK(people.exists());
    CHECK(people.filter(city == "Rome").exists());
    CHECK_FALSE(people.filter(city == "Paris").exists());

    auto dan = people.filter(name == "dan").one();
    CHECK(people.get(dan->id) == dan);
    CHECK(people.get(std::int64_t{9999}) == nullptr);
    CHECK(session.get<Person>(dan->id) == dan);

    // statement(): the query as a Core select, usable as a subquery.
    auto adults = session.query<Person>().filter(age >= 30).statement();
    CHECK(session.scalars(adults.order_by(id)).all().size() == 3);
}

TEST_CASE("query<T>().statement() may read the enclosing statement's table, as a correlated subquery") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    seed_people(engine);
    sa::metadata<sq::Pet>().create_all(engine);
    sa::Session session(engine);
    const auto ann = session.query<Person>().filter(name == "ann").one();
    const auto eve = session.query<Person>().filter(name == "eve").one();
    session.add(sq::Pet{.owner_id = ann->id, .name = "rex"});
    session.add(sq::Pet{.owner_id = eve->id, .name = "tom"});
    session.flush();
    // Run alone it could not (a compile-fail test shows that); inside EXISTS, Person
    // comes from the outer FROM.
    const auto pets_of_person =
        session.query<sq::Pet>().filter(sa::col<&sq::Pet::owner_id> == id).statement();
    const auto owners =
        session.scalars(sa::select<Person>().where(sa::exists(pets_of_person)).order_by(id)).all();
    CHECK(names_of(owners) == std::vector<std::string>{"ann", "eve"});
}

TEST_CASE("filter_by<&T::field>() renders its SQL once per statement shape and binds each value") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    seed_people(engine);
    sa::Session session(engine);
    auto people = session.query<Person>();

    // A non-optional field: one text for every value, rendered once.
    using ByName = decltype(people.filter_by<&Person::name>(std::string()).statement());
    STATIC_REQUIRE(ByName::fixed_shape);
    const auto ann = people.filter_by<&Person::name>("ann").statement().sql(engine.dialect());
    const auto bob = people.filter_by<&Person::name>("bob").statement().sql(engine.dialect());
    CHECK(ann == bob);
    // The text is the cache's: asking the cache again does not render.
    bool rendered_again = false;
    const auto& cached = sa::detail::sql_cache<ByName>::get(engine.dialect(), [&](const sa::Dialect&) {
        rendered_again = true;
        return std::string();
    });
    CHECK(cached == ann);
    CHECK_FALSE(rendered_again);
    CHECK(people.filter_by<&Person::name>("ann").one()->age == 30);
    CHECK(people.filter_by<&Person::name>("bob").one()->age == 25);

    // An optional field given a plain value: still `= ?`, one text.
    using ByCityName = decltype(people.filter_by<&Person::city>("Rome").statement());
    STATIC_REQUIRE(ByCityName::fixed_shape);
    // Given an optional: `= ?` or IS NULL as the value asks (an index serves both), so
    // rendered each time.
    using ByMaybeCity = decltype(people.filter_by<&Person::city>(no_city).statement());
    STATIC_REQUIRE_FALSE(ByMaybeCity::fixed_shape);
    const std::optional<std::string> rome = "Rome";
    CHECK(people.filter_by<&Person::city>(no_city).statement().sql(engine.dialect()).find("IS NULL") !=
          std::string::npos);
    CHECK(people.filter_by<&Person::city>(rome).statement().sql(engine.dialect()).find("IS NULL") ==
          std::string::npos);
    CHECK(people.filter_by<&Person::city>(rome).one()->name == "cid");
    CHECK(people.filter_by<&Person::city>("Rome").one()->name == "cid");
}
TEST_CASE("autoflush lets a query see pending and changed objects, and without it they stay unseen") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    seed_people(engine);

    {
        sa::Session session(engine);
        auto fay = session.add(Person{.name = "fay", .age = 50});
        CHECK(session.query<Person>().filter(age >= 50).one() == fay);
        CHECK(sa::inspect(fay).persistent());
        auto ann = session.query<Person>().filter(name == "ann").one();
        ann->age = 99;
        CHECK(session.query<Person>().filter(age == 99).one() == ann);
        CHECK(session.query<Person>().count() == 6);
        CHECK(session.query<Person>().filter(age == 99).exists());
        session.rollback();
    }
    {
        sa::Session session(engine, {.autoflush = false});
        auto gus = session.add(Person{.name = "gus", .age = 60});
        CHECK(session.query<Person>().filter(name == "gus").one_or_none() == nullptr);
        CHECK(session.query<Person>().count() == 5);
        CHECK_FALSE(session.query<Person>().filter(age >= 60).exists());
        CHECK(session.scalars(sa::select<Person>().where(name == "gus")).first() == nullptr);
        CHECK(sa::inspect(gus).pending());
        session.flush();
        CHECK(session.query<Person>().filter(name == "gus").one() == gus);
        session.commit();
    }
    CHECK(age_in_database(engine, "gus") == 60);
}

// Bulk UPDATE and DELETE ---------------------------------------------------------------------------------

TEST_CASE("bulk update() brings loaded objects up to date with evaluate and fetch, not with none") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    seed_people(engine);

    using sync = sa::synchronize_session;
    for (auto mode : {sync::evaluate, sync::fetch, sync::auto_, sync::none}) {
        INFO("synchronize_session " << static_cast<int>(mode));
        sa::Session session(engine);
        auto everyone = session.query<Person>().order_by(id).all();
        REQUIRE(everyone.size() == 5);
        auto ann = everyone[0];
        auto bob = everyone[1];

        // Criteria of numbers and NULLs: evaluate computes them in C++ (not text, whose
        // comparison is the column collation's).
        CHECK(session.query<Person>().filter(id == ann->id).update(age = age + 1, mode) == 1);
        CHECK(session.execute(sa::select(age).where(name == "ann")).scalar_one() == 31);
        if (mode == sync::none) {
            CHECK(ann->age == 30);  // left as it was until refreshed
            session.refresh(ann);
        }
        CHECK(ann->age == 31);
        CHECK_FALSE(session.is_modified(ann));  // the new value is what the database has
        CHECK(bob->age == 25);

        // Several columns, NULL conditions, several objects.
        CHECK(session.query<Person>().filter(city.is_null()).update(city = "Nowhere", age = age * 2, mode) ==
              2);
        if (mode == sync::none) {
            CHECK(bob->city == no_city);
            session.expire_all();
            CHECK(session.query<Person>().order_by(id).all() == everyone);  // reloads them
        }
        CHECK(bob->city == std::optional<std::string>("Nowhere"));
        CHECK(bob->age == 50);
        CHECK(everyone[4]->city == std::optional<std::string>("Nowhere"));
        CHECK(everyone[4]->age == 80);
        CHECK(everyone[2]->city == std::optional<std::string>("Rome"));  // not matched

        session.commit();
        CHECK(age_in_database(engine, "ann") == 31);
        CHECK(age_in_database(engine, "eve") == 80);
        // Back to the seeded rows for the next mode.
        session.query<Person>().filter(name == "ann").update(age = 30);
        session.query<Person>().filter(city == "Nowhere").update(city = sa::null, age = age / 2);
        session.commit();
    }
}

// As in Core's update(): PostgreSQL refuses a column SET twice and SQLite keeps the last,
// so the later assignment is the one sent, and the objects take the same value.
TEST_CASE("bulk update() assigning one column twice writes the later value") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    seed_people(engine);

    using sync = sa::synchronize_session;
    for (auto mode : {sync::evaluate, sync::fetch, sync::none}) {
        INFO("synchronize_session " << static_cast<int>(mode));
        sa::Session session(engine);
        auto ann = session.query<Person>().filter(name == "ann").one();
        CHECK(session.query<Person>()
                  .filter(id == ann->id)
                  .update(age = std::int32_t{1}, city = "Bergen", age = age + 5, mode) == 1);
        if (mode == sync::none) session.refresh(ann);
        CHECK(ann->age == 35);
        CHECK(ann->city == std::optional<std::string>("Bergen"));
        session.commit();
        CHECK(age_in_database(engine, "ann") == 35);
        session.query<Person>().filter(name == "ann").update(age = std::int32_t{30}, city = "Oslo");
        session.commit();
    }
}

TEST_CASE("a bulk update leaves each loaded object as its row, whatever the text column's collation") {
    auto backend = GENERATE(from_range(backends()));
    using sq::Collated;
    constexpr auto c_name = sa::col<&Collated::name>;
    constexpr auto c_age = sa::col<&Collated::age>;
    constexpr auto c_weight = sa::col<&Collated::weight>;
    sa::test::EchoCapture capture;
    auto engine = backend.engine({.echo = true, .echo_sink = capture.sink()});
    {
        // SQLite's NOCASE matches 'ann' with 'ANN'; ICU's root order puts 'B' after 'a',
        // where the bytes put it before.
        auto conn = engine.connect();
        conn.execute_script(fmt::format(
            "CREATE TABLE collated_people (id INTEGER PRIMARY KEY, name TEXT NOT NULL COLLATE {}, "
            "age BIGINT NOT NULL, weight DOUBLE PRECISION NOT NULL)",
            backend.is_sqlite() ? "NOCASE" : "\"und-x-icu\""));
        conn.execute(sa::insert<Collated>().values(
            std::vector<Collated>{{.id = 1, .name = "ANN", .age = 30, .weight = 7},
                                  {.id = 2, .name = "B", .age = 30, .weight = 8}}));
        conn.commit();
    }
    sa::Session session(engine);
    const auto ann = session.get<Collated>(std::int64_t{1});
    const auto bee = session.get<Collated>(std::int64_t{2});
    REQUIRE(ann);
    REQUIRE(bee);
    // Each object must hold what its row holds, as the Session's transaction reads it.
    const auto as_in_database = [&] {
        for (const auto& object : {ann, bee}) {
            INFO("id " << object->id);
            CHECK(
                session.execute(sa::select(c_age).where(sa::col<&Collated::id> == object->id)).scalar_one() ==
                object->age);
        }
    };

    // The collation decides which rows match: C++ cannot, so evaluate refuses before
    // sending anything, and auto_ fetches the rows the UPDATE changed.
    capture.lines.clear();
    CHECK_THROWS_MATCHES(session.query<Collated>()
                             .filter(c_name == "ann")
                             .update(c_age = 1, sa::synchronize_session::evaluate),
                         sa::ArgumentError, MessageContains("fetch"));
    CHECK_THROWS_AS(session.query<Collated>()
                        .filter(c_name.in_(std::vector<std::string>{"ann"}))
                        .delete_(sa::synchronize_session::evaluate),
                    sa::ArgumentError);
    CHECK(capture.lines.empty());
    CHECK(session.query<Collated>().filter(c_name == "ann").update(c_age = 40) ==
          (backend.is_sqlite() ? 1 : 0));
    CHECK_THAT(capture.lines.front(), Catch::Matchers::Contains("RETURNING"));
    CHECK(session.query<Collated>().filter(c_name < "a").update(c_age = 50) == 0);
    CHECK(session.query<Collated>().filter(c_name.between("a", "an")).update(c_age = 60) == 0);
    as_in_database();
    CHECK(bee->age == 30);
    if (backend.is_sqlite()) {
        // SQLite takes % of a REAL on its integer parts (PostgreSQL has no such operator):
        // 7 % 2 = 1, which C++ could not tell.
        CHECK(session.query<Collated>().filter(c_weight % 2.5 == 1).update(c_age = 70) == 1);
        CHECK(ann->age == 70);
        as_in_database();
    }
    session.commit();
}

TEST_CASE("a bulk update or delete leaves each loaded object as its row, or fails") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    seed_people(engine);
    sa::Session session(engine);
    auto ann = session.query<Person>().filter(name == "ann").one();
    const auto ann_id = ann->id;

    // A fraction put in an integer column: PostgreSQL rounds 30 * 1.5 + 0.6 to 46, SQLite
    // stores 45.6. C++ cannot tell, so an explicit evaluate refuses before sending
    // anything, and auto_ reads the rows back (fetch): 46, and on SQLite a REAL that an
    // integer field cannot hold, which is an error.
    CHECK_THROWS_AS(session.query<Person>()
                        .filter(id == ann_id)
                        .update(age = age * 1.5, sa::synchronize_session::evaluate),
                    sa::ArgumentError);
    if (backend.is_postgresql()) {
        session.query<Person>().filter(id == ann_id).update(age = age * 1.5 + 0.6);
        CHECK(ann->age == 46);
    } else {
        CHECK_THROWS_AS(session.query<Person>().filter(id == ann_id).update(age = age * 1.5 + 0.6),
                        sa::DataError);
    }
    session.rollback();

    // A change made inside no_autoflush() is not what the UPDATE reads: the row is.
    ann = session.get<Person>(ann_id);
    {
        auto guard = session.no_autoflush();
        ann->age = 50;
        session.query<Person>().filter(id == ann_id && age == 30).update(age = age + 1);
    }
    CHECK(ann->age == 31);
    CHECK(age_in_database(engine, "ann") == 30);  // not committed yet
    session.commit();
    CHECK(age_in_database(engine, "ann") == 31);

    // An expired object is not guessed at: deleted behind its back, it loads as gone.
    {
        auto conn = engine.connect();
        conn.execute(sa::update<Person>().where(id == ann_id).values(age = 77));
        conn.commit();
    }
    CHECK(session.query<Person>().filter(age == 77).delete_() == 1);
    CHECK(session.get<Person>(ann_id) == nullptr);
    session.commit();
}

TEST_CASE("a bulk update of a versioned model moves the version, so a stale writer fails") {
    auto backend = GENERATE(from_range(backends()));
    using sq::Level;
    using sq::Ticket;
    constexpr auto t_id = sa::col<&Ticket::id>;
    constexpr auto t_level = sa::col<&Ticket::level>;
    constexpr auto t_note = sa::col<&Ticket::note>;
    auto engine = backend.engine();
    sa::metadata<Ticket>().create_all(engine);
    std::int64_t ticket_id = 0;
    {
        sa::Session setup(engine);
        auto ticket = setup.add(Ticket{.level = Level::low, .note = "n"});
        setup.commit();
        ticket_id = ticket->id;
    }
    sa::Session stale(engine, {.expire_on_commit = false});
    auto held = stale.get<Ticket>(ticket_id);
    REQUIRE(held);
    CHECK(held->version == 1);
    stale.commit();  // the object stays as read (on SQLite, a reader would hold off the writer)

    sa::Session bulk(engine);
    auto mine = bulk.get<Ticket>(ticket_id);
    // An enum stored as text compares as text there ('low' > 'high'): fetch, not C++.
    CHECK(bulk.query<Ticket>().filter(t_level < Level::high).update(t_note = std::string("bulk")) == 0);
    CHECK(mine->note == "n");
    CHECK(bulk.query<Ticket>().filter(t_id == ticket_id).update(t_note = std::string("bulk")) == 1);
    CHECK(mine->note == "bulk");
    CHECK(mine->version == 2);
    bulk.commit();

    held->note = "stale writer";
    CHECK_THROWS_AS(stale.commit(), sa::StaleDataError);
    stale.rollback();
    auto conn = engine.connect();
    CHECK(conn.execute(sa::select(t_note).where(t_id == ticket_id)).scalar_one() == "bulk");
}

TEST_CASE("evaluate refuses LIKE before running anything, and auto_ falls back to fetch for it") {
    auto backend = GENERATE(from_range(backends()));
    sa::test::EchoCapture capture;
    auto engine = backend.engine({.echo = true, .echo_sink = capture.sink()});
    seed_people(engine);
    sa::Session session(engine);
    auto ann = session.query<Person>().filter(name == "ann").one();

    capture.lines.clear();
    CHECK_THROWS_MATCHES(
        session.query<Person>().filter(name.like("a%")).update(age = 1, sa::synchronize_session::evaluate),
        sa::ArgumentError, MessageContains("fetch"));
    CHECK_THROWS_AS(
        session.query<Person>().filter(name.like("a%")).delete_(sa::synchronize_session::evaluate),
        sa::ArgumentError);
    CHECK(capture.lines.empty());
    CHECK(ann->age == 30);

    // auto_: LIKE cannot be evaluated, so the UPDATE returns the rows it changed.
    CHECK(session.query<Person>().filter(name.like("a%")).update(age = age + 5) == 1);
    CHECK(ann->age == 35);
    CHECK(count_starting_with(capture.lines, "UPDATE") == 1);
    CHECK_THAT(capture.lines.front(), Catch::Matchers::Contains("RETURNING"));
    session.commit();
    CHECK(age_in_database(engine, "ann") == 35);

    // order_by / limit / offset make no sense for a bulk statement.
    CHECK_THROWS_AS(session.query<Person>().order_by(id).update(age = 1), sa::ArgumentError);
    CHECK_THROWS_AS(session.query<Person>().limit(1).delete_(), sa::ArgumentError);
    CHECK_THROWS_AS(session.query<Person>().offset(1).delete_(), sa::ArgumentError);
    CHECK(session.query<Person>().count() == 5);
}

TEST_CASE("bulk delete_() marks the matching loaded objects deleted with evaluate and fetch") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    seed_people(engine);

    using sync = sa::synchronize_session;
    for (auto mode : {sync::evaluate, sync::fetch, sync::auto_, sync::none}) {
        INFO("synchronize_session " << static_cast<int>(mode));
        sa::Session session(engine);
        auto everyone = session.query<Person>().order_by(id).all();
        REQUIRE(everyone.size() == 5);
        auto bob = everyone[1];
        auto dan = everyone[3];

        CHECK(session.query<Person>().filter(age == 25).delete_(mode) == 2);
        CHECK(session.query<Person>().count() == 3);
        if (mode == sync::none) {
            CHECK(sa::inspect(bob).persistent());  // the session was not told
        } else {
            CHECK(sa::inspect(bob).deleted());
            CHECK(sa::inspect(dan).deleted());
            CHECK(session.get<Person>(bob->id) == nullptr);
        }
        CHECK(sa::inspect(everyone[0]).persistent());

        // Rolled back, the rows return and so do the objects.
        session.rollback();
        CHECK(sa::inspect(bob).persistent());
        CHECK(session.query<Person>().count() == 5);
        CHECK(session.get<Person>(bob->id) == bob);
    }

    // Committed, the deleted objects end detached. LIKE with auto_ deletes through fetch.
    sa::Session session(engine);
    auto everyone = session.query<Person>().order_by(id).all();
    CHECK(session.query<Person>().filter(name.like("%a%")).delete_() == 2);  // ann, dan
    CHECK(sa::inspect(everyone[0]).deleted());
    CHECK(sa::inspect(everyone[3]).deleted());
    CHECK(sa::inspect(everyone[1]).persistent());
    session.commit();
    CHECK(sa::inspect(everyone[0]).detached());
    CHECK(sa::inspect(everyone[1]).persistent());
    CHECK(session.query<Person>().count() == 3);
}

// Core statements in the session ---------------------------------------------------------------------

TEST_CASE("session.scalars() gives the session's objects and session.execute() column rows") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    seed_people(engine);
    sa::Session session(engine);

    auto twenty_fives = session.scalars(sa::select<Person>().where(age == 25).order_by(id)).all();
    REQUIRE(twenty_fives.size() == 2);
    CHECK(names_of(twenty_fives) == Names{"bob", "dan"});
    CHECK(session.scalars(sa::select<Person>().where(name == "bob")).one() == twenty_fives[0]);
    CHECK(session.scalars(sa::select<Person>().where(age == 25).order_by(id.desc())).first() ==
          twenty_fives[1]);
    CHECK(session.scalars(sa::select<Person>().where(name == "zed")).first() == nullptr);
    CHECK_THROWS_AS(session.scalars(sa::select<Person>().where(name == "zed")).one(), sa::NoResultFound);
    CHECK_THROWS_AS(session.scalars(sa::select<Person>().where(age == 25)).one(), sa::MultipleResultsFound);
    CHECK(session.scalars(sa::select<Person>().where(name == "zed")).one_or_none() == nullptr);
    std::size_t looped = 0;
    for (const auto& person : session.scalars(sa::select<Person>())) looped += person->id != 0 ? 1 : 0;
    CHECK(looped == 5);

    CHECK(session.execute(sa::select(name).where(age >= 35).order_by(name)).all() == Names{"cid", "eve"});
    auto rows = session.execute(sa::select(name, age).where(city == "Oslo").order_by(id)).all();
    REQUIRE(rows.size() == 2);
    CHECK(std::get<0>(rows[1]) == "dan");
    CHECK(std::get<1>(rows[1]) == 25);

    // execute() autoflushes and runs in the session's transaction.
    auto fay = session.add(Person{.name = "fay", .age = 50});
    CHECK(session.execute(sa::select(id).where(name == "fay")).scalar_one() == fay->id);
    session.execute(sa::insert<Person>().values(Person{.name = "gus", .age = 60}));
    CHECK(session.query<Person>().count() == 7);
    session.rollback();
    CHECK(session.query<Person>().count() == 5);
    CHECK(sa::inspect(fay).transient());
}
