#include "raw_sqlite.hpp"

#include "raw_loads.hpp"
#include "workload.hpp"

#include <sqlite3.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bench::raw_sqlite {
namespace {

[[noreturn]] void fail(sqlite3* db, std::string_view what) {
    throw std::runtime_error(std::string("raw sqlite3: ") + std::string(what) + ": " + sqlite3_errmsg(db));
}

/// A prepared statement, finalized on destruction.
class Statement {
public:
    Statement(sqlite3* db, const char* sql) : db_(db) {
        if (sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) != SQLITE_OK) fail(db, sql);
    }
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;
    ~Statement() { sqlite3_finalize(stmt_); }

    sqlite3_stmt* get() const noexcept { return stmt_; }
    /// Steps once; true for a row, false when done.
    bool step() {
        const int rc = sqlite3_step(stmt_);
        if (rc == SQLITE_ROW) return true;
        if (rc != SQLITE_DONE) fail(db_, sqlite3_sql(stmt_));
        return false;
    }
    /// Resets for the next execution; the bindings are all replaced by then.
    void reset() { sqlite3_reset(stmt_); }

private:
    sqlite3* db_;
    sqlite3_stmt* stmt_ = nullptr;
};

// The strings bound below outlive each step, so SQLITE_STATIC: no copy, as a C
// programmer would bind them.
void bind_text(sqlite3_stmt* stmt, int index, const std::string& text) {
    sqlite3_bind_text(stmt, index, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
}

std::string column_text(sqlite3_stmt* stmt, int column) {
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, column));
    return std::string(text ? text : "", static_cast<std::size_t>(sqlite3_column_bytes(stmt, column)));
}

/// Reads columns first..first+3 (id, name, email, age) of the current row.
User read_user(sqlite3_stmt* stmt, int first = 0) {
    User user;
    user.id = sqlite3_column_int64(stmt, first);
    user.name = column_text(stmt, first + 1);
    if (sqlite3_column_type(stmt, first + 2) != SQLITE_NULL) user.email = column_text(stmt, first + 2);
    user.age = sqlite3_column_int(stmt, first + 3);
    return user;
}

constexpr const char* select_users = "SELECT id, name, email, age FROM users";
constexpr const char* select_user = "SELECT id, name, email, age FROM users WHERE id = ?";
constexpr const char* update_age = "UPDATE users SET age = ? WHERE id = ?";

/// "INSERT INTO users (name, email, age) VALUES (?, ?, ?), ..." for `rows` rows.
std::string multirow_insert_sql(std::size_t rows) {
    std::string sql = "INSERT INTO users (name, email, age) VALUES ";
    for (std::size_t i = 0; i < rows; ++i) sql += i == 0 ? "(?, ?, ?)" : ", (?, ?, ?)";
    return sql;
}

/// Binds a user's name, email and age at parameters first..first+2.
void bind_user(sqlite3_stmt* stmt, int first, const User& user) {
    bind_text(stmt, first, user.name);
    if (user.email) bind_text(stmt, first + 1, *user.email);
    else sqlite3_bind_null(stmt, first + 1);
    sqlite3_bind_int(stmt, first + 2, user.age);
}

/// W5: gives `user` its updated age and runs the prepared `update` (update_age) for it.
void store_updated_age(Statement& update, User& user) {
    user.age = updated_age(user.age);
    sqlite3_bind_int(update.get(), 1, user.age);
    sqlite3_bind_int64(update.get(), 2, user.id);
    update.step();
    update.reset();
}

}  // namespace

// The same open flags, busy timeout and foreign keys as alchemy's driver
// (src/drivers/sqlite/sqlite_driver.cpp).
Connection::Connection(const std::string& path) {
    const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
        const std::string message = db_ ? sqlite3_errmsg(db_) : "out of memory";
        sqlite3_close(db_);
        throw std::runtime_error("raw sqlite3: cannot open " + path + ": " + message);
    }
    sqlite3_busy_timeout(db_, 5000);
    exec("PRAGMA foreign_keys = ON");
}

Connection::~Connection() { sqlite3_close(db_); }

void Connection::exec(const char* sql) {
    if (sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) != SQLITE_OK) fail(db_, sql);
}

std::string Connection::text_value(const char* sql) {
    Statement statement(db_, sql);
    if (!statement.step()) throw std::runtime_error(std::string("raw sqlite3: no row from ") + sql);
    return column_text(statement.get(), 0);
}

void Connection::recover() noexcept {
    if (!sqlite3_get_autocommit(db_)) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
}

Check insert_users(Connection& db, std::span<const User> users, Stopwatch& t) {
    t.start();
    db.exec("BEGIN");
    Statement insert(db.get(), "INSERT INTO users (name, email, age) VALUES (?, ?, ?)");
    for (const auto& user : users) {
        bind_user(insert.get(), 1, user);
        insert.step();
        insert.reset();
    }
    db.exec("COMMIT");
    t.stop();
    return {};  // checked against the table afterwards
}

Check insert_users_multirow(Connection& db, std::span<const User> users, Stopwatch& t) {
    const std::size_t full_batches = users.size() / multirow_batch;
    const std::size_t rest = users.size() % multirow_batch;
    const auto insert = [](Statement& statement, std::span<const User> batch) {
        for (std::size_t i = 0; i < batch.size(); ++i)
            bind_user(statement.get(), static_cast<int>(3 * i + 1), batch[i]);
        statement.step();
        statement.reset();
    };
    t.start();
    db.exec("BEGIN");
    if (full_batches > 0) {
        Statement full(db.get(), multirow_insert_sql(multirow_batch).c_str());
        for (std::size_t b = 0; b < full_batches; ++b)
            insert(full, users.subspan(b * multirow_batch, multirow_batch));
    }
    if (rest > 0) {
        Statement last(db.get(), multirow_insert_sql(rest).c_str());
        insert(last, users.subspan(full_batches * multirow_batch));
    }
    db.exec("COMMIT");
    t.stop();
    return {};  // checked against the table afterwards
}

namespace {

/// W3's query in a transaction; each user goes to `take`.
template <class Take>
void each_user(Connection& db, Take&& take) {
    db.exec("BEGIN");
    {
        Statement select(db.get(), select_users);
        while (select.step()) take(read_user(select.get()));
    }
    db.exec("COMMIT");
}

}  // namespace

Check load_users(Connection& db, Stopwatch& t) {
    return users_into_structs([&](auto take) { each_user(db, take); }, t);
}

Check load_users_as_objects(Connection& db, Stopwatch& t) {
    return users_into_objects([&](auto take) { each_user(db, take); }, t);
}

Check get_users(Connection& db, std::span<const std::int64_t> ids, Stopwatch& t) {
    std::vector<User> found;
    found.reserve(ids.size());
    t.start();
    Statement select(db.get(), select_user);
    for (const auto id : ids) {
        sqlite3_bind_int64(select.get(), 1, id);
        if (select.step()) found.push_back(read_user(select.get()));
        select.reset();
    }
    t.stop();
    return check_users(found);
}

Check get_users_in_transaction(Connection& db, std::span<const std::int64_t> ids, Stopwatch& t) {
    std::vector<User> found;
    found.reserve(ids.size());
    t.start();
    db.exec("BEGIN");
    {
        Statement select(db.get(), select_user);
        for (const auto id : ids) {
            sqlite3_bind_int64(select.get(), 1, id);
            if (select.step()) found.push_back(read_user(select.get()));
            select.reset();
        }
    }
    db.exec("COMMIT");
    t.stop();
    return check_users(found);
}

Check get_users_in_transaction_as_objects(Connection& db, std::span<const std::int64_t> ids, Stopwatch& t) {
    Check found;
    t.start();
    db.exec("BEGIN");
    {
        ObjectFloor<User> objects;
        Statement select(db.get(), select_user);
        for (const auto id : ids) {
            sqlite3_bind_int64(select.get(), 1, id);
            // Used, then dropped, as the Session variant drops each object.
            if (select.step()) {
                count_user(found, *objects.adopt(read_user(select.get())).object);
                objects.forget(id);
            }
            select.reset();
        }
        objects.close();
    }
    db.exec("COMMIT");
    t.stop();
    return found;
}

Check update_users(Connection& db, std::int64_t count, Stopwatch& t) {
    t.start();
    db.exec("BEGIN");
    std::vector<User> users;
    {
        Statement select(db.get(), "SELECT id, name, email, age FROM users WHERE id <= ?");
        sqlite3_bind_int64(select.get(), 1, count);
        while (select.step()) users.push_back(read_user(select.get()));
    }
    Statement update(db.get(), update_age);
    for (auto& user : users) store_updated_age(update, user);
    db.exec("COMMIT");
    t.stop();
    return {};  // checked against the table afterwards
}

Check get_update_users(Connection& db, std::int64_t count, Stopwatch& t) {
    t.start();
    db.exec("BEGIN");
    {
        Statement select(db.get(), select_user);
        Statement update(db.get(), update_age);
        for (std::int64_t id = 1; id <= count; ++id) {
            sqlite3_bind_int64(select.get(), 1, id);
            if (!select.step())
                throw std::runtime_error("raw sqlite3: W5b found no user " + std::to_string(id));
            User user = read_user(select.get());
            select.reset();
            store_updated_age(update, user);
        }
    }
    db.exec("COMMIT");
    t.stop();
    return {};  // checked against the table afterwards
}

Check load_user_posts(Connection& db, std::int64_t users, Stopwatch& t) {
    t.start();
    db.exec("BEGIN");
    std::vector<UserPosts> groups;
    {
        Statement select(db.get(),
                         "SELECT users.id, users.name, users.email, users.age, posts.id, "
                         "posts.user_id, posts.title, posts.body FROM users "
                         "JOIN posts ON posts.user_id = users.id WHERE users.id <= ? "
                         "ORDER BY users.id, posts.id");
        sqlite3_bind_int64(select.get(), 1, users);
        while (select.step()) {
            Post post;
            post.id = sqlite3_column_int64(select.get(), 4);
            post.user_id = sqlite3_column_int64(select.get(), 5);
            post.title = column_text(select.get(), 6);
            post.body = column_text(select.get(), 7);
            add_joined_row(groups, read_user(select.get()), std::move(post));
        }
    }
    db.exec("COMMIT");
    t.stop();
    return check_groups(groups);
}

namespace {

/// W6's two queries in a transaction: users 1..users to `take_user`, then their posts,
/// ordered by user, to `take_post`.
template <class TakeUser, class TakePost>
void each_user_then_post(Connection& db, std::int64_t users, TakeUser&& take_user, TakePost&& take_post) {
    db.exec("BEGIN");
    {
        Statement select(db.get(), "SELECT id, name, email, age FROM users WHERE id <= ? ORDER BY id");
        sqlite3_bind_int64(select.get(), 1, users);
        while (select.step()) take_user(read_user(select.get()));
    }
    {
        Statement select(
            db.get(), "SELECT id, user_id, title, body FROM posts WHERE user_id <= ? ORDER BY user_id, id");
        sqlite3_bind_int64(select.get(), 1, users);
        while (select.step()) {
            Post post;
            post.id = sqlite3_column_int64(select.get(), 0);
            post.user_id = sqlite3_column_int64(select.get(), 1);
            post.title = column_text(select.get(), 2);
            post.body = column_text(select.get(), 3);
            take_post(std::move(post));
        }
    }
    db.exec("COMMIT");
}

}  // namespace

Check load_user_posts_two_queries(Connection& db, std::int64_t users, Stopwatch& t) {
    return user_posts_into_groups(
        [&](auto take_user, auto take_post) { each_user_then_post(db, users, take_user, take_post); }, t);
}

Check load_user_posts_as_objects(Connection& db, std::int64_t users, Stopwatch& t) {
    return user_posts_into_objects(
        [&](auto take_user, auto take_post) { each_user_then_post(db, users, take_user, take_post); }, t);
}

Check stream_users(Connection& db) {
    Check check;
    db.exec("BEGIN");
    {
        Statement select(db.get(), select_users);
        while (select.step()) count_user(check, read_user(select.get()));
    }
    db.exec("COMMIT");
    return check;
}

}  // namespace bench::raw_sqlite
