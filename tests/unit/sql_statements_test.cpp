// Subqueries, set operations, CTEs, aliases and the INSERT forms: the SQL each renders
// per dialect, the C++ types it reads as, and the order its values bind in. No database.
#include <alchemy/alchemy.hpp>

#include <catch2/catch.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

namespace sa = alchemy;

namespace stmt {

enum class Mood { calm, angry };

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

}  // namespace stmt

template <>
inline constexpr auto sa::mapping<stmt::Author> = sa::table("authors");
template <>
inline constexpr auto sa::mapping<stmt::Book> = sa::table("books");
template <>
inline constexpr auto sa::mapping<stmt::Category> = sa::table("categories");
template <>
inline constexpr auto sa::mapping<stmt::Tag> = sa::table("tags", sa::unique(&stmt::Tag::name));
template <>
inline constexpr auto sa::mapping<stmt::Feeling> =
    sa::table("feelings", sa::enum_as_text(&stmt::Feeling::mood));

namespace {

using stmt::Author;
using stmt::Book;
using stmt::Category;
using stmt::Feeling;
using stmt::Mood;
using stmt::Shelf;
using stmt::Tag;

const sa::Dialect& sqlite() { return sa::driver_for(sa::make_url("sqlite://")).dialect(); }
const sa::Dialect& pg() { return sa::driver_for(sa::make_url("postgresql://h/db")).dialect(); }

constexpr auto author_id = sa::col<&Author::id>;
constexpr auto author_name = sa::col<&Author::name>;
constexpr auto book_id = sa::col<&Book::id>;
constexpr auto book_author = sa::col<&Book::author_id>;
constexpr auto pages = sa::col<&Book::pages>;
constexpr auto title = sa::col<&Book::title>;

/// The values a statement binds, in order, as integers or text.
template <class S>
std::vector<std::string> bound(const S& statement) {
    sa::ParamBuffer buffer;
    statement.bind(buffer);
    std::vector<std::string> out;
    for (const auto& p : buffer.params())
        out.push_back(p.type == sa::ParamType::text ? std::string(p.bytes) : std::to_string(p.integer));
    return out;
}

}  // namespace

TEST_CASE("a subquery in FROM or JOIN is named, and its columns are read by position or by member") {
    const auto counts =
        sa::select(book_author, sa::count(book_id)).group_by(book_author).subquery<"counts">();
    const auto stmt = sa::select(author_name, counts.c<1>())
                          .join(counts, counts.col<&Book::author_id>() == author_id)
                          .where(counts.c<1>() > 1);
    CHECK(stmt.sql(sqlite()) ==
          R"(SELECT "authors"."name", "counts"."col_2" FROM "authors" JOIN (SELECT "books"."author_id", )"
          R"(count("books"."id") AS "col_2" FROM "books" GROUP BY "books"."author_id") AS "counts" )"
          R"(ON "counts"."author_id" = "authors"."id" WHERE "counts"."col_2" > ?)");
    CHECK(stmt.sql(pg()) ==
          R"(SELECT "authors"."name", "counts"."col_2" FROM "authors" JOIN (SELECT "books"."author_id", )"
          R"(count("books"."id") AS "col_2" FROM "books" GROUP BY "books"."author_id") AS "counts" )"
          R"(ON "counts"."author_id" = "authors"."id" WHERE "counts"."col_2" > $1)");
    STATIC_REQUIRE(std::is_same_v<decltype(stmt)::row_type, std::tuple<std::string, std::int64_t>>);

    SECTION("selecting its columns selects FROM it") {
        const auto from_it = sa::select(counts.c<0>(), counts.c<1>()).where(counts.c<1>() >= 2);
        CHECK(from_it.sql(pg()) ==
              R"(SELECT "counts"."author_id", "counts"."col_2" FROM (SELECT "books"."author_id", )"
              R"(count("books"."id") AS "col_2" FROM "books" GROUP BY "books"."author_id") AS "counts" )"
              R"(WHERE "counts"."col_2" >= $1)");
    }
    SECTION("select_from names it when no selected column does") {
        CHECK(sa::select(sa::count()).select_from(counts).sql(sqlite()) ==
              R"(SELECT count(*) FROM (SELECT "books"."author_id", count("books"."id") AS "col_2" )"
              R"(FROM "books" GROUP BY "books"."author_id") AS "counts")");
    }
    SECTION("a left-joined subquery's columns read as optional") {
        const auto left =
            sa::select(author_name, counts.c<1>()).left_join(counts, counts.c<0>() == author_id);
        STATIC_REQUIRE(
            std::is_same_v<decltype(left)::row_type, std::tuple<std::string, std::optional<std::int64_t>>>);
        CHECK(left.sql(sqlite()).find(R"(LEFT OUTER JOIN (SELECT)") != std::string::npos);
    }
}

TEST_CASE("subquery columns keep their names, labels, and get col_N when unnamed or repeated") {
    const auto sq = sa::select(author_id, book_id, book_author.label("writer"), sa::count())
                        .join<Book>(book_author == author_id)
                        .group_by(author_id, book_id, book_author)
                        .subquery<"sq">();
    CHECK(sa::select(sq.c<0>(), sq.c<1>(), sq.c<2>(), sq.c<3>()).sql(sqlite()) ==
          R"(SELECT "sq"."id", "sq"."col_2", "sq"."writer", "sq"."col_4" FROM (SELECT "authors"."id", )"
          R"("books"."id" AS "col_2", "books"."author_id" AS "writer", count(*) AS "col_4" FROM "authors" )"
          R"(JOIN "books" ON "books"."author_id" = "authors"."id" GROUP BY "authors"."id", "books"."id", )"
          R"("books"."author_id") AS "sq")");
    CHECK(sa::select(sq.col<&Book::id>(), sq.col<&Book::author_id>())
              .sql(sqlite())
              .starts_with(R"(SELECT "sq"."col_2", "sq"."writer" FROM)"));

    SECTION("select<T>() as a subquery has every column of T") {
        const auto books = sa::select<Book>().where(pages > 100).subquery<"long_books">();
        const auto stmt = sa::select(books.col<&Book::title>(), books.c<3>());
        STATIC_REQUIRE(std::is_same_v<decltype(stmt)::row_type, std::tuple<std::string, std::int32_t>>);
        CHECK(
            stmt.sql(pg()) ==
            R"(SELECT "long_books"."title", "long_books"."pages" FROM (SELECT "books"."id", )"
            R"("books"."author_id", "books"."title", "books"."pages" FROM "books" WHERE "books"."pages" > $1) )"
            R"(AS "long_books")");
    }
}

TEST_CASE("a scalar subquery is an optional value and may read the enclosing statement's table") {
    const auto books_of_author =
        sa::select(sa::count(book_id)).where(book_author == author_id).scalar_subquery();
    STATIC_REQUIRE(std::is_same_v<decltype(books_of_author)::value_type, std::optional<std::int64_t>>);
    STATIC_REQUIRE(std::is_same_v<decltype(books_of_author)::sources, sa::detail::type_list<Author>>);

    const auto stmt =
        sa::select(author_name, books_of_author).where(books_of_author > 0).order_by(author_name);
    CHECK(stmt.sql(sqlite()) ==
          R"(SELECT "authors"."name", (SELECT count("books"."id") FROM "books" WHERE "books"."author_id" = )"
          R"("authors"."id") FROM "authors" WHERE (SELECT count("books"."id") FROM "books" WHERE )"
          R"("books"."author_id" = "authors"."id") > ? ORDER BY "authors"."name")");
    CHECK(stmt.sql(pg()) ==
          R"(SELECT "authors"."name", (SELECT count("books"."id") FROM "books" WHERE "books"."author_id" = )"
          R"("authors"."id") FROM "authors" WHERE (SELECT count("books"."id") FROM "books" WHERE )"
          R"("books"."author_id" = "authors"."id") > $1 ORDER BY "authors"."name")");
}

TEST_CASE("in_ and not_in take a query of one column") {
    const auto long_books = sa::select(book_author).where(pages > 300);
    CHECK(sa::select(author_name).where(author_id.in_(long_books)).sql(pg()) ==
          R"(SELECT "authors"."name" FROM "authors" WHERE "authors"."id" IN (SELECT "books"."author_id" )"
          R"(FROM "books" WHERE "books"."pages" > $1))");
    CHECK(sa::select(author_name).where(author_id.not_in(long_books)).sql(sqlite()) ==
          R"(SELECT "authors"."name" FROM "authors" WHERE "authors"."id" NOT IN (SELECT )"
          R"("books"."author_id" FROM "books" WHERE "books"."pages" > ?))");
    // A NULL-able column makes the comparison NULL-able.
    STATIC_REQUIRE(std::is_same_v<decltype(sa::col<&Author::manager_id>.in_(long_books))::value_type,
                                  std::optional<bool>>);
}

TEST_CASE("exists and !exists test for rows of a correlated query") {
    const auto wrote = sa::exists(sa::select(book_id).where(book_author == author_id));
    CHECK(sa::select(author_name).where(wrote).sql(sqlite()) ==
          R"(SELECT "authors"."name" FROM "authors" WHERE EXISTS (SELECT "books"."id" FROM "books" )"
          R"(WHERE "books"."author_id" = "authors"."id"))");
    CHECK(sa::select(author_name).where(!wrote).sql(pg()) ==
          R"(SELECT "authors"."name" FROM "authors" WHERE NOT EXISTS (SELECT "books"."id" FROM "books" )"
          R"(WHERE "books"."author_id" = "authors"."id"))");
    // Correlated through a join: Author comes from the outer statement's JOIN.
    const auto joined = sa::select(title).join<Author>(author_id == book_author).where(wrote);
    CHECK(joined.sql(pg()).ends_with(R"(WHERE "books"."author_id" = "authors"."id"))"));
}

TEST_CASE("union, union all, intersect and except combine selects, order_by and limit apply to the whole") {
    const auto names = sa::select(author_name);
    const auto titles = sa::select(title).where(pages > 10);
    CHECK(sa::union_(names, titles).sql(sqlite()) ==
          R"(SELECT "authors"."name" FROM "authors" UNION SELECT "books"."title" FROM "books" WHERE )"
          R"("books"."pages" > ?)");
    CHECK(sa::union_all(names, titles).order_by(author_name).limit(5).offset(2).sql(pg()) ==
          R"(SELECT "authors"."name" FROM "authors" UNION ALL SELECT "books"."title" FROM "books" WHERE )"
          R"("books"."pages" > $1 ORDER BY "name" LIMIT $2 OFFSET $3)");
    CHECK(sa::intersect(names, titles).sql(pg()) ==
          R"(SELECT "authors"."name" FROM "authors" INTERSECT SELECT "books"."title" FROM "books" WHERE )"
          R"("books"."pages" > $1)");
    CHECK(sa::except_(names, titles, sa::select(sa::col<&Tag::name>))
              .order_by(author_name.desc())
              .sql(sqlite()) ==
          R"(SELECT "authors"."name" FROM "authors" EXCEPT SELECT "books"."title" FROM "books" WHERE )"
          R"("books"."pages" > ? EXCEPT SELECT "tags"."name" FROM "tags" ORDER BY "name" DESC)");
    // OFFSET alone still needs a LIMIT on SQLite.
    CHECK(sa::union_(names, titles).offset(1).sql(sqlite()).ends_with(R"( LIMIT -1 OFFSET ?)"));
    STATIC_REQUIRE(std::is_same_v<decltype(sa::union_(names, titles))::row_type, std::string>);

    SECTION("a union is a subquery like any query") {
        const auto everything = sa::union_(names, titles).subquery<"words">();
        CHECK(sa::select(sa::count()).select_from(everything).sql(pg()) ==
              R"(SELECT count(*) FROM (SELECT "authors"."name" FROM "authors" UNION SELECT "books"."title" )"
              R"(FROM "books" WHERE "books"."pages" > $1) AS "words")");
    }
}

TEST_CASE("a CTE is defined in the WITH clause of the statement that reads it") {
    const auto big = sa::select(book_author, title).where(pages > 300).cte<"big_books">();
    const auto stmt =
        sa::select(author_name, big.c<1>()).join(big, big.c<0>() == author_id).where(author_id > 7);
    CHECK(stmt.sql(sqlite()) ==
          R"(WITH "big_books" AS (SELECT "books"."author_id", "books"."title" FROM "books" WHERE )"
          R"("books"."pages" > ?) SELECT "authors"."name", "big_books"."title" FROM "authors" JOIN )"
          R"("big_books" ON "big_books"."author_id" = "authors"."id" WHERE "authors"."id" > ?)");
    CHECK(stmt.sql(pg()) ==
          R"(WITH "big_books" AS (SELECT "books"."author_id", "books"."title" FROM "books" WHERE )"
          R"("books"."pages" > $1) SELECT "authors"."name", "big_books"."title" FROM "authors" JOIN )"
          R"("big_books" ON "big_books"."author_id" = "authors"."id" WHERE "authors"."id" > $2)");
    CHECK(bound(stmt) == std::vector<std::string>{"300", "7"});

    SECTION("members of a union that read the same CTE share one definition at the front") {
        const auto both = sa::union_(sa::select(big.c<1>()), sa::select(big.c<1>()).where(big.c<0>() == 3));
        CHECK(both.sql(pg()) ==
              R"(WITH "big_books" AS (SELECT "books"."author_id", "books"."title" FROM "books" WHERE )"
              R"("books"."pages" > $1) SELECT "big_books"."title" FROM "big_books" UNION SELECT )"
              R"("big_books"."title" FROM "big_books" WHERE "big_books"."author_id" = $2)");
        CHECK(bound(both) == std::vector<std::string>{"300", "3"});
    }
}

TEST_CASE("a recursive CTE is its anchor UNION ALL a member that reads the CTE itself") {
    const auto tree = sa::select(sa::col<&Category::id>, sa::col<&Category::name>)
                          .where(sa::col<&Category::name> == "root")
                          .cte<"tree">(sa::recursive);
    const auto walk = tree.union_all(sa::select(sa::col<&Category::id>, sa::col<&Category::name>)
                                         .join(tree, sa::col<&Category::parent_id> == tree.c<0>()));
    const auto stmt = sa::select(walk.col<&Category::name>()).where(walk.c<0>() != 1).order_by(walk.c<1>());
    CHECK(stmt.sql(sqlite()) ==
          R"(WITH RECURSIVE "tree" AS (SELECT "categories"."id", "categories"."name" FROM "categories" )"
          R"(WHERE "categories"."name" = ? UNION ALL SELECT "categories"."id", "categories"."name" FROM )"
          R"("categories" JOIN "tree" ON "categories"."parent_id" = "tree"."id") SELECT "tree"."name" FROM )"
          R"("tree" WHERE "tree"."id" != ? ORDER BY "tree"."name")");
    CHECK(stmt.sql(pg()) ==
          R"(WITH RECURSIVE "tree" AS (SELECT "categories"."id", "categories"."name" FROM "categories" )"
          R"(WHERE "categories"."name" = $1 UNION ALL SELECT "categories"."id", "categories"."name" FROM )"
          R"("categories" JOIN "tree" ON "categories"."parent_id" = "tree"."id") SELECT "tree"."name" FROM )"
          R"("tree" WHERE "tree"."id" != $2 ORDER BY "tree"."name")");
    CHECK(bound(stmt) == std::vector<std::string>{"root", "1"});
}

TEST_CASE("an alias is the same table under another name, for self-joins") {
    const auto boss = sa::alias<Author, "boss">;
    const auto stmt = sa::select(author_name, boss.col<&Author::name>())
                          .left_join(boss, boss.col<&Author::id>() == sa::col<&Author::manager_id>)
                          .where(boss.col<&Author::name>() != "nobody");
    CHECK(stmt.sql(sqlite()) ==
          R"(SELECT "authors"."name", "boss"."name" FROM "authors" LEFT OUTER JOIN "authors" AS "boss" ON )"
          R"("boss"."id" = "authors"."manager_id" WHERE "boss"."name" != ?)");
    CHECK(stmt.sql(pg()) ==
          R"(SELECT "authors"."name", "boss"."name" FROM "authors" LEFT OUTER JOIN "authors" AS "boss" ON )"
          R"("boss"."id" = "authors"."manager_id" WHERE "boss"."name" != $1)");
    STATIC_REQUIRE(
        std::is_same_v<decltype(stmt)::row_type, std::tuple<std::string, std::optional<std::string>>>);

    // Each name is a type of its own, so each statement caches its own text.
    const auto second = sa::alias<Author, "second">;
    CHECK(sa::select(second.col<&Author::name>()).sql(pg()) ==
          R"(SELECT "second"."name" FROM "authors" AS "second")");
    STATIC_REQUIRE(!std::is_same_v<decltype(boss), decltype(second)>);
}

TEST_CASE("values bind in the order their placeholders appear, however the statement nests") {
    const auto big = sa::select(book_author).where(pages > 500).cte<"big">();
    const auto recent = sa::select(book_author, title).where(title != "draft").subquery<"recent">();
    const auto stmt =
        sa::union_(sa::select(author_name, sa::select(sa::count(book_id))
                                               .where(book_author == author_id)
                                               .where(pages > 1)
                                               .scalar_subquery())
                       .join(recent, recent.c<0>() == author_id && recent.c<1>() != "x")
                       .join(big, big.c<0>() == author_id)
                       .where(author_name != "y"),
                   sa::select(title, sa::select(sa::count(book_id)).where(pages > 2).scalar_subquery())
                       .where(pages < 3))
            .limit(4);
    CHECK(
        stmt.sql(pg()) ==
        R"(WITH "big" AS (SELECT "books"."author_id" FROM "books" WHERE "books"."pages" > $1) SELECT )"
        R"("authors"."name", (SELECT count("books"."id") FROM "books" WHERE ("books"."author_id" = )"
        R"("authors"."id") AND ("books"."pages" > $2)) FROM "authors" JOIN (SELECT "books"."author_id", )"
        R"("books"."title" FROM "books" WHERE "books"."title" != $3) AS "recent" ON ("recent"."author_id" = )"
        R"("authors"."id") AND ("recent"."title" != $4) JOIN "big" ON "big"."author_id" = "authors"."id" )"
        R"(WHERE "authors"."name" != $5 UNION SELECT "books"."title", (SELECT count("books"."id") FROM )"
        R"("books" WHERE "books"."pages" > $6) FROM "books" WHERE "books"."pages" < $7 LIMIT $8)");
    CHECK(bound(stmt) == std::vector<std::string>{"500", "1", "draft", "x", "y", "2", "3", "4"});
}

TEST_CASE("limit_offset renders and binds as limit() and offset() do, with whichever it is given") {
    const auto base = sa::select(title).where(pages > 10).order_by(book_id);
    for (const sa::Dialect* dialect : {&sqlite(), &pg()}) {
        INFO(dialect->name());
        CHECK(base.limit_offset(std::nullopt, std::nullopt).sql(*dialect) == base.sql(*dialect));
        CHECK(base.limit_offset(5, std::nullopt).sql(*dialect) == base.limit(5).sql(*dialect));
        CHECK(base.limit_offset(std::nullopt, 7).sql(*dialect) == base.offset(7).sql(*dialect));
        CHECK(base.limit_offset(5, 7).sql(*dialect) == base.limit(5).offset(7).sql(*dialect));
    }
    CHECK(base.limit_offset(5, 7).sql(pg()).ends_with("LIMIT $2 OFFSET $3"));
    CHECK(bound(base.limit_offset(5, 7)) == std::vector<std::string>{"10", "5", "7"});
    CHECK(bound(base.limit_offset(std::nullopt, 7)) == std::vector<std::string>{"10", "7"});
    CHECK(bound(base.limit_offset(std::nullopt, std::nullopt)) == std::vector<std::string>{"10"});

    // One text per combination and dialect, each rendered once...
    using Limited = decltype(base.limit_offset(1, 1));
    CHECK(sa::detail::sql_cache<Limited, 4>::renders() == 8);
    CHECK(base.limit_offset(1, std::nullopt).sql(pg()) == base.limit(5).sql(pg()));
    CHECK(sa::detail::sql_cache<Limited, 4>::renders() == 8);
    // ...and so does a statement embedding it, one text per combination of the embedded
    // query's LIMIT and OFFSET.
    const auto outer = [&](std::optional<std::int64_t> limit, std::optional<std::int64_t> offset) {
        return sa::select(base.limit_offset(limit, offset).scalar_subquery());
    };
    using Outer = decltype(outer(1, 1));
    STATIC_REQUIRE(Outer::shape_variants == 4);
    CHECK(outer(3, std::nullopt).sql(pg()).ends_with("LIMIT $2)"));
    CHECK(outer(std::nullopt, std::nullopt).sql(pg()).ends_with("\"books\".\"id\")"));
    CHECK(outer(std::nullopt, 3).sql(pg()).ends_with("OFFSET $2)"));
    CHECK(outer(3, 3).sql(pg()).ends_with("LIMIT $2 OFFSET $3)"));
    CHECK(sa::detail::sql_cache<Outer, 4>::renders() == 4);
    CHECK(outer(9, std::nullopt).sql(pg()) == outer(3, std::nullopt).sql(pg()));
    CHECK(sa::detail::sql_cache<Outer, 4>::renders() == 4);
}

TEST_CASE("a later limit() or offset() replaces the earlier one, in the text and the values") {
    const auto base = sa::select(title).where(pages > 10).order_by(book_id);
    using Strings = std::vector<std::string>;
    STATIC_REQUIRE(std::is_same_v<decltype(base.limit(1)), decltype(base.limit(1).limit(2))>);
    CHECK(base.limit(1).limit(3).sql(pg()) == base.limit(3).sql(pg()));
    CHECK(bound(base.limit(1).limit(3)) == Strings{"10", "3"});
    CHECK(bound(base.offset(2).limit(1).offset(5)) == Strings{"10", "1", "5"});
    CHECK(base.limit_offset(std::nullopt, 3).limit(1).sql(pg()).ends_with("LIMIT $2 OFFSET $3"));
    CHECK(bound(base.limit_offset(std::nullopt, 3).limit(1)) == Strings{"10", "1", "3"});
    CHECK(base.limit(4).offset(2).limit_offset(std::nullopt, 3).sql(pg()) == base.offset(3).sql(pg()));
    CHECK(bound(base.limit(4).offset(2).limit_offset(std::nullopt, 3)) == Strings{"10", "3"});
    const auto both = sa::union_all(sa::select(title), sa::select(title));
    CHECK(both.limit(1).limit(3).sql(pg()) == both.limit(3).sql(pg()));
    CHECK(bound(both.offset(1).limit(2).offset(4)) == Strings{"2", "4"});
}

TEST_CASE("a number beside a number column binds as itself, and assigned, in the column's type") {
    const auto real_of = [](const auto& statement) {
        sa::ParamBuffer buffer;
        statement.bind(buffer);
        REQUIRE(buffer.params().size() == 1);
        CHECK(buffer.params()[0].type == sa::ParamType::real);
        return buffer.params()[0].real;
    };
    CHECK(real_of(sa::select(title).where(pages == 10.7)) == 10.7);
    CHECK(real_of(sa::select(title).where(pages >= 10.5)) == 10.5);
    CHECK(real_of(sa::select(pages * 0.5)) == 0.5);
    CHECK(bound(sa::select(title).where(pages == std::int64_t{4294967306})) ==
          std::vector<std::string>{"4294967306"});
    CHECK(bound(sa::update<Book>().values(pages = std::int64_t{7})) == std::vector<std::string>{"7"});
    CHECK_THROWS_AS(sa::update<Book>().values(pages = std::int64_t{4294967306}), sa::DataError);
}

TEST_CASE("insert writes objects, leaving an unset autoincrement key to the database") {
    CHECK(sa::insert<Tag>().values(Tag{.name = "x", .uses = 1}).sql(sqlite()) ==
          R"(INSERT INTO "tags" ("name", "uses") VALUES (?, ?))");
    CHECK(sa::insert<Tag>().values(Tag{.id = 4, .name = "x"}).sql(pg()) ==
          R"(INSERT INTO "tags" ("id", "name", "uses") VALUES ($1, $2, $3))");
}

TEST_CASE("insert values may be column assignments") {
    const auto stmt =
        sa::insert<Author>().values(author_name = "ann", sa::col<&Author::manager_id> = sa::null);
    CHECK(stmt.sql(sqlite()) == R"(INSERT INTO "authors" ("name", "manager_id") VALUES (?, NULL))");
    CHECK(stmt.sql(pg()) == R"(INSERT INTO "authors" ("name", "manager_id") VALUES ($1, NULL))");
}

TEST_CASE("returning reads columns back, enums through their codec") {
    const auto stmt = sa::insert<Feeling>()
                          .values(Feeling{.mood = Mood::angry})
                          .returning(sa::col<&Feeling::id>, sa::col<&Feeling::mood>);
    CHECK(stmt.sql(pg()) == R"(INSERT INTO "feelings" ("mood") VALUES ($1) RETURNING "id", "mood")");
    STATIC_REQUIRE(std::is_same_v<decltype(stmt)::returning_row, std::tuple<std::int64_t, Mood>>);
}

TEST_CASE("upserts: on_conflict_do_nothing and on_conflict_do_update with sa::excluded") {
    const auto tag = Tag{.name = "x", .uses = 1};
    CHECK(sa::insert<Tag>().values(tag).on_conflict_do_nothing(sa::col<&Tag::name>).sql(sqlite()) ==
          R"(INSERT INTO "tags" ("name", "uses") VALUES (?, ?) ON CONFLICT ("name") DO NOTHING)");
    CHECK(sa::insert<Tag>().values(tag).on_conflict_do_nothing().sql(pg()) ==
          R"(INSERT INTO "tags" ("name", "uses") VALUES ($1, $2) ON CONFLICT DO NOTHING)");

    const auto upsert = sa::insert<Tag>()
                            .values(tag)
                            .on_conflict_do_update(sa::col<&Tag::name>)
                            .set(sa::col<&Tag::uses> = sa::col<&Tag::uses> + sa::excluded<&Tag::uses>,
                                 sa::col<&Tag::name> = sa::excluded<&Tag::name>)
                            .returning(sa::col<&Tag::uses>);
    CHECK(upsert.sql(sqlite()) ==
          R"(INSERT INTO "tags" ("name", "uses") VALUES (?, ?) ON CONFLICT ("name") DO UPDATE SET "uses" = )"
          R"("tags"."uses" + "excluded"."uses", "name" = "excluded"."name" RETURNING "uses")");
    CHECK(
        upsert.sql(pg()) ==
        R"(INSERT INTO "tags" ("name", "uses") VALUES ($1, $2) ON CONFLICT ("name") DO UPDATE SET "uses" = )"
        R"("tags"."uses" + "excluded"."uses", "name" = "excluded"."name" RETURNING "uses")");

    // Values in SET bind after the row's.
    const auto bump = sa::insert<Tag>()
                          .values(tag)
                          .on_conflict_do_update(sa::col<&Tag::name>)
                          .set(sa::col<&Tag::uses> = 10);
    CHECK(bump.sql(pg()).ends_with(R"(DO UPDATE SET "uses" = $3)"));
}

TEST_CASE("insert from_select sends a query's rows to the table's columns") {
    const auto names = sa::select(author_name).where(author_id > 3);
    SECTION("without columns: every column but the generated key") {
        CHECK(
            sa::insert<Shelf>().from_select(names).sql(pg()) ==
            R"(INSERT INTO "shelf" ("label") SELECT "authors"."name" FROM "authors" WHERE "authors"."id" > $1)");
    }
    SECTION("without columns: every column") {
        CHECK(
            sa::insert<Shelf>().from_select(sa::select(author_id, author_name)).sql(sqlite()) ==
            R"(INSERT INTO "shelf" ("id", "label") SELECT "authors"."id", "authors"."name" FROM "authors")");
    }
    SECTION("named columns, and the WHERE SQLite needs before ON CONFLICT") {
        const auto stmt = sa::insert<Tag>()
                              .from_select(sa::select(title, pages).order_by(title), sa::col<&Tag::name>,
                                           sa::col<&Tag::uses>)
                              .on_conflict_do_nothing();
        CHECK(stmt.sql(sqlite()) ==
              R"(INSERT INTO "tags" ("name", "uses") SELECT "books"."title", "books"."pages" FROM "books" )"
              R"(WHERE true ORDER BY "books"."title" ON CONFLICT DO NOTHING)");
        CHECK(stmt.sql(pg()) ==
              R"(INSERT INTO "tags" ("name", "uses") SELECT "books"."title", "books"."pages" FROM "books" )"
              R"(ORDER BY "books"."title" ON CONFLICT DO NOTHING)");
    }
}
