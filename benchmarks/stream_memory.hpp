// Peak memory while reading a whole users table in one loop: the Session streaming with
// query<User>().yield_per(1000), the same Session loading query<User>().all() (for
// contrast), and the raw C API (sqlite3_step; libpq single-row mode). The goal for
// yield_per is under 64 MB above the process's baseline on a million rows.
//
// Each runs in a child process of its own (this program, run again with the option
// stream_memory_option): in the parent, memory freed by earlier work would be reused
// and hide what the loop takes. The child opens its connection, reads its resident
// memory right before the loop, resets the kernel's peak mark, and reports the peak
// after the loop above that baseline (VmHWM - VmRSS, /proc/self/status).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace bench {

/// The option that makes this program a streaming child: OPTION KIND URL (not in --help).
inline constexpr std::string_view stream_memory_option = "--stream-memory-child";

/// Runs the three children on the database at `url`, whose users table holds users
/// 1..rows, and prints their figures; throws when one fails or reads other rows.
void run_stream_memory(std::string_view title, const std::string& url, std::int64_t rows);

/// The child: `args` are KIND URL; prints its figures on stdout; returns the exit status.
int stream_memory_child(std::span<char* const> args);

}  // namespace bench
