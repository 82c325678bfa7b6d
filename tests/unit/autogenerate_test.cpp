// Autogenerate without a database: the exact statements each kind of schema change
// becomes on PostgreSQL and on SQLite (in place or by rebuilding the table), in both
// directions, with the change lines and warnings a person reviews.
#include <alchemy/alchemy.hpp>
#include <alchemy/migrate/autogenerate.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

namespace sa = alchemy;
using Statements = std::vector<std::string>;

namespace {

const sa::Dialect& sqlite() { return sa::driver_for(sa::make_url("sqlite://")).dialect(); }
const sa::Dialect& postgresql() { return sa::driver_for(sa::make_url("postgresql://h/db")).dialect(); }

sa::Column column(std::string name, sa::TypeKind kind, bool nullable = false) {
    sa::Column c;
    c.name = std::move(name);
    c.type.kind = kind;
    c.nullable = nullable;
    return c;
}
sa::Column with_default(sa::Column c, std::string server_default) {
    c.server_default = std::move(server_default);
    return c;
}
sa::Column identity(std::string name) {
    auto c = column(std::move(name), sa::TypeKind::big_integer);
    c.autoincrement = true;
    return c;
}

/// users(id, name, age?) with the conventional primary key.
sa::Table users() {
    sa::Table t;
    t.name = "users";
    t.columns = {identity("id"), column("name", sa::TypeKind::text),
                 column("age", sa::TypeKind::integer, true)};
    t.primary_key.columns = {"id"};
    return t;
}
/// posts(id, author_id -> users, title).
sa::Table posts() {
    sa::Table t;
    t.name = "posts";
    t.columns = {identity("id"), column("author_id", sa::TypeKind::big_integer),
                 column("title", sa::TypeKind::text)};
    t.primary_key.columns = {"id"};
    t.foreign_keys = {{"", {"author_id"}, "users", {"id"}}};
    t.indexes = {{"", {"title"}, false}};
    return t;
}

sa::MetaData schema(std::vector<sa::Table> tables) { return sa::MetaData(std::move(tables)); }

/// The statements without comment lines.
Statements sql_only(const Statements& statements) {
    Statements out;
    std::ranges::copy_if(statements, std::back_inserter(out),
                         [](const std::string& s) { return !s.starts_with("--"); });
    return out;
}

// What SQLite's rebuild of users back to users() looks like.
const Statements rebuild_users_back{
    "-- rebuild of users: its rows move to a new table that takes its place (SQLite's ALTER "
    "TABLE cannot make these changes); upgrade and downgrade create its triggers again, a script "
    "run by hand must do that itself",
    R"(CREATE TABLE "_alchemy_tmp_users" (
    "id" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "age" INTEGER,
    CONSTRAINT "pk_users" PRIMARY KEY ("id")
))",
    R"(INSERT INTO "_alchemy_tmp_users" ("id", "name", "age") SELECT "id", "name", "age" FROM "users")",
    R"(DROP TABLE "users")",
    R"(ALTER TABLE "_alchemy_tmp_users" RENAME TO "users")",
};

}  // namespace

TEST_CASE("identical schemas give an empty plan") {
    const auto database = schema({users(), posts()});
    const auto models = schema({posts(), users()});
    for (const auto* dialect : {&sqlite(), &postgresql()}) {
        const auto plan = sa::migrate::autogenerate(database, models, *dialect);
        CHECK(plan.empty());
        CHECK(plan.upgrade.empty());
        CHECK(plan.downgrade.empty());
        CHECK(plan.changes.empty());
        CHECK(plan.warnings.empty());
    }
}

TEST_CASE("types compare by the dialect's spelling: every integer is INTEGER on SQLite") {
    auto narrow = users();
    narrow.columns[0].type.kind = sa::TypeKind::integer;
    const auto database = schema({narrow});
    const auto models = schema({users()});
    CHECK(sa::migrate::autogenerate(database, models, sqlite()).empty());

    const auto plan = sa::migrate::autogenerate(database, models, postgresql());
    CHECK(plan.changes == Statements{"alter column users.id: INTEGER → BIGINT"});
    CHECK(plan.upgrade == Statements{R"(ALTER TABLE "users" ALTER COLUMN "id" TYPE BIGINT)"});
    CHECK(sql_only(plan.downgrade) == Statements{R"(ALTER TABLE "users" ALTER COLUMN "id" TYPE INTEGER)"});
}

TEST_CASE("on SQLite names that differ only in case are the same table and column") {
    auto database_users = users();
    database_users.name = "Users";
    database_users.columns[1].name = "Name";
    database_users.indexes = {{"ix_users_name", {"Name"}, false}};
    auto database_posts = posts();
    database_posts.foreign_keys[0].referred_table = "USERS";
    database_posts.foreign_keys[0].referred_columns = {"ID"};
    auto model_users = users();
    model_users.indexes = {{"ix_users_name", {"name"}, false}};
    const auto database = schema({database_users, database_posts});
    const auto models = schema({model_users, posts()});
    CHECK(sa::migrate::autogenerate(database, models, sqlite()).empty());

    // A change elsewhere in the table rebuilds it, copying the column under its new spelling.
    model_users.columns[2].nullable = false;
    const auto plan = sa::migrate::autogenerate(database, schema({model_users, posts()}), sqlite());
    CHECK(plan.changes == Statements{"alter column users.age: nullable → NOT NULL"});
    CHECK(
        std::ranges::count(
            plan.upgrade,
            R"(INSERT INTO "_alchemy_tmp_users" ("id", "name", "age") SELECT "id", "name", "age" FROM "users")") ==
        1);

    // PostgreSQL's names are case-sensitive once quoted: these are other tables.
    CHECK_FALSE(sa::migrate::autogenerate(database, models, postgresql()).empty());
}

TEST_CASE("server defaults compare after trimming, outer parentheses and keyword case") {
    auto database_users = users();
    database_users.columns[2] = with_default(column("age", sa::TypeKind::integer, true), " (18) ");
    auto model_users = users();
    model_users.columns[2] = with_default(column("age", sa::TypeKind::integer, true), "18");
    CHECK(sa::migrate::autogenerate(schema({database_users}), schema({model_users}), postgresql()).empty());

    database_users.columns[1] = with_default(column("name", sa::TypeKind::text), "'N/A'");
    model_users.columns[1] = with_default(column("name", sa::TypeKind::text), "'n/a'");
    const auto plan =
        sa::migrate::autogenerate(schema({database_users}), schema({model_users}), postgresql());
    CHECK(plan.changes == Statements{"alter column users.name: default 'N/A' → 'n/a'"});
}

TEST_CASE("a new table is created with its indexes and dropped on downgrade") {
    const auto database = schema({users()});
    const auto models = schema({users(), posts()});
    const Statements create_posts_postgresql{
        R"(CREATE TABLE "posts" (
    "id" BIGINT GENERATED BY DEFAULT AS IDENTITY,
    "author_id" BIGINT NOT NULL,
    "title" TEXT NOT NULL,
    CONSTRAINT "pk_posts" PRIMARY KEY ("id"),
    CONSTRAINT "fk_posts_author_id_users" FOREIGN KEY ("author_id") REFERENCES "users" ("id")
))",
        R"(CREATE INDEX "ix_posts_title" ON "posts" ("title"))"};

    const auto plan = sa::migrate::autogenerate(database, models, postgresql());
    CHECK(plan.changes == Statements{"add table posts"});
    CHECK(plan.upgrade == create_posts_postgresql);
    CHECK(plan.downgrade == Statements{R"(DROP TABLE "posts")"});
    CHECK(plan.warnings.empty());

    SECTION("dropping it again re-creates it from the database's description on downgrade") {
        const auto back = sa::migrate::autogenerate(models, database, postgresql());
        CHECK(back.changes == Statements{"drop table posts"});
        CHECK(back.upgrade == Statements{R"(DROP TABLE "posts")"});
        auto expected = create_posts_postgresql;
        expected.insert(expected.begin(), "-- table posts comes back empty: its rows went with the upgrade");
        CHECK(back.downgrade == expected);
    }
}

TEST_CASE("new tables come in foreign-key order and removed ones go in reverse") {
    sa::Table comments;
    comments.name = "comments";
    comments.columns = {identity("id"), column("post_id", sa::TypeKind::big_integer)};
    comments.primary_key.columns = {"id"};
    comments.foreign_keys = {{"", {"post_id"}, "posts", {"id"}}};
    const auto database = schema({});
    const auto models = schema({comments, posts(), users()});

    const auto plan = sa::migrate::autogenerate(database, models, sqlite());
    CHECK(plan.changes == Statements{"add table users", "add table posts", "add table comments"});
    CHECK(plan.downgrade ==
          Statements{R"(DROP TABLE "comments")", R"(DROP TABLE "posts")", R"(DROP TABLE "users")"});
    const auto back = sa::migrate::autogenerate(models, database, sqlite());
    CHECK(back.changes == Statements{"drop table comments", "drop table posts", "drop table users"});
    CHECK(sql_only(back.downgrade) == plan.upgrade);
}

TEST_CASE("a reference cycle between new tables is closed after both exist on PostgreSQL") {
    sa::Table departments;
    departments.name = "departments";
    departments.columns = {column("id", sa::TypeKind::integer),
                           column("manager_id", sa::TypeKind::integer, true)};
    departments.primary_key.columns = {"id"};
    departments.foreign_keys = {{"", {"manager_id"}, "employees", {"id"}}};
    sa::Table employees;
    employees.name = "employees";
    employees.columns = {column("id", sa::TypeKind::integer), column("department_id", sa::TypeKind::integer)};
    employees.primary_key.columns = {"id"};
    employees.foreign_keys = {{"", {"department_id"}, "departments", {"id"}}};
    const auto plan =
        sa::migrate::autogenerate(schema({users()}), schema({users(), departments, employees}), postgresql());
    CHECK(plan.upgrade == schema({departments, employees}).create_statements(postgresql()));
    CHECK(plan.downgrade == schema({departments, employees}).drop_statements(postgresql()));
}

TEST_CASE("an added column is ALTER TABLE ADD COLUMN on both backends") {
    auto model_users = users();
    model_users.columns.push_back(column("email", sa::TypeKind::text, true));
    model_users.columns.push_back(with_default(column("score", sa::TypeKind::integer), "0"));
    const auto database = schema({users()});
    const auto models = schema({model_users});
    const Statements upgrade{R"(ALTER TABLE "users" ADD COLUMN "email" TEXT)",
                             R"(ALTER TABLE "users" ADD COLUMN "score" INTEGER DEFAULT 0 NOT NULL)"};

    const auto postgres_plan = sa::migrate::autogenerate(database, models, postgresql());
    CHECK(postgres_plan.changes == Statements{"add column users.email", "add column users.score"});
    CHECK(postgres_plan.upgrade == upgrade);
    CHECK(postgres_plan.downgrade == Statements{R"(ALTER TABLE "users" DROP COLUMN "email")",
                                                R"(ALTER TABLE "users" DROP COLUMN "score")"});
    CHECK(postgres_plan.warnings.empty());

    // SQLite cannot drop a column in place: the downgrade rebuilds the table.
    const auto sqlite_plan = sa::migrate::autogenerate(database, models, sqlite());
    CHECK(sqlite_plan.upgrade == upgrade);
    CHECK(sqlite_plan.downgrade == rebuild_users_back);
}

TEST_CASE("a NOT NULL column without a server default is added with a warning") {
    auto model_users = users();
    model_users.columns.push_back(column("email", sa::TypeKind::text));
    const auto plan = sa::migrate::autogenerate(schema({users()}), schema({model_users}), postgresql());
    const std::string warning =
        "column users.email is added NOT NULL without a server default: the upgrade fails if "
        "users has rows; give it a server default or fill it in the revision";
    CHECK(plan.warnings == Statements{warning});
    CHECK(plan.upgrade ==
          Statements{"-- WARNING: " + warning, R"(ALTER TABLE "users" ADD COLUMN "email" TEXT NOT NULL)"});
}

TEST_CASE("SQLite adds a NOT NULL column in place when its default is a constant") {
    auto model_users = users();
    model_users.columns.push_back(with_default(column("status", sa::TypeKind::text), "'it''s new'"));
    model_users.columns.push_back(with_default(column("rank", sa::TypeKind::integer), "-1.5e3"));
    model_users.columns.push_back(with_default(column("active", sa::TypeKind::boolean), "TRUE"));
    const auto plan = sa::migrate::autogenerate(schema({users()}), schema({model_users}), sqlite());
    CHECK(plan.upgrade == Statements{
                              R"(ALTER TABLE "users" ADD COLUMN "status" TEXT DEFAULT 'it''s new' NOT NULL)",
                              R"(ALTER TABLE "users" ADD COLUMN "rank" INTEGER DEFAULT -1.5e3 NOT NULL)",
                              R"(ALTER TABLE "users" ADD COLUMN "active" BOOLEAN DEFAULT TRUE NOT NULL)",
                          });
    for (const std::string expression : {"(1 + 1)", "1-2", "'a' || 'b'", "NULL"}) {
        model_users.columns.back().server_default = expression;
        INFO(expression);
        CHECK(sa::migrate::autogenerate(schema({users()}), schema({model_users}), sqlite())
                  .upgrade.front()
                  .starts_with("-- rebuild of users"));
    }
}

TEST_CASE("SQLite rebuilds for a column ALTER TABLE ADD COLUMN does not accept") {
    auto model_users = users();
    model_users.columns.push_back(
        with_default(column("created_at", sa::TypeKind::timestamp), "CURRENT_TIMESTAMP"));
    const auto plan = sa::migrate::autogenerate(schema({users()}), schema({model_users}), sqlite());
    CHECK(plan.changes == Statements{"add column users.created_at"});
    CHECK(
        plan.upgrade ==
        Statements{
            "-- rebuild of users: its rows move to a new table that takes its place (SQLite's "
            "ALTER TABLE cannot make these changes); upgrade and downgrade create its triggers again, "
            "a script run by hand must do that itself",
            R"(CREATE TABLE "_alchemy_tmp_users" (
    "id" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "age" INTEGER,
    "created_at" DATETIME DEFAULT CURRENT_TIMESTAMP NOT NULL,
    CONSTRAINT "pk_users" PRIMARY KEY ("id")
))",
            R"(INSERT INTO "_alchemy_tmp_users" ("id", "name", "age") SELECT "id", "name", "age" FROM "users")",
            R"(DROP TABLE "users")",
            R"(ALTER TABLE "_alchemy_tmp_users" RENAME TO "users")",
        });
}

TEST_CASE("a dropped column is DROP COLUMN on PostgreSQL and a rebuild on SQLite") {
    auto model_users = users();
    model_users.columns.pop_back();
    const auto database = schema({users()});
    const auto models = schema({model_users});
    const std::string comes_back =
        "-- column users.age comes back empty (NULL or its server default): its data went with "
        "the upgrade";

    const auto postgres_plan = sa::migrate::autogenerate(database, models, postgresql());
    CHECK(postgres_plan.changes == Statements{"drop column users.age"});
    CHECK(postgres_plan.upgrade == Statements{R"(ALTER TABLE "users" DROP COLUMN "age")"});
    CHECK(postgres_plan.downgrade ==
          Statements{comes_back, R"(ALTER TABLE "users" ADD COLUMN "age" INTEGER)"});

    const auto sqlite_plan = sa::migrate::autogenerate(database, models, sqlite());
    CHECK(sqlite_plan.upgrade ==
          Statements{
              "-- rebuild of users: its rows move to a new table that takes its place (SQLite's "
              "ALTER TABLE cannot make these changes); upgrade and downgrade create its triggers again, "
              "a script run by hand must do that itself",
              R"(CREATE TABLE "_alchemy_tmp_users" (
    "id" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    CONSTRAINT "pk_users" PRIMARY KEY ("id")
))",
              R"(INSERT INTO "_alchemy_tmp_users" ("id", "name") SELECT "id", "name" FROM "users")",
              R"(DROP TABLE "users")",
              R"(ALTER TABLE "_alchemy_tmp_users" RENAME TO "users")",
          });
    CHECK(sqlite_plan.downgrade == Statements{comes_back, R"(ALTER TABLE "users" ADD COLUMN "age" INTEGER)"});
}

TEST_CASE("NOT NULL with a server default fills existing NULLs before it is enforced") {
    auto model_users = users();
    model_users.columns[2] = with_default(column("age", sa::TypeKind::integer), "18");
    model_users.indexes = {{"", {"name"}, false}};
    auto database_users = users();
    database_users.indexes = {{"", {"name"}, false}};
    const auto database = schema({database_users});
    const auto models = schema({model_users});

    const auto postgres_plan = sa::migrate::autogenerate(database, models, postgresql());
    CHECK(postgres_plan.changes == Statements{"alter column users.age: nullable → NOT NULL, default 18"});
    CHECK(postgres_plan.upgrade == Statements{
                                       R"(ALTER TABLE "users" ALTER COLUMN "age" SET DEFAULT 18)",
                                       R"(UPDATE "users" SET "age" = 18 WHERE "age" IS NULL)",
                                       R"(ALTER TABLE "users" ALTER COLUMN "age" SET NOT NULL)",
                                   });
    CHECK(postgres_plan.downgrade == Statements{
                                         R"(ALTER TABLE "users" ALTER COLUMN "age" DROP DEFAULT)",
                                         R"(ALTER TABLE "users" ALTER COLUMN "age" DROP NOT NULL)",
                                     });
    CHECK(postgres_plan.warnings.empty());

    const auto sqlite_plan = sa::migrate::autogenerate(database, models, sqlite());
    CHECK(
        sqlite_plan.upgrade ==
        Statements{
            "-- rebuild of users: its rows move to a new table that takes its place (SQLite's "
            "ALTER TABLE cannot make these changes); upgrade and downgrade create its triggers again, "
            "a script run by hand must do that itself",
            R"(CREATE TABLE "_alchemy_tmp_users" (
    "id" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "age" INTEGER DEFAULT 18 NOT NULL,
    CONSTRAINT "pk_users" PRIMARY KEY ("id")
))",
            R"(INSERT INTO "_alchemy_tmp_users" ("id", "name", "age") SELECT "id", "name", COALESCE("age", 18) FROM "users")",
            R"(DROP TABLE "users")",
            R"(ALTER TABLE "_alchemy_tmp_users" RENAME TO "users")",
            R"(CREATE INDEX "ix_users_name" ON "users" ("name"))",
        });
    CHECK(sqlite_plan.downgrade.back() == R"(CREATE INDEX "ix_users_name" ON "users" ("name"))");
}

TEST_CASE("NOT NULL without a server default is written with a warning") {
    auto model_users = users();
    model_users.columns[2].nullable = false;
    const auto plan = sa::migrate::autogenerate(schema({users()}), schema({model_users}), postgresql());
    CHECK(plan.warnings == Statements{"column users.age becomes NOT NULL without a server "
                                      "default: the upgrade fails if a row holds NULL in it"});
    CHECK(sql_only(plan.upgrade) == Statements{R"(ALTER TABLE "users" ALTER COLUMN "age" SET NOT NULL)"});
}

TEST_CASE("a type and a default change together: the old default goes before the type") {
    auto database_users = users();
    database_users.columns[2] = with_default(column("age", sa::TypeKind::text, true), "'0'");
    auto model_users = users();
    model_users.columns[2] = with_default(column("age", sa::TypeKind::integer, true), "0");
    const auto plan =
        sa::migrate::autogenerate(schema({database_users}), schema({model_users}), postgresql());
    CHECK(plan.changes == Statements{"alter column users.age: TEXT → INTEGER, default '0' → 0"});
    CHECK(sql_only(plan.upgrade) == Statements{
                                        R"(ALTER TABLE "users" ALTER COLUMN "age" DROP DEFAULT)",
                                        R"(ALTER TABLE "users" ALTER COLUMN "age" TYPE INTEGER)",
                                        R"(ALTER TABLE "users" ALTER COLUMN "age" SET DEFAULT 0)",
                                    });
}

TEST_CASE("a type change that narrows is written without a cast and with a warning") {
    const auto with_code = [](sa::TypeKind kind, int length) {
        auto t = users();
        t.columns.push_back(column("code", kind));
        t.columns.back().type.length = length;
        return schema({t});
    };
    const auto text = with_code(sa::TypeKind::text, 0);
    const auto short_text = with_code(sa::TypeKind::text, 5);
    const auto plan = sa::migrate::autogenerate(text, short_text, postgresql());
    // No USING: PostgreSQL's assignment cast refuses a value that does not fit.
    CHECK(sql_only(plan.upgrade) == Statements{R"(ALTER TABLE "users" ALTER COLUMN "code" TYPE VARCHAR(5))"});
    CHECK(plan.downgrade == Statements{R"(ALTER TABLE "users" ALTER COLUMN "code" TYPE TEXT)"});
    REQUIRE(plan.warnings.size() == 1);
    CHECK(
        plan.warnings[0].starts_with("column users.code narrows from TEXT to VARCHAR(5): on PostgreSQL a "
                                     "value it cannot hold fails the upgrade"));
    CHECK(sa::migrate::autogenerate(text, short_text, sqlite()).warnings == plan.warnings);

    // Widening gives no warning for the upgrade (its downgrade narrows, and says so).
    const auto narrowing = [&](sa::TypeKind from, int from_length, sa::TypeKind to, int to_length) {
        const auto warnings =
            sa::migrate::autogenerate(with_code(from, from_length), with_code(to, to_length), postgresql())
                .warnings;
        return std::ranges::any_of(warnings, [](const std::string& w) { return w.starts_with("column"); });
    };
    CHECK(narrowing(sa::TypeKind::text, 10, sa::TypeKind::text, 5));
    CHECK(narrowing(sa::TypeKind::big_integer, 0, sa::TypeKind::integer, 0));
    CHECK(narrowing(sa::TypeKind::integer, 0, sa::TypeKind::boolean, 0));
    CHECK(narrowing(sa::TypeKind::double_precision, 0, sa::TypeKind::big_integer, 0));
    CHECK(narrowing(sa::TypeKind::text, 0, sa::TypeKind::integer, 0));
    CHECK(narrowing(sa::TypeKind::timestamp, 0, sa::TypeKind::date, 0));
    CHECK(narrowing(sa::TypeKind::big_integer, 0, sa::TypeKind::double_precision, 0));  // beyond 2^53
    CHECK(narrowing(sa::TypeKind::integer, 0, sa::TypeKind::single_precision, 0));      // beyond 2^24
    CHECK(narrowing(sa::TypeKind::blob, 0, sa::TypeKind::text, 0));  // PostgreSQL writes the bytes' escape
    CHECK_FALSE(narrowing(sa::TypeKind::small_integer, 0, sa::TypeKind::single_precision, 0));
    CHECK_FALSE(narrowing(sa::TypeKind::text, 5, sa::TypeKind::text, 10));
    CHECK_FALSE(narrowing(sa::TypeKind::text, 5, sa::TypeKind::text, 0));
    CHECK_FALSE(narrowing(sa::TypeKind::integer, 0, sa::TypeKind::big_integer, 0));
    CHECK_FALSE(narrowing(sa::TypeKind::integer, 0, sa::TypeKind::double_precision, 0));
}

TEST_CASE("autoincrement is an identity on PostgreSQL and part of the key on SQLite") {
    auto database_users = users();
    database_users.columns[0].autoincrement = false;
    const auto database = schema({database_users});
    const auto models = schema({users()});
    CHECK(sa::migrate::autogenerate(database, models, sqlite()).empty());

    const auto plan = sa::migrate::autogenerate(database, models, postgresql());
    CHECK(plan.changes == Statements{"alter column users.id: autoincrement on"});
    CHECK(
        plan.upgrade ==
        Statements{
            R"(ALTER TABLE "users" ALTER COLUMN "id" ADD GENERATED BY DEFAULT AS IDENTITY)",
            R"(SELECT setval(pg_get_serial_sequence('"users"', 'id'), COALESCE(MAX("id"), 0) + 1, false) FROM "users")",
        });
    CHECK(plan.downgrade == Statements{R"(ALTER TABLE "users" ALTER COLUMN "id" DROP IDENTITY)"});
}

TEST_CASE("indexes are created and dropped in place on both backends") {
    auto database_users = users();
    database_users.indexes = {{"", {"age"}, false}};
    auto model_users = users();
    model_users.indexes = {{"", {"name"}, true}};
    const auto database = schema({database_users});
    const auto models = schema({model_users});
    for (const auto* dialect : {&sqlite(), &postgresql()}) {
        const auto plan = sa::migrate::autogenerate(database, models, *dialect);
        CHECK(plan.changes == Statements{"drop index ix_users_age", "add index ix_users_name"});
        CHECK(plan.upgrade == Statements{R"(DROP INDEX "ix_users_age")",
                                         R"(CREATE UNIQUE INDEX "ix_users_name" ON "users" ("name"))"});
        CHECK(plan.downgrade == Statements{R"(DROP INDEX "ix_users_name")",
                                           R"(CREATE INDEX "ix_users_age" ON "users" ("age"))"});
    }
}

TEST_CASE("an index whose columns changed under the same name is dropped and re-created") {
    auto database_users = users();
    database_users.indexes = {{"by_name", {"name"}, false}};
    auto model_users = users();
    model_users.indexes = {{"by_name", {"name", "age"}, false}};
    const auto plan =
        sa::migrate::autogenerate(schema({database_users}), schema({model_users}), postgresql());
    CHECK(plan.changes == Statements{"alter index by_name"});
    CHECK(plan.upgrade ==
          Statements{R"(DROP INDEX "by_name")", R"(CREATE INDEX "by_name" ON "users" ("name", "age"))"});
}

TEST_CASE("unique constraints are added and dropped by name on PostgreSQL, by rebuild on SQLite") {
    auto model_users = users();
    model_users.unique_constraints = {{"", {"name"}}};
    const auto database = schema({users()});
    const auto models = schema({model_users});

    const auto plan = sa::migrate::autogenerate(database, models, postgresql());
    CHECK(plan.changes == Statements{"add unique constraint uq_users_name"});
    CHECK(plan.upgrade ==
          Statements{R"(ALTER TABLE "users" ADD CONSTRAINT "uq_users_name" UNIQUE ("name"))"});
    CHECK(plan.downgrade == Statements{R"(ALTER TABLE "users" DROP CONSTRAINT "uq_users_name")"});

    const auto sqlite_plan = sa::migrate::autogenerate(database, models, sqlite());
    CHECK(sqlite_plan.changes == plan.changes);
    CHECK(sqlite_plan.upgrade[1] == R"(CREATE TABLE "_alchemy_tmp_users" (
    "id" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "age" INTEGER,
    CONSTRAINT "pk_users" PRIMARY KEY ("id"),
    CONSTRAINT "uq_users_name" UNIQUE ("name")
))");
    // The rebuild back says that it drops the constraint on purpose, for the revision guard.
    auto rebuild_without_unique = rebuild_users_back;
    rebuild_without_unique.insert(rebuild_without_unique.begin() + 1,
                                  "-- rebuild of users drops constraint uq_users_name");
    CHECK(sqlite_plan.downgrade == rebuild_without_unique);
}

TEST_CASE("foreign keys are dropped before and added after every table's other changes") {
    auto database_posts = posts();
    database_posts.foreign_keys.clear();
    sa::Table tags;
    tags.name = "tags";
    tags.columns = {identity("id"), column("post_id", sa::TypeKind::big_integer)};
    tags.primary_key.columns = {"id"};
    tags.foreign_keys = {{"", {"post_id"}, "posts", {"id"}}};
    auto model_tags = tags;
    model_tags.foreign_keys.clear();
    const auto database = schema({users(), database_posts, tags});
    const auto models = schema({users(), posts(), model_tags});

    const auto plan = sa::migrate::autogenerate(database, models, postgresql());
    CHECK(plan.changes ==
          Statements{"add foreign key fk_posts_author_id_users", "drop foreign key fk_tags_post_id_posts"});
    CHECK(
        plan.upgrade ==
        Statements{
            R"(ALTER TABLE "tags" DROP CONSTRAINT "fk_tags_post_id_posts")",
            R"(ALTER TABLE "posts" ADD CONSTRAINT "fk_posts_author_id_users" FOREIGN KEY ("author_id") REFERENCES "users" ("id"))",
        });
    CHECK(
        plan.downgrade ==
        Statements{
            R"(ALTER TABLE "posts" DROP CONSTRAINT "fk_posts_author_id_users")",
            R"(ALTER TABLE "tags" ADD CONSTRAINT "fk_tags_post_id_posts" FOREIGN KEY ("post_id") REFERENCES "posts" ("id"))",
        });

    const auto sqlite_plan = sa::migrate::autogenerate(database, models, sqlite());
    CHECK(std::ranges::count(sqlite_plan.upgrade, R"(DROP TABLE "posts")") == 1);
    CHECK(std::ranges::count(sqlite_plan.upgrade, R"(DROP TABLE "tags")") == 1);
    CHECK(sqlite_plan.upgrade.back() == R"(ALTER TABLE "_alchemy_tmp_tags" RENAME TO "tags")");
}

TEST_CASE("a check constraint whose expression changed is dropped and added again") {
    auto database_users = users();
    database_users.check_constraints = {{"ck_users_age", "age >= 0"}};
    auto model_users = users();
    model_users.check_constraints = {{"ck_users_age", "age >= 18"}};
    const auto database = schema({database_users});
    const auto models = schema({model_users});

    const auto plan = sa::migrate::autogenerate(database, models, postgresql());
    CHECK(plan.changes == Statements{"alter check constraint ck_users_age"});
    CHECK(plan.upgrade == Statements{
                              R"(ALTER TABLE "users" DROP CONSTRAINT "ck_users_age")",
                              R"(ALTER TABLE "users" ADD CONSTRAINT "ck_users_age" CHECK (age >= 18))",
                          });
    CHECK(plan.downgrade == Statements{
                                R"(ALTER TABLE "users" DROP CONSTRAINT "ck_users_age")",
                                R"(ALTER TABLE "users" ADD CONSTRAINT "ck_users_age" CHECK (age >= 0))",
                            });

    // The catalog's own spelling of the same expression is no change.
    model_users.check_constraints = {{"ck_users_age", "(AGE >=  0)"}};
    CHECK(sa::migrate::autogenerate(database, schema({model_users}), postgresql()).empty());

    const auto sqlite_plan = sa::migrate::autogenerate(database, models, sqlite());
    CHECK(sqlite_plan.changes == plan.changes);
    CHECK(sqlite_plan.upgrade[1].find(R"(CONSTRAINT "ck_users_age" CHECK (age >= 18))") != std::string::npos);
}

TEST_CASE("check expressions as PostgreSQL prints them back compare equal to the mapping's") {
    const auto with_checks = [](std::string status, std::string age) {
        auto t = users();
        t.columns.push_back(column("status", sa::TypeKind::text));
        t.columns.back().type.length = 6;
        t.check_constraints = {{"ck_users_status", std::move(status)}, {"ck_users_age", std::move(age)}};
        return schema({t});
    };
    const auto models = with_checks(R"("status" IN ('active', 'banned'))", "age >= 0 AND age != 200");
    const auto database = with_checks(
        "(status)::text = ANY ((ARRAY['active'::character varying, 'banned'::character "
        "varying])::text[])",
        "(age >= 0) AND (age <> 200)");
    CHECK(sa::migrate::autogenerate(database, models, postgresql()).empty());

    // Parentheses that group AND and OR count; those around a comparison do not.
    const auto grouped = [](std::string check) {
        auto t = users();
        t.check_constraints = {{"ck_users_age", std::move(check)}};
        return schema({t});
    };
    const auto model = grouped("age > 0 AND (age < 10 OR age > 20)");
    CHECK(sa::migrate::autogenerate(grouped("(((age > 0) AND ((age < 10) OR (age > 20))))"), model,
                                    postgresql())
              .empty());
    CHECK(
        sa::migrate::autogenerate(grouped("(((age > 0) AND (age < 10)) OR (age > 20))"), model, postgresql())
            .changes == Statements{"alter check constraint ck_users_age"});
    // PostgreSQL prints `age * 2 < 100` as `(age * 2) < 100`: arithmetic binds tighter than
    // a comparison, so that group changes nothing; beside other arithmetic it does.
    CHECK(sa::migrate::autogenerate(grouped("((age * 2) < 100)"), grouped("age * 2 < 100"), postgresql())
              .empty());
    CHECK(sa::migrate::autogenerate(grouped("(((age + 1) * 2) < 100)"), grouped("age + 1 * 2 < 100"),
                                    postgresql())
              .changes == Statements{"alter check constraint ck_users_age"});
    CHECK(sa::migrate::autogenerate(grouped("lower(name) = ANY (ARRAY['a'::text, 'b'::text])"),
                                    grouped("lower(name) IN ('a', 'b')"), postgresql())
              .empty());

    const auto more = with_checks(R"("status" IN ('active', 'banned', 'gone'))", "age >= 0 AND age != 200");
    CHECK(sa::migrate::autogenerate(database, more, postgresql()).changes ==
          Statements{"alter check constraint ck_users_status"});
}

TEST_CASE("a primary key change is drop + add on PostgreSQL and a rebuild on SQLite") {
    sa::Table database_settings;
    database_settings.name = "settings";
    database_settings.columns = {column("key", sa::TypeKind::text), column("scope", sa::TypeKind::text),
                                 column("value", sa::TypeKind::text, true)};
    database_settings.primary_key.columns = {"key"};
    auto model_settings = database_settings;
    model_settings.primary_key.columns = {"scope", "key"};
    const auto database = schema({database_settings});
    const auto models = schema({model_settings});

    const auto plan = sa::migrate::autogenerate(database, models, postgresql());
    CHECK(plan.changes == Statements{"alter primary key pk_settings: (key) → (scope, key)"});
    CHECK(plan.upgrade ==
          Statements{
              R"(ALTER TABLE "settings" DROP CONSTRAINT "pk_settings")",
              R"(ALTER TABLE "settings" ADD CONSTRAINT "pk_settings" PRIMARY KEY ("scope", "key"))",
          });

    const auto sqlite_plan = sa::migrate::autogenerate(database, models, sqlite());
    CHECK(
        sqlite_plan.upgrade ==
        Statements{
            "-- rebuild of settings: its rows move to a new table that takes its place (SQLite's "
            "ALTER TABLE cannot make these changes); upgrade and downgrade create its triggers again, "
            "a script run by hand must do that itself",
            R"(CREATE TABLE "_alchemy_tmp_settings" (
    "key" TEXT NOT NULL,
    "scope" TEXT NOT NULL,
    "value" TEXT,
    CONSTRAINT "pk_settings" PRIMARY KEY ("scope", "key")
))",
            R"(INSERT INTO "_alchemy_tmp_settings" (rowid, "key", "scope", "value") SELECT rowid, "key", "scope", "value" FROM "settings")",
            R"(DROP TABLE "settings")",
            R"(ALTER TABLE "_alchemy_tmp_settings" RENAME TO "settings")",
        });
}

TEST_CASE("a dropped and an added column are drop + add with a rename warning") {
    auto model_users = users();
    model_users.columns[2].name = "years";
    const auto plan = sa::migrate::autogenerate(schema({users()}), schema({model_users}), postgresql());
    const std::string warning =
        "column users.age dropped and users.years added: if this was a rename, declare "
        "sa::renamed_from(&T::years, \"age\") in the mapping of table users; as written, the "
        "data of users.age is lost";
    CHECK(plan.warnings == Statements{warning});
    CHECK(plan.changes == Statements{"add column users.years", "drop column users.age"});
    CHECK(plan.upgrade == Statements{
                              "-- WARNING: " + warning,
                              R"(ALTER TABLE "users" ADD COLUMN "years" INTEGER)",
                              R"(ALTER TABLE "users" DROP COLUMN "age")",
                          });
    CHECK(sql_only(plan.downgrade) == Statements{
                                          R"(ALTER TABLE "users" ADD COLUMN "age" INTEGER)",
                                          R"(ALTER TABLE "users" DROP COLUMN "years")",
                                      });
}

TEST_CASE("a dropped and an added table are drop + create with a rename warning") {
    auto members = users();
    members.name = "members";
    const auto plan = sa::migrate::autogenerate(schema({users()}), schema({members}), postgresql());
    CHECK(plan.changes == Statements{"add table members", "drop table users"});
    CHECK(plan.warnings ==
          Statements{"table users dropped and table members added: if this was a rename, declare "
                     "sa::renamed_from(\"users\") in the mapping of table members; as written, the rows of "
                     "users are lost"});
    // A table dropped alone has nothing to pair with.
    CHECK(sa::migrate::autogenerate(schema({users()}), schema({}), postgresql()).warnings.empty());
}

// Two versions of the same models, for renamed_from.
namespace rename_v1 {
struct Person {
    std::int64_t id = 0;
    std::string nick{};
};
struct Post {
    std::int64_t id = 0;
    std::int64_t person_id = 0;
};
}  // namespace rename_v1
namespace rename_v2 {
struct Member {
    std::int64_t id = 0;
    std::string nickname{};
};
struct Post {
    std::int64_t id = 0;
    std::int64_t person_id = 0;
};
}  // namespace rename_v2

template <>
inline constexpr auto sa::mapping<rename_v1::Person> =
    sa::table("people", sa::index(&rename_v1::Person::nick));
template <>
inline constexpr auto sa::mapping<rename_v1::Post> =
    sa::table("posts", sa::foreign_key(&rename_v1::Post::person_id, &rename_v1::Person::id));
template <>
inline constexpr auto sa::mapping<rename_v2::Member> =
    sa::table("members", sa::renamed_from("people"), sa::index(&rename_v2::Member::nickname),
              sa::renamed_from(&rename_v2::Member::nickname, "nick"));
template <>
inline constexpr auto sa::mapping<rename_v2::Post> =
    sa::table("posts", sa::foreign_key(&rename_v2::Post::person_id, &rename_v2::Member::id));

TEST_CASE("renamed_from renames tables and columns instead of dropping them") {
    const auto database = sa::metadata<rename_v1::Person, rename_v1::Post>();
    const auto models = sa::metadata<rename_v2::Member, rename_v2::Post>();

    const auto plan = sa::migrate::autogenerate(database, models, postgresql());
    CHECK(plan.changes == Statements{
                              "rename table people to members",
                              "rename column members.nick to members.nickname",
                              "rename primary key pk_people to pk_members",
                              "rename index ix_people_nick to ix_members_nickname",
                              "rename foreign key fk_posts_person_id_people to fk_posts_person_id_members",
                          });
    CHECK(
        plan.upgrade ==
        Statements{
            R"(ALTER TABLE "people" RENAME TO "members")",
            R"(ALTER TABLE "members" RENAME COLUMN "nick" TO "nickname")",
            R"(ALTER INDEX "ix_people_nick" RENAME TO "ix_members_nickname")",
            R"(ALTER TABLE "members" RENAME CONSTRAINT "pk_people" TO "pk_members")",
            R"(ALTER TABLE "posts" RENAME CONSTRAINT "fk_posts_person_id_people" TO "fk_posts_person_id_members")",
        });
    CHECK(
        plan.downgrade ==
        Statements{
            R"(ALTER TABLE "members" RENAME TO "people")",
            R"(ALTER TABLE "people" RENAME COLUMN "nickname" TO "nick")",
            R"(ALTER INDEX "ix_members_nickname" RENAME TO "ix_people_nick")",
            R"(ALTER TABLE "people" RENAME CONSTRAINT "pk_members" TO "pk_people")",
            R"(ALTER TABLE "posts" RENAME CONSTRAINT "fk_posts_person_id_members" TO "fk_posts_person_id_people")",
        });
    CHECK(plan.warnings.empty());

    // SQLite never names a constraint in ALTER, so only the index (dropped by name) moves.
    const auto sqlite_plan = sa::migrate::autogenerate(database, models, sqlite());
    CHECK(sqlite_plan.changes == Statements{
                                     "rename table people to members",
                                     "rename column members.nick to members.nickname",
                                     "rename index ix_people_nick to ix_members_nickname",
                                 });
    CHECK(sqlite_plan.upgrade == Statements{
                                     R"(ALTER TABLE "people" RENAME TO "members")",
                                     R"(ALTER TABLE "members" RENAME COLUMN "nick" TO "nickname")",
                                     R"(DROP INDEX "ix_people_nick")",
                                     R"(CREATE INDEX "ix_members_nickname" ON "members" ("nickname"))",
                                 });

    SECTION("once applied, the declaration changes nothing more") {
        CHECK(sa::migrate::autogenerate(models, models, postgresql()).empty());
    }
}

TEST_CASE("the downgrade is the upgrade of the reverse comparison") {
    auto changed_users = users();
    changed_users.columns[1].type.length = 80;
    changed_users.columns[2] = with_default(column("age", sa::TypeKind::integer), "18");
    changed_users.columns.push_back(column("email", sa::TypeKind::text, true));
    changed_users.unique_constraints = {{"", {"email"}}};
    changed_users.indexes = {{"", {"name"}, false}};
    auto changed_posts = posts();
    changed_posts.foreign_keys[0].on_delete = sa::ReferentialAction::cascade;
    sa::Table legacy;
    legacy.name = "legacy";
    legacy.columns = {column("id", sa::TypeKind::integer)};
    legacy.primary_key.columns = {"id"};

    const auto before = schema({users(), posts(), legacy});
    const auto after = schema({changed_users, changed_posts});
    for (const auto* dialect : {&sqlite(), &postgresql()}) {
        const auto forward = sa::migrate::autogenerate(before, after, *dialect);
        const auto backward = sa::migrate::autogenerate(after, before, *dialect);
        CHECK_FALSE(forward.empty());
        CHECK(sql_only(forward.downgrade) == sql_only(backward.upgrade));
        CHECK(sql_only(forward.upgrade) == sql_only(backward.downgrade));
    }
}

TEST_CASE("the same input gives the same plan") {
    auto changed_users = users();
    changed_users.columns.push_back(column("email", sa::TypeKind::text, true));
    changed_users.indexes = {{"", {"email"}, true}, {"", {"name"}, false}};
    changed_users.check_constraints = {{"ck_users_age", "age > 0"}};
    const auto before = schema({users(), posts()});
    const auto after = schema({changed_users});
    for (const auto* dialect : {&sqlite(), &postgresql()}) {
        const auto first = sa::migrate::autogenerate(before, after, *dialect);
        const auto second = sa::migrate::autogenerate(before, after, *dialect);
        CHECK(first.upgrade == second.upgrade);
        CHECK(first.downgrade == second.downgrade);
        CHECK(first.changes == second.changes);
        CHECK(first.warnings == second.warnings);
    }
}
