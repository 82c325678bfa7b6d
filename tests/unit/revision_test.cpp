// Revision files without a database: the file format both ways, statement splitting,
// every way a chain of files can be broken, and planning upgrades and downgrades.
#include <alchemy/alchemy.hpp>
#include <alchemy/migrate.hpp>

#include "support/matchers.hpp"
#include "support/scratch_directory.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <string>
#include <vector>

namespace sa = alchemy;
namespace migrate = alchemy::migrate;
namespace fs = std::filesystem;
using sa::test::MessageContains;
using Strings = std::vector<std::string>;

namespace {

/// A new empty directory per call, removed at the end of the test.
struct TempDir : alchemy::test::ScratchDirectory {
    TempDir() : ScratchDirectory("alchemy-revision-test") {}
};

std::string read(const fs::path& path) {
    std::ifstream in(path);
    return {std::istreambuf_iterator<char>(in), {}};
}

void write(const fs::path& path, const std::string& text) {
    std::ofstream out(path);
    out << text;
}

/// A hand-written revision file.
fs::path write_file(const fs::path& dir, const std::string& id, const std::string& parent,
                    const std::string& upgrade = "", const std::string& downgrade = "") {
    const auto path = dir / (id + "_test.sql");
    write(path, "-- alchemy revision\n-- revision: " + id + "\n-- down_revision: " + parent +
                    "\n-- message: revision " + id + "\n-- created: 2024-01-01 00:00:00 UTC\n\n-- upgrade\n" +
                    upgrade + "\n-- downgrade\n" + downgrade + "\n");
    return path;
}

Strings ids(const std::vector<migrate::Revision>& chain) {
    Strings result;
    for (const auto& revision : chain) result.push_back(revision.id);
    return result;
}

}  // namespace

TEST_CASE("a written revision reads back the same", "[revision]") {
    TempDir dir;
    const auto written = migrate::write_revision(
        dir.path(), "Add User Table!", std::nullopt,
        {"CREATE TABLE users (id INTEGER NOT NULL, name TEXT)", "-- a comment between statements",
         "CREATE INDEX ix_users_name ON users (name) -- trailing comment"},
        {"DROP TABLE users"}, {"add table users", "a note\nover two lines"});

    CHECK(std::regex_match(written.id, std::regex("[0-9a-f]{12}")));
    CHECK(written.path == dir.path() / (written.id + "_add_user_table.sql"));
    CHECK_FALSE(written.down_revision);
    CHECK(written.message == "Add User Table!");
    CHECK(std::regex_match(written.created, std::regex(R"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC)")));

    const auto text = read(written.path);
    CHECK(text.starts_with("-- alchemy revision\n-- revision: " + written.id +
                           "\n-- down_revision: none\n-- message: Add User Table!\n-- created: "));
    CHECK(text.find("-- note: add table users\n-- note: a note over two lines\n") != std::string::npos);
    CHECK(text.find("CREATE TABLE users (id INTEGER NOT NULL, name TEXT);\n") != std::string::npos);
    CHECK(text.find("-- a comment between statements\n") != std::string::npos);
    // The ';' must not end up inside the trailing comment.
    CHECK(text.find("-- trailing comment\n;\n") != std::string::npos);
    CHECK(text.find("\n-- downgrade\nDROP TABLE users;\n") != std::string::npos);

    CHECK(migrate::split_statements(written.upgrade) ==
          Strings{"CREATE TABLE users (id INTEGER NOT NULL, name TEXT)",
                  "-- a comment between statements\nCREATE INDEX ix_users_name ON users (name) -- "
                  "trailing comment"});
    CHECK(migrate::split_statements(written.downgrade) == Strings{"DROP TABLE users"});

    const auto second = migrate::write_revision(dir.path(), "second", written.id, {}, {});
    CHECK(second.down_revision == written.id);
    CHECK(second.upgrade.empty());
    CHECK(second.downgrade.empty());

    const auto chain = migrate::load_revisions(dir.path());
    REQUIRE(chain.size() == 2);
    CHECK(chain[0].id == written.id);
    CHECK(chain[0].message == written.message);
    CHECK(chain[0].created == written.created);
    CHECK(chain[0].upgrade == written.upgrade);
    CHECK(chain[0].downgrade == written.downgrade);
    CHECK(chain[0].path == written.path);
    CHECK(chain[1].id == second.id);
    CHECK(migrate::history(dir.path()).front().id == second.id);
    CHECK(migrate::head(dir.path())->id == second.id);
}

TEST_CASE("hand-edited revision files are read leniently where it is safe", "[revision]") {
    TempDir dir;
    write(dir.path() / "0001_first.sql",
          "-- alchemy revision\r\n-- revision: 0001\r\n--down_revision:none\r\n\r\n-- upgrade\r\n"
          "CREATE TABLE t (id INTEGER);\r\n-- downgrade\r\nDROP TABLE t;\r\n");
    write(dir.path() / "README.txt", "not a revision");
    const auto chain = migrate::load_revisions(dir.path());
    REQUIRE(chain.size() == 1);
    CHECK(chain[0].id == "0001");
    CHECK(chain[0].message.empty());
    CHECK(chain[0].upgrade == "CREATE TABLE t (id INTEGER);");
    CHECK(chain[0].downgrade == "DROP TABLE t;");
    CHECK(migrate::load_revisions(TempDir().path()).empty());
}

/// SQLite's lexical rules, as its dialect gives them.
const sa::SqlLexicon sqlite_lexicon = sa::driver_for(sa::make_url("sqlite://")).dialect().lexicon();

TEST_CASE("split_statements splits at semicolons outside quotes and comments", "[revision]") {
    using migrate::split_statements;
    CHECK(split_statements("") == Strings{});
    CHECK(split_statements("  ;  ; \n") == Strings{});
    CHECK(split_statements("SELECT 1; SELECT 2;") == Strings{"SELECT 1", "SELECT 2"});
    CHECK(split_statements("SELECT 1;\nSELECT 2") == Strings{"SELECT 1", "SELECT 2"});

    SECTION("quotes") {
        CHECK(split_statements("INSERT INTO t VALUES ('a;b', 'it''s; fine'); SELECT 1;") ==
              Strings{"INSERT INTO t VALUES ('a;b', 'it''s; fine')", "SELECT 1"});
        CHECK(split_statements(R"(CREATE TABLE "odd;name" ("x""y;" INTEGER); SELECT 2)") ==
              Strings{R"(CREATE TABLE "odd;name" ("x""y;" INTEGER))", "SELECT 2"});
        CHECK(split_statements(R"(SELECT E'a\';b'; SELECT 'a\'; SELECT 3)") ==
              Strings{R"(SELECT E'a\';b')", R"(SELECT 'a\')", "SELECT 3"});
    }
    SECTION("comments") {
        CHECK(split_statements("-- only a comment; really\n") == Strings{});
        CHECK(split_statements("SELECT 1; -- done; yes\n/* and; this */") == Strings{"SELECT 1"});
        CHECK(split_statements("-- why\nSELECT 1 /* ; */; SELECT 2 -- ;\n;") ==
              Strings{"-- why\nSELECT 1 /* ; */", "SELECT 2 -- ;"});
        CHECK(split_statements("SELECT /* a /* nested; */ still; */ 1; SELECT 2") ==
              Strings{"SELECT /* a /* nested; */ still; */ 1", "SELECT 2"});
        CHECK(split_statements("SELECT 1 - -2; SELECT 3") == Strings{"SELECT 1 - -2", "SELECT 3"});
        CHECK(split_statements("SELECT '1;'::int; SELECT 2") == Strings{"SELECT '1;'::int", "SELECT 2"});
    }
    SECTION("dollar quotes") {
        const std::string function =
            "CREATE FUNCTION f() RETURNS trigger AS $$ BEGIN NEW.x := 1; RETURN NEW; END; $$ "
            "LANGUAGE plpgsql";
        CHECK(split_statements(function + "; SELECT 1;") == Strings{function, "SELECT 1"});
        const std::string tagged = "DO $body$ BEGIN PERFORM 'x;'; /* $$ */ END $body$";
        CHECK(split_statements(tagged + ";SELECT 2") == Strings{tagged, "SELECT 2"});
        // $1 is a parameter and a$b$ an identifier, not the start of a dollar quote.
        CHECK(split_statements("SELECT $1; SELECT a$b$; SELECT 3") ==
              Strings{"SELECT $1", "SELECT a$b$", "SELECT 3"});
    }
    SECTION("by the database's lexical rules") {
        // SQLite ends a comment at its first */, and knows neither E'' nor $$ quotes.
        CHECK(
            split_statements("/* under docs/*.md */ CREATE TABLE f (id INTEGER); SELECT 2", sqlite_lexicon) ==
            Strings{"/* under docs/*.md */ CREATE TABLE f (id INTEGER)", "SELECT 2"});
        CHECK(split_statements(R"(SELECT E'a\'; SELECT 2)", sqlite_lexicon) ==
              Strings{R"(SELECT E'a\')", "SELECT 2"});
        CHECK(split_statements("SELECT $a; SELECT 2", sqlite_lexicon) == Strings{"SELECT $a", "SELECT 2"});
    }
    SECTION("statements that hold statements") {
        // A SQLite trigger's body ends at "; END;", whatever CASE ... END it holds.
        const std::string trigger =
            "CREATE TEMP TRIGGER audit AFTER INSERT ON users BEGIN\n"
            "  INSERT INTO log VALUES (CASE WHEN NEW.id > 0 THEN 'up' ELSE 'down' END);\n"
            "  UPDATE counts SET n = n + 1; -- END; here is a comment\n"
            "END";
        CHECK(split_statements(trigger + ";\nSELECT 1;", sqlite_lexicon) == Strings{trigger, "SELECT 1"});
        CHECK(split_statements("create trigger t after delete on a begin delete from b; end; select 2",
                               sqlite_lexicon) ==
              Strings{"create trigger t after delete on a begin delete from b; end", "select 2"});
        // Other statements end at their first ';', "END" or not.
        CHECK(split_statements("CREATE TABLE trigger_log (x INTEGER); END; SELECT 3", sqlite_lexicon) ==
              Strings{"CREATE TABLE trigger_log (x INTEGER)", "END", "SELECT 3"});
        CHECK(split_statements("SELECT (1; SELECT 2)", sqlite_lexicon) == Strings{"SELECT (1", "SELECT 2)"});

        // PostgreSQL: a BEGIN ATOMIC body, and parentheses, as psql reads them.
        const std::string atomic =
            "CREATE OR REPLACE FUNCTION bump(x int) RETURNS int LANGUAGE sql BEGIN ATOMIC\n"
            "  UPDATE counts SET n = n + x;\n"
            "  SELECT CASE WHEN x > 0 THEN 1 ELSE 0 END;\n"
            "END";
        CHECK(split_statements(atomic + "; SELECT 4;") == Strings{atomic, "SELECT 4"});
        const std::string procedure = "CREATE PROCEDURE p() BEGIN ATOMIC INSERT INTO t VALUES (1); END";
        CHECK(split_statements(procedure + "; CALL p()") == Strings{procedure, "CALL p()"});
        const std::string rule =
            "CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); INSERT INTO b VALUES (2))";
        CHECK(split_statements(rule + "; SELECT 5") == Strings{rule, "SELECT 5"});
        // BEGIN outside a routine's body is a statement of its own.
        CHECK(split_statements("BEGIN; SELECT 6; END;") == Strings{"BEGIN", "SELECT 6", "END"});
        CHECK(split_statements("SELECT 'begin'; CREATE VIEW v AS SELECT 1 AS \"begin\"; SELECT 7") ==
              Strings{"SELECT 'begin'", "CREATE VIEW v AS SELECT 1 AS \"begin\"", "SELECT 7"});
    }
    SECTION("a string or comment never closed would swallow what follows: refused") {
        CHECK_THROWS_MATCHES(
            split_statements("CREATE TABLE a (id INTEGER);\n/* b is needed\nCREATE TABLE b (x INT);"),
            sa::MigrationError, MessageContains("a comment ('/*') that begins \"/* b is needed"));
        CHECK_THROWS_MATCHES(split_statements("/* under docs/*.md */ CREATE TABLE f (id INTEGER)"),
                             sa::MigrationError, MessageContains("is never closed"));
        CHECK_THROWS_MATCHES(split_statements("INSERT INTO t VALUES ('it's'); SELECT 1"), sa::MigrationError,
                             MessageContains("a string (') that begins"));
        CHECK_THROWS_MATCHES(split_statements("SELECT \"odd"), sa::MigrationError,
                             MessageContains("a quoted name"));
        CHECK_THROWS_MATCHES(split_statements("DO $$ BEGIN"), sa::MigrationError,
                             MessageContains("a dollar quote"));
    }
}

TEST_CASE("load_revisions orders the chain base first", "[revision]") {
    TempDir dir;
    write_file(dir.path(), "ccc", "bbb");
    write_file(dir.path(), "aaa", "none");
    write_file(dir.path(), "bbb", "aaa");
    CHECK(ids(migrate::load_revisions(dir.path())) == Strings{"aaa", "bbb", "ccc"});
}

TEST_CASE("load_revisions names the files of a broken chain", "[revision]") {
    TempDir dir;
    const auto& d = dir.path();

    SECTION("missing parent") {
        write_file(d, "aaa", "none");
        const auto orphan = write_file(d, "bbb", "fff");
        REQUIRE_THROWS_MATCHES(migrate::load_revisions(d), sa::MigrationError,
                               MessageContains(orphan.string() + " names down_revision fff"));
    }
    SECTION("two heads") {
        write_file(d, "aaa", "none");
        const auto one = write_file(d, "bbb", "aaa");
        const auto other = write_file(d, "ccc", "aaa");
        REQUIRE_THROWS_MATCHES(
            migrate::load_revisions(d), sa::MigrationError,
            MessageContains("2 heads: bbb (" + one.string() + ") and ccc (" + other.string() + ")"));
    }
    SECTION("two bases") {
        const auto one = write_file(d, "aaa", "none");
        const auto other = write_file(d, "bbb", "none");
        REQUIRE_THROWS_MATCHES(
            migrate::load_revisions(d), sa::MigrationError,
            MessageContains("aaa (" + one.string() + ") and bbb (" + other.string() + ")"));
    }
    SECTION("a cycle") {
        write_file(d, "aaa", "none");
        write_file(d, "bbb", "aaa");
        const auto x = write_file(d, "xxx", "yyy");
        const auto y = write_file(d, "yyy", "xxx");
        REQUIRE_THROWS_MATCHES(
            migrate::load_revisions(d), sa::MigrationError,
            MessageContains("xxx (" + x.string() + ") and yyy (" + y.string() + ") form a cycle"));
    }
    SECTION("a revision that is its own parent") {
        const auto self = write_file(d, "aaa", "aaa");
        REQUIRE_THROWS_MATCHES(migrate::load_revisions(d), sa::MigrationError,
                               MessageContains("aaa (" + self.string() + ") form a cycle"));
    }
    SECTION("duplicate id") {
        const auto first = write_file(d, "aaa", "none");
        write(d / "zzz_copy.sql", read(first));
        REQUIRE_THROWS_MATCHES(migrate::load_revisions(d), sa::MigrationError,
                               MessageContains("two files have revision id aaa: " + first.string() + " and " +
                                               (d / "zzz_copy.sql").string()));
    }
}

TEST_CASE("load_revisions names the file and line of a malformed header", "[revision]") {
    TempDir dir;
    const auto file = dir.path() / "bad.sql";
    const auto expect = [&](const std::string& text, int line, const std::string& problem) {
        write(file, text);
        REQUIRE_THROWS_MATCHES(migrate::load_revisions(dir.path()), sa::MigrationError,
                               MessageContains(file.string() + ":" + std::to_string(line) + ": " + problem));
    };
    const std::string sections = "-- upgrade\n-- downgrade\n";
    expect("CREATE TABLE t (id INTEGER);\n", 1, "expected '-- alchemy revision'");
    expect("-- alchemy revision\n-- revision: abc\n-- down_revision: none\nSELECT 1;\n" + sections, 4,
           "SQL before the '-- upgrade' line");
    expect("-- alchemy revision\n-- revision abc\n" + sections, 2, "expected '-- field: value'");
    expect("-- alchemy revision\n-- revision: not-an-id\n" + sections, 2, "'not-an-id' is not a revision id");
    expect("-- alchemy revision\n-- revision: head\n" + sections, 2, "'head' is not a revision id");
    expect("-- alchemy revision\n-- revision: abc\n-- down_revision: none\n-- colour: red\n" + sections, 4,
           "unknown header field 'colour'");
    expect("-- alchemy revision\n-- revision: abc\n-- revision: def\n" + sections, 3,
           "the header names 'revision' twice");
    expect("-- alchemy revision\n-- down_revision: none\n" + sections, 3,
           "the header has no '-- revision: <id>' line");
    expect("-- alchemy revision\n-- revision: abc\n" + sections, 3,
           "the header has no '-- down_revision: <id>|none' line");
    expect("-- alchemy revision\n-- revision: abc\n-- down_revision: none\n", 3, "no '-- upgrade' line");
    expect("-- alchemy revision\n-- revision: abc\n-- down_revision: none\n-- upgrade\nSELECT 1;\n", 5,
           "no '-- downgrade' line");
}

TEST_CASE("plan finds the steps between two revisions", "[revision]") {
    TempDir dir;
    write_file(dir.path(), "aaa111", "none");
    write_file(dir.path(), "bbb222", "aaa111");
    write_file(dir.path(), "ccc333", "bbb222");
    const auto chain = migrate::load_revisions(dir.path());
    using migrate::Direction;
    const auto path = [](const std::vector<migrate::Step>& steps) {
        Strings result;
        for (const auto& s : steps) result.push_back(s.from.value_or("base") + ">" + s.to.value_or("base"));
        return result;
    };

    CHECK(path(migrate::plan(chain, std::nullopt, Direction::upgrade, "head")) ==
          Strings{"base>aaa111", "aaa111>bbb222", "bbb222>ccc333"});
    CHECK(path(migrate::plan(chain, "aaa111", Direction::upgrade, "+1")) == Strings{"aaa111>bbb222"});
    CHECK(path(migrate::plan(chain, "aaa111", Direction::upgrade, "ccc")) ==
          Strings{"aaa111>bbb222", "bbb222>ccc333"});
    CHECK(migrate::plan(chain, "ccc333", Direction::upgrade, "head").empty());
    CHECK(path(migrate::plan(chain, "ccc333", Direction::downgrade, "-1")) == Strings{"ccc333>bbb222"});
    CHECK(path(migrate::plan(chain, "ccc333", Direction::downgrade, "aaa111")) ==
          Strings{"ccc333>bbb222", "bbb222>aaa111"});
    CHECK(path(migrate::plan(chain, "bbb222", Direction::downgrade, "base")) ==
          Strings{"bbb222>aaa111", "aaa111>base"});
    const auto step = migrate::plan(chain, "bbb222", Direction::downgrade, "-1").front();
    CHECK(step.revision.id == "bbb222");
    CHECK(step.direction == Direction::downgrade);

    REQUIRE_THROWS_MATCHES(migrate::plan(chain, std::nullopt, Direction::upgrade, "zzz"), sa::MigrationError,
                           MessageContains("there is no revision 'zzz'"));
    REQUIRE_THROWS_MATCHES(migrate::plan(chain, "ccc333", Direction::upgrade, "aaa111"), sa::MigrationError,
                           MessageContains("cannot upgrade to aaa111"));
    REQUIRE_THROWS_MATCHES(migrate::plan(chain, "aaa111", Direction::downgrade, "ccc333"), sa::MigrationError,
                           MessageContains("cannot downgrade to ccc333"));
    REQUIRE_THROWS_MATCHES(migrate::plan(chain, "bbb222", Direction::upgrade, "+2"), sa::MigrationError,
                           MessageContains("cannot upgrade +2"));
    REQUIRE_THROWS_MATCHES(migrate::plan(chain, "aaa111", Direction::downgrade, "-2"), sa::MigrationError,
                           MessageContains("cannot downgrade -2"));
    REQUIRE_THROWS_MATCHES(migrate::plan(chain, "aaa111", Direction::upgrade, "-1"), sa::MigrationError,
                           MessageContains("upgrade takes head, +N or a revision"));
    REQUIRE_THROWS_MATCHES(migrate::plan(chain, "aaa111", Direction::upgrade, "+x"), sa::MigrationError,
                           MessageContains("'+x' is not a relative revision"));
    REQUIRE_THROWS_MATCHES(migrate::plan(chain, "ddd444", Direction::upgrade, "head"), sa::MigrationError,
                           MessageContains("the database is at revision ddd444, which no file"));

    write_file(dir.path(), "ccc999", "ccc333");
    const auto longer = migrate::load_revisions(dir.path());
    REQUIRE_THROWS_MATCHES(migrate::resolve_revision(longer, "ccc"), sa::MigrationError,
                           MessageContains("'ccc' is ambiguous: it begins revisions ccc333, ccc999"));
}

TEST_CASE("render_script shows what a plan would run", "[revision]") {
    TempDir dir;
    write_file(dir.path(), "aaa111", "none", "CREATE TABLE t (id INTEGER);", "DROP TABLE t;");
    write_file(dir.path(), "bbb222", "aaa111", "ALTER TABLE t ADD COLUMN x INTEGER; -- why\n",
               "ALTER TABLE t DROP COLUMN x;");
    const auto chain = migrate::load_revisions(dir.path());
    const auto& postgresql = sa::driver_for(sa::make_url("postgresql://localhost/x")).dialect();
    const auto& sqlite = sa::driver_for(sa::make_url("sqlite://")).dialect();

    const auto up = migrate::plan(chain, std::nullopt, migrate::Direction::upgrade, "head");
    CHECK(migrate::render_script(postgresql, up) ==
          "CREATE TABLE IF NOT EXISTS alchemy_version (version_num VARCHAR(32) NOT NULL, "
          "CONSTRAINT alchemy_version_pkc PRIMARY KEY (version_num));\n\n"
          "-- Running upgrade <base> -> aaa111, revision aaa111\n"
          "BEGIN;\n"
          "CREATE TABLE t (id INTEGER);\n"
          "INSERT INTO alchemy_version (version_num) VALUES ('aaa111');\n"
          "COMMIT;\n\n"
          "-- Running upgrade aaa111 -> bbb222, revision bbb222\n"
          "BEGIN;\n"
          "ALTER TABLE t ADD COLUMN x INTEGER;\n"
          "UPDATE alchemy_version SET version_num = 'bbb222' WHERE alchemy_version.version_num = "
          "'aaa111';\n"
          "COMMIT;\n\n");
    const auto down = migrate::plan(chain, "aaa111", migrate::Direction::downgrade, "base");
    CHECK(migrate::render_script(sqlite, down) ==
          "-- Running downgrade aaa111 -> <base>, revision aaa111\n"
          "PRAGMA foreign_keys = OFF;\n"
          "BEGIN;\n"
          "DROP TABLE t;\n"
          "PRAGMA foreign_key_check;\n"
          "CREATE TEMP TABLE alchemy_foreign_key_check (broken_rows INTEGER CONSTRAINT \"no row may break "
          "a foreign key: PRAGMA foreign_key_check lists them\" CHECK (broken_rows = 0));\n"
          "INSERT INTO temp.alchemy_foreign_key_check SELECT count(*) FROM pragma_foreign_key_check;\n"
          "DROP TABLE temp.alchemy_foreign_key_check;\n"
          "DELETE FROM alchemy_version WHERE alchemy_version.version_num = 'aaa111';\n"
          "COMMIT;\n"
          "PRAGMA foreign_keys = ON;\n\n");
    CHECK(migrate::render_script(sqlite, {}).empty());
}
