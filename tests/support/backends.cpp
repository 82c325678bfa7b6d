#include "support/backends.hpp"

#include "support/scratch_directory.hpp"

#include <catch2/catch.hpp>

#include <fmt/format.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <random>
#include <string_view>

namespace alchemy::test {
namespace {

const std::filesystem::path& temp_dir() {
    static const ScratchDirectory dir("alchemy-test");  // removed when the process exits
    return dir.path();
}

bool env_flag(const char* name) {
    const char* v = std::getenv(name);
    return v && std::string_view(v) == "1";
}

}  // namespace

std::string sqlite_temp_url() {
    static std::atomic<int> counter{0};
    auto file = temp_dir() / ("db" + std::to_string(++counter) + ".sqlite");
    return "sqlite:///" + file.string();
}

namespace {
/// The URL in `variable`; without one, the case is skipped with a warning, unless
/// `required` is set to 1, which makes that a failure.
std::optional<std::string> configured_url(const char* variable, const char* required,
                                          std::string_view server) {
    if (const char* url = std::getenv(variable); url && *url) return url;
    if (env_flag(required)) FAIL(fmt::format("{}=1 but {} is not set", required, variable));
    WARN(fmt::format("{} is not set: {} case skipped", variable, server));
    return std::nullopt;
}
}  // namespace

std::optional<std::string> postgres_url() {
    return configured_url("ALCHEMY_TEST_POSTGRES_URL", "ALCHEMY_REQUIRE_POSTGRES", "PostgreSQL");
}

std::optional<std::string> pgbouncer_url() {
    return configured_url("ALCHEMY_TEST_PGBOUNCER_URL", "ALCHEMY_REQUIRE_PGBOUNCER", "PgBouncer");
}

std::optional<std::string> replica_url() {
    return configured_url("ALCHEMY_TEST_REPLICA_URL", "ALCHEMY_REQUIRE_REPLICA", "replica");
}

// Process ids repeat once the system has wrapped around its pid_max, and the schemas,
// databases and roles of earlier runs stay: the random part tells runs apart.
std::string unique_name(std::string_view kind) {
    static const auto run = std::random_device{}();
    static std::atomic<int> counter{0};
    return fmt::format("t{}_{:08x}_{}{}", ::getpid(), run, kind, ++counter);
}

std::string postgres_schema_url(const std::string& server_url) {
    // Tests run in parallel against one server: each gets a schema of its own.
    const auto schema = unique_name("s");
    {
        auto engine = create_engine(server_url, {.pool_size = 1});
        auto conn = engine.connect();
        conn.execute_script("CREATE SCHEMA " + engine.dialect().quote_identifier(schema));
        conn.commit();
    }
    const char separator = server_url.find('?') == std::string::npos ? '?' : '&';
    return server_url + separator + "options=-csearch_path%3D" + schema;
}

namespace {

/// A new, empty database on the server at `server_url`, reached through `through_url`
/// (a pooler in transaction mode cannot pass a search_path on, so a schema won't do).
std::string postgres_database_url(const std::string& server_url, const std::string& through_url) {
    const auto name = unique_name("db");
    auto engine = create_engine(server_url, {.pool_size = 1, .isolation_level = IsolationLevel::autocommit});
    auto conn = engine.connect();
    conn.execute_script("CREATE DATABASE " + engine.dialect().quote_identifier(name) + " STRATEGY FILE_COPY");
    auto url = make_url(through_url);
    url.database = name;
    return url.render_with_password();
}

}  // namespace

std::vector<Backend> backends() {
    if (env_flag("ALCHEMY_TEST_THROUGH_PGBOUNCER")) {
        const auto server = postgres_url();
        const auto bouncer = pgbouncer_url();
        if (server && bouncer) return {{"postgresql", postgres_database_url(*server, *bouncer)}};
    }
    std::vector<Backend> result{{"sqlite", sqlite_temp_url()}};
    if (auto pg = postgres_url()) result.push_back({"postgresql", postgres_schema_url(*pg)});
    return result;
}

}  // namespace alchemy::test
