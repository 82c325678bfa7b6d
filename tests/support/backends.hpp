// The databases integration tests run on. One test body, every backend:
//
//   TEST_CASE("...") {
//       auto backend = GENERATE(from_range(alchemy::test::backends()));
//       auto engine = backend.engine();
//       ...
//   }
//
// SQLite runs on a fresh file per call. PostgreSQL runs in a fresh schema on the server
// named by ALCHEMY_TEST_POSTGRES_URL (scripts/run-tests starts one); without it the PostgreSQL
// cases are skipped with a warning, unless ALCHEMY_REQUIRE_POSTGRES=1, which makes a
// missing server a failure (CI sets it).
#pragma once

#include <alchemy/alchemy.hpp>

#include <catch2/catch.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace alchemy::test {

struct Backend {
    std::string name;  ///< "sqlite" or "postgresql"
    std::string url;

    bool is_sqlite() const { return name == "sqlite"; }
    bool is_postgresql() const { return name == "postgresql"; }
    Engine engine(EngineOptions options = {}) const { return create_engine(url, std::move(options)); }
};

/// A name (of a schema, database or role) that no other test process uses on the server,
/// `kind` in it.
std::string unique_name(std::string_view kind);
/// A URL for a new, empty SQLite file in a per-process temp directory.
std::string sqlite_temp_url();
/// The PostgreSQL test server's URL, from ALCHEMY_TEST_POSTGRES_URL. Without it the test
/// is skipped with a warning, unless ALCHEMY_REQUIRE_POSTGRES=1 makes that a failure.
std::optional<std::string> postgres_url();
/// The URL of the PgBouncer (transaction pooling) in front of the PostgreSQL test server,
/// from ALCHEMY_TEST_PGBOUNCER_URL (scripts/run-tests starts one). Without it the test is
/// skipped with a warning, unless ALCHEMY_REQUIRE_PGBOUNCER=1 makes that a failure.
std::optional<std::string> pgbouncer_url();
/// The URL of the hot-standby streaming replica of the PostgreSQL test server, from
/// ALCHEMY_TEST_REPLICA_URL (scripts/run-tests starts one). Without it the test is skipped
/// with a warning, unless ALCHEMY_REQUIRE_REPLICA=1 makes that a failure.
std::optional<std::string> replica_url();
/// `server_url` pointed at a new, empty schema (search_path), so tests running in
/// parallel on one server never see each other's tables.
std::string postgres_schema_url(const std::string& server_url);
/// SQLite (always) and PostgreSQL (when configured), each with a clean database. With
/// ALCHEMY_TEST_THROUGH_PGBOUNCER=1 (the CTest entry "integration through PgBouncer")
/// only PostgreSQL, in a new database of its own reached through the PgBouncer.
std::vector<Backend> backends();

/// Collects echo lines, for tests that count or inspect the SQL sent.
struct EchoCapture {
    std::vector<std::string> lines;
    LogSink sink() {
        return [this](std::string_view line) { lines.emplace_back(line); };
    }
};

/// How many of `lines` start with `prefix` (e.g. statements sent: "SELECT").
inline std::size_t count_starting_with(const std::vector<std::string>& lines, std::string_view prefix) {
    std::size_t n = 0;
    for (const auto& line : lines) n += line.starts_with(prefix) ? 1 : 0;
    return n;
}

/// How many of `lines` start with `prefix` and contain `part` ("INSERT" with "RETURNING").
inline std::size_t count_containing(const std::vector<std::string>& lines, std::string_view prefix,
                                    std::string_view part) {
    std::size_t n = 0;
    for (const auto& line : lines)
        n += line.starts_with(prefix) && line.find(part) != std::string::npos ? 1 : 0;
    return n;
}

}  // namespace alchemy::test

// Catch2 prints a Backend by name in GENERATE'd test output.
namespace Catch {
template <>
struct StringMaker<alchemy::test::Backend> {
    static std::string convert(const alchemy::test::Backend& b) { return b.name; }
};
}  // namespace Catch
