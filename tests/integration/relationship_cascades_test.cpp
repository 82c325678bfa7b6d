// What sa::relationship(...) in a mapping changes (orm/detail/relationship_ops.hpp,
// src/orm/cascade.cpp): the delete and delete-orphan cascades, SQLAlchemy's default of
// letting go of a deleted parent's children, association rows of a deleted object,
// passive_deletes over ON DELETE CASCADE, loaded children's foreign keys following their
// parent's key over ON UPDATE CASCADE, order_by, lazy(...) and the raiseload/lazyload
// options, two relationships between one pair of models, and a self-referential tree of
// new objects inserted in one flush. Statement counts come from the echo sink.
#include "support/backends.hpp"

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

namespace casc {

struct Ticket;
struct Note;
struct Tag;
struct TicketTag;

// A board owns its tickets: cascade all | delete_orphan, newest title first.
struct Board {
    std::int64_t id = 0;
    std::string name{};
    sa::HasMany<Ticket> tickets{};
};
struct Ticket {
    std::int64_t id = 0;
    std::int64_t board_id = 0;
    std::string title{};
    sa::BelongsTo<Board> board{};
    sa::HasMany<Note> notes{};  // default cascade: notes outlive their ticket
    sa::ManyToMany<Tag, TicketTag> tags{};
};
struct Note {
    std::int64_t id = 0;
    std::optional<std::int64_t> ticket_id{};
    std::string text{};
    sa::BelongsTo<Ticket> ticket{};
};
struct Tag {
    std::int64_t id = 0;
    std::string name{};
    sa::ManyToMany<Ticket, TicketTag> tickets{};
};
struct TicketTag {
    std::int64_t ticket_id = 0;
    std::int64_t tag_id = 0;
    sa::BelongsTo<Ticket> ticket{};
    sa::BelongsTo<Tag> tag{};
};

// The database deletes a folder's documents (ON DELETE CASCADE); the ORM does not load them.
struct Doc;
struct Folder {
    std::int64_t id = 0;
    std::string name{};
    sa::HasMany<Doc> docs{};
};
struct Doc {
    std::int64_t id = 0;
    std::int64_t folder_id = 0;
    std::string title{};
    sa::BelongsTo<Folder> folder{};
};

// The database moves a shelf's jars and its sign with the shelf's key (ON UPDATE CASCADE).
// A peg's key holds its shelf's: the peg moves in the identity map with it.
struct Jar;
struct Sign;
struct Peg;
struct Shelf {
    std::int64_t id = 0;
    std::string name{};
    sa::HasMany<Jar> jars{};
    sa::HasOne<Sign> sign{};
    sa::HasMany<Peg> pegs{};
};
struct Jar {
    std::int64_t id = 0;
    std::int64_t shelf_id = 0;
    std::string name{};
    sa::BelongsTo<Shelf> shelf{};
};
struct Sign {
    std::int64_t id = 0;
    std::int64_t shelf_id = 0;
    std::string text{};
    sa::BelongsTo<Shelf> shelf{};
};

struct Peg {
    std::int64_t shelf_id = 0;
    std::int64_t position = 0;
    sa::BelongsTo<Shelf> shelf{};
};

// Loading settings in the mapping: a library's books come with every query of libraries;
// a book's library is never loaded implicitly.
struct Book;
struct Library {
    std::int64_t id = 0;
    std::string name{};
    sa::HasMany<Book> books{};
};
struct Book {
    std::int64_t id = 0;
    std::int64_t library_id = 0;
    std::string title{};
    sa::BelongsTo<Library> library{};
};

// Two relationships between one pair of models, paired in the mappings.
struct Paper;
struct Person {
    std::int64_t id = 0;
    std::string name{};
    sa::HasMany<Paper> written{};
    sa::HasMany<Paper> reviewed{};
};
struct Paper {
    std::int64_t id = 0;
    std::int64_t author_id = 0;
    std::optional<std::int64_t> reviewed_by{};
    std::string title{};
    sa::BelongsTo<Person> author{};
    sa::BelongsTo<Person> reviewer{};
};

// A self-referential tree.
struct Category {
    std::int64_t id = 0;
    std::optional<std::int64_t> parent_id{};
    std::string name{};
    sa::BelongsTo<Category> parent{};
    sa::HasMany<Category> children{};
};

// Delete cascades on the other kinds: deleting a player deletes its team (a BelongsTo with
// sa::all); deleting an item deletes its labels (a ManyToMany with sa::all).
struct Player;
struct Team {
    std::int64_t id = 0;
    std::string name{};
    sa::HasMany<Player> players{};
};
struct Player {
    std::int64_t id = 0;
    std::optional<std::int64_t> team_id{};
    std::string name{};
    sa::BelongsTo<Team> team{};
};
struct Label;
struct ItemLabel;
struct Item {
    std::int64_t id = 0;
    std::string name{};
    sa::ManyToMany<Label, ItemLabel> labels{};
};
struct Label {
    std::int64_t id = 0;
    std::string name{};
    sa::ManyToMany<Item, ItemLabel> items{};
};
struct ItemLabel {
    std::int64_t item_id = 0;
    std::int64_t label_id = 0;
    sa::BelongsTo<Item> item{};
    sa::BelongsTo<Label> label{};
};

// A many-to-many of a model with itself: who follows whom.
struct Follow;
struct Account {
    std::int64_t id = 0;
    std::string name{};
    sa::ManyToMany<Account, Follow> following{};
    sa::ManyToMany<Account, Follow> followers{};
};
struct Follow {
    std::int64_t follower_id = 0;
    std::int64_t followed_id = 0;
    sa::BelongsTo<Account> follower{};
    sa::BelongsTo<Account> followed{};
};

}  // namespace casc

template <>
inline constexpr auto sa::mapping<casc::Board> =
    sa::table("boards", sa::relationship(&casc::Board::tickets)
                            .cascade(sa::all | sa::delete_orphan)
                            .order_by(&casc::Ticket::title, sa::descending));
template <>
inline constexpr auto sa::mapping<casc::Ticket> = sa::table("tickets");
template <>
inline constexpr auto sa::mapping<casc::Note> = sa::table("notes");
template <>
inline constexpr auto sa::mapping<casc::Tag> = sa::table("tags");
template <>
inline constexpr auto sa::mapping<casc::TicketTag> =
    sa::table("ticket_tags", sa::primary_key(&casc::TicketTag::ticket_id, &casc::TicketTag::tag_id));
template <>
inline constexpr auto sa::mapping<casc::Folder> =
    sa::table("folders", sa::relationship(&casc::Folder::docs).cascade(sa::all).passive_deletes());
template <>
inline constexpr auto sa::mapping<casc::Doc> =
    sa::table("docs", sa::foreign_key(&casc::Doc::folder_id, &casc::Folder::id).on_delete(sa::cascade));
template <>
inline constexpr auto sa::mapping<casc::Shelf> = sa::table("shelves");
template <>
inline constexpr auto sa::mapping<casc::Jar> =
    sa::table("jars", sa::foreign_key(&casc::Jar::shelf_id, &casc::Shelf::id).on_update(sa::cascade));
template <>
inline constexpr auto sa::mapping<casc::Sign> =
    sa::table("signs", sa::foreign_key(&casc::Sign::shelf_id, &casc::Shelf::id).on_update(sa::cascade));
template <>
inline constexpr auto sa::mapping<casc::Peg> =
    sa::table("pegs", sa::primary_key(&casc::Peg::shelf_id, &casc::Peg::position),
              sa::foreign_key(&casc::Peg::shelf_id, &casc::Shelf::id).on_update(sa::cascade));
template <>
inline constexpr auto sa::mapping<casc::Library> =
    sa::table("libraries", sa::relationship(&casc::Library::books).lazy(sa::Lazy::selectin));
template <>
inline constexpr auto sa::mapping<casc::Book> =
    sa::table("books", sa::relationship(&casc::Book::library).lazy(sa::Lazy::raise));
template <>
inline constexpr auto sa::mapping<casc::Person> =
    sa::table("people", sa::relationship(&casc::Person::written).back_populates(&casc::Paper::author),
              sa::relationship(&casc::Person::reviewed).back_populates(&casc::Paper::reviewer));
template <>
inline constexpr auto sa::mapping<casc::Paper> =
    sa::table("papers", sa::relationship(&casc::Paper::reviewer).foreign_key(&casc::Paper::reviewed_by),
              sa::relationship(&casc::Paper::author).lazy(sa::Lazy::joined));
template <>
inline constexpr auto sa::mapping<casc::Category> = sa::table("categories");
template <>
inline constexpr auto sa::mapping<casc::Team> = sa::table("teams");
template <>
inline constexpr auto sa::mapping<casc::Account> = sa::table(
    "accounts",
    sa::relationship(&casc::Account::following).through(&casc::Follow::follower, &casc::Follow::followed),
    sa::relationship(&casc::Account::followers).through(&casc::Follow::followed, &casc::Follow::follower));
template <>
inline constexpr auto sa::mapping<casc::Follow> =
    sa::table("follows", sa::primary_key(&casc::Follow::follower_id, &casc::Follow::followed_id));
template <>
inline constexpr auto sa::mapping<casc::Player> =
    sa::table("players", sa::relationship(&casc::Player::team).cascade(sa::all));
template <>
inline constexpr auto sa::mapping<casc::Item> =
    sa::table("items", sa::relationship(&casc::Item::labels).cascade(sa::all));
template <>
inline constexpr auto sa::mapping<casc::Label> = sa::table("labels");
template <>
inline constexpr auto sa::mapping<casc::ItemLabel> =
    sa::table("item_labels", sa::primary_key(&casc::ItemLabel::item_id, &casc::ItemLabel::label_id));

using namespace casc;

namespace {

std::size_t starting(const sa::test::EchoCapture& capture, std::string_view prefix) {
    return sa::test::count_starting_with(capture.lines, prefix);
}

struct Fixture {
    explicit Fixture(const sa::test::Backend& backend)
        : engine(backend.engine({.echo = true, .echo_sink = capture.sink()})) {
        sa::metadata<Board, Ticket, Note, Tag, TicketTag, Folder, Doc, Shelf, Jar, Sign, Peg, Library, Book,
                     Person, Paper, Category, Team, Player, Item, Label, ItemLabel, Account, Follow>()
            .create_all(engine);
    }
    template <class T>
    std::int64_t count() {
        sa::Session s(engine);
        return s.query<T>().count();
    }
    sa::test::EchoCapture capture;
    sa::Engine engine;
};

/// Board "b" with tickets t1 (notes n1, n2; tags x, y) and t2 (tag x).
void seed(sa::Engine& engine) {
    sa::Session s(engine);
    auto board = s.add(Board{.name = "b"});
    auto t1 = board->tickets.add(Ticket{.title = "t1"});
    auto t2 = board->tickets.add(Ticket{.title = "t2"});
    t1->notes.add(Note{.text = "n1"});
    t1->notes.add(Note{.text = "n2"});
    auto x = s.add(Tag{.name = "x"});
    auto y = s.add(Tag{.name = "y"});
    t1->tags.add(x);
    t1->tags.add(y);
    t2->tags.add(x);
    s.commit();
}

/// Shelf "s" with jars "j1" and "j2" and a sign; their keys.
struct ShelfKeys {
    std::int64_t shelf = 0;
    std::int64_t j1 = 0;
    std::int64_t j2 = 0;
    std::int64_t sign = 0;
};
ShelfKeys seed_shelf(sa::Engine& engine) {
    sa::Session s(engine);
    auto shelf = s.add(Shelf{.name = "s"});
    auto j1 = shelf->jars.add(Jar{.name = "j1"});
    auto j2 = shelf->jars.add(Jar{.name = "j2"});
    auto sign = s.add(Sign{.text = "spices"});
    shelf->sign = sign;
    s.commit();
    return {shelf->id, j1->id, j2->id, sign->id};
}

std::vector<std::string> titles(const sa::HasMany<Ticket>& tickets) {
    std::vector<std::string> out;
    for (const Ticket& t : tickets) out.push_back(t.title);
    return out;
}

}  // namespace

TEST_CASE("cascade delete: deleting a parent deletes its children, their association rows go, notes stay") {
    auto backend = GENERATE(from_range(backends()));
    Fixture f(backend);
    seed(f.engine);
    {
        sa::Session s(f.engine);
        auto board = s.query<Board>().one();
        auto pending = board->tickets.add(Ticket{.title = "t3"});  // never flushed
        s.delete_(board);
        CHECK_FALSE(s.contains(pending));  // a pending child of a deleted parent leaves the session
        s.commit();
    }
    CHECK(f.count<Board>() == 0);
    CHECK(f.count<Ticket>() == 0);
    CHECK(f.count<TicketTag>() == 0);
    CHECK(f.count<Tag>() == 2);   // no delete cascade on the many-to-many: the tags stay
    CHECK(f.count<Note>() == 2);  // default cascade: the notes stay, without a ticket
    sa::Session check(f.engine);
    for (const auto& note : check.query<Note>().all()) CHECK_FALSE(note->ticket_id.has_value());
}

TEST_CASE("a delete whose cascade fails to load a relationship leaves the session as it was") {
    auto backend = GENERATE(from_range(backends()));
    Fixture f(backend);
    seed(f.engine);
    auto rename = [&](std::string_view from, std::string_view to) {
        auto conn = f.engine.connect();
        conn.execute(
            sa::text(std::string("ALTER TABLE ") + std::string(from) + " RENAME TO " + std::string(to)));
        conn.commit();
    };
    rename("notes", "notes_away");  // a ticket's notes cannot be read now
    sa::Session s(f.engine);
    auto board = s.query<Board>().one();
    REQUIRE(board->tickets.size() == 2);  // loaded; the tickets' notes are not
    // The board's tickets go with it, and each ticket lets go of its notes, which must be
    // read first: that fails, after the board and its tickets were reached.
    CHECK_THROWS_AS(s.delete_(board), sa::DatabaseError);
    CHECK(board->tickets.size() == 2);
    f.capture.lines.clear();
    CHECK_NOTHROW(s.flush());  // nothing was marked: there is nothing to write
    CHECK(f.capture.lines.empty());
    s.rollback();
    rename("notes_away", "notes");
    CHECK(f.count<Board>() == 1);
    CHECK(f.count<Ticket>() == 2);
    CHECK(f.count<TicketTag>() == 3);
    s.delete_(board);  // the same delete, with every table there, does all its cascade says
    s.commit();
    CHECK(f.count<Board>() == 0);
    CHECK(f.count<Ticket>() == 0);
    CHECK(f.count<Note>() == 2);
}

TEST_CASE("new objects and links a closed session never flushed are written by the next one they join") {
    auto backend = GENERATE(from_range(backends()));
    Fixture f(backend);
    seed(f.engine);
    std::shared_ptr<Board> board;
    std::shared_ptr<Ticket> t3;
    std::shared_ptr<Ticket> t4;
    {
        sa::Session s(f.engine);
        board = s.query<Board>().one();
        auto x = s.query<Tag>().filter(sa::col<&Tag::name> == "x").one();
        t3 = board->tickets.add(Ticket{.title = "t3"});  // its board_id waits for the flush
        t3->tags.add(x);                                 // its association row too
        t4 = s.add(Ticket{.title = "t4"});
        board->tickets.add(t4);
        s.flush();  // t4 is inserted, then undone by close()
        t4->tags.add(x);
        s.close();
    }
    CHECK(f.count<Ticket>() == 2);
    {
        sa::Session s(f.engine);
        s.add(t3);  // its board comes back along, and the board's collection brings t4
        CHECK(s.contains(board));
        CHECK(s.contains(t4));
        s.commit();
    }
    sa::Session check(f.engine);
    auto b = check.query<Board>().one();
    CHECK(titles(b->tickets) == std::vector<std::string>{"t4", "t3", "t2", "t1"});
    for (const auto& title : {"t3", "t4"}) {
        auto t = check.query<Ticket>().filter(sa::col<&Ticket::title> == title).one();
        REQUIRE(t->tags.size() == 1);
        CHECK(t->tags[0]->name == "x");
    }
}

TEST_CASE(
    "delete-orphan: a child taken out of its collection is deleted, a child moved to another parent is not") {
    auto backend = GENERATE(from_range(backends()));
    Fixture f(backend);
    seed(f.engine);
    {
        sa::Session s(f.engine);
        auto b = s.query<Board>().one();
        auto other = s.add(Board{.name = "other"});
        REQUIRE(titles(b->tickets) == std::vector<std::string>{"t2", "t1"});  // order_by title desc
        auto t1 = b->tickets[1];
        auto t2 = b->tickets[0];
        CHECK(b->tickets.remove(t1));  // an orphan: deleted at the flush
        b->tickets.remove(t2);         // removed, then given to another board: moved,
        other->tickets.add(t2);        // though loading other's tickets autoflushed between
        f.capture.lines.clear();
        s.commit();
        CHECK(starting(f.capture, "DELETE FROM \"tickets\"") == 1);
    }
    sa::Session check(f.engine);
    auto tickets = check.query<Ticket>().all();
    REQUIRE(tickets.size() == 1);
    CHECK(tickets[0]->title == "t2");
    CHECK(tickets[0]->board->name == "other");
    CHECK(f.count<TicketTag>() == 1);  // t1's two association rows went with it
}

TEST_CASE("deleting a parent lets go of its children by default: their foreign key becomes NULL") {
    auto backend = GENERATE(from_range(backends()));
    Fixture f(backend);
    seed(f.engine);
    sa::Session s(f.engine);
    auto t1 = s.query<Ticket>().filter(sa::col<&Ticket::title> == "t1").one();
    auto n1 = t1->notes[0];
    s.delete_(t1);
    s.flush();
    CHECK_FALSE(n1->ticket_id.has_value());
    CHECK_FALSE(n1->ticket);
    CHECK(s.query<Note>().count() == 2);
    // The many-to-many's other side no longer lists the deleted ticket.
    auto x = s.query<Tag>().filter(sa::col<&Tag::name> == "x").one();
    CHECK(x->tickets.size() == 1);
    s.rollback();

    // Setting a child's BelongsTo to null orphans it too, under a delete-orphan collection.
    auto ticket = s.query<Ticket>().filter(sa::col<&Ticket::title> == "t2").one();
    ticket->board = nullptr;
    s.commit();
    CHECK(f.count<Ticket>() == 1);
}

TEST_CASE(
    "a non-nullable child of a deleted parent without a delete cascade fails the flush, naming the fix") {
    auto backend = GENERATE(from_range(backends()));
    Fixture f(backend);
    seed(f.engine);
    sa::Session s(f.engine);
    // Papers need an author (author_id NOT NULL) and Person.written has no delete cascade.
    auto ann = s.add(Person{.name = "ann"});
    ann->written.add(Paper{.title = "p"});
    s.commit();
    auto person = s.query<Person>().one();
    s.delete_(person);
    CHECK_THROWS_WITH(s.flush(), Catch::Contains("Paper.author names no Person") &&
                                     Catch::Contains("cascade(sa::all | sa::delete_orphan)"));
    s.rollback();
    CHECK(f.count<Person>() == 1);
    CHECK(f.count<Paper>() == 1);
}

TEST_CASE("passive_deletes leaves an unloaded collection to ON DELETE CASCADE and never loads it") {
    auto backend = GENERATE(from_range(backends()));
    Fixture f(backend);
    {
        sa::Session s(f.engine);
        auto folder = s.add(Folder{.name = "f"});
        folder->docs.add(Doc{.title = "d1"});
        folder->docs.add(Doc{.title = "d2"});
        s.commit();
    }
    sa::Session s(f.engine);
    auto folder = s.query<Folder>().one();
    f.capture.lines.clear();
    s.delete_(folder);
    s.commit();
    CHECK(starting(f.capture, "SELECT") == 0);                // the docs were never read
    CHECK(starting(f.capture, "DELETE FROM \"docs\"") == 0);  // the database deleted them
    CHECK(f.count<Folder>() == 0);
    CHECK(f.count<Doc>() == 0);
}

TEST_CASE(
    "a parent's key change moves the foreign keys of its loaded children with their rows (ON UPDATE "
    "CASCADE)") {
    auto backend = GENERATE(from_range(backends()));
    Fixture f(backend);
    const auto keys = seed_shelf(f.engine);
    sa::Session s(f.engine);
    auto shelf = s.get<Shelf>(keys.shelf);
    REQUIRE(shelf);
    REQUIRE(shelf->jars.size() == 2);
    auto j1 = s.get<Jar>(keys.j1);
    auto j2 = s.get<Jar>(keys.j2);
    auto sign = shelf->sign.get();
    REQUIRE(sign);
    shelf->id = 500;
    f.capture.lines.clear();
    s.flush();
    CHECK(starting(f.capture, "UPDATE") == 1);  // the shelf's: the database moved the others
    // The children's fields and snapshots hold the key their rows hold now.
    CHECK(j1->shelf_id == 500);
    CHECK(j2->shelf_id == 500);
    CHECK(sign->shelf_id == 500);
    CHECK_FALSE(s.is_modified(j1));
    CHECK_FALSE(s.is_modified(sign));
    j1->name = "j1b";
    f.capture.lines.clear();
    s.flush();
    CHECK(starting(f.capture, "UPDATE") == 1);
    CHECK(starting(f.capture, "UPDATE \"jars\" SET \"name\" = ") == 1);  // its name only
    // expire() unloads j2's BelongsTo: its old shelf is found by the foreign key its row has.
    auto other = s.add(Shelf{.name = "t"});
    s.expire(j2);
    j2->shelf = other;
    CHECK(shelf->jars.size() == 1);
    CHECK_FALSE(shelf->jars.contains(j2));
    CHECK(other->jars.size() == 1);
    s.commit();
    sa::Session check(f.engine);
    CHECK(check.get<Jar>(keys.j1)->shelf_id == 500);
    CHECK(check.get<Jar>(keys.j1)->name == "j1b");
    CHECK(check.get<Jar>(keys.j2)->shelf_id == other->id);
    CHECK(check.get<Sign>(keys.sign)->shelf_id == 500);
}

TEST_CASE("a rollback puts back the foreign keys that followed a parent's key, and so does close()") {
    auto backend = GENERATE(from_range(backends()));
    Fixture f(backend);
    const auto keys = seed_shelf(f.engine);
    {
        sa::Session s(f.engine);
        auto shelf = s.get<Shelf>(keys.shelf);
        REQUIRE(shelf->jars.size() == 2);
        auto j1 = s.get<Jar>(keys.j1);
        auto sign = shelf->sign.get();
        shelf->id = 500;
        s.flush();
        REQUIRE(j1->shelf_id == 500);
        s.rollback();
        CHECK(shelf->id == keys.shelf);
        CHECK(j1->shelf_id == keys.shelf);
        CHECK(sign->shelf_id == keys.shelf);
        CHECK_FALSE(s.is_modified(j1));
    }
    // close() keeps the program's changes, the parent's new key among them, but a child's
    // key that only followed goes back with the row: another session then moves it once.
    std::shared_ptr<Shelf> shelf;
    std::shared_ptr<Jar> j1;
    {
        sa::Session s(f.engine);
        shelf = s.get<Shelf>(keys.shelf);
        REQUIRE(shelf->jars.size() == 2);
        j1 = s.get<Jar>(keys.j1);
        shelf->id = 500;
        s.flush();
        REQUIRE(j1->shelf_id == 500);
        s.close();
    }
    CHECK(shelf->id == 500);
    CHECK(j1->shelf_id == keys.shelf);
    {
        sa::Session s(f.engine);
        s.add(shelf);
        f.capture.lines.clear();
        s.commit();
        CHECK(starting(f.capture, "UPDATE") == 1);
    }
    sa::Session check(f.engine);
    CHECK(check.get<Jar>(keys.j1)->shelf_id == 500);
    CHECK(check.get<Jar>(keys.j2)->shelf_id == 500);
    CHECK(check.get<Sign>(keys.sign)->shelf_id == 500);
}

TEST_CASE("a child whose key holds its parent's moves with the parent's key, and back with a rollback") {
    auto backend = GENERATE(from_range(backends()));
    Fixture f(backend);
    const auto keys = seed_shelf(f.engine);
    {
        sa::Session s(f.engine);
        s.add(Peg{.shelf_id = keys.shelf, .position = 1});
        s.commit();
    }
    sa::Session s(f.engine);
    auto shelf = s.get<Shelf>(keys.shelf);
    REQUIRE(shelf->pegs.size() == 1);
    auto peg = s.query<Peg>().one();
    shelf->id = 500;
    s.flush();
    CHECK(peg->shelf_id == 500);
    CHECK(s.query<Peg>().one() == peg);  // one object for the row, under its new key
    s.rollback();
    CHECK(peg->shelf_id == keys.shelf);
    CHECK(s.query<Peg>().one() == peg);
}

TEST_CASE(
    "lazy(selectin) in the mapping loads with each query, lazy(raise) refuses to load, options override") {
    auto backend = GENERATE(from_range(backends()));
    Fixture f(backend);
    {
        sa::Session s(f.engine);
        for (const char* name : {"north", "south"}) {
            auto lib = s.add(Library{.name = name});
            lib->books.add(Book{.title = std::string(name) + "-1"});
            lib->books.add(Book{.title = std::string(name) + "-2"});
        }
        s.commit();
    }
    {
        sa::Session s(f.engine);
        f.capture.lines.clear();
        auto libraries = s.query<Library>().all();
        CHECK(starting(f.capture, "SELECT") == 2);  // the libraries, then all their books
        for (const auto& lib : libraries) CHECK(lib->books.size() == 2);
        CHECK(starting(f.capture, "SELECT") == 2);
        s.expire_all();
        f.capture.lines.clear();
        auto again = s.scalars(sa::select<Library>()).all();  // session.scalars() too
        CHECK(starting(f.capture, "SELECT") == 2);
        CHECK(again[0]->books.size() == 2);
    }
    {
        sa::Session s(f.engine);
        f.capture.lines.clear();
        auto north = s.get<Library>(1);  // and session.get()
        CHECK(starting(f.capture, "SELECT") == 2);
        CHECK(north->books.size() == 2);
        CHECK(starting(f.capture, "SELECT") == 2);
    }
    {
        sa::Session s(f.engine);
        auto book = s.query<Book>().first();
        CHECK_THROWS_AS(book->library.get(), sa::InvalidRequestError);
        CHECK_THROWS_WITH(book->library.get(), Catch::Contains("Book.library is not loaded") &&
                                                   Catch::Contains("selectinload<&Book::library>"));
        auto books = s.query<Book>().options(sa::lazyload<&Book::library>()).all();
        CHECK(books[0]->library->name == "north");
        auto loaded = s.query<Book>().options(sa::selectinload<&Book::library>()).all();
        CHECK(loaded[1]->library->name == "north");
    }
    {
        sa::Session s(f.engine);
        f.capture.lines.clear();
        auto libraries = s.query<Library>().options(sa::raiseload<&Library::books>()).all();
        CHECK(starting(f.capture, "SELECT") == 1);  // the option overrides the mapping's selectin
        CHECK_THROWS_AS(libraries[0]->books.size(), sa::InvalidRequestError);
    }
    {
        sa::Session s(f.engine);
        seed(f.engine);
        auto boards = s.query<Board>().options(sa::raiseload<&Board::tickets>()).all();
        CHECK_THROWS_AS(boards[0]->tickets.size(), sa::InvalidRequestError);
    }
}

TEST_CASE("two relationships between one pair of models, paired in the mapping") {
    auto backend = GENERATE(from_range(backends()));
    Fixture f(backend);
    {
        sa::Session s(f.engine);
        auto ann = s.add(Person{.name = "ann"});
        auto bob = s.add(Person{.name = "bob"});
        auto paper = ann->written.add(Paper{.title = "p1"});
        paper->reviewer = bob;
        CHECK(bob->reviewed.size() == 1);  // the paired side, in memory
        CHECK(ann->reviewed.size() == 0);
        CHECK(bob->written.size() == 0);
        s.commit();
    }
    sa::Session s(f.engine);
    f.capture.lines.clear();
    auto paper = s.query<Paper>().one();
    CHECK(paper->author->name == "ann");
    CHECK(starting(f.capture, "SELECT") == 1);  // the mapping's lazy(joined): in the query's statement
    CHECK(paper->reviewer->name == "bob");
    CHECK(paper->reviewed_by == paper->reviewer->id);  // the mapping's foreign_key()
    auto bob = paper->reviewer.get();
    CHECK(bob->reviewed.size() == 1);
    CHECK(bob->written.size() == 0);
    CHECK(bob->reviewed[0] == paper);

    // Both joined into one statement, each table under its own alias.
    sa::Session joined(f.engine);
    f.capture.lines.clear();
    auto papers = joined.query<Paper>()
                      .options(sa::joinedload<&Paper::author>(), sa::joinedload<&Paper::reviewer>())
                      .all();
    REQUIRE(papers.size() == 1);
    CHECK(papers[0]->author->name == "ann");
    CHECK(papers[0]->reviewer->name == "bob");
    CHECK(starting(f.capture, "SELECT") == 1);
}

TEST_CASE("a self-referential tree of new objects is inserted in one flush, parents first") {
    auto backend = GENERATE(from_range(backends()));
    Fixture f(backend);
    {
        sa::Session s(f.engine);
        auto root = s.add(Category{.name = "root"});
        auto a = root->children.add(Category{.name = "a"});
        a->children.add(Category{.name = "a1"});
        auto a2 = a->children.add(Category{.name = "a2"});
        a2->children.add(Category{.name = "a2x"});
        root->children.add(Category{.name = "b"});
        f.capture.lines.clear();
        s.commit();
        // One INSERT per level: root; a and b; a1 and a2; a2x.
        CHECK(starting(f.capture, "INSERT") == 4);
    }
    sa::Session s(f.engine);
    auto leaf = s.query<Category>().filter(sa::col<&Category::name> == "a2x").one();
    CHECK(leaf->parent->name == "a2");
    CHECK(leaf->parent->parent->name == "a");
    CHECK(leaf->parent->parent->parent->name == "root");
    CHECK_FALSE(leaf->parent->parent->parent->parent);
    CHECK(leaf->parent->parent->parent->children.size() == 2);

    // A self-referential collection joined to its own table.
    sa::Session joined(f.engine);
    f.capture.lines.clear();
    auto a = joined.query<Category>()
                 .filter(sa::col<&Category::name> == "a")
                 .options(sa::joinedload<&Category::children>())
                 .one();
    REQUIRE(a->children.size() == 2);
    CHECK(a->children[0]->name == "a1");
    CHECK(a->children[1]->name == "a2");
    CHECK(a->children[1]->parent.get() == a);
    CHECK(starting(f.capture, "SELECT") == 1);

    // New objects that refer to each other in a cycle are refused, and nothing is written.
    sa::Session bad(f.engine);
    auto x = bad.add(Category{.name = "x"});
    auto y = bad.add(Category{.name = "y"});
    x->parent = y;
    y->parent = x;
    CHECK_THROWS_WITH(bad.flush(), Catch::Contains("cycle"));
    bad.rollback();
    CHECK(f.count<Category>() == 6);
    x->parent = nullptr;  // the program's own cycle (x and y hold each other), broken
    auto own = bad.add(Category{.name = "own parent"});
    own->parent = own;  // a cycle of one
    CHECK_THROWS_WITH(bad.flush(), Catch::Contains("form a cycle"));
    bad.rollback();
    CHECK(f.count<Category>() == 6);
    own->parent = nullptr;
}

TEST_CASE("flushes of column changes after a flush that wrote a tree's keys write only those changes") {
    auto backend = GENERATE(from_range(backends()));
    Fixture f(backend);
    sa::Session s(f.engine);
    auto root = s.add(Category{.name = "root"});
    auto kid = root->children.add(Category{.name = "kid"});
    s.flush();  // the kid's key waited for the root's INSERT in this flush
    REQUIRE(kid->parent_id == root->id);
    // Later flushes have no relationship work: the sets' changes are all they write.
    auto other = s.add(Category{.name = "other"});
    s.flush();
    kid->name = "renamed";
    kid->parent_id = other->id;  // the column itself, not the relationship
    f.capture.lines.clear();
    s.flush();
    CHECK(starting(f.capture, "UPDATE") == 1);
    CHECK(starting(f.capture, "INSERT") == 0);
    CHECK(kid->parent_id == other->id);
    s.commit();
    sa::Session check(f.engine);
    const auto again = check.get<Category>(kid->id);
    REQUIRE(again);
    CHECK(again->name == "renamed");
    CHECK(again->parent_id == other->id);
}

TEST_CASE("an object with a row that refers to a new object of its own model gets its key") {
    auto backend = GENERATE(from_range(backends()));
    Fixture f(backend);
    std::int64_t leaf_id = 0;
    {
        sa::Session s(f.engine);
        auto leaf = s.add(Category{.name = "leaf"});
        s.commit();
        leaf_id = leaf->id;
    }
    {
        sa::Session s(f.engine);
        auto leaf = s.get<Category>(leaf_id);
        REQUIRE(leaf);
        // A new parent, and a new grandparent for it: the INSERTs come first, in two waves,
        // then the UPDATE of the leaf's row with the key its new parent got.
        auto parent = std::make_shared<Category>(Category{.name = "parent"});
        leaf->parent = parent;
        parent->parent = std::make_shared<Category>(Category{.name = "grandparent"});
        f.capture.lines.clear();
        s.commit();
        CHECK(starting(f.capture, "INSERT") == 2);
        CHECK(starting(f.capture, "UPDATE") == 1);
        REQUIRE(parent->id != 0);
        CHECK(leaf->parent_id == parent->id);
    }
    sa::Session s(f.engine);
    auto leaf = s.get<Category>(leaf_id);
    REQUIRE(leaf);
    REQUIRE(leaf->parent);
    CHECK(leaf->parent->name == "parent");
    REQUIRE(leaf->parent->parent);
    CHECK(leaf->parent->parent->name == "grandparent");
}

TEST_CASE("a delete cascade on a BelongsTo deletes the parent, and on a ManyToMany the linked objects") {
    auto backend = GENERATE(from_range(backends()));
    Fixture f(backend);
    {
        sa::Session s(f.engine);
        auto red = s.add(Team{.name = "red"});
        red->players.add(Player{.name = "p1"});
        red->players.add(Player{.name = "p2"});
        auto apple = s.add(Item{.name = "apple"});
        auto pear = s.add(Item{.name = "pear"});
        auto fruit = s.add(Label{.name = "fruit"});
        apple->labels.add(fruit);
        apple->labels.add(Label{.name = "red"});
        pear->labels.add(fruit);
        s.commit();
    }
    {
        sa::Session s(f.engine);
        auto p1 = s.query<Player>().filter(sa::col<&Player::name> == "p1").one();
        s.delete_(p1);  // its team goes too; the team's other player stays, teamless
        auto apple = s.query<Item>().filter(sa::col<&Item::name> == "apple").one();
        s.delete_(apple);  // its labels go too, with every link they had
        s.commit();
    }
    CHECK(f.count<Team>() == 0);
    CHECK(f.count<Player>() == 1);
    sa::Session check(f.engine);
    CHECK_FALSE(check.query<Player>().one()->team_id.has_value());
    CHECK(f.count<Item>() == 1);
    CHECK(f.count<Label>() == 0);
    CHECK(f.count<ItemLabel>() == 0);  // pear's link to "fruit" went with the label
}

TEST_CASE("a delete cascade on a BelongsTo reaches a parent the program dropped") {
    // The team's collection held the player, whose BelongsTo referred back weakly: a team
    // gone from memory is read again, not taken for "no team".
    auto backend = GENERATE(from_range(backends()));
    Fixture f(backend);
    {
        sa::Session s(f.engine);
        s.add(Team{.name = "red"})->players.add(Player{.name = "p1"});
        s.commit();
    }
    sa::Session s(f.engine);
    auto red = s.query<Team>().one();
    auto p1 = red->players[0];
    red.reset();  // the session lets go of the team too
    s.delete_(p1);
    s.commit();
    CHECK(f.count<Player>() == 0);
    CHECK(f.count<Team>() == 0);
}

TEST_CASE("merge() of a detached child whose parent the program dropped leaves the child's parent as it is") {
    // Each child's BelongsTo referred back weakly to the parent whose collection held it:
    // a parent gone from memory says nothing, as an unloaded member. Taken for "no parent",
    // it would set the player's key NULL and delete the ticket as an orphan.
    auto backend = GENERATE(from_range(backends()));
    Fixture f(backend);
    seed(f.engine);
    {
        sa::Session s(f.engine);
        s.add(Team{.name = "red"})->players.add(Player{.name = "p1"});
        s.commit();
    }
    std::shared_ptr<Player> p1;
    std::shared_ptr<Ticket> t1;
    {
        sa::Session s(f.engine);
        auto red = s.query<Team>().one();
        auto board = s.query<Board>().one();
        p1 = red->players[0];
        t1 = board->tickets[1];  // newest title first
        s.close();
    }  // the program drops the parents
    p1->name = "p1 b.";
    t1->title = "t1 b.";
    {
        sa::Session s(f.engine);
        auto red = s.query<Team>().one();
        auto board = s.query<Board>().one();
        REQUIRE(red->players.size() == 1);  // loaded, each child naming its parent
        REQUIRE(board->tickets.size() == 2);
        CHECK(s.merge(p1)->team.get() == red);
        CHECK(s.merge(t1)->board.get() == board);
        s.commit();
    }
    sa::Session check(f.engine);
    const auto player = check.query<Player>().one();
    CHECK(player->name == "p1 b.");
    CHECK(player->team_id == check.query<Team>().one()->id);
    const auto board = check.query<Board>().one();
    CHECK(titles(board->tickets) == std::vector<std::string>{"t2", "t1 b."});
}

TEST_CASE("merge() of a child set to no parent clears its key though the session's parent was dropped") {
    // The session's player names its team weakly, and the program dropped the team: the
    // member reads as null, as the merged player's does, yet the key still names the team.
    auto backend = GENERATE(from_range(backends()));
    Fixture f(backend);
    {
        sa::Session s(f.engine);
        s.add(Team{.name = "red"})->players.add(Player{.name = "p1"});
        s.commit();
    }
    std::shared_ptr<Player> detached;
    {
        sa::Session s(f.engine);
        detached = s.query<Player>().one();
        s.close();
    }
    detached->team = nullptr;  // team_id changes at a flush
    {
        sa::Session s(f.engine);
        auto red = s.query<Team>().one();
        auto mine = red->players[0];
        red.reset();  // the session lets go of the team too
        s.merge(detached);
        s.commit();
    }
    sa::Session check(f.engine);
    CHECK_FALSE(check.query<Player>().one()->team_id.has_value());
    CHECK(f.count<Team>() == 1);
}

TEST_CASE("a many-to-many of a model with itself: following and followers through one association model") {
    auto backend = GENERATE(from_range(backends()));
    Fixture f(backend);
    auto names = [](const sa::ManyToMany<Account, Follow>& accounts) {
        std::vector<std::string> out;
        for (const Account& a : accounts) out.push_back(a.name);
        std::sort(out.begin(), out.end());
        return out;
    };
    {
        sa::Session s(f.engine);
        auto ann = s.add(Account{.name = "ann"});
        auto bob = s.add(Account{.name = "bob"});
        auto cy = s.add(Account{.name = "cy"});
        ann->following.add(bob);
        ann->following.add(cy);
        bob->following.add(cy);
        CHECK(names(cy->followers) == std::vector<std::string>{"ann", "bob"});  // the other side, in memory
        CHECK(names(bob->followers) == std::vector<std::string>{"ann"});
        CHECK(ann->followers.empty());
        s.commit();
    }
    {
        sa::Session s(f.engine);
        auto accounts = s.query<Account>().order_by(sa::col<&Account::id>).all();
        REQUIRE(accounts.size() == 3);
        CHECK(names(accounts[0]->following) == std::vector<std::string>{"bob", "cy"});
        CHECK(accounts[0]->followers.empty());
        CHECK(names(accounts[2]->followers) == std::vector<std::string>{"ann", "bob"});
        CHECK(accounts[2]->following.empty());
        accounts[0]->following.remove(accounts[1]);  // ann unfollows bob
        CHECK(accounts[1]->followers.empty());
        s.delete_(accounts[2]);  // cy's links go with cy, both ways
        s.commit();
    }
    CHECK(f.count<Follow>() == 0);
    CHECK(f.count<Account>() == 2);
}
