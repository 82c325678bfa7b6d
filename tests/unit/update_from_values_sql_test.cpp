// The text of UPDATE ... FROM (VALUES ...) (sql/update_from_values.hpp) and of the
// statement-tree pieces it is built from, per dialect. No database; the statement runs in
// tests/integration/update_from_values_test.cpp.
#include <alchemy/alchemy.hpp>
#include <alchemy/schema/sql_type_name.hpp>
#include <alchemy/sql/statement_tree.hpp>
#include <alchemy/sql/update_from_values.hpp>

#include <catch2/catch.hpp>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sa = alchemy;

namespace ufv_sql {

enum class Mood { calm, angry };

struct Item {
    std::int64_t id = 0;
    std::string code{};
    double price = 0;
    std::optional<std::chrono::sys_time<std::chrono::microseconds>> sold_at{};
    std::vector<std::byte> picture{};
    Mood mood = Mood::calm;
    std::int16_t revision = 0;
};

}  // namespace ufv_sql

template <>
inline constexpr auto sa::mapping<ufv_sql::Item> =
    sa::table("items", sa::max_length(&ufv_sql::Item::code, 12), sa::enum_as_text(&ufv_sql::Item::mood));

namespace {

const sa::Dialect& sqlite() { return sa::driver_for(sa::make_url("sqlite://")).dialect(); }
const sa::Dialect& pg() { return sa::driver_for(sa::make_url("postgresql://h/db")).dialect(); }

}  // namespace

TEST_CASE(
    "UPDATE FROM VALUES on PostgreSQL casts the first row to the columns' types, texts without length") {
    const auto table = sa::table_of<ufv_sql::Item>();
    const std::array<std::size_t, 6> set{1, 2, 3, 4, 5, 6};  // code .. revision
    const std::array<std::size_t, 2> match{0, 6};            // id, and the old revision
    CHECK(sa::detail::render_update_from_values(pg(), table, set, match, 2) ==
          R"(UPDATE "items" SET "code" = "sa_values"."column1", "price" = "sa_values"."column2", )"
          R"("sold_at" = "sa_values"."column3", "picture" = "sa_values"."column4", )"
          R"("mood" = "sa_values"."column5", "revision" = "sa_values"."column6" )"
          R"(FROM (VALUES (CAST($1 AS TEXT), CAST($2 AS DOUBLE PRECISION), )"
          R"(CAST($3 AS TIMESTAMP WITH TIME ZONE), CAST($4 AS BYTEA), CAST($5 AS TEXT), )"
          R"(CAST($6 AS SMALLINT), CAST($7 AS BIGINT), CAST($8 AS SMALLINT)), )"
          R"(($9, $10, $11, $12, $13, $14, $15, $16)) AS "sa_values" )"
          R"(WHERE ("items"."id" = "sa_values"."column7") AND ("items"."revision" = "sa_values"."column8"))");
}

TEST_CASE("UPDATE FROM VALUES sets onupdate columns to their SQL and returns the columns asked for") {
    const auto table = sa::table_of<ufv_sql::Item>();
    const std::array<std::size_t, 1> set{1};
    const std::array<std::size_t, 1> match{0};
    const std::array<sa::detail::SqlAssignment, 1> set_sql{{{6, "revision + 1"}}};
    const std::array<std::size_t, 2> returning{0, 6};
    CHECK(sa::detail::render_update_from_values(sqlite(), table, set, match, 2, set_sql, returning) ==
          R"(UPDATE "items" SET "code" = "sa_values"."column1", "revision" = revision + 1 )"
          R"(FROM (VALUES (?, ?), (?, ?)) AS "sa_values" )"
          R"(WHERE "items"."id" = "sa_values"."column2" RETURNING "items"."id", "items"."revision")");
}

TEST_CASE("UPDATE FROM VALUES on SQLite leaves the values uncast") {
    const auto table = sa::table_of<ufv_sql::Item>();
    const std::array<std::size_t, 2> set{2, 3};
    const std::array<std::size_t, 1> match{0};
    CHECK(sa::detail::render_update_from_values(sqlite(), table, set, match, 3) ==
          R"(UPDATE "items" SET "price" = "sa_values"."column1", "sold_at" = "sa_values"."column2" )"
          R"(FROM (VALUES (?, ?, ?), (?, ?, ?), (?, ?, ?)) AS "sa_values" )"
          R"(WHERE "items"."id" = "sa_values"."column3")");
}

TEST_CASE("one row of UPDATE FROM VALUES binds as many values as it names columns") {
    const auto table = sa::table_of<ufv_sql::Item>();
    const std::array<std::size_t, 1> set{1};
    const std::array<std::size_t, 1> match{0};
    CHECK(sa::detail::render_update_from_values(pg(), table, set, match, 1) ==
          R"(UPDATE "items" SET "code" = "sa_values"."column1" )"
          R"(FROM (VALUES (CAST($1 AS TEXT), CAST($2 AS BIGINT))) AS "sa_values" )"
          R"(WHERE "items"."id" = "sa_values"."column2")");
}

TEST_CASE("column types are named as each dialect's DDL names them") {
    using sa::ColumnType;
    using sa::TypeKind;
    CHECK(sa::sql_type_name(pg(), ColumnType{TypeKind::text, 40}) == "VARCHAR(40)");
    CHECK(sa::sql_type_name(pg(), ColumnType{TypeKind::text}) == "TEXT");
    CHECK(sa::sql_type_name(pg(), ColumnType{TypeKind::timestamp}) == "TIMESTAMP WITH TIME ZONE");
    CHECK(sa::sql_type_name(pg(), ColumnType{TypeKind::blob}) == "BYTEA");
    CHECK(sa::sql_type_name(sqlite(), ColumnType{TypeKind::big_integer}) == "INTEGER");
    CHECK(sa::sql_type_name(sqlite(), ColumnType{TypeKind::timestamp}) == "DATETIME");
}

TEST_CASE("a cast to a dialect's own type name renders the name as given") {
    namespace ast = sa::detail::ast;
    ast::Select s;
    ast::Node portable(ast::Kind::cast, "TIMESTAMP");
    portable.children.emplace_back(ast::Kind::parameter);
    ast::Node native(ast::Kind::cast, "TIMESTAMP");
    native.flag = true;
    native.children.emplace_back(ast::Kind::parameter);
    s.columns = {portable, native};
    CHECK(ast::render(pg(), s) == "SELECT CAST($1 AS TIMESTAMP WITH TIME ZONE), CAST($2 AS TIMESTAMP)");
    CHECK(ast::render(sqlite(), s) == "SELECT CAST(? AS TEXT), CAST(? AS TIMESTAMP)");
}

TEST_CASE("an UPDATE reads further tables from its FROM list") {
    namespace ast = sa::detail::ast;
    ast::Update u;
    u.table = "items";
    u.set.push_back({"price", ast::Node(ast::Kind::column, "price", "offers")});
    ast::TableRef offers;
    offers.name = "offers";
    u.from.push_back(offers);
    ast::Node same(ast::Kind::binary, "=");
    same.children.emplace_back(ast::Kind::column, "id", "items");
    same.children.emplace_back(ast::Kind::column, "item_id", "offers");
    u.where.push_back(same);
    CHECK(ast::render(sqlite(), u) == R"(UPDATE "items" SET "price" = "offers"."price" FROM "offers" )"
                                      R"(WHERE "items"."id" = "offers"."item_id")");
}
