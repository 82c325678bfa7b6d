// alchemy_benchmark: the same work through the raw C APIs and through alchemy, on
// SQLite and PostgreSQL in one run, as a table of medians and ratios (see plan.hpp for
// the targets, workload.hpp for the work), then, on a larger table, the Session's
// growth table (growth.hpp) and the memory of streaming (stream_memory.hpp).
//
//   alchemy_benchmark [--sqlite PATH_OR_URL] [--postgres URL] [--reps N] [--quick]
//                     [--only KEYS]
//
// WARNING: the benchmark drops and re-creates the tables "users" and "posts" in the
// databases it is given, and empties them before each variant.
#include "database.hpp"
#include "growth.hpp"
#include "harness.hpp"
#include "plan.hpp"
#include "stream_memory.hpp"
#include "workload.hpp"

#include "support/scratch_directory.hpp"

#include <fmt/format.h>
#include <libpq-fe.h>
#include <malloc.h>
#include <sqlite3.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

constexpr const char* usage =
    "usage: alchemy_benchmark [--sqlite PATH_OR_URL] [--postgres URL] [--reps N] [--quick]\n"
    "                         [--prepare-threshold N|never] [--only KEY,KEY...]\n"
    "  --sqlite    SQLite database file or sqlite:/// URL (default: a file in a temporary\n"
    "              directory, removed afterwards)\n"
    "  --postgres  PostgreSQL URL (default: $ALCHEMY_TEST_POSTGRES_URL; skipped if neither)\n"
    "  --reps      repetitions per variant; the table shows medians (default 5)\n"
    "  --quick     tiny row counts and 1 repetition: checks that everything runs and agrees\n"
    "  --prepare-threshold  EngineOptions::prepare_threshold of alchemy's engines (default 5)\n"
    "  --only      run only these variants (keys such as w4.session_one,w4.raw_transaction)\n"
    "              and no growth or streaming: for a profiler (scripts/code-footprint)\n"
    "The tables \"users\" and \"posts\" are dropped and re-created in both databases, then\n"
    "emptied before each variant.\n";

struct Options {
    bool help = false;
    std::optional<std::string> sqlite;
    std::optional<std::string> postgres;
    std::optional<int> reps;
    bool quick = false;
    std::optional<int> prepare_threshold = alchemy::EngineOptions{}.prepare_threshold;
    std::vector<std::string> only;  ///< variant keys; empty: all, with growth and streaming
};

std::optional<Options> parse(int argc, char** argv) {
    Options options;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        const auto value = [&]() -> std::optional<std::string> {
            if (i + 1 >= argc) return std::nullopt;
            return std::string(argv[++i]);
        };
        if (arg == "--help" || arg == "-h") {
            options.help = true;
        } else if (arg == "--quick") {
            options.quick = true;
        } else if (arg == "--sqlite") {
            if (!(options.sqlite = value())) return std::nullopt;
        } else if (arg == "--postgres") {
            if (!(options.postgres = value())) return std::nullopt;
        } else if (arg == "--prepare-threshold") {
            const auto text = value();
            int threshold = 0;
            if (text == "never") {
                options.prepare_threshold.reset();
            } else if (text &&
                       std::from_chars(text->data(), text->data() + text->size(), threshold).ec ==
                           std::errc{} &&
                       threshold >= 0) {
                options.prepare_threshold = threshold;
            } else {
                return std::nullopt;
            }
        } else if (arg == "--only") {
            const auto keys = value();
            if (!keys) return std::nullopt;
            for (std::size_t begin = 0; begin <= keys->size();) {
                const auto end = std::min(keys->find(',', begin), keys->size());
                if (end > begin) options.only.push_back(keys->substr(begin, end - begin));
                begin = end + 1;
            }
            if (options.only.empty()) return std::nullopt;
        } else if (arg == "--reps") {
            const auto text = value();
            int reps = 0;
            if (!text || std::from_chars(text->data(), text->data() + text->size(), reps).ec != std::errc{} ||
                reps < 1)
                return std::nullopt;
            options.reps = reps;
        } else {
            return std::nullopt;
        }
    }
    return options;
}

/// A sqlite:/// URL for a file path; '%', '?' and '#' are percent-encoded so the URL
/// parser gives the path back unchanged.
std::string sqlite_url(std::string_view path_or_url) {
    if (path_or_url.find("://") != std::string_view::npos) return std::string(path_or_url);
    std::string url = "sqlite:///";
    for (const char c : path_or_url) {
        if (c == '%' || c == '?' || c == '#') url += fmt::format("%{:02X}", static_cast<unsigned char>(c));
        else url += c;
    }
    return url;
}

std::string cpu_model() {
    std::ifstream cpuinfo("/proc/cpuinfo");
    std::string line;
    while (std::getline(cpuinfo, line))
        if (line.rfind("model name", 0) == 0) {
            const auto colon = line.find(':');
            if (colon != std::string::npos) return line.substr(line.find_first_not_of(' ', colon + 1));
        }
    return "unknown CPU";
}

void print_header(const bench::Sizes& s, int reps, bool quick) {
    fmt::print("alchemy benchmark: raw C API vs alchemy, medians of {} repetition(s)\n", reps);
    fmt::print("machine: {} logical cores, {}\n", std::thread::hardware_concurrency(), cpu_model());
#ifndef NDEBUG
    fmt::print("note: assertions are on (not a Release build); timings mean little\n");
#endif
    if (quick) fmt::print("note: --quick: tiny row counts; this run checks results, not speed\n");
    fmt::print(
        "rows: W1/W2 insert {} users; W3 loads {}; W4 {} gets by key and W5 {} updates on a "
        "table of {}; W6 {} users with {} posts each\n",
        s.insert_users, s.table_users, s.lookups, s.updates, s.table_users, s.post_users, s.posts_per_user);
    fmt::print(
        "at scale, on a table of {} users: growth table after loading {}, {} and {} users; "
        "streaming all of them\n",
        s.scale_users(), s.held[0], s.held[1], s.held[2]);
    fmt::print(
        "ratio = the median over the repetitions of alchemy ms / raw ms within one repetition "
        "(ms columns: medians); every repetition starts from freshly created tables; set-up and "
        "result checks are not timed\n");
}

/// The variants of `plan` named in `only` (all of them when it is empty), and the rows
/// of the table that compare two of those. A key this backend lacks is named on stderr
/// with the keys it has (some variants are on one backend only).
bench::Plan selected(std::string_view backend, bench::Plan plan, const std::vector<std::string>& only) {
    if (only.empty()) return plan;
    const auto chosen = [&](const std::string& key) {
        return std::find(only.begin(), only.end(), key) != only.end();
    };
    for (const auto& key : only)
        if (std::none_of(plan.variants.begin(), plan.variants.end(),
                         [&](const auto& v) { return v.key == key; })) {
            std::string known;
            for (const auto& v : plan.variants) known += " " + v.key;
            fmt::print(stderr, "alchemy_benchmark: {} has no variant {}; it has{}\n", backend, key, known);
        }
    std::erase_if(plan.variants, [&](const bench::Variant& v) { return !chosen(v.key); });
    std::erase_if(plan.rows,
                  [&](const bench::Comparison& r) { return !chosen(r.raw_key) || !chosen(r.alchemy_key); });
    return plan;
}

/// Runs one backend's plan (`name` labels the progress lines on stderr) and prints its
/// table; returns the number of failed variants.
int run_backend(std::string_view name, std::string_view title, const bench::Plan& plan, int reps) {
    const auto results = bench::run_variants(name, plan.variants, reps);
    bench::print_table(title, plan.rows, results);
    int failures = 0;
    for (const auto& [key, measured] : results)
        if (!measured.error.empty()) {
            fmt::print("FAILED {}: {}\n", key, measured.error);
            ++failures;
        }
    return failures;
}

/// The measurements at scale: a users table of sizes.scale_users() rows seeded once, then
/// the growth table and the streaming memory (whose child processes connect to `url`);
/// returns the number of failed sections.
int run_at_scale(std::string_view name, std::string_view title, bench::Database& db, const std::string& url,
                 const bench::Sizes& sizes, int reps) {
    db.reset();
    db.seed_users(sizes.scale_users());
    int failures = 0;
    const auto section = [&](std::string_view what, const auto& run) {
        try {
            run();
        } catch (const std::exception& e) {
            fmt::print("FAILED {} {}: {}\n", name, what, e.what());
            ++failures;
        }
    };
    section("growth", [&] { bench::run_growth(name, title, db, sizes, reps); });
    section("streaming memory", [&] { bench::run_stream_memory(title, url, sizes.scale_users()); });
    return failures;
}

std::string postgres_server_version(bench::Database& db) {
    auto conn = db.engine().connect();
    return conn.execute(alchemy::text("SHOW server_version").columns<std::string>()).scalar_one();
}

/// glibc moves its mmap and trim thresholds up as a program frees large blocks, so whether
/// a variant's vectors and objects come with page faults depended on what the variants
/// before it freed: the raw W3 loop took 2.5 or 3.5 ms by its place in the run. Fixed
/// thresholds make each variant's memory cost the same wherever it runs, raw or alchemy.
/// A sanitizer's allocator refuses them; its timings mean nothing anyway.
void fix_malloc_thresholds() {
    constexpr int bytes = 32 << 20;  // the largest mmap threshold glibc accepts on 64-bit
    if (mallopt(M_MMAP_THRESHOLD, bytes) != 1 || mallopt(M_TRIM_THRESHOLD, bytes) != 1)
        fmt::print(stderr,
                   "alchemy_benchmark: the allocator refused fixed malloc thresholds; a variant's "
                   "time may depend on the variants before it\n");
}

}  // namespace

int main(int argc, char** argv) {
    if (argc > 1 && argv[1] == bench::stream_memory_option)
        return bench::stream_memory_child(
            std::span<char* const>(argv + 2, static_cast<std::size_t>(argc - 2)));
    const auto options = parse(argc, argv);
    if (!options || options->help) {
        fmt::print(options ? stdout : stderr, "{}", usage);
        return options ? 0 : 2;
    }
    const bench::Sizes sizes = options->quick ? bench::Sizes::quick() : bench::Sizes{};
    const int reps = options->reps.value_or(options->quick ? 1 : 5);

    std::optional<std::string> postgres = options->postgres;
    if (!postgres) {
        if (const char* env = std::getenv("ALCHEMY_TEST_POSTGRES_URL"); env && *env) postgres = env;
    }
    const char* require = std::getenv("ALCHEMY_REQUIRE_POSTGRES");
    if (!postgres && require && std::string_view(require) == "1") {
        fmt::print(stderr,
                   "alchemy_benchmark: ALCHEMY_REQUIRE_POSTGRES=1 but no PostgreSQL URL "
                   "(--postgres or ALCHEMY_TEST_POSTGRES_URL)\n");
        return 1;
    }

    int failures = 0;
    try {
        fix_malloc_thresholds();
        print_header(sizes, reps, options->quick);
        const bench::Inputs inputs(sizes);

        std::optional<alchemy::test::ScratchDirectory> temp;  // for the default SQLite file
        std::string sqlite = options->sqlite ? sqlite_url(*options->sqlite) : std::string();
        if (sqlite.empty()) {
            temp.emplace("alchemy-bench");
            sqlite = sqlite_url((temp->path() / "bench.sqlite").string());
        }
        {
            bench::Database db(sqlite, options->prepare_threshold);
            if (db.url().backend() != "sqlite" ||
                alchemy::driver_for(db.url()).database_per_connection(db.url(), {}))
                throw alchemy::ArgumentError("--sqlite needs a SQLite database file, not " + sqlite);
            const auto plan = selected("sqlite", bench::sqlite_plan(db, inputs), options->only);
            const auto title = fmt::format("SQLite {} (file {}; raw and alchemy both with {})",
                                           sqlite3_libversion(), db.url().database, plan.settings);
            failures += run_backend("sqlite", title, plan, reps);
            if (options->only.empty()) failures += run_at_scale("sqlite", "SQLite", db, sqlite, sizes, reps);
        }

        if (postgres) {
            bench::Database db(*postgres, options->prepare_threshold);
            if (!db.is_postgres()) throw alchemy::ArgumentError("--postgres needs a postgresql:// URL");
            const auto threshold =
                options->prepare_threshold ? std::to_string(*options->prepare_threshold) : "never";
            const auto title = fmt::format("PostgreSQL {} (libpq {}, {}, prepare_threshold {})",
                                           postgres_server_version(db), PQlibVersion(), db.url(), threshold);
            failures +=
                run_backend("postgresql", title,
                            selected("postgresql", bench::postgres_plan(db, inputs), options->only), reps);
            if (options->only.empty())
                failures += run_at_scale("postgresql", "PostgreSQL", db, *postgres, sizes, reps);
        } else {
            fmt::print(
                "\nPostgreSQL: skipped (no --postgres URL and ALCHEMY_TEST_POSTGRES_URL is not set)\n");
        }
    } catch (const std::exception& e) {
        fmt::print(stderr, "alchemy_benchmark: {}\n", e.what());
        return 1;
    }
    if (failures > 0) {
        fmt::print(stderr, "alchemy_benchmark: {} variant(s) failed\n", failures);
        return 1;
    }
    return 0;
}
