// How a Session flush inserts many new objects. On PostgreSQL one statement per batch binds
// an array per column and unnests them in order (Dialect::inserts_from_column_arrays);
// SQLite sends VALUES lists. Either way: every column type alchemy maps, NULLs and hostile
// text included, reads back as it went in; each object gets its own row's key and server
// defaults; a failure in a later batch leaves the table and the objects as they were; and
// on PostgreSQL a column the arrays cannot carry exactly goes as VALUES lists instead.
#include "support/backends.hpp"
#include "support/column_checks.hpp"

#include <alchemy/alchemy.hpp>

#include <boost/pfr/ops_fields.hpp>
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace sa = alchemy;
using namespace std::chrono;
using sa::test::backends;
using sa::test::check_columns;
using sa::test::count_starting_with;

namespace flush_inserts {

enum class Level : std::int16_t { low = 1, high = 9 };
enum class Mood { calm, angry };

/// An amount in cents, stored through sa::type_adapter as an integer.
struct Cents {
    std::int64_t value = 0;
    friend bool operator==(const Cents&, const Cents&) = default;
};

struct Sample {
    std::int64_t id = 0;
    std::string label{};  // unique: tells which row is which object's
    bool flag = false;
    std::int8_t tiny = 0;
    std::int16_t small = 0;
    std::uint8_t octet = 0;
    std::int32_t medium = 0;
    std::uint16_t unsigned_small = 0;
    std::int64_t big = 0;
    std::uint32_t unsigned_medium = 0;
    float single = 0;
    double precise = 0;
    std::string text{};
    std::string code{};  // VARCHAR(12)
    std::vector<std::byte> data{};
    sys_time<microseconds> at{};
    sys_seconds at_second{};
    sys_days on_day{};
    year_month_day day = year{1970} / 1 / 1;
    Level level = Level::low;
    Mood mood = Mood::calm;  // as text
    Cents price{};
    std::optional<bool> maybe_flag{};
    std::optional<std::int64_t> maybe_big{};
    std::optional<double> maybe_precise{};
    std::optional<std::string> maybe_text{};
    std::optional<std::vector<std::byte>> maybe_data{};
    std::optional<sys_time<microseconds>> maybe_at{};
    std::optional<year_month_day> maybe_day{};
    std::optional<Mood> maybe_mood{};
    std::optional<std::int32_t> priority{};  // server default 3
};

/// PostgreSQL only: columns of types the library does not map, filled from strings and a
/// double, on a table created by hand.
struct Shift {
    std::int64_t id = 0;
    std::string starts{};  // TIME: no array form for text
    std::string mood{};    // an enum type of the schema: no array type the driver knows
    double rate = 0;       // NUMERIC: the server rounds a double itself
};

/// PostgreSQL only: text into UUID and JSONB columns, which the arrays carry.
struct Token {
    std::int64_t id = 0;
    std::string uuid{};
    std::string doc{};
};

}  // namespace flush_inserts

template <>
struct sa::type_adapter<flush_inserts::Cents> {
    using storage_type = std::int64_t;
    static std::int64_t to_storage(const flush_inserts::Cents& c) { return c.value; }
    static flush_inserts::Cents from_storage(std::int64_t v) { return {v}; }
};

template <>
inline constexpr auto sa::mapping<flush_inserts::Sample> = sa::table(
    "samples", sa::unique(&flush_inserts::Sample::label), sa::max_length(&flush_inserts::Sample::code, 12),
    sa::enum_as_text(&flush_inserts::Sample::mood), sa::enum_as_text(&flush_inserts::Sample::maybe_mood),
    sa::server_default(&flush_inserts::Sample::priority, "3"));
template <>
inline constexpr auto sa::mapping<flush_inserts::Shift> = sa::table("shifts");
template <>
inline constexpr auto sa::mapping<flush_inserts::Token> = sa::table("tokens");

using flush_inserts::Sample;
using flush_inserts::Shift;
using flush_inserts::Token;

namespace {

/// Text that breaks naive quoting of SQL, of array literals and of the echo log.
const std::vector<std::string>& hostile_texts() {
    static const std::vector<std::string> texts{
        "",
        " ",
        "plain",
        "it's",
        "say \"hi\"",
        "back\\slash \\\\ \\",
        "{a,b}",
        "{",
        "}",
        ",",
        "NULL",
        "null",
        "(1,\"2\")",
        "héllo wörld ✓ 日本語 🎉",
        "tab\tnew\nline\rreturn",
        "$1 $2 ?",
        "E'\\x00'",
        "'; DROP TABLE samples; --",
        std::string(3000, 'x') + "é",
    };
    return texts;
}

/// Object i's values: extremes of every type, every optional NULL in each third object.
Sample sample(std::size_t i, bool default_priority) {
    const auto n = static_cast<std::int64_t>(i);
    const auto& texts = hostile_texts();
    const bool low = i % 2 == 0;
    Sample s{
        .label = "sample " + std::to_string(i),
        .flag = i % 2 == 1,
        .tiny = low ? std::numeric_limits<std::int8_t>::min() : std::numeric_limits<std::int8_t>::max(),
        .small = low ? std::numeric_limits<std::int16_t>::min() : static_cast<std::int16_t>(n % 30000),
        .octet = low ? std::uint8_t{0} : std::numeric_limits<std::uint8_t>::max(),
        .medium = low ? std::numeric_limits<std::int32_t>::min()
                      : std::numeric_limits<std::int32_t>::max() - static_cast<std::int32_t>(n),
        .unsigned_small = static_cast<std::uint16_t>(65535 - n % 500),
        .big =
            low ? std::numeric_limits<std::int64_t>::min() + n : std::numeric_limits<std::int64_t>::max() - n,
        .unsigned_medium = 4'294'967'295u - static_cast<std::uint32_t>(n),
        .single = i % 3 == 0   ? std::numeric_limits<float>::denorm_min()
                  : i % 3 == 1 ? std::numeric_limits<float>::max()
                               : 1.5f + static_cast<float>(n),
        .precise = i % 4 == 0   ? 5e-324
                   : i % 4 == 1 ? std::numeric_limits<double>::infinity()
                   : i % 4 == 2 ? -0.1 * static_cast<double>(n)
                                : 1e300,
        .text = texts[i % texts.size()],
        .code = "c" + std::to_string(i),
        .data = {std::byte{0}, static_cast<std::byte>(i % 256), std::byte{0}, std::byte{0xff}},
        .at = sys_time<microseconds>(microseconds(low ? -1 - n : 1'700'000'000'123'456 + n)),
        .at_second = sys_seconds(seconds(946'684'800 + n)),  // 2000-01-01, PostgreSQL's epoch
        .on_day = sys_days(days(19'000 + n)),
        .day = year_month_day(sys_days(days(-1 - n))),
        .level = low ? flush_inserts::Level::low : flush_inserts::Level::high,
        .mood = low ? flush_inserts::Mood::calm : flush_inserts::Mood::angry,
        .price = {-n * 1'000'000'000'000},
    };
    if (i % 3 != 0) {
        s.maybe_flag = i % 2 == 0;
        s.maybe_big = -9'000'000'000 - n;
        s.maybe_precise = 0.1 + 0.2;
        s.maybe_text = texts[(i + 7) % texts.size()];
        s.maybe_data = std::vector<std::byte>{};  // empty, not NULL
        s.maybe_at = sys_time<microseconds>(microseconds(n));
        s.maybe_day = year{2024} / 2 / 29;
        s.maybe_mood = flush_inserts::Mood::angry;
    }
    if (!default_priority) s.priority = static_cast<std::int32_t>(-n);
    return s;
}

/// Every row of the table by label, as a fresh Session loads it.
std::map<std::string, Sample> samples_in_database(sa::Engine& engine) {
    sa::Session fresh(engine);
    std::map<std::string, Sample> out;
    for (const auto& s : fresh.query<Sample>().all()) out.emplace(s->label, *s);
    return out;
}

std::vector<std::string> inserts(const std::vector<std::string>& lines) {
    std::vector<std::string> out;
    for (const auto& line : lines)
        if (line.starts_with("INSERT")) out.push_back(line);
    return out;
}

}  // namespace

TEST_CASE("a flush of 11000 new objects with a column of every type stores what a fresh Session reads back") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    sa::metadata<Sample>().create_all(engine);
    constexpr std::size_t count = 11'000;

    sa::Session session(engine, {.expire_on_commit = false});
    std::vector<std::shared_ptr<Sample>> objects;
    // The first half leaves its priority to the server's default, the second gives it:
    // two runs of one statement shape each, each longer than one statement's rows.
    for (std::size_t i = 0; i < count; ++i) objects.push_back(session.add(sample(i, i < count / 2)));
    session.commit();

    const auto stored = samples_in_database(engine);
    REQUIRE(stored.size() == count);
    std::set<std::int64_t> keys;
    std::size_t mismatched = 0;
    for (std::size_t i = 0; i < count; ++i) {
        const auto& object = *objects[i];
        keys.insert(object.id);
        auto want = sample(i, i < count / 2);
        want.id = object.id;
        if (i < count / 2) want.priority = 3;
        const auto& row = stored.at(want.label);
        // The object holds its own row's key and the default the server filled in.
        if (row.id != object.id || object.priority != want.priority) ++mismatched;
        if (i % 997 == 0 || i + 1 == count || i == count / 2) {
            INFO("object " << i);
            check_columns(row, want);
            check_columns(object, want);
        }
    }
    CHECK(mismatched == 0);
    CHECK(keys.size() == count);
    CHECK_FALSE(keys.contains(0));
    // Every row, compared in full once more through the objects (cheap: no database).
    std::size_t differing_rows = 0;
    for (const auto& object : objects) {
        const auto& row = stored.at(object->label);
        differing_rows += boost::pfr::eq_fields(row, *object) ? 0 : 1;
    }
    CHECK(differing_rows == 0);
}

TEST_CASE("a flush on PostgreSQL binds one array per column and unnests them in order; SQLite sends VALUES") {
    auto backend = GENERATE(from_range(backends()));
    sa::test::EchoCapture capture;
    auto engine = backend.engine({.echo = true, .echo_sink = capture.sink()});
    struct Seen {
        std::string sql;
        std::size_t parameters = 0;
        bool executemany = false;
    };
    std::vector<Seen> seen;
    engine.on_before_cursor_execute(
        [&](sa::Connection&, std::string_view sql, std::span<const sa::Param> params, bool executemany) {
            if (sql.starts_with("INSERT")) seen.push_back({std::string(sql), params.size(), executemany});
        });
    sa::metadata<Sample>().create_all(engine);

    sa::Session session(engine);
    constexpr std::size_t count = 6'000;
    for (std::size_t i = 0; i < count; ++i) session.add(sample(i, true));
    capture.lines.clear();
    session.commit();
    const auto sent = inserts(capture.lines);
    // Every column but the key and the defaulted priority.
    const std::size_t columns = sa::model_info<Sample>::column_count - 2;

    if (backend.is_sqlite()) {
        REQUIRE_FALSE(sent.empty());
        for (const auto& sql : sent) CHECK(sql.find(" VALUES (") != std::string::npos);
        return;
    }
    // Two statements of one text: 5000 rows, then 1000.
    REQUIRE(sent.size() == 2);
    CHECK(sent[0] == sent[1]);
    const auto& sql = sent[0];
    CHECK(sql.starts_with("INSERT INTO \"samples\" (\"label\", \"flag\", "));
    CHECK(sql.find(" SELECT \"sa_rows\".\"column1\", \"sa_rows\".\"column2\", ") != std::string::npos);
    CHECK(sql.find(" FROM unnest($1, $2, $3, ") != std::string::npos);
    CHECK(sql.find(", $" + std::to_string(columns) + ") WITH ORDINALITY AS \"sa_rows\" (\"column1\", ") !=
          std::string::npos);
    CHECK(sql.find("\"sa_ordinal\") ORDER BY \"sa_rows\".\"sa_ordinal\" RETURNING \"id\", \"priority\"") !=
          std::string::npos);
    CHECK(sql.find("$" + std::to_string(columns + 1)) == std::string::npos);
    CHECK(sql.find("VALUES") == std::string::npos);
    // Logged as a batch: the row count and the first row.
    const auto at = std::find(capture.lines.begin(), capture.lines.end(), sql);
    REQUIRE(at + 1 < capture.lines.end());
    CHECK(at[1].starts_with("[5000 rows; first: ('sample 0', False, -128, "));
    // Listeners see the rows back to back.
    REQUIRE(seen.size() == 2);
    CHECK(seen[0].sql == sql);
    CHECK(seen[0].executemany);
    CHECK(seen[0].parameters == 5000 * columns);
    CHECK(seen[1].parameters == 1000 * columns);
}

TEST_CASE("a unique violation in a later batch of a flush leaves the table and every object as they were") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    sa::metadata<Sample>().create_all(engine);
    std::int64_t taken_id = 0;
    {
        sa::Session setup(engine);
        auto taken = setup.add(sample(6'500, false));
        setup.commit();
        taken_id = taken->id;
    }

    sa::Session session(engine);
    std::vector<std::shared_ptr<Sample>> objects;
    // Object 6500 repeats the label taken: its batch is the second on PostgreSQL, after
    // one that succeeded and wrote 5000 keys and server defaults into objects.
    for (std::size_t i = 0; i < 7'000; ++i) objects.push_back(session.add(sample(i, true)));
    CHECK_THROWS_AS(session.flush(), sa::UniqueViolation);
    const auto untouched = [](const auto& s) {
        return s->id == 0 && !s->priority && sa::inspect(s).pending();
    };
    CHECK(std::all_of(objects.begin(), objects.end(), untouched));
    session.rollback();
    CHECK(std::all_of(objects.begin(), objects.end(), [](const auto& s) { return s->id == 0; }));
    CHECK(std::all_of(objects.begin(), objects.end(), [](const auto& s) { return !s->priority; }));
    {
        const auto stored = samples_in_database(engine);
        REQUIRE(stored.size() == 1);
        CHECK(stored.begin()->second.id == taken_id);
    }

    // With the clash gone, the same objects go in and get their own rows.
    objects[6'500]->label = "no longer taken";
    for (const auto& object : objects) session.add(object);
    session.commit();
    const auto stored = samples_in_database(engine);
    REQUIRE(stored.size() == 7'001);
    std::size_t mismatched = 0;
    for (const auto& object : objects) {
        const auto& row = stored.at(object->label);
        mismatched += row.id == object->id && object->priority == 3 && row.priority == 3 ? 0 : 1;
    }
    CHECK(mismatched == 0);
}

TEST_CASE("on PostgreSQL a column the arrays cannot carry exactly makes the flush send VALUES lists") {
    auto backend = GENERATE(from_range(backends()));
    if (!backend.is_postgresql()) return;
    sa::test::EchoCapture capture;
    auto engine = backend.engine({.echo = true, .echo_sink = capture.sink()});
    {
        auto conn = engine.connect();
        conn.execute_script(
            "CREATE TYPE shift_mood AS ENUM ('calm', 'angry');"
            "CREATE TABLE shifts (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, "
            "starts TIME NOT NULL, mood shift_mood NOT NULL, rate NUMERIC NOT NULL);"
            "CREATE TABLE tokens (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, "
            "uuid UUID NOT NULL, doc JSONB NOT NULL)");
        conn.commit();
    }
    const auto shift = [](std::size_t i) {
        return Shift{.starts = "0" + std::to_string(i % 10) + ":30",
                     .mood = i % 2 ? "angry" : "calm",
                     .rate = 0.1 * static_cast<double>(i) + 0.2};
    };
    const auto token = [](std::size_t i) {
        return Token{
            .uuid = i % 2 ? "{A0EEBC99-9C0B-4EF8-BB6D-6BB9BD38" + std::to_string(1000 + i) + "}"
                          : "a0eebc999c0b4ef8bb6d6bb9bd38" + std::to_string(1000 + i),
            .doc = "{\"b\": [1, 2.50, \"é \\\" \\\\\"],   \"a\": null, \"i\": " + std::to_string(i) + "}"};
    };
    constexpr std::size_t count = 40;

    // The same values once more through Core's single-row INSERT ... VALUES, whose every
    // conversion is the server's: the flush must store exactly what it stores.
    {
        auto conn = engine.connect();
        for (std::size_t i = 0; i < count; ++i) {
            conn.execute(sa::insert<Shift>().values(shift(i)));
            conn.execute(sa::insert<Token>().values(token(i)));
        }
        conn.commit();
    }
    capture.lines.clear();
    {
        sa::Session session(engine);
        for (std::size_t i = 0; i < count; ++i) {
            session.add(shift(i));
            session.add(token(i));
        }
        session.commit();
    }
    for (const auto& sql : inserts(capture.lines)) {
        INFO(sql);
        if (sql.starts_with("INSERT INTO \"shifts\"")) CHECK(sql.find(" VALUES (") != std::string::npos);
        else CHECK(sql.find("FROM unnest(") != std::string::npos);
    }
    CHECK(count_starting_with(capture.lines, "INSERT INTO \"tokens\"") == 1);

    auto conn = engine.connect();
    const auto pairs = [&](const std::string& query) {
        return conn.execute(sa::text(query).columns<std::int64_t, std::string, std::string>()).all();
    };
    // Row i of Core's rows and row count + i of the flush's hold the same object's values.
    const auto shifts =
        pairs("SELECT id, starts::text || ' ' || mood::text, rate::text FROM shifts ORDER BY id");
    const auto tokens = pairs("SELECT id, uuid::text, doc::text FROM tokens ORDER BY id");
    REQUIRE(shifts.size() == 2 * count);
    REQUIRE(tokens.size() == 2 * count);
    for (std::size_t i = 0; i < count; ++i) {
        INFO("object " << i);
        CHECK(std::get<1>(shifts[i]) == std::get<1>(shifts[count + i]));
        CHECK(std::get<2>(shifts[i]) == std::get<2>(shifts[count + i]));
        CHECK(std::get<1>(tokens[i]) == std::get<1>(tokens[count + i]));
        CHECK(std::get<2>(tokens[i]) == std::get<2>(tokens[count + i]));
    }
    CHECK(std::get<1>(tokens[1]) == "a0eebc99-9c0b-4ef8-bb6d-6bb9bd381001");
}
