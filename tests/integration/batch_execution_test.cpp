// Bulk execution on both backends: Connection::execute_batch (one statement, many rows;
// pipelined on PostgreSQL), Connection::copy_rows (binary COPY on PostgreSQL, a prepared
// INSERT per row on SQLite) and sa::bulk_insert (COPY on PostgreSQL, multi-row INSERTs on
// SQLite), with multi-row statements split by the batching rule (sql/rows_per_statement.hpp).
#include "support/backends.hpp"
#include "support/matchers.hpp"

#include <boost/pfr/core.hpp>
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <vector>

namespace sa = alchemy;
using sa::test::backends;

namespace bulk {

struct Record {
    std::int64_t id = 0;
    std::string name{};
    std::optional<std::string> note{};
    std::vector<std::byte> payload{};
    std::chrono::sys_time<std::chrono::microseconds> at{};
    std::optional<std::chrono::sys_time<std::chrono::microseconds>> seen_at{};
    std::optional<std::int32_t> score{};
    double ratio = 0;
    bool flag = false;

    friend bool operator==(const Record&, const Record&) = default;
};

/// 70 columns: wider than a full batch of SQLite's and PostgreSQL's parameter limits.
struct Wide {
    std::int64_t id = 0;
    std::int64_t c01 = 0, c02 = 0, c03 = 0, c04 = 0, c05 = 0, c06 = 0, c07 = 0, c08 = 0, c09 = 0;
    std::int64_t c10 = 0, c11 = 0, c12 = 0, c13 = 0, c14 = 0, c15 = 0, c16 = 0, c17 = 0, c18 = 0, c19 = 0;
    std::int64_t c20 = 0, c21 = 0, c22 = 0, c23 = 0, c24 = 0, c25 = 0, c26 = 0, c27 = 0, c28 = 0, c29 = 0;
    std::int64_t c30 = 0, c31 = 0, c32 = 0, c33 = 0, c34 = 0, c35 = 0, c36 = 0, c37 = 0, c38 = 0, c39 = 0;
    std::int64_t c40 = 0, c41 = 0, c42 = 0, c43 = 0, c44 = 0, c45 = 0, c46 = 0, c47 = 0, c48 = 0, c49 = 0;
    std::int64_t c50 = 0, c51 = 0, c52 = 0, c53 = 0, c54 = 0, c55 = 0, c56 = 0, c57 = 0, c58 = 0, c59 = 0;
    std::int64_t c60 = 0, c61 = 0, c62 = 0, c63 = 0, c64 = 0, c65 = 0, c66 = 0, c67 = 0, c68 = 0;
    std::string last{};

    friend bool operator==(const Wide&, const Wide&) = default;
};

}  // namespace bulk

template <>
inline constexpr auto sa::mapping<bulk::Record> = sa::table("records");
template <>
inline constexpr auto sa::mapping<bulk::Wide> = sa::table("wide");

namespace {

/// "$1, $2" or "?, ?": placeholders numbered from `first`.
std::string placeholders(const sa::Connection& conn, int first, int count) {
    std::string out;
    for (int i = 0; i < count; ++i) {
        if (i) out += ", ";
        conn.dialect().append_placeholder(out, first + i);
    }
    return out;
}

std::string placeholder(const sa::Connection& conn, int index) { return placeholders(conn, index, 1); }

std::int64_t scalar_int(sa::Connection& conn, std::string_view sql) {
    auto& cursor = conn.driver_connection().execute(sql, {});
    REQUIRE(cursor.next());
    const auto value = cursor.is_null(0) ? -1 : cursor.read_int(0);
    cursor.close();
    return value;
}

void create_items(sa::Engine& engine) {
    auto conn = engine.connect();
    conn.execute_script("CREATE TABLE items (id BIGINT PRIMARY KEY, qty BIGINT, name TEXT)");
    conn.commit();
}

/// Checks the current row's column against the value that was loaded into it.
void check_column(const sa::Cursor& cursor, int column, const sa::Param& expected) {
    INFO("column " << cursor.column_name(column));
    if (expected.type == sa::ParamType::null) {
        CHECK(cursor.is_null(column));
        return;
    }
    REQUIRE_FALSE(cursor.is_null(column));
    switch (expected.type) {
    case sa::ParamType::null: break;
    case sa::ParamType::boolean: CHECK(cursor.read_bool(column) == expected.boolean); break;
    case sa::ParamType::integer: CHECK(cursor.read_int(column) == expected.integer); break;
    case sa::ParamType::real: CHECK(cursor.read_real(column) == expected.real); break;
    case sa::ParamType::text: CHECK(cursor.read_text(column) == expected.bytes); break;
    case sa::ParamType::blob: {
        const auto blob = cursor.read_blob(column);
        CHECK(std::string_view(reinterpret_cast<const char*>(blob.data()), blob.size()) == expected.bytes);
        break;
    }
    case sa::ParamType::timestamp: CHECK(cursor.read_timestamp(column) == expected.integer); break;
    case sa::ParamType::date: CHECK(cursor.read_date(column) == expected.integer); break;
    }
}

/// The backends that are PostgreSQL (none without a server, after backends()' warning).
std::vector<sa::test::Backend> postgresql_backends() {
    auto all = backends();
    std::erase_if(all, [](const auto& b) { return !b.is_postgresql(); });
    return all;
}

}  // namespace

TEST_CASE("execute_batch inserts, updates and deletes many rows, counting each row") {
    // PostgreSQL pipelines named prepared statements, or unnamed ones behind PgBouncer.
    const bool prepared = GENERATE(true, false);
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine({.prepare_threshold = prepared ? std::optional<int>(0) : std::nullopt});
    create_items(engine);
    auto conn = engine.connect();
    constexpr std::int64_t rows = 1000;

    // INSERT: names are stored by the batch and must survive until the call returns.
    std::vector<std::string> names;
    for (std::int64_t i = 0; i < rows; ++i) names.push_back("item " + std::to_string(i));
    std::vector<sa::Param> params;
    for (std::int64_t i = 0; i < rows; ++i) {
        params.push_back(sa::Param::of_int(i + 1));
        // NULL, int4 and int8 quantities mixed: PostgreSQL re-prepares mid-batch.
        if (i % 10 == 0) params.push_back(sa::Param::null());
        else if (i >= 600 && i < 610) params.push_back(sa::Param::of_int(5'000'000'000 + i));
        else params.push_back(sa::Param::of_int(i));
        params.push_back(sa::Param::of_text(names[static_cast<std::size_t>(i)]));
    }
    const auto inserted = conn.execute_batch(
        "INSERT INTO items (id, qty, name) VALUES (" + placeholders(conn, 1, 3) + ")", params, 3);
    REQUIRE(inserted.size() == rows);
    CHECK(std::all_of(inserted.begin(), inserted.end(), [](auto n) { return n == 1; }));
    CHECK(scalar_int(conn, "SELECT count(*) FROM items") == rows);
    CHECK(scalar_int(conn, "SELECT count(*) FROM items WHERE qty IS NULL") == rows / 10);
    CHECK(scalar_int(conn, "SELECT qty FROM items WHERE id = 606") == 5'000'000'605);
    CHECK(scalar_int(conn, "SELECT qty FROM items WHERE id = 612") == 611);

    // UPDATE: every other key does not exist, so counts alternate 1 and 0.
    params.clear();
    for (std::int64_t i = 0; i < rows; ++i) {
        params.push_back(sa::Param::of_int(-i));
        params.push_back(sa::Param::of_int(i % 2 ? i + 1 : i + 100'000));
    }
    const auto updated = conn.execute_batch(
        "UPDATE items SET qty = " + placeholder(conn, 1) + " WHERE id = " + placeholder(conn, 2), params, 2);
    REQUIRE(updated.size() == rows);
    for (std::size_t i = 0; i < updated.size(); ++i) {
        INFO("row " << i);
        CHECK(updated[i] == (i % 2 ? 1 : 0));
    }
    CHECK(scalar_int(conn, "SELECT count(*) FROM items WHERE qty <= 0") == rows / 2);
    CHECK(scalar_int(conn, "SELECT qty FROM items WHERE id = 4") == -3);

    // DELETE: a condition matching several rows counts them all.
    params.clear();
    for (std::int64_t low : {0, 100, 5000}) {
        params.push_back(sa::Param::of_int(low));
        params.push_back(sa::Param::of_int(low + 10));
    }
    // The counts go into the caller's buffer this time.
    std::array<std::int64_t, 3> deleted{-1, -1, -1};
    conn.execute_batch(
        "DELETE FROM items WHERE id > " + placeholder(conn, 1) + " AND id <= " + placeholder(conn, 2), params,
        2, deleted);
    CHECK(deleted == std::array<std::int64_t, 3>{10, 10, 0});
    CHECK(scalar_int(conn, "SELECT count(*) FROM items") == rows - 20);

    // RETURNING rows are discarded; the counts remain.
    params = {sa::Param::of_int(2000), sa::Param::of_int(2001)};
    const auto returned = conn.execute_batch(
        "INSERT INTO items (id) VALUES (" + placeholder(conn, 1) + ") RETURNING id", params, 1);
    CHECK(returned == std::vector<std::int64_t>{1, 1});
    conn.commit();
    CHECK(scalar_int(conn, "SELECT count(*) FROM items") == rows - 18);
}

TEST_CASE("a failing row in a batch throws its error and the connection works after rollback") {
    // In the first pipelined chunk, and in a later one. Generated first, so that each
    // value gets fresh databases from backends().
    const auto failing_row = GENERATE(as<std::size_t>{}, 10, 700);
    const bool prepared = GENERATE(true, false);
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine({.prepare_threshold = prepared ? std::optional<int>(0) : std::nullopt});
    create_items(engine);
    auto conn = engine.connect();
    std::vector<sa::Param> params;
    for (std::size_t i = 0; i < 1000; ++i)
        params.push_back(sa::Param::of_int(i == failing_row ? 3 : static_cast<std::int64_t>(i)));
    const auto sql = "INSERT INTO items (id) VALUES (" + placeholder(conn, 1) + ")";
    bool threw = false;
    try {
        conn.execute_batch(sql, params, 1);
    } catch (const sa::UniqueViolation& e) {
        threw = true;
        CHECK(e.sql() == sql);
    }
    CHECK(threw);
    conn.rollback();
    CHECK(scalar_int(conn, "SELECT count(*) FROM items") == 0);
    // The statement stays usable: the same batch without the duplicate succeeds.
    params[failing_row] = sa::Param::of_int(5000);
    CHECK(conn.execute_batch(sql, params, 1).size() == 1000);
    conn.commit();
    CHECK(scalar_int(conn, "SELECT count(*) FROM items") == 1000);
}

TEST_CASE("a value the driver refuses mid-batch leaves the connection usable") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    create_items(engine);
    auto conn = engine.connect();
    std::vector<std::string> names(800, "fine");
    names[650] = std::string("nul\0inside", 10);
    std::vector<sa::Param> params;
    for (std::size_t i = 0; i < names.size(); ++i) {
        params.push_back(sa::Param::of_int(static_cast<std::int64_t>(i)));
        params.push_back(sa::Param::of_text(names[i]));
    }
    const auto sql = "INSERT INTO items (id, name) VALUES (" + placeholders(conn, 1, 2) + ")";
    if (backend.is_postgresql()) {
        // PostgreSQL text cannot hold NUL: refused before sending, in the second chunk.
        REQUIRE_THROWS_AS(conn.execute_batch(sql, params, 2), sa::DataError);
        conn.rollback();
        CHECK(scalar_int(conn, "SELECT count(*) FROM items") == 0);
    } else {
        CHECK(conn.execute_batch(sql, params, 2).size() == names.size());
        conn.rollback();
    }
}

TEST_CASE("execute_batch and copy_rows echo the SQL once, never every row") {
    auto backend = GENERATE(from_range(backends()));
    sa::test::EchoCapture capture;
    auto engine = backend.engine({.echo = true, .echo_sink = capture.sink()});
    create_items(engine);
    capture.lines.clear();
    auto conn = engine.connect();
    const std::array params{sa::Param::of_int(1),    sa::Param::of_text("a"), sa::Param::of_int(2),
                            sa::Param::of_text("b"), sa::Param::of_int(3),    sa::Param::of_text("c")};
    const auto sql = "INSERT INTO items (id, name) VALUES (" + placeholders(conn, 1, 2) + ")";
    conn.execute_batch(sql, params, 2);
    const std::array<std::string_view, 2> columns{"id", "name"};
    const std::array more{sa::Param::of_int(4), sa::Param::of_text("d")};
    CHECK(conn.copy_rows("items", columns, more) == 1);
    conn.commit();
    CHECK(capture.lines == std::vector<std::string>{
                               "BEGIN (implicit)",
                               sql,
                               "[3 rows; first: (1, 'a')]",
                               R"(COPY "items" ("id", "name") FROM STDIN)",
                               "[1 row]",
                               "COMMIT",
                           });
}

TEST_CASE("batches whose parameters are not whole rows are refused before anything runs") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    create_items(engine);
    auto conn = engine.connect();
    const std::array five{sa::Param::of_int(1), sa::Param::of_int(2), sa::Param::of_int(3),
                          sa::Param::of_int(4), sa::Param::of_int(5)};
    const auto sql = "UPDATE items SET qty = " + placeholder(conn, 1) + " WHERE id = " + placeholder(conn, 2);
    REQUIRE_THROWS_MATCHES(conn.execute_batch(sql, five, 2), sa::ArgumentError,
                           sa::test::MessageContains("not a whole number of rows of 2"));
    REQUIRE_THROWS_AS(conn.execute_batch(sql, five, 0), sa::ArgumentError);
    const std::array<std::string_view, 2> columns{"id", "qty"};
    REQUIRE_THROWS_AS(conn.copy_rows("items", columns, five), sa::ArgumentError);
    REQUIRE_THROWS_AS(conn.copy_rows("items", {}, five), sa::ArgumentError);
    // A buffer for the counts must have room for one per row, no more, no less.
    std::array<std::int64_t, 1> counts{};
    std::array<std::int64_t, 3> too_many{};
    REQUIRE_THROWS_MATCHES(conn.execute_batch(sql, std::span(five).first(4), 2, counts), sa::ArgumentError,
                           sa::test::MessageContains("room for 1 rows-affected counts"));
    REQUIRE_THROWS_AS(conn.execute_batch(sql, std::span(five).first(4), 2, too_many), sa::ArgumentError);
    CHECK_FALSE(conn.in_transaction());

    // The driver layer checks the same.
    REQUIRE_THROWS_AS(conn.driver_connection().execute_batch(sql, five, 2, counts), sa::ArgumentError);
    REQUIRE_THROWS_AS(conn.driver_connection().execute_batch(sql, std::span(five).first(4), 2, counts),
                      sa::ArgumentError);

    // Empty batches are fine and do nothing.
    CHECK(conn.execute_batch(sql, {}, 2).empty());
    CHECK(conn.copy_rows("items", columns, {}) == 0);
    CHECK(scalar_int(conn, "SELECT count(*) FROM items") == 0);
}

TEST_CASE("copy_rows loads every supported type, NULLs and extremes included") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    {
        auto conn = engine.connect();
        conn.execute_script(
            backend.is_postgresql()
                ? "CREATE TABLE samples (id BIGINT PRIMARY KEY, small SMALLINT, medium INTEGER, "
                  "big BIGINT, flag BOOLEAN, ratio DOUBLE PRECISION, single REAL, label TEXT, "
                  "code VARCHAR(40), payload BYTEA, happened TIMESTAMP WITH TIME ZONE, "
                  "wall TIMESTAMP, day DATE, amount NUMERIC)"
                : "CREATE TABLE samples (id INTEGER PRIMARY KEY, small INTEGER, medium INTEGER, "
                  "big INTEGER, flag BOOLEAN, ratio REAL, single REAL, label TEXT, "
                  "code VARCHAR(40), payload BLOB, happened DATETIME, wall DATETIME, day DATE, "
                  "amount TEXT)");
        conn.commit();
    }
    const std::array<std::string_view, 14> columns{"id",       "small",  "medium", "big",   "flag",
                                                   "ratio",    "single", "label",  "code",  "payload",
                                                   "happened", "wall",   "day",    "amount"};
    using limits16 = std::numeric_limits<std::int16_t>;
    using limits32 = std::numeric_limits<std::int32_t>;
    using limits64 = std::numeric_limits<std::int64_t>;
    const std::array<std::int64_t, 4> smalls{limits16::min(), limits16::max(), 0, -1};
    const std::array<std::int64_t, 4> mediums{limits32::min(), limits32::max(), 0, 7};
    const std::array<std::int64_t, 4> bigs{limits64::min(), limits64::max(), 0, -42};
    const std::array<double, 6> ratios{
        -1.7976931348623157e308, 2.2250738585072014e-308, 0.1, -0.0, 3.141592653589793, 1e300};
    // Values a float holds exactly, so reading them back as double compares equal.
    const std::array<double, 4> singles{1.5, -3.25, 3.4028234663852886e38, 1.1754943508222875e-38};
    const std::array<std::string, 5> labels{"", "plain", "ünïcödé ✓ 中文", "it's \"quoted\" \\ back\nslash",
                                            std::string(5000, 'x')};
    std::string big_blob(70'000, '\0');  // larger than one 64 KiB COPY chunk
    for (std::size_t i = 0; i < big_blob.size(); ++i) big_blob[i] = static_cast<char>(i * 7);
    const std::array<std::string, 4> blobs{std::string("\0\xff\0a", 4), "", big_blob, std::string(1, '\0')};
    // Microseconds from 1970: before it, at it, just before it, and the ends of 1-9999.
    const std::array<std::int64_t, 5> times{-2'208'988'800'000'000, 0, -1, -62'135'596'800'000'000,
                                            253'402'300'799'999'999};
    const std::array<std::int64_t, 4> days{-719'162, -1, 0, 2'932'896};
    const std::array<std::string, 5> amounts{"0", "-12.50", "123456789012345678901234567890.123456789",
                                             "0.0001", "99999999"};

    constexpr std::size_t rows = 1000;
    // Params view their text: the strings live here until the rows are compared.
    std::vector<std::string> codes(rows);
    std::vector<std::string> amount_digits(rows);
    for (std::size_t i = 0; i < rows; ++i) {
        if (i % 3) codes[i] = "code-" + std::to_string(i % 3);
        amount_digits[i] = std::to_string(i);
    }
    std::vector<sa::Param> params;
    params.reserve(rows * columns.size());
    const auto pick = [](const auto& values, std::size_t i) -> const auto& {
        return values[i % values.size()];
    };
    for (std::size_t i = 0; i < rows; ++i) {
        const bool nulls = i % 9 == 4;  // every column but the key NULL in these rows
        const auto value = [&](sa::Param p) { return nulls ? sa::Param::null() : p; };
        params.push_back(sa::Param::of_int(static_cast<std::int64_t>(i) + 1));
        params.push_back(value(sa::Param::of_int(pick(smalls, i))));
        params.push_back(value(sa::Param::of_int(pick(mediums, i))));
        params.push_back(value(sa::Param::of_int(pick(bigs, i))));
        params.push_back(value(sa::Param::of_bool(i % 2 == 0)));
        params.push_back(value(sa::Param::of_real(pick(ratios, i))));
        params.push_back(value(sa::Param::of_real(pick(singles, i))));
        params.push_back(value(sa::Param::of_text(pick(labels, i))));
        params.push_back(value(sa::Param::of_text(codes[i])));
        const auto& blob = pick(blobs, i);
        params.push_back(
            value(sa::Param::of_blob({reinterpret_cast<const std::byte*>(blob.data()), blob.size()})));
        params.push_back(value(sa::Param::of_timestamp(pick(times, i))));
        params.push_back(value(sa::Param::of_timestamp(pick(times, i + 1))));
        params.push_back(value(sa::Param::of_date(pick(days, i))));
        params.push_back(value(i % 4 == 1 ? sa::Param::of_int(static_cast<std::int64_t>(i))
                                          : sa::Param::of_text(pick(amounts, i))));
    }

    auto conn = engine.connect();
    CHECK(conn.copy_rows("samples", columns, params) == static_cast<std::int64_t>(rows));
    conn.commit();

    std::string select = "SELECT ";
    for (std::size_t c = 0; c < columns.size(); ++c) select += (c ? ", " : "") + std::string(columns[c]);
    select += " FROM samples ORDER BY id";
    auto& cursor = conn.driver_connection().execute(select, {});
    std::size_t row = 0;
    while (cursor.next()) {
        INFO("row " << row);
        REQUIRE(row < rows);
        for (std::size_t c = 0; c < columns.size(); ++c) {
            auto expected = params[row * columns.size() + c];
            // A numeric loaded from an integer reads back as its digits.
            if (c == 13 && expected.type == sa::ParamType::integer)
                expected = sa::Param::of_text(amount_digits[row]);
            check_column(cursor, static_cast<int>(c), expected);
        }
        ++row;
    }
    cursor.close();
    CHECK(row == rows);
}

TEST_CASE("copy_rows with a duplicate key throws UniqueViolation and leaves the table as before") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    create_items(engine);
    auto conn = engine.connect();
    const std::array<std::string_view, 2> columns{"id", "name"};
    const std::array existing{sa::Param::of_int(5), sa::Param::of_text("original")};
    conn.copy_rows("items", columns, existing);
    conn.commit();

    std::vector<sa::Param> params;
    for (std::int64_t i = 1; i <= 100; ++i) {
        params.push_back(sa::Param::of_int(i));
        params.push_back(sa::Param::of_text("new"));
    }
    REQUIRE_THROWS_AS(conn.copy_rows("items", columns, params), sa::UniqueViolation);
    conn.rollback();
    CHECK(scalar_int(conn, "SELECT count(*) FROM items") == 1);
    auto& cursor = conn.driver_connection().execute("SELECT name FROM items WHERE id = 5", {});
    REQUIRE(cursor.next());
    CHECK(cursor.read_text(0) == "original");
    cursor.close();

    // The connection loads again once the transaction is rolled back.
    params.erase(params.begin() + 8, params.begin() + 10);  // drop id 5
    CHECK(conn.copy_rows("items", columns, params) == 99);
    conn.commit();
    CHECK(scalar_int(conn, "SELECT count(*) FROM items") == 100);
}

TEST_CASE("copy_rows on PostgreSQL encodes uuid, jsonb and numeric, and names refused values") {
    for (const auto& backend : postgresql_backends()) {
        auto engine = backend.engine();
        auto conn = engine.connect();
        conn.execute_script(
            "CREATE TABLE extras (id INTEGER PRIMARY KEY, uid UUID, doc JSONB, "
            "amount NUMERIC(20, 4), at TIMESTAMP WITH TIME ZONE, tiny SMALLINT)");
        conn.commit();
        const std::array<std::string_view, 6> columns{"id", "uid", "doc", "amount", "at", "tiny"};
        const std::array<std::byte, 16> raw_uuid{std::byte{0x12}, std::byte{0x34}};
        const std::array params{
            sa::Param::of_int(1), sa::Param::of_text("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"),
            sa::Param::of_text(R"({"b": [1, 2], "a": null})"), sa::Param::of_text("1.5e3"),
            sa::Param::of_date(1), sa::Param::of_int(-5),
            // row 2
            sa::Param::of_int(2), sa::Param::of_blob(raw_uuid), sa::Param::of_text("[]"),
            sa::Param::of_real(-0.125), sa::Param::of_timestamp(-1), sa::Param::null(),
            // row 3
            sa::Param::of_int(3), sa::Param::of_text("{A0EEBC999C0B4EF8BB6D6BB9BD380A11}"),
            sa::Param::of_text("3"), sa::Param::of_text("-0.00005"), sa::Param::null(),
            sa::Param::of_int(32767)};
        CHECK(conn.copy_rows("extras", columns, params) == 3);
        conn.commit();
        auto& cursor = conn.driver_connection().execute(
            "SELECT uid::text, doc::text, amount::text, at::text FROM extras ORDER BY id", {});
        REQUIRE(cursor.next());
        CHECK(cursor.read_text(0) == "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
        CHECK(cursor.read_text(1) == R"({"a": null, "b": [1, 2]})");
        CHECK(cursor.read_text(2) == "1500.0000");
        CHECK(cursor.read_text(3) == "1970-01-02 00:00:00+00");
        REQUIRE(cursor.next());
        CHECK(cursor.read_text(0) == "12340000-0000-0000-0000-000000000000");
        CHECK(cursor.read_text(2) == "-0.1250");
        CHECK(cursor.read_text(3) == "1969-12-31 23:59:59.999999+00");
        REQUIRE(cursor.next());
        CHECK(cursor.read_text(0) == "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
        CHECK(cursor.read_text(2) == "-0.0001");  // rounded to the column's scale
        cursor.close();

        const auto refused = [&](sa::Param value, std::string_view column) {
            std::array<sa::Param, 6> row{sa::Param::of_int(9), sa::Param::null(), sa::Param::null(),
                                         sa::Param::null(),    sa::Param::null(), sa::Param::null()};
            const auto at =
                static_cast<std::size_t>(std::find(columns.begin(), columns.end(), column) - columns.begin());
            row[at] = value;
            try {
                conn.copy_rows("extras", columns, row);
                FAIL("copy_rows accepted a value for " << column);
            } catch (const sa::DatabaseError&) {
                conn.rollback();
                throw;
            }
        };
        REQUIRE_THROWS_MATCHES(refused(sa::Param::of_text("7"), "tiny"), sa::ProgrammingError,
                               sa::test::MessageContains("column \"tiny\" has type int2"));
        REQUIRE_THROWS_MATCHES(refused(sa::Param::of_int(40000), "tiny"), sa::DataError,
                               sa::test::MessageContains("out of range"));
        REQUIRE_THROWS_MATCHES(refused(sa::Param::of_text("not-a-uuid"), "uid"), sa::DataError,
                               sa::test::MessageContains("not a UUID"));
        // The server's uuid_in refuses two hyphens in a row; COPY must not store it either.
        REQUIRE_THROWS_MATCHES(refused(sa::Param::of_text("a0eebc99--9c0b-4ef8-bb6d-6bb9bd380a11"), "uid"),
                               sa::DataError, sa::test::MessageContains("not a UUID"));
        REQUIRE_THROWS_MATCHES(refused(sa::Param::of_text("12abc"), "amount"), sa::DataError,
                               sa::test::MessageContains("not a decimal number"));
        REQUIRE_THROWS_MATCHES(refused(sa::Param::of_bool(true), "at"), sa::ProgrammingError,
                               sa::test::MessageContains("timestamptz"));
        // The connection still loads after each refusal and rollback.
        CHECK(scalar_int(conn, "SELECT count(*) FROM extras") == 3);
    }
}

TEST_CASE("a PostgreSQL connection lost during a batch or a COPY is invalidated") {
    const bool batch = GENERATE(true, false);  // else copy_rows
    for (const auto& backend : postgresql_backends()) {
        auto engine = backend.engine();
        auto killer = backend.engine({.pool_size = 1});
        create_items(engine);
        const std::array<std::string_view, 1> columns{"id"};
        const std::array params{sa::Param::of_int(1), sa::Param::of_int(2)};
        auto conn = engine.connect();
        const auto sql = "INSERT INTO items (id) VALUES (" + placeholder(conn, 1) + ")";
        // Once through first, so the statement is cached and the failure meets the pipeline
        // itself (copy_rows meets it in the pipeline that asks for the column types).
        batch ? void(conn.execute_batch(sql, params, 1)) : void(conn.copy_rows("items", columns, params));
        conn.rollback();
        const auto pid = scalar_int(conn, "SELECT pg_backend_pid()");  // begins a transaction
        {
            auto k = killer.connect();
            k.execute_sql("SELECT pg_terminate_backend(" + placeholder(k, 1) + ")",
                          std::array{sa::Param::of_int(pid)});
            k.commit();
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        try {
            batch ? void(conn.execute_batch(sql, params, 1)) : void(conn.copy_rows("items", columns, params));
            FAIL("a batch on a terminated backend succeeded");
        } catch (const sa::DatabaseError& e) {
            CHECK(e.connection_invalidated());
            CHECK(dynamic_cast<const sa::OperationalError*>(&e) != nullptr);
        }
        CHECK_THROWS_AS(conn.execute_sql("SELECT 1"), sa::InvalidRequestError);
    }
}

namespace {

/// Record i (0-based): NULLs, quotes, blobs with zero bytes and timestamps, varied by i.
bulk::Record make_record(std::int64_t i) {
    using namespace std::chrono;
    bulk::Record r;
    r.name =
        i % 4 == 0 ? "it's \"quoted\" \\ back\nslash " + std::to_string(i) : "record " + std::to_string(i);
    if (i % 3) r.note = i % 5 ? "note ✓ " + std::to_string(i) : std::string();
    if (i % 7) r.payload = {std::byte{0}, static_cast<std::byte>(i % 256), std::byte{0xff}};
    r.at = sys_time<microseconds>(microseconds(1'700'000'000'123'456 + i * 1'000'001));
    if (i % 2) r.seen_at = sys_time<microseconds>(microseconds(-86'400'000'000 - i));
    if (i % 11) r.score = static_cast<std::int32_t>(i * 37 % 1000 - 500);
    r.ratio = static_cast<double>(i) / 8;
    r.flag = i % 2 == 0;
    return r;
}

bulk::Wide make_wide(std::int64_t i) {
    bulk::Wide w;
    std::int64_t n = i * 100;
    boost::pfr::for_each_field(w, [&](auto& field) {
        if constexpr (std::is_same_v<std::remove_cvref_t<decltype(field)>, std::int64_t>) field = ++n;
    });
    w.id = 0;
    w.last = "row " + std::to_string(i);
    return w;
}

/// The statements `lines` echoed that begin with `prefix`.
std::size_t echoed(const std::vector<std::string>& lines, std::string_view prefix) {
    return static_cast<std::size_t>(std::count_if(
        lines.begin(), lines.end(), [&](const auto& line) { return line.starts_with(prefix); }));
}

}  // namespace

TEST_CASE("bulk_insert loads 5000 objects that read back equal") {
    const bool generated = GENERATE(true, false);
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    sa::metadata<bulk::Record>().create_all(engine);
    std::vector<bulk::Record> records;
    for (std::int64_t i = 0; i < 5000; ++i) {
        records.push_back(make_record(i));
        if (!generated) records.back().id = 10 * i + 7;
    }
    auto conn = engine.connect();
    CHECK(sa::bulk_insert(conn, records) == 5000);
    conn.commit();
    if (generated)  // a fresh table numbers rows from 1, in the order they were loaded
        for (std::size_t i = 0; i < records.size(); ++i) records[i].id = static_cast<std::int64_t>(i) + 1;
    const auto back = conn.execute(sa::select<bulk::Record>().order_by(sa::col<&bulk::Record::id>)).all();
    REQUIRE(back.size() == records.size());
    for (std::size_t i = 0; i < back.size(); ++i) {
        INFO("record " << i);
        CHECK(back[i] == records[i]);
    }
}

TEST_CASE("rows wider than a full batch allows go out in as many statements as the rule says") {
    const bool core = GENERATE(true, false);  // else bulk_insert; first, for fresh databases
    auto backend = GENERATE(from_range(backends()));
    sa::test::EchoCapture capture;
    auto engine = backend.engine({.echo = true, .echo_sink = capture.sink()});
    sa::metadata<bulk::Wide>().create_all(engine);
    constexpr std::size_t rows = 2000;
    std::vector<bulk::Wide> wide;
    for (std::size_t i = 0; i < rows; ++i) wide.push_back(make_wide(static_cast<std::int64_t>(i)));
    auto conn = engine.connect();
    // 69 values a row, the key being generated.
    const auto per_statement = sa::detail::rows_per_statement(conn.dialect(), 69);
    CHECK(per_statement == (backend.is_sqlite() ? 474 : 949));
    const auto statements = (rows + per_statement - 1) / per_statement;
    capture.lines.clear();
    if (core) {
        CHECK(conn.execute(sa::insert<bulk::Wide>().values(wide)).rowcount() ==
              static_cast<std::int64_t>(rows));
        CHECK(echoed(capture.lines, "INSERT INTO") == statements);
    } else {
        CHECK(sa::bulk_insert(conn, wide) == static_cast<std::int64_t>(rows));
        CHECK(echoed(capture.lines, "INSERT INTO") == (backend.is_sqlite() ? statements : 0));
        CHECK(echoed(capture.lines, "COPY") == (backend.is_sqlite() ? 0 : 1));
    }
    conn.commit();
    for (std::size_t i = 0; i < rows; ++i) wide[i].id = static_cast<std::int64_t>(i) + 1;
    CHECK(conn.execute(sa::select<bulk::Wide>().order_by(sa::col<&bulk::Wide::id>)).all() == wide);
}

TEST_CASE("bulk_insert under AUTOCOMMIT loads all or nothing and says what stayed") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine({.isolation_level = sa::IsolationLevel::autocommit});
    sa::metadata<bulk::Record>().create_all(engine);
    auto conn = engine.connect();
    sa::bulk_insert(conn, std::vector{bulk::Record{.id = 1500, .name = "already there"}});
    std::vector<bulk::Record> records;
    for (std::int64_t i = 1; i <= 2000; ++i) records.push_back({.id = i, .name = "new"});
    try {
        sa::bulk_insert(conn, records);  // id 1500 clashes in the second statement on SQLite
        FAIL("a load with a duplicate key succeeded");
    } catch (const sa::UniqueViolation& e) {
        REQUIRE(e.batch_progress());
        CHECK(e.batch_progress()->rows == 2000);
        CHECK(e.batch_progress()->committed == 0);
    }
    CHECK_FALSE(conn.in_transaction());
    CHECK(conn.execute(sa::select(sa::count<bulk::Record>())).scalar_one() == 1);
    records.erase(records.begin() + 1499);
    CHECK(sa::bulk_insert(conn, records) == 1999);
    CHECK(conn.execute(sa::select(sa::count<bulk::Record>())).scalar_one() == 2000);
}

TEST_CASE("bulk_insert refuses objects that disagree on their key before anything runs") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    sa::metadata<bulk::Record>().create_all(engine);
    auto conn = engine.connect();
    const std::vector<bulk::Record> mixed{{.name = "generated"}, {.id = 9, .name = "given"}};
    REQUIRE_THROWS_MATCHES(sa::bulk_insert(conn, mixed), sa::ArgumentError,
                           sa::test::MessageContains("split the batch"));
    CHECK_FALSE(conn.in_transaction());
    CHECK(sa::bulk_insert(conn, std::vector<bulk::Record>{}) == 0);
    CHECK_FALSE(conn.in_transaction());
}

namespace {

/// Records 1..`rows`, each with its key given.
std::vector<bulk::Record> keyed_records(std::int64_t rows) {
    std::vector<bulk::Record> records;
    for (std::int64_t i = 1; i <= rows; ++i) records.push_back({.id = i, .name = "new"});
    return records;
}

std::int64_t count_records(sa::Connection& conn) {
    return conn.execute(sa::select(sa::count<bulk::Record>())).scalar_one();
}

}  // namespace

TEST_CASE("a core insert of many statements under AUTOCOMMIT loads all or nothing and says so") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine({.isolation_level = sa::IsolationLevel::autocommit});
    sa::metadata<bulk::Record>().create_all(engine);
    auto conn = engine.connect();
    conn.execute(sa::insert<bulk::Record>().values(bulk::Record{.id = 2200, .name = "already there"}));
    try {
        // 1000 rows a statement: id 2200 clashes in the third.
        conn.execute(sa::insert<bulk::Record>().values(keyed_records(2500)));
        FAIL("a load with a duplicate key succeeded");
    } catch (const sa::UniqueViolation& e) {
        REQUIRE(e.batch_progress());
        CHECK(e.batch_progress()->rows == 2500);
        CHECK(e.batch_progress()->committed == 0);
    }
    CHECK_FALSE(conn.in_transaction());
    conn.commit();
    CHECK(count_records(conn) == 1);
}

TEST_CASE("a core insert of many statements failing in a later one leaves none of its rows to commit") {
    const bool mixed_shapes = GENERATE(false, true);  // else more rows than one statement takes
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    sa::metadata<bulk::Record>().create_all(engine);
    auto conn = engine.connect();
    conn.execute(sa::insert<bulk::Record>().values(bulk::Record{.id = 2200, .name = "already there"}));
    conn.commit();
    conn.execute(sa::insert<bulk::Record>().values(bulk::Record{.id = 9000, .name = "before the load"}));
    // Rows that leave their key to the database and rows that give it go in separate statements.
    const auto records = mixed_shapes ? std::vector<bulk::Record>{{.name = "generated"},
                                                                  {.name = "generated"},
                                                                  {.id = 2200, .name = "given"}}
                                      : keyed_records(2500);
    CHECK_THROWS_AS(conn.execute(sa::insert<bulk::Record>().values(records)), sa::UniqueViolation);
    // The transaction goes on, without the load's rows, on both backends.
    REQUIRE(conn.in_transaction());
    conn.commit();
    CHECK(count_records(conn) == 2);
}

TEST_CASE("bulk_insert and copy_rows in a transaction leave none of their rows to commit when one fails") {
    const bool objects = GENERATE(true, false);  // else copy_rows
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    sa::metadata<bulk::Record>().create_all(engine);
    create_items(engine);
    auto conn = engine.connect();
    const auto records = keyed_records(2000);
    if (objects) {
        conn.execute(sa::insert<bulk::Record>().values(bulk::Record{.id = 1500, .name = "already there"}));
        conn.commit();
        conn.execute(sa::text("UPDATE records SET name = 'still there'"));  // begins the transaction
        CHECK_THROWS_AS(sa::bulk_insert(conn, records), sa::UniqueViolation);
    } else {
        const std::array<std::string_view, 2> columns{"id", "name"};
        conn.copy_rows("items", columns,
                       std::array{sa::Param::of_int(1500), sa::Param::of_text("already there")});
        conn.commit();
        conn.execute(sa::text("UPDATE items SET name = 'still there'"));  // begins the transaction
        std::vector<sa::Param> params;
        for (const auto& record : records) {
            params.push_back(sa::Param::of_int(record.id));
            params.push_back(sa::Param::of_text(record.name));
        }
        CHECK_THROWS_AS(conn.copy_rows("items", columns, params), sa::UniqueViolation);
    }
    // A failed statement aborts a PostgreSQL transaction, whose COMMIT then refuses; SQLite's
    // goes on, without the load's rows.
    if (backend.is_postgresql()) CHECK_THROWS_AS(conn.commit(), sa::DatabaseError);
    else conn.commit();
    CHECK(scalar_int(conn, objects ? "SELECT count(*) FROM records" : "SELECT count(*) FROM items") == 1);
}
