// What the benchmark measures on each backend: the variants (raw baselines and alchemy
// variants, each with its set-up and its expected Check) and the table's comparisons
// with their targets, as the issues state them:
//
//   SQLite      Core <= 1.10x raw on every row, W2 against a raw multi-row INSERT;
//               Session <= 1.25x (W1, W3, W4 in one Session, W5, W5b); W4 with a fresh
//               Session per get <= 1.10x
//   PostgreSQL  Core W3 and W4 <= 1.10x raw, Session W3 and W4 in one Session <= 1.25x;
//               W1 and W5 (Session flush) at least 10x faster than one statement per
//               round trip (ratio <= 0.10), and W1 within 1.50x of COPY; W2 within 1.20x
//               of COPY
//
// Rows without a target are there to be read, not judged.
#pragma once

#include "database.hpp"
#include "harness.hpp"
#include "models.hpp"
#include "workload.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace bench {

/// The inputs shared by the variants of one backend; must outlive its Plan.
struct Inputs {
    explicit Inputs(const Sizes& s)
        : sizes(s), users(make_users(s.insert_users)), ids(lookup_ids(s.lookups, s.table_users)) {}
    Sizes sizes;
    std::vector<User> users;        ///< W1, W2
    std::vector<std::int64_t> ids;  ///< W4
};

struct Plan {
    std::vector<Variant> variants;
    std::vector<Comparison> rows;
    std::string settings;  ///< what raw and alchemy both run with, for the table's title
};

Plan sqlite_plan(Database& db, const Inputs& in);
Plan postgres_plan(Database& db, const Inputs& in);

}  // namespace bench
