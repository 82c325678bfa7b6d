#include "growth.hpp"

#include "harness.hpp"

#include <fmt/format.h>

#include <array>
#include <cstdio>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace bench {
namespace {

namespace sa = alchemy;

enum class Loaded { dropped, held };

/// One Session's figures: µs per get and per query, and ms of the first flush after
/// loading (where the session lets go of dropped objects, or compares held ones).
struct Sample {
    double get_us = 0;
    double query_us = 0;
    double first_flush_ms = 0;
};

void expect(const Check& got, const Check& expected, std::string_view what) {
    if (got != expected)
        throw std::runtime_error(
            fmt::format("growth: {} returned {}, expected {}", what, describe(got), describe(expected)));
}

/// Loads users 1..n in a fresh Session, drops or keeps them, flushes once, then times
/// `probes` gets and `probes` queries of keys above the largest n.
Sample measure(Database& db, const Sizes& sizes, std::int64_t n, Loaded loaded_how) {
    const std::int64_t first_get = sizes.held.back() + 1;
    const std::int64_t first_query = first_get + sizes.probes;
    const std::int64_t end = first_query + sizes.probes;

    sa::Session session(db.engine());
    auto loaded = session.query<User>().filter(sa::col<&User::id> <= n).all();
    expect(check_users(loaded), expected_loaded(n), "loading");
    if (loaded_how == Loaded::dropped) loaded = {};

    Sample sample;
    Stopwatch flush;
    flush.start();
    session.flush();
    flush.stop();
    sample.first_flush_ms = flush.ms();

    Check got;
    Stopwatch gets;
    gets.start();
    for (std::int64_t id = first_get; id < first_query; ++id)
        if (const auto user = session.get<User>(id)) count_user(got, *user);
    gets.stop();

    Check queried;
    Stopwatch queries;
    queries.start();
    for (std::int64_t id = first_query; id < end; ++id)
        for (const auto& user : session.query<User>().filter(sa::col<&User::id> == id).all())
            count_user(queried, *user);
    queries.stop();

    session.close();
    expect(got, expected_range(first_get, first_query - 1), "get()");
    expect(queried, expected_range(first_query, end - 1), "query()");
    const auto per_probe_us = [&](const Stopwatch& t) {
        return t.ms() * 1000 / static_cast<double>(sizes.probes);
    };
    sample.get_us = per_probe_us(gets);
    sample.query_us = per_probe_us(queries);
    return sample;
}

/// One line of the table: a figure for each N, in units of `unit_ns` nanoseconds.
struct Line {
    std::string label;
    double unit_ns;
    std::array<std::vector<double>, 3> samples{};
    std::array<double, 3> medians() const {
        std::array<double, 3> m{};
        for (std::size_t i = 0; i < m.size(); ++i) m[i] = median(samples[i]).value_or(0);
        return m;
    }
};

}  // namespace

void run_growth(std::string_view backend, std::string_view title, Database& db, const Sizes& sizes,
                int reps) {
    const auto& held = sizes.held;
    constexpr double us = 1e3, ms = 1e6;
    Line get_dropped{"get, loaded objects dropped (us)", us},
        query_dropped{"query, loaded objects dropped (us)", us};
    Line get_held{"get, loaded objects held (us)", us}, query_held{"query, loaded objects held (us)", us};
    Line flush_dropped{"first flush, dropped (ms)", ms}, flush_held{"first flush, held (ms)", ms};
    for (int rep = 1; rep <= reps; ++rep) {
        for (std::size_t i = 0; i < held.size(); ++i) {
            const auto dropped = measure(db, sizes, held[i], Loaded::dropped);
            get_dropped.samples[i].push_back(dropped.get_us);
            query_dropped.samples[i].push_back(dropped.query_us);
            flush_dropped.samples[i].push_back(dropped.first_flush_ms);
            const auto kept = measure(db, sizes, held[i], Loaded::held);
            get_held.samples[i].push_back(kept.get_us);
            query_held.samples[i].push_back(kept.query_us);
            flush_held.samples[i].push_back(kept.first_flush_ms);
        }
        fmt::print(stderr, "[{}] growth repetition {}/{}\n", backend, rep, reps);
    }

    const auto ratio_label = fmt::format("{}/{}", held.back(), held.front());
    fmt::print(
        "\n{}: growth, per operation in a Session that loaded N users before; {} gets and {} "
        "queries of keys it does not hold, medians of {}\n",
        title, sizes.probes, sizes.probes, reps);
    const auto header = fmt::format("{:<36}  {:>9}  {:>9}  {:>9}  {:>11}  {:>7}  {}", "operation",
                                    fmt::format("N={}", held[0]), fmt::format("N={}", held[1]),
                                    fmt::format("N={}", held[2]), ratio_label, "target", "result");
    fmt::print("{}\n{}\n", header, std::string(header.size(), '-'));
    const auto print = [&](const Line& line, bool flat_target) {
        const auto m = line.medians();
        const double ratio = m[0] > 0 ? m[2] / m[0] : 0;
        fmt::print("{:<36}  {:>9.2f}  {:>9.2f}  {:>9.2f}  {:>11.2f}  {:>7}  {}\n", line.label, m[0], m[1],
                   m[2], ratio, flat_target ? "<= 1.30" : "-",
                   flat_target ? (ratio <= 1.3 ? "met" : "MISSED") : "");
    };
    print(get_dropped, true);
    print(query_dropped, true);
    print(get_held, false);
    print(query_held, false);
    print(flush_dropped, false);
    print(flush_held, false);
    // What each object the program holds adds to one operation, at each N: the held
    // case less the dropped one, over N. It is flat while the objects fit in the CPU's
    // caches and grows beyond, so one slope over all N would hide where it turns.
    const auto per_object = [&](const std::array<double, 3>& cost, double unit_ns) {
        std::string out;
        for (std::size_t i = 0; i < held.size(); ++i)
            out += fmt::format("{}{:.1f} (N={})", i ? ", " : "",
                               cost[i] * unit_ns / static_cast<double>(held[i]), held[i]);
        return out;
    };
    const auto held_less_dropped = [](const Line& held_line, const Line& dropped_line) {
        auto cost = held_line.medians();
        const auto dropped_cost = dropped_line.medians();
        for (std::size_t i = 0; i < cost.size(); ++i) cost[i] -= dropped_cost[i];
        return cost;
    };
    fmt::print("ns each held object adds to a get: {}; to a query: {} ((held - dropped) / N)\n",
               per_object(held_less_dropped(get_held, get_dropped), get_held.unit_ns),
               per_object(held_less_dropped(query_held, query_dropped), query_held.unit_ns));
    fmt::print("ns per held object of the first flush: {}\n",
               per_object(flush_held.medians(), flush_held.unit_ns));
}

}  // namespace bench
