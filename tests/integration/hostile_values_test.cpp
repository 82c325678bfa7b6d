// Hostile values on both backends: quotes, SQL injection attempts, backslashes, NUL
// bytes, invalid UTF-8, LIKE wildcards, unicode and strings up to 1 MB go in as inserted
// values (Core, bulk_insert, Session flush), WHERE comparison values, LIKE patterns,
// UPDATE SET values, upserts, text() bindings and text primary keys. Each comes back
// unchanged or is refused with a typed error (before sending, where the backend would
// refuse it anyway), the tables survive with their row counts, and the SQL text never
// holds a value: two statements that differ only in a value render identical SQL. Also:
// LIKE's ESCAPE and autoescape, and the errors for the backends' size limits.
#include "support/backends.hpp"
#include "support/matchers.hpp"

#include <alchemy/alchemy.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace sa = alchemy;

namespace hostile {

struct Person {
    std::int64_t id = 0;
    std::string name{};
    std::optional<std::string> note{};
    std::vector<std::byte> data{};
};

/// The table the injection attempts try to drop.
struct Victim {
    std::int64_t id = 0;
    std::string login{};
};

/// A model whose primary key is text, for Session.get() and merge() by a hostile key.
struct Keyed {
    std::string key{};
    std::string value{};
};

/// A text column with a btree index, for the index row size limit.
struct Coded {
    std::int64_t id = 0;
    std::string code{};
};

}  // namespace hostile

template <>
inline constexpr auto sa::mapping<hostile::Person> = sa::table("hv_people");
template <>
inline constexpr auto sa::mapping<hostile::Victim> = sa::table("users");
template <>
inline constexpr auto sa::mapping<hostile::Keyed> =
    sa::table("hv_keyed", sa::primary_key(&hostile::Keyed::key));
template <>
inline constexpr auto sa::mapping<hostile::Coded> = sa::table("hv_coded", sa::index(&hostile::Coded::code));

namespace {

using hostile::Coded;
using hostile::Keyed;
using hostile::Person;
using hostile::Victim;

constexpr auto id = sa::col<&Person::id>;
constexpr auto name = sa::col<&Person::name>;
constexpr auto note = sa::col<&Person::note>;
constexpr auto data = sa::col<&Person::data>;

/// 200 000+ characters of quotes, backslashes, semicolons, comment markers and emoji.
std::string long_string() {
    std::string s;
    for (int i = 0; s.size() < 200'000; ++i) s += "x'y\"z\\;--/*%_🎉" + std::to_string(i) + "'); ";
    return s;
}

/// Distinct hostile strings (no NUL bytes: those have a test of their own).
const std::vector<std::string>& hostile_strings() {
    static const std::vector<std::string> values{
        "O'Brien",
        "''",
        "'",
        "'); DROP TABLE users;--",
        "\"; DROP TABLE \"users\"; --",
        "Robert'); DELETE FROM hv_people WHERE ('1' = '1",
        "' OR '1'='1",
        "back\\slash \\' \\\\ \\n \\",
        "100% _done_ \\% \\_",
        ":name :id $1 $2 ?1 ? @p %s {}",
        "-- line comment\n/* block */ ; COMMIT; ROLLBACK;",
        "tab\there\r\nnewline \x1b[31m bell\a",
        "emoji 🎉👩‍👩‍👧‍👦 🇺🇦 𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
        "RTL: שלום עולם مرحبا بالعالم \u202Eevil\u202C",
        "combining: e\u0301 n\u0303 Z\u0324\u0354\u0367\u0311\u0313 \u200B\uFEFF",
        "",
        long_string(),
    };
    return values;
}

/// Values that hold no LIKE wildcard or escape character, so each is a LIKE pattern that
/// matches only itself on both backends.
bool plain_like_pattern(const std::string& v) { return v.find_first_of("%_\\") == std::string::npos; }

void create_tables(sa::Engine& engine, sa::Connection& conn) {
    sa::metadata<Person, Victim>().create_all(engine);
    conn.execute(sa::insert<Victim>().values(
        std::vector<Victim>{{.login = "alice"}, {.login = "bob"}, {.login = "carol"}}));
}

std::int64_t people_count(sa::Connection& conn) {
    return conn.execute(sa::text("SELECT count(*) FROM hv_people").columns<std::int64_t>()).scalar_one();
}

/// The injection targets are still there, with their rows.
void check_tables_intact(sa::Connection& conn, std::int64_t people) {
    CHECK(conn.execute(sa::text("SELECT count(*) FROM users").columns<std::int64_t>()).scalar_one() == 3);
    CHECK(conn.execute(sa::select<Victim>()).all().size() == 3);
    CHECK(people_count(conn) == people);
}

/// Inserts one row per hostile string; the ids in the same order.
std::vector<std::int64_t> insert_hostile_people(sa::Connection& conn) {
    std::vector<Person> people;
    for (const auto& v : hostile_strings()) people.push_back({.name = v, .note = v, .data = {}});
    auto ids = conn.execute(sa::insert<Person>().values(people).returning(id)).all();
    REQUIRE(ids.size() == hostile_strings().size());
    return ids;
}

std::vector<std::byte> bytes(std::initializer_list<int> values) {
    std::vector<std::byte> out;
    for (int v : values) out.push_back(static_cast<std::byte>(v));
    return out;
}

}  // namespace

TEST_CASE("hostile strings round-trip unchanged as inserted values", "[sql]") {
    auto backend = GENERATE(from_range(sa::test::backends()));
    auto engine = backend.engine();
    auto conn = engine.connect();
    create_tables(engine, conn);
    const auto& values = hostile_strings();

    SECTION("inserted as objects, in one batch") {
        const auto ids = insert_hostile_people(conn);
        for (std::size_t i = 0; i < values.size(); ++i) {
            const auto row = conn.execute(sa::select<Person>().where(id == ids[i])).one();
            CHECK(row.name == values[i]);
            CHECK(row.note == values[i]);
            CHECK(row.name.size() == values[i].size());
        }
        check_tables_intact(conn, static_cast<std::int64_t>(values.size()));
    }

    SECTION("inserted one object per statement") {
        for (const auto& v : values) {
            const auto new_id =
                conn.execute(sa::insert<Person>().values(Person{.name = v, .note = v}).returning(id))
                    .scalar_one();
            const auto row = conn.execute(sa::select(name, note).where(id == new_id)).one();
            CHECK(std::get<0>(row) == v);
            CHECK(std::get<1>(row) == v);
        }
        check_tables_intact(conn, static_cast<std::int64_t>(values.size()));
    }

    SECTION("inserted through text() with named parameters") {
        for (const auto& v : values) {
            conn.execute(sa::text("INSERT INTO hv_people (name, note, data) VALUES (:name, :name, :data)")
                             .bind("name", v)
                             .bind("data", std::vector<std::byte>{}));
        }
        auto rows = conn.execute(sa::select(name, note).order_by(id.asc())).all();
        REQUIRE(rows.size() == values.size());
        for (std::size_t i = 0; i < values.size(); ++i) {
            CHECK(std::get<0>(rows[i]) == values[i]);
            CHECK(std::get<1>(rows[i]) == values[i]);
        }
        check_tables_intact(conn, static_cast<std::int64_t>(values.size()));
    }
}

TEST_CASE("a hostile string as a WHERE value matches exactly the row that holds it", "[sql]") {
    auto backend = GENERATE(from_range(sa::test::backends()));
    auto engine = backend.engine();
    auto conn = engine.connect();
    create_tables(engine, conn);
    const auto& values = hostile_strings();
    const auto ids = insert_hostile_people(conn);
    const auto n = static_cast<std::int64_t>(values.size());

    for (std::size_t i = 0; i < values.size(); ++i) {
        const auto& v = values[i];
        CHECK(conn.execute(sa::select(id).where(name == v)).all() == std::vector{ids[i]});
        CHECK(conn.execute(sa::select(id).where(note == v && name == v)).all() == std::vector{ids[i]});
        CHECK(conn.execute(sa::select(id).where(name != v)).all().size() == values.size() - 1);
        CHECK(conn.execute(sa::select(id).where(name.not_in(std::vector{v}))).all().size() ==
              values.size() - 1);
        // text() binds the same way.
        CHECK(conn.execute(sa::text("SELECT id FROM hv_people WHERE name = :v AND note = :v")
                               .bind("v", v)
                               .columns<std::int64_t>())
                  .scalar_one() == ids[i]);
    }
    // Every hostile string at once in an IN list.
    CHECK(conn.execute(sa::select(id).where(name.in_(values))).all().size() == values.size());
    check_tables_intact(conn, n);
}

TEST_CASE("a hostile string without wildcards is a LIKE pattern matching only itself", "[sql]") {
    auto backend = GENERATE(from_range(sa::test::backends()));
    auto engine = backend.engine();
    auto conn = engine.connect();
    create_tables(engine, conn);
    const auto& values = hostile_strings();
    const auto ids = insert_hostile_people(conn);

    std::size_t patterns = 0;
    for (std::size_t i = 0; i < values.size(); ++i) {
        const auto& v = values[i];
        if (!plain_like_pattern(v) || v.empty()) continue;
        ++patterns;
        CHECK(conn.execute(sa::select(id).where(name.like(v))).all() == std::vector{ids[i]});
        CHECK(conn.execute(sa::select(id).where(name.not_like(v))).all().size() == values.size() - 1);
        // Wrapped in % it matches its own row and only rows that contain it.
        const auto around = conn.execute(sa::select(name).where(name.like("%" + v + "%"))).all();
        CHECK(std::find(around.begin(), around.end(), v) != around.end());
        for (const auto& found : around) CHECK(found.find(v) != std::string::npos);
    }
    CHECK(patterns >= 8);
    check_tables_intact(conn, static_cast<std::int64_t>(values.size()));
}

TEST_CASE("percent and underscore in a LIKE pattern are wildcards, backslash escapes on both backends",
          "[sql]") {
    auto backend = GENERATE(from_range(sa::test::backends()));
    auto engine = backend.engine();
    auto conn = engine.connect();
    create_tables(engine, conn);
    const std::vector<std::string> names{
        "100%", "100 percent", "a_b", "axb", "back\\slash", "back\\\\slash", "backslash",
    };
    for (const auto& v : names) conn.execute(sa::insert<Person>().values(Person{.name = v}));

    auto matching = [&](const std::string& pattern) {
        auto rows = conn.execute(sa::select(name).where(name.like(pattern)).order_by(name.asc())).all();
        std::sort(rows.begin(), rows.end());
        return rows;
    };
    using names_t = std::vector<std::string>;

    // % and _ are wildcards on both backends.
    CHECK(matching("100%") == names_t{"100 percent", "100%"});
    CHECK(matching("a_b") == names_t{"a_b", "axb"});
    CHECK(matching("%").size() == names.size());
    CHECK(conn.execute(sa::select(name).where(name.not_like("100%"))).all().size() == names.size() - 2);
    CHECK(conn.execute(sa::select(name).where(name.ilike("BACK%"))).all().size() == 3);

    // A backslash in the pattern escapes the next character on both backends: alchemy
    // always sends ESCAPE '\' (bound), which is PostgreSQL's default and which SQLite
    // would otherwise lack.
    CHECK(matching("%\\%") == names_t{"100%"});                  // \% is a literal %
    CHECK(matching("a\\_b") == names_t{"a_b"});                  // \_ is a literal _
    CHECK(matching("back\\\\slash") == names_t{"back\\slash"});  // \\ is one backslash
    CHECK(matching("b\\ack%") == names_t{"back\\\\slash", "back\\slash", "backslash"});  // \a: a literal a
    check_tables_intact(conn, static_cast<std::int64_t>(names.size()));
}

TEST_CASE("a hostile string as an UPDATE SET value is stored unchanged", "[sql]") {
    auto backend = GENERATE(from_range(sa::test::backends()));
    auto engine = backend.engine();
    auto conn = engine.connect();
    create_tables(engine, conn);
    const auto& values = hostile_strings();
    const auto target =
        conn.execute(sa::insert<Person>().values(Person{.name = "plain"}).returning(id)).scalar_one();
    conn.execute(sa::insert<Person>().values(Person{.name = "bystander", .note = "untouched"}));

    for (const auto& v : values) {
        const auto returned =
            conn.execute(
                    sa::update<Person>().values(name = v, note = v).where(id == target).returning(name, note))
                .all();
        REQUIRE(returned.size() == 1);
        CHECK(std::get<0>(returned[0]) == v);
        CHECK(std::get<1>(returned[0]) == v);
        const auto row = conn.execute(sa::select<Person>().where(id == target)).one();
        CHECK(row.name == v);
        CHECK(row.note == v);
        // The value also selects the row it was written to, and only that row.
        CHECK(conn.execute(sa::select(id).where(name == v)).all() == std::vector{target});
    }
    // UPDATE whose WHERE is a hostile value: touches only rows equal to it.
    const auto touched = conn.execute(sa::update<Person>()
                                          .values(note = std::string("hit"))
                                          .where(name == values.back())
                                          .returning(id))
                             .all();
    CHECK(touched == std::vector{target});
    const auto bystander = conn.execute(sa::select<Person>().where(name == "bystander")).one();
    CHECK(bystander.note == "untouched");
    check_tables_intact(conn, 2);
}

TEST_CASE("a hostile string as a DELETE WHERE value deletes only the row equal to it", "[sql]") {
    auto backend = GENERATE(from_range(sa::test::backends()));
    auto engine = backend.engine();
    auto conn = engine.connect();
    create_tables(engine, conn);
    const auto& values = hostile_strings();
    const auto ids = insert_hostile_people(conn);
    auto remaining = static_cast<std::int64_t>(values.size());
    for (std::size_t i = 0; i < values.size(); ++i) {
        const auto deleted = conn.execute(sa::delete_<Person>().where(name == values[i]).returning(id)).all();
        CHECK(deleted == std::vector{ids[i]});
        check_tables_intact(conn, --remaining);
    }
}

TEST_CASE("the SQL text never holds a bound value: two hostile values render identical SQL", "[sql]") {
    const auto& sqlite = sa::driver_for(sa::make_url("sqlite://")).dialect();
    const auto& pg = sa::driver_for(sa::make_url("postgresql://h/db")).dialect();
    const auto& values = hostile_strings();
    const std::string a = "'); DROP TABLE users;--";
    const std::string b = values.back();  // the long one

    for (const sa::Dialect* d : {&sqlite, &pg}) {
        auto same = [&](const std::string& sql_a, const std::string& sql_b) {
            CHECK(sql_a == sql_b);
            CHECK(sql_a.find("DROP") == std::string::npos);
            CHECK(sql_a.find("'") == std::string::npos);  // no string literal at all
            CHECK(sql_b.size() < 300);
        };
        same(sa::select(id).where(name == a).sql(*d), sa::select(id).where(name == b).sql(*d));
        same(sa::select(id).where(name.like(a)).sql(*d), sa::select(id).where(name.like(b)).sql(*d));
        same(sa::select(id).where(name.in_(a, "x")).sql(*d), sa::select(id).where(name.in_(b, "y")).sql(*d));
        same(sa::update<Person>().values(name = a).where(note == a).sql(*d),
             sa::update<Person>().values(name = b).where(note == b).sql(*d));
        same(sa::delete_<Person>().where(name == a).returning(id).sql(*d),
             sa::delete_<Person>().where(name == b).returning(id).sql(*d));
        same(sa::insert<Person>().values(Person{.name = a, .note = a}).sql(*d),
             sa::insert<Person>().values(Person{.name = b, .note = b}).sql(*d));
        same(
            sa::insert<Person>().values(std::vector{Person{.id = 7, .name = a}}).returning(id, name).sql(*d),
            sa::insert<Person>().values(std::vector{Person{.id = 8, .name = b}}).returning(id, name).sql(*d));
        same(sa::text("SELECT id FROM hv_people WHERE name = :v").bind("v", a).sql(*d),
             sa::text("SELECT id FROM hv_people WHERE name = :v").bind("v", b).sql(*d));
        for (const auto& v : values) {
            if (v.size() < 2) continue;  // "" and "'" are checked by the no-literal rule above
            const auto sql = sa::select<Person>().where(name == v || note.like(v)).sql(*d);
            CHECK(sql.find(v) == std::string::npos);
            CHECK(sql == sa::select<Person>().where(name == a || note.like(a)).sql(*d));
        }
    }
}

TEST_CASE(
    "a NUL byte in text round-trips on SQLite and is a DataError on PostgreSQL, in a blob it works on both",
    "[sql]") {
    auto backend = GENERATE(from_range(sa::test::backends()));
    auto engine = backend.engine();
    auto conn = engine.connect();
    create_tables(engine, conn);
    const std::string nul("a\0b'); DROP TABLE users;--\0", 27);
    REQUIRE(nul.size() == 27);
    const auto blob = bytes({0, 'x', 0, 0xff, 0, '\'', 0, 0});
    const auto other =
        conn.execute(sa::insert<Person>().values(Person{.name = "a"}).returning(id)).scalar_one();

    SECTION("blobs with NUL bytes round-trip and compare on both backends") {
        const auto new_id =
            conn.execute(sa::insert<Person>().values(Person{.name = "blob", .data = blob}).returning(id))
                .scalar_one();
        CHECK(conn.execute(sa::select(data).where(id == new_id)).scalar_one() == blob);
        CHECK(conn.execute(sa::select(id).where(data == blob)).all() == std::vector{new_id});
        const auto changed = bytes({0, 0, 0});
        CHECK(conn.execute(sa::update<Person>().values(data = changed).where(data == blob).returning(data))
                  .scalar_one() == changed);
        CHECK(conn.execute(sa::text("SELECT data FROM hv_people WHERE data = :d")
                               .bind("d", changed)
                               .columns<std::vector<std::byte>>())
                  .scalar_one() == changed);
        check_tables_intact(conn, 2);
    }

    if (backend.is_sqlite()) {
        SECTION("SQLite stores text with NUL bytes whole") {
            const auto new_id =
                conn.execute(sa::insert<Person>().values(Person{.name = nul, .note = nul}).returning(id))
                    .scalar_one();
            const auto row = conn.execute(sa::select<Person>().where(id == new_id)).one();
            CHECK(row.name == nul);
            CHECK(row.name.size() == 27);
            CHECK(row.note == nul);
            // Compared whole, not cut at the first NUL.
            CHECK(conn.execute(sa::select(id).where(name == nul)).all() == std::vector{new_id});
            CHECK(conn.execute(sa::select(id).where(name == "a")).all() == std::vector{other});
            const auto updated = nul + std::string("\0tail", 5);
            CHECK(conn.execute(sa::update<Person>().values(name = updated).where(name == nul).returning(name))
                      .scalar_one() == updated);
            CHECK(conn.execute(sa::text("SELECT name FROM hv_people WHERE name = :v")
                                   .bind("v", updated)
                                   .columns<std::string>())
                      .scalar_one() == updated);
            check_tables_intact(conn, 2);
        }
    } else {
        SECTION("PostgreSQL refuses text with NUL bytes with a DataError, before anything runs") {
            using sa::test::MessageContains;
            REQUIRE_THROWS_MATCHES(conn.execute(sa::insert<Person>().values(Person{.name = nul})),
                                   sa::DataError, MessageContains("contains a NUL byte"));
            REQUIRE_THROWS_MATCHES(conn.execute(sa::select(id).where(name == nul)).all(), sa::DataError,
                                   MessageContains("contains a NUL byte"));
            REQUIRE_THROWS_MATCHES(conn.execute(sa::update<Person>().values(name = nul).where(id == other)),
                                   sa::DataError, MessageContains("contains a NUL byte"));
            REQUIRE_THROWS_MATCHES(
                conn.execute(sa::text("SELECT id FROM hv_people WHERE name = :v").bind("v", nul)),
                sa::DataError, MessageContains("contains a NUL byte"));
            try {
                conn.execute(sa::insert<Person>().values(Person{.name = "ok", .note = nul, .data = blob}));
                FAIL("a NUL byte in a text parameter was accepted");
            } catch (const sa::DataError& e) {
                CHECK(e.sqlstate() == "22021");
                CHECK_THAT(std::string(e.what()), Catch::Contains("$2"));  // the parameter it is in
            }
            // The connection and its transaction are still usable; nothing was written.
            CHECK(conn.execute(sa::select<Person>().where(id == other)).one().name == "a");
            check_tables_intact(conn, 1);
        }
    }
}

// A C buffer holding "bob" binds as "bob", not with its unused NUL bytes, through text()
// as through the typed API.
TEST_CASE("a char buffer bound through text() is bound up to its terminating NUL, as the typed API binds it",
          "[sql]") {
    auto backend = GENERATE(from_range(sa::test::backends()));
    auto engine = backend.engine();
    auto conn = engine.connect();
    create_tables(engine, conn);
    char buffer[16] = {'b', 'o', 'b'};
    conn.execute(sa::insert<Person>().values(Person{.name = "typed"}));
    conn.execute(sa::update<Person>().values(name = buffer));
    CHECK(conn.execute(sa::select(name)).scalar_one() == "bob");

    conn.execute(sa::text("UPDATE hv_people SET name = :n").bind("n", buffer));
    const auto stored = conn.execute(sa::select(name)).scalar_one();
    CHECK(stored == "bob");
    CHECK(stored.size() == 3);
}

namespace {

/// `size` bytes of printable ASCII that do not compress (PostgreSQL compresses long text,
/// which would let a repetitive 1 MB value fit where this one must not).
std::string incompressible(std::size_t size) {
    std::mt19937_64 random(16);
    std::string s(size, ' ');
    for (auto& c : s) c = static_cast<char>(' ' + random() % 95);
    return s;
}

/// What the corpus adds to hostile_strings(): NUL bytes, byte sequences that are not
/// UTF-8 (a lone continuation byte, a cut 2-byte character, a UTF-16 surrogate, an
/// overlong '/', a byte no UTF-8 has), and 1 MB with quotes, backslashes and emoji at both
/// ends of incompressible text.
const std::vector<std::string>& corpus() {
    static const std::vector<std::string> values = [] {
        auto all = hostile_strings();
        all.push_back(std::string("a\0b'); DROP TABLE users;--\0", 27));
        all.push_back(std::string(1, '\0'));
        all.push_back("\x80 lone continuation");
        all.push_back("cut \xC3");
        all.push_back("surrogate \xED\xA0\x80");
        all.push_back("overlong \xC0\xAF");
        all.push_back("\xFF\xFE");
        all.push_back("'\\🎉" + incompressible(1 << 20) + "🎉\\'");
        return all;
    }();
    return values;
}

bool has_nul(std::string_view v) { return v.find('\0') != std::string_view::npos; }
bool is_utf8(std::string_view v) {
    // The same check as the PostgreSQL driver's, restated: the corpus marks its own
    // non-UTF-8 entries, all of which announce themselves in their first bytes.
    return !(v.starts_with("\x80") || v.starts_with("cut ") || v.starts_with("surrogate ") ||
             v.starts_with("overlong ") || v.starts_with("\xFF"));
}

enum class Outcome { stored, refused_nul, refused_utf8, over_index_limit };

/// What `v` in a position must do: PostgreSQL refuses NUL and non-UTF-8 text before
/// sending, and a key longer than a btree index row (2704 bytes) after; anything else
/// round-trips.
Outcome expected(const sa::test::Backend& backend, std::string_view v, bool indexed) {
    if (backend.is_sqlite()) return Outcome::stored;
    if (has_nul(v)) return Outcome::refused_nul;
    if (!is_utf8(v)) return Outcome::refused_utf8;
    if (indexed && v.size() > 2704) return Outcome::over_index_limit;
    return Outcome::stored;
}

/// The statement `make(v)` renders the same SQL as `make("x")`: the value is bound.
template <class Make>
void check_same_sql(const sa::Connection& conn, const std::string& v, Make make) {
    const auto sql = make(v).sql(conn.dialect());
    CHECK(sql == make(std::string("x")).sql(conn.dialect()));
    if (v.size() > 1) CHECK(sql.find(v) == std::string::npos);
}

struct Position {
    std::string_view name;
    bool indexed;  ///< the value goes into a primary key
    std::function<void(sa::Engine&, const std::string&)> run;
};

std::int64_t insert_plain(sa::Engine& engine) {
    auto conn = engine.connect();
    const auto new_id =
        conn.execute(sa::insert<Person>().values(Person{.name = "plain"}).returning(id)).scalar_one();
    conn.commit();
    return new_id;
}

/// The row `row_id` holds `v` in name and note.
void check_stored(sa::Engine& engine, std::int64_t row_id, const std::string& v) {
    auto conn = engine.connect();
    const auto row = conn.execute(sa::select<Person>().where(id == row_id)).one();
    CHECK(row.name == v);
    CHECK(row.name.size() == v.size());
    CHECK(row.note == v);
}

const std::vector<Position>& positions() {
    static const std::vector<Position> all{
        {"Core insert().values(object)", false,
         [](sa::Engine& engine, const std::string& v) {
             auto conn = engine.connect();
             auto make = [](const std::string& x) {
                 return sa::insert<Person>().values(Person{.name = x, .note = x}).returning(id);
             };
             check_same_sql(conn, v, make);
             const auto new_id = conn.execute(make(v)).scalar_one();
             conn.commit();
             check_stored(engine, new_id, v);
         }},
        {"Core insert().values(vector), several rows", false,
         [](sa::Engine& engine, const std::string& v) {
             auto conn = engine.connect();
             auto make = [](const std::string& x) {
                 return sa::insert<Person>()
                     .values(std::vector<Person>{{.name = "first"}, {.name = x, .note = x}})
                     .returning(id);
             };
             check_same_sql(conn, v, make);
             const auto ids = conn.execute(make(v)).all();
             conn.commit();
             REQUIRE(ids.size() == 2);
             check_stored(engine, ids[1], v);
         }},
        {"sa::bulk_insert", false,
         [](sa::Engine& engine, const std::string& v) {
             auto conn = engine.connect();
             const auto inserted = sa::bulk_insert(conn, std::vector<Person>{{.name = v, .note = v}});
             CHECK(inserted == 1);
             conn.commit();
             const auto ids = conn.execute(sa::select(id).where(note == v)).all();
             REQUIRE(ids.size() == 1);
             check_stored(engine, ids[0], v);
         }},
        {"Core update().values()", false,
         [](sa::Engine& engine, const std::string& v) {
             const auto target = insert_plain(engine);
             auto conn = engine.connect();
             auto make = [&](const std::string& x) {
                 return sa::update<Person>().values(name = x, note = x).where(id == target).returning(name);
             };
             check_same_sql(conn, v, make);
             const auto returned = conn.execute(make(v)).scalar_one();
             CHECK(returned == v);
             conn.commit();
             check_stored(engine, target, v);
         }},
        {"Session query().update()", false,
         [](sa::Engine& engine, const std::string& v) {
             const auto target = insert_plain(engine);
             sa::Session session(engine);
             const auto loaded = session.get<Person>(target);
             REQUIRE(loaded);
             const auto updated = session.query<Person>()
                                      .filter(id == target)
                                      .update(name = v, note = std::optional<std::string>(v));
             CHECK(updated == 1);
             CHECK(loaded->name == v);  // synchronized in the identity map
             session.commit();
             check_stored(engine, target, v);
         }},
        {"where ==, != and in_()", false,
         [](sa::Engine& engine, const std::string& v) {
             auto conn = engine.connect();
             check_same_sql(
                 conn, v, [](const std::string& x) { return sa::select(id).where(name == x || name != x); });
             // Before the row exists, so that a refusal comes from the WHERE value.
             const auto before = conn.execute(sa::select(id).where(name == v)).all();
             CHECK(before.empty());
             const auto others = conn.execute(sa::select(id)).all().size();
             const auto new_id =
                 conn.execute(sa::insert<Person>().values(Person{.name = v, .note = v}).returning(id))
                     .scalar_one();
             CHECK(conn.execute(sa::select(id).where(name == v)).all() == std::vector{new_id});
             CHECK(conn.execute(sa::select(id).where(name != v)).all().size() == others);
             CHECK(conn.execute(sa::select(id).where(name.in_(std::vector<std::string>{"x", v}))).all() ==
                   std::vector{new_id});
             conn.commit();
         }},
        {"text() binds", false,
         [](sa::Engine& engine, const std::string& v) {
             auto conn = engine.connect();
             check_same_sql(conn, v, [](const std::string& x) {
                 return sa::text("SELECT id FROM hv_people WHERE name = :v").bind("v", x);
             });
             conn.execute(sa::text("INSERT INTO hv_people (name, note, data) VALUES (:v, :v, :d)")
                              .bind("v", v)
                              .bind("d", std::vector<std::byte>{}));
             const auto new_id =
                 conn.execute(sa::text("SELECT id FROM hv_people WHERE name = :v AND note = :v")
                                  .bind("v", v)
                                  .columns<std::int64_t>())
                     .scalar_one();
             conn.commit();
             check_stored(engine, new_id, v);
         }},
        {"upsert: insert ... on_conflict_do_update", false,
         [](sa::Engine& engine, const std::string& v) {
             const auto target = insert_plain(engine);
             auto conn = engine.connect();
             auto make = [&](const std::string& x) {
                 return sa::insert<Person>()
                     .values(Person{.id = target, .name = x, .note = "proposed"})
                     .on_conflict_do_update(id)
                     .set(name = sa::excluded<&Person::name>, note = x)
                     .returning(name, note);
             };
             check_same_sql(conn, v, make);
             const auto returned = conn.execute(make(v)).one();
             CHECK(returned == std::tuple{v, std::optional<std::string>(v)});
             conn.commit();
             check_stored(engine, target, v);
         }},
        {"Session add() + flush", false,
         [](sa::Engine& engine, const std::string& v) {
             sa::Session session(engine);
             const auto added = session.add(Person{.name = v, .note = v});
             session.flush();
             CHECK(added->id != 0);
             session.commit();
             check_stored(engine, added->id, v);
         }},
        {"Session change + flush", false,
         [](sa::Engine& engine, const std::string& v) {
             const auto target = insert_plain(engine);
             sa::Session session(engine);
             const auto loaded = session.get<Person>(target);
             REQUIRE(loaded);
             loaded->name = v;
             loaded->note = v;
             session.flush();
             session.commit();
             check_stored(engine, target, v);
         }},
        {"Session merge() and get() by a text primary key", true,
         [](sa::Engine& engine, const std::string& v) {
             {
                 sa::Session session(engine);
                 const auto absent = session.get<Keyed>(v);
                 CHECK(absent == nullptr);
                 session.merge(Keyed{.key = v, .value = v});
                 session.commit();
             }
             {
                 sa::Session session(engine);
                 const auto found = session.get<Keyed>(v);
                 REQUIRE(found);
                 CHECK(found->key == v);
                 CHECK(found->value == v);
                 session.merge(Keyed{.key = v, .value = "merged"});
                 session.commit();
             }
             auto conn = engine.connect();
             CHECK(conn.execute(sa::select(sa::col<&Keyed::value>).where(sa::col<&Keyed::key> == v)).all() ==
                   std::vector<std::string>{"merged"});
         }},
    };
    return all;
}

}  // namespace

TEST_CASE("the hostile corpus through every value position round-trips or is refused, typed, before sending",
          "[sql]") {
    using sa::test::MessageContains;
    auto backend = GENERATE(from_range(sa::test::backends()));
    auto engine = backend.engine();
    sa::metadata<Person, Victim, Keyed>().create_all(engine);
    {
        auto conn = engine.connect();
        conn.execute(sa::insert<Victim>().values(
            std::vector<Victim>{{.login = "alice"}, {.login = "bob"}, {.login = "carol"}}));
        conn.commit();
    }
    const auto& values = corpus();
    std::size_t stored = 0, refused = 0, limited = 0;

    for (const auto& position : positions()) {
        for (std::size_t i = 0; i < values.size(); ++i) {
            const auto& v = values[i];
            INFO(backend.name << ": " << position.name << ", value #" << i << " (" << v.size() << " bytes)");
            {
                auto conn = engine.connect();
                conn.execute(sa::delete_<Person>());
                conn.execute(sa::delete_<Keyed>());
                conn.commit();
            }
            switch (expected(backend, v, position.indexed)) {
            case Outcome::stored:
                position.run(engine, v);
                ++stored;
                break;
            case Outcome::refused_nul:
                CHECK_THROWS_MATCHES(position.run(engine, v), sa::DataError, MessageContains("NUL byte"));
                ++refused;
                break;
            case Outcome::refused_utf8:
                CHECK_THROWS_MATCHES(position.run(engine, v), sa::DataError,
                                     MessageContains("not valid UTF-8"));
                ++refused;
                break;
            case Outcome::over_index_limit:
                CHECK_THROWS_MATCHES(position.run(engine, v), sa::ProgramLimitExceeded,
                                     MessageContains("maximum"));
                ++limited;
                break;
            }
            auto conn = engine.connect();
            CHECK(conn.execute(sa::text("SELECT count(*) FROM users").columns<std::int64_t>()).scalar_one() ==
                  3);
        }
    }
    // Refused before sending: on the same connection, in the same transaction, the next
    // statement runs (had the server seen the value, PostgreSQL would have aborted the
    // transaction, and the count below would fail with InternalError).
    if (backend.is_postgresql()) {
        auto conn = engine.connect();
        conn.execute(sa::insert<Person>().values(Person{.name = "kept"}));
        for (const auto& v : values) {
            if (expected(backend, v, false) == Outcome::stored) continue;
            CHECK_THROWS_AS(conn.execute(sa::insert<Person>().values(Person{.name = v})), sa::DataError);
            CHECK_THROWS_AS(conn.execute(sa::select(id).where(note == v)).all(), sa::DataError);
            CHECK_THROWS_AS(conn.execute(sa::text("SELECT 1 WHERE :v = ''").bind("v", v)), sa::DataError);
            CHECK(people_count(conn) == 1);
        }
    }
    WARN(backend.name << ": " << values.size() << " values x " << positions().size()
                      << " positions = " << values.size() * positions().size() << " checks: " << stored
                      << " stored and read back, " << refused << " refused before sending (DataError), "
                      << limited << " over the btree index row limit (ProgramLimitExceeded)");
    CHECK(stored + refused + limited == values.size() * positions().size());
}

TEST_CASE("autoescape and an explicit escape character make LIKE match user text literally", "[sql]") {
    using names_t = std::vector<std::string>;
    auto backend = GENERATE(from_range(sa::test::backends()));
    auto engine = backend.engine();
    auto conn = engine.connect();
    create_tables(engine, conn);
    const names_t names{"100%",          "100 percent", "a_b", "axb",     "back\\slash",
                        "back\\\\slash", "backslash",   "x!y", "50%_off!"};
    for (const auto& v : names) conn.execute(sa::insert<Person>().values(Person{.name = v}));
    auto matching = [&](const auto& criterion) {
        auto rows = conn.execute(sa::select(name).where(criterion)).all();
        std::sort(rows.begin(), rows.end());
        return rows;
    };

    // autoescape: %, _ and \ in the value match themselves.
    CHECK(matching(name.contains("%", sa::autoescape)) == names_t{"100%", "50%_off!"});
    CHECK(matching(name.contains("_", sa::autoescape)) == names_t{"50%_off!", "a_b"});
    CHECK(matching(name.contains("\\", sa::autoescape)) == names_t{"back\\\\slash", "back\\slash"});
    CHECK(matching(name.contains("\\\\", sa::autoescape)) == names_t{"back\\\\slash"});
    CHECK(matching(name.startswith("100%", sa::autoescape)) == names_t{"100%"});
    CHECK(matching(name.endswith("%_off!", sa::autoescape)) == names_t{"50%_off!"});
    CHECK(matching(name.startswith("back\\s", sa::autoescape)) == names_t{"back\\slash"});
    // Without it, as in SQLAlchemy, they are wildcards.
    CHECK(matching(name.contains("_")).size() == names.size());
    CHECK(matching(name.startswith("100%")) == names_t{"100 percent", "100%"});
    CHECK(matching(name.endswith("_b")) == names_t{"a_b", "axb"});
    // Another escape character: ! escapes, \ is ordinary.
    CHECK(matching(name.like("a!_b", '!')) == names_t{"a_b"});
    CHECK(matching(name.like("%!%%", '!')) == names_t{"100%", "50%_off!"});
    CHECK(matching(name.like("%!!", '!')) == names_t{"50%_off!"});
    CHECK(matching(name.like("back\\slash", '!')) == names_t{"back\\slash"});
    CHECK(matching(name.not_ilike("%!%%", '!')).size() == names.size() - 2);

    // Each hostile string, autoescaped, finds its own row, and only rows that hold it.
    const auto ids = insert_hostile_people(conn);
    const auto& values = hostile_strings();
    for (std::size_t i = 0; i < values.size(); ++i) {
        const auto& v = values[i];
        if (v.empty() || v.size() > 10'000) continue;  // the long one: see the pattern limit test
        const auto contained =
            conn.execute(sa::select(id, name).where(name.contains(v, sa::autoescape))).all();
        CHECK(std::find(contained.begin(), contained.end(), std::tuple{ids[i], v}) != contained.end());
        for (const auto& [found_id, found] : contained) CHECK(found.find(v) != std::string::npos);
        const auto framed = conn.execute(sa::select(id, name).where(name.startswith(v, sa::autoescape) &&
                                                                    name.endswith(v, sa::autoescape)))
                                .all();
        CHECK(std::find(framed.begin(), framed.end(), std::tuple{ids[i], v}) != framed.end());
        for (const auto& [found_id, found] : framed) CHECK((found.starts_with(v) && found.ends_with(v)));
    }
    check_tables_intact(conn, static_cast<std::int64_t>(names.size() + values.size()));
}

TEST_CASE("a LIKE pattern with a NUL byte or a dangling escape character is a DataError before sending",
          "[sql]") {
    using sa::test::MessageContains;
    auto backend = GENERATE(from_range(sa::test::backends()));
    auto engine = backend.engine();
    auto conn = engine.connect();
    create_tables(engine, conn);
    // On SQLite this row would match the pattern "\0...": SQLite reads a pattern up to its
    // first NUL, so the pattern would be empty and match an empty-looking value.
    if (backend.is_sqlite()) conn.execute(sa::insert<Person>().values(Person{.name = std::string("\0x", 2)}));
    conn.execute(sa::insert<Person>().values(Person{.name = "ends with \\"}));
    const auto rows = people_count(conn);

    const std::string nul("\0x", 2);
    REQUIRE_THROWS_MATCHES(conn.execute(sa::select(id).where(name.like(nul))).all(), sa::DataError,
                           MessageContains("LIKE pattern contains a NUL byte (at byte 0)"));
    REQUIRE_THROWS_MATCHES(conn.execute(sa::select(id).where(name.ilike("a" + nul))).all(), sa::DataError,
                           MessageContains("at byte 1"));
    REQUIRE_THROWS_MATCHES(conn.execute(sa::select(id).where(name.contains(nul, sa::autoescape))).all(),
                           sa::DataError, MessageContains("NUL byte"));
    REQUIRE_THROWS_MATCHES(conn.execute(sa::update<Person>().values(note = "hit").where(name.not_like(nul))),
                           sa::DataError, MessageContains("NUL byte"));

    try {
        conn.execute(sa::select(id).where(name.like("ends with \\"))).all();
        FAIL("a pattern ending in its escape character was accepted");
    } catch (const sa::DataError& e) {
        CHECK(e.sqlstate() == "22025");
        CHECK_THAT(std::string(e.what()), Catch::Contains("ends with its escape character"));
    }
    REQUIRE_THROWS_AS(conn.execute(sa::select(id).where(name.like("50!", '!'))).all(), sa::DataError);
    // Doubled, the escape character is literal; autoescape doubles it.
    CHECK(conn.execute(sa::select(id).where(name.like("ends with \\\\"))).all().size() == 1);
    CHECK(conn.execute(sa::select(id).where(name.endswith("with \\", sa::autoescape))).all().size() == 1);
    // Nothing was sent: PostgreSQL would have aborted the transaction.
    CHECK(people_count(conn) == rows);
    CHECK(conn.execute(sa::select(id).where(note == "hit")).all().empty());
    check_tables_intact(conn, rows);
}

TEST_CASE("values past a backend's limit fail with ProgramLimitExceeded naming the limit", "[sql]") {
    auto backend = GENERATE(from_range(sa::test::backends()));
    auto engine = backend.engine();
    sa::metadata<Person, Coded>().create_all(engine);
    const auto megabyte = incompressible(1 << 20);

    if (backend.is_sqlite()) {
        SECTION("SQLite: a LIKE pattern longer than 50 000 bytes") {
            auto conn = engine.connect();
            conn.execute(sa::insert<Person>().values(Person{.name = megabyte}));
            // At the limit it runs; past it, SQLite's "pattern too complex" gets its name.
            CHECK(conn.execute(sa::select(id).where(name.like(std::string(50'000, '%')))).all().size() == 1);
            for (const auto& pattern : {std::string(50'001, '_'), megabyte}) {
                try {
                    conn.execute(sa::select(id).where(name.like(pattern))).all();
                    FAIL("a LIKE pattern past SQLite's limit was accepted");
                } catch (const sa::ProgramLimitExceeded& e) {
                    CHECK(e.sqlstate() == "54000");
                    CHECK_THAT(std::string(e.what()),
                               Catch::Contains("LIKE or GLOB pattern too complex") &&
                                   Catch::Contains("SQLITE_LIMIT_LIKE_PATTERN_LENGTH = 50000 bytes"));
                }
            }
            CHECK_THROWS_AS(conn.execute(sa::select(id).where(name.contains(megabyte, sa::autoescape))).all(),
                            sa::ProgramLimitExceeded);
            CHECK(conn.execute(sa::select(id).where(name == megabyte)).all().size() == 1);
        }
        SECTION("SQLite: an indexed text column takes 1 MB") {
            auto conn = engine.connect();
            conn.execute(sa::insert<Coded>().values(Coded{.code = megabyte}));
            CHECK(conn.execute(sa::select(sa::col<&Coded::code>)).scalar_one() == megabyte);
        }
    } else {
        SECTION("PostgreSQL: a value too large for its btree index row") {
            auto conn = engine.connect();
            for (const auto& value : {incompressible(3000), megabyte}) {
                try {
                    conn.execute(sa::insert<Coded>().values(Coded{.code = value}));
                    FAIL("a value past the index row size was accepted");
                } catch (const sa::ProgramLimitExceeded& e) {
                    CHECK(e.sqlstate() == "54000");
                    CHECK_THAT(std::string(e.what()),
                               Catch::Contains("index row") && Catch::Contains("maximum"));
                    CHECK(dynamic_cast<const sa::OperationalError*>(&e) != nullptr);
                }
                conn.rollback();
            }
            // LIKE has no pattern limit on PostgreSQL.
            conn.execute(sa::insert<Person>().values(Person{.name = megabyte}));
            CHECK(conn.execute(sa::select(id).where(name.like(std::string(1 << 20, '_')))).all().size() == 1);
            CHECK(conn.execute(sa::select(id).where(name.contains(megabyte, sa::autoescape))).all().size() ==
                  1);
        }
    }
}
