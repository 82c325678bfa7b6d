// The exact DDL text MetaData renders for SQLite and PostgreSQL, without a database:
// types, defaults, nullability, every kind of constraint, indexes, self-references and
// reference cycles.
#include <alchemy/alchemy.hpp>
#include <alchemy/schema/metadata.hpp>

#include "support/matchers.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

namespace sa = alchemy;
using sa::test::MessageContains;
using Statements = std::vector<std::string>;

namespace {

const sa::Dialect& sqlite() { return sa::driver_for(sa::make_url("sqlite://")).dialect(); }
const sa::Dialect& postgresql() { return sa::driver_for(sa::make_url("postgresql://h/db")).dialect(); }

sa::Table make_table(std::string name) {
    sa::Table t;
    t.name = std::move(name);
    return t;
}
sa::Column column(std::string name, sa::TypeKind kind, bool nullable = false) {
    sa::Column c;
    c.name = std::move(name);
    c.type.kind = kind;
    c.nullable = nullable;
    return c;
}
sa::Column varchar(std::string name, int length, bool nullable = false) {
    auto c = column(std::move(name), sa::TypeKind::text, nullable);
    c.type.length = length;
    return c;
}
sa::Column with_default(sa::Column c, std::string server_default) {
    c.server_default = std::move(server_default);
    return c;
}
sa::Column autoincrement(std::string name, sa::TypeKind kind) {
    auto c = column(std::move(name), kind);
    c.autoincrement = true;
    return c;
}
/// A foreign key whose name the MetaData fills in.
sa::ForeignKey references(std::string column, std::string table,
                          sa::ReferentialAction on_delete = sa::ReferentialAction::no_action,
                          sa::ReferentialAction on_update = sa::ReferentialAction::no_action) {
    return {"", {std::move(column)}, std::move(table), {"id"}, on_delete, on_update};
}

sa::Table every_type() {
    auto t = make_table("samples");
    t.columns = {
        autoincrement("id", sa::TypeKind::big_integer),
        with_default(column("flag", sa::TypeKind::boolean), "FALSE"),
        column("tiny", sa::TypeKind::small_integer, true),
        with_default(column("count", sa::TypeKind::integer), "0"),
        column("big", sa::TypeKind::big_integer, true),
        column("ratio", sa::TypeKind::single_precision, true),
        column("precise", sa::TypeKind::double_precision, true),
        column("body", sa::TypeKind::text),
        varchar("code", 8, true),
        column("data", sa::TypeKind::blob, true),
        with_default(column("created_at", sa::TypeKind::timestamp), "CURRENT_TIMESTAMP"),
        column("day", sa::TypeKind::date, true),
    };
    t.primary_key.columns = {"id"};
    return t;
}

// users <- memberships -> groups (self-referencing), declared child first.
std::vector<sa::Table> membership_model() {
    auto memberships = make_table("memberships");
    memberships.columns = {
        column("user_id", sa::TypeKind::big_integer),
        column("group_id", sa::TypeKind::integer),
        with_default(column("role", sa::TypeKind::text), "'member'"),
        column("rank", sa::TypeKind::integer, true),
    };
    memberships.primary_key.columns = {"user_id", "group_id"};
    memberships.unique_constraints = {{"", {"group_id", "rank"}}};
    memberships.foreign_keys = {
        references("user_id", "users", sa::ReferentialAction::cascade),
        references("group_id", "groups", sa::ReferentialAction::cascade, sa::ReferentialAction::cascade),
    };
    memberships.check_constraints = {{"ck_memberships_rank", "rank > 0"}};

    auto users = make_table("users");
    users.columns = {
        autoincrement("id", sa::TypeKind::big_integer),
        varchar("name", 50),
        column("email", sa::TypeKind::text, true),
        column("age", sa::TypeKind::small_integer, true),
    };
    users.primary_key.columns = {"id"};
    users.unique_constraints = {{"", {"email"}}};
    users.indexes = {
        {"", {"name"}, false},
        {"users_by_age_and_name", {"age", "name"}, false},
        {"", {"name", "email"}, true},
    };
    users.check_constraints = {{"ck_users_age", "age >= 0"}};

    auto groups = make_table("groups");
    groups.columns = {
        column("id", sa::TypeKind::integer),
        column("name", sa::TypeKind::text),
        column("parent_id", sa::TypeKind::integer, true),
    };
    groups.primary_key.columns = {"id"};
    groups.foreign_keys = {
        references("parent_id", "groups", sa::ReferentialAction::set_null, sa::ReferentialAction::restrict)};
    return {std::move(memberships), std::move(users), std::move(groups)};
}

// departments.manager_id -> employees and employees.department_id -> departments.
std::vector<sa::Table> cycle_model() {
    auto departments = make_table("departments");
    departments.columns = {column("id", sa::TypeKind::integer),
                           column("manager_id", sa::TypeKind::integer, true)};
    departments.primary_key.columns = {"id"};
    departments.foreign_keys = {references("manager_id", "employees")};

    auto employees = make_table("employees");
    employees.columns = {column("id", sa::TypeKind::integer), column("department_id", sa::TypeKind::integer)};
    employees.primary_key.columns = {"id"};
    employees.foreign_keys = {references("department_id", "departments", sa::ReferentialAction::set_default)};
    return {std::move(departments), std::move(employees)};
}

}  // namespace

TEST_CASE("every column type is spelled the PostgreSQL way") {
    const sa::MetaData metadata({every_type()});
    CHECK(metadata.create_statements(postgresql()) == Statements{R"(CREATE TABLE "samples" (
    "id" BIGINT GENERATED BY DEFAULT AS IDENTITY,
    "flag" BOOLEAN DEFAULT FALSE NOT NULL,
    "tiny" SMALLINT,
    "count" INTEGER DEFAULT 0 NOT NULL,
    "big" BIGINT,
    "ratio" REAL,
    "precise" DOUBLE PRECISION,
    "body" TEXT NOT NULL,
    "code" VARCHAR(8),
    "data" BYTEA,
    "created_at" TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP NOT NULL,
    "day" DATE,
    CONSTRAINT "pk_samples" PRIMARY KEY ("id")
))"});
}

TEST_CASE("every column type is spelled the SQLite way, integers as INTEGER") {
    const sa::MetaData metadata({every_type()});
    CHECK(metadata.create_statements(sqlite()) == Statements{R"(CREATE TABLE "samples" (
    "id" INTEGER NOT NULL,
    "flag" BOOLEAN DEFAULT FALSE NOT NULL,
    "tiny" INTEGER,
    "count" INTEGER DEFAULT 0 NOT NULL,
    "big" INTEGER,
    "ratio" REAL,
    "precise" REAL,
    "body" TEXT NOT NULL,
    "code" VARCHAR(8),
    "data" BLOB,
    "created_at" DATETIME DEFAULT CURRENT_TIMESTAMP NOT NULL,
    "day" DATE,
    CONSTRAINT "pk_samples" PRIMARY KEY ("id")
))"});
}

TEST_CASE("tables come parent first with their constraints inline and indexes after them") {
    const sa::MetaData metadata(membership_model());
    const Statements expected_postgresql{
        R"(CREATE TABLE "users" (
    "id" BIGINT GENERATED BY DEFAULT AS IDENTITY,
    "name" VARCHAR(50) NOT NULL,
    "email" TEXT,
    "age" SMALLINT,
    CONSTRAINT "pk_users" PRIMARY KEY ("id"),
    CONSTRAINT "uq_users_email" UNIQUE ("email"),
    CONSTRAINT "ck_users_age" CHECK (age >= 0)
))",
        R"(CREATE INDEX "ix_users_name" ON "users" ("name"))",
        R"(CREATE INDEX "users_by_age_and_name" ON "users" ("age", "name"))",
        R"(CREATE UNIQUE INDEX "ix_users_name_email" ON "users" ("name", "email"))",
        R"(CREATE TABLE "groups" (
    "id" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "parent_id" INTEGER,
    CONSTRAINT "pk_groups" PRIMARY KEY ("id"),
    CONSTRAINT "fk_groups_parent_id_groups" FOREIGN KEY ("parent_id") REFERENCES "groups" ("id") ON DELETE SET NULL ON UPDATE RESTRICT
))",
        R"(CREATE TABLE "memberships" (
    "user_id" BIGINT NOT NULL,
    "group_id" INTEGER NOT NULL,
    "role" TEXT DEFAULT 'member' NOT NULL,
    "rank" INTEGER,
    CONSTRAINT "pk_memberships" PRIMARY KEY ("user_id", "group_id"),
    CONSTRAINT "uq_memberships_group_id_rank" UNIQUE ("group_id", "rank"),
    CONSTRAINT "fk_memberships_user_id_users" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE,
    CONSTRAINT "fk_memberships_group_id_groups" FOREIGN KEY ("group_id") REFERENCES "groups" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "ck_memberships_rank" CHECK (rank > 0)
))",
    };
    CHECK(metadata.create_statements(postgresql()) == expected_postgresql);

    // SQLite differs only in the spelling of the types.
    auto expected_sqlite = expected_postgresql;
    expected_sqlite[0] = R"(CREATE TABLE "users" (
    "id" INTEGER NOT NULL,
    "name" VARCHAR(50) NOT NULL,
    "email" TEXT,
    "age" INTEGER,
    CONSTRAINT "pk_users" PRIMARY KEY ("id"),
    CONSTRAINT "uq_users_email" UNIQUE ("email"),
    CONSTRAINT "ck_users_age" CHECK (age >= 0)
))";
    expected_sqlite[5] = R"(CREATE TABLE "memberships" (
    "user_id" INTEGER NOT NULL,
    "group_id" INTEGER NOT NULL,
    "role" TEXT DEFAULT 'member' NOT NULL,
    "rank" INTEGER,
    CONSTRAINT "pk_memberships" PRIMARY KEY ("user_id", "group_id"),
    CONSTRAINT "uq_memberships_group_id_rank" UNIQUE ("group_id", "rank"),
    CONSTRAINT "fk_memberships_user_id_users" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE,
    CONSTRAINT "fk_memberships_group_id_groups" FOREIGN KEY ("group_id") REFERENCES "groups" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "ck_memberships_rank" CHECK (rank > 0)
))";
    CHECK(metadata.create_statements(sqlite()) == expected_sqlite);
}

TEST_CASE("tables are dropped children first, indexes go with their tables") {
    const sa::MetaData metadata(membership_model());
    const Statements expected{R"(DROP TABLE "memberships")", R"(DROP TABLE "groups")",
                              R"(DROP TABLE "users")"};
    CHECK(metadata.drop_statements(postgresql()) == expected);
    CHECK(metadata.drop_statements(sqlite()) == expected);
}

TEST_CASE("PostgreSQL closes a reference cycle with ALTER TABLE after creating both tables") {
    const sa::MetaData metadata(cycle_model());
    CHECK(
        metadata.create_statements(postgresql()) ==
        Statements{
            R"(CREATE TABLE "departments" (
    "id" INTEGER NOT NULL,
    "manager_id" INTEGER,
    CONSTRAINT "pk_departments" PRIMARY KEY ("id")
))",
            R"(CREATE TABLE "employees" (
    "id" INTEGER NOT NULL,
    "department_id" INTEGER NOT NULL,
    CONSTRAINT "pk_employees" PRIMARY KEY ("id"),
    CONSTRAINT "fk_employees_department_id_departments" FOREIGN KEY ("department_id") REFERENCES "departments" ("id") ON DELETE SET DEFAULT
))",
            R"(ALTER TABLE "departments" ADD CONSTRAINT "fk_departments_manager_id_employees" FOREIGN KEY ("manager_id") REFERENCES "employees" ("id"))",
        });
    CHECK(metadata.drop_statements(postgresql()) ==
          Statements{
              R"(ALTER TABLE "departments" DROP CONSTRAINT "fk_departments_manager_id_employees")",
              R"(DROP TABLE "employees")",
              R"(DROP TABLE "departments")",
          });
}

TEST_CASE("SQLite writes every foreign key of a reference cycle inline") {
    const sa::MetaData metadata(cycle_model());
    CHECK(metadata.create_statements(sqlite()) == Statements{
                                                      R"(CREATE TABLE "departments" (
    "id" INTEGER NOT NULL,
    "manager_id" INTEGER,
    CONSTRAINT "pk_departments" PRIMARY KEY ("id"),
    CONSTRAINT "fk_departments_manager_id_employees" FOREIGN KEY ("manager_id") REFERENCES "employees" ("id")
))",
                                                      R"(CREATE TABLE "employees" (
    "id" INTEGER NOT NULL,
    "department_id" INTEGER NOT NULL,
    CONSTRAINT "pk_employees" PRIMARY KEY ("id"),
    CONSTRAINT "fk_employees_department_id_departments" FOREIGN KEY ("department_id") REFERENCES "departments" ("id") ON DELETE SET DEFAULT
))",
                                                  });
    CHECK(metadata.drop_statements(sqlite()) ==
          Statements{R"(DROP TABLE "employees")", R"(DROP TABLE "departments")"});
}

TEST_CASE("identifiers with quotes, spaces and reserved words are quoted by the dialect") {
    auto t = make_table("order \"items\"");
    t.columns = {column("select", sa::TypeKind::integer)};
    t.primary_key = {"my pk", {"select"}};
    t.indexes = {{"by\"select", {"select"}, false}};
    const sa::MetaData metadata({t});
    for (const sa::Dialect* dialect : {&sqlite(), &postgresql()}) {
        const auto statements = metadata.create_statements(*dialect);
        REQUIRE(statements.size() == 2);
        CHECK(statements[0] == R"(CREATE TABLE "order ""items""" (
    "select" INTEGER NOT NULL,
    CONSTRAINT "my pk" PRIMARY KEY ("select")
))");
        CHECK(statements[1] == R"(CREATE INDEX "by""select" ON "order ""items""" ("select"))");
    }
}

TEST_CASE("a table without a primary key has no PRIMARY KEY clause") {
    auto t = make_table("log");
    t.columns = {column("line", sa::TypeKind::text)};
    CHECK(sa::MetaData({t}).create_statements(postgresql()) == Statements{R"(CREATE TABLE "log" (
    "line" TEXT NOT NULL
))"});
}

TEST_CASE("SQLite autoincrements only an integer column that is the whole primary key") {
    const auto rejects = [](sa::Table t) {
        REQUIRE_THROWS_MATCHES(sa::MetaData({t}).create_statements(sqlite()), sa::ArgumentError,
                               MessageContains("column 'id' of table 'things' is autoincrement, but SQLite"));
    };
    auto composite = make_table("things");
    composite.columns = {autoincrement("id", sa::TypeKind::integer), column("part", sa::TypeKind::integer)};
    composite.primary_key.columns = {"id", "part"};
    rejects(composite);

    auto not_a_key = make_table("things");
    not_a_key.columns = {column("code", sa::TypeKind::text), autoincrement("id", sa::TypeKind::integer)};
    not_a_key.primary_key.columns = {"code"};
    rejects(not_a_key);

    auto text_key = make_table("things");
    text_key.columns = {autoincrement("id", sa::TypeKind::text)};
    text_key.primary_key.columns = {"id"};
    rejects(text_key);

    // PostgreSQL accepts an identity column that is part of a composite key.
    CHECK_NOTHROW(sa::MetaData({composite}).create_statements(postgresql()));
}

TEST_CASE("PostgreSQL identity columns must have an integer type") {
    auto t = make_table("things");
    t.columns = {autoincrement("id", sa::TypeKind::single_precision)};
    t.primary_key.columns = {"id"};
    REQUIRE_THROWS_MATCHES(
        sa::MetaData({t}).create_statements(postgresql()), sa::ArgumentError,
        MessageContains("column 'id' of table 'things' is autoincrement, but PostgreSQL identity "
                        "columns must have an integer type"));
}
