// sa::inspect() on a live database: what create_all made comes back equal to the models,
// and changes made by hand show up as they really are.
#include "support/backends.hpp"
#include "support/matchers.hpp"

#include <alchemy/alchemy.hpp>
#include <alchemy/migrate/autogenerate.hpp>
#include <alchemy/migrate/inspect.hpp>

#include <catch2/catch.hpp>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sa = alchemy;

namespace inspect_models {

enum class Mood { calm, angry };

struct Post;

struct Author {
    std::int64_t id = 0;
    std::string name{};
    std::optional<std::string> email{};
    std::int32_t age = 0;
    bool active = false;
    double rating = 0;
    std::optional<float> ratio{};
    std::int16_t level = 0;
    std::int64_t karma = 0;
    std::string status{};
    std::optional<std::vector<std::byte>> avatar{};
    std::chrono::sys_time<std::chrono::microseconds> created_at{};
    std::optional<std::chrono::year_month_day> birthday{};
    sa::HasMany<Post> posts{};
};

struct Post {
    std::int64_t id = 0;
    std::int64_t author_id = 0;
    std::optional<std::int64_t> editor_id{};
    std::string title{};
    std::string slug{};
    sa::BelongsTo<Author> author{};
};

struct Tag {
    std::int32_t id = 0;
    std::string label{};
};

struct PostTag {
    std::int64_t post_id = 0;
    std::int32_t tag_id = 0;
    sa::BelongsTo<Post> post{};
};

struct Setting {
    std::string key{};
    std::string value{};
    std::optional<std::string> scope{};
};

struct Category {
    std::int64_t id = 0;
    std::optional<std::int64_t> parent_id{};
    std::string name{};
};

struct Reading {
    std::int64_t id = 0;
    Mood mood = Mood::calm;
};

/// A composite key whose sa::primary_key lists the fields out of declaration order.
struct Ranking {
    std::int64_t season = 0;
    std::int64_t player = 0;
    std::int32_t points = 0;
};

/// A key of a std::optional field.
struct Coupon {
    std::optional<std::string> code{};
    std::string label{};
};

/// Single integer keys that are foreign keys too: a BelongsTo's, one sa::foreign_key
/// declares, and one sa::autoincrement asks to be generated all the same.
struct Badge {
    std::int64_t author_id = 0;
    std::string label{};
    sa::BelongsTo<Author> author{};
};
struct Seat {
    std::int64_t author_id = 0;
    std::string row{};
};
struct Pass {
    std::int64_t author_id = 0;
    std::string label{};
    sa::BelongsTo<Author> author{};
};

}  // namespace inspect_models

namespace m = inspect_models;

// The defaults cover what must round-trip exactly: string literals (one with a quote),
// integers (negative, beyond 32 bits), a real, a boolean, a date and CURRENT_TIMESTAMP.
template <>
inline constexpr auto sa::mapping<m::Author> =
    sa::table("authors", sa::max_length(&m::Author::name, 80), sa::unique(&m::Author::email),
              sa::server_default(&m::Author::age, "18"), sa::server_default(&m::Author::active, "true"),
              sa::server_default(&m::Author::rating, "1.5"), sa::server_default(&m::Author::level, "-1"),
              sa::server_default(&m::Author::karma, "5000000000"),
              sa::server_default(&m::Author::status, "'it''s new'"),
              sa::server_default(&m::Author::created_at, "CURRENT_TIMESTAMP"),
              sa::server_default(&m::Author::birthday, "'2000-01-31'"),
              sa::check("adult", "age >= 18 AND age < 150"), sa::index(&m::Author::name, &m::Author::age));
template <>
inline constexpr auto sa::mapping<m::Post> = sa::table(
    "posts", sa::unique_index(&m::Post::slug), sa::index("posts_by_title", &m::Post::title),
    sa::foreign_key(&m::Post::editor_id, &m::Author::id).on_delete(sa::set_null).on_update(sa::cascade));
template <>
inline constexpr auto sa::mapping<m::Tag> = sa::table("tags", sa::unique(&m::Tag::label));
template <>
inline constexpr auto sa::mapping<m::PostTag> =
    sa::table("post_tags", sa::primary_key(&m::PostTag::post_id, &m::PostTag::tag_id),
              sa::foreign_key(&m::PostTag::tag_id, &m::Tag::id).on_delete(sa::cascade));
template <>
inline constexpr auto sa::mapping<m::Setting> = sa::table("settings", sa::primary_key(&m::Setting::key),
                                                          sa::unique(&m::Setting::value, &m::Setting::scope));
template <>
inline constexpr auto sa::mapping<m::Category> = sa::table(
    "categories", sa::foreign_key(&m::Category::parent_id, &m::Category::id).on_delete(sa::restrict),
    sa::check("not_own_parent", "id <> parent_id"),
    sa::index("categories_by_name", &m::Category::name, &m::Category::parent_id));
template <>
inline constexpr auto sa::mapping<m::Reading> = sa::table("readings", sa::enum_as_text(&m::Reading::mood));
template <>
inline constexpr auto sa::mapping<m::Ranking> =
    sa::table("rankings", sa::primary_key(&m::Ranking::player, &m::Ranking::season));
template <>
inline constexpr auto sa::mapping<m::Coupon> = sa::table("coupons", sa::primary_key(&m::Coupon::code));
template <>
inline constexpr auto sa::mapping<m::Badge> = sa::table("badges", sa::primary_key(&m::Badge::author_id));
template <>
inline constexpr auto sa::mapping<m::Seat> = sa::table("seats", sa::primary_key(&m::Seat::author_id),
                                                       sa::foreign_key(&m::Seat::author_id, &m::Author::id));
template <>
inline constexpr auto sa::mapping<m::Pass> =
    sa::table("passes", sa::primary_key(&m::Pass::author_id), sa::autoincrement(&m::Pass::author_id, true));

// Catch2 prints a Table in failure messages.
template <>
struct Catch::StringMaker<sa::Table> {
    static std::string convert(const sa::Table& t) {
        std::string out = fmt::format("table {}\n", t.name);
        for (const auto& c : t.columns)
            out += fmt::format(
                "  column {} kind={} length={} nullable={} autoincrement={} "
                "default={}\n",
                c.name, static_cast<int>(c.type.kind), c.type.length, c.nullable, c.autoincrement,
                c.server_default.value_or("(none)"));
        out += fmt::format("  primary key {} ({})\n", t.primary_key.name,
                           fmt::join(t.primary_key.columns, ", "));
        for (const auto& u : t.unique_constraints)
            out += fmt::format("  unique {} ({})\n", u.name, fmt::join(u.columns, ", "));
        for (const auto& i : t.indexes)
            out += fmt::format("  index {} ({}) unique={}\n", i.name, fmt::join(i.columns, ", "), i.unique);
        for (const auto& f : t.foreign_keys)
            out +=
                fmt::format("  foreign key {} ({}) -> {} ({}) delete={} update={}\n", f.name,
                            fmt::join(f.columns, ", "), f.referred_table, fmt::join(f.referred_columns, ", "),
                            static_cast<int>(f.on_delete), static_cast<int>(f.on_update));
        for (const auto& c : t.check_constraints) out += fmt::format("  check {}: {}\n", c.name, c.sql);
        return out;
    }
};

namespace {

using sa::test::Backend;
using Strings = std::vector<std::string>;

sa::MetaData blog_models() {
    return sa::metadata<m::Author, m::Post, m::Tag, m::PostTag, m::Setting, m::Category>();
}

template <class T>
void sort_by_name(std::vector<T>& items) {
    std::ranges::sort(items, {}, &T::name);
}

/// `table` as inspect() reports it: lists in name order, and on SQLite the integer and
/// floating types as the one kind each that SQLite's spelling (INTEGER, REAL) allows, and
/// a lone INTEGER key as the rowid, which SQLite numbers whatever the model asked.
sa::Table as_inspected(sa::Table table, const Backend& backend) {
    sort_by_name(table.unique_constraints);
    sort_by_name(table.indexes);
    sort_by_name(table.foreign_keys);
    sort_by_name(table.check_constraints);
    if (backend.is_sqlite())
        for (auto& column : table.columns) {
            const auto kind = column.type.kind;
            if (kind == sa::TypeKind::small_integer || kind == sa::TypeKind::integer)
                column.type.kind = sa::TypeKind::big_integer;
            if (kind == sa::TypeKind::double_precision) column.type.kind = sa::TypeKind::single_precision;
            if (column.type.kind == sa::TypeKind::big_integer && !column.server_default &&
                table.primary_key.columns == std::vector<std::string>{column.name})
                column.autoincrement = true;
        }
    return table;
}

Strings table_names(const sa::MetaData& metadata) {
    Strings names;
    for (const auto& table : metadata.tables()) names.push_back(table.name);
    return names;
}

Strings index_names(const sa::Table& table) {
    Strings names;
    for (const auto& index : table.indexes) names.push_back(index.name);
    return names;
}

void run(sa::Engine& engine, const std::string& sql) {
    auto conn = engine.begin();
    conn.execute_script(sql);
    conn.commit();
}

const sa::Table& table_named(const sa::MetaData& metadata, std::string_view name) {
    const auto* table = metadata.table(name);
    REQUIRE(table != nullptr);
    return *table;
}

}  // namespace

TEST_CASE("inspect reads back every table create_all made, equal to the models", "[inspect]") {
    auto backend = GENERATE(from_range(sa::test::backends()));
    auto engine = backend.engine();
    const auto models = blog_models();
    models.create_all(engine);

    const auto database = sa::inspect(engine);
    CHECK(table_names(database) ==
          Strings{"authors", "categories", "post_tags", "posts", "settings", "tags"});
    for (const auto& model : models.tables()) {
        INFO("table " << model.name);
        CHECK(table_named(database, model.name) == as_inspected(model, backend));
    }
}

TEST_CASE("a primary key is NOT NULL, and a lone integer key that is a foreign key is not generated",
          "[inspect]") {
    auto backend = GENERATE(from_range(sa::test::backends()));
    auto engine = backend.engine();
    const auto models = sa::metadata<m::Author, m::Post, m::Coupon, m::Badge, m::Seat, m::Pass>();
    CHECK_FALSE(table_named(models, "coupons").column("code")->nullable);
    CHECK_FALSE(table_named(models, "badges").column("author_id")->autoincrement);
    CHECK_FALSE(table_named(models, "seats").column("author_id")->autoincrement);
    CHECK(table_named(models, "passes").column("author_id")->autoincrement);
    models.create_all(engine);

    const auto database = sa::inspect(engine);
    for (const auto& model : models.tables()) {
        INFO("table " << model.name);
        CHECK(table_named(database, model.name) == as_inspected(model, backend));
    }
    const auto plan = sa::migrate::autogenerate(database, models, engine.dialect());
    INFO(fmt::format("{}", fmt::join(plan.upgrade, ";\n")));
    CHECK(plan.empty());
}

TEST_CASE("server defaults come back as the models wrote them", "[inspect]") {
    auto backend = GENERATE(from_range(sa::test::backends()));
    auto engine = backend.engine();
    blog_models().create_all(engine);

    const auto authors = table_named(sa::inspect(engine), "authors");
    CHECK(authors.column("age")->server_default == "18");
    CHECK(authors.column("active")->server_default == "true");
    CHECK(authors.column("rating")->server_default == "1.5");
    CHECK(authors.column("level")->server_default == "-1");
    CHECK(authors.column("karma")->server_default == "5000000000");
    CHECK(authors.column("status")->server_default == "'it''s new'");
    CHECK(authors.column("created_at")->server_default == "CURRENT_TIMESTAMP");
    CHECK(authors.column("birthday")->server_default == "'2000-01-31'");
    CHECK_FALSE(authors.column("email")->server_default.has_value());
    CHECK(authors.column("id")->autoincrement);
    CHECK_FALSE(authors.column("id")->server_default.has_value());
}

TEST_CASE("a composite primary key lists its columns in the order sa::primary_key gives", "[inspect]") {
    auto backend = GENERATE(from_range(sa::test::backends()));
    auto engine = backend.engine();
    sa::metadata<m::Ranking>().create_all(engine);

    CHECK(table_named(sa::inspect(engine), "rankings").primary_key.columns == Strings{"player", "season"});
    auto Session = sa::sessionmaker(engine);
    {
        auto session = Session();
        session.add(m::Ranking{.season = 2024, .player = 7, .points = 30});
        session.commit();
    }
    auto session = Session();
    const auto ranking = session.get<m::Ranking>(7, 2024);  // (player, season), as declared
    REQUIRE(ranking != nullptr);
    CHECK(ranking->points == 30);
}

TEST_CASE("a check PostgreSQL rewrites keeps its name and comes back in PostgreSQL's spelling", "[inspect]") {
    auto backend = GENERATE(from_range(sa::test::backends()));
    auto engine = backend.engine();
    const auto models = sa::metadata<m::Reading>();
    models.create_all(engine);

    const auto& model = models.tables().front();
    const auto readings = table_named(sa::inspect(engine), "readings");
    REQUIRE(readings.check_constraints.size() == 1);
    const auto& check = readings.check_constraints.front();
    CHECK(check.name == "ck_readings_mood");
    if (backend.is_sqlite()) {
        CHECK(check.sql == "\"mood\" IN ('calm', 'angry')");
    } else {
        CHECK(check.sql ==
              "mood::text = ANY (ARRAY['calm'::character varying, "
              "'angry'::character varying]::text[])");
    }
    // Everything but the check's text is as the model has it.
    auto expected = as_inspected(model, backend);
    expected.check_constraints = readings.check_constraints;
    CHECK(readings == expected);
}

TEST_CASE("a column added by hand is reported with its type, nullability and default", "[inspect]") {
    auto backend = GENERATE(from_range(sa::test::backends()));
    auto engine = backend.engine();
    blog_models().create_all(engine);
    run(engine, "ALTER TABLE tags ADD COLUMN color VARCHAR(20) DEFAULT 'red' NOT NULL");
    run(engine, "ALTER TABLE tags ADD COLUMN weight INTEGER");

    const auto tags = table_named(sa::inspect(engine), "tags");
    REQUIRE(tags.columns.size() == 4);
    sa::Column color;
    color.name = "color";
    color.type = {sa::TypeKind::text, 20};
    color.server_default = "'red'";
    CHECK(tags.columns[2] == color);
    sa::Column weight;
    weight.name = "weight";
    // SQLite's INTEGER holds 64 bits whatever it is called.
    weight.type.kind = backend.is_sqlite() ? sa::TypeKind::big_integer : sa::TypeKind::integer;
    weight.nullable = true;
    CHECK(tags.columns[3] == weight);
}

TEST_CASE("an index created by hand is reported, and a dropped one is gone", "[inspect]") {
    auto backend = GENERATE(from_range(sa::test::backends()));
    auto engine = backend.engine();
    blog_models().create_all(engine);
    run(engine, "CREATE UNIQUE INDEX posts_by_author_title ON posts (author_id, title)");
    run(engine, "DROP INDEX posts_by_title");

    const auto posts = table_named(sa::inspect(engine), "posts");
    CHECK(index_names(posts) == Strings{"ix_posts_slug", "posts_by_author_title"});
    CHECK(posts.indexes[1] == sa::Index{"posts_by_author_title", {"author_id", "title"}, true});
    // The unique constraint behind it is not an index of its own.
    CHECK(index_names(table_named(sa::inspect(engine), "tags")).empty());
}

TEST_CASE("an index Index cannot describe is left out, so no plan drops it or makes it plain", "[inspect]") {
    auto backend = GENERATE(from_range(sa::test::backends()));
    auto engine = backend.engine();
    blog_models().create_all(engine);
    run(engine, "CREATE INDEX tags_by_lower_label ON tags (lower(label))");
    run(engine, "CREATE UNIQUE INDEX tags_live_label ON tags (label) WHERE label <> ''");
    run(engine, "CREATE INDEX tags_label_desc ON tags (label DESC)");
    run(engine, backend.is_sqlite() ? "CREATE INDEX tags_label_nocase ON tags (label COLLATE NOCASE)"
                                    : "CREATE INDEX tags_label_c ON tags (label COLLATE \"C\")");
    if (backend.is_postgresql()) {
        run(engine, "CREATE INDEX tags_label_hash ON tags USING hash (label)");
        run(engine, "CREATE INDEX tags_label_with_id ON tags (label) INCLUDE (id)");
    }
    run(engine, "CREATE INDEX tags_plain ON tags (label)");
    CHECK(index_names(table_named(sa::inspect(engine), "tags")) == Strings{"tags_plain"});
}

TEST_CASE("excluded tables are left out", "[inspect]") {
    auto backend = GENERATE(from_range(sa::test::backends()));
    auto engine = backend.engine();
    blog_models().create_all(engine);
    run(engine, "CREATE TABLE alchemy_version (version_num VARCHAR(32) NOT NULL)");

    const Strings exclude{"alchemy_version", "settings"};
    CHECK(table_names(sa::inspect(engine, exclude)) ==
          Strings{"authors", "categories", "post_tags", "posts", "tags"});
    CHECK(table_named(sa::inspect(engine), "alchemy_version").columns.size() == 1);
}

TEST_CASE("an empty database gives an empty MetaData", "[inspect]") {
    auto backend = GENERATE(from_range(sa::test::backends()));
    auto engine = backend.engine();
    CHECK(sa::inspect(engine).tables().empty());
}

TEST_CASE("tables outside the schema unqualified names resolve to are not seen", "[inspect]") {
    auto backend = GENERATE(from_range(sa::test::backends()));
    auto engine = backend.engine();
    run(engine, "CREATE TABLE visible (id INTEGER PRIMARY KEY)");
    auto conn = engine.connect();
    if (backend.is_sqlite()) {
        // A temporary table lives in the connection's temp database, not in main.
        conn.execute_script("CREATE TEMP TABLE scratch (id INTEGER)");
        CHECK(table_names(sa::inspect(conn)) == Strings{"visible"});
        return;
    }
    const auto schema =
        conn.execute(sa::text("SELECT current_schema()::text").columns<std::string>()).scalar_one();
    const auto other = engine.dialect().quote_identifier(schema + "_other");
    conn.execute_script(
        fmt::format("CREATE SCHEMA {0}; CREATE TABLE {0}.hidden (id INTEGER); "
                    "CREATE TABLE {0}.visible (x TEXT)",
                    other));
    conn.commit();
    const auto database = sa::inspect(conn);
    conn.execute_script(fmt::format("DROP SCHEMA {} CASCADE", other));
    conn.commit();
    CHECK(table_names(database) == Strings{"visible"});
    CHECK(table_named(database, "visible").columns.front().name == "id");
}

TEST_CASE("inspect ends the transaction it began and leaves the caller's open", "[inspect]") {
    auto backend = GENERATE(from_range(sa::test::backends()));
    auto engine = backend.engine();
    auto conn = engine.connect();
    CHECK(sa::inspect(conn).tables().empty());
    CHECK_FALSE(conn.in_transaction());

    // A table created in the caller's uncommitted transaction is seen, and the
    // transaction is still the caller's to commit.
    auto transaction = conn.begin();
    conn.execute_script("CREATE TABLE pending (id INTEGER PRIMARY KEY)");
    CHECK(table_names(sa::inspect(conn)) == Strings{"pending"});
    CHECK(transaction.is_active());
    transaction.commit();
    CHECK(table_names(sa::inspect(engine)) == Strings{"pending"});
}

TEST_CASE("a catalog query that fails raises its DatabaseError", "[inspect]") {
    auto backend = GENERATE(from_range(sa::test::backends()));
    if (!backend.is_postgresql()) return;  // needs a transaction the server refuses to continue
    auto engine = backend.engine();
    auto conn = engine.connect();
    auto transaction = conn.begin();
    CHECK_THROWS_AS(conn.execute_script("SELECT 1 / 0"), sa::DatabaseError);
    REQUIRE_THROWS_MATCHES(sa::inspect(conn), sa::DatabaseError,
                           sa::test::MessageContains("transaction is aborted"));
    transaction.rollback();
    CHECK(sa::inspect(engine).tables().empty());
}

TEST_CASE("constraints written by hand without names get the backend's or the convention's", "[inspect]") {
    auto backend = GENERATE(from_range(sa::test::backends()));
    auto engine = backend.engine();
    if (backend.is_sqlite()) {
        run(engine,
            "CREATE TABLE \"we\"\"ird\" (\n"
            "  id INTEGER PRIMARY KEY,  -- the rowid\n"
            "  label TEXT UNIQUE CHECK (label <> ''),\n"
            "  size INT CONSTRAINT size_positive CHECK (size > (0)) DEFAULT ((1 + 2)),\n"
            "  parent INTEGER REFERENCES \"we\"\"ird\" ON DELETE CASCADE,\n"
            "  [code] CHAR(3),\n"
            "  CHECK (label <> 'a, (b)'),\n"
            "  UNIQUE (size, code),\n"
            "  CONSTRAINT `own name` FOREIGN KEY (size) REFERENCES \"we\"\"ird\" (id)\n"
            ")");
        const auto weird = table_named(sa::inspect(engine), "we\"ird");
        CHECK(weird.primary_key == sa::PrimaryKey{"pk_we\"ird", {"id"}});
        CHECK(weird.column("id")->autoincrement);
        CHECK_FALSE(weird.column("id")->nullable);
        CHECK(weird.column("code")->type == sa::ColumnType{sa::TypeKind::text, 3});
        CHECK(weird.column("size")->server_default == "1 + 2");
        CHECK(weird.unique_constraints ==
              std::vector<sa::UniqueConstraint>{{"uq_we\"ird_label", {"label"}},
                                                {"uq_we\"ird_size_code", {"size", "code"}}});
        CHECK(weird.check_constraints ==
              std::vector<sa::CheckConstraint>{{"ck_we\"ird_1", "label <> 'a, (b)'"},
                                               {"ck_we\"ird_label", "label <> ''"},
                                               {"size_positive", "size > (0)"}});
        CHECK(weird.foreign_keys == std::vector<sa::ForeignKey>{{"fk_we\"ird_parent_we\"ird",
                                                                 {"parent"},
                                                                 "we\"ird",
                                                                 {"id"},
                                                                 sa::ReferentialAction::cascade,
                                                                 sa::ReferentialAction::no_action},
                                                                {"own name",
                                                                 {"size"},
                                                                 "we\"ird",
                                                                 {"id"},
                                                                 sa::ReferentialAction::no_action,
                                                                 sa::ReferentialAction::no_action}});
        return;
    }
    run(engine,
        "CREATE TABLE items (\n"
        "  id SERIAL PRIMARY KEY,\n"
        "  label TEXT UNIQUE CHECK (label <> ''),\n"
        "  made TIMESTAMP DEFAULT now(),\n"
        "  size NUMERIC DEFAULT (1 + 2),\n"
        "  code CHAR(3),\n"
        "  parent INTEGER REFERENCES items ON DELETE CASCADE ON UPDATE SET DEFAULT\n"
        ")");
    const auto items = table_named(sa::inspect(engine), "items");
    CHECK(items.primary_key == sa::PrimaryKey{"items_pkey", {"id"}});
    CHECK(items.column("id")->autoincrement);
    CHECK_FALSE(items.column("id")->server_default.has_value());
    // Not the models' TIMESTAMP WITH TIME ZONE nor DOUBLE PRECISION: kept as spelled.
    CHECK(items.column("made")->type ==
          sa::ColumnType{sa::TypeKind::timestamp, 0, "timestamp without time zone"});
    CHECK(items.column("size")->type == sa::ColumnType{sa::TypeKind::double_precision, 0, "numeric"});
    CHECK(items.column("made")->server_default == "now()");
    CHECK(items.column("size")->server_default == "1 + 2");
    CHECK(items.column("code")->type == sa::ColumnType{sa::TypeKind::text, 3, "character(3)"});
    CHECK(items.unique_constraints == std::vector<sa::UniqueConstraint>{{"items_label_key", {"label"}}});
    CHECK(items.check_constraints ==
          std::vector<sa::CheckConstraint>{{"items_label_check", "label <> ''::text"}});
    CHECK(items.foreign_keys == std::vector<sa::ForeignKey>{{"items_parent_fkey",
                                                             {"parent"},
                                                             "items",
                                                             {"id"},
                                                             sa::ReferentialAction::cascade,
                                                             sa::ReferentialAction::set_default}});
}

TEST_CASE("SQLite's virtual tables and their shadow tables are left out", "[inspect]") {
    auto engine = sa::create_engine(sa::test::sqlite_temp_url());
    blog_models().create_all(engine);
    // FTS5 keeps its index in shadow tables (notes_fts_data, notes_fts_idx, ...), R-Tree in
    // others; dropped as tables the models lack, they would destroy it. A table of the
    // user's whose name merely starts the same way is a table like any other.
    run(engine,
        "CREATE VIRTUAL TABLE notes_fts USING fts5(body);"
        "CREATE VIRTUAL TABLE boxes USING rtree(id, min_x, max_x);"
        "CREATE TABLE notes_fts_log (id INTEGER PRIMARY KEY);"
        "INSERT INTO notes_fts (body) VALUES ('the quick brown fox')");
    const auto schema = sa::inspect(engine);
    CHECK(table_names(schema) ==
          Strings{"authors", "categories", "notes_fts_log", "post_tags", "posts", "settings", "tags"});
    auto models = blog_models().tables();
    models.push_back(table_named(schema, "notes_fts_log"));
    CHECK(sa::migrate::autogenerate(schema, sa::MetaData(models), engine.dialect()).empty());
}

TEST_CASE("PostgreSQL types no model type describes are differences, not the nearest kind", "[inspect]") {
    auto backend = GENERATE(from_range(sa::test::backends()));
    if (!backend.is_postgresql()) return;
    auto engine = backend.engine();
    const auto models = sa::metadata<m::Category>();
    models.create_all(engine);
    const auto database = [&] { return sa::inspect(engine); };
    REQUIRE(sa::migrate::autogenerate(database(), models, engine.dialect()).empty());
    const std::string name = "name";  // TEXT NOT NULL in the models; the table stays empty

    // Each of these was read as the model's type (or as text) and so compared equal.
    for (const std::string sql :
         {"NUMERIC(12,2)", "TIMESTAMP WITHOUT TIME ZONE", "TIMESTAMP(3) WITH TIME ZONE", "JSONB", "UUID",
          "TEXT[]", "INTERVAL", "CHAR(4)"}) {
        INFO(sql);
        run(engine, fmt::format("ALTER TABLE categories ALTER COLUMN {} TYPE {} USING NULL", name, sql));
        const auto plan = sa::migrate::autogenerate(database(), models, engine.dialect());
        REQUIRE(plan.changes.size() == 1);
        CHECK(plan.changes[0].starts_with(fmt::format("alter column categories.{}: ", name)));
        CHECK(plan.changes[0].find(" → TEXT") != std::string::npos);
        REQUIRE_FALSE(plan.warnings.empty());
        CHECK(plan.warnings[0].find("which no model type describes") != std::string::npos);
        // The downgrade gives the column back its own type (the table is empty: no value
        // needs a conversion PostgreSQL has no assignment cast for).
        run(engine, fmt::format("ALTER TABLE categories ALTER COLUMN {} TYPE TEXT USING NULL", name));
        CHECK(sa::migrate::autogenerate(database(), models, engine.dialect()).empty());
        for (const auto& statement : plan.downgrade)
            if (!statement.starts_with("--")) run(engine, statement + " USING NULL");
        CHECK(sa::migrate::autogenerate(database(), models, engine.dialect()).changes == plan.changes);
        run(engine, fmt::format("ALTER TABLE categories ALTER COLUMN {} TYPE TEXT USING NULL", name));
    }
}

TEST_CASE("a SQLite column of NUMERIC affinity keeps its spelling, and a rebuild into REAL is a difference",
          "[inspect]") {
    // DECIMAL(20, 2) keeps 9007199254740993 exact; REAL, the models' double, would round it.
    auto engine = sa::create_engine(sa::test::sqlite_temp_url());
    run(engine,
        "CREATE TABLE readings (id INTEGER NOT NULL PRIMARY KEY, amount DECIMAL(20, 2), ratio DOUBLE)");
    const auto readings = table_named(sa::inspect(engine), "readings");
    CHECK(readings.column("amount")->type ==
          sa::ColumnType{sa::TypeKind::single_precision, 0, "DECIMAL(20, 2)"});
    CHECK(readings.column("ratio")->type == sa::ColumnType{sa::TypeKind::single_precision, 0});
    sa::Table model = readings;
    for (auto& column : model.columns)
        if (column.name != "id") column.type = {sa::TypeKind::double_precision, 0};
    const auto plan = sa::migrate::autogenerate(sa::inspect(engine), sa::MetaData({model}), engine.dialect());
    CHECK(plan.changes == Strings{"alter column readings.amount: DECIMAL(20, 2) → REAL"});
    REQUIRE_FALSE(plan.warnings.empty());
    CHECK(plan.warnings[0].find(
              "readings.amount is DECIMAL(20, 2) in the database, which no model type describes") !=
          std::string::npos);
}
