// The table the SIGKILL tests (sigkill_test.cpp) and their victim (victim/victim.cpp)
// share, and what the victim commits before the transaction it is killed in.
#pragma once

#include <alchemy/alchemy.hpp>

#include <cstdint>
#include <string>

namespace fault {

struct Note {
    std::int64_t id = 0;
    std::string body{};
};

/// Rows the victim commits first: the count the table must show after the kill.
inline constexpr int committed_rows = 7;
/// Rows of the transaction the victim is killed in: enough that SQLite spills pages to
/// the database file (several MB against a 2 MB page cache) and the Session's flush
/// takes 20 INSERT statements (1000 rows each, with given keys).
inline constexpr int doomed_rows = 20'000;
/// The body of each doomed row.
inline const std::string doomed_body(200, 'x');

}  // namespace fault

template <>
inline constexpr auto alchemy::mapping<fault::Note> = alchemy::table("fault_notes");
