// Values and URL parts reach error messages and the echo log with their control
// characters escaped (\x0A, \x1B): a line break or escape sequence inside a value can
// neither forge a log line nor drive a terminal.
#include "support/backends.hpp"

#include <fmt/format.h>
#include <catch2/catch.hpp>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace sa = alchemy;
using Catch::Matchers::Contains;
using Catch::Matchers::VectorContains;
using sa::test::backends;

namespace {

// A line break, then a terminal escape sequence that would turn the rest red.
const std::string hostile = "a\nb\x1b[31m";
constexpr std::string_view hostile_shown = "a\\x0Ab\\x1B[31m";

bool has_control_character(std::string_view text) {
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte == 0x7F) return true;
    }
    return false;
}

/// what() without the line breaks alchemy itself puts between the parts of a message
/// (DETAIL, HINT, SQL).
std::string without_structural_breaks(std::string text) {
    for (const std::string_view marker : {"\nDETAIL: ", "\nHINT: ", "\n[SQL: "})
        for (auto at = text.find(marker); at != std::string::npos; at = text.find(marker, at)) text[at] = ' ';
    return text;
}

void create_names(sa::Engine& engine) {
    auto conn = engine.connect();
    conn.execute(sa::text("CREATE TABLE names (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)"));
    conn.execute(sa::text("INSERT INTO names (id, name) VALUES (1, :name)").bind("name", hostile));
    conn.commit();
}

template <class Expected, class Run>
Expected expect_error(Run&& run) {
    try {
        run();
    } catch (const Expected& e) {
        return e;
    } catch (const std::exception& e) {
        FAIL("expected another exception class, got: " << e.what());
    }
    FAIL("no exception");
    throw std::logic_error("unreachable");
}

}  // namespace

TEST_CASE("a duplicate key holding control characters shows them escaped in the error") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    create_names(engine);
    auto conn = engine.connect();
    const auto error = expect_error<sa::UniqueViolation>([&] {
        conn.execute(sa::text("INSERT INTO names (id, name) VALUES (2, :name)").bind("name", hostile));
    });
    CHECK_FALSE(has_control_character(without_structural_breaks(error.what())));
    // Only PostgreSQL quotes the key; SQLite names the column alone.
    if (backend.is_postgresql()) {
        const auto detail = fmt::format("\nDETAIL: Key (name)=({}) already exists.", hostile_shown);
        CHECK_THAT(error.message(), Contains(detail));
    }
}

TEST_CASE("an unreadable text value is quoted in the error with control characters escaped") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    create_names(engine);
    auto conn = engine.connect();
    const auto error = expect_error<sa::DataError>(
        [&] { conn.execute(sa::text("SELECT name FROM names").columns<std::int64_t>()).scalar_one(); });
    CHECK_FALSE(has_control_character(without_structural_breaks(error.what())));
    CHECK_THAT(error.message(), Contains(std::string(hostile_shown)));
}

TEST_CASE("a database message quoting a bound value shows its control characters escaped") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    auto conn = engine.connect();
    // PostgreSQL quotes the text it could not cast; SQLite the file it could not attach.
    const auto sql =
        backend.is_postgresql() ? "SELECT CAST(:value AS integer)" : "ATTACH DATABASE :value AS other";
    const auto value = "/nonexistent-dir/" + hostile;
    const auto error =
        expect_error<sa::DatabaseError>([&] { conn.execute(sa::text(sql).bind("value", value)); });
    CHECK_FALSE(has_control_character(without_structural_breaks(error.what())));
    CHECK_THAT(error.message(), Contains(fmt::format("/nonexistent-dir/{}", hostile_shown)));
}

TEST_CASE("the SQL in an error keeps its line breaks and escapes other control characters") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    auto conn = engine.connect();
    const auto error = expect_error<sa::ProgrammingError>(
        [&] { conn.execute(sa::text("SELECT name\n\tFROM no_such_table\r\nWHERE name = 'a\x1b[31m'")); });
    CHECK_THAT(error.what(),
               Contains("\n[SQL: SELECT name\n\tFROM no_such_table\r\nWHERE name = 'a\\x1B[31m']"));
}

TEST_CASE("the echo log shows control characters in bound values escaped") {
    auto backend = GENERATE(from_range(backends()));
    sa::test::EchoCapture capture;
    auto engine = backend.engine({.echo = true, .echo_sink = capture.sink()});
    create_names(engine);
    capture.lines.clear();
    auto conn = engine.connect();
    const std::string sql = "INSERT INTO names (id, name) VALUES (:id, :name)";
    conn.execute(sa::text(sql).bind("id", 2).bind("name", hostile + "2"));
    // The cut at 100 characters counts the value's own characters.
    const auto long_value = std::string(99, 'x') + "\x1b" + "tail";
    conn.execute(sa::text(sql).bind("id", 3).bind("name", long_value));
    std::string batch_sql = "INSERT INTO names (id, name) VALUES (";
    conn.dialect().append_placeholder(batch_sql, 1);
    batch_sql += ", ";
    conn.dialect().append_placeholder(batch_sql, 2);
    batch_sql += ')';
    // Params view their text: the strings must outlive the batch.
    const std::string fourth = hostile + "4", fifth = hostile + "5";
    const std::vector params{sa::Param::of_int(4), sa::Param::of_text(fourth), sa::Param::of_int(5),
                             sa::Param::of_text(fifth)};
    conn.execute_batch(batch_sql, params, 2);
    conn.commit();

    for (const auto& line : capture.lines) {
        INFO(line);
        CHECK_FALSE(has_control_character(line));
    }
    CHECK_THAT(capture.lines, VectorContains(fmt::format("[parameters: (2, '{}2')]", hostile_shown)));
    CHECK_THAT(capture.lines, VectorContains(fmt::format("[parameters: (3, '{}\\x1B'... (104 characters))]",
                                                         std::string(99, 'x'))));
    CHECK_THAT(capture.lines, VectorContains(fmt::format("[2 rows; first: (4, '{}4')]", hostile_shown)));
}

TEST_CASE("a connection failure shows the URL parts the driver quotes with controls escaped") {
    auto backend = GENERATE(from_range(backends()));
    auto url = sa::make_url(backend.url);
    // PostgreSQL reports the role it does not know, SQLite the file it cannot open.
    if (backend.is_postgresql()) url.username = "no-such-role-" + hostile;
    else url.database = "/nonexistent-dir/" + hostile + "/x.db";
    auto engine = sa::create_engine(url);
    const auto error = expect_error<sa::OperationalError>([&] { engine.connect(); });
    CHECK_FALSE(has_control_character(error.what()));
    CHECK_THAT(error.what(), Contains(std::string(hostile_shown)));
}

TEST_CASE("a bad SQLite option value from the URL is quoted with its control characters escaped") {
    auto engine = sa::create_engine(sa::test::sqlite_temp_url() + "?timeout=1%0A%1B[31m");
    const auto error = expect_error<sa::ArgumentError>([&] { engine.connect(); });
    CHECK(std::string_view(error.what()) ==
          "alchemy: SQLite option timeout='1\\x0A\\x1B[31m' is invalid; expected a number of "
          "seconds such as 5 or 0.5");
}
