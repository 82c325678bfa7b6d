// Several models per row, SQLAlchemy's select(Post, User).join(...): Core reads rows of
// std::tuple<Post, User> (a left-joined model as std::optional), the Session reads rows of
// its own objects, one per primary key, on both backends.
#include "support/backends.hpp"

#include <alchemy/alchemy.hpp>

#include <catch2/catch.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

namespace sa = alchemy;
using sa::test::backends;

namespace entities {

struct Author {
    std::int64_t id = 0;
    std::string name{};
};

struct Article {
    std::int64_t id = 0;
    std::string title{};
    std::optional<std::int64_t> author_id{};
};

}  // namespace entities

template <>
inline constexpr auto sa::mapping<entities::Author> = sa::table("authors");
template <>
inline constexpr auto sa::mapping<entities::Article> = sa::table("articles");

using entities::Article;
using entities::Author;

namespace {

const auto article_author = sa::col<&Article::author_id> == sa::col<&Author::id>;

void fill(sa::Engine& engine) {
    sa::metadata<Author, Article>().create_all(engine);
    auto conn = engine.connect();
    conn.execute(sa::insert<Author>().values(Author{.id = 1, .name = "ann"}));
    conn.execute(sa::insert<Author>().values(Author{.id = 2, .name = "bob"}));
    conn.execute(sa::insert<Article>().values(Article{.id = 10, .title = "first", .author_id = 1}));
    conn.execute(sa::insert<Article>().values(Article{.id = 11, .title = "second", .author_id = 1}));
    conn.execute(
        sa::insert<Article>().values(Article{.id = 12, .title = "orphan", .author_id = std::nullopt}));
    conn.commit();
}

}  // namespace

TEST_CASE("select<Article, Author>() reads both models of each joined row") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    fill(engine);
    auto conn = engine.connect();

    const auto stmt =
        sa::select<Article, Author>().join<Author>(article_author).order_by(sa::col<&Article::id>);
    static_assert(std::is_same_v<decltype(stmt)::row_type, std::tuple<Article, Author>>);
    const auto rows = conn.execute(stmt).all();
    REQUIRE(rows.size() == 2);
    const auto& [article, author] = rows[0];
    CHECK(article.id == 10);
    CHECK(article.title == "first");
    CHECK(author.id == 1);
    CHECK(author.name == "ann");
    CHECK(std::get<0>(rows[1]).title == "second");
    CHECK(std::get<1>(rows[1]).name == "ann");
}

TEST_CASE("a left-joined model reads as an empty optional when no row matched") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    fill(engine);
    auto conn = engine.connect();

    const auto stmt = sa::select<Author, Article>()
                          .left_join<Article>(article_author)
                          .order_by(sa::col<&Author::id>, sa::col<&Article::id>);
    static_assert(std::is_same_v<decltype(stmt)::row_type, std::tuple<Author, std::optional<Article>>>);
    // Column by column too (what a subquery of it reads): the left-joined model's may be NULL.
    static_assert(std::is_same_v<decltype(stmt)::column_t<1>, std::string>);
    static_assert(std::is_same_v<decltype(stmt)::column_t<3>, std::optional<std::string>>);
    std::vector<std::string> seen;
    for (const auto& [author, article] : conn.execute(stmt))
        seen.push_back(author.name + ":" + (article ? article->title : "-"));
    CHECK(seen == std::vector<std::string>{"ann:first", "ann:second", "bob:-"});
}

TEST_CASE("session.execute(select<Article, Author>()) gives the session's objects") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    fill(engine);
    sa::Session session(engine);

    const auto ann = session.get<Author>(1);
    REQUIRE(ann);
    ann->name = "ann (unflushed)";  // autoflush makes the change visible to the query

    const auto rows = session.execute(sa::select<Article, Author>()
                                          .join<Author>(article_author)
                                          .where(sa::col<&Author::name> == "ann (unflushed)")
                                          .order_by(sa::col<&Article::id>));
    static_assert(std::is_same_v<std::remove_cvref_t<decltype(rows[0])>,
                                 std::tuple<std::shared_ptr<Article>, std::shared_ptr<Author>>>);
    REQUIRE(rows.size() == 2);
    // One object per primary key: both rows carry the very object get() returned.
    CHECK(std::get<1>(rows[0]) == ann);
    CHECK(std::get<1>(rows[1]) == ann);
    CHECK(std::get<0>(rows[0])->title == "first");
    CHECK(session.get<Article>(11) == std::get<0>(rows[1]));

    // Left-joined: a null pointer where no row matched.
    const auto outer = session.execute(
        sa::select<Author, Article>().left_join<Article>(article_author).where(sa::col<&Author::id> == 2));
    REQUIRE(outer.size() == 1);
    CHECK(std::get<0>(outer[0])->name == "bob");
    CHECK(std::get<1>(outer[0]) == nullptr);
}
