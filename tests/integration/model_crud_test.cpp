// Structs in and out of tables on both backends: insert<T>(), select<T>(), every
// supported field type, NULLs, generated keys read back with RETURNING.
#include "support/backends.hpp"
#include "support/matchers.hpp"

#include <alchemy/alchemy.hpp>

#include <catch2/catch.hpp>

#include <array>
#include <chrono>
#include <limits>

namespace sa = alchemy;
using namespace std::chrono;

namespace crud {

enum class Level : std::int16_t { low = 1, high = 9 };
enum class Mood { calm, angry };

/// A small UUID-like value type stored through sa::type_adapter as text.
struct Uuid {
    std::array<std::uint8_t, 16> bytes{};
    friend bool operator==(const Uuid&, const Uuid&) = default;
};

struct Sample {
    std::int64_t id = 0;
    bool flag = false;
    std::int8_t tiny = 0;
    std::int16_t small = 0;
    std::int32_t medium = 0;
    std::int64_t big = 0;
    std::uint32_t unsigned_medium = 0;
    float ratio = 0;
    double precise = 0;
    std::string text{};
    std::vector<std::byte> data{};
    sys_time<microseconds> at{};
    year_month_day day = year{1970} / 1 / 1;
    Level level = Level::low;
    Mood mood = Mood::calm;
    Uuid token{};
    std::optional<std::string> maybe_text{};
    std::optional<std::int64_t> maybe_number{};
    std::optional<sys_time<microseconds>> maybe_at{};
    std::optional<Mood> maybe_mood{};
    std::optional<Uuid> maybe_token{};

    friend bool operator==(const Sample&, const Sample&) = default;
};

struct Note {
    std::int64_t id = 0;
    std::string body{};
};

struct Strict {  // read back through a table where `body` is NULL
    std::int64_t id = 0;
    std::string body{};
};

}  // namespace crud

template <>
struct sa::type_adapter<crud::Uuid> {
    using storage_type = std::string;
    static std::string to_storage(const crud::Uuid& u) {
        static constexpr char hex[] = "0123456789abcdef";
        std::string s{};
        for (auto b : u.bytes) {
            s += hex[b >> 4];
            s += hex[b & 15];
        }
        return s;
    }
    static crud::Uuid from_storage(const std::string& s) {
        crud::Uuid u{};
        auto value = [](char c) { return static_cast<std::uint8_t>(c <= '9' ? c - '0' : c - 'a' + 10); };
        for (std::size_t i = 0; i < 16; ++i)
            u.bytes[i] = static_cast<std::uint8_t>(value(s[2 * i]) << 4 | value(s[2 * i + 1]));
        return u;
    }
};

template <>
inline constexpr auto sa::mapping<crud::Sample> =
    sa::table("samples", sa::enum_as_text(&crud::Sample::mood), sa::enum_as_text(&crud::Sample::maybe_mood));
template <>
inline constexpr auto sa::mapping<crud::Strict> = sa::table("notes");

namespace {

crud::Sample extreme_sample() {
    crud::Sample s{};
    s.flag = true;
    s.tiny = std::numeric_limits<std::int8_t>::min();
    s.small = std::numeric_limits<std::int16_t>::max();
    s.medium = std::numeric_limits<std::int32_t>::min();
    s.big = std::numeric_limits<std::int64_t>::max();
    s.unsigned_medium = std::numeric_limits<std::uint32_t>::max();
    s.ratio = 0.5f;
    s.precise = -1.0e-300;
    s.text = "unicode ✓ 日本語 🎉, quotes ' \" and a backslash \\";
    s.data = {std::byte{0}, std::byte{0xff}, std::byte{0}, std::byte{7}};
    s.at = sys_days{year{1969} / 7 / 20} + 20h + 17min + 40s + 123456us;  // before 1970
    s.day = year{2100} / 2 / 28;                                          // after 2038
    s.level = crud::Level::high;
    s.mood = crud::Mood::angry;
    for (std::uint8_t i = 0; i < 16; ++i) s.token.bytes[i] = static_cast<std::uint8_t>(i * 17);
    s.maybe_text = "";
    s.maybe_number = std::numeric_limits<std::int64_t>::min();
    s.maybe_at = sys_days{year{2262} / 4 / 11} + 23h + 47min + 16s + 854775us;  // after 2038
    s.maybe_mood = crud::Mood::calm;
    s.maybe_token = s.token;
    return s;
}

}  // namespace

TEST_CASE("every supported field type round-trips through a table, NULLs included") {
    auto backend = GENERATE(from_range(sa::test::backends()));
    auto engine = backend.engine();
    sa::metadata<crud::Sample>().create_all(engine);
    auto conn = engine.connect();

    const auto full = extreme_sample();
    const crud::Sample empty;  // every optional empty, every value zero
    auto ids = conn.execute(sa::insert<crud::Sample>()
                                .values(std::vector{full, empty})
                                .returning(sa::col<&crud::Sample::id>))
                   .all();
    REQUIRE(ids.size() == 2);
    CHECK(ids[0] != ids[1]);
    conn.commit();

    auto rows = conn.execute(sa::select<crud::Sample>()).all();
    REQUIRE(rows.size() == 2);
    std::sort(rows.begin(), rows.end(), [](auto& a, auto& b) { return a.id < b.id; });
    auto expected_full = full;
    expected_full.id = ids[0];
    auto expected_empty = empty;
    expected_empty.id = ids[1];
    CHECK(rows[0] == expected_full);
    CHECK(rows[1] == expected_empty);
    CHECK(rows[0].text == full.text);
    CHECK(rows[0].at == full.at);
    CHECK_FALSE(rows[1].maybe_text.has_value());
}

TEST_CASE("an enum stored as text is written as its name") {
    auto backend = GENERATE(from_range(sa::test::backends()));
    auto engine = backend.engine();
    sa::metadata<crud::Sample>().create_all(engine);
    auto conn = engine.connect();
    conn.execute(sa::insert<crud::Sample>().values(extreme_sample()));
    CHECK(conn.execute(sa::text("SELECT mood FROM samples").columns<std::string>()).scalar_one() == "angry");
    CHECK(conn.execute(sa::text("SELECT level FROM samples").columns<int>()).scalar_one() == 9);
}

TEST_CASE("a generated primary key is read back with RETURNING, and a given one is kept") {
    auto backend = GENERATE(from_range(sa::test::backends()));
    auto engine = backend.engine();
    sa::metadata<crud::Note>().create_all(engine);
    auto conn = engine.connect();
    const auto first = conn.execute(sa::insert<crud::Note>()
                                        .values(crud::Note{.body = "one"})
                                        .returning(sa::col<&crud::Note::id>))
                           .scalar_one();
    const auto second = conn.execute(sa::insert<crud::Note>()
                                         .values(crud::Note{.body = "two"})
                                         .returning(sa::col<&crud::Note::id>))
                            .scalar_one();
    CHECK(second > first);
    auto given = conn.execute(sa::insert<crud::Note>().values(crud::Note{.id = 1000, .body = "given"}));
    CHECK(given.rowcount() == 1);
    auto notes = conn.execute(sa::select<crud::Note>()).all();
    REQUIRE(notes.size() == 3);
    CHECK(std::any_of(notes.begin(), notes.end(), [](auto& n) { return n.id == 1000 && n.body == "given"; }));
}

TEST_CASE("inserting thousands of rows goes out in batches and returns every key in order") {
    auto backend = GENERATE(from_range(sa::test::backends()));
    auto engine = backend.engine();
    sa::metadata<crud::Note>().create_all(engine);
    auto conn = engine.connect();
    std::vector<crud::Note> notes{};
    for (int i = 0; i < 2500; ++i) notes.push_back({.body = "note " + std::to_string(i)});
    auto ids = conn.execute(sa::insert<crud::Note>().values(notes).returning(sa::col<&crud::Note::id>)).all();
    REQUIRE(ids.size() == 2500);
    CHECK(std::is_sorted(ids.begin(), ids.end()));
    CHECK(conn.execute(sa::text("SELECT count(*) FROM note").columns<std::int64_t>()).scalar_one() == 2500);
}

TEST_CASE("a NULL read into a non-optional field is a DataError naming table and column") {
    auto backend = GENERATE(from_range(sa::test::backends()));
    auto engine = backend.engine();
    auto conn = engine.connect();
    conn.execute(sa::text("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)"));
    conn.execute(sa::text("INSERT INTO notes (id, body) VALUES (1, NULL)"));
    REQUIRE_THROWS_MATCHES(conn.execute(sa::select<crud::Strict>()).all(), sa::DataError,
                           sa::test::MessageContains("column notes.body is NULL but Strict::body"));
}

TEST_CASE("select and insert SQL is rendered once per dialect and quotes every identifier") {
    const auto& sqlite = sa::driver_for(sa::make_url("sqlite://")).dialect();
    const auto& pg = sa::driver_for(sa::make_url("postgresql://h/db")).dialect();
    CHECK(sa::select<crud::Note>().sql(sqlite) == R"(SELECT "note"."id", "note"."body" FROM "note")");
    CHECK(sa::insert<crud::Note>().values(crud::Note{.body = "x"}).sql(pg) ==
          R"(INSERT INTO "note" ("body") VALUES ($1))");
    CHECK(sa::insert<crud::Note>().values(crud::Note{.id = 5, .body = "x"}).sql(sqlite) ==
          R"(INSERT INTO "note" ("id", "body") VALUES (?, ?))");
    CHECK(sa::insert<crud::Note>()
              .values(crud::Note{.body = "x"})
              .returning(sa::col<&crud::Note::id>)
              .sql(pg) == R"(INSERT INTO "note" ("body") VALUES ($1) RETURNING "id")");
}
