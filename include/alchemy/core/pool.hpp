// PoolStatus: what Engine::pool_status() reports about the connection pool. The pool
// itself (src/core/pool.hpp) is private to the library.
#pragma once

#include <cstdint>

namespace alchemy {

/// A snapshot of the pool's counters.
struct PoolStatus {
    int size = 0;                ///< pool_size
    int checked_in = 0;          ///< idle connections kept open
    int checked_out = 0;         ///< connections in use
    int overflow = 0;            ///< open connections beyond pool_size (negative while below it)
    std::uint64_t connects = 0;  ///< connections opened since the pool was made
};

}  // namespace alchemy
