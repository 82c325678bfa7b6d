// Owning handles for libpq's PGconn and PGresult, so every exit path releases them.
#pragma once

#include <libpq-fe.h>

#include <memory>

namespace alchemy::detail::pg {

struct ConnectionCloser {
    void operator()(PGconn* connection) const noexcept { PQfinish(connection); }
};
struct ResultClearer {
    void operator()(PGresult* result) const noexcept { PQclear(result); }
};

using ConnectionHandle = std::unique_ptr<PGconn, ConnectionCloser>;
using ResultHandle = std::unique_ptr<PGresult, ResultClearer>;

}  // namespace alchemy::detail::pg
