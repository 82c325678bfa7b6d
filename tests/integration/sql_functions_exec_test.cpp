// SQL functions, CASE, CAST and window functions run on both backends: the values come
// back with the C++ types the expressions promise.
#include "support/backends.hpp"
#include "support/matchers.hpp"

#include <alchemy/alchemy.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

namespace sa = alchemy;

namespace fnexec {

struct Account {
    std::int64_t id = 0;
    std::string name{};
    std::optional<std::string> nickname{};
};

struct Payment {
    std::int64_t id = 0;
    std::int64_t account_id = 0;
    double amount = 0;
    std::int32_t quantity = 0;
    std::optional<std::int32_t> discount{};
};

}  // namespace fnexec

template <>
inline constexpr auto sa::mapping<fnexec::Account> = sa::table("fn_accounts");
template <>
inline constexpr auto sa::mapping<fnexec::Payment> = sa::table("fn_payments");

namespace {

using fnexec::Account;
using fnexec::Payment;

constexpr auto account_id = sa::col<&Payment::account_id>;
constexpr auto payment_id = sa::col<&Payment::id>;
constexpr auto amount = sa::col<&Payment::amount>;
constexpr auto quantity = sa::col<&Payment::quantity>;
constexpr auto discount = sa::col<&Payment::discount>;

/// Two accounts; ann has three payments (two of the same amount), bob one.
sa::Connection seeded(sa::Engine& engine) {
    sa::metadata<Account, Payment>().create_all(engine);
    auto conn = engine.connect();
    conn.execute(sa::insert<Account>().values(std::vector<Account>{
        {.id = 1, .name = "Ann", .nickname = "annie"},
        {.id = 2, .name = "Bob", .nickname = std::nullopt},
    }));
    conn.execute(sa::insert<Payment>().values(std::vector<Payment>{
        {.id = 1, .account_id = 1, .amount = 10.5, .quantity = 2, .discount = 1},
        {.id = 2, .account_id = 1, .amount = 4.0, .quantity = 1, .discount = std::nullopt},
        {.id = 3, .account_id = 1, .amount = 10.5, .quantity = 3, .discount = 2},
        {.id = 4, .account_id = 2, .amount = 7.25, .quantity = 5, .discount = std::nullopt},
    }));
    return conn;
}

}  // namespace

TEST_CASE("aggregates count, sum, average and bound the rows", "[sql]") {
    auto backend = GENERATE(from_range(alchemy::test::backends()));
    auto engine = backend.engine();
    auto conn = seeded(engine);

    CHECK(conn.execute(sa::select(sa::count<Payment>())).scalar_one() == 4);
    const auto [n, with_discount, distinct_amounts, quantities, total, average, low, high] =
        conn.execute(sa::select(sa::count(payment_id), sa::count(discount), sa::count_distinct(amount),
                                sa::sum(quantity), sa::sum(amount), sa::avg(quantity), sa::min(amount),
                                sa::max(quantity)))
            .one();
    CHECK(n == 4);
    CHECK(with_discount == 2);
    CHECK(distinct_amounts == 3);
    CHECK(quantities == std::optional<std::int64_t>(11));
    CHECK(total == std::optional<double>(32.25));
    CHECK(average == std::optional<double>(2.75));
    CHECK(low == std::optional<double>(4.0));
    CHECK(high == std::optional<std::int32_t>(5));
}

TEST_CASE("aggregates over no rows are empty, count is zero", "[sql]") {
    auto backend = GENERATE(from_range(alchemy::test::backends()));
    auto engine = backend.engine();
    auto conn = seeded(engine);

    const auto row = conn.execute(sa::select(sa::count(payment_id), sa::sum(quantity), sa::sum(amount),
                                             sa::avg(amount), sa::min(amount), sa::max(quantity))
                                      .where(amount > 1000.0))
                         .one();
    CHECK(row == std::tuple{std::int64_t{0}, std::optional<std::int64_t>{}, std::optional<double>{},
                            std::optional<double>{}, std::optional<double>{}, std::optional<std::int32_t>{}});
}

TEST_CASE("aggregates per group, with having and ordering by the aggregate", "[sql]") {
    auto backend = GENERATE(from_range(alchemy::test::backends()));
    auto engine = backend.engine();
    auto conn = seeded(engine);

    const auto name = sa::col<&Account::name>;
    const auto rows = conn.execute(sa::select(name, sa::count(payment_id), sa::sum(amount))
                                       .join<Payment>(account_id == sa::col<&Account::id>)
                                       .group_by(name)
                                       .having(sa::count(payment_id) >= 1)
                                       .order_by(sa::count(payment_id).desc()))
                          .all();
    REQUIRE(rows.size() == 2);
    CHECK(rows[0] == std::tuple{std::string("Ann"), std::int64_t{3}, std::optional<double>(25.0)});
    CHECK(rows[1] == std::tuple{std::string("Bob"), std::int64_t{1}, std::optional<double>(7.25)});
}

TEST_CASE("an expression holding a value is grouped through a subquery that selects it", "[sql]") {
    // PostgreSQL does not see `quantity / $1` in the SELECT list and `quantity / $2` in
    // GROUP BY as one expression (docs/expressions.md): the subquery gives it a column.
    auto backend = GENERATE(from_range(alchemy::test::backends()));
    auto engine = backend.engine();
    auto conn = seeded(engine);

    const auto buckets = sa::select(quantity / 2).subquery<"buckets">();
    const auto rows =
        conn.execute(
                sa::select(buckets.c<0>(), sa::count()).group_by(buckets.c<0>()).order_by(buckets.c<0>()))
            .all();
    CHECK(rows == std::vector{std::tuple{std::int64_t{0}, std::int64_t{1}},
                              std::tuple{std::int64_t{1}, std::int64_t{2}},
                              std::tuple{std::int64_t{2}, std::int64_t{1}}});
}

TEST_CASE("coalesce picks the first value that is not NULL", "[sql]") {
    auto backend = GENERATE(from_range(alchemy::test::backends()));
    auto engine = backend.engine();
    auto conn = seeded(engine);

    const auto nicknames = conn.execute(sa::select(sa::coalesce(sa::col<&Account::nickname>, "(none)"))
                                            .order_by(sa::col<&Account::id>))
                               .all();
    CHECK(nicknames == std::vector<std::string>{"annie", "(none)"});
    const auto discounts =
        conn.execute(sa::select(sa::coalesce(discount, sa::null, 0)).order_by(payment_id)).all();
    CHECK(discounts == std::vector<std::int32_t>{1, 0, 2, 0});
}

TEST_CASE("lower, upper and length work on text, length in characters", "[sql]") {
    auto backend = GENERATE(from_range(alchemy::test::backends()));
    auto engine = backend.engine();
    auto conn = seeded(engine);

    const std::string text = "Ärger Über ABC";  // 14 characters, 16 bytes
    const auto [lowered, uppered, length] =
        conn.execute(sa::select(sa::lower(text), sa::upper(text), sa::length(text))).one();
    CHECK(length == 14);
    if (backend.is_sqlite()) {
        // SQLite's built-in lower/upper fold ASCII letters only.
        CHECK(lowered == "Ärger Über abc");
        CHECK(uppered == "ÄRGER ÜBER ABC");
    } else {
        // PostgreSQL folds by the database's locale; non-ASCII letters come back intact.
        CHECK((lowered == "ärger über abc" || lowered == "Ärger Über abc"));
        CHECK(uppered == "ÄRGER ÜBER ABC");
    }

    const auto names =
        conn.execute(sa::select(sa::upper(sa::col<&Account::name>), sa::length(sa::col<&Account::nickname>))
                         .order_by(sa::col<&Account::id>))
            .all();
    CHECK(names == std::vector{std::tuple{std::string("ANN"), std::optional<std::int64_t>(5)},
                               std::tuple{std::string("BOB"), std::optional<std::int64_t>()}});
}

TEST_CASE("now is the database's current time", "[sql]") {
    auto backend = GENERATE(from_range(alchemy::test::backends()));
    auto engine = backend.engine();
    auto conn = engine.connect();

    const auto server = conn.execute(sa::select(sa::now())).scalar_one();
    const auto local = std::chrono::system_clock::now();
    CHECK(std::chrono::abs(local - server) < std::chrono::minutes(5));
    const auto again = conn.execute(sa::select(sa::current_timestamp())).scalar_one();
    CHECK(again >= server - std::chrono::seconds(1));
}

TEST_CASE("cast converts on the server", "[sql]") {
    auto backend = GENERATE(from_range(alchemy::test::backends()));
    auto engine = backend.engine();
    auto conn = seeded(engine);

    CHECK(conn.execute(sa::select(sa::cast<std::int64_t>("42"))).scalar_one() == 42);
    const auto [as_text, as_real, as_optional] =
        conn.execute(sa::select(sa::cast<std::string>(quantity), sa::cast<double>(quantity) / 2,
                                sa::cast<std::string>(discount))
                         .where(payment_id == 2))
            .one();
    CHECK(as_text == "1");
    CHECK(as_real == 0.5);
    CHECK(as_optional == std::nullopt);
    using time = std::chrono::sys_time<std::chrono::microseconds>;
    const auto at = conn.execute(sa::select(sa::cast<time>("2024-05-01 12:30:00+00:00"))).scalar_one();
    CHECK(at == std::chrono::sys_days{std::chrono::year{2024} / 5 / 1} + std::chrono::hours(12) +
                    std::chrono::minutes(30));
}

TEST_CASE("a cast of text to bool reads 'true' as true, or is refused where the backend would not", "[sql]") {
    // SQLite's BOOLEAN has numeric affinity: CAST('true' AS BOOLEAN) is 0.
    auto backend = GENERATE(from_range(alchemy::test::backends()));
    auto engine = backend.engine();
    auto conn = seeded(engine);
    const auto statement = sa::select(sa::cast<bool>(std::string("true")));
    if (backend.is_sqlite())
        CHECK_THROWS_MATCHES(conn.execute(statement), sa::ArgumentError,
                             sa::test::MessageContains("has no boolean type"));
    else CHECK(conn.execute(statement).scalar_one());
    CHECK(conn.execute(sa::select(sa::cast<bool>(quantity)).where(payment_id == 2)).scalar_one());
}

TEST_CASE("case_ picks the first branch that holds", "[sql]") {
    auto backend = GENERATE(from_range(alchemy::test::backends()));
    auto engine = backend.engine();
    auto conn = seeded(engine);

    const auto sizes =
        conn.execute(
                sa::select(
                    sa::case_().when(amount >= 10.0, "large").when(amount >= 5.0, "medium").else_("small"))
                    .order_by(payment_id))
            .all();
    CHECK(sizes == std::vector<std::string>{"large", "small", "large", "medium"});
    const auto without_else =
        conn.execute(sa::select(sa::case_().when(discount == sa::null, quantity)).order_by(payment_id)).all();
    CHECK(without_else == std::vector<std::optional<std::int32_t>>{std::nullopt, 1, std::nullopt, 5});
}

TEST_CASE("window functions number, rank and sum over partitions", "[sql]") {
    auto backend = GENERATE(from_range(alchemy::test::backends()));
    auto engine = backend.engine();
    auto conn = seeded(engine);

    const auto per_account = sa::partition_by(account_id);
    const auto by_id = sa::order_by(payment_id);
    const auto rows = conn.execute(sa::select(payment_id, sa::row_number().over(per_account, by_id),
                                              sa::rank().over(sa::order_by(amount.desc())),
                                              sa::dense_rank().over(sa::order_by(amount.desc())),
                                              sa::sum(amount).over(per_account, by_id), sa::count().over())
                                       .order_by(payment_id))
                          .all();
    using row = std::tuple<std::int64_t, std::int64_t, std::int64_t, std::int64_t, std::optional<double>,
                           std::int64_t>;
    CHECK(rows == std::vector<row>{
                      {1, 1, 1, 1, 10.5, 4},
                      {2, 2, 4, 3, 14.5, 4},
                      {3, 3, 1, 1, 25.0, 4},
                      {4, 1, 3, 2, 7.25, 4},
                  });
}

TEST_CASE("func calls server functions by name", "[sql]") {
    auto backend = GENERATE(from_range(alchemy::test::backends()));
    auto engine = backend.engine();
    auto conn = seeded(engine);

    const auto by_name = sa::select(sa::func<double>("abs", amount - 20.0)).where(payment_id == 1);
    CHECK(conn.execute(by_name).scalar_one() == 9.5);
    const auto fixed = sa::select(sa::func<std::int64_t, "abs">(quantity - 10)).order_by(payment_id);
    CHECK(conn.execute(fixed).all() == std::vector<std::int64_t>{8, 9, 7, 5});
}

TEST_CASE("sa::null comparisons and text concatenation run as IS NULL and ||", "[sql]") {
    auto backend = GENERATE(from_range(alchemy::test::backends()));
    auto engine = backend.engine();
    auto conn = seeded(engine);

    const auto nickname = sa::col<&Account::nickname>;
    CHECK(conn.execute(sa::select(sa::col<&Account::name>).where(nickname == sa::null)).all() ==
          std::vector<std::string>{"Bob"});
    CHECK(conn.execute(sa::select(sa::col<&Account::name>).where(nickname != sa::null)).all() ==
          std::vector<std::string>{"Ann"});
    const auto greeting = sa::col<&Account::name> + " aka " + sa::coalesce(nickname, "?");
    CHECK(conn.execute(sa::select(greeting).order_by(sa::col<&Account::id>)).all() ==
          std::vector<std::string>{"Ann aka annie", "Bob aka ?"});
}
