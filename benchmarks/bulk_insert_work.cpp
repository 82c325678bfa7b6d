#include "bulk_insert_work.hpp"

#include <fmt/format.h>

#include <cstdint>
#include <stdexcept>

namespace bench::bulk {

Check insert_users(Database& db, std::span<const User> users, Stopwatch& t) {
    auto conn = db.engine().connect();
    t.start();
    const std::int64_t inserted = alchemy::bulk_insert(conn, users);
    conn.commit();
    t.stop();
    if (inserted != static_cast<std::int64_t>(users.size()))
        throw std::runtime_error(fmt::format("bulk_insert reported {} rows of {}", inserted, users.size()));
    return {};  // checked against the table afterwards
}

}  // namespace bench::bulk
