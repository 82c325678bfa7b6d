// W2 through alchemy::bulk_insert(conn, span): COPY on PostgreSQL, multi-row INSERT
// statements on SQLite; generated keys are not read back.
#pragma once

#include "database.hpp"
#include "harness.hpp"
#include "models.hpp"

#include <span>

namespace bench::bulk {

Check insert_users(Database& db, std::span<const User> users, Stopwatch& t);

}  // namespace bench::bulk
