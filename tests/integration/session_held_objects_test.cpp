// The Session holds its objects weakly (orm/detail/model_set.hpp): an object the program
// dropped leaves the session once it has nothing to flush, and no change is ever lost that
// way. Autoflush still shows every change, pending object and deletion to the next query.
#include "support/backends.hpp"

#include <alchemy/alchemy.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace sa = alchemy;
using sa::test::backends;

namespace held {

struct Person {
    std::int64_t id = 0;
    std::string name{};
    std::int32_t age = 0;
};

}  // namespace held

template <>
inline constexpr auto sa::mapping<held::Person> = sa::table("people");

using held::Person;

namespace {

constexpr int people = 50;

/// `people` rows named p0, p1, ... aged 0, 1, ...; returns their ids in that order.
std::vector<std::int64_t> seed(sa::Engine& engine) {
    sa::metadata<Person>().create_all(engine);
    sa::Session session(engine);
    std::vector<std::shared_ptr<Person>> added;
    for (int i = 0; i < people; ++i)
        added.push_back(session.add(Person{.name = "p" + std::to_string(i), .age = i}));
    session.commit();
    std::vector<std::int64_t> ids;
    for (const auto& p : added) ids.push_back(p->id);
    return ids;
}

std::size_t selects(const sa::test::EchoCapture& capture) {
    return static_cast<std::size_t>(
        std::count_if(capture.lines.begin(), capture.lines.end(),
                      [](const std::string& l) { return l.starts_with("SELECT"); }));
}

std::int32_t age_in_database(sa::Engine& engine, std::int64_t id) {
    auto conn = engine.connect();
    return conn.execute(sa::select(sa::col<&Person::age>).where(sa::col<&Person::id> == id)).scalar_one();
}

}  // namespace

TEST_CASE("objects the program dropped leave the session once they have nothing to flush") {
    auto backend = GENERATE(from_range(backends()));
    sa::test::EchoCapture capture;
    auto engine = backend.engine({.echo = true, .echo_sink = capture.sink()});
    const auto ids = seed(engine);
    sa::Session session(engine);

    auto kept = session.get<Person>(ids[0]);
    { auto everyone = session.query<Person>().all(); }  // loaded, then dropped
    session.flush();                                    // nothing to write; lets them go

    capture.lines.clear();
    CHECK(session.get<Person>(ids[0]) == kept);  // still held: the identity map has it
    CHECK(selects(capture) == 0);
    auto again = session.get<Person>(ids[1]);  // dropped: loaded anew
    CHECK(selects(capture) == 1);
    REQUIRE(again);
    CHECK(again->name == "p1");
    session.commit();
}

TEST_CASE("a change to an object the program then dropped is never lost") {
    auto backend = GENERATE(from_range(backends()));
    sa::test::EchoCapture capture;
    auto engine = backend.engine({.echo = true, .echo_sink = capture.sink()});
    const auto ids = seed(engine);
    sa::Session session(engine);

    SECTION("the next query sees it through autoflush") {
        session.get<Person>(ids[3])->age = 300;
        CHECK(session.query<Person>().filter(sa::col<&Person::age> == 300).count() == 1);
        session.commit();
        CHECK(age_in_database(engine, ids[3]) == 300);
    }
    SECTION("commit writes it") {
        session.get<Person>(ids[4])->age = 400;
        session.commit();
        CHECK(age_in_database(engine, ids[4]) == 400);
    }
    SECTION("get hands it out again with the change and no SELECT") {
        session.get<Person>(ids[5])->age = 500;
        capture.lines.clear();
        auto same = session.get<Person>(ids[5]);
        CHECK(selects(capture) == 0);
        REQUIRE(same);
        CHECK(same->age == 500);
        CHECK(sa::inspect(same).persistent());
        CHECK(session.is_modified(same));
        session.commit();
        CHECK(age_in_database(engine, ids[5]) == 500);
    }
    SECTION("a rollback drops it") {
        session.get<Person>(ids[6])->age = 600;
        session.rollback();
        CHECK(session.get<Person>(ids[6])->age == 6);
        CHECK(age_in_database(engine, ids[6]) == 6);
    }
}

TEST_CASE("a pending object and a deletion the program dropped are flushed") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    const auto ids = seed(engine);
    sa::Session session(engine);

    session.add(Person{.name = "newcomer", .age = 77});  // the pointer is dropped at once
    session.delete_(session.get<Person>(ids[7]));
    // The next query sees both.
    CHECK(session.query<Person>().filter(sa::col<&Person::name> == "newcomer").count() == 1);
    CHECK(session.query<Person>().filter(sa::col<&Person::id> == ids[7]).count() == 0);
    session.commit();

    sa::Session check(engine);
    CHECK(check.query<Person>().count() == people);  // one in, one out
    CHECK(check.get<Person>(ids[7]) == nullptr);
}

TEST_CASE("an object the program made is held until it leaves the session, then only by the program") {
    auto backend = GENERATE(from_range(backends()));
    sa::test::EchoCapture capture;
    auto engine = backend.engine({.echo = true, .echo_sink = capture.sink()});
    const auto ids = seed(engine);
    sa::Session session(engine);

    // Objects made with std::make_shared, between objects the session made, so that the
    // session's list has both kinds when it lets go of some and closes up the rest.
    std::weak_ptr<Person> watched;
    std::int64_t made_id = 0;
    {
        auto made = std::make_shared<Person>(Person{.name = "made", .age = 21});
        watched = made;
        session.add(made);
        session.get<Person>(ids[1])->age = 101;  // session-made, changed, dropped
        session.add(std::make_shared<Person>(Person{.name = "made too", .age = 22}));  // dropped at once
        session.flush();
        made_id = made->id;
    }
    // The program holds neither of its own objects now: the session does.
    REQUIRE_FALSE(watched.expired());
    capture.lines.clear();
    auto again = session.get<Person>(made_id);
    CHECK(selects(capture) == 0);
    CHECK(again == watched.lock());
    again->age = 31;
    again.reset();
    session.commit();
    CHECK(age_in_database(engine, made_id) == 31);
    CHECK(age_in_database(engine, ids[1]) == 101);
    sa::Session check(engine);
    CHECK(check.query<Person>().filter(sa::col<&Person::name> == "made too").count() == 1);

    // Leaving the session, it is the program's again: freed once nothing holds it.
    auto held = watched.lock();
    REQUIRE(held);
    session.expunge(held);
    CHECK(sa::inspect(held).detached());
    held.reset();
    CHECK(watched.expired());
}

TEST_CASE("a pending object the program dropped leaves the session at the flush that inserts it") {
    auto backend = GENERATE(from_range(backends()));
    sa::test::EchoCapture capture;
    auto engine = backend.engine({.echo = true, .echo_sink = capture.sink()});
    seed(engine);
    sa::Session session(engine);
    for (const bool commit : {false, true}) {
        session.add(Person{.id = 1000, .name = "dropped", .age = 70});  // the pointer goes at once
        auto kept = session.add(Person{.id = 1001, .name = "kept", .age = 71});
        session.flush();

        capture.lines.clear();
        CHECK(session.get<Person>(1001) == kept);  // held: still in the identity map
        CHECK(selects(capture) == 0);
        CHECK(sa::inspect(kept).persistent());
        auto dropped = session.get<Person>(1000);  // let go after its INSERT: read back
        CHECK(selects(capture) == 1);
        REQUIRE(dropped);
        CHECK(dropped->name == "dropped");
        CHECK(dropped->age == 70);
        CHECK(sa::inspect(dropped).persistent());
        dropped->age = 80;  // the session's object like any other
        dropped.reset();
        if (!commit) {
            session.rollback();  // takes both rows back
            CHECK(sa::inspect(kept).transient());
            CHECK(session.get<Person>(1000) == nullptr);
            CHECK(session.get<Person>(1001) == nullptr);
            continue;
        }
        session.commit();
        CHECK(age_in_database(engine, 1000) == 80);
        CHECK(age_in_database(engine, 1001) == 71);
    }
}

TEST_CASE("autoflush shows a held object's change, a pending object and a deletion to the next query") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    const auto ids = seed(engine);
    sa::Session session(engine);
    auto everyone = session.query<Person>().all();
    REQUIRE(everyone.size() == people);

    everyone[10]->age = 1000;
    auto added = session.add(Person{.name = "added", .age = 1000});
    session.delete_(everyone[11]);

    const auto found =
        session.query<Person>().filter(sa::col<&Person::age> == 1000).order_by(sa::col<&Person::id>).all();
    REQUIRE(found.size() == 2);
    CHECK(found[0] == everyone[10]);
    CHECK(found[1] == added);
    CHECK(session.query<Person>().count() == people);
    CHECK(session.get<Person>(ids[11]) == nullptr);
    session.rollback();
}

TEST_CASE("no_autoflush() holds changes back from queries until the guard ends") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    const auto ids = seed(engine);
    sa::Session session(engine);
    auto changed = session.get<Person>(ids[12]);
    changed->age = 1200;
    {
        auto guard = session.no_autoflush();
        CHECK(session.query<Person>().filter(sa::col<&Person::age> == 1200).count() == 0);
        CHECK(session.get<Person>(ids[13])->age == 13);  // a get that selects does not flush either
        CHECK(session.is_modified(changed));
        {
            auto inner = session.no_autoflush();  // nested guards restore what they found
        }
        CHECK(session.query<Person>().filter(sa::col<&Person::age> == 1200).count() == 0);
    }
    CHECK(session.query<Person>().filter(sa::col<&Person::age> == 1200).count() == 1);
    CHECK_FALSE(session.is_modified(changed));
    session.commit();
    CHECK(age_in_database(engine, ids[12]) == 1200);

    sa::Session manual(engine, {.autoflush = false});
    { auto guard = manual.no_autoflush(); }
    CHECK_FALSE(manual.options().autoflush);  // the guard gives back the option's own value
}
