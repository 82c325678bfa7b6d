// The tutorial's "Django ORM vs SQLAlchemy" section ends on multiple databases: Django's
// ORM is "primarily single DB per project", SQLAlchemy has "built-in support for multiple
// databases". In SQLAlchemy:
//
//   Session = sessionmaker(binds={Order: shop_engine, AuditEntry: audit_engine})
//
// Here the shop's orders live in one database and the audit trail in another (a second
// SQLite file); one Session writes both, and a failed flush leaves both as they were.
// docs/comparison.md has the rest of the comparison, docs/scaling.md the details.
//
// Runs on SQLite by default; set DATABASE_URL to put the shop in another database.
#include <alchemy/alchemy.hpp>

#include <fmt/format.h>
#include <cstdlib>

namespace sa = alchemy;

namespace shop {

struct Order {
    std::int64_t id = 0;
    std::string customer{};
    std::int32_t quantity = 0;
};

struct AuditEntry {
    std::int64_t id = 0;
    std::string action{};
    std::string detail{};
};

}  // namespace shop

template <>
inline constexpr auto sa::mapping<shop::Order> = sa::table("orders");
template <>
inline constexpr auto sa::mapping<shop::AuditEntry> =
    sa::table("audit_entries", sa::unique(&shop::AuditEntry::detail));

using shop::AuditEntry;
using shop::Order;

namespace {

/// What `count_sql` counts in the database behind `engine`, through Core.
std::int64_t count(sa::Engine& engine, const char* count_sql) {
    auto conn = engine.connect();
    return conn.execute(sa::text(count_sql).columns<std::int64_t>()).scalar_one();
}

void print_counts(sa::Engine& shop_db, sa::Engine& audit_db) {
    fmt::print("  shop.orders: {} row(s), audit.audit_entries: {} row(s)\n",
               count(shop_db, "SELECT count(*) FROM orders"),
               count(audit_db, "SELECT count(*) FROM audit_entries"));
}

}  // namespace

int main() {
    const char* env_url = std::getenv("DATABASE_URL");
    auto shop_db = sa::create_engine(env_url ? env_url : "sqlite:///shop.db");
    auto audit_db = sa::create_engine("sqlite:///audit.db");
    sa::metadata<Order>().drop_all(shop_db);
    sa::metadata<Order>().create_all(shop_db);
    sa::metadata<AuditEntry>().drop_all(audit_db);
    sa::metadata<AuditEntry>().create_all(audit_db);

    // Every model not listed in binds goes to the Session's own engine.
    auto Session = sa::sessionmaker(shop_db, {.binds = {sa::bind<AuditEntry>(audit_db)}});

    {  // One commit writes both databases: the order to the shop, its entry to the audit file.
        auto session = Session();
        auto order = session.add(Order{.customer = "ann", .quantity = 3});
        session.flush();  // the order's id, for the audit entry
        session.add(AuditEntry{.action = "order placed", .detail = fmt::format("order {}", order->id)});
        session.commit();
        fmt::print("order {} placed\n", order->id);
        print_counts(shop_db, audit_db);
    }

    {  // A flush that fails in one database rolls back the Session's work in both.
        auto session = Session();
        session.add(Order{.customer = "bob", .quantity = 1});
        session.add(AuditEntry{.action = "order placed", .detail = "order 1"});  // a duplicate detail
        try {
            session.commit();
        } catch (const sa::IntegrityError& e) {
            session.rollback();
            fmt::print("commit refused (SQLSTATE {}); both databases are as before:\n", e.sqlstate());
            print_counts(shop_db, audit_db);
        }
    }

    {  // Reads go to each model's own database, too.
        auto session = Session();
        for (const auto& entry : session.query<AuditEntry>().all())
            fmt::print("audit: {} ({})\n", entry->action, entry->detail);
        for (const auto& order : session.query<Order>().all())
            fmt::print("order {}: {} x{}\n", order->id, order->customer, order->quantity);
    }
}
