#include "raw_postgres.hpp"

#include "raw_loads.hpp"
#include "workload.hpp"

#include <libpq-fe.h>

#include <charconv>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace bench::raw_postgres {
namespace {

/// An integer as a NUL-terminated text parameter.
class IntText {
public:
    const char* operator()(std::int64_t value) {
        *std::to_chars(buffer_, buffer_ + sizeof buffer_ - 1, value).ptr = '\0';
        return buffer_;
    }

private:
    char buffer_[24]{};
};

template <class Int>
Int int_value(const PGresult* r, int row, int column) {
    const char* text = PQgetvalue(r, row, column);
    Int value = 0;
    const auto [end, error] = std::from_chars(text, text + PQgetlength(r, row, column), value);
    if (error != std::errc{}) throw std::runtime_error("raw libpq: not an integer: " + std::string(text));
    return value;
}

std::string text_value(const PGresult* r, int row, int column) {
    return std::string(PQgetvalue(r, row, column), static_cast<std::size_t>(PQgetlength(r, row, column)));
}

/// Columns first..first+3 (id, name, email, age) of a row.
User read_user(const PGresult* r, int row, int first = 0) {
    User user;
    user.id = int_value<std::int64_t>(r, row, first);
    user.name = text_value(r, row, first + 1);
    if (!PQgetisnull(r, row, first + 2)) user.email = text_value(r, row, first + 2);
    user.age = int_value<std::int32_t>(r, row, first + 3);
    return user;
}

void read_users(const PGresult* r, std::vector<User>& users) {
    const int rows = PQntuples(r);
    for (int row = 0; row < rows; ++row) users.push_back(read_user(r, row));
}

constexpr const char* insert_sql = "INSERT INTO users (name, email, age) VALUES ($1, $2, $3)";
constexpr const char* update_sql = "UPDATE users SET age = $1 WHERE id = $2";
constexpr const char* select_range_sql = "SELECT id, name, email, age FROM users WHERE id <= $1";
constexpr const char* select_user_sql = "SELECT id, name, email, age FROM users WHERE id = $1";

/// Reads the results of `count` pipelined commands and of the sync that follows them.
void drain_pipeline(Connection& db, int count) {
    for (int i = 0; i < count; ++i) {
        db.checked(PQgetResult(db.get()), PGRES_COMMAND_OK, "pipelined statement");
        // Each command's results end with a null result.
        if (PGresult* extra = PQgetResult(db.get())) {
            PQclear(extra);
            throw std::runtime_error("raw libpq: a pipelined statement returned more than one result");
        }
    }
    db.checked(PQgetResult(db.get()), PGRES_PIPELINE_SYNC, "pipeline sync");
}

/// Sends one prepared statement per item through the pipeline, `pipeline_chunk` per sync.
/// `params(item, values)` fills the statement's text parameters.
template <class Items, class Params>
void run_pipelined(Connection& db, const char* statement, int param_count, const Items& items,
                   Params params) {
    if (PQenterPipelineMode(db.get()) != 1) throw std::runtime_error("raw libpq: cannot enter pipeline mode");
    std::vector<const char*> values(static_cast<std::size_t>(param_count));
    int pending = 0;
    for (const auto& item : items) {
        params(item, values.data());
        if (PQsendQueryPrepared(db.get(), statement, param_count, values.data(), nullptr, nullptr, 0) != 1)
            throw std::runtime_error(std::string("raw libpq: send failed: ") + PQerrorMessage(db.get()));
        if (++pending == pipeline_chunk) {
            if (PQpipelineSync(db.get()) != 1) throw std::runtime_error("raw libpq: pipeline sync failed");
            drain_pipeline(db, pending);
            pending = 0;
        }
    }
    if (pending > 0) {
        if (PQpipelineSync(db.get()) != 1) throw std::runtime_error("raw libpq: pipeline sync failed");
        drain_pipeline(db, pending);
    }
    if (PQexitPipelineMode(db.get()) != 1) throw std::runtime_error("raw libpq: cannot leave pipeline mode");
}

/// Text-format COPY escaping: backslash, tab, newline and carriage return.
void append_copy_text(std::string& out, const std::string& value) {
    for (const char c : value) {
        switch (c) {
        case '\\': out += "\\\\"; break;
        case '\t': out += "\\t"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        default: out += c;
        }
    }
}

}  // namespace

Connection::Connection(const alchemy::URL& url) {
    std::vector<std::pair<std::string, std::string>> settings{{"client_encoding", "UTF8"}};
    if (!url.host.empty()) settings.emplace_back("host", url.host);
    if (url.port) settings.emplace_back("port", std::to_string(*url.port));
    if (!url.username.empty()) settings.emplace_back("user", url.username);
    if (url.password) settings.emplace_back("password", *url.password);
    if (!url.database.empty()) settings.emplace_back("dbname", url.database);
    for (const auto& [keyword, value] : url.query) settings.emplace_back(keyword, value);
    std::vector<const char*> keywords, values;
    for (const auto& [k, v] : settings) {
        keywords.push_back(k.c_str());
        values.push_back(v.c_str());
    }
    keywords.push_back(nullptr);
    values.push_back(nullptr);
    conn_ = PQconnectdbParams(keywords.data(), values.data(), 0);
    if (PQstatus(conn_) != CONNECTION_OK) {
        const std::string message = PQerrorMessage(conn_);
        PQfinish(conn_);
        throw std::runtime_error("raw libpq: cannot connect: " + message);
    }
}

Connection::~Connection() { PQfinish(conn_); }

Result Connection::checked(PGresult* raw, ExecStatusType expected, std::string_view what) const {
    Result result(raw);
    if (!result || PQresultStatus(result.get()) != expected)
        throw std::runtime_error("raw libpq: " + std::string(what) + ": " +
                                 (result ? PQresultErrorMessage(result.get()) : PQerrorMessage(conn_)));
    return result;
}

void Connection::exec(const char* sql) { checked(PQexec(conn_, sql), PGRES_COMMAND_OK, sql); }

void Connection::prepare(const char* name, const char* sql, int params) {
    if (prepared_.contains(std::string_view(name))) return;
    checked(PQprepare(conn_, name, sql, params, nullptr), PGRES_COMMAND_OK, sql);
    prepared_.emplace(name);
}

Result Connection::exec_prepared(const char* name, int count, const char* const* params,
                                 ExecStatusType expected) {
    return checked(PQexecPrepared(conn_, name, count, params, nullptr, nullptr, 0), expected, name);
}

void Connection::recover() noexcept {
    const auto status = PQtransactionStatus(conn_);
    if (PQpipelineStatus(conn_) != PQ_PIPELINE_OFF || status == PQTRANS_ACTIVE || status == PQTRANS_UNKNOWN) {
        PQreset(conn_);
        prepared_.clear();  // a new server session knows none of them
    } else if (status != PQTRANS_IDLE) {
        PQclear(PQexec(conn_, "ROLLBACK"));
    }
}

Check insert_users(Connection& db, std::span<const User> users, Stopwatch& t) {
    t.start();
    db.exec("BEGIN");
    db.prepare("insert_user", insert_sql, 3);
    IntText age;
    for (const auto& user : users) {
        const char* values[] = {user.name.c_str(), user.email ? user.email->c_str() : nullptr, age(user.age)};
        db.exec_prepared("insert_user", 3, values, PGRES_COMMAND_OK);
    }
    db.exec("COMMIT");
    t.stop();
    return {};  // checked against the table afterwards
}

Check insert_users_pipelined(Connection& db, std::span<const User> users, Stopwatch& t) {
    t.start();
    db.exec("BEGIN");
    db.prepare("insert_user", insert_sql, 3);
    IntText age;
    run_pipelined(db, "insert_user", 3, users, [&](const User& user, const char** values) {
        values[0] = user.name.c_str();
        values[1] = user.email ? user.email->c_str() : nullptr;
        values[2] = age(user.age);
    });
    db.exec("COMMIT");
    t.stop();
    return {};
}

Check copy_users(Connection& db, std::span<const User> users, Stopwatch& t) {
    constexpr std::size_t flush_at = 64 * 1024;
    t.start();
    db.checked(PQexec(db.get(), "COPY users (name, email, age) FROM STDIN"), PGRES_COPY_IN, "COPY");
    std::string buffer;
    buffer.reserve(flush_at + 1024);
    IntText age;
    const auto send = [&] {
        if (PQputCopyData(db.get(), buffer.data(), static_cast<int>(buffer.size())) != 1)
            throw std::runtime_error(std::string("raw libpq: COPY data: ") + PQerrorMessage(db.get()));
        buffer.clear();
    };
    for (const auto& user : users) {
        append_copy_text(buffer, user.name);
        buffer += '\t';
        if (user.email) append_copy_text(buffer, *user.email);
        else buffer += "\\N";
        buffer += '\t';
        buffer += age(user.age);
        buffer += '\n';
        if (buffer.size() >= flush_at) send();
    }
    if (!buffer.empty()) send();
    if (PQputCopyEnd(db.get(), nullptr) != 1)
        throw std::runtime_error(std::string("raw libpq: COPY end: ") + PQerrorMessage(db.get()));
    db.checked(PQgetResult(db.get()), PGRES_COMMAND_OK, "COPY");
    while (PGresult* rest = PQgetResult(db.get())) PQclear(rest);
    t.stop();
    return {};
}

namespace {

/// W3's prepared query in a transaction; each user goes to `take`.
template <class Take>
void each_user(Connection& db, Take&& take) {
    db.exec("BEGIN");
    db.prepare("select_users", "SELECT id, name, email, age FROM users", 0);
    const auto r = db.exec_prepared("select_users", 0, nullptr, PGRES_TUPLES_OK);
    const int rows = PQntuples(r.get());
    for (int row = 0; row < rows; ++row) take(read_user(r.get(), row));
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
    db.prepare("get_user", select_user_sql, 1);
    IntText text;
    for (const auto id : ids) {
        const char* values[] = {text(id)};
        const auto r = db.exec_prepared("get_user", 1, values, PGRES_TUPLES_OK);
        if (PQntuples(r.get()) == 1) found.push_back(read_user(r.get(), 0));
    }
    t.stop();
    return check_users(found);
}

namespace {

/// W5: gives `user` its updated age and runs the prepared "update_age" for it; `age` and
/// `id` hold the parameters' text.
void store_updated_age(Connection& db, User& user, IntText& age, IntText& id) {
    user.age = updated_age(user.age);
    const char* values[] = {age(user.age), id(user.id)};
    db.exec_prepared("update_age", 2, values, PGRES_COMMAND_OK);
}

}  // namespace

Check update_users(Connection& db, std::int64_t count, Stopwatch& t) {
    t.start();
    db.exec("BEGIN");
    db.prepare("select_range", select_range_sql, 1);
    db.prepare("update_age", update_sql, 2);
    IntText limit, age, id;
    std::vector<User> users;
    const char* range[] = {limit(count)};
    read_users(db.exec_prepared("select_range", 1, range, PGRES_TUPLES_OK).get(), users);
    for (auto& user : users) store_updated_age(db, user, age, id);
    db.exec("COMMIT");
    t.stop();
    return {};  // checked against the table afterwards
}

Check update_users_pipelined(Connection& db, std::int64_t count, Stopwatch& t) {
    t.start();
    db.exec("BEGIN");
    db.prepare("select_range", select_range_sql, 1);
    db.prepare("update_age", update_sql, 2);
    IntText limit, age, id;
    std::vector<User> users;
    const char* range[] = {limit(count)};
    read_users(db.exec_prepared("select_range", 1, range, PGRES_TUPLES_OK).get(), users);
    for (auto& user : users) user.age = updated_age(user.age);
    run_pipelined(db, "update_age", 2, users, [&](const User& user, const char** values) {
        values[0] = age(user.age);
        values[1] = id(user.id);
    });
    db.exec("COMMIT");
    t.stop();
    return {};
}

Check get_update_users(Connection& db, std::int64_t count, Stopwatch& t) {
    t.start();
    db.exec("BEGIN");
    db.prepare("get_user", select_user_sql, 1);
    db.prepare("update_age", update_sql, 2);
    IntText key, age, id;
    for (std::int64_t i = 1; i <= count; ++i) {
        const char* selected[] = {key(i)};
        const auto r = db.exec_prepared("get_user", 1, selected, PGRES_TUPLES_OK);
        if (PQntuples(r.get()) != 1)
            throw std::runtime_error("raw libpq: W5b found no user " + std::to_string(i));
        User user = read_user(r.get(), 0);
        store_updated_age(db, user, age, id);
    }
    db.exec("COMMIT");
    t.stop();
    return {};  // checked against the table afterwards
}

Check load_user_posts(Connection& db, std::int64_t users, Stopwatch& t) {
    t.start();
    db.exec("BEGIN");
    db.prepare("select_user_posts",
               "SELECT users.id, users.name, users.email, users.age, posts.id, posts.user_id, "
               "posts.title, posts.body FROM users JOIN posts ON posts.user_id = users.id "
               "WHERE users.id <= $1 ORDER BY users.id, posts.id",
               1);
    IntText limit;
    const char* values[] = {limit(users)};
    const auto r = db.exec_prepared("select_user_posts", 1, values, PGRES_TUPLES_OK);
    std::vector<UserPosts> groups;
    const int rows = PQntuples(r.get());
    for (int row = 0; row < rows; ++row) {
        Post post;
        post.id = int_value<std::int64_t>(r.get(), row, 4);
        post.user_id = int_value<std::int64_t>(r.get(), row, 5);
        post.title = text_value(r.get(), row, 6);
        post.body = text_value(r.get(), row, 7);
        add_joined_row(groups, read_user(r.get(), row), std::move(post));
    }
    db.exec("COMMIT");
    t.stop();
    return check_groups(groups);
}

namespace {

/// W6's two prepared queries in a transaction: users 1..users to `take_user`, then their
/// posts, ordered by user, to `take_post`.
template <class TakeUser, class TakePost>
void each_user_then_post(Connection& db, std::int64_t users, TakeUser&& take_user, TakePost&& take_post) {
    db.exec("BEGIN");
    db.prepare("select_w6_users", "SELECT id, name, email, age FROM users WHERE id <= $1 ORDER BY id", 1);
    db.prepare("select_w6_posts",
               "SELECT id, user_id, title, body FROM posts WHERE user_id <= $1 ORDER BY user_id, id", 1);
    IntText limit;
    const char* values[] = {limit(users)};
    {
        const auto r = db.exec_prepared("select_w6_users", 1, values, PGRES_TUPLES_OK);
        const int rows = PQntuples(r.get());
        for (int row = 0; row < rows; ++row) take_user(read_user(r.get(), row));
    }
    const auto r = db.exec_prepared("select_w6_posts", 1, values, PGRES_TUPLES_OK);
    const int rows = PQntuples(r.get());
    for (int row = 0; row < rows; ++row) {
        Post post;
        post.id = int_value<std::int64_t>(r.get(), row, 0);
        post.user_id = int_value<std::int64_t>(r.get(), row, 1);
        post.title = text_value(r.get(), row, 2);
        post.body = text_value(r.get(), row, 3);
        take_post(std::move(post));
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
    if (PQsendQueryParams(db.get(), "SELECT id, name, email, age FROM users", 0, nullptr, nullptr, nullptr,
                          nullptr, 0) != 1 ||
        PQsetSingleRowMode(db.get()) != 1)
        throw std::runtime_error(std::string("raw libpq: cannot stream: ") + PQerrorMessage(db.get()));
    Check check;
    for (;;) {
        Result row(PQgetResult(db.get()));
        if (row && PQresultStatus(row.get()) == PGRES_SINGLE_TUPLE) {
            count_user(check, read_user(row.get(), 0));
            continue;
        }
        db.checked(row.release(), PGRES_TUPLES_OK, "streamed SELECT");  // the end of the rows
        break;
    }
    while (PGresult* rest = PQgetResult(db.get())) PQclear(rest);
    return check;
}

}  // namespace bench::raw_postgres
