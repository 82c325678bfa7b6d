// What a SQLite connection shares with its statements: the database handle, whether a
// fatal error has made the connection unusable, and the queries open on it.
#pragma once

#include <sqlite3.h>

#include <vector>

namespace alchemy::detail::sqlite {

class SqliteStatement;

struct Handle {
    sqlite3* db = nullptr;
    /// Set once SQLite reported corruption or an I/O failure; the pool must drop us.
    bool broken = false;
    /// The queries execute() opened that still step lazily, which a statement that may
    /// change their rows reads ahead first (SqliteStatement::before_running). Few: one
    /// per open Result.
    std::vector<SqliteStatement*> open_queries;
};

}  // namespace alchemy::detail::sqlite
