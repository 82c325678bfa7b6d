// A third dialect, registered by the program beside SQLite and PostgreSQL: "lite3" runs on
// SQLite's driver but numbers its placeholders ("?1"), has no RETURNING and no upsert,
// and allows fewer parameters per statement. Its SQL is cached apart from the built-in
// dialects' texts, what it lacks fails with CompileError naming it, and an Engine on a
// lite3:// URL creates, inserts and selects.
#include "support/backends.hpp"

#include <alchemy/alchemy.hpp>

#include <catch2/catch.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace sa = alchemy;

namespace third {

struct Gadget {
    std::int64_t id = 0;
    std::string name;
    std::int32_t weight = 0;
};

}  // namespace third

template <>
inline constexpr auto sa::mapping<third::Gadget> = sa::table("td_gadgets");

namespace {

using third::Gadget;

class Lite3Dialect final : public sa::Dialect {
public:
    std::string_view name() const noexcept override { return "lite3"; }
    void append_placeholder(std::string& out, int index) const override {
        out += '?';
        out += std::to_string(index);
    }
    std::string begin_sql(std::optional<sa::IsolationLevel> level) const override {
        if (level) connection_isolation_sql(*level);
        return "BEGIN";
    }
    std::string connection_isolation_sql(sa::IsolationLevel level) const override {
        if (level != sa::IsolationLevel::serializable)
            throw sa::ArgumentError("alchemy: lite3 has only SERIALIZABLE");
        return {};
    }
    sa::TransactionSql transaction_sql(const sa::TransactionOptions& options,
                                       std::optional<sa::IsolationLevel>) const override {
        if (options.read_only) throw sa::ArgumentError("alchemy: lite3 has no read-only transactions");
        return {begin_sql(options.isolation_level), {}, {}};
    }
    bool supports_returning() const noexcept override { return false; }
    sa::UpsertSyntax upsert_syntax() const noexcept override { return sa::UpsertSyntax::none; }
    std::size_t parameter_limit() const noexcept override { return 999; }
    std::string_view limit_before_lone_offset() const noexcept override { return " LIMIT -1"; }
    bool values_need_casts() const noexcept override { return false; }
};

/// SQLite's connections under lite3's Dialect.
class Lite3Driver final : public sa::Driver {
public:
    const sa::Dialect& dialect() const noexcept override { return dialect_; }
    std::unique_ptr<sa::DriverConnection> connect(const sa::URL& url,
                                                  const sa::ConnectOptions& options) const override {
        return sqlite_.connect(url, options);
    }
    bool database_per_connection(const sa::URL& url,
                                 const sa::ConnectOptions& options) const noexcept override {
        return sqlite_.database_per_connection(url, options);
    }

private:
    Lite3Dialect dialect_;
    const sa::Driver& sqlite_ = sa::driver_for(sa::make_url("sqlite://"));
};

/// Registered once per process, on first use.
const sa::Dialect& lite3() {
    static const Lite3Driver driver;
    static const bool registered = (sa::register_driver("lite3", driver), true);
    (void)registered;
    return driver.dialect();
}
const sa::Dialect& sqlite() { return sa::driver_for(sa::make_url("sqlite://")).dialect(); }
const sa::Dialect& pg() { return sa::driver_for(sa::make_url("postgresql://h/db")).dialect(); }

constexpr auto id = sa::col<&Gadget::id>;
constexpr auto name = sa::col<&Gadget::name>;
constexpr auto weight = sa::col<&Gadget::weight>;

auto heavy_gadgets(std::int32_t min_weight) {
    return sa::select(name, weight).where(weight >= min_weight).order_by(name.asc()).offset(1);
}

/// A lite3 URL for a new SQLite file.
std::string lite3_url() {
    const auto url = sa::test::sqlite_temp_url();
    return "lite3" + url.substr(url.find("://"));
}

}  // namespace

TEST_CASE("a registered dialect gets an id of its own and its own cached SQL for each statement shape",
          "[dialect]") {
    const auto& mine = lite3();
    CHECK(mine.id() != sqlite().id());
    CHECK(mine.id() != pg().id());
    CHECK(mine.id() < sa::max_dialects);
    CHECK(&sa::driver_for(sa::make_url("lite3:///x.db")).dialect() == &mine);
    CHECK(&sa::driver_for(sa::make_url("lite3+any:///x.db")).dialect() == &mine);

    using Shape = decltype(heavy_gadgets(0));
    STATIC_REQUIRE(Shape::fixed_shape);
    CHECK(sa::detail::sql_cache<Shape>::renders() == 0);
    const auto on_sqlite = heavy_gadgets(1).sql(sqlite());
    const auto on_pg = heavy_gadgets(2).sql(pg());
    const auto on_lite3 = heavy_gadgets(3).sql(mine);
    CHECK(sa::detail::sql_cache<Shape>::renders() == 3);
    CHECK(
        on_sqlite ==
        R"(SELECT "td_gadgets"."name", "td_gadgets"."weight" FROM "td_gadgets" WHERE "td_gadgets"."weight" >= ? ORDER BY "td_gadgets"."name" LIMIT -1 OFFSET ?)");
    CHECK(
        on_pg ==
        R"(SELECT "td_gadgets"."name", "td_gadgets"."weight" FROM "td_gadgets" WHERE "td_gadgets"."weight" >= $1 ORDER BY "td_gadgets"."name" OFFSET $2)");
    CHECK(
        on_lite3 ==
        R"(SELECT "td_gadgets"."name", "td_gadgets"."weight" FROM "td_gadgets" WHERE "td_gadgets"."weight" >= ?1 ORDER BY "td_gadgets"."name" LIMIT -1 OFFSET ?2)");
    // Asked again in any order, each dialect gets its own text back, rendered no more.
    CHECK(heavy_gadgets(4).sql(mine) == on_lite3);
    CHECK(heavy_gadgets(5).sql(pg()) == on_pg);
    CHECK(heavy_gadgets(6).sql(sqlite()) == on_sqlite);
    CHECK(sa::detail::sql_cache<Shape>::renders() == 3);
}

TEST_CASE("a backend name is registered once, and an unknown one is refused naming the known ones",
          "[dialect]") {
    const auto& mine = lite3();
    const auto& driver = sa::driver_for(sa::make_url("lite3:///x.db"));
    CHECK(&driver.dialect() == &mine);
    CHECK_THROWS_MATCHES(sa::register_driver("lite3", driver), sa::ArgumentError,
                         Catch::Message("alchemy: a driver for backend 'lite3' is already registered"));
    CHECK_THROWS_MATCHES(sa::register_driver("sqlite", driver), sa::ArgumentError,
                         Catch::Message("alchemy: a driver for backend 'sqlite' is already registered"));
    CHECK_THROWS_AS(sa::register_driver("lite3+x", driver), sa::ArgumentError);
    CHECK_THROWS_AS(sa::register_driver("", driver), sa::ArgumentError);
    CHECK_THROWS_AS(sa::register_driver("my-db", driver), sa::ArgumentError);  // no URL could name it
    CHECK_THROWS_MATCHES(
        sa::driver_for(sa::make_url("nosuch://ann:s3cret@db.example/app")), sa::ArgumentError,
        Catch::Message("alchemy: unknown database backend 'nosuch' in URL 'nosuch://ann:***@db.example/app'; "
                       "known: lite3, postgres, postgresql, sqlite"));
}

TEST_CASE("a registered dialect's batches follow its own parameter limit", "[dialect]") {
    CHECK(sa::detail::rows_per_statement(lite3(), 3) == 333);
    CHECK(sa::detail::rows_per_statement(sqlite(), 3) == 1000);
}

TEST_CASE("what a registered dialect lacks fails with a CompileError naming the dialect", "[dialect]") {
    const auto& mine = lite3();
    const auto gadget = Gadget{.name = "lamp", .weight = 3};
    CHECK_THROWS_MATCHES(sa::insert<Gadget>().values(gadget).returning(id).sql(mine), sa::CompileError,
                         Catch::Message("alchemy: the lite3 dialect does not support RETURNING"));
    CHECK_THROWS_MATCHES(sa::update<Gadget>().values(weight = 4).where(id == 1).returning(name).sql(mine),
                         sa::CompileError,
                         Catch::Message("alchemy: the lite3 dialect does not support RETURNING"));
    CHECK_THROWS_MATCHES(
        sa::insert<Gadget>().values(gadget).on_conflict_do_nothing(id).sql(mine), sa::CompileError,
        Catch::Message("alchemy: the lite3 dialect does not support an upsert (ON CONFLICT)"));
    CHECK_THROWS_MATCHES(
        sa::metadata<Gadget>().create_statements(mine), sa::CompileError,
        Catch::Message("alchemy: the lite3 dialect has no DDL support (create_all, drop_all)"));
    // The same statements render on the built-in dialects.
    CHECK(sa::insert<Gadget>().values(gadget).returning(id).sql(sqlite()).ends_with(R"( RETURNING "id")"));
    CHECK(sa::insert<Gadget>().values(gadget).on_conflict_do_nothing(id).sql(pg()).ends_with(
        R"(ON CONFLICT ("id") DO NOTHING)"));
}

TEST_CASE("an Engine on a registered backend's URL creates a table, inserts and selects", "[dialect]") {
    lite3();
    auto engine = sa::create_engine(lite3_url());
    CHECK(&engine.dialect() == &lite3());
    auto conn = engine.begin();
    conn.execute_script(R"(CREATE TABLE "td_gadgets" ("id" INTEGER PRIMARY KEY, "name" TEXT NOT NULL, )"
                        R"("weight" INTEGER NOT NULL))");
    CHECK(conn.execute(sa::insert<Gadget>().values(Gadget{.name = "lamp", .weight = 3})).rowcount() == 1);
    CHECK(conn.execute(sa::insert<Gadget>().values(Gadget{.name = "anvil", .weight = 50})).rowcount() == 1);
    CHECK(conn.execute(sa::insert<Gadget>().values(Gadget{.name = "feather", .weight = 0})).rowcount() == 1);
    conn.commit();

    auto reader = engine.connect();
    const auto rows = reader.execute(sa::select(name, weight).where(weight >= 1).order_by(name.asc())).all();
    using Row = std::tuple<std::string, std::int32_t>;
    CHECK(rows == std::vector<Row>{{"anvil", 50}, {"lamp", 3}});
    // "?1", "?2" and OFFSET after LIMIT -1, as SQLite runs them.
    CHECK(reader.execute(heavy_gadgets(0)).all() == std::vector<Row>{{"feather", 0}, {"lamp", 3}});

    // Its dialect has no schema reader.
    CHECK_THROWS_MATCHES(sa::inspect(engine), sa::CompileError,
                         Catch::Message("alchemy: the lite3 dialect has no migration support (inspect, "
                                        "autogenerate, upgrade)"));
}

TEST_CASE("an Engine keeps one connection where the driver says each opens a database of its own",
          "[dialect]") {
    lite3();
    auto engine = sa::create_engine("lite3:///:memory:");
    {
        auto conn = engine.begin();
        conn.execute_script(R"(CREATE TABLE "td_memory" ("id" INTEGER PRIMARY KEY))");
        conn.execute_script(R"(INSERT INTO "td_memory" ("id") VALUES (7))");
        conn.commit();
    }
    // A second connection would be an empty database; the engine hands out the same one.
    auto reader = engine.connect();
    CHECK(reader.execute(sa::text(R"(SELECT "id" FROM "td_memory")").columns<std::int64_t>()).scalar_one() ==
          7);
}
