// What a rollback, a SAVEPOINT's rollback and close() leave in the objects after a flush
// wrote to their rows: each snapshot holds the row as the database has it again, so that
// no change is mistaken for none, no version is off by one and no write goes to a row
// that took an object's new key. Also: add() of an object whose DELETE was flushed, and
// bulk UPDATEs that move primary keys.
#include "support/backends.hpp"
#include "support/matchers.hpp"

#include <alchemy/alchemy.hpp>

#include <catch2/catch.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>

namespace sa = alchemy;
using sa::test::backends;
using sa::test::MessageContains;

namespace rb {

struct Item {
    std::int64_t id = 0;
    std::string name{};
    std::int64_t qty = 0;
};

struct Doc {
    std::int64_t id = 0;
    std::string body{};
    std::int32_t version = 0;
};

}  // namespace rb

template <>
inline constexpr auto sa::mapping<rb::Item> = sa::table("rb_items", sa::unique(&rb::Item::name));
template <>
inline constexpr auto sa::mapping<rb::Doc> = sa::table("rb_docs", sa::version(&rb::Doc::version));

using rb::Doc;
using rb::Item;

namespace {

/// The backend's engine, with the items table made.
sa::Engine items_engine(const sa::test::Backend& backend, sa::EngineOptions options = {}) {
    auto engine = backend.engine(std::move(options));
    sa::metadata<Item>().create_all(engine);
    return engine;
}

/// Commits an item and returns its key.
std::int64_t seed_item(sa::Engine& engine, std::string name, std::int64_t qty) {
    sa::Session session(engine);
    auto item = session.add(Item{.name = std::move(name), .qty = qty});
    session.commit();
    return item->id;
}

/// The quantity of item `id` as another connection reads it; nullopt without a row.
std::optional<std::int64_t> qty_in_database(sa::Engine& engine, std::int64_t id) {
    auto conn = engine.connect();
    return conn.execute(sa::select(sa::col<&Item::qty>).where(sa::col<&Item::id> == id)).scalar_one_or_none();
}

std::int64_t count_items(sa::Engine& engine) {
    auto conn = engine.connect();
    return conn.execute(sa::text("SELECT count(*) FROM rb_items").columns<std::int64_t>()).scalar_one();
}

}  // namespace

TEST_CASE("a rollback puts back the snapshot a flush rewrote, so the same change made again is written") {
    auto engine = items_engine(GENERATE(from_range(backends())));
    const auto id = seed_item(engine, "widget", 1);

    sa::Session session(engine);
    auto item = session.get<Item>(id);
    item->qty = 2;
    session.flush();
    session.rollback();
    CHECK(sa::inspect(item).expired());
    CHECK(item->qty == 1);  // the row's value again, not the rolled-back one
    CHECK_FALSE(session.is_modified(item));

    item->qty = 2;
    CHECK(session.is_modified(item));
    session.commit();
    CHECK(qty_in_database(engine, id) == 2);
}

TEST_CASE(
    "a versioned object whose flushed change was rolled back commits its next change at the row's version") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    sa::metadata<Doc>().create_all(engine);
    std::int64_t id = 0;
    {
        sa::Session session(engine);
        auto doc = session.add(Doc{.body = "a"});
        session.commit();
        id = doc->id;
    }

    sa::Session session(engine);
    auto doc = session.get<Doc>(id);
    REQUIRE(doc);
    const auto version = doc->version;
    doc->body = "b";
    session.flush();
    CHECK(doc->version == version + 1);
    session.rollback();
    CHECK(doc->version == version);

    doc->body = "c";
    session.commit();  // no StaleDataError: the UPDATE matches the row's version
    sa::Session check(engine);
    auto stored = check.get<Doc>(id);
    CHECK(stored->body == "c");
    CHECK(stored->version == version + 1);
}

TEST_CASE("a SAVEPOINT's rollback puts back what it rewrote and keeps what was flushed before it") {
    auto engine = items_engine(GENERATE(from_range(backends())));
    const auto id = seed_item(engine, "widget", 1);

    sa::Session session(engine);
    auto item = session.get<Item>(id);
    item->qty = 5;
    {
        auto nested = session.begin_nested();  // flushes qty = 5 first, in the outer transaction
        item->qty = 7;
        session.flush();
        nested.rollback();
    }
    CHECK(item->qty == 5);
    item->qty = 7;
    CHECK(session.is_modified(item));
    session.commit();
    CHECK(qty_in_database(engine, id) == 7);
}

TEST_CASE("a key changed by the first flush of a transaction comes back with its rollback") {
    auto engine = items_engine(GENERATE(from_range(backends())));
    const auto id = seed_item(engine, "widget", 1);

    sa::Session session(engine);
    auto item = session.get<Item>(id);
    session.commit();  // no transaction is open now: the flush below begins one
    item->id = id + 500;
    session.flush();
    session.rollback();
    CHECK(item->id == id);
    CHECK(session.get<Item>(id) == item);
    CHECK(session.get<Item>(id + 500) == nullptr);
    session.commit();  // ends the reads, which on SQLite would keep the writer below waiting

    // A row that takes the key the rollback undid is not the object's.
    const auto other_id = seed_item(engine, "other", 9);
    {
        sa::Session other(engine);
        auto taken = other.get<Item>(other_id);
        REQUIRE(taken);
        taken->id = id + 500;
        other.commit();
    }
    item->qty = 3;
    session.commit();
    CHECK(qty_in_database(engine, id) == 3);
    CHECK(qty_in_database(engine, id + 500) == 9);
}

TEST_CASE("an object loaded under a key another one left, in a transaction rolled back, leaves the session") {
    auto engine = items_engine(GENERATE(from_range(backends())));
    const auto id = seed_item(engine, "widget", 1);

    sa::Session session(engine);
    auto item = session.get<Item>(id);
    item->id = id + 500;
    session.flush();
    // A row under the key the object left, written outside the unit of work, and loaded.
    session.execute(sa::insert<Item>().values(sa::col<&Item::id> = id,
                                              sa::col<&Item::name> = std::string("taker"),
                                              sa::col<&Item::qty> = std::int64_t{5}));
    auto taker = session.get<Item>(id);
    REQUIRE(taker);
    REQUIRE(taker != item);
    session.rollback();  // the taker's row is gone, and the object is back under its key
    CHECK(session.get<Item>(id) == item);
    CHECK(sa::inspect(taker).detached());
    taker->qty = 77;  // a change to an object no session holds: written nowhere
    item->qty = 3;
    session.commit();
    CHECK(qty_in_database(engine, id) == 3);
    CHECK(count_items(engine) == 1);
}

TEST_CASE("a key a bulk UPDATE left as it was and a flush then moved comes back with the rollback") {
    auto engine = items_engine(GENERATE(from_range(backends())));
    const auto id = seed_item(engine, "widget", 1);

    sa::Session session(engine);
    auto item = session.get<Item>(id);
    // Keeps the key column's value, so the entry it makes moves no key...
    session.query<Item>().filter(sa::col<&Item::id> == id).update(sa::col<&Item::id> = id);
    // ...and this flush, whose columns that entry already holds, moves it.
    item->id = id + 500;
    session.flush();
    session.rollback();
    CHECK(item->id == id);
    CHECK(session.get<Item>(id) == item);
    CHECK(session.get<Item>(id + 500) == nullptr);
}

TEST_CASE("an object expunged after a flush and added back before the rollback gets its row's values back") {
    auto engine = items_engine(GENERATE(from_range(backends())));
    const bool all = GENERATE(false, true);  // expunge() of the one object, or expunge_all()
    CAPTURE(all);
    const auto id = seed_item(engine, all ? "all" : "one", 1);

    sa::Session session(engine);
    auto item = session.get<Item>(id);
    item->qty = 2;
    item->id = id + 500;
    session.flush();
    if (all) session.expunge_all();
    else session.expunge(item);
    session.add(item);
    session.rollback();
    CHECK(item->id == id);
    CHECK(item->qty == 1);
    CHECK(session.get<Item>(id) == item);
    CHECK(session.get<Item>(id + 500) == nullptr);
    item->qty = 2;
    session.commit();
    CHECK(qty_in_database(engine, id) == 2);
}

TEST_CASE("close() undoes a flushed INSERT and key change in the objects and keeps the program's changes") {
    auto engine = items_engine(GENERATE(from_range(backends())));
    const auto id = seed_item(engine, "widget", 1);

    std::shared_ptr<Item> inserted;
    std::shared_ptr<Item> moved;
    {
        sa::Session session(engine);
        inserted = session.add(Item{.name = "new", .qty = 4});
        moved = session.get<Item>(id);
        moved->id = id + 500;
        moved->qty = 9;
        session.flush();
        REQUIRE(inserted->id != 0);
        session.close();
    }
    CHECK(sa::inspect(inserted).transient());
    CHECK(inserted->id == 0);  // its key came from the rolled-back INSERT
    CHECK(sa::inspect(moved).detached());
    CHECK(moved->id == id + 500);  // the program's changes stay
    CHECK(moved->qty == 9);
    CHECK(count_items(engine) == 1);
    CHECK(qty_in_database(engine, id) == 1);

    // Another session writes them: a new row, and the old one moved.
    {
        sa::Session session(engine);
        session.add(inserted);
        session.add(moved);
        session.commit();
    }
    CHECK(inserted->id != 0);
    CHECK(qty_in_database(engine, inserted->id) == 4);
    CHECK(qty_in_database(engine, id) == std::nullopt);
    CHECK(qty_in_database(engine, id + 500) == 9);
    CHECK(count_items(engine) == 2);

    // The destructor rolls back as close() does.
    std::shared_ptr<Item> dropped;
    {
        sa::Session session(engine);
        dropped = session.add(Item{.name = "dropped", .qty = 2});
        session.flush();
    }
    CHECK(sa::inspect(dropped).transient());
    CHECK(dropped->id == 0);
    CHECK(count_items(engine) == 2);
}

TEST_CASE("add() of an object whose DELETE a flush wrote is refused until a rollback brings it back") {
    auto engine = items_engine(GENERATE(from_range(backends())));
    const auto id = seed_item(engine, "widget", 1);

    sa::Session session(engine);
    auto item = session.get<Item>(id);
    session.delete_(item);
    session.flush();
    CHECK_THROWS_MATCHES(session.add(item), sa::InvalidRequestError, MessageContains("only a rollback"));
    CHECK(sa::inspect(item).deleted());
    session.rollback();
    CHECK(sa::inspect(item).persistent());
    session.add(item);
    item->qty = 6;
    session.commit();
    CHECK(qty_in_database(engine, id) == 6);
}

TEST_CASE("a bulk UPDATE that moves a primary key keeps one object per row, and its rollback moves it back") {
    auto engine = items_engine(GENERATE(from_range(backends())));
    const auto id = seed_item(engine, "widget", 1);
    const auto other_id = seed_item(engine, "other", 2);

    sa::Session session(engine);
    auto item = session.get<Item>(id);
    auto other = session.get<Item>(other_id);
    CHECK(session.query<Item>().filter(sa::col<&Item::id> == id).update(sa::col<&Item::id> = id + 500) == 1);
    CHECK(item->id == id + 500);
    CHECK(session.get<Item>(id + 500) == item);
    CHECK(session.get<Item>(id) == nullptr);
    CHECK(session.get<Item>(other_id) == other);

    session.rollback();
    CHECK(item->id == id);
    CHECK(session.get<Item>(id) == item);

    CHECK(session.query<Item>().filter(sa::col<&Item::id> == id).update(sa::col<&Item::id> = id + 500) == 1);
    item->qty = 10;
    session.commit();
    CHECK(qty_in_database(engine, id + 500) == 10);
    CHECK(count_items(engine) == 2);

    // fetch finds objects by the keys the rows come back with, which are the new ones.
    sa::Session fetching(engine);
    CHECK_THROWS_MATCHES(fetching.query<Item>()
                             .filter(sa::col<&Item::id> == id + 500)
                             .update(sa::col<&Item::id> = id, sa::synchronize_session::fetch),
                         sa::ArgumentError, MessageContains("assigns the primary key"));
    fetching.rollback();
    CHECK(qty_in_database(engine, id + 500) == 10);
}

TEST_CASE(
    "over an AUTOCOMMIT engine a flush is all or nothing, and the objects it did not write are written "
    "once") {
    auto engine =
        items_engine(GENERATE(from_range(backends())), {.isolation_level = sa::IsolationLevel::autocommit});
    seed_item(engine, "taken", 1);
    const auto id = seed_item(engine, "x", 1);
    sa::Session s(engine);
    auto x = s.get<Item>(id);
    auto a = s.add(Item{.name = "a", .qty = 1});
    x->name = "taken";  // its UPDATE, after a's INSERT, fails on the unique name
    CHECK_THROWS_AS(s.flush(), sa::IntegrityError);
    CHECK(count_items(engine) == 2);  // a's INSERT went back with the rest
    s.rollback();
    CHECK_FALSE(s.contains(a));  // new again, as its row is not there
    x = s.get<Item>(id);
    x->name = "y";
    s.add(a);
    s.commit();
    CHECK(count_items(engine) == 3);
    CHECK(qty_in_database(engine, a->id) == 1);
}

TEST_CASE(
    "over an AUTOCOMMIT engine what a flush wrote stays after a rollback, in the objects as in the rows") {
    auto engine =
        items_engine(GENERATE(from_range(backends())), {.isolation_level = sa::IsolationLevel::autocommit});
    sa::Session s(engine);
    auto a = s.add(Item{.name = "a", .qty = 1});
    s.flush();  // committed by itself
    const auto id = a->id;
    a->qty = 7;
    s.flush();
    s.rollback();  // there is nothing left to roll back
    CHECK(s.contains(a));
    CHECK(a->id == id);
    CHECK(a->qty == 7);
    CHECK(qty_in_database(engine, id) == 7);
    a->qty = 1;  // back to the first value: a change, as the row holds 7
    s.commit();
    CHECK(qty_in_database(engine, id) == 1);
    CHECK(count_items(engine) == 1);
}

TEST_CASE("a detached copy added under the key of a flushed DELETE leaves the session with the rollback") {
    auto engine = items_engine(GENERATE(from_range(backends())));
    const bool savepoint = GENERATE(false, true);
    CAPTURE(savepoint);
    const auto id = seed_item(engine, savepoint ? "in a savepoint" : "in the transaction", 1);
    const auto rows = count_items(engine);
    std::shared_ptr<Item> copy;
    {
        sa::Session earlier(engine);
        copy = earlier.get<Item>(id);
    }
    REQUIRE(sa::inspect(copy).detached());

    sa::Session session(engine);
    auto item = session.get<Item>(id);
    std::optional<sa::SessionTransaction> nested;
    if (savepoint) nested.emplace(session.begin_nested());
    session.delete_(item);
    session.flush();
    session.add(copy);  // as in SQLAlchemy: the row is gone, but the copy may be attached
    CHECK(sa::inspect(copy).persistent());
    if (savepoint) nested->rollback();
    else session.rollback();

    CHECK(sa::inspect(item).persistent());
    CHECK(sa::inspect(copy).detached());
    CHECK(session.get<Item>(id) == item);
    item->qty = 3;
    copy->qty = 4;  // detached: not written
    session.commit();
    CHECK(qty_in_database(engine, id) == 3);
    CHECK(count_items(engine) == rows);
}

TEST_CASE("an object a flush inserted and expunge() took out is new again once its INSERT is undone") {
    auto engine = items_engine(GENERATE(from_range(backends())));
    const std::string ending = GENERATE(as<std::string>{}, "rollback", "close", "destructor", "savepoint");
    CAPTURE(ending);
    const auto rows = count_items(engine);  // the rows the other endings left

    std::shared_ptr<Item> item;
    {
        sa::Session session(engine);
        std::optional<sa::SessionTransaction> nested;
        if (ending == "savepoint") nested.emplace(session.begin_nested());
        item = session.add(Item{.name = ending, .qty = 7});
        session.flush();
        REQUIRE(item->id != 0);
        session.expunge(item);
        CHECK(sa::inspect(item).detached());
        if (ending == "rollback") session.rollback();
        else if (ending == "close") session.close();
        else if (ending == "savepoint") nested->rollback();
    }
    // As if it had stayed in the session: transient, without the key of a row that is gone.
    CHECK(sa::inspect(item).transient());
    CHECK(item->id == 0);
    CHECK(count_items(engine) == rows);

    // A row that takes the key the rollback freed (SQLite hands it out again) is not the object's.
    const auto other_id = seed_item(engine, "other after " + ending, 3);
    sa::Session session(engine);
    session.add(item);
    item->qty = 9;
    session.commit();
    CHECK(item->id != other_id);
    CHECK(qty_in_database(engine, other_id) == 3);
    CHECK(qty_in_database(engine, item->id) == 9);
    CHECK(count_items(engine) == rows + 2);
}

TEST_CASE("an inserted object expunged and added back counts as having stayed through a SAVEPOINT's end") {
    auto engine = items_engine(GENERATE(from_range(backends())));
    // Added back before the SAVEPOINT's rollback or after it; or the SAVEPOINT is released
    // and the transaction rolled back.
    const std::string order =
        GENERATE(as<std::string>{}, "add, rollback", "rollback, add", "release, rollback");
    CAPTURE(order);
    const auto rows = count_items(engine);

    sa::Session session(engine);
    auto nested = session.begin_nested();
    auto item = session.add(Item{.name = order, .qty = 7});
    session.flush();
    REQUIRE(item->id != 0);
    session.expunge(item);
    if (order == "add, rollback") {
        session.add(item);
        CHECK(sa::inspect(item).persistent());
        nested.rollback();
    } else if (order == "rollback, add") {
        nested.rollback();
    } else {
        nested.commit();
        session.rollback();
    }
    CHECK(sa::inspect(item).transient());
    CHECK(item->id == 0);

    session.add(item);
    session.commit();
    CHECK(item->id != 0);
    CHECK(qty_in_database(engine, item->id) == 7);
    CHECK(count_items(engine) == rows + 1);
}

TEST_CASE("an object expunged after its INSERT was committed keeps its key through a later rollback") {
    auto engine = items_engine(GENERATE(from_range(backends())));

    sa::Session session(engine);
    auto item = session.add(Item{.name = "mine", .qty = 7});
    session.flush();
    const auto id = item->id;
    session.expunge(item);
    session.commit();
    session.get<Item>(id)->qty = 8;
    session.flush();
    session.rollback();
    CHECK(sa::inspect(item).detached());
    CHECK(item->id == id);
    CHECK(qty_in_database(engine, id) == 7);
}

TEST_CASE("a deleted object expunged and added back before the transaction ends counts as still deleted") {
    auto engine = items_engine(GENERATE(from_range(backends())));
    const auto id = seed_item(engine, "widget", 1);

    sa::Session session(engine);
    auto item = session.get<Item>(id);
    session.delete_(item);
    session.flush();
    session.expunge(item);
    CHECK(sa::inspect(item).detached());
    CHECK_THROWS_MATCHES(session.add(item), sa::InvalidRequestError, MessageContains("only a rollback"));
    CHECK_FALSE(session.contains(item));
    session.rollback();
    // The rollback gave the row back: the object, detached, has it again.
    session.add(item);
    CHECK(sa::inspect(item).persistent());
    item->qty = 6;
    session.commit();
    CHECK(qty_in_database(engine, id) == 6);
}
