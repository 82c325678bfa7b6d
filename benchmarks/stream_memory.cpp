#include "stream_memory.hpp"

#include "child_process.hpp"
#include "harness.hpp"
#include "raw_postgres.hpp"
#include "raw_sqlite.hpp"
#include "session_work.hpp"
#include "workload.hpp"

#include <fmt/format.h>

#include <array>
#include <cstddef>
#include <cstdio>
#include <exception>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace bench {
namespace {

namespace sa = alchemy;

constexpr std::size_t yield_batch = 1000;
constexpr double goal_mb = 64;

struct Kind {
    std::string_view name;   ///< the child's KIND argument
    std::string_view label;  ///< its line in the table
};
constexpr std::array kinds{
    Kind{"raw", "raw C API, one row at a time"},
    Kind{"yield_per", "Session query<User>().yield_per(1000)"},
    Kind{"all", "Session query<User>().all() (contrast)"},
};

/// What a child measured, as it prints it on one line.
struct Figures {
    std::int64_t above_kb = 0;
    double ms = 0;
    Check check{};
};

/// A field of /proc/self/status in kB: VmRSS (resident now) or VmHWM (its peak).
std::int64_t status_kb(std::string_view field) {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line))
        if (line.starts_with(field) && line.size() > field.size() && line[field.size()] == ':')
            return std::stoll(line.substr(field.size() + 1));
    throw std::runtime_error(fmt::format("no {} in /proc/self/status", field));
}

/// Runs `stream` and measures its peak memory above the memory resident right before it.
template <class Stream>
Figures measure(Stream&& stream) {
    // "5" resets VmHWM to VmRSS (Linux 4.0 and later). Where /proc/self/clear_refs cannot
    // be written, the peak of the child's start-up before this point, which is small,
    // stays the floor.
    std::ofstream("/proc/self/clear_refs") << "5";
    const auto baseline_kb = status_kb("VmRSS");
    Figures figures;
    Stopwatch t;
    t.start();
    figures.check = stream();
    t.stop();
    figures.above_kb = status_kb("VmHWM") - baseline_kb;
    figures.ms = t.ms();
    return figures;
}

Figures run_kind(std::string_view kind, const std::string& url_text) {
    const auto url = sa::make_url(url_text);
    if (kind == "raw") {
        if (url.backend() == "postgresql") {
            raw_postgres::Connection conn(url);
            return measure([&] { return raw_postgres::stream_users(conn); });
        }
        raw_sqlite::Connection conn(url.database);
        return measure([&] { return raw_sqlite::stream_users(conn); });
    }
    auto engine = sa::create_engine(url);
    sa::Session session(engine);
    session.connection();  // connects and begins before the baseline, as the raw loops connect before theirs
    if (kind == "yield_per") return measure([&] { return session::stream_users(session, yield_batch); });
    if (kind == "all") return measure([&] { return session::load_all_users(session); });
    throw std::invalid_argument(fmt::format("unknown streaming kind '{}'", kind));
}

}  // namespace

int stream_memory_child(std::span<char* const> args) {
    try {
        if (args.size() != 2) throw std::invalid_argument("expected KIND URL");
        const auto f = run_kind(args[0], args[1]);
        const auto& c = f.check;
        fmt::print("{} {} {} {} {} {} {}\n", f.above_kb, f.ms, c.users, c.ids, c.ages, c.emails, c.text);
        return 0;
    } catch (const std::exception& e) {
        fmt::print(stderr, "alchemy_benchmark {}: {}\n", stream_memory_option, e.what());
        return 1;
    }
}

void run_stream_memory(std::string_view title, const std::string& url, std::int64_t rows) {
    const Check expected = expected_loaded(rows);
    fmt::print(
        "\n{}: peak memory while reading all {} users in one loop, above the memory resident "
        "right before it (a child process each)\n",
        title, rows);
    const auto header =
        fmt::format("{:<40}  {:>8}  {:>8}  {:>7}  {}", "variant", "MiB", "ms", "target", "result");
    fmt::print("{}\n{}\n", header, std::string(header.size(), '-'));
    for (const auto& kind : kinds) {
        std::istringstream output(run_self({std::string(stream_memory_option), std::string(kind.name), url}));
        Figures f;
        auto& c = f.check;
        if (!(output >> f.above_kb >> f.ms >> c.users >> c.ids >> c.ages >> c.emails >> c.text))
            throw std::runtime_error(fmt::format("streaming child '{}' printed no figures", kind.name));
        if (c != expected)
            throw std::runtime_error(fmt::format("streaming child '{}' read {}, expected {}", kind.name,
                                                 describe(c), describe(expected)));
        const double mib = static_cast<double>(f.above_kb) / 1024;
        const bool judged = kind.name == "yield_per";
        fmt::print("{:<40}  {:>8.1f}  {:>8.1f}  {:>7}  {}\n", kind.label, mib, f.ms,
                   judged ? fmt::format("< {:.0f}", goal_mb) : "-",
                   judged ? (mib < goal_mb ? "met" : "MISSED") : "");
    }
}

}  // namespace bench
