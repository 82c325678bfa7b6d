// The Session's unit of work on both backends: optimistic concurrency with sa::version,
// foreign-key order of INSERTs and DELETEs (between tables and inside a self-referencing
// one), all-or-nothing flushes that restore the objects when a statement fails, and
// batched INSERTs whose generated keys reach the right objects.
#include "support/backends.hpp"
#include "support/matchers.hpp"

#include <alchemy/alchemy.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <exception>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace sa = alchemy;
using sa::test::backends;
using sa::test::count_containing;
using sa::test::count_starting_with;
using sa::test::MessageContains;

namespace uow {

struct Doc {
    std::int64_t id = 0;
    std::string title{};
    std::int64_t version = 0;
};

struct Author {
    std::int64_t id = 0;
    std::string name{};
};

struct Book {
    std::int64_t id = 0;
    std::int64_t author_id = 0;
    std::string title{};
    sa::BelongsTo<Author> author{};
};

struct Employee {
    std::int64_t id = 0;
    std::string name{};
    std::optional<std::int64_t> manager_id{};
};

struct Member {
    std::int64_t id = 0;
    std::string name{};
};

struct Note {
    std::int64_t id = 0;
    std::string title{};
    std::string body{};
};

/// Two tables whose foreign keys refer to each other: a team's lead is a player, a
/// player's team a team.
struct Player;
struct Team {
    std::int64_t id = 0;
    std::string name{};
    std::optional<std::int64_t> lead_id{};
    sa::BelongsTo<Player> lead{};
    sa::HasMany<Player> players{};
};
struct Player {
    std::int64_t id = 0;
    std::string name{};
    std::optional<std::int64_t> team_id{};
    sa::BelongsTo<Team> team{};
};

/// A cycle between rows that SQLAlchemy's post_update breaks: each entry names its
/// widget, a widget its favourite entry.
struct Entry;
struct Widget {
    std::int64_t id = 0;
    std::string name{};
    std::int64_t version = 0;
    std::optional<std::int64_t> favorite_id{};
    sa::BelongsTo<Entry> favorite{};
    sa::HasMany<Entry> entries{};
};
struct Entry {
    std::int64_t id = 0;
    std::string name{};
    std::optional<std::int64_t> widget_id{};
    sa::BelongsTo<Widget> widget{};
};

}  // namespace uow

template <>
inline constexpr auto sa::mapping<uow::Doc> = sa::table("docs", sa::version(&uow::Doc::version));
template <>
inline constexpr auto sa::mapping<uow::Author> = sa::table("authors");
template <>
inline constexpr auto sa::mapping<uow::Book> = sa::table("books");
template <>
inline constexpr auto sa::mapping<uow::Employee> =
    sa::table("employees", sa::foreign_key(&uow::Employee::manager_id, &uow::Employee::id));
template <>
inline constexpr auto sa::mapping<uow::Member> = sa::table("members", sa::unique(&uow::Member::name));
template <>
inline constexpr auto sa::mapping<uow::Note> = sa::table("notes");
template <>
inline constexpr auto sa::mapping<uow::Team> = sa::table("teams");
template <>
inline constexpr auto sa::mapping<uow::Player> = sa::table("players");
template <>
inline constexpr auto sa::mapping<uow::Widget> =
    sa::table("widgets", sa::version(&uow::Widget::version), sa::unique(&uow::Widget::favorite_id),
              sa::relationship(&uow::Widget::favorite).post_update());
template <>
inline constexpr auto sa::mapping<uow::Entry> = sa::table("entries");

using uow::Author;
using uow::Book;
using uow::Doc;
using uow::Employee;
using uow::Entry;
using uow::Member;
using uow::Note;
using uow::Player;
using uow::Team;
using uow::Widget;

namespace {

std::int64_t count_rows(sa::Engine& engine, const std::string& table) {
    auto conn = engine.connect();
    return conn.execute(sa::text("SELECT count(*) FROM " + table).columns<std::int64_t>()).scalar_one();
}

/// The index of the first line starting with `prefix` and containing `fragment`, or -1.
std::ptrdiff_t find_line(const std::vector<std::string>& lines, std::string_view prefix,
                         std::string_view fragment) {
    for (std::size_t i = 0; i < lines.size(); ++i)
        if (lines[i].starts_with(prefix) && lines[i].find(fragment) != std::string::npos)
            return static_cast<std::ptrdiff_t>(i);
    return -1;
}

std::pair<std::string, std::int64_t> doc_in_database(sa::Engine& engine, std::int64_t id) {
    auto conn = engine.connect();
    auto [title, version] =
        conn.execute(sa::select(sa::col<&Doc::title>, sa::col<&Doc::version>).where(sa::col<&Doc::id> == id))
            .one();
    return {title, version};
}

// An engine on `backend` whose members table, made anew, holds `rows`.
sa::Engine engine_with_members(const sa::test::Backend& backend, std::vector<Member> rows) {
    auto engine = backend.engine();
    sa::metadata<Member>().drop_all(engine);
    sa::metadata<Member>().create_all(engine);
    sa::Session session(engine);
    for (auto& row : rows) session.add(std::move(row));
    session.commit();
    return engine;
}

std::int64_t add_doc(sa::Engine& engine, std::string title) {
    sa::Session session(engine);
    auto doc = session.add(Doc{.title = std::move(title)});
    session.commit();
    return doc->id;
}

}  // namespace

// Optimistic concurrency --------------------------------------------------------------------------

TEST_CASE("a versioned object starts at version 1 and each UPDATE moves it on") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    sa::metadata<Doc>().create_all(engine);

    sa::Session session(engine, {.expire_on_commit = false});
    auto doc = session.add(Doc{.title = "draft"});
    session.commit();
    CHECK(doc->version == 1);
    CHECK(doc_in_database(engine, doc->id) == std::pair<std::string, std::int64_t>{"draft", 1});
    doc->title = "final";
    session.commit();
    CHECK(doc->version == 2);
    CHECK_FALSE(session.is_modified(doc));
    CHECK(doc_in_database(engine, doc->id) == std::pair<std::string, std::int64_t>{"final", 2});
    session.commit();  // nothing changed: no UPDATE, the version stays
    CHECK(doc_in_database(engine, doc->id).second == 2);
}

TEST_CASE("a column changed during its row's UPDATE stays a change, for the next flush to write") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    sa::metadata<Note>().create_all(engine);
    sa::Session session(engine, {.expire_on_commit = false});
    auto note = session.add(Note{.title = "first", .body = "as added"});
    session.commit();

    // A listener that changes another column of the object whose UPDATE is about to run.
    std::shared_ptr<Note> touch;
    engine.on_before_cursor_execute(
        [&](sa::Connection&, std::string_view sql, std::span<const sa::Param>, bool) {
            if (touch && sql.starts_with("UPDATE")) std::exchange(touch, nullptr)->body = "changed meanwhile";
        });
    note->title = "second";
    touch = note;
    session.flush();
    CHECK(touch == nullptr);           // the listener ran
    CHECK(session.is_modified(note));  // its body is not what the database has
    session.commit();
    CHECK_FALSE(session.is_modified(note));

    sa::Session reader(engine);
    const auto stored = reader.get<Note>(note->id);
    REQUIRE(stored);
    CHECK(stored->title == "second");
    CHECK(stored->body == "changed meanwhile");
}

TEST_CASE("flushes that change one column, then another, then the first again write each one") {
    // Each flush's UPDATE names the columns changed since the last: the statement for a
    // set of columns is remembered from one flush to the next, never reused for another.
    auto backend = GENERATE(from_range(backends()));
    sa::test::EchoCapture capture;
    auto engine = backend.engine({.echo = true, .echo_sink = capture.sink()});
    sa::metadata<Note>().create_all(engine);
    sa::Session session(engine);
    auto note = session.add(Note{.title = "t0", .body = "b0"});
    session.flush();
    capture.lines.clear();
    note->title = "t1";
    session.flush();
    note->body = "b1";
    session.flush();
    note->title = "t2";
    session.flush();
    note->title = "t3";
    note->body = "b3";
    session.flush();
    std::vector<std::string> updates;
    for (const auto& line : capture.lines)
        if (line.starts_with("UPDATE")) updates.push_back(line);
    REQUIRE(updates.size() == 4);
    const auto sets = [](const std::string& sql, std::string_view column) {
        return sql.find("\"" + std::string(column) + "\" = ") != std::string::npos;
    };
    CHECK((sets(updates[0], "title") && !sets(updates[0], "body")));
    CHECK((sets(updates[1], "body") && !sets(updates[1], "title")));
    CHECK((sets(updates[2], "title") && !sets(updates[2], "body")));
    CHECK((sets(updates[3], "title") && sets(updates[3], "body")));
    session.commit();

    sa::Session reader(engine);
    const auto stored = reader.get<Note>(note->id);
    REQUIRE(stored);
    CHECK(stored->title == "t3");
    CHECK(stored->body == "b3");
}

TEST_CASE("the second of two sessions to UPDATE a versioned row raises StaleDataError and writes nothing") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    sa::metadata<Doc>().create_all(engine);
    const auto id = add_doc(engine, "v1");

    sa::Session first(engine);
    sa::Session second(engine, {.expire_on_commit = false});
    auto mine = first.get<Doc>(id);
    auto theirs = second.get<Doc>(id);
    REQUIRE(mine != nullptr);
    REQUIRE(theirs != nullptr);
    CHECK(theirs->version == 1);
    // On SQLite an open read transaction would keep the first session's COMMIT waiting;
    // PostgreSQL keeps both transactions open.
    if (backend.is_sqlite()) second.commit();

    mine->title = "first";
    first.commit();
    theirs->title = "second";
    CHECK_THROWS_MATCHES(second.commit(), sa::StaleDataError, MessageContains("docs"));
    CHECK(doc_in_database(engine, id) == std::pair<std::string, std::int64_t>{"first", 2});

    // Until rollback() the session refuses work; afterwards the row reloads as it is now.
    CHECK_THROWS_AS(second.get<Doc>(id + 1), sa::InvalidRequestError);
    second.rollback();
    CHECK(second.get<Doc>(id) == theirs);
    CHECK(theirs->title == "first");
    CHECK(theirs->version == 2);
    theirs->title = "second, again";
    second.commit();
    CHECK(doc_in_database(engine, id) == std::pair<std::string, std::int64_t>{"second, again", 3});
}

// A key the transaction changed and a rollback undid: the object must stand for its row
// under the old key again, or a later write would go to whichever row takes the new one.
TEST_CASE("a rolled-back change of an object's key gives the object its old key back") {
    auto backend = GENERATE(from_range(backends()));
    const bool nested = GENERATE(false, true);
    CAPTURE(nested);
    auto engine = engine_with_members(backend, {{.id = 1, .name = "one"}});
    sa::Session session(engine);
    auto one = session.get<Member>(1);
    std::optional<sa::SessionTransaction> savepoint;
    if (nested) savepoint.emplace(session.begin_nested());
    one->id = 5;
    session.flush();
    one->id = 7;  // twice: the rollback goes back to the first
    session.flush();
    if (nested) savepoint->rollback();
    else session.rollback();
    CHECK(one->id == 1);
    CHECK(one->name == "one");
    CHECK(session.get<Member>(1) == one);

    // Key 7 is free again, and a new row takes it; the object still writes to row 1.
    session.add(Member{.id = 7, .name = "seven"});
    session.flush();
    one->name = "renamed one";
    session.commit();
    auto conn = engine.connect();
    std::map<std::int64_t, std::string> rows;
    for (auto [id, name] : conn.execute(sa::select(sa::col<&Member::id>, sa::col<&Member::name>)))
        rows.emplace(id, name);
    CHECK(rows == std::map<std::int64_t, std::string>{{1, "renamed one"}, {7, "seven"}});
}

// A change of key that a savepoint's release hands to the transaction is undone with the
// transaction, not with a later savepoint.
TEST_CASE("a key change released from a savepoint is undone by the transaction's rollback") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = engine_with_members(backend, {{.id = 1, .name = "one"}});
    sa::Session session(engine);
    auto one = session.get<Member>(1);
    {
        auto savepoint = session.begin_nested();
        one->id = 5;
        savepoint.commit();
    }
    CHECK(one->id == 5);
    // A later savepoint's rollback leaves it to the transaction.
    session.begin_nested().rollback();
    CHECK(one->id == 5);
    session.rollback();
    CHECK(one->id == 1);
    CHECK(session.get<Member>(1) == one);
    CHECK(session.get<Member>(5) == nullptr);
}

// The session holds an object whose row another transaction deleted; a flush then gives
// that key to another row. The old object must leave the session: otherwise it would stand
// for the new row too, and its changes would be written there.
TEST_CASE("an object whose key a flushed row takes over leaves the session") {
    auto backend = GENERATE(from_range(backends()));
    const bool by_insert = GENERATE(false, true);
    CAPTURE(by_insert);
    auto engine = engine_with_members(backend, {{.id = 1, .name = "one"}, {.id = 2, .name = "two"}});
    sa::Session session(engine, {.expire_on_commit = false});
    auto one = session.get<Member>(1);
    auto gone = session.get<Member>(2);
    session.commit();  // SQLite: no read lock left to keep the other writer waiting
    {
        auto conn = engine.connect();
        conn.execute(sa::delete_<Member>().where(sa::col<&Member::id> == 2));
        conn.commit();
    }
    std::shared_ptr<Member> taker;
    if (by_insert) {
        taker = session.add(Member{.id = 2, .name = "new two"});
    } else {
        taker = one;
        one->id = 2;
    }
    session.flush();
    CHECK(sa::inspect(gone).detached());
    CHECK(session.get<Member>(2) == taker);
    gone->name = "a stale change";
    session.commit();
    auto conn = engine.connect();
    const auto rows = conn.execute(sa::select(sa::col<&Member::name>).where(sa::col<&Member::id> == 2)).all();
    CHECK(rows == std::vector<std::string>{taker->name});
}

// One flush moves a key another of its rows gives up: both objects stay, each under its
// new key.
TEST_CASE("a key that one UPDATE of a flush frees and another takes keeps both objects") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = engine_with_members(backend, {{.id = 1, .name = "one"}, {.id = 2, .name = "two"}});
    sa::Session session(engine);
    auto one = session.get<Member>(1);
    auto two = session.get<Member>(2);
    one->id = 3;
    two->id = 1;
    session.flush();
    CHECK(sa::inspect(one).persistent());
    CHECK(sa::inspect(two).persistent());
    CHECK(session.get<Member>(3) == one);
    CHECK(session.get<Member>(1) == two);
    session.commit();
}

// As SQLAlchemy's merge(): a detached copy read before another session's change carries
// the old version, and merging it raises instead of writing over that change; a copy
// whose version is left 0 merges onto the row as it is.
TEST_CASE("merge() of a versioned copy read before another session's change raises StaleDataError") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    sa::metadata<Doc>().create_all(engine);
    const auto id = add_doc(engine, "v1");
    Doc copy;
    {
        sa::Session reader(engine);
        copy = *reader.get<Doc>(id);
    }
    {
        sa::Session writer(engine);
        writer.get<Doc>(id)->title = "their change";
        writer.commit();
    }
    copy.title = "my stale change";

    sa::Session session(engine);
    CHECK_THROWS_MATCHES(session.merge(copy), sa::StaleDataError, MessageContains("version 1"));
    session.rollback();
    CHECK(doc_in_database(engine, id) == std::pair<std::string, std::int64_t>{"their change", 2});

    copy.version = 0;
    const auto merged = session.merge(copy);
    CHECK(merged->version == 2);
    session.commit();
    CHECK(doc_in_database(engine, id) == std::pair<std::string, std::int64_t>{"my stale change", 3});

    copy.version = 3;
    copy.title = "up to date";
    session.merge(copy);
    session.commit();
    CHECK(doc_in_database(engine, id) == std::pair<std::string, std::int64_t>{"up to date", 4});
}

// Keys renumbered upwards, loaded from the highest down: each row in turn moves to a
// key the row before it freed. One statement for all of them would collide (SQLite
// applies its rows in key order), so changed key columns go row by row.
TEST_CASE("a session renumbering 1 200 keys upwards, highest first, commits") {
    auto backend = GENERATE(from_range(backends()));
    sa::test::EchoCapture capture;
    auto engine = backend.engine({.echo = true, .echo_sink = capture.sink()});
    sa::metadata<Doc>().create_all(engine);
    {
        sa::Session session(engine);
        for (int i = 1; i <= 1200; ++i) session.add(Doc{.id = i, .title = "d" + std::to_string(i)});
        session.commit();
    }
    sa::Session session(engine);
    auto docs = session.query<Doc>().order_by(sa::col<&Doc::id>.desc()).all();
    REQUIRE(docs.size() == 1200);
    for (auto& doc : docs) ++doc->id;
    capture.lines.clear();
    session.commit();
    CHECK(count_containing(capture.lines, "UPDATE", "FROM (VALUES") == 0);

    auto conn = engine.connect();
    const auto [lowest, highest] =
        conn.execute(sa::select(sa::min(sa::col<&Doc::id>), sa::max(sa::col<&Doc::id>))).one();
    CHECK(lowest == 2);
    CHECK(highest == 1201);
    CHECK(doc_in_database(engine, 2).first == "d1");
    CHECK(doc_in_database(engine, 1201).first == "d1200");
}

// 1 000 changed rows go as one UPDATE ... FROM (VALUES ...) on both backends: the row
// another session moved on must still fail the whole statement, not be skipped.
TEST_CASE(
    "a batch of versioned UPDATEs with one row changed elsewhere raises StaleDataError and writes nothing") {
    auto backend = GENERATE(from_range(backends()));
    sa::test::EchoCapture capture;
    auto engine = backend.engine({.echo = true, .echo_sink = capture.sink()});
    sa::metadata<Doc>().create_all(engine);

    sa::Session session(engine, {.expire_on_commit = false});
    std::vector<std::shared_ptr<Doc>> docs;
    for (int i = 0; i < 1000; ++i) docs.push_back(session.add(Doc{.title = "d" + std::to_string(i)}));
    session.commit();
    const auto moved = docs[500]->id;
    {
        auto conn = engine.connect();
        conn.execute(sa::update<Doc>()
                         .values(sa::col<&Doc::title> = "elsewhere", sa::col<&Doc::version> = 2)
                         .where(sa::col<&Doc::id> == moved));
        conn.commit();
    }
    for (auto& doc : docs) doc->title += " changed";
    capture.lines.clear();
    CHECK_THROWS_MATCHES(session.commit(), sa::StaleDataError, MessageContains("matched 999"));
    CHECK(count_containing(capture.lines, "UPDATE", "FROM (VALUES") == 1);
    session.rollback();

    auto conn = engine.connect();
    const auto changed =
        conn.execute(sa::select(sa::count()).select_from<Doc>().where(sa::col<&Doc::title>.like("% changed")))
            .scalar_one();
    CHECK(changed == 0);
    CHECK(doc_in_database(engine, moved) == std::pair<std::string, std::int64_t>{"elsewhere", 2});
    CHECK(doc_in_database(engine, docs[0]->id) == std::pair<std::string, std::int64_t>{"d0", 1});
}

TEST_CASE("deleting a versioned row another session changed raises StaleDataError and keeps the row") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    sa::metadata<Doc>().create_all(engine);
    const auto id = add_doc(engine, "v1");

    sa::Session first(engine);
    sa::Session second(engine, {.expire_on_commit = false});
    auto mine = first.get<Doc>(id);
    auto theirs = second.get<Doc>(id);
    if (backend.is_sqlite()) second.commit();

    mine->title = "changed";
    first.commit();
    second.delete_(theirs);
    CHECK_THROWS_AS(second.commit(), sa::StaleDataError);
    CHECK(sa::inspect(theirs).persistent());
    second.rollback();
    CHECK(doc_in_database(engine, id) == std::pair<std::string, std::int64_t>{"changed", 2});
    CHECK(count_rows(engine, "docs") == 1);

    // Up to date, the DELETE goes through.
    second.refresh(theirs);
    second.delete_(theirs);
    second.commit();
    CHECK(count_rows(engine, "docs") == 0);
}

TEST_CASE("an UPDATE of a row deleted behind the session's back raises StaleDataError, versioned or not") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    sa::metadata<Member>().create_all(engine);

    sa::Session session(engine, {.expire_on_commit = false});
    auto member = session.add(Member{.name = "ann"});
    session.commit();
    {
        auto conn = engine.connect();
        conn.execute(sa::delete_<Member>().where(sa::col<&Member::id> == member->id));
        conn.commit();
    }
    member->name = "anne";
    CHECK_THROWS_MATCHES(session.commit(), sa::StaleDataError, MessageContains("matched 0"));
    session.rollback();
    CHECK(session.get<Member>(member->id) == nullptr);
}

// Row switch --------------------------------------------------------------------------------------

// As in SQLAlchemy, a new object with the key of a row the same flush deletes
// takes that row by an UPDATE. An INSERT would meet the row's key: DELETEs go last.

namespace {
/// Makes the notes table anew, holding one row {id, "old", "old body"}.
void one_note(sa::Engine& engine, std::int64_t id) {
    sa::metadata<Note>().drop_all(engine);
    sa::metadata<Note>().create_all(engine);
    sa::Session setup(engine);
    setup.add(Note{.id = id, .title = "old", .body = "old body"});
    setup.commit();
}
std::pair<std::string, std::string> note_in_database(sa::Engine& engine, std::int64_t id) {
    auto conn = engine.connect();
    auto [title, body] =
        conn.execute(sa::select(sa::col<&Note::title>, sa::col<&Note::body>).where(sa::col<&Note::id> == id))
            .one();
    return {title, body};
}
}  // namespace

TEST_CASE("a new object with the key of an object deleted in the same flush takes its row") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    one_note(engine, 1);
    sa::Session session(engine, {.expire_on_commit = false});
    auto old = session.get<Note>(1);
    REQUIRE(old);
    session.delete_(old);
    auto fresh = session.add(Note{.id = 1, .title = "new", .body = "new body"});
    CHECK_NOTHROW(session.flush());
    CHECK(sa::inspect(fresh).persistent());
    CHECK(sa::inspect(old).deleted());
    CHECK(session.get<Note>(1) == fresh);
    CHECK_FALSE(session.is_modified(fresh));
    session.commit();
    CHECK(sa::inspect(old).detached());
    CHECK(count_rows(engine, "notes") == 1);
    CHECK(note_in_database(engine, 1) == std::pair<std::string, std::string>{"new", "new body"});
    // The row is the new object's: a change of it is written there.
    fresh->body = "changed";
    session.commit();
    CHECK(note_in_database(engine, 1) == std::pair<std::string, std::string>{"new", "changed"});
}

TEST_CASE("merge() of a key whose object is deleted in the session takes that object's row") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    one_note(engine, 7);
    sa::Session session(engine);
    session.delete_(session.get<Note>(7));
    CHECK(session.get<Note>(7) == nullptr);  // deleted in the session: merge() adds a copy
    auto merged = session.merge(Note{.id = 7, .title = "merged", .body = "merged body"});
    CHECK(sa::inspect(merged).pending());
    CHECK_NOTHROW(session.commit());
    CHECK(count_rows(engine, "notes") == 1);
    CHECK(note_in_database(engine, 7) == std::pair<std::string, std::string>{"merged", "merged body"});
}

TEST_CASE("a rollback undoes a row switch: the new object leaves, the deleted one is back") {
    auto backend = GENERATE(from_range(backends()));
    const bool nested = GENERATE(false, true);
    CAPTURE(nested);
    auto engine = backend.engine();
    one_note(engine, 3);
    sa::Session session(engine);
    auto old = session.get<Note>(3);
    REQUIRE(old);
    std::optional<sa::SessionTransaction> savepoint;
    if (nested) savepoint.emplace(session.begin_nested());
    session.delete_(old);
    auto fresh = session.add(Note{.id = 3, .title = "new", .body = "new body"});
    session.flush();
    REQUIRE(sa::inspect(fresh).persistent());
    if (nested) savepoint->rollback();
    else session.rollback();
    // As after the rollback of an INSERT and a DELETE.
    CHECK(sa::inspect(fresh).transient());
    CHECK(sa::inspect(old).persistent());
    CHECK(session.get<Note>(3) == old);
    CHECK(old->title == "old");
    CHECK_FALSE(session.is_modified(old));
    session.commit();
    CHECK(note_in_database(engine, 3) == std::pair<std::string, std::string>{"old", "old body"});
}

TEST_CASE("a row switch of a versioned row matches the deleted object's version and moves it on") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    sa::metadata<Doc>().drop_all(engine);
    sa::metadata<Doc>().create_all(engine);
    const auto id = add_doc(engine, "v1");
    {
        sa::Session session(engine, {.expire_on_commit = false});
        session.delete_(session.get<Doc>(id));
        auto fresh = session.add(Doc{.id = id, .title = "replaced"});
        CHECK_NOTHROW(session.commit());
        CHECK(fresh->version == 2);
        CHECK(doc_in_database(engine, id) == std::pair<std::string, std::int64_t>{"replaced", 2});
    }
    // Another session changed the row since the deleted object was read: its version
    // moved on, the UPDATE matches nothing, and the row stays theirs.
    sa::Session late(engine, {.expire_on_commit = false});
    auto read = late.get<Doc>(id);
    if (backend.is_sqlite()) late.commit();
    {
        sa::Session other(engine);
        other.get<Doc>(id)->title = "theirs";
        other.commit();
    }
    late.delete_(read);
    late.add(Doc{.id = id, .title = "late"});
    CHECK_THROWS_AS(late.commit(), sa::StaleDataError);
    late.rollback();
    CHECK(doc_in_database(engine, id) == std::pair<std::string, std::int64_t>{"theirs", 3});
}

TEST_CASE("a new object that refers to a row switch's object gets its key without waiting for an INSERT") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    sa::metadata<Author, Book>().drop_all(engine);
    sa::metadata<Author, Book>().create_all(engine);
    {
        sa::Session setup(engine);
        setup.add(Author{.id = 1, .name = "old"});
        setup.commit();
    }
    sa::Session session(engine, {.expire_on_commit = false});
    session.delete_(session.get<Author>(1));
    auto fresh = session.add(Author{.id = 1, .name = "new"});
    auto book = session.add(Book{.id = 5, .title = "b5"});
    book->author = fresh;  // its key waits for the author's row, which the UPDATE gives at once
    CHECK_NOTHROW(session.commit());
    CHECK(book->author_id == 1);
    CHECK(count_rows(engine, "authors") == 1);
    auto conn = engine.connect();
    CHECK(conn.execute(sa::select(sa::col<&Book::author_id>).where(sa::col<&Book::id> == 5)).scalar_one() ==
          1);
    CHECK(conn.execute(sa::select(sa::col<&Author::name>).where(sa::col<&Author::id> == 1)).scalar_one() ==
          "new");
}

// Flush order -----------------------------------------------------------------------------------------

TEST_CASE("a flush inserts parents before the children added ahead of them, and deletes children first") {
    auto backend = GENERATE(from_range(backends()));
    sa::test::EchoCapture capture;
    auto engine = backend.engine({.echo = true, .echo_sink = capture.sink()});
    sa::metadata<Author, Book>().create_all(engine);

    {
        sa::Session session(engine);
        session.add(Book{.id = 10, .author_id = 1, .title = "b10"});
        session.add(Book{.id = 11, .author_id = 2, .title = "b11"});
        session.add(Book{.id = 12, .author_id = 1, .title = "b12"});
        session.add(Author{.id = 1, .name = "a1"});
        session.add(Author{.id = 2, .name = "a2"});
        capture.lines.clear();
        session.commit();  // books first would violate their foreign key
        const auto authors = find_line(capture.lines, "INSERT", "authors");
        const auto books = find_line(capture.lines, "INSERT", "books");
        REQUIRE(authors >= 0);
        REQUIRE(books >= 0);
        CHECK(authors < books);
    }
    CHECK(count_rows(engine, "books") == 3);

    {  // A changed foreign key pointing at a new parent: the parent's INSERT comes first.
        sa::Session session(engine);
        auto book = session.get<Book>(std::int64_t{11});
        REQUIRE(book);
        book->author_id = 3;
        session.add(Author{.id = 3, .name = "a3"});
        session.commit();
    }

    {
        sa::Session session(engine);
        auto a1 = session.get<Author>(std::int64_t{1});
        REQUIRE(a1);
        // Loaded before any delete_(): a query's autoflush would run the DELETE at once.
        auto books = session.query<Book>().filter(sa::col<&Book::author_id> == 1).all();
        REQUIRE(books.size() == 2);
        session.delete_(a1);  // the parent named first
        for (const auto& book : books) session.delete_(book);
        capture.lines.clear();
        session.commit();  // the author first would violate the books' foreign key
        const auto author_delete = find_line(capture.lines, "DELETE", "authors");
        const auto book_delete = find_line(capture.lines, "DELETE", "books");
        REQUIRE(author_delete >= 0);
        REQUIRE(book_delete >= 0);
        CHECK(book_delete < author_delete);
        CHECK(sa::inspect(a1).detached());
    }
    CHECK(count_rows(engine, "authors") == 2);
    CHECK(count_rows(engine, "books") == 1);
}

TEST_CASE("a self-referencing table's rows are inserted managers first and deleted reports first") {
    auto backend = GENERATE(from_range(backends()));
    sa::test::EchoCapture capture;
    auto engine = backend.engine({.echo = true, .echo_sink = capture.sink()});
    sa::metadata<Employee>().create_all(engine);

    {
        sa::Session session(engine);
        session.add(Employee{.id = 4, .name = "dev", .manager_id = 3});
        session.add(Employee{.id = 3, .name = "lead", .manager_id = 2});
        session.add(Employee{.id = 5, .name = "tester", .manager_id = 3});
        session.add(Employee{.id = 2, .name = "cto", .manager_id = 1});
        session.add(Employee{.id = 1, .name = "ceo"});
        session.add(Employee{.id = 6, .name = "contractor"});
        capture.lines.clear();
        session.commit();
        // The VALUES rows start with the root of the chain.
        const auto insert = find_line(capture.lines, "INSERT", "employees");
        REQUIRE(insert >= 0);
        REQUIRE(static_cast<std::size_t>(insert + 1) < capture.lines.size());
        CHECK_THAT(capture.lines[static_cast<std::size_t>(insert + 1)],
                   Catch::Matchers::StartsWith(
                       "[parameters: (1, 'ceo', NULL, 2, 'cto', 1, 3, 'lead', 2, 4, 'dev', 3"));
    }
    CHECK(count_rows(engine, "employees") == 6);

    {  // One DELETE per row, each checked at once: reports must go before their managers.
        sa::Session session(engine);
        // Loaded (and so listed in the session) bosses last: reversing that order alone
        // would delete the ceo first.
        auto everyone = session.query<Employee>().order_by(sa::col<&Employee::id>.desc()).all();
        REQUIRE(everyone.size() == 6);
        for (const auto& employee : everyone) session.delete_(employee);
        session.commit();
    }
    CHECK(count_rows(engine, "employees") == 0);
}

// A failed flush -------------------------------------------------------------------------------------

TEST_CASE("a flush that fails on its 3rd of 5 objects leaves all 5 pending without ids and writes nothing") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    sa::metadata<Member>().create_all(engine);
    std::int64_t taken_id = 0;
    {
        sa::Session session(engine);
        auto taken = session.add(Member{.name = "taken"});
        session.commit();
        taken_id = taken->id;
    }

    // The 3rd object repeats a unique name (all five in one INSERT), or an existing
    // primary key (the two before it are inserted by a statement of their own first,
    // and get ids the failure must take back).
    const std::vector<Member> thirds{{.name = "taken"}, {.id = taken_id, .name = "new name"}};
    for (const auto& third : thirds) {
        INFO("third object: id " << third.id << ", name " << third.name);
        sa::Session session(engine);
        auto earlier = session.add(Member{.name = "earlier"});
        session.flush();  // already in the transaction the failure rolls back
        REQUIRE(earlier->id != 0);

        std::vector<std::shared_ptr<Member>> five{
            session.add(Member{.name = "m1"}), session.add(Member{.name = "m2"}), session.add(Member(third)),
            session.add(Member{.name = "m4"}), session.add(Member{.name = "m5"})};
        CHECK_THROWS_AS(session.flush(), sa::UniqueViolation);
        for (const auto& member : five) {
            CHECK(sa::inspect(member).pending());
            CHECK(session.contains(member));
        }
        for (std::size_t i : {0u, 1u, 3u, 4u}) CHECK(five[i]->id == 0);
        CHECK(five[2]->id == third.id);
        CHECK(count_rows(engine, "members") == 1);

        // Until rollback(), the session refuses to go on.
        CHECK_THROWS_AS(session.query<Member>().all(), sa::InvalidRequestError);
        CHECK_THROWS_AS(session.query<Member>().count(), sa::InvalidRequestError);
        CHECK_THROWS_AS(session.get<Member>(taken_id), sa::InvalidRequestError);
        CHECK_THROWS_AS(session.execute(sa::select(sa::col<&Member::name>)), sa::InvalidRequestError);
        CHECK_THROWS_AS(session.flush(), sa::InvalidRequestError);
        CHECK_THROWS_MATCHES(session.commit(), sa::InvalidRequestError, MessageContains("rollback()"));

        session.rollback();
        for (const auto& member : five) CHECK(sa::inspect(member).transient());
        CHECK(sa::inspect(earlier).transient());
        CHECK(earlier->id == 0);

        // The session works again: the good objects go in.
        for (std::size_t i : {0u, 1u, 3u, 4u}) session.add(five[i]);
        session.commit();
        for (std::size_t i : {0u, 1u, 3u, 4u}) {
            CHECK(five[i]->id != 0);
            CHECK(sa::inspect(five[i]).persistent());
        }
        CHECK(session.query<Member>().count() == 5);
        // Back to "taken" alone for the next round.
        session.query<Member>().filter(sa::col<&Member::id> != taken_id).delete_();
        session.commit();
        CHECK(count_rows(engine, "members") == 1);
    }
}

TEST_CASE("a failed flush takes back the keys earlier batches of it wrote into objects") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    sa::metadata<Member, Author, Book>().create_all(engine);
    {
        sa::Session session(engine);
        session.add(Member{.name = "taken"});
        session.commit();
    }

    sa::Session session(engine);
    std::vector<std::shared_ptr<Member>> members;
    for (int i = 0; i < 2500; ++i)
        members.push_back(session.add(Member{.name = i == 2100 ? "taken" : "m" + std::to_string(i)}));
    CHECK_THROWS_AS(session.flush(), sa::UniqueViolation);
    CHECK(std::all_of(members.begin(), members.end(), [](const auto& m) { return m->id == 0; }));
    CHECK(
        std::all_of(members.begin(), members.end(), [](const auto& m) { return sa::inspect(m).pending(); }));
    session.rollback();
    CHECK(count_rows(engine, "members") == 1);

    // Across models: the authors' INSERT succeeded before the books' failed.
    auto author = session.add(Author{.name = "generated"});
    auto orphan = session.add(Book{.id = 1, .author_id = 999, .title = "no such author"});
    CHECK_THROWS_AS(session.flush(), sa::ForeignKeyViolation);
    CHECK(author->id == 0);
    CHECK(sa::inspect(author).pending());
    session.rollback();
    CHECK(count_rows(engine, "authors") == 0);
}

TEST_CASE("tables that refer to each other: each flush orders the models by its rows' references") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    sa::metadata<Team, Player>().create_all(engine);
    sa::Session session(engine);

    // A new player of a new team: the team goes first. Then a new team led by a new
    // player: the player goes first. Whichever order the models were first used in, one
    // of the two flushes needs the other order.
    auto ann = session.add(Player{.name = "ann"});
    auto reds = session.add(Team{.name = "reds"});
    ann->team = reds;
    session.commit();
    CHECK(ann->team_id == reds->id);
    auto bob = session.add(Player{.name = "bob"});
    auto blues = session.add(Team{.name = "blues"});
    blues->lead = bob;
    session.commit();
    CHECK(blues->lead_id == bob->id);
    CHECK(session.query<Team>().filter(sa::col<&Team::lead_id> == bob->id).count() == 1);
    CHECK(session.query<Player>().filter(sa::col<&Player::team_id> == reds->id).count() == 1);

    // Two new rows that each need the other's key: refused, naming the cycle, and
    // nothing written.
    auto cid = session.add(Player{.name = "cid"});
    auto greens = session.add(Team{.name = "greens"});
    cid->team = greens;
    greens->lead = cid;
    CHECK_THROWS_MATCHES(session.flush(), sa::FlushError, MessageContains("form a cycle"));
    CHECK(sa::inspect(cid).pending());
    CHECK(sa::inspect(greens).pending());
    session.rollback();
    CHECK(count_rows(engine, "teams") == 2);
    CHECK(count_rows(engine, "players") == 2);

    // A new team taken out of the session after a player named it: the flush cannot
    // give the player its key, and says so rather than write a NULL.
    auto dan = session.add(Player{.name = "dan"});
    auto whites = std::make_shared<Team>(Team{.name = "whites"});
    dan->team = whites;
    session.expunge(whites);
    CHECK_THROWS_MATCHES(session.flush(), sa::FlushError, MessageContains("does not insert"));
    CHECK(dan->team_id == std::nullopt);
    session.rollback();
    CHECK(count_rows(engine, "players") == 2);
}

TEST_CASE("tables that refer to each other: one flush orders their rows one by one") {
    auto backend = GENERATE(from_range(backends()));
    sa::test::EchoCapture capture;
    auto engine = backend.engine({.echo = true, .echo_sink = capture.sink()});
    sa::metadata<Team, Player>().create_all(engine);
    {
        sa::Session session(engine);
        // Both directions in one flush, with no cycle between rows: ann plays for the new
        // reds, the new blues are led by bob. Neither model can go first as a whole.
        auto ann = session.add(Player{.name = "ann"});
        auto reds = session.add(Team{.name = "reds"});
        auto bob = session.add(Player{.name = "bob"});
        auto blues = session.add(Team{.name = "blues"});
        ann->team = reds;
        blues->lead = bob;
        // A chain through both tables: greens led by cid, who plays for the new golds.
        auto cid = session.add(Player{.name = "cid"});
        auto greens = session.add(Team{.name = "greens"});
        auto golds = session.add(Team{.name = "golds"});
        greens->lead = cid;
        cid->team = golds;
        capture.lines.clear();
        session.commit();
        // Waves: reds, golds and bob; then ann, cid and blues; then greens.
        CHECK(count_starting_with(capture.lines, "INSERT") == 5);
        CHECK(ann->team_id == reds->id);
        CHECK(blues->lead_id == bob->id);
        CHECK(greens->lead_id == cid->id);
        CHECK(cid->team_id == golds->id);
        CHECK(session.query<Player>().filter(sa::col<&Player::team_id> == golds->id).one()->name == "cid");
        CHECK(session.query<Team>().filter(sa::col<&Team::lead_id> == bob->id).one()->name == "blues");

        // An object with a row that now refers to a new one: an UPDATE after its INSERT.
        auto dee = session.add(Player{.name = "dee"});
        reds->lead = dee;
        session.commit();
        CHECK(reds->lead_id == dee->id);
        CHECK(count_rows(engine, "teams") == 4);
    }
    {
        // Rows with given keys that refer to each other through their foreign-key values.
        sa::Session session(engine);
        session.add(Team{.id = 11, .name = "whites", .lead_id = 20});
        session.add(Player{.id = 20, .name = "eve", .team_id = 10});
        session.add(Team{.id = 10, .name = "blacks"});
        session.commit();
        CHECK(count_rows(engine, "players") == 5);
    }
    {
        // Deleted together: whites (led by eve), eve (of the blacks), the blacks. Each row
        // goes before the row it refers to, whichever model the session met first.
        sa::Session session(engine);
        auto blacks = session.get<Team>(std::int64_t{10});
        auto eve = session.get<Player>(std::int64_t{20});
        auto whites = session.get<Team>(std::int64_t{11});
        REQUIRE(blacks);
        REQUIRE(eve);
        REQUIRE(whites);
        // Their players read first, so that no delete_() reads them (and autoflushes).
        CHECK(blacks->players.size() == 1);
        CHECK(whites->players.empty());
        capture.lines.clear();
        session.delete_(blacks);
        session.delete_(eve);
        session.delete_(whites);
        CHECK(count_starting_with(capture.lines, "SELECT") == 0);
        session.commit();
        CHECK(count_rows(engine, "teams") == 4);
        CHECK(count_rows(engine, "players") == 4);
    }
    {
        // Everything left: ann before the reds before their lead dee, and greens before
        // their lead cid before the golds.
        sa::Session session(engine);
        const auto teams = session.query<Team>().options(sa::selectinload<&Team::players>()).all();
        const auto players = session.query<Player>().all();
        capture.lines.clear();
        for (const auto& player : players) session.delete_(player);
        for (const auto& team : teams) session.delete_(team);
        CHECK(count_starting_with(capture.lines, "SELECT") == 0);
        session.commit();
        CHECK(count_starting_with(capture.lines, "DELETE") >= 3);
        CHECK(count_rows(engine, "teams") == 0);
        CHECK(count_rows(engine, "players") == 0);
    }
}

TEST_CASE(
    "post_update: a cycle between rows is inserted, then closed by an UPDATE, and cleared before DELETEs") {
    auto backend = GENERATE(from_range(backends()));
    sa::test::EchoCapture capture;
    auto engine = backend.engine({.echo = true, .echo_sink = capture.sink()});
    sa::metadata<Widget, Entry>().create_all(engine);
    std::int64_t taken_id = 0;
    {
        sa::Session session(engine);
        auto widget = session.add(Widget{.name = "w"});
        auto first = session.add(Entry{.name = "first"});
        auto second = session.add(Entry{.name = "second"});
        widget->entries.add(first);
        widget->entries.add(second);
        widget->favorite = second;  // each needs the other's generated key
        capture.lines.clear();
        session.commit();
        // The widget without its favourite, the entries, then the widget's UPDATE.
        CHECK(count_starting_with(capture.lines, "INSERT") == 2);
        CHECK(count_starting_with(capture.lines, "UPDATE") == 1);
        CHECK(widget->favorite_id == second->id);
        CHECK(first->widget_id == widget->id);
        CHECK(widget->version == 2);  // the UPDATE moved the version on, as any UPDATE does
        CHECK(session.query<Widget>().filter(sa::col<&Widget::favorite_id> == second->id).count() == 1);
        CHECK(session.query<Widget>().filter(sa::col<&Widget::version> == 2).count() == 1);
        taken_id = first->id;
    }
    {
        // The entries' INSERT fails after the widget's: the widget is pending again, with
        // no key and no favourite.
        sa::Session session(engine);
        auto widget = session.add(Widget{.name = "w2"});
        auto clash = session.add(Entry{.id = taken_id, .name = "clash"});
        widget->entries.add(clash);
        widget->favorite = clash;
        CHECK_THROWS_AS(session.flush(), sa::UniqueViolation);
        CHECK(widget->id == 0);
        CHECK(widget->favorite_id == std::nullopt);
        CHECK(widget->version == 0);
        CHECK(sa::inspect(widget).pending());
        session.rollback();
        CHECK(count_rows(engine, "widgets") == 1);

        // Now the post_update UPDATE fails (both widgets name one favourite, which must be
        // unique): the rows and keys the INSERTs gave are taken back as well.
        auto w3 = session.add(Widget{.name = "w3"});
        auto w4 = session.add(Widget{.name = "w4"});
        auto shared = session.add(Entry{.name = "shared"});
        w3->entries.add(shared);
        w3->favorite = shared;
        w4->favorite = shared;
        CHECK_THROWS_AS(session.flush(), sa::UniqueViolation);
        for (const auto& w : {w3, w4}) {
            CHECK(w->id == 0);
            CHECK(w->favorite_id == std::nullopt);
            CHECK(w->version == 0);
            CHECK(sa::inspect(w).pending());
        }
        CHECK(shared->id == 0);
        CHECK(shared->widget_id == std::nullopt);
        session.rollback();
        CHECK(count_rows(engine, "widgets") == 1);
        CHECK(count_rows(engine, "entries") == 2);
    }
    {
        // Deleted together: the entries refer to the widget, the widget to an entry. Its
        // favourite is set to NULL first, then the entries go, then the widget.
        sa::Session session(engine);
        auto widget = session.query<Widget>().options(sa::selectinload<&Widget::entries>()).one();
        REQUIRE(widget->entries.size() == 2);
        const auto entries = session.query<Entry>().all();
        capture.lines.clear();
        for (const auto& entry : entries) session.delete_(entry);
        session.delete_(widget);
        session.commit();
        const auto cleared = find_line(capture.lines, "UPDATE", "widgets");
        const auto entries_deleted = find_line(capture.lines, "DELETE", "entries");
        const auto widget_deleted = find_line(capture.lines, "DELETE", "widgets");
        REQUIRE(cleared >= 0);
        CHECK(cleared < entries_deleted);
        CHECK(entries_deleted < widget_deleted);
        CHECK(count_rows(engine, "widgets") == 0);
        CHECK(count_rows(engine, "entries") == 0);
    }
}

// Batched INSERTs ------------------------------------------------------------------------------------

TEST_CASE("2500 new objects go out in a few INSERTs, each object getting its own row's id") {
    auto backend = GENERATE(from_range(backends()));
    sa::test::EchoCapture capture;
    auto engine = backend.engine({.echo = true, .echo_sink = capture.sink()});
    sa::metadata<Member>().create_all(engine);

    sa::Session session(engine);
    std::vector<std::shared_ptr<Member>> members;
    for (int i = 0; i < 2500; ++i)
        members.push_back(session.add(Member{.name = "member " + std::to_string(i)}));
    capture.lines.clear();
    session.commit();
    // SQLite: the transaction's first row alone, by RETURNING (ModelSetCore::insert_rows);
    // the batches after it learn their keys from their last row's.
    if (backend.is_sqlite()) {
        CHECK(count_starting_with(capture.lines, "INSERT") <= 4);
        CHECK(count_containing(capture.lines, "INSERT", "RETURNING") == 1);
        // The check of how the table numbers keys reads after the first write: a read
        // first would make the write fail (WAL) or not wait (rollback journal) when
        // another connection wrote meanwhile.
        CHECK(find_line(capture.lines, "INSERT", "") < find_line(capture.lines, "SELECT", ""));
    } else {
        // PostgreSQL: keys taken from the sequence first, then the rows by COPY.
        CHECK(count_starting_with(capture.lines, "INSERT") == 0);
        CHECK(count_starting_with(capture.lines, "COPY") == 1);
    }

    std::set<std::int64_t> ids;
    for (const auto& m : members) ids.insert(m->id);
    CHECK(ids.size() == members.size());
    CHECK_FALSE(ids.contains(0));

    auto conn = engine.connect();
    std::map<std::string, std::int64_t> in_database;
    for (auto [name, id] : conn.execute(sa::select(sa::col<&Member::name>, sa::col<&Member::id>)))
        in_database.emplace(name, id);
    REQUIRE(in_database.size() == members.size());
    for (std::size_t i : {0u, 1u, 999u, 1000u, 1001u, 1999u, 2000u, 2499u}) {
        INFO("member " << i);
        CHECK(in_database.at(members[i]->name) == members[i]->id);
    }
    std::size_t mismatched = 0;
    for (const auto& m : members) mismatched += in_database.at(m->name) == m->id ? 0 : 1;
    CHECK(mismatched == 0);

    // Every object is in the identity map under its key.
    CHECK(session.get<Member>(members[1234]->id) == members[1234]);

    // The same change to all of them. The name is unique, so the rows go one by one (one
    // batch in the log), not as UPDATE ... FROM (VALUES ...): a statement for many rows
    // could collide where the rows in turn would not.
    conn.rollback();  // its read transaction would keep SQLite's writer out
    for (auto& m : members) m->name += " (renamed)";
    capture.lines.clear();
    session.commit();
    CHECK(count_starting_with(capture.lines, "UPDATE") == 1);
    CHECK(count_containing(capture.lines, "UPDATE", "FROM (VALUES") == 0);
    const auto renamed = conn.execute(sa::select(sa::count())
                                          .select_from<Member>()
                                          .where(sa::col<&Member::name>.like("% (renamed)")))
                             .scalar_one();
    CHECK(renamed == 2500);
}

namespace {
/// Adds `count` members in one Session and commits; returns how many of them do not hold
/// their row's key.
std::size_t keys_off_after_adding(sa::Engine& engine, int count) {
    sa::Session session(engine);
    std::vector<std::shared_ptr<Member>> members;
    for (int i = 0; i < count; ++i) members.push_back(session.add(Member{.name = "m" + std::to_string(i)}));
    session.commit();
    auto conn = engine.connect();
    std::map<std::string, std::int64_t> in_database;
    for (auto [name, id] : conn.execute(sa::select(sa::col<&Member::name>, sa::col<&Member::id>)))
        in_database.emplace(name, id);
    std::size_t off = 0;
    for (const auto& m : members)
        off += in_database.contains(m->name) && in_database.at(m->name) == m->id ? 0 : 1;
    return off;
}

// An engine on `backend` (PostgreSQL) that logs in as a new role holding only the use of
// the test's schema and what `grants` gives it ("{role}" names the role) on a new members
// table.
sa::Engine limited_role_engine(const sa::test::Backend& backend, const sa::EngineOptions& options,
                               std::string grants) {
    const auto role = sa::test::unique_name("role");
    for (auto at = grants.find("{role}"); at != std::string::npos; at = grants.find("{role}"))
        grants.replace(at, 6, role);
    auto owner = backend.engine();
    sa::metadata<Member>().create_all(owner);
    auto conn = owner.connect();
    conn.execute_script("CREATE ROLE " + role +
                        " LOGIN; DO $$ BEGIN EXECUTE format('GRANT USAGE ON SCHEMA %I TO " + role +
                        "', current_schema()); END $$; " + grants);
    conn.commit();
    // Straight to the server, also when the test runs through PgBouncer, which lets in
    // only the users its auth_file names.
    auto url = sa::make_url(backend.url);
    const auto server = sa::make_url(sa::test::postgres_url().value());
    url.host = server.host;
    url.port = server.port;
    url.username = role;
    return sa::create_engine(url.render_with_password(), options);
}
}  // namespace

// SQLite learns a batch's keys without RETURNING, from the key of its last row, where its
// rows are numbered one after another (Dialect::key_numbering_sql): a trigger inserting
// between them, or keys near the largest integer, must not shift an object's key.
TEST_CASE("rows a trigger inserts between a batch's rows do not shift the keys its objects get") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    sa::metadata<Member>().create_all(engine);
    {
        auto conn = engine.connect();
        if (backend.is_postgresql()) {
            conn.execute_script(
                "CREATE FUNCTION echo_member() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                "IF NEW.name LIKE 'm%' THEN INSERT INTO members (name) VALUES ('echo of ' || NEW.name); END "
                "IF; "
                "RETURN NULL; END $$; "
                "CREATE TRIGGER members_echo AFTER INSERT ON members FOR EACH ROW EXECUTE FUNCTION "
                "echo_member()");
        } else {
            conn.execute_script(
                "CREATE TRIGGER members_echo AFTER INSERT ON members WHEN NEW.name LIKE 'm%' BEGIN "
                "INSERT INTO members (name) VALUES ('echo of ' || NEW.name); END");
        }
        conn.commit();
    }

    // Enough for PostgreSQL's COPY, which fires AFTER triggers as INSERT does.
    CHECK(keys_off_after_adding(engine, 1500) == 0);
    CHECK(count_rows(engine, "members") == 3000);
}

TEST_CASE("keys near the largest integer, which SQLite then draws at random, still reach their objects") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    sa::metadata<Member>().create_all(engine);
    constexpr auto top = std::numeric_limits<std::int64_t>::max();
    {
        sa::Session session(engine);
        session.add(Member{.id = top - 3, .name = "near the top"});
        session.commit();
    }

    CHECK(keys_off_after_adding(engine, 40) == 0);
    CHECK(count_rows(engine, "members") == 41);
}

// One INSERT's keys need not ascend in the order of its rows: a sequence may count down, a
// column default may draw keys at random. Each object must still get its own row's key.
TEST_CASE("keys that a table draws in no particular order still reach their objects") {
    auto backend = GENERATE(from_range(backends()));
    const auto count = GENERATE(5, 40, 1500);
    std::vector<std::string> tables;
    if (backend.is_postgresql()) {
        tables = {
            "CREATE TABLE members (id bigint GENERATED BY DEFAULT AS IDENTITY (START WITH -1 INCREMENT BY "
            "-1) "
            "PRIMARY KEY, name text NOT NULL UNIQUE)",
            "CREATE TABLE members (id bigint PRIMARY KEY DEFAULT (floor(random() * 1e15))::bigint, "
            "name text NOT NULL UNIQUE)"};
    } else {
        // Not the rowid's alias, so the default gives the key.
        tables = {
            "CREATE TABLE members (id BIGINT PRIMARY KEY DEFAULT (abs(random()) % 1000000000000000), "
            "name TEXT NOT NULL UNIQUE)"};
    }
    for (const auto& table : tables) {
        CAPTURE(count, table);
        auto engine = backend.engine();
        {
            auto conn = engine.connect();
            conn.execute_script("DROP TABLE IF EXISTS members; " + table);
            conn.commit();
        }
        CHECK(keys_off_after_adding(engine, count) == 0);
        CHECK(count_rows(engine, "members") == count);
    }
}

// The statement that tells a batch's keys from its last one's (SQLite) refuses to when
// the INSERT stored fewer rows than it was given, or the key column is not the rowid's
// alias; a transaction that has written makes the flush use it for the next batch.
TEST_CASE("SQLite: a batch whose rows a conflict clause skipped, or that got no keys, fails the flush") {
    auto backend = GENERATE(from_range(backends()));
    if (!backend.is_sqlite()) return;
    auto engine = backend.engine();
    const std::vector<std::string> tables{
        // m10 is there already, and the INSERT skips its row without an error.
        "CREATE TABLE members (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE ON CONFLICT IGNORE); "
        "INSERT INTO members (id, name) VALUES (100, 'm10')",
        // Not the rowid's alias: SQLite generates no key, and the rows keep id NULL.
        "CREATE TABLE members (id BIGINT PRIMARY KEY, name TEXT NOT NULL UNIQUE)"};
    for (const auto& table : tables) {
        INFO(table);
        {
            auto conn = engine.connect();
            conn.execute_script("DROP TABLE IF EXISTS members; " + table);
            conn.commit();
        }
        sa::Session session(engine);
        // Row 1 of the table; with key 41 it is also the largest key once the 40 rows of
        // the second table got rowids 2..41.
        session.add(Member{.id = 41, .name = "first"});
        session.flush();
        std::vector<std::shared_ptr<Member>> members;
        for (int i = 0; i < 40; ++i) members.push_back(session.add(Member{.name = "m" + std::to_string(i)}));
        CHECK_THROWS_AS(session.flush(), sa::FlushError);
        CHECK(std::all_of(members.begin(), members.end(), [](const auto& m) { return m->id == 0; }));
        CHECK(std::all_of(members.begin(), members.end(),
                          [](const auto& m) { return sa::inspect(m).pending(); }));
        session.rollback();
        CHECK(count_rows(engine, "members") == (table.find("IGNORE") != std::string::npos ? 1 : 0));
    }
}

// PostgreSQL loads a flush's many new rows by COPY with keys taken from the sequence
// first (Dialect::reserved_keys_sql), only where COPY stores what INSERT would.
TEST_CASE("PostgreSQL: many new objects go by COPY only where it stores the rows an INSERT would") {
    auto backend = GENERATE(from_range(backends()));
    if (!backend.is_postgresql()) return;
    {
        // Each section runs in the same schema.
        auto engine = backend.engine();
        auto conn = engine.connect();
        conn.execute_script(
            "DROP TABLE IF EXISTS members, member_log; DROP FUNCTION IF EXISTS shift_member() CASCADE");
        conn.commit();
    }
    sa::test::EchoCapture capture;
    const sa::EngineOptions echo{.echo = true, .echo_sink = capture.sink()};
    // Runs `script` (a table's set-up), adds 1500 members and checks each holds its row's
    // key; returns how many COPYs the flush sent.
    const auto set_up = [](sa::Engine& engine, const std::string& script) {
        auto conn = engine.connect();
        conn.execute_script(script);
        conn.commit();
    };
    const auto copies_adding_many = [&](sa::Engine& engine, const std::string& script) {
        if (!script.empty()) set_up(engine, script);
        capture.lines.clear();
        CHECK(keys_off_after_adding(engine, 1500) == 0);
        return count_starting_with(capture.lines, "COPY");
    };

    SECTION("a trigger that changes the key before the INSERT: the objects get the changed keys") {
        auto engine = backend.engine(echo);
        sa::metadata<Member>().create_all(engine);
        CHECK(
            copies_adding_many(engine,
                               "CREATE FUNCTION shift_member() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                               "NEW.id := NEW.id + 1000000; RETURN NEW; END $$; "
                               "CREATE TRIGGER members_shift BEFORE INSERT ON members FOR EACH ROW EXECUTE "
                               "FUNCTION shift_member()") == 0);
    }
    SECTION("an INSERT rule, which COPY would skip, still runs") {
        auto engine = backend.engine(echo);
        sa::metadata<Member>().create_all(engine);
        CHECK(copies_adding_many(engine,
                                 "CREATE TABLE member_log (name text); "
                                 "CREATE RULE members_logged AS ON INSERT TO members DO ALSO INSERT INTO "
                                 "member_log VALUES (NEW.name)") == 0);
        CHECK(count_rows(engine, "member_log") == 1500);
    }
    SECTION("a GENERATED ALWAYS key: COPY stores the keys it takes from the key's own sequence") {
        auto engine = backend.engine(echo);
        CHECK(copies_adding_many(engine,
                                 "CREATE TABLE members (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY "
                                 "KEY, name text NOT NULL UNIQUE)") == 1);
    }
    SECTION("under REPEATABLE READ, whose snapshot of the catalog may be older than COPY's view") {
        auto options = echo;
        options.isolation_level = sa::IsolationLevel::repeatable_read;
        auto engine = backend.engine(options);
        sa::metadata<Member>().create_all(engine);
        CHECK(copies_adding_many(engine, "") == 0);
    }
    SECTION("a session TimeZone other than UTC, in which COPY would store timestamps otherwise") {
        auto engine = backend.engine(echo);
        sa::metadata<Member>().create_all(engine);
        capture.lines.clear();
        sa::Session session(engine);
        session.execute(sa::text("SET TIME ZONE 'Europe/Paris'"));
        for (int i = 0; i < 1500; ++i) session.add(Member{.name = "m" + std::to_string(i)});
        session.commit();
        CHECK(count_starting_with(capture.lines, "COPY") == 0);
        CHECK(count_rows(engine, "members") == 1500);
    }
    SECTION("a serial key, whose default may name another sequence than the one it owns") {
        auto engine = backend.engine(echo);
        CHECK(copies_adding_many(
                  engine, "CREATE TABLE members (id bigserial PRIMARY KEY, name text NOT NULL UNIQUE)") == 0);
    }
    SECTION("row security on the table, which COPY FROM does not apply") {
        auto engine = backend.engine(echo);
        sa::metadata<Member>().create_all(engine);
        CHECK(copies_adding_many(engine, "ALTER TABLE members ENABLE ROW LEVEL SECURITY") == 0);
    }
    // A role may INSERT rows whose key the column's identity generates without INSERT on
    // the key column and without USAGE on its sequence; COPY of given keys needs both.
    SECTION("a role that may insert every column but the key, lock the table and use the sequence") {
        auto engine = limited_role_engine(backend, echo,
                                          "GRANT SELECT, UPDATE, INSERT (name) ON members TO {role}; "
                                          "GRANT USAGE ON SEQUENCE members_id_seq TO {role}");
        CHECK(copies_adding_many(engine, "") == 0);
    }
    SECTION("a role that may insert every column but the key, and not lock the table") {
        auto engine = limited_role_engine(backend, echo, "GRANT SELECT, INSERT (name) ON members TO {role}");
        CHECK(copies_adding_many(engine, "") == 0);
    }
    SECTION("a role that may insert the key but not use its sequence") {
        auto engine = limited_role_engine(backend, echo, "GRANT SELECT, INSERT ON members TO {role}");
        CHECK(copies_adding_many(engine, "") == 0);
    }
    SECTION("a role that may insert the key but not use its sequence, which cycles (its keys are listed)") {
        auto engine = limited_role_engine(
            backend, echo,
            "ALTER TABLE members ALTER COLUMN id SET CYCLE; GRANT SELECT, INSERT ON members TO {role}");
        CHECK(copies_adding_many(engine, "") == 0);
    }
    // The keys come as bounds and a step where they are one run (ReservedKeysSql::taken),
    // else as a list the flush takes anew.
    const auto keys_statements = [&] { return count_containing(capture.lines, "WITH key", "nextval("); };
    SECTION("a plain table: by COPY") {
        auto engine = backend.engine(echo);
        sa::metadata<Member>().create_all(engine);
        CHECK(copies_adding_many(engine, "") == 1);
        CHECK(keys_statements() == 1);
    }
    const auto key_of_member = [](sa::Engine& engine, const std::string& name) {
        auto conn = engine.connect();
        return conn.execute(sa::select(sa::col<&Member::id>).where(sa::col<&Member::name> == name))
            .scalar_one();
    };
    SECTION("a key counting down by 5: the objects get every fifth key, in the sequence's order") {
        auto engine = backend.engine(echo);
        CHECK(
            copies_adding_many(engine,
                               "CREATE TABLE members (id bigint GENERATED BY DEFAULT AS IDENTITY (START WITH "
                               "100000 INCREMENT BY -5 MINVALUE 1 MAXVALUE 100000) PRIMARY KEY, name text "
                               "NOT NULL UNIQUE)") == 1);
        CHECK(keys_statements() == 1);
        CHECK(key_of_member(engine, "m0") == 100000);
        CHECK(key_of_member(engine, "m1") == 99995);
        CHECK(key_of_member(engine, "m1499") == 100000 - 5 * 1499);
    }
    SECTION("a cycling sequence that wraps: its keys are listed, and none is taken twice") {
        auto engine = backend.engine(echo);
        CHECK(copies_adding_many(
                  engine,
                  "CREATE TABLE members (id bigint GENERATED BY DEFAULT AS IDENTITY (START WITH "
                  "999001 MAXVALUE 1000000 CYCLE) PRIMARY KEY, name text NOT NULL UNIQUE)") == 1);
        CHECK(keys_statements() == 2);
        CHECK(key_of_member(engine, "m0") == 999001);
        CHECK(key_of_member(engine, "m999") == 1000000);
        CHECK(key_of_member(engine, "m1000") == 1);
        CHECK(key_of_member(engine, "m1499") == 500);
        auto conn = engine.connect();
        CHECK(
            conn.execute(sa::text("SELECT nextval('members_id_seq')").columns<std::int64_t>()).scalar_one() ==
            501);
    }
    SECTION("a sequence that hands each session a block of keys: they are listed, none wasted") {
        auto engine = backend.engine(echo);
        set_up(engine,
               "CREATE TABLE members (id bigint GENERATED BY DEFAULT AS IDENTITY (CACHE 100) PRIMARY KEY, "
               "name text NOT NULL UNIQUE)");
        sa::Session session(engine);
        // The session's connection keeps 1-100 for itself; the other then keeps 101-200, so
        // the flush's 1500 keys are 2-100 and 201-1601.
        const auto next_key = [](auto& runner) {
            return runner.execute(sa::text("SELECT nextval('members_id_seq')").columns<std::int64_t>())
                .scalar_one();
        };
        CHECK(next_key(session) == 1);
        {
            auto other = engine.connect();
            CHECK(next_key(other) == 101);
        }
        capture.lines.clear();
        std::vector<std::shared_ptr<Member>> members;
        for (int i = 0; i < 1500; ++i)
            members.push_back(session.add(Member{.name = "m" + std::to_string(i)}));
        session.commit();
        CHECK(count_starting_with(capture.lines, "COPY") == 1);
        CHECK(keys_statements() == 2);
        for (int i = 0; i < 1500; ++i)
            CHECK(members[static_cast<std::size_t>(i)]->id == (i < 99 ? 2 + i : 201 + (i - 99)));
        CHECK(key_of_member(engine, "m0") == 2);
        CHECK(key_of_member(engine, "m1499") == 1601);
    }
    SECTION("keys another connection draws while the flush takes its own: the flush lists new ones") {
        auto engine = backend.engine(echo);
        sa::metadata<Member>().create_all(engine);
        // Another connection draws keys from the same sequence all along, thousands per
        // statement, so the draws of some flush interleave with its own (how often depends
        // on how the machine schedules the two servers; one flush in two to five here).
        std::atomic<bool> stop{false}, drawing{false};
        std::exception_ptr failed;
        std::thread drawer([&] {
            try {
                auto other = backend.engine();
                auto conn = other.connect();
                while (!stop) {
                    conn.execute(
                        sa::text("SELECT count(nextval('members_id_seq')) FROM generate_series(1, 5000)"));
                    drawing = true;
                }
            } catch (...) {
                failed = std::current_exception();
            }
            drawing = true;
        });
        while (!drawing) std::this_thread::yield();
        bool listed = false;
        for (int attempt = 0; attempt < 50 && !listed; ++attempt) {
            capture.lines.clear();
            sa::Session session(engine);
            std::vector<std::shared_ptr<Member>> members;
            for (int i = 0; i < 5000; ++i)
                members.push_back(
                    session.add(Member{.name = "a" + std::to_string(attempt) + "-" + std::to_string(i)}));
            session.commit();
            CHECK(count_starting_with(capture.lines, "COPY") == 1);
            listed = keys_statements() == 2;
            std::map<std::string, std::int64_t> in_database;
            auto conn = engine.connect();
            for (auto [name, id] : conn.execute(sa::select(sa::col<&Member::name>, sa::col<&Member::id>)))
                in_database.emplace(name, id);
            for (const auto& m : members) CHECK(in_database.at(m->name) == m->id);
        }
        stop = true;
        drawer.join();
        if (failed) std::rethrow_exception(failed);
        CHECK(listed);
    }
}
