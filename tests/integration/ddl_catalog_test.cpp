// MetaData::create_all / drop_all on a live database: what they create is read back from
// the backend's own catalog, and the constraints are shown to do their job.
#include <alchemy/migrate/autogenerate.hpp>
#include <alchemy/migrate/inspect.hpp>
#include <alchemy/schema/metadata.hpp>

#include "support/backends.hpp"
#include "support/matchers.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

namespace sa = alchemy;
using sa::test::backends;

namespace {

using Strings = std::vector<std::string>;

sa::Table make_table(std::string name) {
    sa::Table t;
    t.name = std::move(name);
    return t;
}
sa::Column column(std::string name, sa::TypeKind kind, bool nullable = false,
                  std::optional<std::string> server_default = std::nullopt) {
    sa::Column c;
    c.name = std::move(name);
    c.type.kind = kind;
    c.nullable = nullable;
    c.server_default = std::move(server_default);
    return c;
}
sa::ForeignKey references(std::string column, std::string table,
                          sa::ReferentialAction on_delete = sa::ReferentialAction::no_action,
                          sa::ReferentialAction on_update = sa::ReferentialAction::no_action) {
    return {"", {std::move(column)}, std::move(table), {"id"}, on_delete, on_update};
}

// memberships -> users, memberships -> groups, groups -> groups; declared child first.
sa::MetaData membership_model() {
    auto memberships = make_table("memberships");
    memberships.columns = {
        column("user_id", sa::TypeKind::big_integer),
        column("group_id", sa::TypeKind::integer),
        column("role", sa::TypeKind::text, false, "'member'"),
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
    auto id = column("id", sa::TypeKind::big_integer);
    id.autoincrement = true;
    auto name = column("name", sa::TypeKind::text);
    name.type.length = 50;
    users.columns = {
        id,
        name,
        column("email", sa::TypeKind::text, true),
        column("nickname", sa::TypeKind::text, true),
        column("age", sa::TypeKind::small_integer, true),
        column("status", sa::TypeKind::text, false, "'active'"),
        column("active", sa::TypeKind::boolean, false, "TRUE"),
        column("score", sa::TypeKind::double_precision, false, "0"),
        column("ratio", sa::TypeKind::single_precision, true),
        column("avatar", sa::TypeKind::blob, true),
        column("created_at", sa::TypeKind::timestamp, false, "CURRENT_TIMESTAMP"),
        column("birthday", sa::TypeKind::date, true),
    };
    users.primary_key.columns = {"id"};
    users.unique_constraints = {{"", {"email"}}};
    users.indexes = {
        {"", {"name"}, false}, {"users_by_age", {"age", "name"}, false}, {"", {"nickname"}, true}};
    users.check_constraints = {{"ck_users_age", "age >= 0"}};

    auto groups = make_table("groups");
    groups.columns = {column("id", sa::TypeKind::integer), column("name", sa::TypeKind::text),
                      column("parent_id", sa::TypeKind::integer, true)};
    groups.primary_key.columns = {"id"};
    groups.foreign_keys = {
        references("parent_id", "groups", sa::ReferentialAction::set_null, sa::ReferentialAction::cascade)};

    return sa::MetaData({memberships, users, groups});
}

// departments.manager_id -> employees, employees.department_id -> departments.
sa::MetaData cycle_model() {
    auto departments = make_table("departments");
    departments.columns = {column("id", sa::TypeKind::integer),
                           column("manager_id", sa::TypeKind::integer, true)};
    departments.primary_key.columns = {"id"};
    departments.foreign_keys = {references("manager_id", "employees")};

    auto employees = make_table("employees");
    employees.columns = {column("id", sa::TypeKind::integer), column("department_id", sa::TypeKind::integer)};
    employees.primary_key.columns = {"id"};
    employees.foreign_keys = {references("department_id", "departments")};
    return sa::MetaData({departments, employees});
}

/// Rows of a catalog query, optionally with the table name bound to ":table".
template <class... Ts>
auto query(sa::Connection& conn, std::string sql, std::optional<std::string> table = {}) {
    auto stmt = sa::text(std::move(sql));
    if (table) stmt.bind("table", *table);
    return conn.execute(stmt.columns<Ts...>()).all();
}

void run(sa::Engine& engine, const std::string& sql) {
    auto conn = engine.begin();
    conn.execute_script(sql);
    conn.commit();
}

template <class Expected>
void expect_rejected(sa::Engine& engine, const std::string& sql) {
    auto conn = engine.begin();
    CHECK_THROWS_AS(conn.execute_script(sql), Expected);
}

Strings table_names(sa::Engine& engine, const sa::test::Backend& backend) {
    auto conn = engine.connect();
    if (backend.is_sqlite())
        return query<std::string>(conn, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name");
    return query<std::string>(conn,
                              "SELECT table_name::text FROM information_schema.tables "
                              "WHERE table_schema = current_schema() ORDER BY table_name");
}

std::int64_t index_count(sa::Engine& engine, const sa::test::Backend& backend) {
    auto conn = engine.connect();
    if (backend.is_sqlite())
        return query<std::int64_t>(conn, "SELECT count(*) FROM sqlite_master WHERE type = 'index'")[0];
    return query<std::int64_t>(conn,
                               "SELECT count(*) FROM pg_indexes WHERE schemaname = current_schema()")[0];
}

/// The statements a create_all logged, one per CREATE.
Strings logged_creates(const sa::test::EchoCapture& capture) {
    Strings creates;
    for (const auto& line : capture.lines)
        if (line.starts_with("CREATE ") || line.starts_with("ALTER ")) creates.push_back(line);
    return creates;
}

void check_sqlite_catalog(sa::Connection& conn, const sa::MetaData& metadata) {
    // sqlite_master keeps each CREATE statement verbatim: exactly what was rendered, and
    // nothing else (the automatic indexes behind UNIQUE and PRIMARY KEY have no SQL).
    auto stored = query<std::string>(conn, "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL");
    auto rendered = metadata.create_statements(conn.dialect());
    std::ranges::sort(stored);
    std::ranges::sort(rendered);
    CHECK(stored == rendered);

    using ColumnInfo = std::tuple<std::string, std::string, bool, std::optional<std::string>, std::int64_t>;
    CHECK(query<std::string, std::string, bool, std::optional<std::string>, std::int64_t>(
              conn,
              "SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_info(:table) "
              "ORDER BY cid",
              "users") == std::vector<ColumnInfo>{
                              {"id", "INTEGER", true, std::nullopt, 1},
                              {"name", "VARCHAR(50)", true, std::nullopt, 0},
                              {"email", "TEXT", false, std::nullopt, 0},
                              {"nickname", "TEXT", false, std::nullopt, 0},
                              {"age", "INTEGER", false, std::nullopt, 0},
                              {"status", "TEXT", true, "'active'", 0},
                              {"active", "BOOLEAN", true, "TRUE", 0},
                              {"score", "REAL", true, "0", 0},
                              {"ratio", "REAL", false, std::nullopt, 0},
                              {"avatar", "BLOB", false, std::nullopt, 0},
                              {"created_at", "DATETIME", true, "CURRENT_TIMESTAMP", 0},
                              {"birthday", "DATE", false, std::nullopt, 0},
                          });
    CHECK(
        query<std::string, std::int64_t>(
            conn, "SELECT name, pk FROM pragma_table_info(:table) WHERE pk > 0 ORDER BY pk", "memberships") ==
        std::vector<std::tuple<std::string, std::int64_t>>{{"user_id", 1}, {"group_id", 2}});

    // origin: 'c' CREATE INDEX, 'u' UNIQUE constraint, 'pk' PRIMARY KEY.
    using IndexInfo = std::tuple<std::string, bool, std::string>;
    CHECK(query<std::string, bool, std::string>(
              conn,
              "SELECT name, \"unique\", origin FROM pragma_index_list(:table) "
              "WHERE origin = 'c' ORDER BY name",
              "users") == std::vector<IndexInfo>{{"ix_users_name", false, "c"},
                                                 {"ix_users_nickname", true, "c"},
                                                 {"users_by_age", false, "c"}});
    CHECK(query<std::string>(conn, "SELECT origin FROM pragma_index_list(:table) WHERE origin <> 'c'",
                             "users") == Strings{"u"});
    CHECK(query<std::string>(conn, "SELECT origin FROM pragma_index_list(:table) ORDER BY origin",
                             "memberships") == Strings{"pk", "u"});

    using ForeignKeyInfo = std::tuple<std::string, std::string, std::string, std::string, std::string>;
    CHECK(query<std::string, std::string, std::string, std::string, std::string>(
              conn,
              "SELECT \"table\", \"from\", \"to\", on_update, on_delete "
              "FROM pragma_foreign_key_list(:table) ORDER BY \"from\"",
              "memberships") ==
          std::vector<ForeignKeyInfo>{{"groups", "group_id", "id", "CASCADE", "CASCADE"},
                                      {"users", "user_id", "id", "NO ACTION", "CASCADE"}});
    CHECK(query<std::string, std::string, std::string, std::string, std::string>(
              conn,
              "SELECT \"table\", \"from\", \"to\", on_update, on_delete "
              "FROM pragma_foreign_key_list(:table)",
              "groups") == std::vector<ForeignKeyInfo>{{"groups", "parent_id", "id", "CASCADE", "SET NULL"}});
}

void check_postgresql_catalog(sa::Connection& conn) {
    using ColumnInfo = std::tuple<std::string, std::string, std::string, std::optional<std::string>,
                                  std::optional<std::int64_t>, std::string>;
    CHECK(
        query<std::string, std::string, std::string, std::optional<std::string>, std::optional<std::int64_t>,
              std::string>(conn,
                           "SELECT column_name::text, data_type::text, is_nullable::text, "
                           "column_default::text, character_maximum_length::bigint, is_identity::text "
                           "FROM information_schema.columns "
                           "WHERE table_schema = current_schema() AND table_name = :table "
                           "ORDER BY ordinal_position",
                           "users") ==
        std::vector<ColumnInfo>{
            {"id", "bigint", "NO", std::nullopt, std::nullopt, "YES"},
            {"name", "character varying", "NO", std::nullopt, 50, "NO"},
            {"email", "text", "YES", std::nullopt, std::nullopt, "NO"},
            {"nickname", "text", "YES", std::nullopt, std::nullopt, "NO"},
            {"age", "smallint", "YES", std::nullopt, std::nullopt, "NO"},
            {"status", "text", "NO", "'active'::text", std::nullopt, "NO"},
            {"active", "boolean", "NO", "true", std::nullopt, "NO"},
            {"score", "double precision", "NO", "0", std::nullopt, "NO"},
            {"ratio", "real", "YES", std::nullopt, std::nullopt, "NO"},
            {"avatar", "bytea", "YES", std::nullopt, std::nullopt, "NO"},
            {"created_at", "timestamp with time zone", "NO", "CURRENT_TIMESTAMP", std::nullopt, "NO"},
            {"birthday", "date", "YES", std::nullopt, std::nullopt, "NO"},
        });

    // NOT NULL columns also show up here as generated CHECK constraints; leave them out.
    using ConstraintInfo = std::tuple<std::string, std::string, std::string>;
    CHECK(query<std::string, std::string, std::string>(
              conn,
              "SELECT table_name::text, constraint_name::text, constraint_type::text "
              "FROM information_schema.table_constraints "
              "WHERE table_schema = current_schema() AND constraint_name::text NOT LIKE "
              "'%not_null' ORDER BY table_name, constraint_name") ==
          std::vector<ConstraintInfo>{
              {"groups", "fk_groups_parent_id_groups", "FOREIGN KEY"},
              {"groups", "pk_groups", "PRIMARY KEY"},
              {"memberships", "ck_memberships_rank", "CHECK"},
              {"memberships", "fk_memberships_group_id_groups", "FOREIGN KEY"},
              {"memberships", "fk_memberships_user_id_users", "FOREIGN KEY"},
              {"memberships", "pk_memberships", "PRIMARY KEY"},
              {"memberships", "uq_memberships_group_id_rank", "UNIQUE"},
              {"users", "ck_users_age", "CHECK"},
              {"users", "pk_users", "PRIMARY KEY"},
              {"users", "uq_users_email", "UNIQUE"},
          });

    using KeyColumn = std::tuple<std::string, std::string>;
    CHECK(query<std::string, std::string>(conn,
                                          "SELECT constraint_name::text, column_name::text "
                                          "FROM information_schema.key_column_usage "
                                          "WHERE table_schema = current_schema() AND table_name = :table "
                                          "ORDER BY constraint_name, ordinal_position",
                                          "memberships") ==
          std::vector<KeyColumn>{
              {"fk_memberships_group_id_groups", "group_id"},
              {"fk_memberships_user_id_users", "user_id"},
              {"pk_memberships", "user_id"},
              {"pk_memberships", "group_id"},
              {"uq_memberships_group_id_rank", "group_id"},
              {"uq_memberships_group_id_rank", "rank"},
          });

    using Referential = std::tuple<std::string, std::string, std::string, std::string>;
    CHECK(query<std::string, std::string, std::string, std::string>(
              conn,
              "SELECT constraint_name::text, unique_constraint_name::text, update_rule::text, "
              "delete_rule::text FROM information_schema.referential_constraints "
              "WHERE constraint_schema = current_schema() ORDER BY constraint_name") ==
          std::vector<Referential>{
              {"fk_groups_parent_id_groups", "pk_groups", "CASCADE", "SET NULL"},
              {"fk_memberships_group_id_groups", "pk_groups", "CASCADE", "CASCADE"},
              {"fk_memberships_user_id_users", "pk_users", "NO ACTION", "CASCADE"},
          });

    const auto checks = query<std::string, std::string>(
        conn,
        "SELECT constraint_name::text, check_clause::text "
        "FROM information_schema.check_constraints "
        "WHERE constraint_schema = current_schema() AND constraint_name::text LIKE 'ck\\_%' "
        "ORDER BY constraint_name");
    REQUIRE(checks.size() == 2);
    CHECK(std::get<0>(checks[0]) == "ck_memberships_rank");
    CHECK_THAT(std::get<1>(checks[0]), Catch::Matchers::Contains("rank > 0"));
    CHECK(std::get<0>(checks[1]) == "ck_users_age");
    CHECK_THAT(std::get<1>(checks[1]), Catch::Matchers::Contains("age >= 0"));

    const auto indexes = query<std::string, std::string>(
        conn,
        "SELECT indexname::text, indexdef FROM pg_indexes "
        "WHERE schemaname = current_schema() AND tablename = :table ORDER BY indexname",
        "users");
    Strings index_names;
    for (const auto& [name, definition] : indexes) index_names.push_back(name);
    CHECK(index_names ==
          Strings{"ix_users_name", "ix_users_nickname", "pk_users", "uq_users_email", "users_by_age"});
    CHECK_THAT(std::get<1>(indexes[1]),
               Catch::Matchers::StartsWith("CREATE UNIQUE INDEX ix_users_nickname ON"));
    CHECK_THAT(std::get<1>(indexes[1]), Catch::Matchers::EndsWith("(nickname)"));
    CHECK_THAT(std::get<1>(indexes[4]), Catch::Matchers::StartsWith("CREATE INDEX users_by_age ON") &&
                                            Catch::Matchers::EndsWith("(age, name)"));
}

}  // namespace

TEST_CASE("create_all builds every column, constraint and index, as the catalog shows", "[ddl]") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    const auto metadata = membership_model();
    metadata.create_all(engine);

    CHECK(table_names(engine, backend) == Strings{"groups", "memberships", "users"});
    auto conn = engine.connect();
    if (backend.is_sqlite()) check_sqlite_catalog(conn, metadata);
    else check_postgresql_catalog(conn);
}

TEST_CASE("the created constraints, defaults and generated keys do their job", "[ddl]") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    membership_model().create_all(engine);

    run(engine,
        "INSERT INTO users (name, email, age) VALUES ('ann', 'ann@example.com', 30);"
        "INSERT INTO users (name, email) VALUES ('bob', 'bob@example.com');"
        "INSERT INTO groups (id, name) VALUES (1, 'admins');"
        "INSERT INTO groups (id, name, parent_id) VALUES (2, 'owners', 1);"
        "INSERT INTO memberships (user_id, group_id, rank) VALUES (1, 1, 1);"
        "INSERT INTO memberships (user_id, group_id, rank) VALUES (2, 1, 2);");
    // One database for the whole test (a SECTION would run the inserts again), so the
    // checks that change rows come last.
    {
        INFO("the autoincrement key numbers rows and server defaults fill omitted columns");
        auto conn = engine.connect();
        using Row = std::tuple<std::int64_t, std::string, std::string, bool, double>;
        CHECK(query<std::int64_t, std::string, std::string, bool, double>(
                  conn, "SELECT id, name, status, active, score FROM users ORDER BY id") ==
              std::vector<Row>{{1, "ann", "active", true, 0.0}, {2, "bob", "active", true, 0.0}});
        CHECK(query<std::string>(conn, "SELECT role FROM memberships ORDER BY user_id") ==
              Strings{"member", "member"});
        CHECK(query<std::int64_t>(conn, "SELECT count(*) FROM users WHERE created_at IS NOT NULL") ==
              std::vector<std::int64_t>{2});
    }
    {
        INFO("a duplicate violates the unique constraints and the unique index");
        expect_rejected<sa::UniqueViolation>(
            engine, "INSERT INTO users (name, email) VALUES ('cid', 'ann@example.com')");
        run(engine, "UPDATE users SET nickname = 'a' WHERE id = 1");
        expect_rejected<sa::UniqueViolation>(engine, "UPDATE users SET nickname = 'a' WHERE id = 2");
        expect_rejected<sa::UniqueViolation>(engine, "UPDATE memberships SET rank = 1 WHERE user_id = 2");
        expect_rejected<sa::UniqueViolation>(engine,
                                             "INSERT INTO memberships (user_id, group_id) VALUES (1, 1)");
    }
    {
        INFO("a missing parent violates the foreign key");
        expect_rejected<sa::ForeignKeyViolation>(
            engine, "INSERT INTO memberships (user_id, group_id) VALUES (99, 1)");
        expect_rejected<sa::ForeignKeyViolation>(
            engine, "INSERT INTO groups (id, name, parent_id) VALUES (3, 'x', 99)");
    }
    {
        INFO("the CHECK constraints reject bad rows, NOT NULL columns must be given");
        expect_rejected<sa::CheckViolation>(engine, "INSERT INTO users (name, age) VALUES ('eve', -1)");
        expect_rejected<sa::CheckViolation>(
            engine, "INSERT INTO memberships (user_id, group_id, rank) VALUES (1, 2, 0)");
        expect_rejected<sa::NotNullViolation>(engine, "INSERT INTO users (email) VALUES ('x')");
    }
    {
        INFO("deleting or renumbering a parent cascades or sets null as declared");
        run(engine, "DELETE FROM users WHERE id = 1");
        auto conn = engine.connect();
        CHECK(query<std::int64_t>(conn, "SELECT user_id FROM memberships") == std::vector<std::int64_t>{2});
        conn.close();

        run(engine, "UPDATE groups SET id = 10 WHERE id = 1");
        conn = engine.connect();
        CHECK(query<std::int64_t>(conn, "SELECT group_id FROM memberships") == std::vector<std::int64_t>{10});
        CHECK(query<std::int64_t>(conn, "SELECT parent_id FROM groups WHERE id = 2") ==
              std::vector<std::int64_t>{10});
        conn.close();

        run(engine, "DELETE FROM groups WHERE id = 10");
        conn = engine.connect();
        CHECK(query<std::optional<std::int64_t>>(conn, "SELECT parent_id FROM groups") ==
              std::vector<std::optional<std::int64_t>>{std::nullopt});
        CHECK(query<std::int64_t>(conn, "SELECT count(*) FROM memberships") == std::vector<std::int64_t>{0});
    }
}

TEST_CASE("create_all with checkfirst skips the tables that exist, with their indexes", "[ddl]") {
    auto backend = GENERATE(from_range(backends()));
    sa::test::EchoCapture capture;
    auto engine = backend.engine({.echo = true, .echo_sink = capture.sink()});
    const auto metadata = membership_model();
    metadata.create_all(engine);
    CHECK(logged_creates(capture).size() == 6);  // three tables, three indexes

    capture.lines.clear();
    metadata.create_all(engine);
    CHECK(logged_creates(capture).empty());
    CHECK(table_names(engine, backend) == Strings{"groups", "memberships", "users"});

    run(engine, "DROP TABLE memberships");
    capture.lines.clear();
    metadata.create_all(engine);
    const auto creates = logged_creates(capture);
    REQUIRE(creates.size() == 1);
    CHECK_THAT(creates[0], Catch::Matchers::StartsWith("CREATE TABLE \"memberships\""));
    CHECK(index_count(engine, backend) == (backend.is_sqlite() ? 6 : 8));
}

TEST_CASE("create_all with checkfirst finds a table spelled in another case where the backend does",
          "[ddl]") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    run(engine, "CREATE TABLE \"Parents\" (id INTEGER PRIMARY KEY)");
    auto parents = make_table("parents");
    parents.columns = {column("id", sa::TypeKind::integer)};
    parents.primary_key.columns = {"id"};
    sa::MetaData({parents}).create_all(engine);
    // SQLite: one table, whatever the case; PostgreSQL: a quoted name keeps its case.
    CHECK(table_names(engine, backend) ==
          (backend.is_sqlite() ? Strings{"Parents"} : Strings{"Parents", "parents"}));
}

TEST_CASE("create_all runs in one transaction, so a failure leaves no table behind", "[ddl]") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    // memberships is created last; a table of that name makes the last CREATE fail.
    run(engine, "CREATE TABLE memberships (x INTEGER)");
    CHECK_THROWS_AS(membership_model().create_all(engine, false), sa::DatabaseError);
    CHECK(table_names(engine, backend) == Strings{"memberships"});
}

TEST_CASE("drop_all removes every table and index it created", "[ddl]") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    const auto metadata = membership_model();
    metadata.create_all(engine);
    run(engine,
        "INSERT INTO users (name) VALUES ('ann');"
        "INSERT INTO groups (id, name) VALUES (1, 'admins');"
        "INSERT INTO memberships (user_id, group_id) VALUES (1, 1);");

    metadata.drop_all(engine);
    CHECK(table_names(engine, backend).empty());
    CHECK(index_count(engine, backend) == 0);

    CHECK_NOTHROW(metadata.drop_all(engine));  // checkfirst: nothing left to drop
    CHECK_THROWS_AS(metadata.drop_all(engine, false), sa::DatabaseError);
}

TEST_CASE("drop_all refuses to leave rows of a table it keeps referring to a table it drops", "[ddl]") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    auto parents = make_table("parents");
    parents.columns = {column("id", sa::TypeKind::integer)};
    parents.primary_key.columns = {"id"};
    auto children = make_table("children");
    children.columns = {column("id", sa::TypeKind::integer), column("parent_id", sa::TypeKind::integer)};
    children.primary_key.columns = {"id"};
    children.foreign_keys = {references("parent_id", "parents")};
    sa::MetaData({parents, children}).create_all(engine);
    run(engine, "INSERT INTO parents (id) VALUES (1); INSERT INTO children (id, parent_id) VALUES (1, 1);");

    // children stays, and its row would point at nothing (SQLite's drop_all turns the
    // foreign-key check off, as a reference cycle needs); PostgreSQL refuses the drop too.
    CHECK_THROWS_AS(sa::MetaData({parents}).drop_all(engine), sa::DatabaseError);
    CHECK(table_names(engine, backend) == Strings{"children", "parents"});
    sa::MetaData({parents, children}).drop_all(engine);
    CHECK(table_names(engine, backend).empty());
}

TEST_CASE("a name longer than PostgreSQL keeps is refused before anything is created", "[ddl]") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    // 64 bytes: PostgreSQL would keep 63, and the table would never match its model again.
    const std::string long_name = "a_table_name_that_is_longer_than_postgresql_keeps_of_any_name_64";
    REQUIRE(long_name.size() == 64);
    auto table = make_table(long_name);
    table.columns = {column("id", sa::TypeKind::integer)};
    table.primary_key.columns = {"id"};
    auto indexed = make_table("short_name");
    indexed.columns = {column("id", sa::TypeKind::integer), column("name", sa::TypeKind::text)};
    indexed.indexes = {{"ix_" + long_name, {"name"}, false}};
    for (const auto& metadata : {sa::MetaData({table}), sa::MetaData({indexed})}) {
        const std::vector<std::string> none{};
        if (backend.is_postgresql()) {
            CHECK_THROWS_MATCHES(metadata.create_all(engine), sa::ArgumentError,
                                 sa::test::MessageContains("keeps only the first 63"));
            CHECK_THROWS_AS(sa::migrate::autogenerate(sa::inspect(engine), metadata, engine.dialect()),
                            sa::ArgumentError);
            CHECK(table_names(engine, backend).empty());
        } else {
            metadata.create_all(engine);  // SQLite keeps names of any length
            CHECK(sa::migrate::autogenerate(sa::inspect(engine), metadata, engine.dialect()).changes == none);
            metadata.drop_all(engine);
        }
    }
}

TEST_CASE("a reference cycle is created, enforced and dropped", "[ddl]") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine({.pool_size = 1});
    const auto metadata = cycle_model();
    metadata.create_all(engine);
    CHECK(table_names(engine, backend) == Strings{"departments", "employees"});

    run(engine,
        "INSERT INTO departments (id) VALUES (1);"
        "INSERT INTO employees (id, department_id) VALUES (1, 1);"
        "UPDATE departments SET manager_id = 1 WHERE id = 1;");
    expect_rejected<sa::ForeignKeyViolation>(engine, "UPDATE departments SET manager_id = 9 WHERE id = 1");
    expect_rejected<sa::ForeignKeyViolation>(engine,
                                             "INSERT INTO employees (id, department_id) VALUES (2, 9)");

    if (backend.is_postgresql()) {
        auto conn = engine.connect();
        CHECK(query<std::string>(conn,
                                 "SELECT constraint_name::text "
                                 "FROM information_schema.referential_constraints "
                                 "WHERE constraint_schema = current_schema() "
                                 "ORDER BY constraint_name") ==
              Strings{"fk_departments_manager_id_employees", "fk_employees_department_id_departments"});
    }

    // Both tables hold rows that refer to each other: neither can go first unless the
    // references are dropped (PostgreSQL) or not enforced during the drop (SQLite).
    metadata.drop_all(engine);
    CHECK(table_names(engine, backend).empty());
    CHECK(index_count(engine, backend) == 0);

    if (backend.is_sqlite()) {  // enforcement is back on for the pooled connection
        auto conn = engine.connect();
        CHECK(query<std::int64_t>(conn, "PRAGMA foreign_keys") == std::vector<std::int64_t>{1});
    }
}
