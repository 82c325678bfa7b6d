// The raw PostgreSQL baselines: libpq as a careful C programmer uses it.
//
// Parameters and results are in TEXT format: integers are written with std::to_chars
// and read with std::from_chars, strings are passed as they are. That is the straight
// road through libpq (binary format needs type OIDs and byte swapping for every
// column), and for these short values it costs next to nothing either way.
//
// Three styles:
//   prepared  PQprepare once, then PQexecPrepared per row: one round trip per statement,
//             the baseline the Session's batched flush must beat tenfold (W1, W5)
//   pipeline  pipeline mode: PQsendQueryPrepared per row, a PQpipelineSync every
//             `pipeline_chunk` rows, then the results of that chunk are read. Chunking
//             keeps both sides' socket buffers from filling up, which would deadlock a
//             blocking connection that writes everything before it reads anything
//   copy      COPY users (name, email, age) FROM STDIN in text format (W2)
//   stream    single-row mode: one PGresult per row, so a result of any size takes the
//             client memory of one row (the streaming memory figure)
//
// One connection serves every repetition, as alchemy's pooled connection does (a fresh
// server process per variant would start with cold caches). Each statement is prepared
// the first time a variant needs it, like alchemy's statement cache.
#pragma once

#include "harness.hpp"
#include "models.hpp"

#include <alchemy/core/url.hpp>

#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <string_view>

namespace bench::raw_postgres {

inline constexpr int pipeline_chunk = 500;

struct ResultDeleter {
    void operator()(PGresult* r) const noexcept { PQclear(r); }
};
using Result = std::unique_ptr<PGresult, ResultDeleter>;

/// A libpq connection to the URL's server and database.
class Connection {
public:
    explicit Connection(const alchemy::URL& url);
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;
    ~Connection();

    PGconn* get() const noexcept { return conn_; }
    /// A result of the expected status, else an exception with the server's message.
    Result checked(PGresult* raw, ExecStatusType expected, std::string_view what) const;
    void exec(const char* sql);
    /// PQprepare, unless this connection has prepared `name` already.
    void prepare(const char* name, const char* sql, int params);
    /// PQexecPrepared with text parameters and text results.
    Result exec_prepared(const char* name, int count, const char* const* params, ExecStatusType expected);
    /// After a failure: back to an idle connection (ROLLBACK, or a reconnect when the
    /// failure struck inside a pipeline or a COPY).
    void recover() noexcept;

private:
    PGconn* conn_ = nullptr;
    std::set<std::string, std::less<>> prepared_;
};

/// W1: one PQexecPrepared INSERT per user inside BEGIN/COMMIT.
Check insert_users(Connection& db, std::span<const User> users, Stopwatch& t);
/// W1: the same INSERTs in pipeline mode.
Check insert_users_pipelined(Connection& db, std::span<const User> users, Stopwatch& t);
/// W2: COPY FROM STDIN.
Check copy_users(Connection& db, std::span<const User> users, Stopwatch& t);
/// W3: every user, one prepared SELECT inside BEGIN/COMMIT.
Check load_users(Connection& db, Stopwatch& t);
/// W3 into objects kept as any Session must keep them, with nothing else (object_floor.hpp).
Check load_users_as_objects(Connection& db, Stopwatch& t);
/// W4: one PQexecPrepared SELECT per id, autocommit (no BEGIN).
Check get_users(Connection& db, std::span<const std::int64_t> ids, Stopwatch& t);
/// W5: load users 1..count, then one PQexecPrepared UPDATE per user; one transaction.
Check update_users(Connection& db, std::int64_t count, Stopwatch& t);
/// W5: the same with the UPDATEs in pipeline mode.
Check update_users_pipelined(Connection& db, std::int64_t count, Stopwatch& t);
/// W5b: for each of users 1..count, the prepared SELECT by key, then the prepared UPDATE
/// of its age (two round trips); one transaction.
Check get_update_users(Connection& db, std::int64_t count, Stopwatch& t);
/// W6: users 1..users with their posts, one prepared JOIN ordered by user and post id.
Check load_user_posts(Connection& db, std::int64_t users, Stopwatch& t);
/// W6 in two prepared queries (users by id, then their posts by user id), merged in
/// memory: what a relationship load does.
Check load_user_posts_two_queries(Connection& db, std::int64_t users, Stopwatch& t);
/// The two queries into objects kept as any Session must keep them, each user with the
/// collection of its posts (object_floor.hpp).
Check load_user_posts_as_objects(Connection& db, std::int64_t users, Stopwatch& t);
/// Streaming: every user in single-row mode, read into one User at a time (untimed: the
/// caller measures it).
Check stream_users(Connection& db);

}  // namespace bench::raw_postgres
