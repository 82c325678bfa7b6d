// The growth table: what one session.get() of a key the session does not hold, and one
// small query (query<User>().filter(id == k).all()), cost in a Session that loaded N
// users before, for each N of Sizes::held, in two cases:
//
//   dropped  the program let go of the N objects, so the session may too
//            (include/alchemy/orm/detail/model_set.hpp holds objects weakly)
//   held     the program still holds them in a vector, so every autoflush compares
//            them with their snapshots: this case grows with N by design, and shows
//            what one held object costs per flush
//
// The goal for "dropped" is a cost within 1.3x from the smallest N to the largest.
// Every get and query is checked; probe keys lie above every N, so no probe is in the
// identity map beforehand, and each Session reads the same probe rows.
#pragma once

#include "database.hpp"
#include "workload.hpp"

#include <string_view>

namespace bench {

/// Measures on a users table seeded with sizes.scale_users() users and prints the table;
/// throws when a get or query returned other rows than expected.
void run_growth(std::string_view backend, std::string_view title, Database& db, const Sizes& sizes, int reps);

}  // namespace bench
