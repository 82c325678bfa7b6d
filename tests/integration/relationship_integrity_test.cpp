// What the Session keeps true about relationships across a flush and a commit: a HasOne
// never ends a flush with two children (checked in the database, so children that were
// never loaded count), a commit unloads loaded relationships (expire_on_commit) so the
// next access reads the database again, a flush that fails after a parent's INSERT puts
// back the keys it wrote through relationships, and relationship changes dropped (by the
// rollback of a SAVEPOINT, or a failed flush in it; by expire(), refresh(), expire_all())
// are never written, both sides reading what the database holds; a child moved after
// expire() or refresh() unloaded its BelongsTo leaves its old parent's collection; and a
// relationship loaded while changes wait for the flush (no_autoflush) shows them. Statement counts
// from the echo sink.
#include "support/backends.hpp"
#include "support/matchers.hpp"
#include "support/tutorial_models.hpp"

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
using sa::test::count_starting_with;
using sa::test::MessageContains;

namespace integrity {

struct Badge;
struct Note;

struct Person {
    std::int64_t id = 0;
    std::string name{};
    sa::HasOne<Badge> badge{};
    sa::HasMany<Note> notes{};
};

/// A HasOne's child without a unique constraint on its foreign key: the flush checks.
struct Badge {
    std::int64_t id = 0;
    std::optional<std::int64_t> person_id{};
    std::string label{};
    sa::BelongsTo<Person> person{};
};

/// A child the database refuses with an empty body.
struct Note {
    std::int64_t id = 0;
    std::int64_t person_id = 0;
    std::string body{};
    sa::BelongsTo<Person> person{};
};

/// A HasOne whose replaced child is deleted (delete_orphan), without a unique constraint.
struct Lamp;
struct Desk {
    std::int64_t id = 0;
    std::string name{};
    sa::HasOne<Lamp> lamp{};
};
struct Lamp {
    std::int64_t id = 0;
    std::optional<std::int64_t> desk_id{};
    std::string label{};
    sa::BelongsTo<Desk> desk{};
};

/// A checklist owns its entries (delete_orphan): one taken out is deleted at the next flush.
struct Entry;
struct Checklist {
    std::int64_t id = 0;
    std::string name{};
    sa::HasMany<Entry> entries{};
};
struct Entry {
    std::int64_t id = 0;
    std::int64_t checklist_id = 0;
    std::string text{};
    sa::BelongsTo<Checklist> checklist{};
};

/// A HasOne whose child's nullable foreign key is unique: the database refuses a second child.
struct Bell;
struct Bike {
    std::int64_t id = 0;
    std::string name{};
    sa::HasOne<Bell> bell{};
};
struct Bell {
    std::int64_t id = 0;
    std::optional<std::int64_t> bike_id{};
    std::string sound{};
    sa::BelongsTo<Bike> bike{};
};

}  // namespace integrity

template <>
inline constexpr auto sa::mapping<integrity::Person> = sa::table("people");
template <>
inline constexpr auto sa::mapping<integrity::Badge> = sa::table("badges");
template <>
inline constexpr auto sa::mapping<integrity::Note> =
    sa::table("notes", sa::check("body_not_empty", "body <> ''"));

template <>
inline constexpr auto sa::mapping<integrity::Desk> =
    sa::table("desks", sa::relationship(&integrity::Desk::lamp).cascade(sa::all | sa::delete_orphan));
template <>
inline constexpr auto sa::mapping<integrity::Lamp> = sa::table("lamps");
template <>
inline constexpr auto sa::mapping<integrity::Checklist> =
    sa::table("checklists", sa::check("name_not_empty", "name <> ''"),
              sa::relationship(&integrity::Checklist::entries).cascade(sa::all | sa::delete_orphan));
template <>
inline constexpr auto sa::mapping<integrity::Entry> = sa::table("entries");
template <>
inline constexpr auto sa::mapping<integrity::Bike> = sa::table("bikes");
template <>
inline constexpr auto sa::mapping<integrity::Bell> =
    sa::table("bells", sa::unique(&integrity::Bell::bike_id));

using integrity::Badge;
using integrity::Bell;
using integrity::Bike;
using integrity::Checklist;
using integrity::Desk;
using integrity::Entry;
using integrity::Lamp;
using integrity::Note;
using integrity::Person;

namespace {

struct Fixture {
    explicit Fixture(const sa::test::Backend& backend)
        : engine(backend.engine({.echo = true, .echo_sink = capture.sink()})) {
        sa::metadata<Person, Badge, Note, Desk, Lamp, Checklist, Entry, Bike, Bell>().create_all(engine);
    }
    std::size_t selects() const { return count_starting_with(capture.lines, "SELECT"); }
    sa::test::EchoCapture capture;
    sa::Engine engine;
};

/// ann with badge "first" and notes n1, n2; bob with nothing.
void seed(sa::Engine& engine) {
    sa::Session session(engine);
    auto ann = session.add(Person{.name = "ann"});
    ann->badge = std::make_shared<Badge>(Badge{.label = "first"});
    ann->notes.add(Note{.body = "n1"});
    ann->notes.add(Note{.body = "n2"});
    session.add(Person{.name = "bob"});
    session.commit();
}

std::int64_t rows_of_badges(sa::Engine& engine) {
    sa::Session session(engine);
    return static_cast<std::int64_t>(session.query<Badge>().count());
}

std::shared_ptr<Person> person_named(sa::Session& session, const std::string& name) {
    return session.query<Person>().filter(sa::col<&Person::name> == name).one();
}

/// The checklist "chores" with entries a and b.
void seed_checklist(sa::Engine& engine) {
    sa::Session session(engine);
    auto chores = session.add(Checklist{.name = "chores"});
    chores->entries.add(Entry{.text = "a"});
    chores->entries.add(Entry{.text = "b"});
    session.commit();
}

/// User ann in group g1; group g2 without users.
void seed_groups(sa::Engine& engine) {
    sa::metadata<tutorial::User, tutorial::UserProfile, tutorial::Group, tutorial::UserGroup>().create_all(
        engine);
    sa::Session session(engine);
    auto ann = session.add(tutorial::User{.name = "ann"});
    ann->groups.add(tutorial::Group{.name = "g1"});
    session.add(tutorial::Group{.name = "g2"});
    session.commit();
}

std::shared_ptr<tutorial::Group> group_named(sa::Session& session, const std::string& name) {
    return session.query<tutorial::Group>().filter(sa::col<&tutorial::Group::name> == name).one();
}

/// In memory, from both sides: `user` belongs to `first` and not to `second`, and
/// `first` has no other member.
void check_only_in(const tutorial::User& user, const std::shared_ptr<tutorial::Group>& first,
                   const tutorial::Group& second) {
    REQUIRE(user.groups.size() == 1);
    CHECK(user.groups[0] == first);
    CHECK(first->users.size() == 1);
    CHECK(second.users.empty());
}

/// The names of the groups the database links user ann with.
std::vector<std::string> stored_groups(sa::Engine& engine) {
    sa::Session session(engine);
    std::vector<std::string> names;
    const auto ann = session.query<tutorial::User>().one();
    for (const auto& group : ann->groups) names.push_back(group.name);
    return names;
}

/// Ends `savepoint` without its work: rolls it back, or (`by_failed_flush`) lets its flush
/// fail on an unrelated INSERT the database refuses, which rolls it back as well.
void undo(sa::Session& session, sa::SessionTransaction& savepoint, bool by_failed_flush) {
    if (!by_failed_flush) {
        savepoint.rollback();
        return;
    }
    session.add(Checklist{.name = ""});  // the CHECK constraint refuses it
    CHECK_THROWS_AS(savepoint.commit(), sa::IntegrityError);
    CHECK_FALSE(savepoint.is_active());
}

/// Drops the unflushed changes of `object` as `how` says: "expire", "refresh", "expire_all".
template <class T>
void drop_changes(sa::Session& session, const std::shared_ptr<T>& object, const std::string& how) {
    if (how == "expire") session.expire(object);
    else if (how == "refresh") session.refresh(object);
    else session.expire_all();
}

}  // namespace

TEST_CASE("a second child of a HasOne whose child was never loaded is a FlushError, and nothing is written") {
    auto backend = GENERATE(from_range(backends()));
    Fixture f(backend);
    seed(f.engine);
    sa::Session session(f.engine);
    auto ann = person_named(session, "ann");  // ann's badge is not loaded
    auto second = session.add(Badge{.label = "second"});
    second->person = ann;
    CHECK_THROWS_MATCHES(
        session.commit(), sa::FlushError,
        MessageContains("Person.badge is a HasOne, which allows one Badge per Person") &&
            MessageContains("2 Badge rows refer to the Person with key " + std::to_string(ann->id)));
    // As before the flush: pending, no key, the foreign key unwritten, no row.
    CHECK(sa::inspect(second).pending());
    CHECK(second->id == 0);
    CHECK_FALSE(second->person_id.has_value());
    CHECK(second->person.get() == ann);
    CHECK_THROWS_AS(session.flush(), sa::PendingRollbackError);
    session.rollback();
    CHECK(sa::inspect(second).transient());  // a rollback lets go of pending objects
    CHECK(rows_of_badges(f.engine) == 1);

    // Corrected: the first badge goes, the second takes its place.
    session.delete_(ann->badge.get());
    session.add(second);
    session.commit();
    sa::Session check(f.engine);
    auto badges = check.query<Badge>().all();
    REQUIRE(badges.size() == 1);
    CHECK(badges[0]->label == "second");
    CHECK(badges[0]->person_id == person_named(check, "ann")->id);
}

TEST_CASE("two new children of one HasOne's owner in one flush are a FlushError, however their key was set") {
    auto backend = GENERATE(from_range(backends()));
    Fixture f(backend);
    seed(f.engine);
    sa::Session session(f.engine);
    auto bob = person_named(session, "bob");  // no badge, and bob's badge is not loaded
    auto one = session.add(Badge{.label = "one"});
    one->person = bob;
    auto two = session.add(Badge{.person_id = bob->id, .label = "two"});  // the column itself
    CHECK_THROWS_MATCHES(
        session.flush(), sa::FlushError,
        MessageContains("2 Badge rows refer to the Person with key " + std::to_string(bob->id)));
    CHECK(sa::inspect(one).pending());
    CHECK(sa::inspect(two).pending());
    CHECK_FALSE(one->person_id.has_value());  // written by the flush, put back
    CHECK(two->person_id == bob->id);         // set by the program, kept
    session.rollback();
    CHECK(rows_of_badges(f.engine) == 1);

    // Corrected: one of them goes to ann, whose badge moves out of the way first.
    auto ann = person_named(session, "ann");
    ann->badge = nullptr;
    one->person = ann;
    session.add(one);
    session.add(two);
    session.commit();
    sa::Session check(f.engine);
    CHECK(check.query<Badge>().filter(sa::col<&Badge::person_id> == bob->id).count() == 1);
    CHECK(check.query<Badge>().filter(sa::col<&Badge::person_id> == ann->id).one()->label == "one");
}

TEST_CASE("the HasOne check reads consecutive owners as one range and others as an IN list, and finds both") {
    auto backend = GENERATE(from_range(backends()));
    Fixture f(backend);
    seed(f.engine);  // ann (key 1) with a badge, bob (2)
    {
        sa::Session session(f.engine);
        session.add(Person{.name = "cy"});              // 3
        auto dee = session.add(Person{.name = "dee"});  // 4
        dee->badge = std::make_shared<Badge>(Badge{.label = "dee's"});
        session.commit();
    }
    // A second badge for dee, the highest key, and a badge for `other`: cy (3) comes right
    // before dee, bob (2) does not.
    for (const std::string other_name : {"cy", "bob"}) {
        const bool consecutive = other_name == "cy";
        sa::Session session(f.engine);
        auto dee = person_named(session, "dee");  // its badge not loaded
        auto other = person_named(session, other_name);
        auto second = session.add(Badge{.label = "second"});
        second->person = dee;
        auto others = session.add(Badge{.label = "others"});
        others->person = other;
        f.capture.lines.clear();
        CHECK_THROWS_MATCHES(
            session.flush(), sa::FlushError,
            MessageContains("2 Badge rows refer to the Person with key " + std::to_string(dee->id)));
        const auto check =
            std::find_if(f.capture.lines.begin(), f.capture.lines.end(), [](const std::string& line) {
                return line.starts_with("SELECT") && line.find("count(*)") != std::string::npos;
            });
        REQUIRE(check != f.capture.lines.end());
        CHECK((check->find(" BETWEEN ") != std::string::npos) == consecutive);
        CHECK((check->find(" IN (") != std::string::npos) == !consecutive);
        session.rollback();
        CHECK(rows_of_badges(f.engine) == 2);
    }
}

TEST_CASE("a HasOne child replaced under delete_orphan passes an autoflush, and the commit deletes it") {
    // The old child keeps its row (naming the owner) until the commit's flush deletes
    // it: a query in between must not count it as a second child.
    auto backend = GENERATE(from_range(backends()));
    Fixture f(backend);
    std::int64_t desk_id = 0;
    {
        sa::Session session(f.engine);
        auto desk = session.add(Desk{.name = "oak"});
        desk->lamp = std::make_shared<Lamp>(Lamp{.label = "old"});
        session.commit();
        desk_id = desk->id;
    }
    sa::Session session(f.engine);
    auto desk = session.get<Desk>(desk_id);
    REQUIRE(desk->lamp);
    CHECK(desk->lamp->label == "old");
    desk->lamp = std::make_shared<Lamp>(Lamp{.label = "new"});
    CHECK(session.query<Desk>().count() == 1);  // autoflush
    session.commit();
    auto lamps = session.query<Lamp>().all();
    REQUIRE(lamps.size() == 1);
    CHECK(lamps[0]->label == "new");
    CHECK(lamps[0]->desk_id == desk_id);

    // Two children left for one owner without an orphan to delete still fail the commit.
    auto extra = session.add(Lamp{.label = "extra"});
    extra->desk_id = desk_id;
    CHECK_THROWS_AS(session.commit(), sa::FlushError);
}

TEST_CASE("a child moved by an UPDATE to an owner that has one already is a FlushError") {
    auto backend = GENERATE(from_range(backends()));
    Fixture f(backend);
    seed(f.engine);
    {
        sa::Session session(f.engine);
        person_named(session, "bob")->badge = std::make_shared<Badge>(Badge{.label = "bob's"});
        session.commit();
    }
    sa::Session session(f.engine);
    auto badges = session.query<Badge>().order_by(sa::col<&Badge::id>).all();
    badges[1]->person_id = badges[0]->person_id;  // bob's badge to ann, who keeps hers
    CHECK_THROWS_AS(session.commit(), sa::FlushError);
    session.rollback();
    sa::Session check(f.engine);
    CHECK(check.query<Badge>().filter(sa::col<&Badge::person_id> == *badges[0]->person_id).count() == 1);
}

TEST_CASE("a HasOne's check costs one SELECT only in flushes that write its children's foreign keys") {
    auto backend = GENERATE(from_range(backends()));
    Fixture f(backend);
    sa::Session session(f.engine);
    auto ann = session.add(Person{.name = "ann"});
    ann->badge = std::make_shared<Badge>(Badge{.label = "first"});
    f.capture.lines.clear();
    session.flush();
    CHECK(count_starting_with(f.capture.lines, "INSERT") == 2);
    CHECK(f.selects() == 1);  // the check: GROUP BY person_id HAVING count(*) > 1

    f.capture.lines.clear();
    ann->badge->label = "renamed";  // an UPDATE that leaves the foreign key alone
    session.add(Person{.name = "bob"});
    session.add(Note{.person_id = ann->id, .body = "n"});
    session.flush();
    CHECK(f.selects() == 0);
    session.commit();

    // A unique constraint on the foreign key lets the database refuse a second child.
    sa::test::EchoCapture capture;
    auto engine = backend.engine({.echo = true, .echo_sink = capture.sink()});
    sa::metadata<tutorial::User, tutorial::UserProfile, tutorial::Group, tutorial::UserGroup>().create_all(
        engine);
    sa::Session tutorial_session(engine);
    auto user = tutorial_session.add(tutorial::User{.name = "ann"});
    user->profile = std::make_shared<tutorial::UserProfile>(tutorial::UserProfile{.bio = "hello"});
    capture.lines.clear();
    tutorial_session.flush();
    CHECK(count_starting_with(capture.lines, "INSERT") == 2);
    CHECK(count_starting_with(capture.lines, "SELECT") == 0);
    auto second = tutorial_session.add(tutorial::UserProfile{.bio = "second"});
    second->user_id = user->id;
    CHECK_THROWS_AS(tutorial_session.flush(), sa::IntegrityError);
}

TEST_CASE(
    "commit unloads loaded relationships: a child deleted before it is gone from its parent's collection") {
    auto backend = GENERATE(from_range(backends()));
    Fixture f(backend);
    seed(f.engine);
    sa::Session session(f.engine);
    auto ann = person_named(session, "ann");
    REQUIRE(ann->notes.size() == 2);
    auto n1 = ann->notes[0];
    session.delete_(n1);
    session.commit();
    CHECK(sa::inspect(n1).detached());
    f.capture.lines.clear();
    REQUIRE(ann->notes.size() == 1);  // loaded again
    CHECK(ann->notes[0]->body == "n2");
    CHECK(f.selects() == 1);
}

TEST_CASE("after a commit a many-to-one reads the parent and the child's foreign key as they are now") {
    // Another transaction renames ann and moves n1 to bob after the commit expired them all.
    auto backend = GENERATE(from_range(backends()));
    Fixture f(backend);
    seed(f.engine);
    sa::Session session(f.engine);
    auto notes = session.query<Note>().order_by(sa::col<&Note::id>).all();
    REQUIRE(notes.size() == 2);
    auto ann = notes[1]->person.get();
    REQUIRE(ann->name == "ann");
    const auto bob_id = person_named(session, "bob")->id;
    session.commit();
    {
        auto conn = f.engine.connect();
        conn.execute(sa::update<Person>()
                         .values(sa::col<&Person::name> = std::string("ann2"))
                         .where(sa::col<&Person::id> == ann->id));
        conn.execute(sa::update<Note>()
                         .values(sa::col<&Note::person_id> = bob_id)
                         .where(sa::col<&Note::id> == notes[0]->id));
        conn.commit();
    }
    CHECK(notes[1]->person.get() == ann);  // the same object, its row read again
    CHECK(ann->name == "ann2");
    CHECK(notes[0]->person.get()->name == "bob");
    CHECK(notes[0]->person_id == bob_id);  // read again with it
    CHECK(ann->notes.size() == 1);         // and both sides agree
}

TEST_CASE("commit unloads loaded relationships: rows another session wrote after it are seen") {
    auto backend = GENERATE(from_range(backends()));
    Fixture f(backend);
    seed(f.engine);
    sa::Session session(f.engine);
    auto ann = person_named(session, "ann");
    REQUIRE(ann->notes.size() == 2);
    REQUIRE(ann->badge->label == "first");
    session.commit();
    {
        sa::Session other(f.engine);
        auto theirs = person_named(other, "ann");
        theirs->notes.add(Note{.body = "n3"});
        theirs->badge = std::make_shared<Badge>(Badge{.label = "new"});  // the first one's key: NULL
        other.commit();
    }
    CHECK(ann->notes.size() == 3);
    CHECK(ann->badge->label == "new");
}

TEST_CASE(
    "after commit and close, relationships loaded after the commit stay readable, earlier ones do not") {
    auto backend = GENERATE(from_range(backends()));
    Fixture f(backend);
    seed(f.engine);
    std::shared_ptr<Person> ann, bob;
    {
        sa::Session session(f.engine);
        ann = person_named(session, "ann");
        bob = person_named(session, "bob");
        CHECK(ann->notes.size() == 2);
        CHECK_FALSE(bob->badge);
        session.commit();
        CHECK(ann->notes.size() == 2);  // loaded again, after the commit
    }
    CHECK(ann->notes[1]->body == "n2");
    // Expired by the commit and detached since, as SQLAlchemy says of an expired attribute.
    CHECK_THROWS_AS(bob->badge.get(), sa::DetachedInstanceError);

    // Without expire_on_commit the commit leaves them loaded.
    sa::Session session(f.engine, {.expire_on_commit = false});
    auto ann2 = person_named(session, "ann");
    CHECK(ann2->notes.size() == 2);
    session.commit();
    session.close();
    CHECK(ann2->notes.size() == 2);
}

TEST_CASE(
    "a child's INSERT failing after its parent's puts back the parent's key and the child's foreign key") {
    auto backend = GENERATE(from_range(backends()));
    Fixture f(backend);
    sa::Session session(f.engine);
    auto ann = session.add(Person{.name = "ann"});
    auto note = ann->notes.add(Note{.body = ""});  // the CHECK constraint refuses it
    f.capture.lines.clear();
    CHECK_THROWS_AS(session.commit(), sa::IntegrityError);
    // The parent's INSERT ran and gave it a key, which was written into the child's
    // foreign key before the child's INSERT failed: both are put back.
    CHECK(count_starting_with(f.capture.lines, "INSERT INTO \"people\"") == 1);
    CHECK(count_starting_with(f.capture.lines, "INSERT INTO \"notes\"") == 1);
    CHECK(sa::inspect(ann).pending());
    CHECK(sa::inspect(note).pending());
    CHECK(ann->id == 0);
    CHECK(note->person_id == 0);
    CHECK(note->person.get() == ann);
    REQUIRE(ann->notes.size() == 1);
    CHECK(ann->notes[0] == note);
    session.rollback();
    {
        sa::Session check(f.engine);
        CHECK(check.query<Person>().count() == 0);
        CHECK(check.query<Note>().count() == 0);
    }

    note->body = "fixed";
    session.add(ann);  // its note comes with it (save-update)
    session.commit();
    sa::Session check(f.engine);
    auto stored = check.query<Note>().one();
    CHECK(stored->body == "fixed");
    CHECK(stored->person->name == "ann");
}

TEST_CASE(
    "a BelongsTo assigned in a SAVEPOINT that is rolled back or whose flush failed is not written later") {
    // Generated before the backend, so that each value gets fresh databases from backends().
    const bool by_failed_flush = GENERATE(false, true);
    auto backend = GENERATE(from_range(backends()));
    Fixture f(backend);
    seed(f.engine);
    sa::Session session(f.engine);
    auto ann = person_named(session, "ann");
    auto bob = person_named(session, "bob");
    REQUIRE(ann->notes.size() == 2);  // loaded, so that the move shows on both sides
    REQUIRE(bob->notes.empty());
    auto n1 = ann->notes[0];
    {
        auto savepoint = session.begin_nested();
        n1->person = bob;
        REQUIRE(bob->notes.size() == 1);
        undo(session, savepoint, by_failed_flush);
    }
    // The objects read the database again, which the SAVEPOINT's work has left.
    CHECK(n1->person.get() == ann);
    CHECK(ann->notes.size() == 2);
    CHECK(bob->notes.empty());
    session.add(Person{.name = "carl"});  // other work of the enclosing transaction
    session.commit();
    sa::Session check(f.engine);
    CHECK(check.query<Note>().filter(sa::col<&Note::body> == "n1").one()->person->name == "ann");
    CHECK(check.query<Person>().count() == 3);
}

TEST_CASE("a child taken out of a delete_orphan collection in a SAVEPOINT that is undone is not deleted") {
    // Generated before the backend, so that each value gets fresh databases from backends().
    const bool by_failed_flush = GENERATE(false, true);
    auto backend = GENERATE(from_range(backends()));
    Fixture f(backend);
    seed_checklist(f.engine);
    sa::Session session(f.engine);
    auto chores = session.query<Checklist>().one();
    REQUIRE(chores->entries.size() == 2);
    auto a = chores->entries[0];
    {
        auto savepoint = session.begin_nested();
        chores->entries.remove(a);
        REQUIRE_FALSE(a->checklist);
        undo(session, savepoint, by_failed_flush);
    }
    CHECK(sa::inspect(a).persistent());
    CHECK(a->checklist.get() == chores);
    CHECK(chores->entries.size() == 2);
    session.commit();
    sa::Session check(f.engine);
    CHECK(check.query<Entry>().count() == 2);
}

TEST_CASE(
    "links made and removed in a SAVEPOINT that is rolled back or whose flush failed are not written later") {
    // Generated before the backend, so that each value gets fresh databases from backends().
    const bool by_failed_flush = GENERATE(false, true);
    auto backend = GENERATE(from_range(backends()));
    Fixture f(backend);
    seed_groups(f.engine);
    sa::Session session(f.engine);
    auto ann = session.query<tutorial::User>().one();
    auto g1 = group_named(session, "g1");
    auto g2 = group_named(session, "g2");
    check_only_in(*ann, g1, *g2);
    {
        auto savepoint = session.begin_nested();
        ann->groups.add(g2);
        ann->groups.remove(g1);
        undo(session, savepoint, by_failed_flush);
    }
    check_only_in(*ann, g1, *g2);
    session.commit();
    CHECK(stored_groups(f.engine) == std::vector<std::string>{"g1"});
}

TEST_CASE(
    "expire(), refresh() and expire_all() drop a pending BelongsTo assignment, and both parents' collections "
    "follow") {
    const bool autoflush = GENERATE(false, true);
    const auto how = GENERATE(as<std::string>{}, "expire", "refresh", "expire_all");
    const bool collections_loaded = GENERATE(true, false);  // else only n1->person is
    auto backend = GENERATE(from_range(backends()));        // last: fresh databases for each value
    Fixture f(backend);
    seed(f.engine);
    sa::Session session(f.engine, {.autoflush = autoflush});
    auto ann = person_named(session, "ann");
    auto bob = person_named(session, "bob");
    auto n1 = session.query<Note>().filter(sa::col<&Note::body> == "n1").one();
    REQUIRE(n1->person.get() == ann);
    if (collections_loaded) {
        REQUIRE(ann->notes.size() == 2);
        REQUIRE(bob->notes.empty());
    }
    n1->person = bob;
    n1->body = "moved";
    if (collections_loaded) {
        REQUIRE(ann->notes.size() == 1);
        REQUIRE(bob->notes.size() == 1);
    }
    drop_changes(session, n1, how);
    CHECK(n1->body == "n1");
    CHECK(n1->person_id == ann->id);
    CHECK(n1->person.get() == ann);
    CHECK(ann->notes.size() == 2);
    CHECK(bob->notes.empty());
    session.commit();
    sa::Session check(f.engine);
    CHECK(check.query<Note>().filter(sa::col<&Note::body> == "n1").one()->person->name == "ann");
}

TEST_CASE("expire() and refresh() drop a pending delete_orphan removal and pending links") {
    const bool autoflush = GENERATE(false, true);
    const auto how = GENERATE(as<std::string>{}, "expire", "refresh");
    auto backend = GENERATE(from_range(backends()));  // last: fresh databases for each value
    Fixture f(backend);
    seed_checklist(f.engine);
    seed_groups(f.engine);
    sa::Session session(f.engine, {.autoflush = autoflush});
    auto chores = session.query<Checklist>().one();
    REQUIRE(chores->entries.size() == 2);
    auto a = chores->entries[0];
    auto ann = session.query<tutorial::User>().one();
    auto g1 = group_named(session, "g1");
    auto g2 = group_named(session, "g2");
    check_only_in(*ann, g1, *g2);
    // One after the other: refresh()'s SELECT autoflushes what other objects changed.
    chores->entries.remove(a);
    drop_changes(session, a, how);
    CHECK(a->checklist.get() == chores);
    CHECK(chores->entries.size() == 2);
    ann->groups.add(g2);
    ann->groups.remove(g1);
    drop_changes(session, ann, how);
    check_only_in(*ann, g1, *g2);
    session.commit();
    sa::Session check(f.engine);
    CHECK(check.query<Entry>().count() == 2);
    CHECK(stored_groups(f.engine) == std::vector<std::string>{"g1"});
}

TEST_CASE("a child moved to another parent after expire() or refresh() leaves its old parent's collection") {
    // Its BelongsTo is not loaded then: the move finds the old parent by the child's
    // foreign key, or deleting that parent would delete, by cascade, a child it no longer has.
    const auto how = GENERATE(as<std::string>{}, "expire", "refresh");
    const bool by_collection = GENERATE(false, true);  // else by the child's BelongsTo
    auto backend = GENERATE(from_range(backends()));   // last: fresh databases for each value
    Fixture f(backend);
    seed_checklist(f.engine);
    {
        sa::Session setup(f.engine);
        setup.add(Checklist{.name = "errands"});
        setup.commit();
    }
    sa::Session session(f.engine);
    auto chores = session.query<Checklist>().filter(sa::col<&Checklist::name> == "chores").one();
    auto errands = session.query<Checklist>().filter(sa::col<&Checklist::name> == "errands").one();
    REQUIRE(chores->entries.size() == 2);
    REQUIRE(errands->entries.empty());
    auto a = chores->entries[0];
    drop_changes(session, a, how);
    if (by_collection) errands->entries.add(a);
    else a->checklist = errands;
    CHECK(a->checklist.get() == errands);
    CHECK(errands->entries.contains(a));
    CHECK_FALSE(chores->entries.contains(a));
    CHECK(chores->entries.size() == 1);
    session.delete_(chores);  // with the entries it holds
    session.commit();
    sa::Session check(f.engine);
    const auto entries = check.query<Entry>().all();
    REQUIRE(entries.size() == 1);
    CHECK(entries[0]->text == a->text);
    CHECK(entries[0]->checklist->name == "errands");
}

TEST_CASE("a child removed from its parent's collection after expire() or refresh() is an orphan") {
    const auto how = GENERATE(as<std::string>{}, "expire", "refresh");
    auto backend = GENERATE(from_range(backends()));  // last: fresh databases for each value
    Fixture f(backend);
    seed_checklist(f.engine);
    sa::Session session(f.engine);
    auto chores = session.query<Checklist>().filter(sa::col<&Checklist::name> == "chores").one();
    REQUIRE(chores->entries.size() == 2);
    auto a = chores->entries[0];
    drop_changes(session, a, how);
    // Its BelongsTo is not loaded: the removal finds that it named this parent by its
    // foreign key, as a move does, and delete_orphan deletes it.
    CHECK(chores->entries.remove(a));
    CHECK(a->checklist.get() == nullptr);
    session.commit();
    sa::Session check(f.engine);
    const auto entries = check.query<Entry>().all();
    REQUIRE(entries.size() == 1);
    CHECK(entries[0]->text != a->text);
}

TEST_CASE("a HasOne child moved to another owner after expire() or refresh() leaves its old owner") {
    const auto how = GENERATE(as<std::string>{}, "expire", "refresh");
    const bool by_owner = GENERATE(false, true);      // else by the child's BelongsTo
    auto backend = GENERATE(from_range(backends()));  // last: fresh databases for each value
    Fixture f(backend);
    {
        sa::Session setup(f.engine);
        auto oak = setup.add(Desk{.name = "oak"});
        oak->lamp = std::make_shared<Lamp>(Lamp{.label = "brass"});
        setup.add(Desk{.name = "pine"});
        setup.commit();
    }
    sa::Session session(f.engine);
    auto oak = session.query<Desk>().filter(sa::col<&Desk::name> == "oak").one();
    auto pine = session.query<Desk>().filter(sa::col<&Desk::name> == "pine").one();
    REQUIRE_FALSE(pine->lamp);
    const auto lamp = oak->lamp.get();
    REQUIRE(lamp);
    drop_changes(session, lamp, how);
    if (by_owner) pine->lamp = lamp;
    else lamp->desk = pine;
    CHECK(lamp->desk.get() == pine);
    CHECK(pine->lamp.get() == lamp);
    CHECK_FALSE(oak->lamp);
    session.delete_(oak);  // with its lamp, if it still had one
    session.commit();
    sa::Session check(f.engine);
    const auto lamps = check.query<Lamp>().all();
    REQUIRE(lamps.size() == 1);
    CHECK(lamps[0]->desk->name == "pine");
}

namespace {

std::vector<std::string> bodies(const sa::HasMany<Note>& notes) {
    std::vector<std::string> out;
    for (const Note& note : notes) out.push_back(note.body);
    return out;
}

/// The bodies of the notes the database gives the person named `name`.
std::vector<std::string> stored_bodies(sa::Engine& engine, const std::string& name) {
    sa::Session session(engine);
    return bodies(person_named(session, name)->notes);
}

}  // namespace

TEST_CASE("a collection loaded while a child's move to another parent waits for the flush shows the move") {
    // However the collections load, none may undo the assignment in memory that the commit writes.
    const auto how =
        GENERATE(as<std::string>{}, "lazily", "lazily with its siblings", "by selectinload", "by joinedload");
    auto backend = GENERATE(from_range(backends()));  // last: fresh databases for each value
    Fixture f(backend);
    seed(f.engine);
    sa::Session session(f.engine);
    auto notes = session.query<Note>().order_by(sa::col<&Note::id>).all();  // their person not loaded
    auto people = how == "lazily" ? std::vector{person_named(session, "ann"), person_named(session, "bob")}
                                  : session.query<Person>().order_by(sa::col<&Person::id>).all();
    const auto ann = people[0];
    const auto bob = people[1];
    const auto n1 = notes[0];
    {
        auto guard = session.no_autoflush();
        n1->person = bob;  // neither collection is loaded: only the flush moves it
        f.capture.lines.clear();
        if (how == "by selectinload")
            session.query<Person>().options(sa::selectinload<&Person::notes>()).all();
        if (how == "by joinedload") session.query<Person>().options(sa::joinedload<&Person::notes>()).all();
        CHECK(bodies(ann->notes) == std::vector<std::string>{"n2"});
        CHECK(n1->person.get() == bob);
        CHECK(bodies(bob->notes) == std::vector<std::string>{"n1"});
        // One load each, or the query and its load; both in one with siblings, or joined.
        CHECK(f.selects() == (how == "lazily" || how == "by selectinload" ? 2U : 1U));
    }
    session.commit();
    CHECK(stored_bodies(f.engine, "ann") == std::vector<std::string>{"n2"});
    CHECK(stored_bodies(f.engine, "bob") == std::vector<std::string>{"n1"});
}

TEST_CASE("a collection loaded while a new child's parent waits for the flush holds it, before and after") {
    const bool assigned_before_add = GENERATE(false, true);
    auto backend = GENERATE(from_range(backends()));  // last: fresh databases for each value
    Fixture f(backend);
    seed(f.engine);
    sa::Session session(f.engine);
    const auto ann = person_named(session, "ann");  // her notes not loaded
    auto n3 = std::make_shared<Note>(Note{.body = "n3"});
    {
        auto guard = session.no_autoflush();
        if (assigned_before_add) {
            n3->person = ann;
            session.add(n3);
        } else {
            session.add(n3);
            n3->person = ann;
        }
        CHECK(bodies(ann->notes) == std::vector<std::string>{"n1", "n2", "n3"});
        CHECK(n3->person.get() == ann);
    }
    session.flush();
    f.capture.lines.clear();
    CHECK(bodies(ann->notes) == std::vector<std::string>{"n1", "n2", "n3"});
    CHECK(f.selects() == 0);  // loaded as the database now holds it
    session.commit();
    CHECK(stored_bodies(f.engine, "ann") == std::vector<std::string>{"n1", "n2", "n3"});
}

TEST_CASE(
    "a HasOne loaded while its child's move waits for the flush shows the move, and a second child is "
    "refused") {
    auto backend = GENERATE(from_range(backends()));
    Fixture f(backend);
    seed(f.engine);
    {
        sa::Session session(f.engine);
        const auto first = session.query<Badge>().one();  // its person not loaded
        const auto ann = person_named(session, "ann");
        const auto bob = person_named(session, "bob");
        auto guard = session.no_autoflush();
        first->person = bob;
        CHECK_FALSE(ann->badge);
        CHECK(first->person.get() == bob);
        CHECK(bob->badge.get() == first);
        session.commit();
    }
    sa::Session session(f.engine);
    const auto first = session.query<Badge>().one();
    CHECK(first->person_id == person_named(session, "bob")->id);
    session.commit();

    // bob's badge row stays his: a second one assigned to him cannot be shown beside it.
    const auto bob = person_named(session, "bob");
    auto second = session.add(Badge{.label = "second"});
    {
        auto guard = session.no_autoflush();
        second->person = bob;
        CHECK_THROWS_MATCHES(
            bob->badge.get(), sa::InvalidRequestError,
            MessageContains("Person.badge is a HasOne") && MessageContains("waits for the flush"));
        first->person = nullptr;  // taken from bob first: now the load shows the second alone
        CHECK(bob->badge.get() == second);
        CHECK(second->person.get() == bob);
    }
    session.commit();
    sa::Session check(f.engine);
    CHECK(check.query<Badge>().filter(sa::col<&Badge::label> == "second").one()->person_id == bob->id);
    CHECK_FALSE(check.query<Badge>().filter(sa::col<&Badge::label> == "first").one()->person_id.has_value());
}

TEST_CASE("a ManyToMany loaded while links made or removed on the other side wait for the flush shows them") {
    auto backend = GENERATE(from_range(backends()));
    Fixture f(backend);
    seed_groups(f.engine);
    sa::Session session(f.engine);
    const auto ann = session.query<tutorial::User>().one();
    const auto g1 = group_named(session, "g1");  // their users not loaded
    const auto g2 = group_named(session, "g2");
    {
        auto guard = session.no_autoflush();
        ann->groups.add(g2);
        ann->groups.remove(g1);
        CHECK(g1->users.empty());
        REQUIRE(g2->users.size() == 1);
        CHECK(g2->users[0] == ann);
        REQUIRE(ann->groups.size() == 1);
        CHECK(ann->groups[0] == g2);
    }
    session.commit();
    CHECK(stored_groups(f.engine) == std::vector<std::string>{"g2"});
}

TEST_CASE("a FlushError after an orphan's delete began asks for rollback(), which brings the orphan back") {
    // delete_orphans() runs first; the failure after it (a NOT NULL foreign key) comes
    // before any statement, but deleting the orphan already changed memory, so the
    // transaction is rolled back, as after a failed statement. The orphan is not deleted
    // and can be given a new parent.
    auto backend = GENERATE(from_range(backends()));
    Fixture f(backend);
    seed(f.engine);
    seed_checklist(f.engine);
    sa::Session session(f.engine);
    auto chores = session.query<Checklist>().one();
    auto ann = person_named(session, "ann");
    auto n1 = ann->notes[0];
    chores->entries.remove(chores->entries[0]);  // an orphan for now
    ann->notes.remove(n1);                       // notes.person_id cannot be NULL
    CHECK_THROWS_AS(session.flush(), sa::FlushError);
    CHECK_THROWS_AS(session.commit(), sa::PendingRollbackError);
    session.rollback();
    chores = session.query<Checklist>().one();
    REQUIRE(chores->entries.size() == 2);
    auto errands = session.add(Checklist{.name = "errands"});
    auto a = chores->entries[0];
    chores->entries.remove(a);
    errands->entries.add(a);
    session.commit();
    sa::Session check(f.engine);
    const auto stored = check.query<Entry>().filter(sa::col<&Entry::text> == a->text).all();
    REQUIRE(stored.size() == 1);
    CHECK(stored[0]->checklist->name == "errands");
}

TEST_CASE(
    "a BelongsTo assignment not flushed when its object leaves the Session is written when it comes back") {
    // As its column changes are (SQLAlchemy keeps both on the instance).
    const auto how = GENERATE(as<std::string>{}, "expunge", "expunge_all", "close");
    const bool collections_loaded = GENERATE(true, false);  // bob's notes hold n1, n1 bob weakly
    auto backend = GENERATE(from_range(backends()));
    Fixture f(backend);
    seed(f.engine);
    std::shared_ptr<Note> n1;
    {
        sa::Session session(f.engine);
        n1 = session.query<Note>().filter(sa::col<&Note::body> == "n1").one();
        auto bob = person_named(session, "bob");
        if (collections_loaded) REQUIRE(bob->notes.empty());
        n1->person = bob;
        n1->body = "moved";
        if (how == "expunge") {
            session.expunge(n1);
            session.flush();  // n1 is not the session's: nothing of it is written
            session.add(n1);
            session.commit();
        } else {
            if (how == "expunge_all") session.expunge_all();
            else session.close();
        }
    }
    if (how != "expunge") {  // bob dropped by the program: n1 still knows its parent
        sa::Session session(f.engine);
        session.add(n1);
        session.commit();
    }
    sa::Session check(f.engine);
    const auto stored = check.query<Note>().filter(sa::col<&Note::body> == "moved").one();
    CHECK(stored->person->name == "bob");
}

TEST_CASE(
    "ManyToMany links made or removed and not flushed when the owner leaves the Session are written when it "
    "comes back") {
    const auto how = GENERATE(as<std::string>{}, "expunge", "close");
    auto backend = GENERATE(from_range(backends()));
    Fixture f(backend);
    seed_groups(f.engine);
    std::shared_ptr<tutorial::User> ann;
    {
        sa::Session session(f.engine);
        ann = session.query<tutorial::User>().one();
        const auto g1 = group_named(session, "g1");
        const auto g2 = group_named(session, "g2");
        ann->groups.add(g2);
        ann->groups.remove(g1);
        if (how == "expunge") {
            session.expunge(ann);
            session.commit();  // ann is not the session's: its links are not written
            CHECK(stored_groups(f.engine) == std::vector<std::string>{"g1"});
            session.add(ann);
            session.commit();
        } else {
            session.close();
        }
    }
    if (how == "close") {
        sa::Session session(f.engine);
        session.add(ann);
        session.commit();
    }
    CHECK(stored_groups(f.engine) == std::vector<std::string>{"g2"});
}

TEST_CASE("new objects added again after a failed flush and rollback() keep their ManyToMany links") {
    // The rollback drops the links the Session had of them, written or not.
    const bool flushed_before = GENERATE(false, true);
    const bool add_user = GENERATE(true, false);  // else the new group, which holds the user too
    auto backend = GENERATE(from_range(backends()));
    Fixture f(backend);
    seed_groups(f.engine);
    sa::Session session(f.engine);
    const auto g1 = group_named(session, "g1");
    auto cy = session.add(tutorial::User{.name = "cy"});
    auto g3 = cy->groups.add(tutorial::Group{.name = "g3"});
    cy->groups.add(g1);
    if (flushed_before) session.flush();
    auto bad = session.add(Checklist{.name = ""});  // the CHECK constraint refuses it
    CHECK_THROWS_AS(session.commit(), sa::IntegrityError);
    session.rollback();
    bad->name = "fixed";
    session.add(bad);
    if (add_user) session.add(cy);
    else session.add(g3);
    session.commit();
    sa::Session check(f.engine);
    // Held: a temporary in the range-for's expression would be gone before the loop.
    const auto stored = check.query<tutorial::User>().filter(sa::col<&tutorial::User::name> == "cy").one();
    std::vector<std::string> names;
    for (const auto& group : stored->groups) names.push_back(group.name);
    std::sort(names.begin(), names.end());
    CHECK(names == std::vector<std::string>{"g1", "g3"});
    CHECK(check.query<tutorial::UserGroup>().count() == 3);  // ann's and cy's two
}

TEST_CASE(
    "an autoflush that leaves a replaced HasOne child waiting still checks the other owners, and the commit "
    "that owner") {
    auto backend = GENERATE(from_range(backends()));
    Fixture f(backend);
    std::int64_t oak_id = 0;
    std::int64_t elm_id = 0;
    {
        sa::Session session(f.engine);
        auto oak = session.add(Desk{.name = "oak"});
        oak->lamp = std::make_shared<Lamp>(Lamp{.label = "oak old"});
        auto elm = session.add(Desk{.name = "elm"});
        elm->lamp = std::make_shared<Lamp>(Lamp{.label = "elm"});
        session.commit();
        oak_id = oak->id;
        elm_id = elm->id;
    }
    const auto lamps_of = [&](std::int64_t desk) {
        sa::Session check(f.engine);
        return check.query<Lamp>().filter(sa::col<&Lamp::desk_id> == desk).count();
    };
    {
        // A second lamp for elm (its lamp never loaded) while oak's old lamp waits.
        sa::Session session(f.engine);
        auto oak = session.get<Desk>(oak_id);
        oak->lamp = std::make_shared<Lamp>(Lamp{.label = "oak new"});
        auto second = session.add(Lamp{.label = "elm second"});
        second->desk = session.get<Desk>(elm_id);
        CHECK_THROWS_AS(session.query<Desk>().count(), sa::FlushError);  // autoflush
        session.rollback();
    }
    CHECK(lamps_of(elm_id) == 1);
    {
        // A second new lamp for oak itself, its key set by hand: the autoflush leaves oak
        // to the commit, which deletes the old lamp and then finds two.
        sa::Session session(f.engine);
        auto oak = session.get<Desk>(oak_id);
        oak->lamp = std::make_shared<Lamp>(Lamp{.label = "oak new"});
        auto extra = session.add(Lamp{.label = "oak extra"});
        extra->desk_id = oak_id;
        CHECK(session.query<Desk>().count() == 2);  // autoflush
        CHECK_THROWS_AS(session.commit(), sa::FlushError);
        session.rollback();
    }
    CHECK(lamps_of(oak_id) == 1);
}

TEST_CASE(
    "a HasOne child replaced under a unique foreign key lets go of the key before the new child takes it") {
    // The old child's UPDATE (its key to NULL) goes before the new child's INSERT, as in
    // SQLAlchemy, so the unique constraint never sees two rows naming the bike.
    auto backend = GENERATE(from_range(backends()));
    Fixture f(backend);
    std::int64_t bike_id = 0;
    {
        sa::Session session(f.engine);
        auto bike = session.add(Bike{.name = "bmx"});
        bike->bell = std::make_shared<Bell>(Bell{.sound = "ding"});
        session.commit();
        bike_id = bike->id;
    }
    {
        sa::Session session(f.engine);
        auto bike = session.get<Bike>(bike_id);
        bike->bell = std::make_shared<Bell>(Bell{.sound = "dong"});
        session.commit();
    }
    sa::Session check(f.engine);
    CHECK(check.query<Bell>().filter(sa::col<&Bell::sound> == "dong").one()->bike_id == bike_id);
    CHECK_FALSE(check.query<Bell>().filter(sa::col<&Bell::sound> == "ding").one()->bike_id.has_value());
}

TEST_CASE("new objects linked from both sides before they joined a Session get one association row") {
    // Neither object had a Session, so each ManyToMany recorded the link on its own.
    const bool add_user = GENERATE(true, false);
    auto backend = GENERATE(from_range(backends()));
    Fixture f(backend);
    seed_groups(f.engine);
    auto cy = std::make_shared<tutorial::User>(tutorial::User{.name = "cy"});
    auto g3 = std::make_shared<tutorial::Group>(tutorial::Group{.name = "g3"});
    cy->groups.add(g3);
    g3->users.add(cy);
    sa::Session session(f.engine);
    if (add_user) session.add(cy);
    else session.add(g3);
    session.commit();
    sa::Session check(f.engine);
    const auto stored = check.query<tutorial::User>().filter(sa::col<&tutorial::User::name> == "cy").one();
    REQUIRE(stored->groups.size() == 1);
    CHECK(stored->groups[0]->name == "g3");
    CHECK(check.query<tutorial::UserGroup>().count() == 2);  // ann's and cy's
}

TEST_CASE("a link kept for an expunged user and removed from the group's side is not written") {
    // As SQLAlchemy cancels the pending append, the user joins its next Session without it.
    auto backend = GENERATE(from_range(backends()));
    Fixture f(backend);
    seed_groups(f.engine);
    sa::Session session(f.engine);
    auto ann = session.query<tutorial::User>().one();
    auto g2 = group_named(session, "g2");
    REQUIRE(g2->users.empty());  // loaded: it takes ann at once
    ann->groups.add(g2);
    session.expunge(ann);  // the link waits for ann's next Session
    CHECK(g2->users.remove(ann));
    CHECK_FALSE(ann->groups.contains(g2));
    session.add(ann);
    session.commit();
    CHECK(stored_groups(f.engine) == std::vector<std::string>{"g1"});
}

TEST_CASE("links made and removed before their user joined a Session count by what they left") {
    // add() cascades along what the collection holds then: a group linked and unlinked is
    // not inserted, one linked again is, with its link.
    auto backend = GENERATE(from_range(backends()));
    Fixture f(backend);
    seed_groups(f.engine);
    auto cy = std::make_shared<tutorial::User>(tutorial::User{.name = "cy"});
    auto g3 = std::make_shared<tutorial::Group>(tutorial::Group{.name = "g3"});
    auto g4 = std::make_shared<tutorial::Group>(tutorial::Group{.name = "g4"});
    cy->groups.add(g3);
    cy->groups.add(g4);
    CHECK(cy->groups.remove(g3));
    CHECK(cy->groups.remove(g4));
    cy->groups.add(g4);
    sa::Session session(f.engine);
    session.add(cy);
    session.commit();
    sa::Session check(f.engine);
    CHECK(check.query<tutorial::Group>().count() == 3);  // g1, g2 and g4
    const auto stored = check.query<tutorial::User>().filter(sa::col<&tutorial::User::name> == "cy").one();
    REQUIRE(stored->groups.size() == 1);
    CHECK(stored->groups[0]->name == "g4");
}
