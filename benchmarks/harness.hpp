// The benchmark harness: a stopwatch, result checks, repetitions with medians, and the
// table that compares each alchemy variant with its raw C API baseline.
//
// Each variant runs once per repetition; repetitions interleave the variants (rep 1 of
// every variant, then rep 2, ...) so slow drift of the machine affects all alike. A
// variant times only its own work (set-up and checks stay outside the stopwatch) and
// returns a Check of what it read or wrote, which must equal the expected one: a
// benchmark that silently measured nothing would be worse than none.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

// Under callgrind started with --collect-atstart=no, only what a stopwatch times is
// counted (scripts/code-footprint); elsewhere the request is a few no-op instructions.
#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#define BENCH_TOGGLE_PROFILER() CALLGRIND_TOGGLE_COLLECT
#else
#define BENCH_TOGGLE_PROFILER() ((void)0)
#endif

namespace bench {

/// Accumulates the time between start() and stop() calls.
class Stopwatch {
public:
    void start() {
        BENCH_TOGGLE_PROFILER();
        begun_ = clock::now();
    }
    void stop() {
        total_ += clock::now() - begun_;
        BENCH_TOGGLE_PROFILER();
    }
    double ms() const { return std::chrono::duration<double, std::milli>(total_).count(); }

private:
    using clock = std::chrono::steady_clock;
    clock::time_point begun_{};
    clock::duration total_{};
};

/// A cheap fingerprint of the rows a variant read or wrote. Two variants that did the
/// same work produce the same Check.
struct Check {
    std::int64_t users = 0;   ///< user rows
    std::int64_t ids = 0;     ///< sum of user ids (and of post ids and user_ids, W6)
    std::int64_t ages = 0;    ///< sum of ages
    std::int64_t emails = 0;  ///< users whose email is not NULL
    std::int64_t text = 0;    ///< bytes of names (and post titles and bodies, W6)
    std::int64_t posts = 0;   ///< post rows (W6)
    friend bool operator==(const Check&, const Check&) = default;
};
std::string describe(const Check& check);

/// One measured piece of work: a raw baseline or an alchemy variant.
struct Variant {
    std::string key;  ///< e.g. "w3.raw", "w3.core"
    Check expected;
    std::function<Check(Stopwatch&)> run;  ///< times its work with the stopwatch
};

/// The median of `values`; none when it is empty.
std::optional<double> median(std::vector<double> values);

/// The timings of one variant; `error` is set when it threw or its Check was wrong
/// (it is then not run again).
struct Measured {
    std::vector<double> ms{};
    std::string error{};
    std::optional<double> median() const;
};

/// Runs every variant `reps` times, interleaved; progress goes to stderr.
std::map<std::string, Measured> run_variants(std::string_view backend, const std::vector<Variant>& variants,
                                             int reps);

/// One line of the table: alchemy variant `alchemy_key` against raw variant `raw_key`.
struct Comparison {
    std::string work;     ///< "W3 load users"
    std::string variant;  ///< "Core select<User>() vs prepared"
    std::string raw_key;
    std::string alchemy_key;
    std::optional<double> max_ratio{};  ///< the target (alchemy / raw at most this); none: informative
};

/// Prints the table; variants that were not built show as "n/a".
void print_table(std::string_view title, const std::vector<Comparison>& rows,
                 const std::map<std::string, Measured>& results);

}  // namespace bench
