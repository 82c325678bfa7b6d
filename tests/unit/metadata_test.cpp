// MetaData without a database: foreign-key ordering, reference cycles, the naming
// convention (with its 63-byte limit) and the validation of tables.
#include <alchemy/alchemy.hpp>
#include <alchemy/schema/metadata.hpp>
#include <alchemy/schema/naming.hpp>

#include "support/matchers.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <utility>
#include <vector>

namespace sa = alchemy;
using sa::test::MessageContains;

namespace {

const sa::Dialect& sqlite() { return sa::driver_for(sa::make_url("sqlite://")).dialect(); }

sa::Column column(std::string name, sa::TypeKind kind, bool nullable = false) {
    sa::Column c;
    c.name = std::move(name);
    c.type.kind = kind;
    c.nullable = nullable;
    return c;
}

/// A table with an integer "id" primary key and one "<referred>_id" column per reference.
sa::Table table(std::string name, std::vector<std::string> referred = {}) {
    sa::Table t;
    t.name = std::move(name);
    t.columns.push_back(column("id", sa::TypeKind::integer));
    t.primary_key.columns = {"id"};
    for (auto& other : referred) {
        const auto fk_column = other + "_id";
        t.columns.push_back(column(fk_column, sa::TypeKind::integer, true));
        t.foreign_keys.push_back({"",
                                  {fk_column},
                                  std::move(other),
                                  {"id"},
                                  sa::ReferentialAction::no_action,
                                  sa::ReferentialAction::no_action});
    }
    return t;
}

std::vector<std::string> names(const std::vector<const sa::Table*>& tables) {
    std::vector<std::string> result;
    for (const auto* t : tables) result.push_back(t->name);
    return result;
}

using Names = std::vector<std::string>;

/// The cycle foreign keys as "table.fk_name".
Names cycle_names(const sa::MetaData& metadata) {
    Names result;
    for (const auto& [t, fk] : metadata.cycle_foreign_keys()) result.push_back(t->name + "." + fk->name);
    return result;
}

}  // namespace

TEST_CASE("a child declared before its parent is created after it") {
    const sa::MetaData metadata({table("posts", {"users"}), table("users")});
    CHECK(names(metadata.sorted_tables()) == Names{"users", "posts"});
    CHECK(metadata.cycle_foreign_keys().empty());
}

TEST_CASE("tables without references between them keep their declared order") {
    const sa::MetaData metadata({table("c"), table("a"), table("b")});
    CHECK(names(metadata.sorted_tables()) == Names{"c", "a", "b"});
}

TEST_CASE("a chain declared backwards comes out parents first, ties in declared order") {
    // comments -> posts -> users, tags alone, likes -> users.
    const sa::MetaData metadata({table("comments", {"posts"}), table("posts", {"users"}), table("tags"),
                                 table("likes", {"users"}), table("users")});
    CHECK(names(metadata.sorted_tables()) == Names{"tags", "users", "posts", "comments", "likes"});
}

TEST_CASE("a self-reference neither orders a table nor counts as a cycle") {
    const sa::MetaData metadata({table("nodes", {"nodes", "trees"}), table("trees")});
    CHECK(names(metadata.sorted_tables()) == Names{"trees", "nodes"});
    CHECK(metadata.cycle_foreign_keys().empty());
}

TEST_CASE("tables in a cycle keep their declared order and the forward reference closes it") {
    const sa::MetaData metadata({table("employees", {"departments"}), table("departments", {"employees"})});
    CHECK(names(metadata.sorted_tables()) == Names{"employees", "departments"});
    CHECK(cycle_names(metadata) == Names{"employees.fk_employees_departments_id_departments"});
}

TEST_CASE("a table that refers into a cycle comes after the whole cycle") {
    // reports -> b; a <-> b; b -> base; a declared after b.
    const sa::MetaData metadata(
        {table("reports", {"b"}), table("b", {"a", "base"}), table("a", {"b"}), table("base")});
    CHECK(names(metadata.sorted_tables()) == Names{"base", "b", "a", "reports"});
    CHECK(cycle_names(metadata) == Names{"b.fk_b_a_id_a"});
}

TEST_CASE("every forward reference of a three-table cycle is added after creation") {
    const sa::MetaData metadata({table("x", {"y"}), table("y", {"z"}), table("z", {"x"})});
    CHECK(names(metadata.sorted_tables()) == Names{"x", "y", "z"});
    CHECK(cycle_names(metadata) == Names{"x.fk_x_y_id_y", "y.fk_y_z_id_z"});
}

TEST_CASE("the naming convention names constraints after the table and columns") {
    const std::vector<std::string> columns{"first", "last"};
    CHECK(sa::naming::primary_key("users") == "pk_users");
    CHECK(sa::naming::unique("users", columns) == "uq_users_first_last");
    CHECK(sa::naming::index("users", columns) == "ix_users_first_last");
    CHECK(sa::naming::foreign_key("posts", std::vector<std::string>{"user_id"}, "users") ==
          "fk_posts_user_id_users");
    CHECK(sa::naming::check("users", "age_positive") == "ck_users_age_positive");
}

TEST_CASE("names over 63 bytes keep 54 bytes and end in a hash of the full name") {
    const std::vector<std::string> columns{"customer_order_id", "customer_order_line_number"};
    const auto name = sa::naming::foreign_key("customer_order_line_items", columns, "customer_orders");
    // FNV-1a (32 bit) of the 89-byte full name.
    CHECK(name == "fk_customer_order_line_items_customer_order_id_custome_785bde9e");
    CHECK(name.size() == 63);
    CHECK(sa::naming::foreign_key("customer_order_line_items", columns, "customer_orders") == name);
    CHECK(sa::naming::foreign_key("customer_order_line_items", columns, "customer_orders2") != name);

    const std::string exactly_63 = "ix_" + std::string(60, 'a');
    CHECK(sa::naming::truncate(exactly_63) == exactly_63);
    CHECK(sa::naming::truncate("ix_" + std::string(70, 'a')) == "ix_" + std::string(51, 'a') + "_117533d7");
}

TEST_CASE("a shortened name never ends in half a UTF-8 character") {
    std::string accents;
    for (int i = 0; i < 40; ++i) accents += "\xc3\xa9";  // é
    std::string kept;
    for (int i = 0; i < 25; ++i) kept += "\xc3\xa9";
    CHECK(sa::naming::truncate("ck_" + accents) == "ck_" + kept + "_237c2f6c");
}

TEST_CASE("constraints and indexes declared without a name get the conventional one") {
    sa::Table t = table("posts", {"users"});
    t.columns.push_back(column("slug", sa::TypeKind::text));
    t.unique_constraints = {{"", {"slug"}}};
    t.indexes = {{"", {"users_id", "slug"}, false}, {"mine", {"slug"}, false}};
    const sa::MetaData metadata({t, table("users")});
    const sa::Table* posts = metadata.table("posts");
    REQUIRE(posts);
    CHECK(posts->primary_key.name == "pk_posts");
    CHECK(posts->unique_constraints[0].name == "uq_posts_slug");
    CHECK(posts->indexes[0].name == "ix_posts_users_id_slug");
    CHECK(posts->indexes[1].name == "mine");
    CHECK(posts->foreign_keys[0].name == "fk_posts_users_id_users");
    CHECK(metadata.table("nope") == nullptr);
    CHECK(posts->column("slug") == &posts->columns[2]);
    CHECK(posts->column("nope") == nullptr);
}

TEST_CASE("a second table with the same name is refused") {
    sa::MetaData metadata;
    metadata.add(table("users"));
    REQUIRE_THROWS_MATCHES(metadata.add(table("users")), sa::ArgumentError,
                           MessageContains("already has a table named 'users'"));
    CHECK(metadata.tables().size() == 1);
}

TEST_CASE("constraints naming a column the table does not have are refused") {
    sa::Table bad_pk = table("users");
    bad_pk.primary_key.columns = {"uid"};
    REQUIRE_THROWS_MATCHES(sa::MetaData({bad_pk}), sa::ArgumentError,
                           MessageContains("the primary key of table 'users' names column 'uid', which table "
                                           "'users' does not have"));

    sa::Table bad_unique = table("users");
    bad_unique.unique_constraints = {{"", {"id", "email"}}};
    REQUIRE_THROWS_MATCHES(
        sa::MetaData({bad_unique}), sa::ArgumentError,
        MessageContains("unique constraint 'uq_users_id_email' of table 'users' names column "
                        "'email'"));

    sa::Table bad_index = table("users");
    bad_index.indexes = {{"by_name", {"name"}, false}};
    REQUIRE_THROWS_MATCHES(sa::MetaData({bad_index}), sa::ArgumentError,
                           MessageContains("index 'by_name' of table 'users' names column 'name'"));

    sa::Table bad_fk = table("posts");
    bad_fk.foreign_keys = {{"",
                            {"user_id"},
                            "users",
                            {"id"},
                            sa::ReferentialAction::no_action,
                            sa::ReferentialAction::no_action}};
    REQUIRE_THROWS_MATCHES(
        sa::MetaData({bad_fk}), sa::ArgumentError,
        MessageContains("foreign key 'fk_posts_user_id_users' of table 'posts' names column "
                        "'user_id'"));

    sa::Table empty_unique = table("users");
    empty_unique.unique_constraints = {{"uq_nothing", {}}};
    REQUIRE_THROWS_MATCHES(
        sa::MetaData({empty_unique}), sa::ArgumentError,
        MessageContains("unique constraint 'uq_nothing' of table 'users' names no columns"));
}

TEST_CASE("a foreign key must name as many columns as it refers to") {
    sa::Table posts = table("posts", {"users"});
    posts.foreign_keys[0].referred_columns = {"id", "tenant"};
    REQUIRE_THROWS_MATCHES(
        sa::MetaData({posts}), sa::ArgumentError,
        MessageContains("foreign key 'fk_posts_users_id_users' of table 'posts' has 1 column(s) "
                        "but refers to 2 column(s) of table 'users'"));
}

TEST_CASE("a foreign key to a table outside the MetaData is refused on create") {
    const sa::MetaData metadata({table("posts", {"users"})});  // adding it is fine
    REQUIRE_THROWS_MATCHES(
        metadata.create_statements(sqlite()), sa::ArgumentError,
        MessageContains("foreign key 'fk_posts_users_id_users' of table 'posts' refers to table "
                        "'users', which is not in this MetaData"));
    CHECK(metadata.drop_statements(sqlite()) == std::vector<std::string>{R"(DROP TABLE "posts")"});
}

TEST_CASE("a foreign key to a column the referred table does not have is refused on create") {
    sa::Table posts = table("posts", {"users"});
    posts.foreign_keys[0].referred_columns = {"uid"};
    const sa::MetaData metadata({posts, table("users")});
    REQUIRE_THROWS_MATCHES(metadata.create_statements(sqlite()), sa::ArgumentError,
                           MessageContains("refers to column 'uid', which table 'users' does not have"));
}

TEST_CASE("malformed tables are refused with a sentence naming the table") {
    sa::Table no_columns;
    no_columns.name = "empty";
    REQUIRE_THROWS_MATCHES(sa::MetaData({no_columns}), sa::ArgumentError,
                           MessageContains("table 'empty' has no columns"));
    REQUIRE_THROWS_MATCHES(sa::MetaData({sa::Table()}), sa::ArgumentError,
                           MessageContains("a table needs a name"));

    sa::Table twice = table("users");
    twice.columns.push_back(column("id", sa::TypeKind::text));
    REQUIRE_THROWS_MATCHES(sa::MetaData({twice}), sa::ArgumentError,
                           MessageContains("table 'users' has two columns named 'id'"));

    sa::Table generated_twice = table("users");
    generated_twice.columns[0].autoincrement = true;
    generated_twice.columns[0].server_default = "7";
    REQUIRE_THROWS_MATCHES(
        sa::MetaData({generated_twice}), sa::ArgumentError,
        MessageContains("column 'id' of table 'users' is autoincrement and also has a server "
                        "default"));

    sa::Table unnamed_check = table("users");
    unnamed_check.check_constraints = {{"", "id > 0"}};
    REQUIRE_THROWS_MATCHES(
        sa::MetaData({unnamed_check}), sa::ArgumentError,
        MessageContains("the check constraint CHECK (id > 0) of table 'users' has no name"));
}
