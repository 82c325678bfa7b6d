// A flush that fails after deleting an orphan began, before any statement: the orphan's
// own children and links, which its delete cascade let go in memory, are not lost.
#include "support/backends.hpp"

#include <alchemy/alchemy.hpp>

#include <catch2/catch.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace sa = alchemy;
using sa::test::backends;

namespace orphan {
struct Note;
struct Entry;
struct Sub;
struct Label;
struct EntryLabel;
struct Person {
    std::int64_t id = 0;
    std::string name{};
    sa::HasMany<Note> notes{};
};
struct Note {
    std::int64_t id = 0;
    std::int64_t person_id = 0;  // NOT NULL: a note taken from its person fails the flush
    std::string body{};
    sa::BelongsTo<Person> person{};
};
struct Checklist {
    std::int64_t id = 0;
    std::string name{};
    sa::HasMany<Entry> entries{};
};
/// An entry's subs are not cascaded: deleting the entry lets go of them (entry_id NULL).
struct Entry {
    std::int64_t id = 0;
    std::int64_t checklist_id = 0;
    std::string text{};
    sa::BelongsTo<Checklist> checklist{};
    sa::HasMany<Sub> subs{};
    sa::ManyToMany<Label, EntryLabel> labels{};
};
struct Sub {
    std::int64_t id = 0;
    std::optional<std::int64_t> entry_id{};
    std::string text{};
    sa::BelongsTo<Entry> entry{};
};
struct Label {
    std::int64_t id = 0;
    std::string name{};
    sa::ManyToMany<Entry, EntryLabel> entries{};
};
struct EntryLabel {
    std::int64_t entry_id = 0;
    std::int64_t label_id = 0;
    sa::BelongsTo<Entry> entry{};
    sa::BelongsTo<Label> label{};
};
}  // namespace orphan

template <>
inline constexpr auto sa::mapping<orphan::Person> = sa::table("people");
template <>
inline constexpr auto sa::mapping<orphan::Note> = sa::table("notes");
template <>
inline constexpr auto sa::mapping<orphan::Checklist> = sa::table(
    "checklists", sa::relationship(&orphan::Checklist::entries).cascade(sa::all | sa::delete_orphan));
template <>
inline constexpr auto sa::mapping<orphan::Entry> = sa::table("entries");
template <>
inline constexpr auto sa::mapping<orphan::Sub> = sa::table("subs");
template <>
inline constexpr auto sa::mapping<orphan::Label> = sa::table("labels");
template <>
inline constexpr auto sa::mapping<orphan::EntryLabel> =
    sa::table("entry_labels", sa::primary_key(&orphan::EntryLabel::entry_id, &orphan::EntryLabel::label_id));

using namespace orphan;

TEST_CASE("an orphan moved after a flush failed before any statement keeps its children and links") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    sa::metadata<Person, Note, Checklist, Entry, Sub, Label, EntryLabel>().create_all(engine);
    {
        sa::Session session(engine);
        session.add(Person{.name = "ann"})->notes.add(Note{.body = "n1"});
        auto entry = session.add(Checklist{.name = "chores"})->entries.add(Entry{.text = "a"});
        entry->subs.add(Sub{.text = "sub1"});
        entry->labels.add(Label{.name = "urgent"});
        session.add(Checklist{.name = "errands"});
        session.commit();
    }
    sa::Session session(engine);
    const auto named = [&](const std::string& name) {
        return session.query<Checklist>().filter(sa::col<&Checklist::name> == name).one();
    };
    auto ann = session.query<Person>().one();
    auto a = named("chores")->entries[0];
    REQUIRE(a->subs.size() == 1);
    REQUIRE(a->labels.size() == 1);
    auto n1 = ann->notes[0];
    auto errands = named("errands");
    named("chores")->entries.remove(a);  // an orphan for now
    ann->notes.remove(n1);               // notes.person_id cannot be NULL
    CHECK_THROWS_AS(session.flush(), sa::FlushError);
    // Deleting the orphan let go of its sub and its label in memory: fixing the note and
    // moving the entry, then committing, would save the entry without them.
    REQUIRE_THROWS_AS(
        [&] {
            ann->notes.add(n1);
            errands->entries.add(a);
            session.commit();
        }(),
        sa::PendingRollbackError);
    session.rollback();

    a = named("chores")->entries[0];
    CHECK(a->subs.size() == 1);
    CHECK(a->labels.size() == 1);
    named("chores")->entries.remove(a);
    named("errands")->entries.add(a);
    session.commit();

    sa::Session check(engine);
    const auto stored = check.query<Entry>().one();
    CHECK(stored->checklist->name == "errands");
    CHECK(stored->subs.size() == 1);
    CHECK(stored->labels.size() == 1);
}
