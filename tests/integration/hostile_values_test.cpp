// Hostile values on both backends: quotes, SQL injection attempts, backslashes, NUL
// bytes, LIKE wildcards, unicode and very long strings go in as inserted values, WHERE
// comparison values, LIKE patterns, UPDATE SET values and text() bindings. Each comes
// back unchanged, the tables survive with their row counts, and the SQL text never
// holds a value: two statements that differ only in a value render identical SQL.
#include "support/backends.hpp"
#include "support/matchers.hpp"

#include <alchemy/alchemy.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
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

}  // namespace hostile

template <>
inline constexpr auto sa::mapping<hostile::Person> = sa::table("hv_people");
template <>
inline constexpr auto sa::mapping<hostile::Victim> = sa::table("users");

namespace {

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
                conn.execute(sa::insert<Person>().values(Person{.name = v, .note = v}).returning(id)).scalar_one();
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
        CHECK(conn.execute(sa::select(id).where(name.not_in(std::vector{v}))).all().size() == values.size() - 1);
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

TEST_CASE("percent and underscore in a LIKE pattern are wildcards, backslash escapes only on PostgreSQL",
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

    // A backslash in the pattern: the statement adds no ESCAPE clause, so each backend
    // applies its own default. PostgreSQL's LIKE escapes with \ ; SQLite's has no escape
    // character, so \ is an ordinary character there.
    if (backend.is_postgresql()) {
        CHECK(matching("%\\%") == names_t{"100%"});                // \% is a literal %
        CHECK(matching("a\\_b") == names_t{"a_b"});                // \_ is a literal _
        CHECK(matching("back\\\\slash") == names_t{"back\\slash"});  // \\ is one backslash
    } else {
        CHECK(matching("%\\%") == names_t{"back\\\\slash", "back\\slash"});  // any text holding a \ .
        CHECK(matching("a\\_b").empty());                                   // "a\" + one char + "b"
        CHECK(matching("back\\\\slash") == names_t{"back\\\\slash"});      // two literal backslashes
    }
    check_tables_intact(conn, static_cast<std::int64_t>(names.size()));
}

TEST_CASE("a hostile string as an UPDATE SET value is stored unchanged", "[sql]") {
    auto backend = GENERATE(from_range(sa::test::backends()));
    auto engine = backend.engine();
    auto conn = engine.connect();
    create_tables(engine, conn);
    const auto& values = hostile_strings();
    const auto target = conn.execute(sa::insert<Person>().values(Person{.name = "plain"}).returning(id)).scalar_one();
    conn.execute(sa::insert<Person>().values(Person{.name = "bystander", .note = "untouched"}));

    for (const auto& v : values) {
        const auto returned = conn.execute(sa::update<Person>()
                                               .values(name = v, note = v)
                                               .where(id == target)
                                               .returning(name, note))
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
        same(sa::insert<Person>().values(std::vector{Person{.id = 7, .name = a}}).returning(id, name).sql(*d),
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

TEST_CASE("a NUL byte in text round-trips on SQLite and is a DataError on PostgreSQL, in a blob it works on both",
          "[sql]") {
    auto backend = GENERATE(from_range(sa::test::backends()));
    auto engine = backend.engine();
    auto conn = engine.connect();
    create_tables(engine, conn);
    const std::string nul("a\0b'); DROP TABLE users;--\0", 27);
    REQUIRE(nul.size() == 27);
    const auto blob = bytes({0, 'x', 0, 0xff, 0, '\'', 0, 0});
    const auto other = conn.execute(sa::insert<Person>().values(Person{.name = "a"}).returning(id)).scalar_one();

    SECTION("blobs with NUL bytes round-trip and compare on both backends") {
        const auto new_id =
            conn.execute(sa::insert<Person>().values(Person{.name = "blob", .data = blob}).returning(id)).scalar_one();
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
                conn.execute(sa::insert<Person>().values(Person{.name = nul, .note = nul}).returning(id)).scalar_one();
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
            REQUIRE_THROWS_MATCHES(conn.execute(sa::insert<Person>().values(Person{.name = nul})), sa::DataError,
                                   MessageContains("contains a NUL byte"));
            REQUIRE_THROWS_MATCHES(conn.execute(sa::select(id).where(name == nul)).all(), sa::DataError,
                                   MessageContains("contains a NUL byte"));
            REQUIRE_THROWS_MATCHES(conn.execute(sa::update<Person>().values(name = nul).where(id == other)),
                                   sa::DataError, MessageContains("contains a NUL byte"));
            REQUIRE_THROWS_MATCHES(
                conn.execute(sa::text("SELECT id FROM hv_people WHERE name = :v").bind("v", nul)), sa::DataError,
                MessageContains("contains a NUL byte"));
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
