// The migration tool end to end, driven through sa::migrate::main as a user would drive
// it from a shell: init, revision --autogenerate, upgrade, downgrade, --sql, current,
// history, heads, stamp and check, and what each does when something is wrong. Every
// case runs in a fresh working directory with DATABASE_URL pointing at the backend.
#include <alchemy/alchemy.hpp>
#include <alchemy/migrate.hpp>

#include "support/backends.hpp"
#include "support/scratch_directory.hpp"

#include <fmt/format.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

namespace sa = alchemy;
namespace migrate = alchemy::migrate;
namespace fs = std::filesystem;
using sa::test::backends;
using Strings = std::vector<std::string>;

// The models of one table, "users", as it changes over time.
namespace migrate_v1 {
struct User {
    std::int64_t id = 0;
    std::optional<std::string> name{};      // the tutorial's Column(String): NULL-able
    std::optional<std::string> nickname{};  // dropped in v2
};
}  // namespace migrate_v1

namespace migrate_v2 {
struct User {
    std::int64_t id = 0;
    std::string name{};                  // now NOT NULL with a server default, and indexed
    std::optional<std::string> email{};  // added
};
}  // namespace migrate_v2

// A code column narrowed to VARCHAR(5), a count made a flag: changes that cannot keep
// every value.
namespace migrate_narrow {
struct Item {
    std::int64_t id = 0;
    std::string code{};
    std::int32_t qty = 0;
};
}  // namespace migrate_narrow
namespace migrate_narrowed {
struct Item {
    std::int64_t id = 0;
    std::string code{};
    std::int32_t qty = 0;
};
struct Flag {
    std::int64_t id = 0;
    std::string code{};
    bool qty = false;
};
}  // namespace migrate_narrowed

// users with a column SQLite generates from name, which the models read as a plain one.
namespace migrate_generated {
struct User {
    std::int64_t id = 0;
    std::string name{};
    std::optional<std::string> upper_name{};
};
}  // namespace migrate_generated

// users whose name is unique and whose nickname becomes NOT NULL: a rebuild on SQLite
// that keeps the UNIQUE.
namespace migrate_unique {
struct User {
    std::int64_t id = 0;
    std::optional<std::string> name{};
    std::string nickname{};
};
}  // namespace migrate_unique

template <>
inline constexpr auto sa::mapping<migrate_v1::User> = sa::table("users");
template <>
inline constexpr auto sa::mapping<migrate_unique::User> =
    sa::table("users", sa::unique(&migrate_unique::User::name),
              sa::server_default(&migrate_unique::User::nickname, "''"));
template <>
inline constexpr auto sa::mapping<migrate_generated::User> =
    sa::table("users", sa::server_default(&migrate_generated::User::name, "''"));
template <>
inline constexpr auto sa::mapping<migrate_narrow::Item> = sa::table("items");
template <>
inline constexpr auto sa::mapping<migrate_narrowed::Item> =
    sa::table("items", sa::max_length(&migrate_narrowed::Item::code, 5));
template <>
inline constexpr auto sa::mapping<migrate_narrowed::Flag> = sa::table("items");
template <>
inline constexpr auto sa::mapping<migrate_v2::User> = sa::table(
    "users", sa::server_default(&migrate_v2::User::name, "'anonymous'"), sa::index(&migrate_v2::User::name));

// A table keyed by text: its rows have rowids of their own, which an index of full text
// (external content) may name. v2 makes the body NOT NULL: a rebuild on SQLite.
namespace migrate_rowid::v1 {
struct Page {
    std::string slug{};
    std::optional<std::string> body{};
};
}  // namespace migrate_rowid::v1
namespace migrate_rowid::v2 {
struct Page {
    std::string slug{};
    std::string body{};
};
}  // namespace migrate_rowid::v2

template <>
inline constexpr auto sa::mapping<migrate_rowid::v1::Page> =
    sa::table("pages", sa::primary_key(&migrate_rowid::v1::Page::slug));
template <>
inline constexpr auto sa::mapping<migrate_rowid::v2::Page> =
    sa::table("pages", sa::primary_key(&migrate_rowid::v2::Page::slug),
              sa::server_default(&migrate_rowid::v2::Page::body, "''"));

// A child whose foreign key the database checks at COMMIT; v2 makes its note NOT NULL,
// which SQLite can only do by rebuilding the table.
namespace migrate_deferred {
struct Parent {
    std::int64_t id = 0;
};
struct Child {
    std::int64_t id = 0;
    std::int64_t parent_id = 0;
    std::string note{};
};
}  // namespace migrate_deferred

template <>
inline constexpr auto sa::mapping<migrate_deferred::Parent> = sa::table("parents");
template <>
inline constexpr auto sa::mapping<migrate_deferred::Child> =
    sa::table("children", sa::foreign_key(&migrate_deferred::Child::parent_id, &migrate_deferred::Parent::id),
              sa::server_default(&migrate_deferred::Child::note, "''"));

// A score whose server default is an expression, which SQLite takes only in parentheses
// and reports without them. v2 makes the title NOT NULL (a rebuild on SQLite) and drops
// the table extras.
namespace migrate_expression_default::v1 {
struct Event {
    std::int64_t id = 0;
    std::optional<std::int64_t> score{};
    std::optional<std::string> title{};
};
struct Extra {
    std::int64_t id = 0;
    std::optional<std::int64_t> score{};
};
}  // namespace migrate_expression_default::v1
namespace migrate_expression_default::v2 {
struct Event {
    std::int64_t id = 0;
    std::optional<std::int64_t> score{};
    std::string title{};
};
}  // namespace migrate_expression_default::v2

template <>
inline constexpr auto sa::mapping<migrate_expression_default::v1::Event> =
    sa::table("events", sa::server_default(&migrate_expression_default::v1::Event::score, "(1 + 2)"));
template <>
inline constexpr auto sa::mapping<migrate_expression_default::v1::Extra> =
    sa::table("extras", sa::server_default(&migrate_expression_default::v1::Extra::score, "(1 + 2)"));
template <>
inline constexpr auto sa::mapping<migrate_expression_default::v2::Event> =
    sa::table("events", sa::server_default(&migrate_expression_default::v2::Event::score, "(1 + 2)"),
              sa::server_default(&migrate_expression_default::v2::Event::title, "'untitled'"));

// On PostgreSQL: a count of a domain type, which the models widen from INTEGER to BIGINT.
namespace migrate_domain::v1 {
struct Item {
    std::int64_t id = 0;
    std::int32_t qty = 0;
};
}  // namespace migrate_domain::v1
namespace migrate_domain::v2 {
struct Item {
    std::int64_t id = 0;
    std::int64_t qty = 0;
};
}  // namespace migrate_domain::v2

template <>
inline constexpr auto sa::mapping<migrate_domain::v1::Item> = sa::table("items");
template <>
inline constexpr auto sa::mapping<migrate_domain::v2::Item> = sa::table("items");

// On PostgreSQL: an email address in a collation of its own, which the models widen from
// VARCHAR(80) to VARCHAR(120).
namespace migrate_collation::v1 {
struct Account {
    std::int64_t id = 0;
    std::string email{};
};
}  // namespace migrate_collation::v1
namespace migrate_collation::v2 {
struct Account {
    std::int64_t id = 0;
    std::string email{};
};
}  // namespace migrate_collation::v2

template <>
inline constexpr auto sa::mapping<migrate_collation::v1::Account> =
    sa::table("accounts", sa::max_length(&migrate_collation::v1::Account::email, 80),
              sa::unique(&migrate_collation::v1::Account::email));
template <>
inline constexpr auto sa::mapping<migrate_collation::v2::Account> =
    sa::table("accounts", sa::max_length(&migrate_collation::v2::Account::email, 120),
              sa::unique(&migrate_collation::v2::Account::email));

// migrate_deferred's child whose foreign key now cascades: PostgreSQL drops the key and
// adds it again.
namespace migrate_cascade {
struct Parent {
    std::int64_t id = 0;
};
struct Child {
    std::int64_t id = 0;
    std::int64_t parent_id = 0;
    std::string note{};
};
}  // namespace migrate_cascade

template <>
inline constexpr auto sa::mapping<migrate_cascade::Parent> = sa::table("parents");
template <>
inline constexpr auto sa::mapping<migrate_cascade::Child> = sa::table(
    "children",
    sa::foreign_key(&migrate_cascade::Child::parent_id, &migrate_cascade::Parent::id).on_delete(sa::cascade),
    sa::server_default(&migrate_cascade::Child::note, "''"));

// On PostgreSQL: events keyed by an identity column GENERATED ALWAYS, which the models
// cannot declare: Event maps the table as it is, NarrowEvent makes the key an INTEGER
// and ManualEvent gives out its ids itself.
namespace migrate_identity {
struct Event {
    std::int64_t id = 0;
    std::optional<std::string> note{};
};
struct NarrowEvent {
    std::int32_t id = 0;
    std::optional<std::string> note{};
};
struct ManualEvent {
    std::int64_t id = 0;
    std::optional<std::string> note{};
};
}  // namespace migrate_identity

template <>
inline constexpr auto sa::mapping<migrate_identity::Event> = sa::table("events");
template <>
inline constexpr auto sa::mapping<migrate_identity::NarrowEvent> = sa::table("events");
template <>
inline constexpr auto sa::mapping<migrate_identity::ManualEvent> =
    sa::table("events", sa::autoincrement(&migrate_identity::ManualEvent::id, false));

namespace {

/// A fresh temporary working directory for the duration of a test; the previous one is
/// restored afterwards, as alchemy.ini and the migrations folder are found from it.
class WorkDir {
public:
    WorkDir() : previous_(fs::current_path()) { fs::current_path(scratch_.path()); }
    ~WorkDir() {
        std::error_code ec;
        fs::current_path(previous_, ec);
    }
    WorkDir(const WorkDir&) = delete;
    WorkDir& operator=(const WorkDir&) = delete;

private:
    fs::path previous_;
    alchemy::test::ScratchDirectory scratch_{"alchemy-migrate-test"};  // removed once left
};

/// Sets (or, given nothing, unsets) an environment variable for the duration of a test.
class EnvVar {
public:
    EnvVar(const char* name, const std::optional<std::string>& value) : name_(name) {
        if (const char* old = std::getenv(name)) old_ = old;
        if (value) ::setenv(name, value->c_str(), 1);
        else ::unsetenv(name);
    }
    ~EnvVar() {
        if (old_) ::setenv(name_, old_->c_str(), 1);
        else ::unsetenv(name_);
    }
    EnvVar(const EnvVar&) = delete;
    EnvVar& operator=(const EnvVar&) = delete;

private:
    const char* name_;
    std::optional<std::string> old_;
};

struct Outcome {
    int status = 0;
    std::string out;
    std::string err;
};

/// Runs the tool with `args` over `metadata`, as `migrate ARGS...` from a shell.
Outcome tool(const Strings& args, const sa::MetaData& metadata = {}) {
    Strings storage{"migrate"};
    storage.insert(storage.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& arg : storage) argv.push_back(arg.data());
    argv.push_back(nullptr);
    std::ostringstream out;
    std::ostringstream err;
    const int status = migrate::main(static_cast<int>(storage.size()), argv.data(), metadata, out, err);
    return {status, out.str(), err.str()};
}

#define RUN_OK(outcome_var, ...)                                      \
    const auto outcome_var = tool(__VA_ARGS__);                       \
    INFO("out: " << outcome_var.out << "\nerr: " << outcome_var.err); \
    REQUIRE(outcome_var.status == 0)

std::string read(const fs::path& path) {
    std::ifstream in(path);
    return {std::istreambuf_iterator<char>(in), {}};
}

std::vector<fs::path> revision_files() {
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator("migrations/versions")) files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    return files;
}

Strings table_names(sa::Engine& engine) {
    Strings names;
    const auto live = sa::inspect(engine);
    for (const auto& table : live.tables()) names.push_back(table.name);
    std::sort(names.begin(), names.end());
    return names;
}

Strings column_names(const sa::Table& table) {
    Strings names;
    for (const auto& column : table.columns) names.push_back(column.name);
    return names;
}

/// The changes autogenerate still sees between the live schema and `models`.
Strings differences(sa::Engine& engine, const sa::MetaData& models) {
    const std::string version_table(migrate::version_table);
    return migrate::autogenerate(sa::inspect(engine, {&version_table, 1}), models, engine.dialect()).changes;
}

using UserRow = std::tuple<std::int64_t, std::optional<std::string>>;
std::vector<UserRow> users(sa::Engine& engine) {
    auto conn = engine.connect();
    return conn
        .execute(sa::text("SELECT id, name FROM users ORDER BY id")
                     .columns<std::int64_t, std::optional<std::string>>())
        .all();
}

/// The MigrationError of an upgrade to the newest revision, or "" if it succeeded.
std::string failed_upgrade(sa::Engine& engine) {
    try {
        migrate::upgrade(engine, "migrations/versions");
    } catch (const sa::MigrationError& e) {
        return e.what();
    }
    return {};
}

void execute(sa::Engine& engine, const std::string& sql) {
    auto conn = engine.begin();
    conn.execute_script(sql);
    conn.commit();
}

/// Runs a script that brings its own BEGIN and COMMIT, as a database shell would.
void run_script(sa::Engine& engine, const std::string& script) {
    auto conn = engine.connect();
    conn.driver_connection().execute_script(script);
}

/// A clean database on `backend`'s server: SECTIONs re-run the test body with the
/// generated backend, and each run must start from an empty schema.
sa::test::Backend fresh(const sa::test::Backend& backend) {
    if (backend.is_sqlite()) return {backend.name, sa::test::sqlite_temp_url()};
    return {backend.name, sa::test::postgres_schema_url(*sa::test::postgres_url())};
}

/// One revision written the way a user writes one by hand.
migrate::Revision hand_written(const std::string& message, const Strings& upgrade, const Strings& downgrade) {
    const fs::path versions = "migrations/versions";
    const auto chain = migrate::load_revisions(versions);
    return migrate::write_revision(
        versions, message, chain.empty() ? std::nullopt : std::optional(chain.back().id), upgrade, downgrade);
}

/// The plan that takes the live schema to `models`, leaving out the version table and
/// `audit`, which the SQLite rebuild cases make by hand.
migrate::Plan plan_to(sa::Engine& engine, const sa::MetaData& models) {
    const Strings exclude{std::string(migrate::version_table), "audit"};
    return migrate::autogenerate(sa::inspect(engine, exclude), models, engine.dialect());
}

/// On PostgreSQL, how the identity column events.id generates its values: "ALWAYS",
/// "BY DEFAULT", or "" when it is no identity column.
std::string events_id_generation(sa::Engine& engine) {
    auto conn = engine.connect();
    return conn
        .execute(
            sa::text("SELECT COALESCE(identity_generation::text, '') FROM information_schema.columns WHERE "
                     "table_schema = current_schema() AND table_name = 'events' AND column_name = 'id'")
                .columns<std::string>())
        .scalar_one();
}

/// On PostgreSQL, the table events made by hand with a key GENERATED ALWAYS, and a row.
void create_events_generated_always(sa::Engine& engine) {
    execute(engine,
            "CREATE TABLE events (id BIGINT GENERATED ALWAYS AS IDENTITY, note TEXT, "
            "CONSTRAINT pk_events PRIMARY KEY (id)); "
            "INSERT INTO events (note) VALUES ('first')");
}

/// The names of the SQLite schema's objects of `type` ("trigger", "index") on `table`
/// (spelled in any case), sorted.
Strings schema_names(sa::Engine& engine, const std::string& type, const std::string& table) {
    auto conn = engine.connect();
    return conn
        .execute(sa::text("SELECT name FROM sqlite_master WHERE type = :type AND tbl_name = :table COLLATE "
                          "NOCASE ORDER BY name")
                     .bind("type", type)
                     .bind("table", table)
                     .columns<std::string>())
        .all();
}

}  // namespace

TEST_CASE("the tutorial's migration flow: init, autogenerate, upgrade, downgrade", "[migrate]") {
    auto backend = GENERATE(from_range(backends()));
    WorkDir work;
    EnvVar url("DATABASE_URL", backend.url);
    auto engine = backend.engine();
    const auto v1 = sa::metadata<migrate_v1::User>();
    const auto v2 = sa::metadata<migrate_v2::User>();

    // alembic init alembic
    {
        RUN_OK(init, {"init", "migrations"});
        CHECK(fs::is_directory("migrations/versions"));
        const auto ini = read("alchemy.ini");
        CHECK(ini.find("[alchemy]\n") != std::string::npos);
        CHECK(ini.find("\nurl = sqlite:///app.db\n") != std::string::npos);
        CHECK(ini.find("\nscript_location = migrations\n") != std::string::npos);
        const auto again = tool({"init", "migrations"});
        CHECK(again.status == 1);
        CHECK(again.err.find("alchemy.ini already exists") != std::string::npos);
    }

    // alembic revision --autogenerate -m "Add User Table"
    std::string first;
    {
        RUN_OK(revision, {"revision", "--autogenerate", "-m", "Add User Table"}, v1);
        CHECK(revision.out.find("Detected ") != std::string::npos);
        CHECK(revision.out.find("Generating migrations/versions/") != std::string::npos);
        const auto files = revision_files();
        REQUIRE(files.size() == 1);
        CHECK(files[0].filename().string().ends_with("_add_user_table.sql"));
        first = files[0].filename().string().substr(0, 12);
        CHECK(read(files[0]).find("CREATE TABLE") != std::string::npos);
        CHECK(table_names(engine).empty());  // nothing runs before upgrade
    }

    // alembic upgrade head
    {
        RUN_OK(upgrade, {"upgrade", "head"}, v1);
        CHECK(std::regex_match(upgrade.out, std::regex("Running upgrade <base> -> " + first +
                                                       ", Add User Table \\(\\d+ ms\\)\n")));
        CHECK(differences(engine, v1).empty());
        CHECK(column_names(*sa::inspect(engine).table("users")) == Strings{"id", "name", "nickname"});
        RUN_OK(current, {"current"}, v1);
        CHECK(current.out == first + " (head), Add User Table\n");
        RUN_OK(check, {"check"}, v1);
        CHECK(check.out == "No new upgrade operations detected.\n");
        RUN_OK(nothing, {"upgrade", "head"}, v1);
        CHECK(nothing.out == "Nothing to do: the database is already at " + first + ".\n");
    }

    execute(engine, "INSERT INTO users (id, name, nickname) VALUES (1, 'ann', 'annie')");
    execute(engine, "INSERT INTO users (id, name) VALUES (2, 'bob')");

    // The models change: check notices, autogenerate writes the revision.
    std::string second;
    {
        const auto check = tool({"check"}, v2);
        INFO("out: " << check.out << "\nerr: " << check.err);
        CHECK(check.status == 1);
        CHECK(check.out.find("New upgrade operations detected:") != std::string::npos);

        RUN_OK(revision, {"revision", "--autogenerate", "-m", "Reshape users"}, v2);
        const auto files = revision_files();
        REQUIRE(files.size() == 2);
        const auto chain = migrate::load_revisions("migrations/versions");
        second = chain.back().id;
        CHECK(chain.back().down_revision == first);
        CHECK(read(chain.back().path).find("-- note: ") != std::string::npos);
    }
    {
        RUN_OK(upgrade, {"upgrade", "head"}, v2);
        CHECK(std::regex_match(upgrade.out, std::regex("Running upgrade " + first + " -> " + second +
                                                       ", Reshape users \\(\\d+ ms\\)\n")));
        CHECK(differences(engine, v2).empty());
        const auto live = sa::inspect(engine);
        const auto* table = live.table("users");
        REQUIRE(table);
        CHECK(column_names(*table) == Strings{"id", "name", "email"});
        CHECK_FALSE(table->column("name")->nullable);
        CHECK(std::any_of(table->indexes.begin(), table->indexes.end(),
                          [](const sa::Index& index) { return index.columns == Strings{"name"}; }));
        CHECK(users(engine) == std::vector<UserRow>{{1, "ann"}, {2, "bob"}});
        execute(engine, "INSERT INTO users (id) VALUES (3)");  // the server default fills name
        CHECK(users(engine).back() == UserRow{3, "anonymous"});

        RUN_OK(current, {"current"}, v2);
        CHECK(current.out == second + " (head), Reshape users\n");
        RUN_OK(history, {"history"}, v2);
        CHECK(history.out ==
              first + " -> " + second + " (head), Reshape users\n<base> -> " + first + ", Add User Table\n");
        RUN_OK(heads, {"heads"}, v2);
        CHECK(heads.out == second + " (head), Reshape users\n");
        RUN_OK(check, {"check"}, v2);
        CHECK(check.out == "No new upgrade operations detected.\n");
    }

    // alembic downgrade -1
    {
        RUN_OK(downgrade, {"downgrade", "-1"}, v2);
        CHECK(std::regex_match(downgrade.out, std::regex("Running downgrade " + second + " -> " + first +
                                                         ", Reshape users \\(\\d+ ms\\)\n")));
        CHECK(differences(engine, v1).empty());
        const auto live = sa::inspect(engine);
        CHECK(column_names(*live.table("users")) == Strings{"id", "name", "nickname"});
        CHECK(live.table("users")->column("name")->nullable);
        CHECK(users(engine) == std::vector<UserRow>{{1, "ann"}, {2, "bob"}, {3, "anonymous"}});
        RUN_OK(current, {"current"}, v1);
        CHECK(current.out == first + ", Add User Table\n");
    }

    // Back to the start.
    {
        RUN_OK(downgrade, {"downgrade", "base"}, v1);
        CHECK(std::regex_match(downgrade.out, std::regex("Running downgrade " + first +
                                                         " -> <base>, Add User Table \\(\\d+ ms\\)\n")));
        CHECK(table_names(engine) == Strings{"alchemy_version"});
        RUN_OK(current, {"current"}, v1);
        CHECK(current.out == "<base>\n");
        RUN_OK(nothing, {"downgrade", "base"}, v1);
        CHECK(nothing.out == "Nothing to do: the database is already at <base>.\n");
    }

    // And up again in one go: both revisions, one line each.
    {
        RUN_OK(upgrade, {"upgrade", "head"}, v2);
        CHECK(std::regex_match(
            upgrade.out, std::regex("Running upgrade <base> -> " + first +
                                    ", Add User Table \\(\\d+ ms\\)\nRunning upgrade " + first + " -> " +
                                    second + ", Reshape users \\(\\d+ ms\\)\n")));
        CHECK(differences(engine, v2).empty());
    }
}

TEST_CASE("upgrade and downgrade --sql print the SQL and change nothing", "[migrate]") {
    auto backend = GENERATE(from_range(backends()));
    WorkDir work;
    EnvVar url("DATABASE_URL", backend.url);
    auto engine = backend.engine();
    RUN_OK(init, {"init", "migrations"});
    const auto first =
        hand_written("create t", {"CREATE TABLE t (id INTEGER PRIMARY KEY)"}, {"DROP TABLE t"});
    const auto second =
        hand_written("add x", {"ALTER TABLE t ADD COLUMN x INTEGER"}, {"ALTER TABLE t DROP COLUMN x"});

    {
        RUN_OK(sql, {"upgrade", "head", "--sql"});
        CHECK(sql.out.find("CREATE TABLE IF NOT EXISTS alchemy_version") == 0);
        CHECK(sql.out.find("-- Running upgrade <base> -> " + first.id + ", create t\n") != std::string::npos);
        CHECK(sql.out.find("BEGIN;\nCREATE TABLE t (id INTEGER PRIMARY KEY);\n") != std::string::npos);
        CHECK(sql.out.find("INSERT INTO alchemy_version (version_num) VALUES ('" + first.id +
                           "');\nCOMMIT;\n") != std::string::npos);
        CHECK(sql.out.find("UPDATE alchemy_version SET version_num = '" + second.id + "'") !=
              std::string::npos);
        CHECK(table_names(engine).empty());  // not even the version table
    }
    {
        // The printed script runs as it stands.
        run_script(engine, tool({"upgrade", "+1", "--sql"}).out);
        RUN_OK(current, {"current"});
        CHECK(current.out == first.id + ", create t\n");
    }
    {
        RUN_OK(sql, {"downgrade", "base", "--sql"});
        CHECK(sql.out.find("DROP TABLE t;\n") != std::string::npos);
        CHECK(sql.out.find("DELETE FROM alchemy_version WHERE alchemy_version.version_num = '" + first.id +
                           "'") != std::string::npos);
        CHECK(table_names(engine) == Strings{"alchemy_version", "t"});
        RUN_OK(current, {"current"});
        CHECK(current.out == first.id + ", create t\n");
    }
    {
        // A FROM:TO range needs no database at all.
        EnvVar unreachable("DATABASE_URL", backend.is_sqlite()
                                               ? "sqlite:////nonexistent/dir/app.db"
                                               : "postgresql://nobody:s3cret@127.0.0.1:1/none");
        RUN_OK(range, {"upgrade", first.id + ":head", "--sql"});
        CHECK(range.out.find("-- Running upgrade " + first.id + " -> " + second.id + ", add x\n") == 0);
        RUN_OK(back, {"downgrade", "head:base", "--sql"});
        CHECK(back.out.find("-- Running downgrade " + second.id + " -> " + first.id) == 0);
        const auto online = tool({"upgrade", "base:head"});
        CHECK(online.status == 2);
        CHECK(online.err.find("is for --sql") != std::string::npos);
    }
}

TEST_CASE("a failing revision leaves the version and the schema as they were", "[migrate]") {
    auto backend = GENERATE(from_range(backends()));
    WorkDir work;
    EnvVar url("DATABASE_URL", backend.url);
    auto engine = backend.engine();
    RUN_OK(init, {"init", "migrations"});
    const auto good =
        hand_written("good", {"CREATE TABLE good (id INTEGER PRIMARY KEY)"}, {"DROP TABLE good"});
    RUN_OK(revision, {"revision", "-m", "bad"});
    const auto bad = migrate::load_revisions("migrations/versions").back();
    {
        // Edited by hand: a good statement, then one that fails.
        auto text = read(bad.path);
        text.replace(text.find("-- upgrade\n"), 11,
                     "-- upgrade\nCREATE TABLE half (id INTEGER);\nINSERT INTO no_such_table VALUES (1);\n");
        std::ofstream(bad.path) << text;
    }

    const auto upgrade = tool({"upgrade", "head"});
    INFO("out: " << upgrade.out << "\nerr: " << upgrade.err);
    CHECK(upgrade.status == 1);
    CHECK(upgrade.out.find("Running upgrade <base> -> " + good.id + ", good") == 0);
    CHECK(upgrade.err.find("upgrade " + good.id + " -> " + bad.id +
                           " failed and was rolled back; the database "
                           "is at " +
                           good.id) != std::string::npos);
    CHECK(upgrade.err.find(bad.path.string()) != std::string::npos);
    CHECK(upgrade.err.find("no_such_table") != std::string::npos);
    CHECK(upgrade.err.find("(ProgrammingError)") != std::string::npos);

    CHECK(table_names(engine) == Strings{"alchemy_version", "good"});
    RUN_OK(current, {"current"});
    CHECK(current.out == good.id + ", good\n");

    if (backend.is_sqlite()) {
        // Foreign keys are off while a revision runs (table rebuilds need that), so a row
        // that breaks one is caught by PRAGMA foreign_key_check before COMMIT.
        std::ofstream(bad.path)
            << "-- alchemy revision\n-- revision: " << bad.id << "\n-- down_revision: " << good.id
            << "\n-- message: bad\n\n-- upgrade\n"
               "CREATE TABLE child (id INTEGER PRIMARY KEY, good_id INTEGER REFERENCES good "
               "(id));\n"
               "INSERT INTO child VALUES (1, 42);\n-- downgrade\nDROP TABLE child;\n";
        const auto orphan = tool({"upgrade", "head"});
        INFO("out: " << orphan.out << "\nerr: " << orphan.err);
        CHECK(orphan.status == 1);
        CHECK(orphan.err.find(
                  "break foreign keys, the first in table child (rowid 1) referring to table good") !=
              std::string::npos);
        CHECK(table_names(engine) == Strings{"alchemy_version", "good"});

        // Through the library, on a one-connection pool: the connection that ran the
        // failed revision enforces foreign keys again afterwards.
        auto single = sa::create_engine(backend.url, {.pool_size = 1, .max_overflow = 0});
        REQUIRE_THROWS_AS(migrate::upgrade(single, "migrations/versions"), sa::MigrationError);
        auto conn = single.connect();
        CHECK(conn.execute(sa::text("PRAGMA foreign_keys").columns<std::int64_t>()).scalar_one() == 1);
    }
}

TEST_CASE("stamp, current, history and heads", "[migrate]") {
    auto backend = GENERATE(from_range(backends()));
    WorkDir work;
    EnvVar url("DATABASE_URL", backend.url);
    auto engine = backend.engine();
    RUN_OK(init, {"init", "migrations"});
    {
        RUN_OK(current, {"current"});
        CHECK(current.out == "<base>\n");
        RUN_OK(history, {"history"});
        CHECK(history.out.empty());
        RUN_OK(heads, {"heads"});
        CHECK(heads.out.empty());
        CHECK(table_names(engine).empty());  // reading does not create the version table
    }
    const auto first =
        hand_written("first", {"CREATE TABLE first_table (id INTEGER)"}, {"DROP TABLE first_table"});
    const auto second = hand_written("second", {}, {});
    {
        RUN_OK(history, {"history"});
        CHECK(history.out ==
              first.id + " -> " + second.id + " (head), second\n<base> -> " + first.id + ", first\n");
        RUN_OK(heads, {"heads"});
        CHECK(heads.out == second.id + " (head), second\n");
    }
    {
        RUN_OK(stamp, {"stamp", "head"});
        CHECK(stamp.out == "Running stamp <base> -> " + second.id + "\n");
        RUN_OK(current, {"current"});
        CHECK(current.out == second.id + " (head), second\n");
        CHECK(table_names(engine) == Strings{"alchemy_version"});  // no revision SQL ran
    }
    {
        RUN_OK(stamp, {"stamp", first.id.substr(0, 6)});  // an unambiguous prefix will do
        CHECK(stamp.out == "Running stamp " + second.id + " -> " + first.id + "\n");
        RUN_OK(current, {"current"});
        CHECK(current.out == first.id + ", first\n");
    }
    {
        RUN_OK(stamp, {"stamp", "base"});
        RUN_OK(current, {"current"});
        CHECK(current.out == "<base>\n");
        RUN_OK(upgrade, {"upgrade", "+1"});
        CHECK(table_names(engine) == Strings{"alchemy_version", "first_table"});
    }
}

TEST_CASE("the tool reports mistakes clearly and changes nothing", "[migrate]") {
    const auto backend = fresh(GENERATE(from_range(backends())));
    WorkDir work;
    EnvVar url("DATABASE_URL", backend.url);
    auto engine = backend.engine();

    SECTION("no alchemy.ini") {
        const auto outcome = tool({"current"});
        CHECK(outcome.status == 1);
        CHECK(outcome.err ==
              "alchemy: no alchemy.ini in " + fs::current_path().string() + "; run `init DIR` first\n");
        CHECK_FALSE(fs::exists("alchemy.ini"));
    }
    RUN_OK(init, {"init", "migrations"});
    const auto first = hand_written("first", {"CREATE TABLE t (id INTEGER)"}, {"DROP TABLE t"});

    SECTION("an unknown revision") {
        for (const Strings& args : {Strings{"upgrade", "abc123"}, Strings{"downgrade", "abc123"},
                                    Strings{"stamp", "abc123"}, Strings{"upgrade", "abc123", "--sql"}}) {
            const auto outcome = tool(args);
            INFO(args[0] << ": " << outcome.err);
            CHECK(outcome.status == 1);
            CHECK(outcome.err.find("there is no revision 'abc123' in migrations/versions") !=
                  std::string::npos);
            CHECK(outcome.out.empty());
        }
        CHECK(table_names(engine).empty());
    }
    SECTION("a broken chain") {
        const auto orphan = migrate::write_revision("migrations/versions", "orphan", "fedcba987654", {}, {});
        for (const Strings& args :
             {Strings{"upgrade", "head"}, Strings{"history"}, Strings{"revision", "-m", "x"}}) {
            const auto outcome = tool(args);
            INFO(args[0] << ": " << outcome.err);
            CHECK(outcome.status == 1);
            CHECK(outcome.err.find(orphan.path.string() + " names down_revision fedcba987654") !=
                  std::string::npos);
        }
        CHECK(revision_files().size() == 2);
        CHECK(table_names(engine).empty());
    }
    SECTION("an unreachable database") {
        EnvVar unreachable("DATABASE_URL", backend.is_sqlite()
                                               ? "sqlite:////nonexistent/dir/app.db"
                                               : "postgresql://nobody:s3cret@127.0.0.1:1/none");
        for (const Strings& args :
             {Strings{"upgrade", "head"}, Strings{"revision", "--autogenerate", "-m", "x"},
              Strings{"current"}, Strings{"check"}}) {
            const auto outcome = tool(args);
            INFO(args[0] << ": " << outcome.err);
            CHECK(outcome.status == 1);
            CHECK(outcome.err.find("alchemy: cannot connect to ") == 0);
            CHECK(outcome.err.find("(OperationalError)") != std::string::npos);
            CHECK(outcome.err.find("s3cret") == std::string::npos);
        }
        CHECK(revision_files().size() == 1);
    }
    SECTION("no database URL anywhere") {
        EnvVar no_url("DATABASE_URL", std::nullopt);
        std::ofstream("alchemy.ini") << "[alchemy]\nscript_location = migrations\n";
        RUN_OK(history, {"history"});  // the files alone need no database
        CHECK(history.out == "<base> -> " + first.id + " (head), first\n");
        const auto upgrade = tool({"upgrade", "head"});
        CHECK(upgrade.status == 1);
        CHECK(upgrade.err ==
              "alchemy: no database URL; set url in the [alchemy] section of alchemy.ini or the "
              "DATABASE_URL environment variable\n");
    }
    SECTION("autogenerate and check want the database at head") {
        for (const Strings& args : {Strings{"revision", "--autogenerate", "-m", "x"}, Strings{"check"}}) {
            const auto outcome = tool(args);
            CHECK(outcome.status == 1);
            CHECK(outcome.err.find("the database is not up to date: run upgrade head first") !=
                  std::string::npos);
        }
        CHECK(revision_files().size() == 1);
    }
    SECTION("no changes, no revision") {
        RUN_OK(upgrade, {"upgrade", "head"});
        // The live schema itself as the models: nothing to do by definition.
        const std::string version_table(migrate::version_table);
        const auto models = sa::inspect(engine, {&version_table, 1});
        RUN_OK(revision, {"revision", "--autogenerate", "-m", "nothing"}, models);
        CHECK(revision.out == "No changes in schema detected.\n");
        CHECK(revision_files().size() == 1);
        RUN_OK(empty, {"revision", "--autogenerate", "--allow-empty", "-m", "nothing"}, models);
        CHECK(revision_files().size() == 2);
        CHECK(migrate::load_revisions("migrations/versions").back().upgrade.empty());
    }
    SECTION("mistakes on the command line") {
        const auto expect = [](const Strings& args, const std::string& message) {
            const auto outcome = tool(args);
            INFO(outcome.err);
            CHECK(outcome.status == 2);
            CHECK(outcome.err.find(message) != std::string::npos);
        };
        expect({}, "no command given");
        expect({"upgrayedd"}, "unknown command 'upgrayedd'");
        expect({"upgrade"}, "upgrade needs one argument, a target: head, +N or a revision id");
        expect({"downgrade", "-1", "-2"}, "downgrade needs one argument");
        expect({"current", "now"}, "current takes no argument");
        expect({"revision"}, "revision needs a message");
        expect({"upgrade", "head", "-m", "x"}, "upgrade does not take --message");
        expect({"upgrade", "head", "--bogus"}, "unrecognised option '--bogus'");
        CHECK(tool({"--help"}).out.find("upgrade head|+N|REV [--sql]") != std::string::npos);
        CHECK(table_names(engine).empty());
    }
}

TEST_CASE("a table rebuilt on SQLite keeps its triggers, upgrading and downgrading", "[migrate]") {
    WorkDir work;
    fs::create_directories("migrations/versions");
    auto engine = sa::create_engine(sa::test::sqlite_temp_url());
    sa::metadata<migrate_v1::User>().create_all(engine);
    // Made by hand, outside the models. The trigger spells the table in its own case, as
    // SQLite allows; audit refers to the table, which must hold across the rebuild.
    execute(engine, "CREATE TABLE audit (user_id INTEGER REFERENCES users (id), name TEXT)");
    execute(engine,
            "CREATE TRIGGER users_audit AFTER INSERT ON Users BEGIN INSERT INTO audit VALUES (NEW.id, "
            "NEW.name); END");
    execute(engine, "CREATE INDEX ix_users_by_hand ON users (id, name)");
    execute(engine, "INSERT INTO users (id, name) VALUES (1, 'ann')");

    // name becomes NOT NULL and nickname goes: SQLite rebuilds the table both ways. The
    // index made by hand is not in the models either, but unlike the trigger the plan says
    // so: it drops it, and the downgrade creates it again.
    const auto plan = plan_to(engine, sa::metadata<migrate_v2::User>());
    INFO("upgrade:\n" << fmt::format("{}", fmt::join(plan.upgrade, ";\n")));
    CHECK(std::ranges::count(plan.upgrade, R"(DROP TABLE "users")") == 1);
    CHECK(std::ranges::count(plan.downgrade, R"(DROP TABLE "users")") == 1);
    CHECK(std::ranges::count(plan.changes, "drop index ix_users_by_hand") == 1);
    hand_written("name not null", plan.upgrade, plan.downgrade);

    const auto audited = [&] {
        auto conn = engine.connect();
        return conn.execute(sa::text("SELECT name FROM audit ORDER BY user_id").columns<std::string>()).all();
    };
    migrate::upgrade(engine, "migrations/versions");
    CHECK(schema_names(engine, "trigger", "users") == Strings{"users_audit"});
    CHECK(schema_names(engine, "index", "users") == Strings{"ix_users_name"});
    execute(engine, "INSERT INTO users (id, name) VALUES (2, 'bob')");
    CHECK(audited() == Strings{"ann", "bob"});
    CHECK_THROWS_AS(execute(engine, "INSERT INTO audit VALUES (9, 'nobody')"), sa::ForeignKeyViolation);

    migrate::downgrade(engine, "migrations/versions", "base");
    CHECK(schema_names(engine, "trigger", "users") == Strings{"users_audit"});
    CHECK(schema_names(engine, "index", "users") == Strings{"ix_users_by_hand"});
    execute(engine, "INSERT INTO users (id, name) VALUES (3, 'cy')");
    CHECK(audited() == Strings{"ann", "bob", "cy"});
}

TEST_CASE("a rebuild on SQLite that a trigger cannot survive fails and changes nothing", "[migrate]") {
    WorkDir work;
    fs::create_directories("migrations/versions");
    auto engine = sa::create_engine(sa::test::sqlite_temp_url());
    sa::metadata<migrate_v1::User>().create_all(engine);
    execute(engine, "CREATE TABLE audit (user_id INTEGER, name TEXT)");
    execute(engine,
            "CREATE TRIGGER users_nickname_audit AFTER INSERT ON users BEGIN INSERT INTO audit VALUES "
            "(NEW.id, NEW.nickname); END");
    const auto start = hand_written("start", {}, {});
    migrate::upgrade(engine, "migrations/versions");

    // The rebuild drops nickname, which the trigger names.
    const auto plan = plan_to(engine, sa::metadata<migrate_v2::User>());
    REQUIRE(std::ranges::count(plan.changes, "drop column users.nickname") == 1);
    hand_written("drop nickname", plan.upgrade, plan.downgrade);
    const auto error = failed_upgrade(engine);
    INFO(error);
    CHECK(error.find("was rolled back: trigger users_nickname_audit went with table users") !=
          std::string::npos);
    CHECK(error.find("no such column: NEW.nickname") != std::string::npos);
    CHECK(error.find(R"(add DROP TRIGGER "users_nickname_audit" to the revision)") != std::string::npos);

    CHECK(migrate::current_revision(engine) == start.id);
    CHECK(plan_to(engine, sa::metadata<migrate_v1::User>()).changes == Strings{});
    CHECK(table_names(engine) == Strings{"alchemy_version", "audit", "users"});
    CHECK(schema_names(engine, "trigger", "users") == Strings{"users_nickname_audit"});
    execute(engine, "INSERT INTO users (id, name, nickname) VALUES (1, 'ann', 'a')");
    auto conn = engine.connect();
    CHECK(conn.execute(sa::text("SELECT name FROM audit").columns<std::string>()).all() == Strings{"a"});
}

TEST_CASE("a type change that cannot keep every value fails on PostgreSQL instead of cutting it",
          "[migrate]") {
    auto backend = GENERATE(from_range(backends()));
    WorkDir work;
    fs::create_directories("migrations/versions");
    auto engine = backend.engine();
    const auto start = hand_written("start", {}, {});
    migrate::upgrade(engine, "migrations/versions");
    sa::metadata<migrate_narrow::Item>().create_all(engine);
    execute(engine, "INSERT INTO items (id, code, qty) VALUES (1, 'ABCDEFGHIJ', 5), (2, 'XY', -2)");
    using Row = std::tuple<std::int64_t, std::string, std::int64_t>;
    const auto items = [&] {
        auto conn = engine.connect();
        return conn
            .execute(sa::text("SELECT id, code, CAST(qty AS BIGINT) FROM items ORDER BY id")
                         .columns<std::int64_t, std::string, std::int64_t>())
            .all();
    };
    const std::vector<Row> rows{{1, "ABCDEFGHIJ", 5}, {2, "XY", -2}};

    for (const bool to_flag : {false, true}) {
        const auto target =
            to_flag ? sa::metadata<migrate_narrowed::Flag>() : sa::metadata<migrate_narrowed::Item>();
        const auto plan = plan_to(engine, target);
        INFO("upgrade:\n" << fmt::format("{}", fmt::join(plan.upgrade, ";\n")));
        REQUIRE(!plan.warnings.empty());
        CHECK(plan.warnings[0].find(to_flag ? "column items.qty narrows from INTEGER to BOOLEAN"
                                            : "column items.code narrows from TEXT to VARCHAR(5)") !=
              std::string::npos);
        const auto revision = hand_written(to_flag ? "flag" : "narrow", plan.upgrade, plan.downgrade);
        if (backend.is_postgresql()) {
            // VARCHAR(5) cannot hold 'ABCDEFGHIJ'; INTEGER has no assignment cast to BOOLEAN.
            if (to_flag) CHECK_THROWS_AS(migrate::upgrade(engine, "migrations/versions"), sa::DatabaseError);
            else CHECK_THROWS_AS(migrate::upgrade(engine, "migrations/versions"), sa::DataError);
            CHECK(migrate::current_revision(engine) == start.id);
            fs::remove(revision.path);
        } else {
            // SQLite stores any value in any column: the rebuild keeps them as they were.
            migrate::upgrade(engine, "migrations/versions");
            migrate::downgrade(engine, "migrations/versions", start.id);
            fs::remove(revision.path);
        }
        CHECK(items() == rows);
    }
}

TEST_CASE("a PostgreSQL domain column compares as its base type, and a downgrade gives it its domain back",
          "[migrate]") {
    auto backend = GENERATE(from_range(backends()));
    if (!backend.is_postgresql()) return;
    WorkDir work;
    fs::create_directories("migrations/versions");
    auto engine = backend.engine();
    execute(engine,
            "CREATE DOMAIN positive_count AS integer CHECK (VALUE > 0); "
            "CREATE TABLE items (id BIGINT GENERATED BY DEFAULT AS IDENTITY, qty positive_count NOT NULL, "
            "CONSTRAINT pk_items PRIMARY KEY (id))");
    const auto qty_type = [&] {
        auto conn = engine.connect();
        return conn
            .execute(sa::text("SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = "
                              "'items'::regclass AND attname = 'qty'")
                         .columns<std::string>())
            .scalar_one();
    };
    CHECK(differences(engine, sa::metadata<migrate_domain::v1::Item>()).empty());

    const auto plan = plan_to(engine, sa::metadata<migrate_domain::v2::Item>());
    INFO("upgrade:\n"
         << fmt::format("{}", fmt::join(plan.upgrade, ";\n")) << "\ndowngrade:\n"
         << fmt::format("{}", fmt::join(plan.downgrade, ";\n")));
    CHECK(plan.changes == Strings{"alter column items.qty: positive_count → BIGINT"});
    REQUIRE(!plan.warnings.empty());
    CHECK(plan.warnings[0].find("column items.qty is positive_count in the database, which no model type "
                                "describes") != std::string::npos);
    CHECK(plan.downgrade.back() == R"(ALTER TABLE "items" ALTER COLUMN "qty" TYPE positive_count)");
    hand_written("widen", plan.upgrade, plan.downgrade);
    migrate::upgrade(engine, "migrations/versions");
    CHECK(qty_type() == "bigint");
    CHECK(differences(engine, sa::metadata<migrate_domain::v2::Item>()).empty());

    migrate::downgrade(engine, "migrations/versions", "base");
    CHECK(qty_type() == "positive_count");
    CHECK(differences(engine, sa::metadata<migrate_domain::v1::Item>()).empty());
    CHECK_THROWS_AS(execute(engine, "INSERT INTO items (qty) VALUES (-1)"), sa::CheckViolation);
}

TEST_CASE("a PostgreSQL type change keeps the column's collation, upgrading and downgrading", "[migrate]") {
    auto backend = GENERATE(from_range(backends()));
    if (!backend.is_postgresql()) return;
    WorkDir work;
    fs::create_directories("migrations/versions");
    auto engine = backend.engine();
    // The unique constraint relies on the collation: one address, whatever its case.
    execute(engine,
            "CREATE COLLATION case_insensitive (provider = icu, locale = 'und-u-ks-level2', "
            "deterministic = false); "
            "CREATE TABLE accounts (id BIGINT GENERATED BY DEFAULT AS IDENTITY, "
            "email VARCHAR(80) COLLATE case_insensitive NOT NULL, CONSTRAINT pk_accounts PRIMARY KEY (id), "
            "CONSTRAINT uq_accounts_email UNIQUE (email)); "
            "INSERT INTO accounts (email) VALUES ('Ann@example.com')");
    const auto email_type = [&] {
        auto conn = engine.connect();
        return conn
            .execute(sa::text("SELECT format_type(atttypid, atttypmod) || ' ' || attcollation::regcollation "
                              "FROM pg_attribute WHERE attrelid = 'accounts'::regclass AND attname = 'email'")
                         .columns<std::string>())
            .scalar_one();
    };
    // The models cannot declare a collation: the database's is no difference.
    CHECK(differences(engine, sa::metadata<migrate_collation::v1::Account>()).empty());

    const auto plan = plan_to(engine, sa::metadata<migrate_collation::v2::Account>());
    INFO("upgrade:\n" << fmt::format("{}", fmt::join(plan.upgrade, ";\n")));
    CHECK(
        plan.upgrade ==
        Strings{R"(ALTER TABLE "accounts" ALTER COLUMN "email" TYPE VARCHAR(120) COLLATE case_insensitive)"});
    CHECK(plan.downgrade.back() ==
          R"(ALTER TABLE "accounts" ALTER COLUMN "email" TYPE VARCHAR(80) COLLATE case_insensitive)");
    hand_written("widen email", plan.upgrade, plan.downgrade);
    migrate::upgrade(engine, "migrations/versions");
    CHECK(email_type() == "character varying(120) case_insensitive");
    CHECK(differences(engine, sa::metadata<migrate_collation::v2::Account>()).empty());
    CHECK_THROWS_AS(execute(engine, "INSERT INTO accounts (email) VALUES ('ann@example.com')"),
                    sa::UniqueViolation);

    migrate::downgrade(engine, "migrations/versions", "base");
    CHECK(email_type() == "character varying(80) case_insensitive");
    CHECK_THROWS_AS(execute(engine, "INSERT INTO accounts (email) VALUES ('ANN@example.com')"),
                    sa::UniqueViolation);
}

TEST_CASE(
    "a PostgreSQL foreign key an upgrade changes stays DEFERRABLE INITIALLY DEFERRED, and so does its "
    "downgrade",
    "[migrate]") {
    auto backend = GENERATE(from_range(backends()));
    if (!backend.is_postgresql()) return;
    WorkDir work;
    fs::create_directories("migrations/versions");
    auto engine = backend.engine();
    sa::metadata<migrate_deferred::Parent, migrate_deferred::Child>().create_all(engine);
    execute(
        engine,
        "ALTER TABLE children ALTER CONSTRAINT fk_children_parent_id_parents DEFERRABLE INITIALLY DEFERRED");
    using Key = std::tuple<std::string, bool, bool>;
    const auto foreign_key = [&] {
        auto conn = engine.connect();
        return conn
            .execute(sa::text("SELECT confdeltype::text, condeferrable, condeferred FROM pg_constraint WHERE "
                              "conrelid = 'children'::regclass AND contype = 'f'")
                         .columns<std::string, bool, bool>())
            .one();
    };
    // Checked at COMMIT: a child may go in before its parent, in the same transaction.
    const auto child_before_parent = [&](int id) {
        execute(engine, fmt::format("INSERT INTO children (id, parent_id) VALUES ({0}, {0}); "
                                    "INSERT INTO parents (id) VALUES ({0})",
                                    id));
    };
    // The models cannot declare deferrability: the database's is no difference.
    CHECK(differences(engine, sa::metadata<migrate_deferred::Parent, migrate_deferred::Child>()).empty());

    const auto plan = plan_to(engine, sa::metadata<migrate_cascade::Parent, migrate_cascade::Child>());
    INFO("upgrade:\n"
         << fmt::format("{}", fmt::join(plan.upgrade, ";\n")) << "\ndowngrade:\n"
         << fmt::format("{}", fmt::join(plan.downgrade, ";\n")));
    CHECK(plan.changes == Strings{"alter foreign key fk_children_parent_id_parents"});
    hand_written("cascade", plan.upgrade, plan.downgrade);
    migrate::upgrade(engine, "migrations/versions");
    CHECK(foreign_key() == Key{"c", true, true});
    CHECK(differences(engine, sa::metadata<migrate_cascade::Parent, migrate_cascade::Child>()).empty());
    CHECK_NOTHROW(child_before_parent(1));

    migrate::downgrade(engine, "migrations/versions", "base");
    CHECK(foreign_key() == Key{"a", true, true});
    CHECK_NOTHROW(child_before_parent(2));
}

TEST_CASE("an identity column GENERATED ALWAYS is no difference from a model's autoincrement key",
          "[migrate]") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    // SQLite has no GENERATED ALWAYS: its key generated from the rowid inspects as BY DEFAULT.
    if (backend.is_postgresql()) create_events_generated_always(engine);
    else sa::metadata<migrate_identity::Event>().create_all(engine);

    const auto inspected = sa::inspect(engine);
    const auto* events = inspected.table("events");
    REQUIRE(events);
    const auto* id = events->column("id");
    REQUIRE(id);
    CHECK(id->autoincrement);
    CHECK(id->generated_always == backend.is_postgresql());
    // The models cannot declare GENERATED ALWAYS: the database's is no difference.
    CHECK(differences(engine, sa::metadata<migrate_identity::Event>()).empty());
}

TEST_CASE("a PostgreSQL identity column GENERATED ALWAYS stays so when a downgrade creates its table again",
          "[migrate]") {
    auto backend = GENERATE(from_range(backends()));
    if (!backend.is_postgresql()) return;
    WorkDir work;
    fs::create_directories("migrations/versions");
    auto engine = backend.engine();
    create_events_generated_always(engine);
    REQUIRE(events_id_generation(engine) == "ALWAYS");

    const auto plan = plan_to(engine, sa::metadata<migrate_v1::User>());
    INFO("downgrade:\n" << fmt::format("{}", fmt::join(plan.downgrade, ";\n")));
    CHECK(plan.changes == Strings{"add table users", "drop table events"});
    hand_written("drop events", plan.upgrade, plan.downgrade);
    migrate::upgrade(engine, "migrations/versions");
    migrate::downgrade(engine, "migrations/versions", "base");
    CHECK(events_id_generation(engine) == "ALWAYS");
    CHECK_THROWS_AS(execute(engine, "INSERT INTO events (id, note) VALUES (7, 'explicit')"),
                    sa::ProgrammingError);
}

TEST_CASE(
    "a PostgreSQL identity column GENERATED ALWAYS that a downgrade adds back is GENERATED ALWAYS again",
    "[migrate]") {
    auto backend = GENERATE(from_range(backends()));
    if (!backend.is_postgresql()) return;
    WorkDir work;
    fs::create_directories("migrations/versions");
    auto engine = backend.engine();
    create_events_generated_always(engine);

    const auto plan = plan_to(engine, sa::metadata<migrate_identity::ManualEvent>());
    INFO("upgrade:\n"
         << fmt::format("{}", fmt::join(plan.upgrade, ";\n")) << "\ndowngrade:\n"
         << fmt::format("{}", fmt::join(plan.downgrade, ";\n")));
    CHECK(plan.changes == Strings{"alter column events.id: autoincrement off"});
    hand_written("ids given out by hand", plan.upgrade, plan.downgrade);
    migrate::upgrade(engine, "migrations/versions");
    CHECK(events_id_generation(engine).empty());
    execute(engine, "INSERT INTO events (id, note) VALUES (7, 'explicit')");

    migrate::downgrade(engine, "migrations/versions", "base");
    CHECK(events_id_generation(engine) == "ALWAYS");
    CHECK_THROWS_AS(execute(engine, "INSERT INTO events (id, note) VALUES (8, 'explicit')"),
                    sa::ProgrammingError);
    // The sequence starts past the ids the rows hold.
    CHECK_NOTHROW(execute(engine, "INSERT INTO events (note) VALUES ('generated')"));
}

TEST_CASE("a PostgreSQL type change keeps an identity column GENERATED ALWAYS, upgrading and downgrading",
          "[migrate]") {
    auto backend = GENERATE(from_range(backends()));
    if (!backend.is_postgresql()) return;
    WorkDir work;
    fs::create_directories("migrations/versions");
    auto engine = backend.engine();
    create_events_generated_always(engine);

    const auto plan = plan_to(engine, sa::metadata<migrate_identity::NarrowEvent>());
    INFO("upgrade:\n"
         << fmt::format("{}", fmt::join(plan.upgrade, ";\n")) << "\ndowngrade:\n"
         << fmt::format("{}", fmt::join(plan.downgrade, ";\n")));
    CHECK(plan.changes == Strings{"alter column events.id: BIGINT → INTEGER"});
    hand_written("narrow ids", plan.upgrade, plan.downgrade);
    migrate::upgrade(engine, "migrations/versions");
    CHECK(events_id_generation(engine) == "ALWAYS");
    CHECK(differences(engine, sa::metadata<migrate_identity::NarrowEvent>()).empty());

    migrate::downgrade(engine, "migrations/versions", "base");
    CHECK(events_id_generation(engine) == "ALWAYS");
    CHECK(differences(engine, sa::metadata<migrate_identity::Event>()).empty());
}

TEST_CASE("a table rebuilt on SQLite keeps its expression and partial indexes, and its keys' collations",
          "[migrate]") {
    WorkDir work;
    fs::create_directories("migrations/versions");
    auto engine = sa::create_engine(sa::test::sqlite_temp_url());
    sa::metadata<migrate_v1::User>().create_all(engine);
    // The models cannot describe these, so the plan neither drops nor creates them.
    const Strings by_hand{
        "CREATE UNIQUE INDEX ux_users_lower_name ON users (lower(name))",
        "CREATE INDEX ix_users_nocase ON users (name COLLATE NOCASE DESC)",
        "CREATE INDEX ix_users_named ON users (id) WHERE name IS NOT NULL",
    };
    for (const auto& sql : by_hand) execute(engine, sql);
    execute(engine, "INSERT INTO users (id, name) VALUES (1, 'ann')");
    const auto index_sql = [&] {
        auto conn = engine.connect();
        return conn
            .execute(
                sa::text("SELECT sql FROM sqlite_master WHERE type = 'index' AND name IN "
                         "('ux_users_lower_name', 'ix_users_nocase', 'ix_users_named') ORDER BY name DESC")
                    .columns<std::string>())
            .all();
    };

    const auto plan = plan_to(engine, sa::metadata<migrate_v2::User>());
    INFO("upgrade:\n" << fmt::format("{}", fmt::join(plan.upgrade, ";\n")));
    REQUIRE(std::ranges::count(plan.upgrade, R"(DROP TABLE "users")") == 1);
    CHECK(
        std::ranges::none_of(plan.changes, [](const std::string& c) { return c.starts_with("drop index"); }));
    hand_written("name not null", plan.upgrade, plan.downgrade);
    migrate::upgrade(engine, "migrations/versions");
    CHECK(index_sql() == by_hand);
    CHECK_THROWS_AS(execute(engine, "INSERT INTO users (id, name) VALUES (2, 'ANN')"), sa::UniqueViolation);
    migrate::downgrade(engine, "migrations/versions", "base");
    CHECK(index_sql() == by_hand);
    CHECK_THROWS_AS(execute(engine, "INSERT INTO users (id, name) VALUES (2, 'ANN')"), sa::UniqueViolation);

    // An index over a column the rebuild drops cannot come back: the revision fails.
    execute(engine, "CREATE INDEX ix_users_lower_nickname ON users (lower(nickname))");
    const auto error = failed_upgrade(engine);
    INFO(error);
    CHECK(error.find("was rolled back: index ix_users_lower_nickname went with table users") !=
          std::string::npos);
    CHECK(error.find(R"(add DROP INDEX "ix_users_lower_nickname" to the revision)") != std::string::npos);
    CHECK(migrate::current_revision(engine) == std::nullopt);
    CHECK(schema_names(engine, "index", "users") ==
          Strings{"ix_users_lower_nickname", "ix_users_named", "ix_users_nocase", "ux_users_lower_name"});
}

TEST_CASE(
    "a rebuild on SQLite that would lose a collation, AUTOINCREMENT, a generated column, STRICT, WITHOUT "
    "ROWID or a constraint's ON CONFLICT fails",
    "[migrate]") {
    const auto [table_sql, models, lost] = GENERATE(table<std::string, int, std::string>({
        {"CREATE TABLE users (id INTEGER NOT NULL PRIMARY KEY, name TEXT COLLATE NOCASE, nickname TEXT)", 0,
         "column users.name's collation (COLLATE NOCASE) would be lost"},
        {"CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT, nickname TEXT)", 0,
         "column users.id's AUTOINCREMENT (ids of deleted rows would be used again) would be lost"},
        {"CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, upper_name TEXT GENERATED ALWAYS AS "
         "(upper(name)))",
         1,
         "column users.upper_name's expression (a generated column would become a plain one) would be lost"},
        {"CREATE TABLE users (id INTEGER NOT NULL PRIMARY KEY, name TEXT, nickname TEXT) STRICT", 0,
         "its STRICT typing (a column would take a value of any type) would be lost"},
        {"CREATE TABLE users (id INTEGER NOT NULL PRIMARY KEY, name TEXT, nickname TEXT) WITHOUT ROWID", 0,
         "WITHOUT ROWID (the rows would get rowids) would be lost"},
        {"CREATE TABLE users (id INTEGER NOT NULL PRIMARY KEY ON CONFLICT REPLACE, name TEXT, nickname TEXT)",
         0,
         "the ON CONFLICT REPLACE of its PRIMARY KEY (id) (a statement breaking it would fail instead) would "
         "be lost"},
        {"CREATE TABLE users (id INTEGER NOT NULL PRIMARY KEY, name TEXT UNIQUE, nickname TEXT NOT NULL ON "
         "CONFLICT REPLACE DEFAULT 'none')",
         2,
         "the ON CONFLICT REPLACE of its NOT NULL (nickname) (a statement breaking it would fail instead) "
         "would be lost"},
        {"CREATE TABLE users (id INTEGER NOT NULL PRIMARY KEY, name TEXT, nickname TEXT, UNIQUE (name) ON "
         "CONFLICT IGNORE)",
         2,
         "the ON CONFLICT IGNORE of its UNIQUE (name) (a statement breaking it would fail instead) would be "
         "lost"},
    }));
    WorkDir work;
    fs::create_directories("migrations/versions");
    auto engine = sa::create_engine(sa::test::sqlite_temp_url());
    execute(engine, table_sql);
    execute(engine, "INSERT INTO users (id, name) VALUES (1, 'ann')");
    const auto target = models == 0   ? sa::metadata<migrate_v2::User>()
                        : models == 1 ? sa::metadata<migrate_generated::User>()
                                      : sa::metadata<migrate_unique::User>();
    const auto plan = plan_to(engine, target);
    INFO("upgrade:\n" << fmt::format("{}", fmt::join(plan.upgrade, ";\n")));
    REQUIRE(std::ranges::count(plan.upgrade, R"(DROP TABLE "users")") == 1);
    hand_written("rebuild", plan.upgrade, plan.downgrade);
    const auto error = failed_upgrade(engine);
    INFO(error);
    CHECK(error.find("was rolled back: it puts a new table in the place of table users, and " + lost) !=
          std::string::npos);
    CHECK(migrate::current_revision(engine) == std::nullopt);
    auto conn = engine.connect();
    CHECK(conn.execute(sa::text("SELECT sql FROM sqlite_master WHERE name = 'users'").columns<std::string>())
              .scalar_one() == table_sql);
}

TEST_CASE("a rebuild on SQLite that would lose a foreign key's DEFERRABLE INITIALLY DEFERRED fails",
          "[migrate]") {
    WorkDir work;
    fs::create_directories("migrations/versions");
    auto engine = sa::create_engine(sa::test::sqlite_temp_url());
    const std::string children =
        "CREATE TABLE children (id INTEGER NOT NULL PRIMARY KEY, parent_id INTEGER NOT NULL, note TEXT, "
        "FOREIGN KEY (parent_id) REFERENCES parents (id) DEFERRABLE INITIALLY DEFERRED)";
    execute(engine, "CREATE TABLE parents (id INTEGER NOT NULL PRIMARY KEY); " + children);
    const auto plan = plan_to(engine, sa::metadata<migrate_deferred::Parent, migrate_deferred::Child>());
    INFO("upgrade:\n" << fmt::format("{}", fmt::join(plan.upgrade, ";\n")));
    REQUIRE(std::ranges::count(plan.upgrade, R"(DROP TABLE "children")") == 1);
    hand_written("note not null", plan.upgrade, plan.downgrade);
    const auto error = failed_upgrade(engine);
    INFO(error);
    CHECK(
        error.find("was rolled back: it puts a new table in the place of table children, and the DEFERRABLE "
                   "INITIALLY DEFERRED of its foreign key (parent_id) (it would be checked at each "
                   "statement, not at COMMIT) would be lost") != std::string::npos);
    CHECK(migrate::current_revision(engine) == std::nullopt);
    auto conn = engine.connect();
    CHECK(
        conn.execute(sa::text("SELECT sql FROM sqlite_master WHERE name = 'children'").columns<std::string>())
            .scalar_one() == children);
}

TEST_CASE("a table SQLite rebuilds keeps the rowids of its rows, upgrading and downgrading", "[migrate]") {
    WorkDir work;
    fs::create_directories("migrations/versions");
    auto engine = sa::create_engine(sa::test::sqlite_temp_url());
    const auto start = hand_written("start", {}, {});
    migrate::upgrade(engine, "migrations/versions");
    sa::metadata<migrate_rowid::v1::Page>().create_all(engine);
    // Rowids 1 and 3: copied in order without them, the rows would be numbered 1 and 2.
    execute(engine,
            "INSERT INTO pages (slug, body) VALUES ('a', 'x'), ('b', 'y'), ('c', NULL); "
            "DELETE FROM pages WHERE slug = 'b'");
    const auto rowids = [&] {
        auto conn = engine.connect();
        return conn.execute(sa::text("SELECT rowid || slug FROM pages ORDER BY slug").columns<std::string>())
            .all();
    };
    REQUIRE(rowids() == Strings{"1a", "3c"});
    const auto plan = plan_to(engine, sa::metadata<migrate_rowid::v2::Page>());
    INFO("upgrade:\n" << fmt::format("{}", fmt::join(plan.upgrade, ";\n")));
    REQUIRE(std::ranges::count(plan.upgrade, R"(DROP TABLE "pages")") == 1);
    hand_written("body not null", plan.upgrade, plan.downgrade);
    migrate::upgrade(engine, "migrations/versions");
    CHECK(rowids() == Strings{"1a", "3c"});
    migrate::downgrade(engine, "migrations/versions", start.id);
    CHECK(rowids() == Strings{"1a", "3c"});
}

TEST_CASE("a table SQLite rebuilds with AUTOINCREMENT keeps its high-water mark", "[migrate]") {
    WorkDir work;
    fs::create_directories("migrations/versions");
    auto engine = sa::create_engine(sa::test::sqlite_temp_url());
    execute(engine, "CREATE TABLE notes (id INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT)");
    execute(engine, "INSERT INTO notes (body) VALUES ('a'), ('b'), ('c'); DELETE FROM notes WHERE id > 1");
    hand_written("body not null",
                 {"CREATE TABLE notes_new (id INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT NOT NULL)",
                  "INSERT INTO notes_new (id, body) SELECT id, body FROM notes", "DROP TABLE notes",
                  "ALTER TABLE notes_new RENAME TO notes"},
                 {});
    migrate::upgrade(engine, "migrations/versions");
    execute(engine, "INSERT INTO notes (body) VALUES ('d')");
    auto conn = engine.connect();
    // 2 and 3 were deleted: AUTOINCREMENT never hands them out again.
    CHECK(conn.execute(sa::text("SELECT max(id) FROM notes").columns<std::int64_t>()).scalar_one() == 4);
}

TEST_CASE("a column SQLite spells in another case keeps its data through a rebuild", "[migrate]") {
    WorkDir work;
    fs::create_directories("migrations/versions");
    auto engine = sa::create_engine(sa::test::sqlite_temp_url());
    execute(
        engine,
        R"(CREATE TABLE Users (id INTEGER NOT NULL, "NAME" TEXT, "Email" TEXT, CONSTRAINT pk_users PRIMARY )"
        R"(KEY (id)); INSERT INTO users (id, name, email) VALUES (1, 'ann', 'ann@example.com'))");
    // To SQLite "Email" and email are one column: no drop and add, and the rebuild for
    // name's NOT NULL copies it.
    const auto plan = plan_to(engine, sa::metadata<migrate_v2::User>());
    INFO("upgrade:\n" << fmt::format("{}", fmt::join(plan.upgrade, ";\n")));
    CHECK(plan.changes == Strings{"alter column users.name: nullable → NOT NULL, default 'anonymous'",
                                  "add index ix_users_name"});
    hand_written("name not null", plan.upgrade, plan.downgrade);
    migrate::upgrade(engine, "migrations/versions");
    CHECK(differences(engine, sa::metadata<migrate_v2::User>()).empty());
    auto conn = engine.connect();
    using Row = std::tuple<std::int64_t, std::string, std::optional<std::string>>;
    CHECK(conn.execute(sa::text("SELECT id, name, email FROM users")
                           .columns<std::int64_t, std::string, std::optional<std::string>>())
              .all() == std::vector<Row>{{1, "ann", "ann@example.com"}});
}

TEST_CASE(
    "a column whose default is an expression comes back with it when a downgrade rebuilds or creates "
    "its table",
    "[migrate]") {
    namespace v1 = migrate_expression_default::v1;
    namespace v2 = migrate_expression_default::v2;
    auto backend = GENERATE(from_range(backends()));
    WorkDir work;
    fs::create_directories("migrations/versions");
    auto engine = fresh(backend).engine();
    const auto created = plan_to(engine, sa::metadata<v1::Event, v1::Extra>());
    const auto start = hand_written("events and extras", created.upgrade, created.downgrade);
    migrate::upgrade(engine, "migrations/versions");
    execute(engine, "INSERT INTO events (id, title) VALUES (1, NULL), (2, 'b')");

    // On SQLite the downgrade rebuilds events and creates extras from their inspected
    // definitions, in which the default reads 1 + 2.
    const auto plan = plan_to(engine, sa::metadata<v2::Event>());
    INFO("downgrade:\n" << fmt::format("{}", fmt::join(plan.downgrade, ";\n")));
    hand_written("title not null, no extras", plan.upgrade, plan.downgrade);
    migrate::upgrade(engine, "migrations/versions");
    CHECK(differences(engine, sa::metadata<v2::Event>()).empty());
    migrate::downgrade(engine, "migrations/versions", start.id);
    CHECK(differences(engine, sa::metadata<v1::Event, v1::Extra>()).empty());
    execute(engine, "INSERT INTO events (id) VALUES (3); INSERT INTO extras (id) VALUES (1)");
    auto conn = engine.connect();
    CHECK(conn.execute(sa::text("SELECT count(*) FROM events WHERE score = 3").columns<std::int64_t>())
              .scalar_one() == 3);
    CHECK(conn.execute(sa::text("SELECT score FROM extras").columns<std::int64_t>()).scalar_one() == 3);
}

TEST_CASE("a SQLite rebuild keeps the indexes of the database it runs on that the revision does not drop",
          "[migrate]") {
    WorkDir work;
    fs::create_directories("migrations/versions");
    auto development = sa::create_engine(sa::test::sqlite_temp_url());
    auto production = sa::create_engine(sa::test::sqlite_temp_url());
    const auto created = plan_to(development, sa::metadata<migrate_v1::User>());
    const auto start = hand_written("users", created.upgrade, created.downgrade);
    for (auto* engine : {&development, &production}) {
        migrate::upgrade(*engine, "migrations/versions");
        // Both have it, the models do not: the revision drops it on purpose.
        execute(*engine, "CREATE INDEX ix_users_by_hand ON users (id, name)");
    }
    // Only production has this one, so the revision generated on development knows nothing
    // of it.
    execute(production, "CREATE UNIQUE INDEX ux_users_name ON users (name)");
    execute(production, "INSERT INTO users (id, name) VALUES (1, 'ann')");

    const auto plan = plan_to(development, sa::metadata<migrate_v2::User>());
    INFO("upgrade:\n" << fmt::format("{}", fmt::join(plan.upgrade, ";\n")));
    REQUIRE(std::ranges::count(plan.upgrade, R"(DROP TABLE "users")") == 1);
    CHECK(std::ranges::count(plan.upgrade, R"(DROP INDEX "ix_users_by_hand")") == 1);
    hand_written("name not null", plan.upgrade, plan.downgrade);
    migrate::upgrade(production, "migrations/versions");
    CHECK(schema_names(production, "index", "users") == Strings{"ix_users_name", "ux_users_name"});
    CHECK_THROWS_AS(execute(production, "INSERT INTO users (id, name) VALUES (2, 'ann')"),
                    sa::UniqueViolation);
    migrate::downgrade(production, "migrations/versions", start.id);
    CHECK(schema_names(production, "index", "users") == Strings{"ix_users_by_hand", "ux_users_name"});
    CHECK_THROWS_AS(execute(production, "INSERT INTO users (id, name) VALUES (2, 'ann')"),
                    sa::UniqueViolation);

    // One over a column the rebuild drops cannot come back: the revision fails.
    execute(production, "CREATE INDEX ix_users_nickname ON users (nickname)");
    const auto error = failed_upgrade(production);
    INFO(error);
    CHECK(error.find("was rolled back: index ix_users_nickname went with table users") != std::string::npos);
    CHECK(error.find(R"(add DROP INDEX "ix_users_nickname" to the revision)") != std::string::npos);
    CHECK(migrate::current_revision(production) == start.id);
    CHECK(schema_names(production, "index", "users") ==
          Strings{"ix_users_by_hand", "ix_users_nickname", "ux_users_name"});
}

TEST_CASE("a SQLite rebuild that would lose a constraint the revision does not drop fails", "[migrate]") {
    WorkDir work;
    fs::create_directories("migrations/versions");
    auto development = sa::create_engine(sa::test::sqlite_temp_url());
    auto production = sa::create_engine(sa::test::sqlite_temp_url());
    const auto created = plan_to(development, sa::metadata<migrate_v1::User>());
    const auto start = hand_written("users", created.upgrade, created.downgrade);
    migrate::upgrade(development, "migrations/versions");
    // Production's table has constraints that development's lacks.
    const std::string users =
        "CREATE TABLE users (id INTEGER NOT NULL, name TEXT, nickname TEXT, CONSTRAINT pk_users PRIMARY KEY "
        "(id), CONSTRAINT uq_users_name UNIQUE (name), CONSTRAINT ck_users_name CHECK (length(name) > 2))";
    execute(production, users);
    execute(production, "INSERT INTO users (id, name) VALUES (1, 'ann')");
    migrate::stamp(production, "migrations/versions", "head");

    const auto generated_elsewhere =
        hand_written("name not null", plan_to(development, sa::metadata<migrate_v2::User>()).upgrade, {});
    const auto error = failed_upgrade(production);
    INFO(error);
    CHECK(error.find("was rolled back: it puts a new table in the place of table users, and its constraint "
                     "uq_users_name (UNIQUE (name)) would be lost") != std::string::npos);
    CHECK(error.find("Generate the revision again against this database") != std::string::npos);
    CHECK(migrate::current_revision(production) == start.id);
    {
        auto conn = production.connect();
        CHECK(conn.execute(
                      sa::text("SELECT sql FROM sqlite_master WHERE name = 'users'").columns<std::string>())
                  .scalar_one() == users);
    }

    // Generated against production, the revision drops them on purpose, as the models lack them.
    fs::remove(generated_elsewhere.path);
    const auto plan = plan_to(production, sa::metadata<migrate_v2::User>());
    INFO("upgrade:\n" << fmt::format("{}", fmt::join(plan.upgrade, ";\n")));
    hand_written("name not null", plan.upgrade, plan.downgrade);
    migrate::upgrade(production, "migrations/versions");
    CHECK(differences(production, sa::metadata<migrate_v2::User>()).empty());
    CHECK_NOTHROW(execute(production, "INSERT INTO users (id, name) VALUES (2, 'ann'), (3, 'x')"));
}

TEST_CASE("a view a revision drops and creates again around a SQLite rebuild keeps its triggers",
          "[migrate]") {
    WorkDir work;
    fs::create_directories("migrations/versions");
    auto engine = sa::create_engine(sa::test::sqlite_temp_url());
    sa::metadata<migrate_v1::User>().create_all(engine);
    const std::string view = "CREATE VIEW user_names AS SELECT id, name FROM users";
    execute(engine, view);
    execute(
        engine,
        "CREATE TRIGGER user_names_insert INSTEAD OF INSERT ON user_names BEGIN INSERT INTO users (id, name) "
        "VALUES (NEW.id, NEW.name); END");

    // As the documentation advises: the view would make the rename fail.
    auto plan = plan_to(engine, sa::metadata<migrate_v2::User>());
    for (auto* statements : {&plan.upgrade, &plan.downgrade}) {
        statements->insert(statements->begin(), "DROP VIEW user_names");
        statements->push_back(view);
    }
    hand_written("name not null", plan.upgrade, plan.downgrade);
    migrate::upgrade(engine, "migrations/versions");
    CHECK(schema_names(engine, "trigger", "user_names") == Strings{"user_names_insert"});
    execute(engine, "INSERT INTO user_names (id, name) VALUES (1, 'ann')");
    migrate::downgrade(engine, "migrations/versions", "base");
    CHECK(schema_names(engine, "trigger", "user_names") == Strings{"user_names_insert"});
    execute(engine, "INSERT INTO user_names (id, name) VALUES (2, 'bob')");
    CHECK(users(engine) == std::vector<UserRow>{{1, "ann"}, {2, "bob"}});
}

TEST_CASE("an upgrade that loses the race to another runner reports where the database is", "[migrate]") {
    // PostgreSQL locks the version table for each revision; SQLite's write transaction
    // lets no second runner in at all.
    auto backend = GENERATE(from_range(backends()));
    if (!backend.is_postgresql()) return;
    WorkDir work;
    EnvVar url("DATABASE_URL", backend.url);
    auto engine = backend.engine();
    RUN_OK(init, {"init", "migrations"});
    const auto one = hand_written("one", {"CREATE TABLE one (id INTEGER PRIMARY KEY)"}, {"DROP TABLE one"});
    migrate::stamp(engine, std::optional<std::string>{});

    // The other runner holds the lock while this one plans <base> -> one and waits for it,
    // then records one and commits.
    auto other = engine.connect();
    auto other_tx = other.begin();
    other.execute_script("LOCK TABLE alchemy_version IN EXCLUSIVE MODE");
    Outcome upgrade;
    std::thread runner([&] { upgrade = tool({"upgrade", "head"}); });
    bool waiting = false;
    for (int i = 0; i < 500 && !waiting; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        auto probe = engine.connect();
        waiting = probe
                      .execute(sa::text("SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = "
                                        "'alchemy_version'::regclass")
                                   .columns<std::int64_t>())
                      .scalar_one() > 0;
    }
    other.execute(sa::text("INSERT INTO alchemy_version (version_num) VALUES (:id)").bind("id", one.id));
    other_tx.commit();
    runner.join();
    REQUIRE(waiting);

    INFO("out: " << upgrade.out << "\nerr: " << upgrade.err);
    CHECK(upgrade.status == 1);
    CHECK(upgrade.err.find("upgrade <base> -> " + one.id +
                           " failed and was rolled back; the database is at " + one.id + ".") !=
          std::string::npos);
    CHECK(upgrade.err.find("did another process migrate it meanwhile?") != std::string::npos);
}

TEST_CASE("a revision whose statements would begin or end its transaction is refused before anything runs",
          "[migrate]") {
    auto backend = GENERATE(from_range(backends()));
    WorkDir work;
    EnvVar url("DATABASE_URL", backend.url);
    auto engine = backend.engine();
    RUN_OK(init, {"init", "migrations"});
    hand_written("good", {"CREATE TABLE good (id INTEGER PRIMARY KEY)"}, {"DROP TABLE good"});
    // A COMMIT would save `half` while the version table stays at `good`.
    const auto ending = GENERATE(as<std::string>{}, "COMMIT", "/* done */ end", "rollback", "BEGIN",
                                 "START TRANSACTION", "PREPARE TRANSACTION 'x'");
    const auto committing =
        hand_written("commits", {"CREATE TABLE half (id INTEGER)", ending, "CREATE TABLE other (id INTEGER)"},
                     {"DROP TABLE other", "DROP TABLE half"});
    INFO(ending);
    for (const auto& args : {Strings{"upgrade", "head"}, Strings{"upgrade", "head", "--sql"}}) {
        const auto upgrade = tool(args);
        INFO("out: " << upgrade.out << "\nerr: " << upgrade.err);
        CHECK(upgrade.status == 1);
        CHECK(upgrade.err.find("statement 2 of the upgrade section of " + committing.path.string()) !=
              std::string::npos);
        CHECK(upgrade.err.find("must not begin or end one") != std::string::npos);
        CHECK(upgrade.out.empty());
    }
    // Not even the revision before it ran.
    CHECK(table_names(engine) == Strings{});
}

TEST_CASE("a revision may roll back to a savepoint of its own", "[migrate]") {
    auto backend = GENERATE(from_range(backends()));
    WorkDir work;
    EnvVar url("DATABASE_URL", backend.url);
    auto engine = backend.engine();
    RUN_OK(init, {"init", "migrations"});
    hand_written("savepoint",
                 {"SAVEPOINT s", "CREATE TABLE gone (id INTEGER)", "ROLLBACK TO SAVEPOINT s",
                  "RELEASE SAVEPOINT s", "CREATE TABLE kept (id INTEGER)"},
                 {"DROP TABLE kept"});
    RUN_OK(upgrade, {"upgrade", "head"});
    CHECK(table_names(engine) == Strings{"alchemy_version", "kept"});
}

TEST_CASE("a revision's SQL is read by the database's own rules for comments", "[migrate]") {
    const auto backend = fresh(GENERATE(from_range(backends())));
    WorkDir work;
    EnvVar url("DATABASE_URL", backend.url);
    auto engine = backend.engine();
    RUN_OK(init, {"init", "migrations"});
    const auto write = [](const std::string& id, const std::string& upgrade) {
        std::ofstream("migrations/versions/" + id + "_x.sql")
            << "-- alchemy revision\n-- revision: " << id << "\n-- down_revision: none\n-- message: x\n\n"
            << "-- upgrade\n"
            << upgrade << "-- downgrade\nDROP TABLE files;\n";
    };
    SECTION("a comment holding '/*'") {
        // SQLite ends the comment at the first */; PostgreSQL's nest, so there it never ends.
        write("aaa", "/* the files live under docs/*.md */\nCREATE TABLE files (id INTEGER PRIMARY KEY);\n");
        const auto upgrade = tool({"upgrade", "head"});
        INFO("out: " << upgrade.out << "\nerr: " << upgrade.err);
        if (backend.is_sqlite()) {
            CHECK(upgrade.status == 0);
            CHECK(table_names(engine) == Strings{"alchemy_version", "files"});
            CHECK(migrate::current_revision(engine) == std::optional<std::string>("aaa"));
        } else {
            CHECK(upgrade.status == 1);
            CHECK(upgrade.err.find("is never closed") != std::string::npos);
            CHECK(table_names(engine) == Strings{});
        }
    }
    SECTION("a comment never closed") {
        write("bbb",
              "CREATE TABLE files (id INTEGER);\n/* b is needed by the app\nCREATE TABLE b (id INTEGER);\n");
        const auto upgrade = tool({"upgrade", "head"});
        INFO("out: " << upgrade.out << "\nerr: " << upgrade.err);
        CHECK(upgrade.status == 1);
        CHECK(upgrade.err.find("a comment ('/*') that begins \"/* b is needed by the app") !=
              std::string::npos);
        CHECK(upgrade.err.find("the upgrade section of migrations/versions/bbb_x.sql") != std::string::npos);
        CHECK(table_names(engine) == Strings{});
    }
    SECTION("a line comment followed by a carriage return") {
        // PostgreSQL ends the comment at the \r, so the CREATE TABLE runs; SQLite ends it at \n only.
        write("ccc", "-- make the files table\rCREATE TABLE files (id INTEGER PRIMARY KEY);\n");
        RUN_OK(upgrade, {"upgrade", "head"});
        CHECK(migrate::current_revision(engine) == std::optional<std::string>("ccc"));
        CHECK(table_names(engine) ==
              (backend.is_postgresql() ? Strings{"alchemy_version", "files"} : Strings{"alchemy_version"}));
    }
    // A COMMIT the runner does not see would save the statements before it when a later one fails.
    const auto refuses_hidden_commit = [&](const std::string& upgrade_sql, bool refused) {
        write("ddd", upgrade_sql + "CREATE TABLE files (id INTEGER);\nSELECT * FROM no_such_table;\n");
        const auto upgrade = tool({"upgrade", "head"});
        INFO("out: " << upgrade.out << "\nerr: " << upgrade.err);
        CHECK(upgrade.status == 1);
        CHECK((upgrade.err.find("begins with COMMIT") != std::string::npos) == refused);
        // Refused before anything runs, or rolled back but for the version table.
        CHECK(table_names(engine) == (refused ? Strings{} : Strings{"alchemy_version"}));
    };
    SECTION("a COMMIT after a line comment that a carriage return ends") {
        // SQLite reads the COMMIT as part of the comment: the missing table fails the revision.
        refuses_hidden_commit("CREATE TABLE first (id INTEGER); -- done\rCOMMIT;\n", backend.is_postgresql());
    }
    SECTION("a COMMIT after a SQLite name quoted with backticks that holds a quote") {
        // PostgreSQL reads a string from the quote on, as its server does, and fails on the `.
        refuses_hidden_commit(
            "CREATE TABLE `owner's` (id INTEGER);\nCOMMIT;\nCREATE TABLE `o'k` (id INTEGER);\n",
            backend.is_sqlite());
    }
    SECTION("a COMMIT after a SQLite name quoted with brackets that holds a quote") {
        refuses_hidden_commit(
            "CREATE TABLE [owner's] (id INTEGER);\nCOMMIT;\nCREATE TABLE [o'k] (id INTEGER);\n",
            backend.is_sqlite());
    }
}

TEST_CASE("a revision may create a trigger or a function whose body holds statements", "[migrate]") {
    const auto backend = fresh(GENERATE(from_range(backends())));
    WorkDir work;
    EnvVar url("DATABASE_URL", backend.url);
    auto engine = backend.engine();
    RUN_OK(init, {"init", "migrations"});
    // Each body's statements end in ';' inside the one statement, and a CASE ... END sits
    // in the middle: the statement ends where the database says, not at the first ';'.
    const std::string audit_table = "CREATE TABLE audit (name TEXT, kind TEXT)";
    if (backend.is_sqlite())
        hand_written(
            "audit",
            {"CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT)", audit_table,
             "CREATE TRIGGER items_audit AFTER INSERT ON items BEGIN\n"
             "  INSERT INTO audit VALUES (NEW.name, CASE WHEN NEW.name = '' THEN 'empty' ELSE 'named' "
             "END);\n  INSERT INTO audit VALUES (NEW.name, 'again');\nEND"},
            {"DROP TRIGGER items_audit", "DROP TABLE audit", "DROP TABLE items"});
    else
        hand_written(
            "audit",
            {audit_table,
             "CREATE FUNCTION add_item(item text) RETURNS bigint LANGUAGE sql BEGIN ATOMIC\n"
             "  INSERT INTO audit VALUES (item, CASE WHEN item = '' THEN 'empty' ELSE 'named' END);\n"
             "  INSERT INTO audit VALUES (item, 'again');\n"
             "  SELECT count(*) FROM audit;\nEND"},
            {"DROP FUNCTION add_item(text)", "DROP TABLE audit"});
    const auto sql = tool({"upgrade", "head", "--sql"});
    INFO("out: " << sql.out << "\nerr: " << sql.err);
    CHECK(sql.status == 0);
    CHECK(sql.out.find("\nEND;\n") != std::string::npos);

    RUN_OK(upgrade, {"upgrade", "head"});
    {
        auto conn = engine.connect();
        conn.execute(sa::text(backend.is_sqlite() ? "INSERT INTO items (name) VALUES ('bolt')"
                                                  : "SELECT add_item('bolt')"));
        conn.commit();
        using Row = std::tuple<std::string, std::string>;
        CHECK(conn.execute(sa::text("SELECT name, kind FROM audit ORDER BY kind")
                               .columns<std::string, std::string>())
                  .all() == std::vector<Row>{{"bolt", "again"}, {"bolt", "named"}});
    }
    RUN_OK(downgrade, {"downgrade", "base"});
    CHECK(table_names(engine) == Strings{"alchemy_version"});
}

TEST_CASE("a name read from the database cannot add a statement to an autogenerated revision", "[migrate]") {
    const auto backend = fresh(GENERATE(from_range(backends())));
    WorkDir work;
    EnvVar url("DATABASE_URL", backend.url);
    auto engine = backend.engine();
    RUN_OK(init, {"init", "migrations"});
    const auto models = sa::metadata<migrate_v1::User, migrate_deferred::Parent>();
    sa::metadata<migrate_v1::User>().create_all(engine);
    // The plan drops this table and adds parents: its comments name both, and a line break
    // in the name would end the comment, making the rest a statement of the revision.
    const std::string odd = "legacy\rDELETE FROM users;\n--\x1b[2J";  // PostgreSQL ends a comment at \r too
    {
        auto conn = engine.connect();
        conn.execute_script("INSERT INTO users (id, name) VALUES (1, 'ann')");
        conn.execute_script("CREATE TABLE " + engine.dialect().quote_identifier(odd) + " (id INTEGER)");
        conn.commit();
    }
    RUN_OK(revision, {"revision", "--autogenerate", "-m", "take over"}, models);
    const auto file = migrate::load_revisions("migrations/versions").back().path;
    const auto text = read(file);
    INFO(text);
    CHECK(text.find("-- WARNING: table legacy\\x0DDELETE FROM users;\\x0A--\\x1B[2J") != std::string::npos);
    CHECK(revision.out.find('\x1b') == std::string::npos);
    CHECK(revision.err.find('\x1b') == std::string::npos);

    const auto users = [&] {
        auto conn = engine.connect();
        return conn.execute(sa::text("SELECT count(*) FROM users").columns<std::int64_t>()).scalar_one();
    };
    RUN_OK(upgrade, {"upgrade", "head"}, models);
    CHECK(users() == 1);
    RUN_OK(downgrade, {"downgrade", "base"}, models);
    CHECK(users() == 1);
}

TEST_CASE("a control character in a revision's header is refused", "[migrate]") {
    WorkDir work;
    EnvVar url("DATABASE_URL", sa::test::sqlite_temp_url());
    RUN_OK(init, {"init", "migrations"});
    // PostgreSQL ends a -- comment at a carriage return: in the --sql script, the rest
    // of the message would run.
    std::ofstream("migrations/versions/ccc_x.sql")
        << "-- alchemy revision\n-- revision: ccc\n-- down_revision: none\n"
           "-- message: add t\rCREATE TABLE injected (id INTEGER);\n\n-- upgrade\nCREATE TABLE t (id "
           "INTEGER);\n-- downgrade\nDROP TABLE t;\n";
    const auto script = tool({"upgrade", "base:head", "--sql"});
    INFO("out: " << script.out << "\nerr: " << script.err);
    CHECK(script.status == 1);
    CHECK(script.err.find("ccc_x.sql:4: the header holds a control character") != std::string::npos);
    CHECK(script.out.empty());
}

TEST_CASE("the --sql script of a SQLite revision that rebuilds a table says what it cannot keep",
          "[migrate]") {
    WorkDir work;
    const auto database = sa::test::sqlite_temp_url();
    EnvVar url("DATABASE_URL", database);
    auto engine = sa::create_engine(database);
    RUN_OK(init, {"init", "migrations"});
    const auto plain = hand_written("plain", {"CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT)"}, {});
    const auto rebuild =
        hand_written("rebuild",
                     {"CREATE TABLE _n (id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT '')",
                      "INSERT INTO _n (id, name) SELECT id, coalesce(name, '') FROM items",
                      "drop  TABLE items", "ALTER TABLE _n RENAME TO items"},
                     {});
    RUN_OK(sql, {"upgrade", "head", "--sql"});
    const auto note = sql.out.find("-- NOTE: this revision drops a table and makes or changes one.");
    REQUIRE(note != std::string::npos);
    CHECK(sql.out.find("-- NOTE", note + 1) == std::string::npos);  // once, for the rebuild only
    CHECK(note > sql.out.find("-> " + rebuild.id));
    CHECK(sql.out.find("-> " + plain.id) < sql.out.find("-> " + rebuild.id));
}

TEST_CASE("the --sql script of a SQLite revision that breaks a foreign key stops before COMMIT",
          "[migrate]") {
    WorkDir work;
    const auto database = sa::test::sqlite_temp_url();
    EnvVar url("DATABASE_URL", database);
    auto engine = sa::create_engine(database, {.pool_size = 1, .max_overflow = 0});
    RUN_OK(init, {"init", "migrations"});
    hand_written("orphan",
                 {"CREATE TABLE parents (id INTEGER PRIMARY KEY)",
                  "CREATE TABLE children (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parents (id))",
                  "INSERT INTO children VALUES (1, 42)"},
                 {});
    RUN_OK(sql, {"upgrade", "head", "--sql"});
    // A shell run with -bail stops at the first failing statement, as execute_script does;
    // the open transaction then goes with the connection.
    CHECK_THROWS_WITH(run_script(engine, sql.out),
                      Catch::Contains("CHECK constraint failed: no row may break a foreign key"));
    RUN_OK(current, {"current"});
    CHECK(current.out == "<base>\n");
    CHECK(table_names(engine) == Strings{"alchemy_version"});
}
