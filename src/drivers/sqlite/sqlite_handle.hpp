// What a SQLite connection shares with its statements: the database handle and
// whether a fatal error has made the connection unusable.
#pragma once

#include <sqlite3.h>

namespace alchemy::detail::sqlite {

struct Handle {
    sqlite3* db = nullptr;
    /// Set once SQLite reported corruption or an I/O failure; the pool must drop us.
    bool broken = false;
};

}  // namespace alchemy::detail::sqlite
