// Compile-time budget: one translation unit with one model of eight fields and thirty
// different statements (selects with where/joins/order/limit, updates, deletes, inserts),
// each rendered for both dialects. The SQL is only sanity-checked here (the exact texts
// are pinned in sql_cache_test.cpp); what this file measures is the build:
// scripts/compile-time prints its compile time and peak memory (docs/compile-time.md).
#include <alchemy/alchemy.hpp>

#include <catch2/catch.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sa = alchemy;

namespace ct30 {

struct Order {
    std::int64_t id = 0;
    std::string customer{};
    std::optional<std::string> email{};
    std::string status{};
    std::int32_t quantity = 0;
    double price = 0;
    std::optional<double> discount{};
    bool archived = false;
};

/// Only for the joins.
struct Shipment {
    std::int64_t id = 0;
    std::int64_t order_id = 0;
    std::string carrier{};
};

}  // namespace ct30

template <>
inline constexpr auto sa::mapping<ct30::Order> = sa::table("ct_orders");
template <>
inline constexpr auto sa::mapping<ct30::Shipment> = sa::table("ct_shipments");

namespace {

using ct30::Order;
using ct30::Shipment;

const sa::Dialect& sqlite() { return sa::driver_for(sa::make_url("sqlite://")).dialect(); }
const sa::Dialect& pg() { return sa::driver_for(sa::make_url("postgresql://h/db")).dialect(); }

constexpr auto id = sa::col<&Order::id>;
constexpr auto customer = sa::col<&Order::customer>;
constexpr auto email = sa::col<&Order::email>;
constexpr auto status = sa::col<&Order::status>;
constexpr auto quantity = sa::col<&Order::quantity>;
constexpr auto price = sa::col<&Order::price>;
constexpr auto discount = sa::col<&Order::discount>;
constexpr auto archived = sa::col<&Order::archived>;
constexpr auto shipment_order = sa::col<&Shipment::order_id>;
constexpr auto carrier = sa::col<&Shipment::carrier>;

std::size_t count_of(std::string_view text, char c) {
    std::size_t n = 0;
    for (char x : text) n += x == c ? 1 : 0;
    return n;
}

/// Renders `stmt` for both dialects: non-empty, starting with `keyword`, naming the
/// table, with as many "$n" placeholders on PostgreSQL as "?" on SQLite.
template <class Statement>
void check(const Statement& stmt, std::string_view keyword, std::size_t placeholders) {
    const auto for_sqlite = stmt.sql(sqlite());
    const auto for_pg = stmt.sql(pg());
    INFO(for_sqlite);
    CHECK_FALSE(for_sqlite.empty());
    CHECK(for_sqlite.starts_with(keyword));
    CHECK(for_pg.starts_with(keyword));
    CHECK(for_sqlite.find("\"ct_orders\"") != std::string::npos);
    CHECK(count_of(for_sqlite, '?') == placeholders);
    CHECK(count_of(for_pg, '$') == placeholders);
    CHECK(count_of(for_pg, '?') == 0);
    if (placeholders > 0) CHECK(for_pg.find("$" + std::to_string(placeholders)) != std::string::npos);
}

}  // namespace

TEST_CASE("thirty statements over one eight-field model render for both dialects", "[sql]") {
    // SELECT
    check(sa::select<Order>(), "SELECT", 0);                                                            // 1
    check(sa::select<Order>().where(id == 1), "SELECT", 1);                                             // 2
    check(sa::select(id, customer).where(status == "open" && quantity > 2), "SELECT", 2);               // 3
    check(sa::select(customer).where(email.is_null() || archived == true), "SELECT", 1);                // 4
    check(sa::select(id).where(email.is_not_null()).order_by(id.desc()), "SELECT", 0);                  // 5
    check(sa::select(id, price).where(price.between(1.0, 9.5)).limit(10), "SELECT", 3);                 // 6
    check(sa::select(customer).where(customer.like("A%")).order_by(customer.asc()), "SELECT", 2);       // 7
    check(sa::select(customer).where(customer.ilike("%inc")).distinct(), "SELECT", 2);                  // 8
    check(sa::select(id).where(customer.not_like("test%") && !(status == "void")), "SELECT", 3);        // 9
    check(sa::select(id).where(status.in_(std::vector<std::string>{"open", "paid"})), "SELECT", 2);     // 10
    check(sa::select(id).where(id.not_in(std::vector<std::int64_t>{1, 2, 3})), "SELECT", 3);            // 11
    check(sa::select(price * quantity, price - 1.0).where(quantity % 2 == 0), "SELECT", 3);             // 12
    check(sa::select(id, discount).where(discount > 0.1 || discount == sa::null), "SELECT", 1);         // 13
    check(sa::select(id).order_by(price.desc(), id.asc()).limit(20).offset(40), "SELECT", 2);           // 14
    check(sa::select(status).group_by(status).order_by(status), "SELECT", 0);                           // 15
    check(sa::select(status, archived).group_by(status, archived).having(status != "x"), "SELECT", 1);  // 16
    check(sa::select(customer, carrier).join<Shipment>(shipment_order == id), "SELECT", 0);             // 17
    check(sa::select(customer, carrier)
              .left_join<Shipment>(shipment_order == id && carrier != "none")
              .where(archived == false)
              .order_by(customer)
              .limit(5),
          "SELECT", 3);                                                                            // 18
    check(sa::select(id, quantity + 1, price / 2.0).where(id >= 100 && id <= 200), "SELECT", 4);   // 19
    check(sa::select(email).where(email.like("%@example.org")).distinct().limit(3), "SELECT", 3);  // 20
    // UPDATE
    check(sa::update<Order>().values(status = "paid").where(id == 7), "UPDATE", 2);  // 21
    check(sa::update<Order>().values(quantity = quantity + 1, price = price * 1.1).where(status == "open"),
          "UPDATE", 3);  // 22
    check(sa::update<Order>().values(email = sa::null, archived = true).where(email.like("%spam%")), "UPDATE",
          3);  // 23
    check(sa::update<Order>().values(discount = 0.5).where(price > 100.0).returning(id, discount), "UPDATE",
          2);  // 24
    // DELETE
    check(sa::delete_<Order>().where(id == 9), "DELETE", 1);                                         // 25
    check(sa::delete_<Order>().where(archived == true && quantity < 1).returning(id), "DELETE", 2);  // 26
    check(sa::delete_<Order>().where(status.in_(std::vector<std::string>{"void"})), "DELETE", 1);    // 27
    // INSERT
    check(sa::insert<Order>().values(Order{.customer = "ann", .status = "open"}), "INSERT", 7);       // 28
    check(sa::insert<Order>().values(Order{.id = 3, .customer = "bob"}).returning(id), "INSERT", 8);  // 29
    check(sa::insert<Order>()
              .values(std::vector{Order{.customer = "c"}, Order{.customer = "d"}})
              .returning(id, customer, price),
          "INSERT", 7);  // 30
}
