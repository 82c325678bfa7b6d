// Compile-time budget of the ORM: one translation unit with two models, the Session and
// thirty-three different session operations and queries, run on both backends so that each
// is really instantiated. What this file measures is the build: scripts/compile-time prints
// its compile time and peak memory (the goal, 4 s and 350 MB at -O2, is in
// docs/compile-time.md). The script also compiles it with ALCHEMY_COMPILE_TIME_PROGRAM, as
// a program of its own without the test framework, which is what an application's
// translation unit pays (tests/CMakeLists.txt also builds and runs that program).
#include <alchemy/alchemy.hpp>

#include <cstdint>
#include <optional>
#include <string>

#ifdef ALCHEMY_COMPILE_TIME_PROGRAM
#include <cstdio>
#include <cstdlib>
namespace {
void check(bool ok, const char* what) {
    if (ok) return;
    std::fprintf(stderr, "compile_time_session: failed: %s\n", what);
    std::exit(1);
}
}  // namespace
#define CHECK(...) check(static_cast<bool>(__VA_ARGS__), #__VA_ARGS__)
#define REQUIRE(...) check(static_cast<bool>(__VA_ARGS__), #__VA_ARGS__)
#else
#include "support/backends.hpp"

#include <catch2/catch.hpp>
#endif

namespace sa = alchemy;

namespace ct_session {

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

struct Shipment {
    std::int64_t id = 0;
    std::int64_t order_id = 0;
    std::string carrier{};
};

}  // namespace ct_session

template <>
inline constexpr auto sa::mapping<ct_session::Order> = sa::table("ct_session_orders");
template <>
inline constexpr auto sa::mapping<ct_session::Shipment> = sa::table(
    "ct_session_shipments", sa::foreign_key(&ct_session::Shipment::order_id, &ct_session::Order::id));

using ct_session::Order;
using ct_session::Shipment;

namespace {
void thirty_three_operations(sa::Engine engine) {
    sa::metadata<Order, Shipment>().create_all(engine);
    sa::Session session(engine);
    constexpr auto customer = sa::col<&Order::customer>;
    constexpr auto status = sa::col<&Order::status>;
    constexpr auto quantity = sa::col<&Order::quantity>;
    constexpr auto price = sa::col<&Order::price>;
    constexpr auto email = sa::col<&Order::email>;

    for (int i = 0; i < 20; ++i)
        session.add(Order{.customer = "c" + std::to_string(i % 5),
                          .status = i % 2 ? "open" : "closed",
                          .quantity = i,
                          .price = i * 1.5});  // 1
    session.commit();                          // 2
    auto orders = session.query<Order>();
    CHECK(orders.count() == 20);                                                            // 3
    CHECK(orders.filter(status == "open").count() == 10);                                   // 4
    CHECK(orders.filter(quantity > 15).order_by(quantity.desc()).first()->quantity == 19);  // 5
    CHECK(orders.filter_by<&Order::customer>("c1").all().size() == 4);                      // 6
    CHECK(orders.filter(price.between(3.0, 6.0)).count() == 3);                             // 7
    CHECK(orders.filter(email.is_null()).count() == 20);                                    // 8
    CHECK(orders.filter(customer.in_("c1", "c2")).count() == 8);                            // 9
    CHECK(orders.filter(customer.like("c%")).limit(5).all().size() == 5);                   // 10
    CHECK(orders.order_by(customer, quantity).offset(2).limit(3).all().size() == 3);        // 11
    CHECK(orders.filter(status == "open" && quantity < 5).count() == 2);                    // 12
    CHECK(orders.filter(status == "closed" || quantity == 1).count() == 11);                // 13
    CHECK(orders.filter(!(status == "open")).count() == 10);                                // 14
    CHECK(orders.exists());                                                                 // 15
    auto first = orders.order_by(sa::col<&Order::id>.desc()).first();                       // 16
    REQUIRE(first);
    CHECK(session.get<Order>(first->id) == first);                                       // 17
    first->email = "first@example.com";                                                  // 18
    CHECK(session.is_modified(first));                                                   // 19
    session.flush();                                                                     // 20
    CHECK(orders.filter(email == "first@example.com").one() == first);                   // 21
    CHECK(orders.filter(quantity >= 18).update(sa::col<&Order::archived> = true) == 2);  // 22
    CHECK(orders.filter(sa::col<&Order::archived> == true).count() == 2);                // 23
    CHECK(orders.filter(quantity == 0).delete_() == 1);                                  // 24
    auto second = orders.filter(quantity == 1).one_or_none();                            // 25
    REQUIRE(second);
    session.delete_(second);                                                                      // 26
    session.commit();                                                                             // 27
    CHECK(session.scalars(sa::select<Order>().where(quantity < 5)).all().size() == 3);            // 28
    auto merged = session.merge(Order{.id = first->id, .customer = "merged", .status = "open"});  // 29
    CHECK(merged == first);
    session.rollback();  // 30
    CHECK(session.query<Order>().count() == 18);
    const auto carrier = sa::col<&Shipment::carrier>;
    session.add(Shipment{.order_id = first->id, .carrier = "post"});  // 31
    session.commit();
    CHECK(session.query<Shipment>().filter(carrier == "post").count() == 1);  // 32
    const auto rows = session
                          .execute(sa::select(customer, carrier)
                                       .join<Shipment>(sa::col<&Shipment::order_id> == sa::col<&Order::id>))
                          .all();
    REQUIRE(rows.size() == 1);  // 33
    CHECK(rows[0] == std::tuple{std::string("c4"), std::string("post")});
}
}  // namespace

#ifdef ALCHEMY_COMPILE_TIME_PROGRAM
int main(int argc, char** argv) {
    thirty_three_operations(sa::create_engine(argc > 1 ? argv[1] : "sqlite://"));
    std::puts("compile_time_session: 33 operations passed");
}
#else
TEST_CASE("thirty-three session operations on two models run on both backends") {
    auto backend = GENERATE(from_range(sa::test::backends()));
    thirty_three_operations(backend.engine());
}
#endif
