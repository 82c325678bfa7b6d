// Server-side defaults and onupdate on both backends: an empty std::optional field with a
// sa::server_default is left out of the INSERT (Session flush and Core insert<T>()) and
// the value the database chose is read back by RETURNING; an explicit value wins; every
// UPDATE the unit of work emits sets the sa::onupdate() columns it does not set itself
// and reads them back, batched as before.
#include "support/backends.hpp"

#include <alchemy/alchemy.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sa = alchemy;
using sa::test::backends;
using sa::test::count_containing;
using sa::test::count_starting_with;

namespace server_defaults {

struct Note {
    std::int64_t id = 0;
    std::string title{};
    std::optional<std::chrono::sys_seconds> created_at{};
    std::optional<std::chrono::sys_seconds> updated_at{};
    std::optional<std::int32_t> priority{};
    std::int64_t edits = 0;
};

/// A key the program gives: RETURNING rows pair with objects by key.
struct Tag {
    std::string name{};
    std::optional<std::int32_t> weight{};
    std::optional<std::string> colour{};
};

}  // namespace server_defaults

template <>
inline constexpr auto sa::mapping<server_defaults::Note> =
    sa::table("notes", sa::server_default(&server_defaults::Note::created_at, "CURRENT_TIMESTAMP"),
              sa::server_default(&server_defaults::Note::updated_at, "CURRENT_TIMESTAMP"),
              sa::onupdate(&server_defaults::Note::updated_at, "CURRENT_TIMESTAMP"),
              sa::server_default(&server_defaults::Note::priority, "3"),
              sa::onupdate(&server_defaults::Note::edits, "edits + 1"));
template <>
inline constexpr auto sa::mapping<server_defaults::Tag> =
    sa::table("tags", sa::primary_key(&server_defaults::Tag::name),
              sa::server_default(&server_defaults::Tag::weight, "10"),
              sa::server_default(&server_defaults::Tag::colour, "'grey'"));

using server_defaults::Note;
using server_defaults::Tag;

namespace {

using namespace std::chrono_literals;

constexpr auto long_ago = std::chrono::sys_seconds{std::chrono::sys_days{std::chrono::year{2001} / 1 / 1}};

/// True for a time within a day of now (the databases' clocks and time zones aside).
bool recent(const std::optional<std::chrono::sys_seconds>& t) {
    const auto now = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
    return t.has_value() && *t > now - 24h && *t < now + 24h;
}

/// How many INSERTs name `column` among the columns they insert (not in RETURNING).
std::size_t inserts_naming(const std::vector<std::string>& lines, std::string_view column) {
    std::size_t n = 0;
    for (const auto& line : lines)
        if (line.starts_with("INSERT"))
            n += line.substr(0, line.find("RETURNING")).find(column) != std::string::npos ? 1 : 0;
    return n;
}

Note note_in_database(sa::Engine& engine, std::int64_t id) {
    auto conn = engine.connect();
    return conn.execute(sa::select<Note>().where(sa::col<&Note::id> == id)).one();
}

}  // namespace

TEST_CASE("session flush leaves empty server-default fields to the database and reads their values back") {
    auto backend = GENERATE(from_range(backends()));
    sa::test::EchoCapture capture;
    auto engine = backend.engine({.echo = true, .echo_sink = capture.sink()});
    sa::metadata<Note>().create_all(engine);
    capture.lines.clear();

    sa::Session session(engine, {.expire_on_commit = false});
    auto a = session.add(Note{.title = "a"});
    auto b = session.add(Note{.title = "b"});
    auto c = session.add(Note{.title = "c"});
    session.flush();
    // One statement for the three: the same columns left out, read back by RETURNING. On
    // SQLite a transaction's first row goes alone, before the check of how the table
    // numbers its keys (ModelSetCore::insert_rows), and one statement takes the other two.
    const std::size_t inserts = backend.is_sqlite() ? 2 : 1;
    CHECK(count_starting_with(capture.lines, "INSERT") == inserts);
    CHECK(inserts_naming(capture.lines, "created_at") == 0);
    CHECK(inserts_naming(capture.lines, "title") == inserts);
    CHECK(count_containing(capture.lines, "INSERT", "RETURNING") == inserts);
    for (const auto& note : {a, b, c}) {
        CHECK(note->id > 0);
        CHECK(recent(note->created_at));
        CHECK(recent(note->updated_at));
        CHECK(note->priority == 3);
        CHECK_FALSE(session.is_modified(note));
    }
    session.commit();
    const auto stored = note_in_database(engine, b->id);
    CHECK(stored.title == "b");
    CHECK(stored.created_at == b->created_at);
    CHECK(stored.priority == 3);
}

TEST_CASE("an explicit value wins over the server default, and each shape of row gets its own INSERT") {
    auto backend = GENERATE(from_range(backends()));
    sa::test::EchoCapture capture;
    auto engine = backend.engine({.echo = true, .echo_sink = capture.sink()});
    sa::metadata<Note>().create_all(engine);
    capture.lines.clear();

    sa::Session session(engine, {.expire_on_commit = false});
    auto given =
        session.add(Note{.title = "given", .created_at = long_ago, .updated_at = long_ago, .priority = 7});
    auto left = session.add(Note{.title = "left"});
    session.commit();
    CHECK(count_starting_with(capture.lines, "INSERT") == 2);
    CHECK(inserts_naming(capture.lines, "priority") == 1);
    CHECK(given->created_at == long_ago);
    CHECK(given->priority == 7);
    CHECK(recent(left->created_at));
    CHECK(left->priority == 3);
    const auto stored = note_in_database(engine, given->id);
    CHECK(stored.created_at == long_ago);
    CHECK(stored.updated_at == long_ago);
    CHECK(stored.priority == 7);
}

TEST_CASE("server defaults of objects with given keys reach the right objects") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    sa::metadata<Tag>().create_all(engine);

    sa::Session session(engine, {.expire_on_commit = false});
    std::vector<std::shared_ptr<Tag>> tags;
    for (int i = 0; i < 40; ++i)
        tags.push_back(
            session.add(Tag{.name = "tag" + std::to_string(i), .colour = "red" + std::to_string(i)}));
    auto heavy = session.add(Tag{.name = "heavy", .weight = 99});
    session.commit();
    for (int i = 0; i < 40; ++i) {
        CHECK(tags[static_cast<std::size_t>(i)]->weight == 10);
        CHECK(tags[static_cast<std::size_t>(i)]->colour == "red" + std::to_string(i));
    }
    CHECK(heavy->weight == 99);
    CHECK(heavy->colour == "grey");
    auto conn = engine.connect();
    CHECK(
        conn.execute(sa::select(sa::col<&Tag::colour>).where(sa::col<&Tag::name> == "heavy")).scalar_one() ==
        "grey");
}

TEST_CASE("a failed flush leaves server-default fields empty, and the retry reads them back") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    sa::metadata<Tag>().create_all(engine);
    {
        sa::Session setup(engine);
        setup.add(Tag{.name = "taken"});
        setup.commit();
    }
    sa::Session session(engine, {.expire_on_commit = false});
    auto fresh = session.add(Tag{.name = "fresh"});
    auto clash = session.add(Tag{.name = "taken"});
    CHECK_THROWS_AS(session.flush(), sa::IntegrityError);
    session.rollback();
    CHECK_FALSE(fresh->weight.has_value());
    CHECK_FALSE(fresh->colour.has_value());
    auto again = session.add(Tag{.name = "fresh2"});
    session.commit();
    CHECK(again->weight == 10);
    CHECK(again->colour == "grey");
}

TEST_CASE("Core insert<T>() leaves empty server-default fields out, and returning() reads them") {
    auto backend = GENERATE(from_range(backends()));
    sa::test::EchoCapture capture;
    auto engine = backend.engine({.echo = true, .echo_sink = capture.sink()});
    sa::metadata<Note>().create_all(engine);
    auto conn = engine.connect();
    capture.lines.clear();

    const auto one =
        conn.execute(sa::insert<Note>()
                         .values(Note{.title = "core"})
                         .returning(sa::col<&Note::id>, sa::col<&Note::created_at>, sa::col<&Note::priority>))
            .one();
    CHECK(std::get<0>(one) > 0);
    CHECK(recent(std::get<1>(one)));
    CHECK(std::get<2>(one) == 3);
    CHECK(inserts_naming(capture.lines, "priority") == 0);

    // Two shapes in one call: two statements, each row as it was given.
    capture.lines.clear();
    const std::vector<Note> notes{Note{.title = "x"}, Note{.title = "y"}, Note{.title = "z", .priority = 5}};
    const auto rows = conn.execute(sa::insert<Note>().values(notes).returning(sa::col<&Note::title>,
                                                                              sa::col<&Note::priority>))
                          .all();
    CHECK(count_starting_with(capture.lines, "INSERT") == 2);
    REQUIRE(rows.size() == 3);
    for (const auto& [title, priority] : rows) CHECK(priority == (title == "z" ? 5 : 3));
    conn.commit();

    const auto stored = note_in_database(engine, std::get<0>(one));
    CHECK(stored.created_at == std::get<1>(one));
    CHECK(recent(stored.updated_at));
}

TEST_CASE("bulk_insert leaves empty server-default fields to the database") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    sa::metadata<Tag>().create_all(engine);
    auto conn = engine.connect();
    const std::vector<Tag> tags{Tag{.name = "a"}, Tag{.name = "b"}};
    CHECK(sa::bulk_insert(conn, tags) == 2);
    conn.commit();
    const auto weights = conn.execute(sa::select(sa::col<&Tag::weight>)).all();
    CHECK(weights == std::vector<std::optional<std::int32_t>>{10, 10});
}

TEST_CASE("onupdate sets its columns on every Session UPDATE and the new values are read back") {
    auto backend = GENERATE(from_range(backends()));
    sa::test::EchoCapture capture;
    auto engine = backend.engine({.echo = true, .echo_sink = capture.sink()});
    sa::metadata<Note>().create_all(engine);

    sa::Session session(engine, {.expire_on_commit = false});
    auto note = session.add(Note{.title = "first", .updated_at = long_ago});
    session.commit();
    CHECK(note->updated_at == long_ago);
    CHECK(note->edits == 0);

    // Nothing changed: no UPDATE, updated_at stays.
    capture.lines.clear();
    session.flush();
    session.commit();
    CHECK(count_starting_with(capture.lines, "UPDATE") == 0);
    CHECK(note_in_database(engine, note->id).updated_at == long_ago);

    note->title = "second";
    capture.lines.clear();
    session.flush();
    CHECK(count_starting_with(capture.lines, "UPDATE") == 1);
    CHECK(recent(note->updated_at));  // read back at the flush, before any commit
    CHECK(note->edits == 1);
    CHECK_FALSE(session.is_modified(note));
    session.commit();
    auto stored = note_in_database(engine, note->id);
    CHECK(stored.updated_at == note->updated_at);
    CHECK(stored.edits == 1);

    // A value the program sets itself wins over onupdate; the other onupdate column still moves.
    note->updated_at = long_ago;
    note->title = "third";
    session.commit();
    CHECK(note->updated_at == long_ago);
    CHECK(note->edits == 2);
    stored = note_in_database(engine, note->id);
    CHECK(stored.updated_at == long_ago);
    CHECK(stored.edits == 2);
}

TEST_CASE("onupdate keeps UPDATEs batched and each object gets its own row's values") {
    auto backend = GENERATE(from_range(backends()));
    sa::test::EchoCapture capture;
    auto engine = backend.engine({.echo = true, .echo_sink = capture.sink()});
    sa::metadata<Note>().create_all(engine);

    sa::Session session(engine, {.expire_on_commit = false});
    std::vector<std::shared_ptr<Note>> notes;
    for (std::int64_t i = 0; i < 1030; ++i) notes.push_back(session.add(Note{.title = "n", .edits = i * 10}));
    session.commit();

    for (auto& note : notes) note->title = "changed " + std::to_string(note->id);
    capture.lines.clear();
    session.flush();
    // Both: one UPDATE ... FROM (VALUES ...) RETURNING for the first 1 000 rows. The last
    // 30: PostgreSQL so too, SQLite by one UPDATE ... RETURNING each.
    const auto by_values = count_containing(capture.lines, "UPDATE", "FROM (VALUES");
    CHECK(by_values == (backend.is_postgresql() ? 2 : 1));
    CHECK(count_starting_with(capture.lines, "UPDATE") == (backend.is_postgresql() ? 2 : 31));
    std::size_t wrong = 0;
    for (std::size_t i = 0; i < notes.size(); ++i)
        wrong +=
            notes[i]->edits == static_cast<std::int64_t>(i) * 10 + 1 && recent(notes[i]->updated_at) ? 0 : 1;
    CHECK(wrong == 0);
    session.commit();
    for (std::size_t i = 0; i < notes.size(); i += 97) {
        const auto stored = note_in_database(engine, notes[i]->id);
        CHECK(stored.edits == static_cast<std::int64_t>(i) * 10 + 1);
        CHECK(stored.title == "changed " + std::to_string(notes[i]->id));
    }
}

TEST_CASE("an onupdate UPDATE of a row deleted behind the session's back raises StaleDataError") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    sa::metadata<Note>().create_all(engine);

    sa::Session session(engine, {.expire_on_commit = false});
    auto kept = session.add(Note{.title = "kept"});
    auto gone = session.add(Note{.title = "gone"});
    session.commit();
    {
        auto conn = engine.connect();
        conn.execute(sa::delete_<Note>().where(sa::col<&Note::id> == gone->id));
        conn.commit();
    }
    kept->title = "kept, changed";
    gone->title = "gone, changed";
    CHECK_THROWS_AS(session.flush(), sa::StaleDataError);
    session.rollback();
    CHECK(note_in_database(engine, kept->id).edits == 0);
}

TEST_CASE("a rollback empties the server defaults the database filled in, as it clears the generated key") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    sa::metadata<Note>().create_all(engine);

    sa::Session session(engine, {.expire_on_commit = false});
    auto note = session.add(Note{.title = "undone", .updated_at = long_ago});
    session.flush();
    CHECK(note->id > 0);
    CHECK(recent(note->created_at));
    CHECK(note->priority == 3);
    session.rollback();
    CHECK(note->id == 0);
    CHECK_FALSE(note->created_at.has_value());
    CHECK_FALSE(note->priority.has_value());
    CHECK(note->updated_at == long_ago);  // given by the program: kept

    // Added again, it is inserted as new, with fresh defaults.
    session.add(note);
    session.commit();
    CHECK(note->id > 0);
    CHECK(recent(note->created_at));
    CHECK(note_in_database(engine, note->id).priority == 3);
}
