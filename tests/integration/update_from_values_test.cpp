// UPDATE ... FROM (VALUES ...) (sql/update_from_values.hpp), the ORM's one
// statement for many changed rows, run on a table with a column of every type alchemy
// maps (docs/models.md): each row's values land in its row, NULLs included, and a row
// whose match values are stale is left alone and not counted.
#include "support/backends.hpp"

#include <alchemy/alchemy.hpp>
#include <alchemy/sql/update_from_values.hpp>

#include <boost/pfr/core.hpp>
#include <catch2/catch.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace sa = alchemy;
using namespace std::chrono;

namespace ufv {

enum class Level : std::int16_t { low = 1, high = 9 };
enum class Mood { calm, angry };

/// An amount in cents, stored through sa::type_adapter as an integer.
struct Cents {
    std::int64_t value = 0;
    friend bool operator==(const Cents&, const Cents&) = default;
};

struct Everything {
    std::int64_t id = 0;
    bool flag = false;
    std::int8_t tiny = 0;
    std::int16_t small = 0;
    std::uint8_t octet = 0;
    std::int32_t medium = 0;
    std::uint16_t unsigned_small = 0;
    std::int64_t big = 0;
    std::uint32_t unsigned_medium = 0;
    std::uint64_t unsigned_big = 0;
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
    std::optional<std::string> maybe_text{};
    std::optional<std::int64_t> maybe_number{};
    std::optional<sys_time<microseconds>> maybe_at{};
    std::optional<Mood> maybe_mood{};
    std::int32_t revision = 0;  // matched on its old value, as the ORM's version column
};

struct Code {
    std::int64_t id = 0;
    std::string code{};  // VARCHAR(5)
};

/// Named as the VALUES list's alias would be.
struct Clash {
    std::int64_t id = 0;
    std::int64_t n = 0;
};

}  // namespace ufv

template <>
inline constexpr auto sa::mapping<ufv::Code> = sa::table("codes", sa::max_length(&ufv::Code::code, 5));
template <>
inline constexpr auto sa::mapping<ufv::Clash> = sa::table("sa_values");

template <>
struct sa::type_adapter<ufv::Cents> {
    using storage_type = std::int64_t;
    static std::int64_t to_storage(const ufv::Cents& c) { return c.value; }
    static ufv::Cents from_storage(std::int64_t v) { return {v}; }
};

template <>
inline constexpr auto sa::mapping<ufv::Everything> =
    sa::table("everything", sa::max_length(&ufv::Everything::code, 12),
              sa::enum_as_text(&ufv::Everything::mood), sa::enum_as_text(&ufv::Everything::maybe_mood));

namespace {

using ufv::Everything;

Everything original(std::int64_t id) { return {.id = id, .text = "before", .code = "old", .revision = 1}; }

/// Row i's new values: the first row has every optional NULL and small numbers, later rows
/// values that need 64 bits, so the VALUES columns take their types from the first row's
/// casts, not from its values.
Everything changed(std::int64_t id, std::size_t i) {
    const auto n = static_cast<std::int64_t>(i);
    Everything e{
        .id = id,
        .flag = i % 2 == 1,
        .tiny = static_cast<std::int8_t>(-100 + n % 50),
        .small = static_cast<std::int16_t>(-30000 + n),
        .octet = static_cast<std::uint8_t>(200 + n % 50),
        .medium = static_cast<std::int32_t>(-2'000'000'000 + n),
        .unsigned_small = static_cast<std::uint16_t>(65000 + n % 500),
        .big = i == 0 ? 1 : 5'000'000'000 + n,
        .unsigned_medium = i == 0 ? 2u : 4'000'000'000u + static_cast<std::uint32_t>(n),
        .unsigned_big = i == 0 ? 3u : 9'000'000'000'000u + static_cast<std::uint64_t>(n),
        .single = 1.5f + static_cast<float>(n),
        .precise = -0.125 * static_cast<double>(n) + 1e300 * static_cast<double>(i % 2),
        .text = "it's \"after\" ✓ " + std::to_string(i),
        .code = "code-" + std::to_string(i),
        .data = {std::byte{0}, static_cast<std::byte>(i % 256), std::byte{0xff}},
        .at = sys_time<microseconds>(microseconds(1'700'000'000'123'456 + n)),
        .at_second = sys_seconds(seconds(-86'400 * 365 + n)),
        .on_day = sys_days(days(19'000 + n)),
        .day = year_month_day(sys_days(days(-1 - n))),
        .level = i % 2 ? ufv::Level::high : ufv::Level::low,
        .mood = i % 2 ? ufv::Mood::angry : ufv::Mood::calm,
        .price = {-n * 1'000'000'000'000},
        .revision = 2,
    };
    if (i > 0) {
        e.maybe_text = i % 3 ? "maybe " + std::to_string(i) : std::string();
        e.maybe_number = -9'000'000'000 - n;
        e.maybe_at = sys_time<microseconds>(microseconds(-1 - n));
        e.maybe_mood = ufv::Mood::angry;
    }
    return e;
}

/// Compares field by field, so that a failure names the column.
void check_columns(const Everything& got, const Everything& want) {
    [&]<std::size_t... C>(std::index_sequence<C...>) {
        (
            [&] {
                INFO("column " << sa::model_info<Everything>::columns[C].name);
                CHECK((boost::pfr::get<C>(got) == boost::pfr::get<C>(want)));
            }(),
            ...);
    }(std::make_index_sequence<sa::model_info<Everything>::column_count>{});
}

}  // namespace

TEST_CASE("UPDATE FROM VALUES sets every column type from its row and counts the rows it matched") {
    auto backend = GENERATE(from_range(sa::test::backends()));
    auto engine = backend.engine();
    sa::metadata<Everything>().create_all(engine);
    auto conn = engine.connect();
    constexpr std::size_t rows = 300;
    std::vector<Everything> before;
    for (std::size_t i = 0; i < rows; ++i) before.push_back(original(static_cast<std::int64_t>(i) * 3 + 1));
    conn.execute(sa::insert<Everything>().values(before));

    const auto table = sa::table_of<Everything>();
    std::vector<std::size_t> set(table.columns.size() - 1);  // every column but the key
    std::iota(set.begin(), set.end(), 1);
    const std::vector<std::size_t> match{0, table.columns.size() - 1};  // the key, the old revision
    const auto sql = sa::detail::render_update_from_values(conn.dialect(), table, set, match, rows);

    std::vector<Everything> after;
    for (std::size_t i = 0; i < rows; ++i) after.push_back(changed(before[i].id, i));
    // Params view the objects' strings, so `after` is complete before anything binds.
    // The last row's old revision is stale: that row stays as it was.
    sa::ParamBuffer params;
    for (std::size_t i = 0; i < rows; ++i) {
        sa::bind_columns(after[i], params, true);  // all but the generated key, in column order
        params.add(sa::Param::of_int(before[i].id));
        params.add(sa::Param::of_int(i + 1 < rows ? before[i].revision : 7));
    }
    CHECK(conn.execute_sql(sql, params.params()).rowcount() == static_cast<std::int64_t>(rows) - 1);
    conn.commit();

    after.back() = before.back();
    const auto back = conn.execute(sa::select<Everything>().order_by(sa::col<&Everything::id>)).all();
    REQUIRE(back.size() == rows);
    for (std::size_t i = 0; i < rows; ++i) {
        INFO("row " << i);
        check_columns(back[i], after[i]);
    }
}

TEST_CASE("a text too long for its column is refused, not cut, when a flush updates several rows") {
    auto backend = GENERATE(from_range(sa::test::backends()));
    auto engine = backend.engine();
    sa::metadata<ufv::Code>().create_all(engine);
    sa::Session session(engine);
    auto a = session.add(ufv::Code{.code = "aaaaa"});
    auto b = session.add(ufv::Code{.code = "bbbbb"});
    session.commit();
    a->code = "0123456789";  // in the VALUES list's first row, which carries the casts
    b->code = "ok";
    if (backend.is_postgresql()) {
        CHECK_THROWS_AS(session.commit(), sa::DataError);
        session.rollback();
    } else {
        session.commit();  // SQLite keeps any length: stored as given
    }
    auto conn = engine.connect();
    const auto stored =
        conn.execute(sa::select(sa::col<&ufv::Code::code>).order_by(sa::col<&ufv::Code::id>)).all();
    CHECK(stored == (backend.is_postgresql() ? std::vector<std::string>{"aaaaa", "bbbbb"}
                                             : std::vector<std::string>{"0123456789", "ok"}));
}

TEST_CASE("a flush updates several rows of a table named as the VALUES list's alias") {
    auto backend = GENERATE(from_range(sa::test::backends()));
    auto engine = backend.engine();
    sa::metadata<ufv::Clash>().create_all(engine);
    sa::Session session(engine);
    auto a = session.add(ufv::Clash{.n = 1});
    auto b = session.add(ufv::Clash{.n = 2});
    session.commit();
    a->n = 10;
    b->n = 20;
    session.commit();
    auto conn = engine.connect();
    CHECK(conn.execute(sa::select(sa::col<&ufv::Clash::n>).order_by(sa::col<&ufv::Clash::id>)).all() ==
          std::vector<std::int64_t>{10, 20});
}
