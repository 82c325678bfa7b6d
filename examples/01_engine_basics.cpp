// The tutorial's set-up and core in C++: create an engine, create a table with text(),
// insert with bound parameters, query typed rows, and use a transaction.
//
// Runs on SQLite by default; set DATABASE_URL to try PostgreSQL, e.g.
//   DATABASE_URL=postgresql://user:pass@localhost/db ./example_01_engine_basics
#include <alchemy/alchemy.hpp>

#include <fmt/format.h>
#include <cstdlib>

namespace sa = alchemy;

int main() {
    const char* env_url = std::getenv("DATABASE_URL");
    // pool_size/max_overflow as in the tutorial's "Database Pooling" section.
    auto engine = sa::create_engine(env_url ? env_url : "sqlite:///engine_basics.db",
                                    {.pool_size = 10, .max_overflow = 20, .echo = true});
    fmt::print("engine on {} ({})\n", engine.url(), engine.dialect().name());

    {  // Connections come from the pool and go back when they leave scope.
        auto conn = engine.connect();
        conn.execute(sa::text("DROP TABLE IF EXISTS users"));
        conn.execute(
            sa::text("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, "
                     "email TEXT UNIQUE)"));
        conn.commit();  // the first statement began a transaction: commit it
    }

    {  // engine.begin(): a connection with a transaction; commit or it rolls back.
        auto conn = engine.begin();
        for (auto [id, name] : {std::pair{1, "john_doe"}, std::pair{2, "jane"}})
            conn.execute(sa::text("INSERT INTO users (id, name, email) VALUES (:id, :name, :email)")
                             .bind("id", id)
                             .bind("name", name)
                             .bind("email", fmt::format("{}@example.com", name)));
        conn.commit();
    }

    {  // Typed rows: a tuple per row, read with structured bindings.
        auto conn = engine.connect();
        for (auto [id, name, email] :
             conn.execute(sa::text("SELECT id, name, email FROM users ORDER BY id")
                              .columns<std::int64_t, std::string, std::optional<std::string>>()))
            fmt::print("user {}: {} <{}>\n", id, name, email.value_or("no email"));
        const auto count =
            conn.execute(sa::text("SELECT count(*) FROM users").columns<std::int64_t>()).scalar_one();
        fmt::print("{} users\n", count);
    }

    {  // A failed transaction leaves nothing behind.
        auto conn = engine.connect();
        try {
            auto tx = conn.begin();
            conn.execute(sa::text("UPDATE users SET name = :name WHERE id = 1").bind("name", "john"));
            conn.execute(sa::text("INSERT INTO users (id, name, email) VALUES (3, 'x', :email)")
                             .bind("email", "jane@example.com"));  // duplicate email
            tx.commit();
        } catch (const sa::UniqueViolation& e) {
            fmt::print("rolled back: {}\n", e.message());
        }
        const auto name =
            conn.execute(sa::text("SELECT name FROM users WHERE id = 1").columns<std::string>()).scalar_one();
        fmt::print("user 1 is still '{}'\n", name);
        if (name != "john_doe") return 1;
    }

    {  // A savepoint undoes part of a transaction.
        auto conn = engine.connect();
        auto tx = conn.begin();
        conn.execute(sa::text("UPDATE users SET name = 'john' WHERE id = 1"));
        {
            auto savepoint = conn.begin_nested();
            conn.execute(sa::text("DELETE FROM users"));
            savepoint.rollback();  // the DELETE is undone, the UPDATE kept
        }
        tx.commit();
        const auto remaining =
            conn.execute(sa::text("SELECT count(*) FROM users").columns<std::int64_t>()).scalar_one();
        fmt::print("{} users after the savepoint rollback\n", remaining);
        if (remaining != 2) return 1;
    }
    fmt::print("{}\n", engine.pool_status_text());
}
