// Mixins on both backends: a struct of columns that models embed as a member (SQLAlchemy's
// mixin class) maps its fields to columns of each model, with the options of its own
// sa::mixin(...) mapping. The columns are real columns everywhere: DDL and autogenerate,
// Core statements through sa::col<&Model::mixin, &Mixin::field>, aliases, subqueries and upserts,
// reading rows back into the nested struct, and the Session's inserts, change tracking,
// server defaults, onupdate and synchronize_session::evaluate.
#include "support/backends.hpp"

#include <alchemy/alchemy.hpp>
#include <alchemy/migrate/inspect.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sa = alchemy;
using sa::test::backends;

namespace mixins {

struct Timestamps {
    std::optional<std::chrono::sys_seconds> created_at{};
    std::optional<std::chrono::sys_seconds> updated_at{};
};

struct Audit {
    std::optional<std::string> changed_by{};
    std::int32_t revision = 0;
};

struct Article {
    std::int64_t id = 0;
    std::string title{};
    Timestamps stamps{};
    Audit audit{};
};

/// The conventions apply to a mixin's fields: `id` is the primary key.
struct Ids {
    std::int64_t id = 0;
};
struct Label {
    Ids ids{};
    std::string text{};
};

/// A second model sharing the same mixin: each gets its own columns and index.
struct Comment {
    std::int64_t id = 0;
    std::string body{};
    Timestamps stamps{};
};

}  // namespace mixins

template <>
inline constexpr auto sa::mapping<mixins::Timestamps> =
    sa::mixin(sa::server_default(&mixins::Timestamps::created_at, "CURRENT_TIMESTAMP"),
              sa::onupdate(&mixins::Timestamps::updated_at, "CURRENT_TIMESTAMP"),
              sa::index(&mixins::Timestamps::created_at));
template <>
inline constexpr auto sa::mapping<mixins::Audit> = sa::mixin(
    sa::max_length(&mixins::Audit::changed_by, 40), sa::server_default(&mixins::Audit::revision, "1"));
template <>
inline constexpr auto sa::mapping<mixins::Article> =
    sa::table("articles", sa::unique(&mixins::Article::title));

using mixins::Article;
using mixins::Audit;
using mixins::Comment;
using mixins::Timestamps;

namespace {

using namespace std::chrono_literals;

constexpr auto created_at = sa::col<&Article::stamps, &Timestamps::created_at>;
constexpr auto changed_by = sa::col<&Article::audit, &Audit::changed_by>;
constexpr auto revision = sa::col<&Article::audit, &Audit::revision>;
constexpr auto title = sa::col<&Article::title>;

constexpr auto long_ago = std::chrono::sys_seconds{std::chrono::sys_days{std::chrono::year{2001} / 1 / 1}};

bool recent(const std::optional<std::chrono::sys_seconds>& t) {
    const auto now = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
    return t.has_value() && *t > now - 24h && *t < now + 24h;
}

std::vector<std::string> column_names(const sa::Table& table) {
    std::vector<std::string> names;
    for (const auto& c : table.columns) names.push_back(c.name);
    return names;
}

}  // namespace

TEST_CASE("a mixin's fields are columns of each model that embeds it, with the mixin's options") {
    using info = sa::model_info<Article>;
    STATIC_REQUIRE(info::column_count == 6);
    STATIC_REQUIRE(sa::column_index_of<sa::detail::column_named_by<&Article::audit, &Audit::revision>()> ==
                   5);

    const auto articles = sa::table_of<Article>();
    CHECK(column_names(articles) ==
          std::vector<std::string>{"id", "title", "created_at", "updated_at", "changed_by", "revision"});
    CHECK(articles.columns[2].server_default == "CURRENT_TIMESTAMP");
    CHECK(articles.columns[2].nullable);
    CHECK(articles.columns[4].type.length == 40);
    CHECK_FALSE(articles.columns[5].nullable);
    REQUIRE(articles.indexes.size() == 1);
    CHECK(articles.indexes[0].name == "ix_articles_created_at");
    CHECK(articles.unique_constraints.size() == 1);

    STATIC_REQUIRE(sa::model_info<mixins::Label>::primary_key_count == 1);
    STATIC_REQUIRE(sa::model_info<mixins::Label>::columns[0].name == "id");
    STATIC_REQUIRE(sa::model_info<mixins::Label>::columns[0].autoincrement);

    const auto comments = sa::table_of<Comment>();
    CHECK(column_names(comments) == std::vector<std::string>{"id", "body", "created_at", "updated_at"});
    REQUIRE(comments.indexes.size() == 1);
    CHECK(comments.indexes[0].name == "ix_comment_created_at");
}

TEST_CASE("mixin columns are created, inspected and compared like the model's own") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    const auto models = sa::metadata<Article, Comment>();
    models.create_all(engine);
    const auto live = sa::inspect(engine);
    const auto* table = live.table("articles");
    REQUIRE(table != nullptr);
    CHECK(column_names(*table) ==
          std::vector<std::string>{"id", "title", "created_at", "updated_at", "changed_by", "revision"});
    CHECK(sa::migrate::autogenerate(live, models, engine.dialect()).changes.empty());
}

TEST_CASE("Core statements name mixin columns with sa::col<&Model::mixin, &Mixin::field>") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    sa::metadata<Article>().create_all(engine);
    auto conn = engine.connect();

    conn.execute(sa::insert<Article>().values(Article{.title = "first", .stamps = {.created_at = long_ago}}));
    conn.execute(sa::insert<Article>().values(
        Article{.title = "second", .audit = {.changed_by = "ann", .revision = 4}}));

    // Read back into the nested structs; the empty created_at of "second" is the server's.
    const auto rows = conn.execute(sa::select<Article>().order_by(title)).all();
    REQUIRE(rows.size() == 2);
    CHECK(rows[0].stamps.created_at == long_ago);
    CHECK_FALSE(rows[0].audit.changed_by.has_value());
    CHECK(rows[0].audit.revision == 0);
    CHECK(rows[1].audit.changed_by == "ann");
    CHECK(rows[1].audit.revision == 4);

    CHECK(conn.execute(sa::select(title).where(created_at == long_ago)).all() ==
          std::vector<std::string>{"first"});
    CHECK(conn.execute(sa::select(sa::max(revision))).scalar() == std::optional<std::int32_t>(4));

    conn.execute(
        sa::update<Article>().where(title == "first").values(changed_by = "bob", revision = revision + 1));
    const auto first = conn.execute(sa::select<Article>().where(title == "first")).one();
    CHECK(first.audit.changed_by == "bob");
    CHECK(first.audit.revision == 1);

    // Through an alias, and EXCLUDED in an upsert.
    auto other = sa::alias<Article, "other">;
    CHECK(conn.execute(sa::select(other.col<&Article::audit, &Audit::changed_by>())
                           .select_from(other)
                           .where(other.col<&Article::audit, &Audit::revision>() == 4))
              .scalar() == std::optional<std::string>("ann"));
    conn.execute(sa::insert<Article>()
                     .values(Article{.title = "first", .audit = {.changed_by = "cy", .revision = 9}})
                     .on_conflict_do_update(title)
                     .set(changed_by = sa::excluded<&Article::audit, &Audit::changed_by>));
    CHECK(conn.execute(sa::select(changed_by).where(title == "first")).scalar() ==
          std::optional<std::string>("cy"));

    // A subquery's column found by the mixin's member.
    const auto revised = sa::select(title, revision).where(revision > 0).subquery<"revised">();
    CHECK(conn.execute(sa::select(revised.col<&Article::title>())
                           .where(revised.col<&Article::audit, &Audit::revision>() == 4))
              .all() == std::vector<std::string>{"second"});
}

TEST_CASE("the Session inserts, tracks and updates mixin columns, with their server defaults and onupdate") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    sa::metadata<Article, Comment>().create_all(engine);

    sa::Session session(engine, {.expire_on_commit = false});
    auto article = session.add(Article{.title = "draft"});
    auto comment = session.add(Comment{.body = "nice"});
    session.commit();
    CHECK(recent(article->stamps.created_at));  // left to the server and read back
    CHECK_FALSE(article->stamps.updated_at.has_value());
    CHECK(recent(comment->stamps.created_at));

    // A change to a mixin field is a change of the object: one UPDATE, onupdate applied.
    article->audit.changed_by = "ann";
    CHECK(session.is_modified(article));
    session.commit();
    CHECK(recent(article->stamps.updated_at));
    CHECK_FALSE(session.is_modified(article));

    sa::Session fresh(engine);
    const auto stored = fresh.get<Article>(article->id);
    REQUIRE(stored);
    CHECK(stored->audit.changed_by == "ann");
    CHECK(stored->stamps.created_at == article->stamps.created_at);
    CHECK(fresh.query<Article>().filter(changed_by == "ann").count() == 1);

    // A bulk update through the query evaluates its criteria on the mixin's columns too.
    fresh.query<Article>()
        .filter(revision == stored->audit.revision)
        .update(revision = 7, sa::synchronize_session::evaluate);
    CHECK(stored->audit.revision == 7);
    fresh.commit();
    CHECK(sa::Session(engine).get<Article>(article->id)->audit.revision == 7);
}
