// session.query<T>().yield_per(n): objects streamed from the database as the loop reads
// them, let go of once the loop drops them, and never at the cost of a change; loader
// options run for each batch or are refused at the call, never dropped; a flush inside
// the loop may not write the table it reads.
#include "support/backends.hpp"
#include "support/matchers.hpp"

#include <alchemy/alchemy.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace sa = alchemy;
using sa::test::backends;
using sa::test::MessageContains;

namespace streamed {

struct Reading {
    std::int64_t id = 0;
    std::int32_t sensor = 0;
    double value = 0;
};

struct Sensor {
    std::int64_t id = 0;
    std::string name{};
};

// Loader options: the mapping loads nothing by itself.
struct Note;
struct Writer {
    std::int64_t id = 0;
    std::string name{};
    sa::HasMany<Note> notes{};
};
struct Note {
    std::int64_t id = 0;
    std::int64_t writer_id = 0;
    std::string text{};
    sa::BelongsTo<Writer> writer{};
};

// The mapping's strategies: Shelf.volumes lazy(selectin), Volume.shelf lazy(joined).
struct Volume;
struct Shelf {
    std::int64_t id = 0;
    std::string name{};
    sa::HasMany<Volume> volumes{};
};
struct Volume {
    std::int64_t id = 0;
    std::int64_t shelf_id = 0;
    std::string title{};
    sa::BelongsTo<Shelf> shelf{};
};

// A table whose rows the database deletes with their bin's (ON DELETE CASCADE).
struct Bin {
    std::int64_t id = 0;
    std::string name{};
};
struct Item {
    std::int64_t id = 0;
    std::int64_t bin_id = 0;
    std::string name{};
};
/// In a table made by hand, two cascades below bins (through crates, which no model maps).
struct CratedItem {
    std::int64_t id = 0;
    std::int64_t crate_id = 0;
};

/// Tables with names that are not ASCII, which SQLite takes unquoted.
struct Book {
    std::int64_t id = 0;
    std::string title{};
};
struct Bookcase {
    std::int64_t id = 0;
    std::string name{};
};

}  // namespace streamed

template <>
inline constexpr auto sa::mapping<streamed::Reading> =
    sa::table("readings", sa::index(&streamed::Reading::value));
template <>
inline constexpr auto sa::mapping<streamed::Sensor> = sa::table("sensors");
template <>
inline constexpr auto sa::mapping<streamed::Writer> = sa::table("writers");
template <>
inline constexpr auto sa::mapping<streamed::Note> = sa::table("notes");
template <>
inline constexpr auto sa::mapping<streamed::Shelf> =
    sa::table("shelves", sa::relationship(&streamed::Shelf::volumes).lazy(sa::Lazy::selectin));
template <>
inline constexpr auto sa::mapping<streamed::Volume> =
    sa::table("volumes", sa::relationship(&streamed::Volume::shelf).lazy(sa::Lazy::joined));

template <>
inline constexpr auto sa::mapping<streamed::Bin> = sa::table("bins");
template <>
inline constexpr auto sa::mapping<streamed::Item> =
    sa::table("items", sa::foreign_key(&streamed::Item::bin_id, &streamed::Bin::id).on_delete(sa::cascade));

template <>
inline constexpr auto sa::mapping<streamed::CratedItem> = sa::table("crated_items");
template <>
inline constexpr auto sa::mapping<streamed::Book> = sa::table("bücher");
template <>
inline constexpr auto sa::mapping<streamed::Bookcase> = sa::table("bücherregale");

using streamed::Bin;
using streamed::Item;
using streamed::Note;
using streamed::Reading;
using streamed::Sensor;
using streamed::Shelf;
using streamed::Volume;
using streamed::Writer;

namespace {

constexpr int readings = 5000;

void seed(sa::Engine& engine) {
    sa::metadata<Reading>().create_all(engine);
    std::vector<Reading> rows;
    for (int i = 0; i < readings; ++i) rows.push_back(Reading{.sensor = i % 7, .value = i * 0.5});
    auto conn = engine.connect();
    sa::bulk_insert(conn, rows);
    conn.commit();
}

constexpr int owners = 250;  // three batches of 100

/// `owners` writers with two notes each, and as many shelves with two volumes each.
void seed_owners(sa::Engine& engine) {
    sa::metadata<Writer, Note, Shelf, Volume>().create_all(engine);
    sa::Session session(engine);
    for (int i = 0; i < owners; ++i) {
        auto writer = session.add(Writer{.name = "w" + std::to_string(i)});
        writer->notes.add(Note{.text = "a"});
        writer->notes.add(Note{.text = "b"});
        auto shelf = session.add(Shelf{.name = "s" + std::to_string(i)});
        shelf->volumes.add(Volume{.title = "x"});
        shelf->volumes.add(Volume{.title = "y"});
    }
    session.commit();
}

std::size_t selects(const sa::test::EchoCapture& capture) {
    return static_cast<std::size_t>(
        std::count_if(capture.lines.begin(), capture.lines.end(),
                      [](const std::string& l) { return l.starts_with("SELECT"); }));
}

}  // namespace

TEST_CASE("yield_per streams every object in order through the identity map") {
    auto backend = GENERATE(from_range(backends()));
    sa::test::EchoCapture capture;
    auto engine = backend.engine({.echo = true, .echo_sink = capture.sink()});
    seed(engine);
    sa::Session session(engine);
    auto held = session.get<Reading>(std::int64_t{1});
    REQUIRE(held);

    std::int64_t expected_id = 1;
    int seen = 0;
    for (const auto& reading : session.query<Reading>().order_by(sa::col<&Reading::id>).yield_per(100)) {
        CHECK(reading->id == expected_id++);
        CHECK(reading->value == (reading->id - 1) * 0.5);
        if (reading->id == 1) CHECK(reading == held);  // the object the session already has
        ++seen;
    }
    CHECK(seen == readings);

    // What the loop dropped has left the session: loading it again takes a SELECT.
    capture.lines.clear();
    CHECK(session.get<Reading>(std::int64_t{2})->id == 2);
    CHECK(selects(capture) == 1);
    capture.lines.clear();
    CHECK(session.get<Reading>(std::int64_t{1}) == held);
    CHECK(selects(capture) == 0);
}

TEST_CASE("a program runs as many yield_per loops as it likes") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    seed(engine);
    sa::Session session(engine);
    // Each SQLite loop asks the database which tables write into the streamed one; that
    // question once made a dialect, of which a process may make eight.
    for (int loop = 0; loop < 12; ++loop) {
        int seen = 0;
        for (const auto& reading : session.query<Reading>().filter(sa::col<&Reading::id> <= 3).yield_per(2)) {
            CHECK(reading->id <= 3);
            ++seen;
        }
        CHECK(seen == 3);
    }
}

TEST_CASE("changes made to streamed objects the loop dropped are flushed, not lost") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    seed(engine);
    sa::Session session(engine);
    for (const auto& reading : session.query<Reading>().filter(sa::col<&Reading::sensor> == 3).yield_per(50))
        reading->value = -1;
    session.commit();

    auto conn = engine.connect();
    const auto changed =
        conn.execute(sa::select(sa::count()).select_from<Reading>().where(sa::col<&Reading::value> == -1.0))
            .scalar_one();
    const auto sensor_three =
        conn.execute(sa::select(sa::count()).select_from<Reading>().where(sa::col<&Reading::sensor> == 3))
            .scalar_one();
    CHECK(changed == sensor_three);
    CHECK(changed > 0);
}

TEST_CASE("yield_per refuses an empty batch and keeps other statements out while it streams on PostgreSQL") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    seed(engine);
    sa::Session session(engine);
    CHECK_THROWS_MATCHES(session.query<Reading>().yield_per(0), sa::ArgumentError,
                         MessageContains("at least one row"));

    auto stream = session.query<Reading>().order_by(sa::col<&Reading::id>).yield_per(10);
    auto it = stream.begin();
    REQUIRE(it != stream.end());
    if (backend.is_postgresql()) {
        // One statement at a time per connection: the loop must not query meanwhile.
        CHECK_THROWS_MATCHES(session.query<Reading>().count(), sa::InvalidRequestError,
                             MessageContains("close it before running another statement"));
    } else {
        CHECK(session.query<Reading>().count() == readings);  // SQLite steps rows, so it may
    }
    int rest = 0;
    for (; it != stream.end(); ++it) ++rest;
    CHECK(rest == readings);
    session.commit();
}

TEST_CASE("commit, rollback, close or the end of the Session ends a yield_per loop's rows") {
    auto backend = GENERATE(from_range(backends()));
    const auto how = GENERATE(as<std::string>{}, "commit", "rollback", "close", "end");
    INFO(how);
    auto engine = backend.engine({.pool_size = 1});
    seed(engine);  // once for each `how`, into the backend's one database
    std::optional<sa::Session> session(std::in_place, engine);
    const auto total = session->query<Reading>().count();
    auto stream = session->query<Reading>().order_by(sa::col<&Reading::id>).yield_per(10);
    auto it = stream.begin();
    for (int i = 0; i < 5; ++i) ++it;
    if (how == "commit") session->commit();
    else if (how == "rollback") session->rollback();
    else if (how == "close") session->close();
    else session.reset();  // the loop outlives its Session
    {
        // The pool's one connection went back: another Session gets it and its own answers.
        sa::Session other(engine);
        CHECK(other.query<Reading>().count() == total);
        CHECK(other.get<Reading>(std::int64_t{7})->id == 7);
    }
    // The batch read before stays readable; the next one is refused, loudly.
    for (std::int64_t id = 6; id < 10; ++id, ++it) CHECK((*it)->id == id);
    CHECK((*it)->id == 10);
    CHECK_THROWS_MATCHES(++it, sa::InvalidRequestError,
                         MessageContains("committed, rolled back or closed while the loop read"));
}

TEST_CASE("yield_per runs selectinload for each batch where it can, and refuses it where it cannot") {
    auto backend = GENERATE(from_range(backends()));
    sa::test::EchoCapture capture;
    auto engine = backend.engine({.echo = true, .echo_sink = capture.sink()});
    seed_owners(engine);
    sa::Session session(engine);
    auto query =
        session.query<Writer>().order_by(sa::col<&Writer::id>).options(sa::selectinload<&Writer::notes>());
    capture.lines.clear();
    if (backend.is_postgresql()) {
        // The stream keeps the connection until the loop ends: no statement can load a batch.
        CHECK_THROWS_MATCHES(query.yield_per(100), sa::InvalidRequestError,
                             MessageContains("yield_per() cannot run sa::selectinload<&Writer::notes>() on "
                                             "postgresql") &&
                                 MessageContains("use .all()"));
        CHECK(selects(capture) == 0);  // refused before the stream began
        return;
    }
    int seen = 0;
    for (const auto& writer : query.yield_per(100)) {
        CHECK(writer->notes.size() == 2);
        ++seen;
    }
    CHECK(seen == owners);
    CHECK(selects(capture) == 1 + 3);  // the stream, and one load per batch of 100, 100, 50
}

TEST_CASE("yield_per refuses joinedload on both backends, naming what to use instead") {
    auto backend = GENERATE(from_range(backends()));
    sa::test::EchoCapture capture;
    auto engine = backend.engine({.echo = true, .echo_sink = capture.sink()});
    seed_owners(engine);
    sa::Session session(engine);
    capture.lines.clear();
    const auto refused = [&] {
        (void)session.query<Note>().options(sa::joinedload<&Note::writer>()).yield_per(100);
    };
    CHECK_THROWS_MATCHES(refused(), sa::InvalidRequestError,
                         MessageContains("yield_per() cannot run sa::joinedload<&Note::writer>()"));
    if (backend.is_sqlite())
        CHECK_THROWS_MATCHES(
            refused(), sa::InvalidRequestError,
            MessageContains("use sa::selectinload<&Note::writer>(), which yield_per() runs"));
    else
        CHECK_THROWS_MATCHES(refused(), sa::InvalidRequestError,
                             MessageContains("sa::lazyload<&Note::writer>()"));
    CHECK(selects(capture) == 0);
}

TEST_CASE("raiseload still raises inside a yield_per loop, and lazyload loads on access where it can") {
    auto backend = GENERATE(from_range(backends()));
    sa::test::EchoCapture capture;
    auto engine = backend.engine({.echo = true, .echo_sink = capture.sink()});
    seed_owners(engine);
    sa::Session session(engine);
    capture.lines.clear();
    int seen = 0;
    for (const auto& writer :
         session.query<Writer>().options(sa::raiseload<&Writer::notes>()).yield_per(100)) {
        CHECK_THROWS_MATCHES(writer->notes.size(), sa::InvalidRequestError,
                             MessageContains("Writer.notes is not loaded and its loading is raise"));
        ++seen;
    }
    CHECK(seen == owners);
    CHECK(selects(capture) == 1);
    if (backend.is_sqlite()) {
        for (const auto& writer :
             session.query<Writer>().options(sa::lazyload<&Writer::notes>()).yield_per(100))
            CHECK(writer->notes.size() == 2);
    }
}

TEST_CASE("yield_per loads the mapping's selectin and joined relationships for each batch where it can") {
    auto backend = GENERATE(from_range(backends()));
    sa::test::EchoCapture capture;
    auto engine = backend.engine({.echo = true, .echo_sink = capture.sink()});
    seed_owners(engine);
    sa::Session session(engine);
    capture.lines.clear();
    if (backend.is_postgresql()) {
        CHECK_THROWS_MATCHES(session.query<Shelf>().yield_per(100), sa::InvalidRequestError,
                             MessageContains("cannot load Shelf.volumes, which its mapping loads with every "
                                             "query (sa::Lazy::selectin), on postgresql") &&
                                 MessageContains("sa::lazyload<&Shelf::volumes>()"));
        CHECK_THROWS_MATCHES(session.query<Volume>().yield_per(100), sa::InvalidRequestError,
                             MessageContains("cannot load Volume.shelf, which its mapping loads with every "
                                             "query (sa::Lazy::joined)"));
        CHECK(selects(capture) == 0);
        // An option overrides the mapping, and then the stream runs.
        int seen = 0;
        for (const auto& shelf :
             session.query<Shelf>().options(sa::raiseload<&Shelf::volumes>()).yield_per(100)) {
            CHECK_THROWS_AS(shelf->volumes.size(), sa::InvalidRequestError);
            ++seen;
        }
        CHECK(seen == owners);
        return;
    }
    int shelves = 0;
    for (const auto& shelf : session.query<Shelf>().yield_per(100)) {
        CHECK(shelf->volumes.size() == 2);
        ++shelves;
    }
    CHECK(shelves == owners);
    CHECK(selects(capture) == 1 + 3);
    capture.lines.clear();
    int volumes = 0;
    for (const auto& volume : session.query<Volume>().yield_per(200)) {
        // As where no query of the owner joins it (session.get()): one more statement per batch.
        CHECK(volume->shelf->name.starts_with("s"));
        ++volumes;
    }
    CHECK(volumes == 2 * owners);
    CHECK(selects(capture) == 1 + 3);  // the stream, and the shelves of 200, 200 and 100 volumes
}

TEST_CASE("a flush in a yield_per loop may not write the streamed table, nor anything on PostgreSQL") {
    auto backend = GENERATE(from_range(backends()));
    sa::test::EchoCapture capture;
    auto engine = backend.engine({.echo = true, .echo_sink = capture.sink()});
    seed(engine);
    sa::metadata<Sensor>().create_all(engine);
    {
        sa::Session setup(engine);
        setup.add(Sensor{.name = "north"});
        setup.commit();
    }
    const auto writes = [&] {
        return sa::test::count_starting_with(capture.lines, "INSERT") +
               sa::test::count_starting_with(capture.lines, "UPDATE") +
               sa::test::count_starting_with(capture.lines, "DELETE");
    };
    sa::Session session(engine);
    int seen = 0;
    for (const auto& reading : session.query<Reading>().order_by(sa::col<&Reading::value>).yield_per(100)) {
        reading->value += 1000;  // moves it forward in the index the SELECT walks
        if (seen++ != 0) continue;
        capture.lines.clear();
        if (backend.is_postgresql()) {
            // The connection runs one statement at a time: the flush is refused before it
            // sends anything, and a read still is by the connection.
            CHECK_THROWS_MATCHES(session.get<Sensor>(std::int64_t{1}), sa::InvalidRequestError,
                                 MessageContains("this flush would write while a yield_per() loop of the "
                                                 "same session streams on its connection"));
            CHECK(writes() == 0);
            auto guard = session.no_autoflush();
            CHECK_THROWS_MATCHES(session.get<Sensor>(std::int64_t{1}), sa::InvalidRequestError,
                                 MessageContains("close it before running another statement"));
            continue;
        }
        // An autoflush would UPDATE readings under the running SELECT.
        CHECK_THROWS_MATCHES(
            session.get<Sensor>(std::int64_t{1}), sa::InvalidRequestError,
            MessageContains("this flush would change rows of table readings") &&
                MessageContains("while a yield_per() loop of the same session still reads it") &&
                MessageContains("session.no_autoflush()"));
        // Nothing is sent, not even the INSERT of another table's new object.
        session.add(Sensor{.name = "south"});
        CHECK_THROWS_AS(session.flush(), sa::InvalidRequestError);
        CHECK(writes() == 0);
        {
            auto guard = session.no_autoflush();
            CHECK(session.get<Sensor>(std::int64_t{1})->name == "north");
        }
    }
    CHECK(seen == readings);  // each row once, the loop went on
    session.commit();         // the loop has ended: the changes are written now

    auto conn = engine.connect();
    CHECK(
        conn.execute(sa::select(sa::count()).select_from<Reading>().where(sa::col<&Reading::value> >= 1000.0))
            .scalar_one() == readings);
    if (backend.is_sqlite())
        CHECK(conn.execute(sa::select(sa::count()).select_from<Sensor>()).scalar_one() == 2);
}

TEST_CASE("a flush in a yield_per loop on SQLite may not delete rows the database cascades into the stream") {
    auto backend = GENERATE(from_range(backends()));
    if (!backend.is_sqlite()) return;  // PostgreSQL refuses every write during the loop
    sa::test::EchoCapture capture;
    auto engine = backend.engine({.echo = true, .echo_sink = capture.sink()});
    sa::metadata<Bin, Item>().create_all(engine);
    std::int64_t bin_id = 0;
    {
        sa::Session setup(engine);
        auto bin = setup.add(Bin{.name = "b"});
        setup.commit();
        bin_id = bin->id;
        for (int i = 0; i < 250; ++i) setup.add(Item{.bin_id = bin_id, .name = "i" + std::to_string(i)});
        setup.add(Bin{.name = "spare"});
        setup.commit();
    }
    sa::Session session(engine);
    int seen = 0;
    for (const auto& item : session.query<Item>().yield_per(100)) {
        if (seen++ != 0) continue;
        CHECK(item->bin_id == bin_id);
        // Deleting the bin would have SQLite delete the items the SELECT is stepping through.
        session.delete_(session.get<Bin>(bin_id));
        capture.lines.clear();
        CHECK_THROWS_MATCHES(session.flush(), sa::InvalidRequestError,
                             MessageContains("this flush would change rows of table items") &&
                                 MessageContains("ON DELETE/ON UPDATE action"));
        CHECK(sa::test::count_starting_with(capture.lines, "DELETE") == 0);
    }
    CHECK(seen == 250);
    session.commit();  // after the loop: the bin goes, and its items with it
    auto conn = engine.connect();
    CHECK(conn.execute(sa::select(sa::count()).select_from<Item>()).scalar_one() == 0);
    CHECK(conn.execute(sa::select(sa::count()).select_from<Bin>()).scalar_one() == 1);
}

TEST_CASE(
    "a flush in a yield_per loop on SQLite may not change the stream through two cascades or a trigger") {
    auto backend = GENERATE(from_range(backends()));
    if (!backend.is_sqlite()) return;  // PostgreSQL refuses every write during the loop
    using streamed::CratedItem;
    auto engine = backend.engine();
    sa::metadata<Bin, Sensor>().create_all(engine);
    {
        auto conn = engine.connect();
        conn.execute_script(
            "CREATE TABLE crates (id INTEGER PRIMARY KEY, bin_id INTEGER NOT NULL REFERENCES bins (id) ON "
            "DELETE "
            "CASCADE)");
        conn.execute_script(
            "CREATE TABLE crated_items (id INTEGER PRIMARY KEY, crate_id INTEGER NOT NULL REFERENCES "
            "\"Crates\" "
            "(id) ON DELETE CASCADE)");
        // Each new sensor takes the item of its number away.
        conn.execute_script(
            "CREATE TRIGGER sensor_takes_item AFTER INSERT ON sensors BEGIN DELETE FROM crated_items WHERE "
            "id = "
            "NEW.id; END");
        conn.execute_script("INSERT INTO bins (id, name) VALUES (1, 'b')");
        conn.execute_script("INSERT INTO crates (id, bin_id) VALUES (1, 1)");
        for (int i = 1; i <= 250; ++i)
            conn.execute_script("INSERT INTO crated_items (id, crate_id) VALUES (" + std::to_string(i) +
                                ", 1)");
        conn.commit();
    }
    sa::Session session(engine);
    int seen = 0;
    for (const auto& item : session.query<CratedItem>().yield_per(100)) {
        (void)item;
        if (seen++ != 0) continue;
        // Deleting the bin deletes its crates, which delete their items.
        session.delete_(session.get<Bin>(std::int64_t{1}));
        CHECK_THROWS_MATCHES(session.flush(), sa::InvalidRequestError,
                             MessageContains("this flush would change rows of table crated_items"));
        session.expunge_all();
        // A new sensor's trigger deletes an item.
        session.add(Sensor{.id = 200, .name = "s"});
        CHECK_THROWS_AS(session.flush(), sa::InvalidRequestError);
        session.expunge_all();
        // So does a Core statement on either table.
        CHECK_THROWS_AS(session.execute(sa::delete_<Bin>().where(sa::col<&Bin::id> == 1)),
                        sa::InvalidRequestError);
    }
    CHECK(seen == 250);
}

TEST_CASE(
    "a flush in a yield_per loop on SQLite may not fire a trigger naming the streamed non-ASCII table "
    "unquoted") {
    auto backend = GENERATE(from_range(backends()));
    if (!backend.is_sqlite()) return;  // PostgreSQL refuses every write during the loop
    using streamed::Book;
    using streamed::Bookcase;
    auto engine = backend.engine();
    sa::metadata<Book, Bookcase>().create_all(engine);
    {
        sa::Session setup(engine);
        for (int i = 1; i <= 10; ++i) setup.add(Book{.id = i, .title = "b" + std::to_string(i)});
        setup.add(Bookcase{.id = 1, .name = "oak"});
        setup.commit();
        auto conn = engine.connect();
        // Moving a bookcase renumbers book 1, which the loop has read: it would come back.
        conn.execute_script(
            "CREATE TRIGGER bookcase_renumbers_book AFTER UPDATE ON bücherregale BEGIN UPDATE bücher SET id "
            "= id + 1000 WHERE id = 1; END");
        conn.commit();
    }
    sa::Session session(engine);
    int seen = 0;
    for (const auto& book : session.query<Book>().yield_per(2)) {
        (void)book;
        if (++seen != 4) continue;
        session.get<Bookcase>(std::int64_t{1})->name = "moved";
        CHECK_THROWS_MATCHES(session.flush(), sa::InvalidRequestError,
                             MessageContains("this flush would change rows of table bücher while") &&
                                 MessageContains("it writes table bücherregale"));
        session.expunge_all();
    }
    CHECK(seen == 10);  // book 1 read once
}

TEST_CASE("a flush in a yield_per loop on SQLite may write other tables") {
    auto backend = GENERATE(from_range(backends()));
    if (!backend.is_sqlite()) return;  // PostgreSQL runs no other statement during the loop
    sa::test::EchoCapture capture;
    auto engine = backend.engine({.echo = true, .echo_sink = capture.sink()});
    seed(engine);
    sa::metadata<Sensor>().create_all(engine);
    sa::Session session(engine);
    capture.lines.clear();
    std::int64_t added = 0;
    for (const auto& reading :
         session.query<Reading>().filter(sa::col<&Reading::sensor> == 3).yield_per(100)) {
        if (reading->id > 30) break;
        auto sensor = session.add(Sensor{.name = "s" + std::to_string(reading->id)});
        session.flush();  // INSERT INTO sensors: allowed
        CHECK(sensor->id > 0);
        ++added;
    }
    CHECK(added > 0);
    CHECK(sa::test::count_starting_with(capture.lines, "INSERT") == static_cast<std::size_t>(added));
    session.commit();
}

TEST_CASE("a bulk statement in a yield_per loop may not write the streamed table, nor text() anything") {
    auto backend = GENERATE(from_range(backends()));
    sa::test::EchoCapture capture;
    auto engine = backend.engine({.echo = true, .echo_sink = capture.sink()});
    seed(engine);
    sa::metadata<Sensor>().create_all(engine);
    sa::Session session(engine);
    const auto sensor = sa::col<&Reading::sensor>;
    const auto text_update =
        sa::text("UPDATE readings SET value = -1 WHERE sensor = :sensor").bind("sensor", 3);
    // Another table, too: alchemy cannot tell which one hand-written SQL writes.
    const auto text_insert = sa::text("INSERT INTO sensors (name) VALUES (:name)").bind("name", "south");
    int seen = 0;
    for (const auto& reading : session.query<Reading>().order_by(sa::col<&Reading::id>).yield_per(100)) {
        if (seen++ != 0) continue;
        CHECK(reading->id == 1);
        capture.lines.clear();
        // On SQLite the Session refuses before sending; on PostgreSQL the connection runs
        // nothing else while it streams.
        const auto refused = backend.is_sqlite()
                                 ? MessageContains("UPDATE or DELETE of table readings")
                                 : MessageContains("close it before running another statement");
        CHECK_THROWS_MATCHES(
            session.query<Reading>().filter(sensor == 3).update(sa::col<&Reading::value> = -1.0),
            sa::InvalidRequestError, refused);
        CHECK_THROWS_MATCHES(session.query<Reading>().filter(sensor == 4).delete_(), sa::InvalidRequestError,
                             refused);
        CHECK_THROWS_MATCHES(session.execute(sa::update<Reading>().values(sa::col<&Reading::value> = -1.0)),
                             sa::InvalidRequestError, refused);
        CHECK_THROWS_MATCHES(session.execute(sa::insert<Reading>().values(Reading{.sensor = 9})),
                             sa::InvalidRequestError, refused);
        const auto text_refused = backend.is_sqlite()
                                      ? MessageContains(
                                            "this text() statement may change the database while a "
                                            "yield_per() loop of the same session still reads table readings")
                                      : MessageContains("close it before running another statement");
        CHECK_THROWS_MATCHES(session.execute(text_update), sa::InvalidRequestError, text_refused);
        CHECK_THROWS_MATCHES(session.execute(text_insert), sa::InvalidRequestError, text_refused);
        // SQLite calls transaction control read-only; it changes what the loop reads all the
        // same (ROLLBACK TO a savepoint undoes rows under it).
        CHECK_THROWS_MATCHES(session.execute(sa::text("SAVEPOINT mine")), sa::InvalidRequestError,
                             text_refused);
        CHECK_THROWS_MATCHES(session.execute(sa::text("ROLLBACK")), sa::InvalidRequestError, text_refused);
        if (backend.is_sqlite()) {
            CHECK(sa::test::count_starting_with(capture.lines, "UPDATE") == 0);  // none was sent
            CHECK(sa::test::count_starting_with(capture.lines, "DELETE") == 0);
            CHECK(sa::test::count_starting_with(capture.lines, "INSERT") == 0);
            // Another table is fine through a statement the Session can check, and text()
            // that only reads is fine.
            CHECK(session.execute(sa::insert<Sensor>().values(Sensor{.name = "north"})).rowcount() == 1);
            CHECK(session
                      .execute(sa::text("SELECT count(*) FROM readings WHERE sensor = :sensor")
                                   .bind("sensor", 3)
                                   .columns<std::int64_t>())
                      .one() > 0);
        }
    }
    CHECK(seen == readings);  // each row once
    CHECK(session.query<Reading>().filter(sensor == 3).update(sa::col<&Reading::value> = -1.0) > 0);
    CHECK(session.execute(text_update).rowcount() > 0);  // after the loop
    CHECK(session.execute(text_insert).rowcount() == 1);
    session.commit();
}

TEST_CASE(
    "a bulk delete in a SQLite yield_per loop may not cascade into the stream from a table never used") {
    auto backend = GENERATE(from_range(backends()));
    if (!backend.is_sqlite()) return;  // PostgreSQL runs no other statement during the loop
    auto engine = backend.engine();
    sa::metadata<Bin, Item>().create_all(engine);
    {
        sa::Session setup(engine);
        auto bin = setup.add(Bin{.name = "b"});
        setup.commit();
        for (int i = 0; i < 150; ++i) setup.add(Item{.bin_id = bin->id, .name = "i" + std::to_string(i)});
        setup.commit();
    }
    sa::Session session(engine);  // has never seen a Bin
    int seen = 0;
    for (const auto& item : session.query<Item>().yield_per(100)) {
        if (seen++ != 0) continue;
        CHECK_THROWS_MATCHES(
            session.execute(sa::delete_<Bin>().where(sa::col<&Bin::id> == item->bin_id)),
            sa::InvalidRequestError,
            MessageContains("DELETE of table bins would change rows that a yield_per() loop") &&
                MessageContains("(through table items)"));
    }
    CHECK(seen == 150);
}

TEST_CASE("over an AUTOCOMMIT engine a flush in a yield_per loop on SQLite commits another table's rows") {
    // The flush's own transaction begins and commits while the loop's SELECT is stepping.
    auto backend = GENERATE(from_range(backends()));
    if (!backend.is_sqlite()) return;
    auto engine = backend.engine({.isolation_level = sa::IsolationLevel::autocommit});
    seed(engine);
    sa::metadata<Sensor>().create_all(engine);
    sa::Session session(engine);
    int seen = 0;
    for (const auto& reading : session.query<Reading>().yield_per(100)) {
        if (seen++ % 1000 != 0) continue;
        session.add(Sensor{.name = "s" + std::to_string(reading->id)});
        session.flush();
        auto conn = engine.connect();
        CHECK(conn.execute(sa::select(sa::count()).select_from<Sensor>()).scalar_one() == seen / 1000 + 1);
    }
    CHECK(seen == readings);
}

TEST_CASE("a flush or bulk statement in a yield_per loop may not write a table the loop's filter reads") {
    auto backend = GENERATE(from_range(backends()));
    const auto how = GENERATE(as<std::string>{}, "autoflush", "bulk update");
    INFO(how);
    auto engine = backend.engine();
    sa::metadata<Writer, Note, Shelf, Volume>().drop_all(engine);  // once for each `how`
    seed_owners(engine);
    sa::Session session(engine);
    const auto name = sa::col<&Writer::name>;
    // The notes of writers not named "gone": all of them when the loop starts.
    const auto writer_kept =
        session.query<Writer>()
            .filter(sa::col<&Writer::id> == sa::col<&Note::writer_id> && name != std::string("gone"))
            .statement();
    const auto kept = session.query<Note>().filter(sa::exists(writer_kept));
    REQUIRE(kept.count() == 2 * owners);
    const auto later = session.get<Writer>(std::int64_t{200});  // PostgreSQL could not load it in the loop
    int seen = 0;
    for (const auto& note : kept.yield_per(100)) {
        (void)note;
        if (seen++ != 0) continue;
        // Renaming a writer "gone" writes writers, not notes, yet changes what the loop's
        // SELECT returns: on SQLite its rows would go missing.
        if (how == "autoflush") {
            later->name = "gone";
            CHECK_THROWS_MATCHES(
                session.query<Writer>().count(), sa::InvalidRequestError,
                backend.is_sqlite()
                    ? MessageContains("it writes table writers, which the loop's statement reads")
                    : MessageContains("this flush would write while a yield_per() loop"));
        } else {
            CHECK_THROWS_MATCHES(session.execute(sa::update<Writer>()
                                                     .where(sa::col<&Writer::id> == std::int64_t{200})
                                                     .values(name = std::string("gone"))),
                                 sa::InvalidRequestError,
                                 backend.is_sqlite()
                                     ? MessageContains("UPDATE or DELETE of table writers would change rows")
                                     : MessageContains("close it before running another statement"));
        }
    }
    CHECK(seen == 2 * owners);  // every row the query matched when it started
    session.commit();           // the loop has ended: the rename is written now
    CHECK(kept.count() == 2 * owners - (how == "autoflush" ? 2 : 0));
}

TEST_CASE("rolling back the begin_nested() a yield_per loop started in ends the loop's rows") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    sa::metadata<Reading, Sensor>().create_all(engine);
    sa::Session session(engine);
    auto savepoint = session.begin_nested();
    for (int i = 0; i < 30; ++i) session.add(Reading{.sensor = 1, .value = i * 1.0});
    session.flush();
    {
        auto stream = session.query<Reading>().order_by(sa::col<&Reading::id>).yield_per(10);
        auto it = stream.begin();
        const auto first = (*it)->id;
        savepoint.rollback();  // ROLLBACK TO SAVEPOINT: the 30 rows the loop reads go
        // The batch read before stays readable; the next one is refused, loudly.
        for (std::int64_t id = first + 1; id < first + 10; ++id) CHECK((*++it)->id == id);
        CHECK_THROWS_MATCHES(++it, sa::InvalidRequestError,
                             MessageContains("committed, rolled back or closed while the loop read"));
    }
    CHECK(session.query<Reading>().count() == 0);
    if (backend.is_sqlite()) {
        // A loop that started before the SAVEPOINT goes on: the SAVEPOINT could write no
        // table the loop reads, so its rollback changes none of its rows.
        for (int i = 0; i < 30; ++i) session.add(Reading{.sensor = 2, .value = i * 1.0});
        session.flush();
        int seen = 0;
        for (const auto& reading : session.query<Reading>().yield_per(10)) {
            (void)reading;
            if (seen++ != 0) continue;
            auto inner = session.begin_nested();
            session.add(Sensor{.name = "north"});
            session.flush();
            inner.rollback();
        }
        CHECK(seen == 30);
        CHECK(session.query<Sensor>().count() == 0);
    }
    session.commit();
}
