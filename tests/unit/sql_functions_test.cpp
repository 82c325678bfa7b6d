// SQL functions, CASE, CAST, window functions, IS NULL and text concatenation: the SQL
// each renders per dialect and the C++ type each reads as. No database.
#include <alchemy/alchemy.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>

namespace sa = alchemy;

namespace fnsql {

struct Customer {
    std::int64_t id = 0;
    std::string name{};
    std::optional<std::string> nickname{};
    std::int32_t age = 0;
    std::optional<double> score{};
};

struct Purchase {
    std::int64_t id = 0;
    std::int64_t customer_id = 0;
    double amount = 0;
    std::int16_t quantity = 0;
    std::optional<std::int32_t> discount{};
};

}  // namespace fnsql

template <>
inline constexpr auto sa::mapping<fnsql::Customer> = sa::table("customers");
template <>
inline constexpr auto sa::mapping<fnsql::Purchase> = sa::table("purchases");

namespace {

using fnsql::Customer;
using fnsql::Purchase;

const sa::Dialect& sqlite() { return sa::driver_for(sa::make_url("sqlite://")).dialect(); }
const sa::Dialect& pg() { return sa::driver_for(sa::make_url("postgresql://h/db")).dialect(); }

constexpr auto id = sa::col<&Customer::id>;
constexpr auto name = sa::col<&Customer::name>;
constexpr auto nickname = sa::col<&Customer::nickname>;
constexpr auto age = sa::col<&Customer::age>;
constexpr auto score = sa::col<&Customer::score>;
constexpr auto amount = sa::col<&Purchase::amount>;
constexpr auto quantity = sa::col<&Purchase::quantity>;
constexpr auto discount = sa::col<&Purchase::discount>;
constexpr auto customer_id = sa::col<&Purchase::customer_id>;

template <class E>
using value_t = typename E::value_type;

}  // namespace

TEST_CASE("aggregates render as count, sum, avg, min and max", "[sql]") {
    const auto stmt = sa::select(name, sa::count(sa::col<&Purchase::id>), sa::sum(amount), sa::avg(quantity),
                                 sa::min(amount), sa::max(customer_id))
                          .join<Purchase>(customer_id == id)
                          .group_by(name);
    CHECK(stmt.sql(sqlite()) ==
          R"(SELECT "customers"."name", count("purchases"."id"), sum("purchases"."amount"), )"
          R"(avg("purchases"."quantity"), min("purchases"."amount"), max("purchases"."customer_id") )"
          R"(FROM "customers" JOIN "purchases" ON "purchases"."customer_id" = "customers"."id" )"
          R"(GROUP BY "customers"."name")");
    CHECK(stmt.sql(pg()) == stmt.sql(sqlite()));
}

TEST_CASE("count() is count(*), count<T>() selects from T, count_distinct adds DISTINCT", "[sql]") {
    CHECK(sa::select(sa::count<Customer>()).sql(sqlite()) == R"(SELECT count(*) FROM "customers")");
    CHECK(sa::select(age, sa::count()).group_by(age).sql(pg()) ==
          R"(SELECT "customers"."age", count(*) FROM "customers" GROUP BY "customers"."age")");
    CHECK(sa::select(sa::count_distinct(age)).sql(pg()) ==
          R"(SELECT count(DISTINCT "customers"."age") FROM "customers")");
}

TEST_CASE("aggregates read as the types the databases return", "[sql]") {
    STATIC_REQUIRE(std::is_same_v<value_t<decltype(sa::count())>, std::int64_t>);
    STATIC_REQUIRE(std::is_same_v<value_t<decltype(sa::count(nickname))>, std::int64_t>);
    STATIC_REQUIRE(std::is_same_v<value_t<decltype(sa::count_distinct(age))>, std::int64_t>);
    STATIC_REQUIRE(std::is_same_v<value_t<decltype(sa::sum(age))>, std::optional<std::int64_t>>);
    STATIC_REQUIRE(std::is_same_v<value_t<decltype(sa::sum(quantity))>, std::optional<std::int64_t>>);
    STATIC_REQUIRE(std::is_same_v<value_t<decltype(sa::sum(discount))>, std::optional<std::int64_t>>);
    STATIC_REQUIRE(std::is_same_v<value_t<decltype(sa::sum(amount))>, std::optional<double>>);
    STATIC_REQUIRE(std::is_same_v<value_t<decltype(sa::sum(score))>, std::optional<double>>);
    STATIC_REQUIRE(std::is_same_v<value_t<decltype(sa::avg(age))>, std::optional<double>>);
    STATIC_REQUIRE(std::is_same_v<value_t<decltype(sa::min(age))>, std::optional<std::int32_t>>);
    STATIC_REQUIRE(std::is_same_v<value_t<decltype(sa::max(nickname))>, std::optional<std::string>>);
    STATIC_REQUIRE(std::is_same_v<value_t<decltype(sa::max(score))>, std::optional<double>>);
    STATIC_REQUIRE(std::is_same_v<decltype(sa::select(sa::count<Customer>()))::row_type, std::int64_t>);
}

TEST_CASE("coalesce takes any number of arguments and binds plain values", "[sql]") {
    const auto stmt = sa::select(sa::coalesce(nickname, name, "anonymous"));
    CHECK(stmt.sql(sqlite()) ==
          R"(SELECT coalesce("customers"."nickname", "customers"."name", ?) FROM "customers")");
    CHECK(stmt.sql(pg()) ==
          R"(SELECT coalesce("customers"."nickname", "customers"."name", $1) FROM "customers")");
    sa::ParamBuffer params;
    stmt.bind(params);
    REQUIRE(params.params().size() == 1);
    CHECK(params.params()[0].bytes == "anonymous");
}

TEST_CASE("coalesce is optional only when every argument may be NULL", "[sql]") {
    STATIC_REQUIRE(std::is_same_v<value_t<decltype(sa::coalesce(nickname, "x"))>, std::string>);
    STATIC_REQUIRE(std::is_same_v<value_t<decltype(sa::coalesce(nickname, name))>, std::string>);
    STATIC_REQUIRE(
        std::is_same_v<value_t<decltype(sa::coalesce(nickname, nickname))>, std::optional<std::string>>);
    STATIC_REQUIRE(std::is_same_v<value_t<decltype(sa::coalesce(score, 0))>, double>);
    STATIC_REQUIRE(std::is_same_v<value_t<decltype(sa::coalesce(discount, std::int64_t{0}))>, std::int64_t>);
    STATIC_REQUIRE(
        std::is_same_v<value_t<decltype(sa::coalesce(sa::max(age), sa::null))>, std::optional<std::int32_t>>);
}

TEST_CASE("lower, upper and length apply to text", "[sql]") {
    const auto stmt =
        sa::select(sa::lower(name), sa::upper(nickname), sa::length(name)).where(sa::lower(name) == "ann");
    CHECK(stmt.sql(pg()) ==
          R"(SELECT lower("customers"."name"), upper("customers"."nickname"), length("customers"."name") )"
          R"(FROM "customers" WHERE lower("customers"."name") = $1)");
    STATIC_REQUIRE(std::is_same_v<value_t<decltype(sa::lower(name))>, std::string>);
    STATIC_REQUIRE(std::is_same_v<value_t<decltype(sa::upper(nickname))>, std::optional<std::string>>);
    STATIC_REQUIRE(std::is_same_v<value_t<decltype(sa::length(name))>, std::int64_t>);
    STATIC_REQUIRE(std::is_same_v<value_t<decltype(sa::length(nickname))>, std::optional<std::int64_t>>);
    STATIC_REQUIRE(std::is_same_v<value_t<decltype(sa::length(sa::lower("ABC")))>, std::int64_t>);
}

TEST_CASE("now and current_timestamp are CURRENT_TIMESTAMP", "[sql]") {
    CHECK(sa::select(sa::now()).sql(sqlite()) == "SELECT CURRENT_TIMESTAMP");
    CHECK(sa::select(sa::current_timestamp()).sql(pg()) == "SELECT CURRENT_TIMESTAMP");
    STATIC_REQUIRE(
        std::is_same_v<value_t<decltype(sa::now())>, std::chrono::sys_time<std::chrono::microseconds>>);
}

TEST_CASE("func calls any server function by name", "[sql]") {
    const auto runtime = sa::select(sa::func<double>("abs", amount), sa::func<std::int64_t>("random"));
    CHECK(runtime.sql(pg()) == R"(SELECT abs("purchases"."amount"), random() FROM "purchases")");
    STATIC_REQUIRE(!decltype(runtime)::fixed_shape);
    STATIC_REQUIRE(std::is_same_v<value_t<decltype(sa::func<double>("abs", amount))>, double>);

    const auto fixed = sa::select(sa::func<std::optional<std::string>, "substr">(name, 1, 2));
    CHECK(fixed.sql(sqlite()) == R"(SELECT substr("customers"."name", ?, ?) FROM "customers")");
    STATIC_REQUIRE(decltype(fixed)::fixed_shape);
    STATIC_REQUIRE(std::is_same_v<decltype(fixed)::row_type, std::optional<std::string>>);
}

TEST_CASE("func refuses a name that is not an identifier", "[sql]") {
    CHECK_THROWS_AS(sa::func<int>("abs(1); DROP TABLE x; --"), sa::ArgumentError);
    CHECK_THROWS_AS(sa::func<int>(""), sa::ArgumentError);
    CHECK_NOTHROW(sa::func<int>("pg_catalog.abs", 1));
}

TEST_CASE("cast names the dialect's type", "[sql]") {
    const auto stmt =
        sa::select(sa::cast<std::int64_t>(name), sa::cast<double>(age), sa::cast<std::string>(age),
                   sa::cast<bool>(age), sa::cast<std::int16_t>(age));
    CHECK(stmt.sql(sqlite()) ==
          R"(SELECT CAST("customers"."name" AS INTEGER), CAST("customers"."age" AS REAL), )"
          R"(CAST("customers"."age" AS TEXT), CAST("customers"."age" AS BOOLEAN), )"
          R"(CAST("customers"."age" AS INTEGER) FROM "customers")");
    CHECK(stmt.sql(pg()) ==
          R"(SELECT CAST("customers"."name" AS BIGINT), CAST("customers"."age" AS DOUBLE PRECISION), )"
          R"(CAST("customers"."age" AS TEXT), CAST("customers"."age" AS BOOLEAN), )"
          R"(CAST("customers"."age" AS SMALLINT) FROM "customers")");
    using time = std::chrono::sys_time<std::chrono::microseconds>;
    CHECK(sa::select(sa::cast<time>("2024-05-01 12:00:00")).sql(pg()) ==
          "SELECT CAST($1 AS TIMESTAMP WITH TIME ZONE)");
    CHECK(sa::select(sa::cast<time>("2024-05-01 12:00:00")).sql(sqlite()) == "SELECT CAST(? AS TEXT)");
    CHECK(sa::select(sa::cast<std::vector<std::byte>>(name)).sql(pg()) ==
          R"(SELECT CAST("customers"."name" AS BYTEA) FROM "customers")");
}

TEST_CASE("cast reads as T, optional when its operand may be NULL", "[sql]") {
    STATIC_REQUIRE(std::is_same_v<value_t<decltype(sa::cast<double>(age))>, double>);
    STATIC_REQUIRE(
        std::is_same_v<value_t<decltype(sa::cast<std::string>(score))>, std::optional<std::string>>);
    STATIC_REQUIRE(std::is_same_v<value_t<decltype(sa::cast<std::optional<int>>(age))>, std::optional<int>>);
}

TEST_CASE("case_ renders WHEN branches in order, with an optional ELSE", "[sql]") {
    const auto stmt = sa::select(sa::case_().when(age < 18, "minor").when(age < 65, "adult").else_("senior"));
    CHECK(stmt.sql(pg()) ==
          R"(SELECT CASE WHEN "customers"."age" < $1 THEN $2 WHEN "customers"."age" < $3 THEN $4 )"
          R"(ELSE $5 END FROM "customers")");
    sa::ParamBuffer params;
    stmt.bind(params);
    REQUIRE(params.params().size() == 5);
    CHECK(params.params()[0].integer == 18);
    CHECK(params.params()[1].bytes == "minor");
    CHECK(params.params()[2].integer == 65);
    CHECK(params.params()[3].bytes == "adult");
    CHECK(params.params()[4].bytes == "senior");

    CHECK(sa::select(sa::case_().when(nickname == sa::null, name)).sql(sqlite()) ==
          R"(SELECT CASE WHEN "customers"."nickname" IS NULL THEN "customers"."name" END )"
          R"(FROM "customers")");
}

TEST_CASE("case_ is optional unless it has an ELSE and no branch may be NULL", "[sql]") {
    STATIC_REQUIRE(std::is_same_v<value_t<decltype(sa::case_().when(age > 1, "a").else_("b"))>, std::string>);
    STATIC_REQUIRE(
        std::is_same_v<value_t<decltype(sa::case_().when(age > 1, "a"))>, std::optional<std::string>>);
    STATIC_REQUIRE(std::is_same_v<value_t<decltype(sa::case_().when(age > 1, nickname).else_(name))>,
                                  std::optional<std::string>>);
    STATIC_REQUIRE(std::is_same_v<value_t<decltype(sa::case_().when(age > 1, nickname).else_("x"))>,
                                  std::optional<std::string>>);
    STATIC_REQUIRE(std::is_same_v<value_t<decltype(sa::case_().when(age > 1, age).else_(amount))>, double>);
    STATIC_REQUIRE(
        std::is_same_v<value_t<decltype(sa::case_().when(age > 1, 1).else_(sa::null))>, std::optional<int>>);
    using chained = decltype(sa::case_().when(age > 1, name).when(age > 2, "x").else_("y"));
    STATIC_REQUIRE(std::is_same_v<value_t<chained>, std::string>);
}

TEST_CASE("window functions render OVER with PARTITION BY and ORDER BY", "[sql]") {
    const auto stmt =
        sa::select(sa::row_number().over(sa::partition_by(customer_id), sa::order_by(sa::col<&Purchase::id>)),
                   sa::rank().over(sa::order_by(amount.desc(), quantity)),
                   sa::dense_rank().over(sa::order_by(sa::desc(amount).nulls_last())),
                   sa::sum(amount).over(sa::partition_by(customer_id, quantity)), sa::count().over());
    CHECK(stmt.sql(sqlite()) ==
          R"(SELECT row_number() OVER (PARTITION BY "purchases"."customer_id" ORDER BY "purchases"."id"), )"
          R"(rank() OVER (ORDER BY "purchases"."amount" DESC, "purchases"."quantity"), )"
          R"(dense_rank() OVER (ORDER BY "purchases"."amount" DESC NULLS LAST), )"
          R"(sum("purchases"."amount") OVER (PARTITION BY "purchases"."customer_id", )"
          R"("purchases"."quantity"), )"
          R"(count(*) OVER () FROM "purchases")");
    STATIC_REQUIRE(std::is_same_v<value_t<decltype(sa::row_number().over())>, std::int64_t>);
    STATIC_REQUIRE(std::is_same_v<value_t<decltype(sa::rank().over())>, std::int64_t>);
    STATIC_REQUIRE(std::is_same_v<value_t<decltype(sa::dense_rank().over())>, std::int64_t>);
    STATIC_REQUIRE(std::is_same_v<value_t<decltype(sa::sum(amount).over())>, std::optional<double>>);
    STATIC_REQUIRE(!sa::sql_expression<decltype(sa::row_number())>);
}

TEST_CASE("window parts bind their values in text order", "[sql]") {
    const auto lag = sa::func<double, "lag">(amount, 1);
    const auto stmt = sa::select(lag.over(sa::partition_by(customer_id + 10), sa::order_by(amount * 2)));
    CHECK(stmt.sql(pg()) ==
          R"(SELECT lag("purchases"."amount", $1) OVER (PARTITION BY "purchases"."customer_id" + $2 )"
          R"(ORDER BY "purchases"."amount" * $3) FROM "purchases")");
    sa::ParamBuffer params;
    stmt.bind(params);
    REQUIRE(params.params().size() == 3);
    CHECK(params.params()[0].integer == 1);
    CHECK(params.params()[1].integer == 10);
    CHECK(params.params()[2].integer == 2);  // a number beside a number binds as itself
}

TEST_CASE("comparing with sa::null is IS NULL / IS NOT NULL", "[sql]") {
    CHECK(sa::select(id).where(nickname == sa::null).sql(pg()) ==
          R"(SELECT "customers"."id" FROM "customers" WHERE "customers"."nickname" IS NULL)");
    CHECK(sa::select(id).where(sa::null != nickname).sql(pg()) ==
          R"(SELECT "customers"."id" FROM "customers" WHERE "customers"."nickname" IS NOT NULL)");
    CHECK(sa::select(id).where(sa::max(score) != sa::null).sql(sqlite()) ==
          R"(SELECT "customers"."id" FROM "customers" WHERE max("customers"."score") IS NOT NULL)");
    STATIC_REQUIRE(std::is_same_v<value_t<decltype(nickname == sa::null)>, bool>);
}

TEST_CASE("+ on text concatenates with ||", "[sql]") {
    const auto stmt = sa::select(name + " (" + sa::coalesce(nickname, "-") + ")");
    CHECK(stmt.sql(sqlite()) ==
          R"(SELECT (("customers"."name" || ?) || coalesce("customers"."nickname", ?)) || ? )"
          R"(FROM "customers")");
    STATIC_REQUIRE(std::is_same_v<value_t<decltype(name + "x")>, std::string>);
    STATIC_REQUIRE(std::is_same_v<value_t<decltype(nickname + name)>, std::optional<std::string>>);
    STATIC_REQUIRE(std::is_same_v<value_t<decltype(age + 1)>, std::int64_t>);
    CHECK(sa::select(sa::concat(name, nickname)).sql(pg()) ==
          R"(SELECT "customers"."name" || "customers"."nickname" FROM "customers")");
}

TEST_CASE("functions compose with labels, ordering and having", "[sql]") {
    const auto stmt = sa::select(name, sa::count(sa::col<&Purchase::id>).label("n"))
                          .join<Purchase>(customer_id == id)
                          .group_by(name)
                          .having(sa::sum(amount) > 100.0)
                          .order_by(sa::count(sa::col<&Purchase::id>).desc());
    CHECK(stmt.sql(pg()) ==
          R"(SELECT "customers"."name", count("purchases"."id") AS "n" FROM "customers" JOIN "purchases" )"
          R"(ON "purchases"."customer_id" = "customers"."id" GROUP BY "customers"."name" )"
          R"(HAVING sum("purchases"."amount") > $1 ORDER BY count("purchases"."id") DESC)");
}

TEST_CASE("functions, CASE, CAST and windows keep a statement's SQL cacheable", "[sql]") {
    const auto statement = [](std::int32_t fallback, double threshold, const char* above, const char* below) {
        return sa::select(sa::sum(amount), sa::coalesce(discount, fallback), sa::cast<std::string>(quantity),
                          sa::case_().when(amount > threshold, above).else_(below),
                          sa::rank().over(sa::partition_by(customer_id), sa::order_by(amount)),
                          sa::func<double, "abs">(amount), sa::now());
    };
    using Shape = decltype(statement(0, 1.0, "x", "y"));
    STATIC_REQUIRE(Shape::fixed_shape);
    STATIC_REQUIRE(!decltype(sa::select(sa::func<double>("abs", amount)))::fixed_shape);
    const auto rendered = [] { return sa::detail::sql_cache<Shape, Shape::shape_variants>::renders(); };
    CHECK(rendered() == 0);
    const auto first = statement(0, 1.0, "x", "y").sql(sqlite());
    CHECK(rendered() == 1);
    // Other values, the same text: the cache's, not rendered again.
    CHECK(statement(7, 250.0, "big", "small").sql(sqlite()) == first);
    CHECK(rendered() == 1);
    CHECK(first ==
          R"(SELECT sum("purchases"."amount"), coalesce("purchases"."discount", ?), )"
          R"(CAST("purchases"."quantity" AS TEXT), CASE WHEN "purchases"."amount" > ? THEN ? ELSE ? END, )"
          R"(rank() OVER (PARTITION BY "purchases"."customer_id" ORDER BY "purchases"."amount"), )"
          R"(abs("purchases"."amount"), CURRENT_TIMESTAMP FROM "purchases")");
}
