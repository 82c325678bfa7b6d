// The tutorial's "Transactions" section: begin, commit, and rollback when something fails.
//
//   session = Session()
//   try:
//       session.begin()
//       ...
//       session.commit()
//   except Exception as e:
//       session.rollback()
//       print("An error occurred:", str(e))
//   finally:
//       session.close()
//
// The second transaction fails on purpose (a duplicate username): nothing of it is
// written, and the objects it added are transient again. Also shows the RAII guard and
// a SAVEPOINT. Runs on SQLite by default; set DATABASE_URL to use another database.
#include <alchemy/alchemy.hpp>

#include <fmt/format.h>
#include <cstdlib>

namespace sa = alchemy;

namespace bank {

struct Account {
    std::int64_t id = 0;
    std::string owner{};
    std::int64_t balance = 0;
};

}  // namespace bank

template <>
inline constexpr auto sa::mapping<bank::Account> = sa::table(
    "accounts", sa::unique(&bank::Account::owner), sa::check("balance_not_negative", "balance >= 0"));

using bank::Account;

namespace {

/// The tutorial's try / except / finally, as C++.
void transfer(sa::SessionMaker& Session, std::string_view from, std::string_view to, std::int64_t amount) {
    auto session = Session();
    try {
        session.begin();
        auto source = session.query<Account>().filter_by<&Account::owner>(std::string(from)).one();
        auto target = session.query<Account>().filter_by<&Account::owner>(std::string(to)).one();
        source->balance -= amount;
        target->balance += amount;
        session.commit();  // the CHECK constraint refuses a negative balance here
        fmt::print("moved {} from {} to {}\n", amount, from, to);
    } catch (const sa::Error& e) {
        session.rollback();
        fmt::print("An error occurred: {}\n", e.what());
    }
    session.close();  // finally
}

void print_balances(sa::Engine& engine) {
    auto conn = engine.connect();
    for (auto [owner, balance] : conn.execute(sa::select(sa::col<&Account::owner>, sa::col<&Account::balance>)
                                                  .order_by(sa::col<&Account::owner>)))
        fmt::print("  {}: {}\n", owner, balance);
}

}  // namespace

int main() {
    const char* env_url = std::getenv("DATABASE_URL");
    auto engine = sa::create_engine(env_url ? env_url : "sqlite:///session_transactions.db");
    auto metadata = sa::metadata<Account>();
    metadata.drop_all(engine);
    metadata.create_all(engine);
    auto Session = sa::sessionmaker(engine);

    {
        auto session = Session();
        session.add_all(
            std::vector<Account>{{.owner = "alice", .balance = 100}, {.owner = "bob", .balance = 20}});
        session.commit();
    }
    transfer(Session, "alice", "bob", 30);
    transfer(Session, "bob", "alice", 500);  // fails: bob would go negative
    fmt::print("balances:\n");
    print_balances(engine);

    {  // A forced failure in the middle of a flush: all or nothing.
        auto session = Session();
        auto carol = session.add(Account{.owner = "carol", .balance = 5});
        auto duplicate = session.add(Account{.owner = "alice", .balance = 1});
        try {
            session.commit();
        } catch (const sa::UniqueViolation& e) {
            fmt::print("flush failed ({}); carol is still {} with id {}\n", e.sqlstate(),
                       sa::to_string(sa::inspect(carol).state()), carol->id);
            session.rollback();
        }
        fmt::print("after rollback carol is {}; accounts: {}\n", sa::to_string(sa::inspect(carol).state()),
                   session.query<Account>().count());
        static_cast<void>(duplicate);
    }

    {  // The RAII guard rolls back when an exception leaves its scope; a SAVEPOINT
        // undoes only its own part.
        auto session = Session();
        try {
            auto tx = session.begin();
            session.add(Account{.owner = "dave", .balance = 1});
            throw std::runtime_error("something went wrong");
        } catch (const std::runtime_error&) {
            fmt::print("guard rolled back: in transaction = {}\n", session.in_transaction());
        }
        session.add(Account{.owner = "erin", .balance = 7});
        auto nested = session.begin_nested();
        session.add(Account{.owner = "frank", .balance = 9});
        nested.rollback();  // frank goes, erin stays
        session.commit();
    }
    fmt::print("final balances:\n");
    print_balances(engine);
}
