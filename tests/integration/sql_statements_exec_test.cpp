// Subqueries, set operations, CTEs, aliases, upserts and the other INSERT forms run on
// both backends against known rows, with the results checked.
#include "support/backends.hpp"

#include <alchemy/alchemy.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <tuple>
#include <vector>

namespace sa = alchemy;

namespace stexec {

enum class Mood { calm, angry, sleepy };

struct Author {
    std::int64_t id = 0;
    std::string name{};
    std::optional<std::int64_t> manager_id{};
};

struct Book {
    std::int64_t id = 0;
    std::int64_t author_id = 0;
    std::string title{};
    std::int32_t pages = 0;
};

struct Category {
    std::int64_t id = 0;
    std::optional<std::int64_t> parent_id{};
    std::string name{};
};

struct Tag {
    std::int64_t id = 0;
    std::string name{};
    std::int32_t uses = 0;
};

struct Shelf {
    std::int64_t id = 0;
    std::string label{};
};

struct Feeling {
    std::int64_t id = 0;
    Mood mood = Mood::calm;
};

struct Ticket {  // nothing but a generated key
    std::int64_t id = 0;
};

}  // namespace stexec

template <>
inline constexpr auto sa::mapping<stexec::Author> = sa::table("st_authors");
template <>
inline constexpr auto sa::mapping<stexec::Book> = sa::table("st_books");
template <>
inline constexpr auto sa::mapping<stexec::Category> = sa::table("st_categories");
template <>
inline constexpr auto sa::mapping<stexec::Tag> = sa::table("st_tags", sa::unique(&stexec::Tag::name));
template <>
inline constexpr auto sa::mapping<stexec::Shelf> = sa::table("st_shelves");
template <>
inline constexpr auto sa::mapping<stexec::Ticket> = sa::table("st_tickets");
template <>
inline constexpr auto sa::mapping<stexec::Feeling> =
    sa::table("st_feelings", sa::enum_as_text(&stexec::Feeling::mood));

namespace {

using stexec::Author;
using stexec::Book;
using stexec::Category;
using stexec::Feeling;
using stexec::Mood;
using stexec::Shelf;
using stexec::Tag;
using stexec::Ticket;

constexpr auto author_id = sa::col<&Author::id>;
constexpr auto author_name = sa::col<&Author::name>;
constexpr auto manager_id = sa::col<&Author::manager_id>;
constexpr auto book_id = sa::col<&Book::id>;
constexpr auto book_author = sa::col<&Book::author_id>;
constexpr auto title = sa::col<&Book::title>;
constexpr auto pages = sa::col<&Book::pages>;

/// ann manages bob and cy; ann wrote three books (one titled "bob"), bob one, cy none.
/// Every name is lower case, so orderings agree whatever the server's collation.
sa::Connection library(sa::Engine& engine) {
    sa::metadata<Author, Book, Category, Tag, Shelf, Feeling>().create_all(engine);
    auto conn = engine.connect();
    conn.execute(sa::insert<Author>().values(std::vector<Author>{
        {.id = 1, .name = "ann", .manager_id = std::nullopt},
        {.id = 2, .name = "bob", .manager_id = 1},
        {.id = 3, .name = "cy", .manager_id = 1},
    }));
    conn.execute(sa::insert<Book>().values(std::vector<Book>{
        {.id = 1, .author_id = 1, .title = "alpha", .pages = 120},
        {.id = 2, .author_id = 1, .title = "beta", .pages = 480},
        {.id = 3, .author_id = 1, .title = "bob", .pages = 90},
        {.id = 4, .author_id = 2, .title = "gamma", .pages = 310},
    }));
    return conn;
}

}  // namespace

TEST_CASE("a grouped subquery joins like a table", "[sql]") {
    auto backend = GENERATE(from_range(alchemy::test::backends()));
    auto engine = backend.engine();
    auto conn = library(engine);

    const auto counts =
        sa::select(book_author, sa::count(book_id)).group_by(book_author).subquery<"counts">();
    const auto prolific = conn.execute(sa::select(author_name, counts.c<1>())
                                           .join(counts, counts.col<&Book::author_id>() == author_id)
                                           .where(counts.c<1>() > 1))
                              .all();
    CHECK(prolific == std::vector{std::tuple{std::string("ann"), std::int64_t{3}}});

    // Everyone, with zero books read as no count at all through the left join.
    const auto everyone = conn.execute(sa::select(author_name, counts.c<1>())
                                           .left_join(counts, counts.c<0>() == author_id)
                                           .order_by(author_name))
                              .all();
    REQUIRE(everyone.size() == 3);
    CHECK(everyone[0] == std::tuple{std::string("ann"), std::optional<std::int64_t>(3)});
    CHECK(everyone[1] == std::tuple{std::string("bob"), std::optional<std::int64_t>(1)});
    CHECK(everyone[2] == std::tuple{std::string("cy"), std::optional<std::int64_t>()});

    // FROM the subquery alone, with a value bound inside it and one outside.
    const auto long_books = sa::select(book_author, title).where(pages > 100).subquery<"long_books">();
    const auto titles = conn.execute(sa::select(long_books.col<&Book::title>())
                                         .where(long_books.col<&Book::author_id>() == 1)
                                         .order_by(long_books.c<1>()))
                            .all();
    CHECK(titles == std::vector<std::string>{"alpha", "beta"});
    CHECK(conn.execute(sa::select(sa::count()).select_from(long_books)).scalar_one() == 3);
}

TEST_CASE("scalar subqueries, correlated with the outer row", "[sql]") {
    auto backend = GENERATE(from_range(alchemy::test::backends()));
    auto engine = backend.engine();
    auto conn = library(engine);

    const auto books_written =
        sa::select(sa::count(book_id)).where(book_author == author_id).scalar_subquery();
    const auto longest = sa::select(sa::max(pages)).where(book_author == author_id).scalar_subquery();
    const auto rows =
        conn.execute(sa::select(author_name, books_written, longest).order_by(author_name)).all();
    REQUIRE(rows.size() == 3);
    CHECK(rows[0] ==
          std::tuple{std::string("ann"), std::optional<std::int64_t>(3), std::optional<std::int32_t>(480)});
    CHECK(rows[1] ==
          std::tuple{std::string("bob"), std::optional<std::int64_t>(1), std::optional<std::int32_t>(310)});
    CHECK(rows[2] ==
          std::tuple{std::string("cy"), std::optional<std::int64_t>(0), std::optional<std::int32_t>()});

    // In WHERE, and uncorrelated: the authors above the average page count of all books.
    const auto average = sa::select(sa::avg(pages)).scalar_subquery();
    const auto above = conn.execute(sa::select(author_name)
                                        .join<Book>(book_author == author_id)
                                        .where(pages > average)
                                        .distinct()
                                        .order_by(author_name))
                           .all();
    CHECK(above == std::vector<std::string>{"ann", "bob"});
}

TEST_CASE("IN and EXISTS subqueries, negated too", "[sql]") {
    auto backend = GENERATE(from_range(alchemy::test::backends()));
    auto engine = backend.engine();
    auto conn = library(engine);

    const auto long_book_authors = sa::select(book_author).where(pages > 300);
    CHECK(conn.execute(sa::select(author_name).where(author_id.in_(long_book_authors)).order_by(author_name))
              .all() == std::vector<std::string>{"ann", "bob"});
    CHECK(conn.execute(sa::select(author_name).where(author_id.not_in(long_book_authors))).all() ==
          std::vector<std::string>{"cy"});

    const auto wrote = sa::exists(sa::select(book_id).where(book_author == author_id));
    CHECK(conn.execute(sa::select(author_name).where(wrote).order_by(author_name)).all() ==
          std::vector<std::string>{"ann", "bob"});
    CHECK(conn.execute(sa::select(author_name).where(!wrote)).all() == std::vector<std::string>{"cy"});

    // A book whose title is also an author's name: correlated on text, with a bound value.
    const auto named_after = sa::exists(sa::select(author_id).where(author_name == title && author_id != 99));
    CHECK(conn.execute(sa::select(title).where(named_after)).all() == std::vector<std::string>{"bob"});
}

TEST_CASE("union, union all, intersect and except, ordered and limited", "[sql]") {
    auto backend = GENERATE(from_range(alchemy::test::backends()));
    auto engine = backend.engine();
    auto conn = library(engine);

    const auto names = sa::select(author_name);
    const auto titles = sa::select(title).where(pages < 400);
    CHECK(conn.execute(sa::union_(names, titles).order_by(author_name)).all() ==
          std::vector<std::string>{"alpha", "ann", "bob", "cy", "gamma"});
    CHECK(conn.execute(sa::union_all(names, titles).order_by(author_name.desc()).limit(2)).all() ==
          std::vector<std::string>{"gamma", "cy"});
    CHECK(conn.execute(sa::union_all(names, titles)).all().size() == 6);
    CHECK(conn.execute(sa::intersect(names, titles)).all() == std::vector<std::string>{"bob"});
    CHECK(conn.execute(sa::except_(names, titles).order_by(author_name).offset(1)).all() ==
          std::vector<std::string>{"cy"});

    // A union as a subquery.
    const auto words = sa::union_(names, titles).subquery<"words">();
    CHECK(conn.execute(sa::select(sa::count()).select_from(words)).scalar_one() == 5);
}

TEST_CASE("a union orders by its first SELECT's columns and labels, by output name", "[sql]") {
    auto backend = GENERATE(from_range(alchemy::test::backends()));
    auto engine = backend.engine();
    auto conn = library(engine);

    // The second column is named "id" in both members: ordering by it sorts authors'
    // and books' ids together. A column neither member selects does not compile
    // (compile_fail/union_order_by_unselected_column.cpp).
    const auto both = sa::union_all(sa::select(author_name, author_id).where(author_id < 3),
                                    sa::select(title, book_id).where(pages < 100));
    using Row = std::tuple<std::string, std::int64_t>;
    CHECK(conn.execute(both.order_by(author_id.desc(), author_name)).all() ==
          std::vector{Row{"bob", 3}, Row{"bob", 2}, Row{"ann", 1}});

    const auto lowered = sa::lower(author_name).label("lowered");
    const auto labelled = sa::union_all(sa::select(lowered, author_id).where(author_id < 3),
                                        sa::select(sa::lower(title), book_id).where(pages < 100));
    CHECK(labelled.order_by(sa::desc(lowered)).sql(engine.dialect()).find(R"(ORDER BY "lowered" DESC)") !=
          std::string::npos);
    CHECK(conn.execute(labelled.order_by(sa::desc(lowered), author_id)).all() ==
          std::vector{Row{"bob", 2}, Row{"bob", 3}, Row{"ann", 1}});
}

TEST_CASE("expressions over a left-joined table read NULL as an empty optional", "[sql]") {
    auto backend = GENERATE(from_range(alchemy::test::backends()));
    auto engine = backend.engine();
    auto conn = library(engine);

    // Only ann has a book over 400 pages: bob and cy match no row, so pages is NULL.
    const auto stmt = sa::select(author_name, pages * 2, sa::coalesce(pages, 0), sa::coalesce(pages, book_id),
                                 book_id.is_null())
                          .left_join<Book>(book_author == author_id && pages > 400)
                          .order_by(author_name);
    using Row = decltype(stmt)::row_type;
    STATIC_REQUIRE(std::is_same_v<std::tuple_element_t<1, Row>, std::optional<std::int64_t>>);
    STATIC_REQUIRE(std::is_same_v<std::tuple_element_t<2, Row>, std::int32_t>);
    STATIC_REQUIRE(std::is_same_v<std::tuple_element_t<3, Row>, std::optional<std::int64_t>>);
    STATIC_REQUIRE(std::is_same_v<std::tuple_element_t<4, Row>, bool>);
    std::vector<Row> rows;
    REQUIRE_NOTHROW(rows = conn.execute(stmt).all());
    CHECK(rows == std::vector{Row{"ann", 960, 480, 480, false},
                              Row{"bob", std::nullopt, 0, std::nullopt, true},
                              Row{"cy", std::nullopt, 0, std::nullopt, true}});

    // count() counts the matched rows: 0, not NULL, for an author without books.
    const auto counts = sa::select(author_name, sa::count(book_id))
                            .left_join<Book>(book_author == author_id)
                            .group_by(author_name)
                            .order_by(author_name);
    STATIC_REQUIRE(std::is_same_v<decltype(counts)::row_type, std::tuple<std::string, std::int64_t>>);
    CHECK(conn.execute(counts).all() == std::vector{std::tuple{std::string("ann"), std::int64_t{3}},
                                                    std::tuple{std::string("bob"), std::int64_t{1}},
                                                    std::tuple{std::string("cy"), std::int64_t{0}}});
}

TEST_CASE("a CTE with a bound value, read by a join", "[sql]") {
    auto backend = GENERATE(from_range(alchemy::test::backends()));
    auto engine = backend.engine();
    auto conn = library(engine);

    const auto big = sa::select(book_author, title).where(pages > 300).cte<"big_books">();
    const auto rows = conn.execute(sa::select(author_name, big.c<1>())
                                       .join(big, big.c<0>() == author_id)
                                       .where(author_name != "nobody")
                                       .order_by(big.c<1>()))
                          .all();
    CHECK(rows == std::vector{std::tuple{std::string("ann"), std::string("beta")},
                              std::tuple{std::string("bob"), std::string("gamma")}});
}

TEST_CASE("a recursive CTE walks a category tree to every descendant of a root", "[sql]") {
    auto backend = GENERATE(from_range(alchemy::test::backends()));
    auto engine = backend.engine();
    sa::metadata<Category>().create_all(engine);
    auto conn = engine.connect();
    // books ─┬─ fiction ─┬─ fantasy ── epic
    //        │           └─ crime
    //        └─ science
    // music ── jazz
    conn.execute(sa::insert<Category>().values(std::vector<Category>{
        {.id = 1, .parent_id = std::nullopt, .name = "books"},
        {.id = 2, .parent_id = 1, .name = "fiction"},
        {.id = 3, .parent_id = 2, .name = "fantasy"},
        {.id = 4, .parent_id = 3, .name = "epic"},
        {.id = 5, .parent_id = 2, .name = "crime"},
        {.id = 6, .parent_id = 1, .name = "science"},
        {.id = 7, .parent_id = std::nullopt, .name = "music"},
        {.id = 8, .parent_id = 7, .name = "jazz"},
    }));

    const auto descendants = [&](const std::string& root) {
        const auto tree = sa::select(sa::col<&Category::id>, sa::col<&Category::name>)
                              .where(sa::col<&Category::name> == root)
                              .cte<"tree">(sa::recursive);
        const auto walk = tree.union_all(sa::select(sa::col<&Category::id>, sa::col<&Category::name>)
                                             .join(tree, sa::col<&Category::parent_id> == tree.c<0>()));
        return conn
            .execute(sa::select(walk.col<&Category::name>())
                         .where(walk.col<&Category::name>() != root)
                         .order_by(walk.c<1>()))
            .all();
    };
    CHECK(descendants("books") == std::vector<std::string>{"crime", "epic", "fantasy", "fiction", "science"});
    CHECK(descendants("fiction") == std::vector<std::string>{"crime", "epic", "fantasy"});
    CHECK(descendants("music") == std::vector<std::string>{"jazz"});
    CHECK(descendants("epic").empty());
}

TEST_CASE("a self-join through an alias finds each author's manager", "[sql]") {
    auto backend = GENERATE(from_range(alchemy::test::backends()));
    auto engine = backend.engine();
    auto conn = library(engine);

    const auto boss = sa::alias<Author, "boss">;
    const auto rows = conn.execute(sa::select(author_name, boss.col<&Author::name>())
                                       .left_join(boss, boss.col<&Author::id>() == manager_id)
                                       .order_by(author_name))
                          .all();
    CHECK(rows == std::vector{std::tuple{std::string("ann"), std::optional<std::string>()},
                              std::tuple{std::string("bob"), std::optional<std::string>("ann")},
                              std::tuple{std::string("cy"), std::optional<std::string>("ann")}});

    // Inner join and a condition on the alias: who is managed by ann.
    CHECK(conn.execute(sa::select(author_name)
                           .join(boss, boss.col<&Author::id>() == manager_id)
                           .where(boss.col<&Author::name>() == "ann")
                           .order_by(author_name))
              .all() == std::vector<std::string>{"bob", "cy"});
}

TEST_CASE("upsert: on conflict do nothing skips the clashing rows", "[sql]") {
    auto backend = GENERATE(from_range(alchemy::test::backends()));
    auto engine = backend.engine();
    sa::metadata<Tag>().create_all(engine);
    auto conn = engine.connect();

    conn.execute(sa::insert<Tag>().values(Tag{.name = "red", .uses = 1}));
    const auto again = conn.execute(
        sa::insert<Tag>().values(Tag{.name = "red", .uses = 5}).on_conflict_do_nothing(sa::col<&Tag::name>));
    CHECK(again.rowcount() == 0);

    // Several rows in one statement, returning only those inserted.
    const auto inserted =
        conn.execute(sa::insert<Tag>()
                         .values(std::vector<Tag>{{.name = "red", .uses = 7}, {.name = "blue", .uses = 2}})
                         .on_conflict_do_nothing()
                         .returning(sa::col<&Tag::name>))
            .all();
    CHECK(inserted == std::vector<std::string>{"blue"});
    const auto tags =
        conn.execute(sa::select(sa::col<&Tag::name>, sa::col<&Tag::uses>).order_by(sa::col<&Tag::name>))
            .all();
    CHECK(tags == std::vector{std::tuple{std::string("blue"), std::int32_t{2}},
                              std::tuple{std::string("red"), std::int32_t{1}}});
}

TEST_CASE("upsert: on conflict do update sets columns from the proposed row", "[sql]") {
    auto backend = GENERATE(from_range(alchemy::test::backends()));
    auto engine = backend.engine();
    sa::metadata<Tag>().create_all(engine);
    auto conn = engine.connect();

    const auto count_use = [&](const std::string& name, std::int32_t n) {
        return conn
            .execute(sa::insert<Tag>()
                         .values(sa::col<&Tag::name> = name, sa::col<&Tag::uses> = n)
                         .on_conflict_do_update(sa::col<&Tag::name>)
                         .set(sa::col<&Tag::uses> = sa::col<&Tag::uses> + sa::excluded<&Tag::uses>)
                         .returning(sa::col<&Tag::uses>))
            .scalar_one();
    };
    CHECK(count_use("red", 1) == 1);
    CHECK(count_use("red", 4) == 5);
    CHECK(count_use("blue", 2) == 2);
    CHECK(count_use("red", 10) == 15);

    // A value bound in SET, after those of the row.
    const auto reset = conn.execute(sa::insert<Tag>()
                                        .values(Tag{.name = "blue", .uses = 100})
                                        .on_conflict_do_update(sa::col<&Tag::name>)
                                        .set(sa::col<&Tag::uses> = 0));
    CHECK(reset.rowcount() == 1);
    const auto tags =
        conn.execute(sa::select(sa::col<&Tag::name>, sa::col<&Tag::uses>).order_by(sa::col<&Tag::name>))
            .all();
    CHECK(tags == std::vector{std::tuple{std::string("blue"), std::int32_t{0}},
                              std::tuple{std::string("red"), std::int32_t{15}}});
}

TEST_CASE("a write with RETURNING tells its rowcount before its rows are read", "[sql]") {
    auto backend = GENERATE(from_range(alchemy::test::backends()));
    auto engine = backend.engine();
    sa::metadata<Tag>().create_all(engine);
    auto conn = engine.connect();
    const auto uses = sa::col<&Tag::uses>;
    conn.execute(sa::insert<Tag>().values(std::vector<Tag>{
        {.name = "red", .uses = 1}, {.name = "blue", .uses = 2}, {.name = "green", .uses = 3}}));

    auto updated =
        conn.execute(sa::update<Tag>().values(uses = 10).where(uses < 5).returning(sa::col<&Tag::id>));
    CHECK(updated.rowcount() == 3);
    CHECK(updated.first().has_value());
    CHECK(updated.rowcount() == 3);  // first() closed the result: the count stays

    auto none = conn.execute(sa::update<Tag>().values(uses = 0).where(uses < 0).returning(sa::col<&Tag::id>));
    CHECK(none.rowcount() == 0);
    CHECK(none.all().empty());

    // Written as text, and inserting several rows.
    auto inserted =
        conn.execute(sa::text("INSERT INTO st_tags (name, uses) VALUES ('cyan', 1), ('pink', 1) RETURNING id")
                         .columns<std::int64_t>());
    CHECK(inserted.rowcount() == 2);
    CHECK(inserted.all().size() == 2);

    // A later query does not inherit the count.
    auto counted = conn.execute(sa::select(sa::count(sa::col<&Tag::id>)));
    CHECK(counted.rowcount() == 0);
    CHECK(counted.scalar_one() == 5);

    auto deleted = conn.execute(sa::delete_<Tag>().where(uses == 10).returning(sa::col<&Tag::name>));
    CHECK(deleted.rowcount() == 3);
    deleted.close();
    CHECK(deleted.rowcount() == 3);
    CHECK(conn.execute(sa::select(sa::col<&Tag::name>).order_by(sa::col<&Tag::name>)).all() ==
          std::vector<std::string>{"cyan", "pink"});
}

TEST_CASE("insert from_select copies a query's rows, also as an upsert", "[sql]") {
    auto backend = GENERATE(from_range(alchemy::test::backends()));
    auto engine = backend.engine();
    auto conn = library(engine);

    // Every column but the generated key.
    const auto copied = conn.execute(sa::insert<Shelf>().from_select(sa::select(title).where(pages > 100)));
    CHECK(copied.rowcount() == 3);
    CHECK(conn.execute(sa::select(sa::col<&Shelf::label>).order_by(sa::col<&Shelf::label>)).all() ==
          std::vector<std::string>{"alpha", "beta", "gamma"});

    // Named columns, the rows clashing with an existing tag skipped.
    conn.execute(sa::insert<Tag>().values(Tag{.name = "bob", .uses = 99}));
    const auto tagged = conn.execute(sa::insert<Tag>()
                                         .from_select(sa::select(author_name, sa::count(book_id))
                                                          .left_join<Book>(book_author == author_id)
                                                          .group_by(author_name),
                                                      sa::col<&Tag::name>, sa::col<&Tag::uses>)
                                         .on_conflict_do_nothing(sa::col<&Tag::name>)
                                         .returning(sa::col<&Tag::name>, sa::col<&Tag::uses>))
                            .all();
    std::vector<std::tuple<std::string, std::int32_t>> sorted(tagged.begin(), tagged.end());
    std::sort(sorted.begin(), sorted.end());
    CHECK(sorted == std::vector{std::tuple{std::string("ann"), std::int32_t{3}},
                                std::tuple{std::string("cy"), std::int32_t{0}}});
}

TEST_CASE("insert returning reads an enum stored as text back as the enum", "[sql]") {
    auto backend = GENERATE(from_range(alchemy::test::backends()));
    auto engine = backend.engine();
    sa::metadata<Feeling>().create_all(engine);
    auto conn = engine.connect();

    const auto [id, mood] = conn.execute(sa::insert<Feeling>()
                                             .values(Feeling{.mood = Mood::angry})
                                             .returning(sa::col<&Feeling::id>, sa::col<&Feeling::mood>))
                                .one();
    CHECK(id > 0);
    CHECK(mood == Mood::angry);
    CHECK(conn.execute(sa::text("SELECT mood FROM st_feelings").columns<std::string>()).scalar_one() ==
          "angry");

    const auto moods =
        conn.execute(sa::insert<Feeling>()
                         .values(std::vector<Feeling>{{.mood = Mood::sleepy}, {.mood = Mood::calm}})
                         .returning(sa::col<&Feeling::mood>))
            .all();
    CHECK(moods == std::vector{Mood::sleepy, Mood::calm});

    // Through a subquery and a scalar subquery the column keeps its codec.
    const auto latest = sa::select(sa::col<&Feeling::id>, sa::col<&Feeling::mood>).subquery<"latest">();
    CHECK(conn.execute(sa::select(latest.c<1>()).where(latest.c<1>() == Mood::sleepy)).all() ==
          std::vector{Mood::sleepy});
    const auto first_mood =
        sa::select(sa::col<&Feeling::mood>).where(sa::col<&Feeling::id> == id).scalar_subquery();
    CHECK(conn.execute(sa::select(first_mood)).scalar_one() == std::optional<Mood>(Mood::angry));
}

TEST_CASE("objects with nothing but a generated key are each inserted with DEFAULT VALUES", "[sql]") {
    auto backend = GENERATE(from_range(alchemy::test::backends()));
    auto engine = backend.engine();
    sa::metadata<Ticket>().create_all(engine);
    auto conn = engine.connect();

    const auto ids =
        conn.execute(sa::insert<Ticket>().values(std::vector<Ticket>(3)).returning(sa::col<&Ticket::id>))
            .all();
    REQUIRE(ids.size() == 3);
    CHECK(ids[0] < ids[1]);
    CHECK(ids[1] < ids[2]);
    CHECK(conn.execute(sa::select(sa::count<Ticket>())).scalar_one() == 3);
}

// As in SQLAlchemy, a second values() adds to the first: assignments to the one row,
// objects to the list; for a column assigned twice the later value is the one inserted.
TEST_CASE("insert values() again adds assignments to the row and objects to the list", "[sql]") {
    auto backend = GENERATE(from_range(alchemy::test::backends()));
    auto engine = backend.engine();
    auto conn = library(engine);

    const auto dee =
        sa::insert<Author>()
            .values(manager_id = std::optional<std::int64_t>(1), author_name = std::string("first"))
            .values(author_id = std::int64_t{7}, author_name = std::string("dee"));
    INFO(dee.sql(conn.dialect()));
    conn.execute(dee);
    CHECK(conn.execute(sa::select(author_name, manager_id).where(author_id == 7)).one() ==
          std::tuple{std::string("dee"), std::optional<std::int64_t>(1)});

    const std::vector<Author> borrowed{{.id = 10, .name = "eve"}, {.id = 11, .name = "fay"}};
    conn.execute(sa::insert<Author>()
                     .values(std::vector<Author>{{.id = 8, .name = "gus"}})
                     .values(Author{.id = 9, .name = "hal"})
                     .values(std::span<const Author>(borrowed)));
    CHECK(conn.execute(sa::select(author_id).where(author_id >= 8).order_by(author_id)).all() ==
          std::vector<std::int64_t>{8, 9, 10, 11});
}

// PostgreSQL refuses a column SET twice, and SQLite keeps the last: the later value
// replaces the earlier one, as in SQLAlchemy, with the values after it still bound right
// (also from the SQL cached for the statement's type).
TEST_CASE("update values() again for one column: the later value is written", "[sql]") {
    auto backend = GENERATE(from_range(alchemy::test::backends()));
    auto engine = backend.engine();
    auto conn = library(engine);

    const auto retitle = [&](std::int64_t id, const std::string& last) {
        const auto stmt = sa::update<Book>()
                              .values(title = std::string("first"))
                              .where(book_id == id)
                              .values(pages = std::int32_t{7}, title = last)
                              .returning(title, pages);
        INFO(stmt.sql(conn.dialect()));
        return conn.execute(stmt).all();
    };
    CHECK(retitle(2, "second") == std::vector{std::tuple{std::string("second"), std::int32_t{7}}});
    CHECK(retitle(4, "third") == std::vector{std::tuple{std::string("third"), std::int32_t{7}}});
    CHECK(conn.execute(sa::select(title).order_by(book_id)).all() ==
          std::vector<std::string>{"alpha", "second", "bob", "third"});
}

TEST_CASE("upsert set() again for one column: the later value is written", "[sql]") {
    auto backend = GENERATE(from_range(alchemy::test::backends()));
    auto engine = backend.engine();
    sa::metadata<Tag>().create_all(engine);
    auto conn = engine.connect();

    conn.execute(sa::insert<Tag>().values(Tag{.name = "red", .uses = 1}));
    const auto upsert =
        sa::insert<Tag>()
            .values(sa::col<&Tag::name> = std::string("red"), sa::col<&Tag::uses> = std::int32_t{5})
            .on_conflict_do_update(sa::col<&Tag::name>)
            .set(sa::col<&Tag::uses> = std::int32_t{100})
            .set(sa::col<&Tag::uses> = sa::col<&Tag::uses> + sa::excluded<&Tag::uses> + std::int32_t{10})
            .returning(sa::col<&Tag::uses>);
    INFO(upsert.sql(conn.dialect()));
    CHECK(conn.execute(upsert).scalar_one() == 16);
}
