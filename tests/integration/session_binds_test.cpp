// One Session over two databases (SessionOptions::binds, SQLAlchemy's
// Session(binds={...})): each model's rows go to and come from its own engine, a flush that
// fails in one database leaves both as before, relationships between the databases load
// with a statement per database, and a statement that names tables of both (a join, a
// subquery) is refused.
#include "support/backends.hpp"
#include "support/lost_connections.hpp"
#include "support/matchers.hpp"

#include <alchemy/alchemy.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

namespace sa = alchemy;
using sa::test::backends;

namespace binds {

struct Shelf;
struct Volume {
    std::int64_t id = 0;
    std::int64_t shelf_id = 0;
    std::string title{};
    sa::BelongsTo<Shelf> shelf{};
};
struct Shelf {
    std::int64_t id = 0;
    std::string name{};
    sa::HasMany<Volume> volumes{};
};
/// The shelves of the second database: a table of the same name as Shelf's.
struct ShelfCopy {
    std::int64_t id = 0;
    std::string name{};
};
/// Kept in the second database.
struct AuditEntry {
    std::int64_t id = 0;
    std::string what{};
};

/// A many-to-many whose sides and association rows live in three databases.
struct Club;
struct Membership;
struct Reader {
    std::int64_t id = 0;
    std::string name{};
    sa::ManyToMany<Club, Membership> clubs{};
};
struct Club {
    std::int64_t id = 0;
    std::string title{};
    sa::ManyToMany<Reader, Membership> readers{};
};
struct Membership {
    std::int64_t reader_id = 0;
    std::int64_t club_id = 0;
    sa::BelongsTo<Reader> reader{};
    sa::BelongsTo<Club> club{};
};

}  // namespace binds

template <>
inline constexpr auto sa::mapping<binds::Reader> = sa::table("bind_readers");
template <>
inline constexpr auto sa::mapping<binds::Club> = sa::table("bind_clubs");
template <>
inline constexpr auto sa::mapping<binds::Membership> = sa::table(
    "bind_memberships", sa::primary_key(&binds::Membership::reader_id, &binds::Membership::club_id));
template <>
inline constexpr auto sa::mapping<binds::Shelf> = sa::table("bind_shelves");
template <>
inline constexpr auto sa::mapping<binds::Volume> = sa::table("bind_volumes");
template <>
inline constexpr auto sa::mapping<binds::ShelfCopy> = sa::table("bind_shelves");
template <>
inline constexpr auto sa::mapping<binds::AuditEntry> =
    sa::table("bind_audit", sa::unique(&binds::AuditEntry::what));

using binds::AuditEntry;
using binds::Shelf;
using binds::Volume;

namespace {

/// A second, empty database of the same backend: another SQLite file, another schema.
sa::Engine second_engine(const sa::test::Backend& backend, sa::EngineOptions options = {}) {
    const auto url = backend.is_sqlite() ? sa::test::sqlite_temp_url()
                                         : sa::test::postgres_schema_url(*sa::test::postgres_url());
    return sa::create_engine(url, std::move(options));
}

std::int64_t count_rows(sa::Engine& engine, const std::string& table) {
    auto conn = engine.connect();
    return conn.execute(sa::text("SELECT count(*) FROM " + table).columns<std::int64_t>()).scalar_one();
}

/// bind_audit with its unique constraint checked at PREPARE TRANSACTION, after the INSERTs:
/// what a second phase is for.
void create_audit_checked_at_prepare(sa::Engine& engine) {
    auto conn = engine.connect();
    conn.execute_script(
        "CREATE TABLE bind_audit (id BIGSERIAL PRIMARY KEY, what TEXT NOT NULL, "
        "UNIQUE (what) DEFERRABLE INITIALLY DEFERRED)");
    conn.commit();
}

/// The ids a Session gave its two-phase transactions, from the echo log of its engine
/// (other cases may prepare transactions on the same server meanwhile).
std::vector<std::string> xids_prepared(const std::vector<std::string>& log_lines) {
    std::vector<std::string> xids;
    for (const auto& line : log_lines)
        if (line.starts_with("PREPARE TRANSACTION '")) xids.push_back(line.substr(21, line.size() - 22));
    return xids;
}

/// 1 while the transaction `xid` is prepared on `engine`'s server, holding its locks.
std::int64_t still_prepared(sa::Engine& engine, const std::string& xid) {
    auto conn = engine.connect();
    return conn
        .execute(sa::text("SELECT count(*) FROM pg_prepared_xacts WHERE gid = :gid")
                     .bind("gid", xid)
                     .columns<std::int64_t>())
        .scalar_one();
}

bool has_table(sa::Engine& engine, const std::string& table) {
    auto conn = engine.connect();
    try {
        conn.execute(sa::text("SELECT 1 FROM " + table + " WHERE 1 = 0"));
        return true;
    } catch (const sa::ProgrammingError&) {
        return false;
    }
}

}  // namespace

TEST_CASE("a Session with binds writes and reads each model in its own database") {
    auto backend = GENERATE(from_range(backends()));
    auto main_engine = backend.engine();
    auto audit_engine = second_engine(backend);
    sa::metadata<Shelf, Volume>().create_all(main_engine);
    sa::metadata<AuditEntry>().create_all(audit_engine);

    {
        sa::Session session(main_engine, {.binds = {sa::bind<AuditEntry>(audit_engine)}});
        session.add(Shelf{.name = "fiction"});
        session.add(AuditEntry{.what = "shelf added"});
        session.commit();
    }
    CHECK(count_rows(main_engine, "bind_shelves") == 1);
    CHECK(count_rows(audit_engine, "bind_audit") == 1);
    CHECK_FALSE(has_table(main_engine, "bind_audit"));
    CHECK_FALSE(has_table(audit_engine, "bind_shelves"));

    sa::Session session(main_engine, {.binds = {sa::bind<AuditEntry>(audit_engine)}});
    const auto entries = session.query<AuditEntry>().all();
    REQUIRE(entries.size() == 1);
    CHECK(entries[0]->what == "shelf added");
    CHECK(session.get<AuditEntry>(entries[0]->id) == entries[0]);
    CHECK(session.query<AuditEntry>().count() == 1);
    CHECK(session.query<Shelf>().filter_by<&Shelf::name>("fiction").count() == 1);
    // Core statements through session.execute() go to their table's engine too.
    CHECK(session.execute(sa::select(sa::col<&AuditEntry::what>)).scalar_one() == "shelf added");
    session.execute(sa::insert<AuditEntry>().values(AuditEntry{.what = "by Core"}));
    CHECK(session
              .execute(sa::update<AuditEntry>()
                           .values(sa::col<&AuditEntry::what> = "by Core, changed")
                           .where(sa::col<&AuditEntry::what> == "by Core"))
              .rowcount() == 1);
    CHECK(session.execute(sa::delete_<AuditEntry>().where(sa::col<&AuditEntry::what> == "by Core, changed"))
              .rowcount() == 1);

    // Changes and deletes flush to the right database; the commit ends both transactions.
    entries[0]->what = "renamed";
    session.delete_(session.query<Shelf>().one());
    session.commit();
    CHECK(count_rows(main_engine, "bind_shelves") == 0);
    CHECK(main_engine.pool_status().checked_out == 0);
    CHECK(audit_engine.pool_status().checked_out == 0);
    auto conn = audit_engine.connect();
    CHECK(conn.execute(sa::text("SELECT what FROM bind_audit").columns<std::string>()).scalar_one() ==
          "renamed");
}

TEST_CASE("a flush that fails in one bound database leaves both databases as before") {
    auto backend = GENERATE(from_range(backends()));
    auto main_engine = backend.engine();
    auto audit_engine = second_engine(backend);
    sa::metadata<Shelf, Volume>().create_all(main_engine);
    sa::metadata<AuditEntry>().create_all(audit_engine);
    {
        auto conn = audit_engine.connect();
        conn.execute(sa::insert<AuditEntry>().values(AuditEntry{.what = "taken"}));
        conn.commit();
    }

    sa::test::EchoCapture log;
    auto logged = backend.engine({.echo = true, .echo_sink = log.sink()});
    sa::Session session(logged, {.binds = {sa::bind<AuditEntry>(audit_engine)}});
    session.add(Shelf{.name = "poetry"});
    session.flush();  // the main database has written
    CHECK(sa::test::count_starting_with(log.lines, "INSERT INTO \"bind_shelves\"") == 1);
    session.add(AuditEntry{.what = "taken"});  // unique: fails in the second database
    CHECK_THROWS_AS(session.commit(), sa::UniqueViolation);
    CHECK_THROWS_AS(session.query<Shelf>().all(), sa::PendingRollbackError);
    session.rollback();
    CHECK(count_rows(main_engine, "bind_shelves") == 0);
    CHECK(count_rows(audit_engine, "bind_audit") == 1);
    CHECK(main_engine.pool_status().checked_out == 0);
    CHECK(audit_engine.pool_status().checked_out == 0);
}

TEST_CASE("a COMMIT that fails in a bound database leaves the first database's work in the objects") {
    // Over AUTOCOMMIT engines the flush commits on each engine in turn; otherwise commit() does.
    const bool autocommit = GENERATE(false, true);
    auto backend = GENERATE(from_range(backends()));
    INFO((autocommit ? "AUTOCOMMIT, flush()" : "commit()"));
    const auto volume_url = backend.is_sqlite() ? sa::test::sqlite_temp_url()
                                                : sa::test::postgres_schema_url(*sa::test::postgres_url());
    auto main_engine = backend.engine();
    auto volume_engine = sa::create_engine(volume_url);
    sa::metadata<Shelf>().create_all(main_engine);
    {
        // A title must be known, which only the COMMIT checks: the volumes' COMMIT fails
        // after the shelves' has succeeded.
        auto conn = volume_engine.connect();
        conn.execute_script("CREATE TABLE bind_titles (title TEXT PRIMARY KEY)");
        conn.execute_script("INSERT INTO bind_titles VALUES ('Rome')");
        conn.execute_script(
            "CREATE TABLE bind_volumes (id INTEGER PRIMARY KEY, shelf_id BIGINT NOT NULL, title TEXT NOT "
            "NULL "
            "REFERENCES bind_titles (title) DEFERRABLE INITIALLY DEFERRED)");
        conn.commit();
    }
    const sa::EngineOptions options{
        .isolation_level = autocommit ? std::optional(sa::IsolationLevel::autocommit) : std::nullopt};
    auto session_main = backend.engine(options);
    auto session_volumes = sa::create_engine(volume_url, options);
    sa::Session session(session_main, {.binds = {sa::bind<Volume>(session_volumes)}});
    auto shelf = session.add(Shelf{.name = "history"});
    auto rome = std::make_shared<Volume>(Volume{.id = 10, .title = "Rome"});
    auto atlantis = std::make_shared<Volume>(Volume{.id = 11, .title = "Atlantis"});
    shelf->volumes.add(rome);
    shelf->volumes.add(atlantis);
    if (autocommit) CHECK_THROWS_AS(session.flush(), sa::ForeignKeyViolation);
    else CHECK_THROWS_AS(session.commit(), sa::ForeignKeyViolation);
    CHECK(count_rows(main_engine, "bind_shelves") == 1);
    CHECK(count_rows(volume_engine, "bind_volumes") == 0);
    const auto shelf_id = shelf->id;
    session.rollback();

    // The shelf's row stays, and so does the shelf: persistent, with its key.
    CHECK(sa::inspect(shelf).persistent());
    CHECK(shelf->id == shelf_id);
    CHECK(sa::inspect(rome).transient());
    {
        auto conn = volume_engine.connect();
        conn.execute_script("INSERT INTO bind_titles VALUES ('Atlantis')");
        conn.commit();
    }
    // Tried again, only what failed is written: one shelf, its two volumes under its key.
    shelf->volumes.add(rome);
    shelf->volumes.add(atlantis);
    session.commit();
    CHECK(count_rows(main_engine, "bind_shelves") == 1);
    auto conn = volume_engine.connect();
    CHECK(conn.execute(sa::text("SELECT count(*), min(shelf_id), max(shelf_id) FROM bind_volumes")
                           .columns<std::int64_t, std::int64_t, std::int64_t>())
              .one() == std::tuple<std::int64_t, std::int64_t, std::int64_t>{2, shelf_id, shelf_id});
}

TEST_CASE(
    "a rollback undoes the transactional engine's part of a flush that also committed an AUTOCOMMIT one") {
    auto backend = GENERATE(from_range(backends()));
    auto main_engine = backend.engine();  // transactional
    auto audit_engine = second_engine(backend, {.isolation_level = sa::IsolationLevel::autocommit});
    sa::metadata<Shelf>().create_all(main_engine);
    sa::metadata<AuditEntry>().create_all(audit_engine);
    const auto shelves_before = count_rows(main_engine, "bind_shelves");

    sa::Session session(main_engine, {.binds = {sa::bind<AuditEntry>(audit_engine)}});
    auto shelf = session.add(Shelf{.name = "corner"});
    auto entry = session.add(AuditEntry{.what = "corner opened"});
    session.flush();  // the shelf waits in the transaction; the entry is committed
    const auto id = shelf->id;
    REQUIRE(id != 0);
    session.rollback();

    CHECK(count_rows(main_engine, "bind_shelves") == shelves_before);
    CHECK(count_rows(audit_engine, "bind_audit") == 1);
    // The shelf is new again, as after any rolled-back INSERT; the entry keeps its row.
    CHECK(sa::inspect(shelf).transient());
    CHECK(shelf->id == 0);
    CHECK(sa::inspect(entry).persistent());
    CHECK(session.get<Shelf>(id) == nullptr);
    session.rollback();  // ends that read, which would keep SQLite's writer below waiting

    // Another program stores a shelf under that key: the old object must not write to it.
    {
        sa::Session other(main_engine);
        other.add(Shelf{.id = id, .name = "bakery"});
        other.commit();
    }
    shelf->name = "corner, again";
    session.add(shelf);
    session.commit();
    CHECK(shelf->id != id);
    auto conn = main_engine.connect();
    CHECK(conn.execute(sa::select(sa::col<&Shelf::name>).where(sa::col<&Shelf::id> == id)).scalar_one() ==
          "bakery");
    CHECK(count_rows(main_engine, "bind_shelves") == shelves_before + 2);
}

TEST_CASE(
    "a relationship between two bound databases loads with a statement in each, and a join is refused") {
    auto backend = GENERATE(from_range(backends()));
    sa::test::EchoCapture main_log, volume_log;
    auto main_engine = backend.engine({.echo = true, .echo_sink = main_log.sink()});
    auto volume_engine = second_engine(backend, {.echo = true, .echo_sink = volume_log.sink()});
    // No foreign-key constraint can span two databases: the tables are made by hand.
    {
        auto conn = main_engine.connect();
        conn.execute_script("CREATE TABLE bind_shelves (id INTEGER PRIMARY KEY, name TEXT NOT NULL)");
        conn.commit();
        auto other = volume_engine.connect();
        other.execute_script(
            "CREATE TABLE bind_volumes (id INTEGER PRIMARY KEY, shelf_id BIGINT NOT NULL, "
            "title TEXT NOT NULL)");
        other.commit();
    }
    const sa::SessionOptions options{.binds = {sa::bind<Volume>(volume_engine)}};
    {
        sa::Session session(main_engine, options);
        auto shelf = session.add(Shelf{.id = 1, .name = "history"});
        shelf->volumes.add(std::make_shared<Volume>(Volume{.id = 10, .title = "Rome"}));
        shelf->volumes.add(std::make_shared<Volume>(Volume{.id = 11, .title = "Carthage"}));
        session.commit();
    }
    CHECK(count_rows(volume_engine, "bind_volumes") == 2);
    {
        auto conn = volume_engine.connect();
        CHECK(conn.execute(sa::text("SELECT min(shelf_id), max(shelf_id) FROM bind_volumes")
                               .columns<std::int64_t, std::int64_t>())
                  .one() == std::tuple<std::int64_t, std::int64_t>{1, 1});
    }

    sa::Session session(main_engine, options);
    main_log.lines.clear();
    volume_log.lines.clear();
    auto shelves = session.scalars(sa::select<Shelf>(), sa::selectinload<&Shelf::volumes>()).all();
    REQUIRE(shelves.size() == 1);
    CHECK(shelves[0]->volumes.size() == 2);
    CHECK(sa::test::count_starting_with(main_log.lines, "SELECT") == 1);
    CHECK(sa::test::count_starting_with(volume_log.lines, "SELECT") == 1);
    // Back from the volume: its shelf is in the identity map already.
    for (const auto& volume : shelves[0]->volumes) CHECK(volume.shelf.get() == shelves[0]);
    CHECK(sa::test::count_starting_with(main_log.lines, "SELECT") == 1);

    CHECK_THROWS_AS(session.scalars(sa::select<Shelf>(), sa::joinedload<&Shelf::volumes>()).all(),
                    sa::InvalidRequestError);
    CHECK_THROWS_AS(session.execute(sa::select(sa::col<&Shelf::name>, sa::col<&Volume::title>)
                                        .join<Volume>(sa::col<&Volume::shelf_id> == sa::col<&Shelf::id>)),
                    sa::InvalidRequestError);
    // A SAVEPOINT would cover one database only.
    CHECK_THROWS_AS(session.begin_nested(), sa::InvalidRequestError);
}

TEST_CASE("a many-to-many whose association model is bound to a third database") {
    using binds::Club;
    using binds::Membership;
    using binds::Reader;
    auto backend = GENERATE(from_range(backends()));
    sa::test::EchoCapture main_log, club_log, membership_log;
    auto main_engine = backend.engine({.echo = true, .echo_sink = main_log.sink()});
    auto club_engine = second_engine(backend, {.echo = true, .echo_sink = club_log.sink()});
    auto membership_engine = second_engine(backend, {.echo = true, .echo_sink = membership_log.sink()});
    // Each table in its own database, and a decoy association table beside the readers,
    // where a statement run on the wrong engine would find it (empty).
    for (auto* engine : {&main_engine, &club_engine, &membership_engine}) {
        auto conn = engine->connect();
        if (engine == &main_engine)
            conn.execute_script("CREATE TABLE bind_readers (id INTEGER PRIMARY KEY, name TEXT NOT NULL)");
        if (engine == &club_engine)
            conn.execute_script("CREATE TABLE bind_clubs (id INTEGER PRIMARY KEY, title TEXT NOT NULL)");
        conn.execute_script(
            "CREATE TABLE bind_memberships (reader_id BIGINT NOT NULL, club_id BIGINT NOT NULL, "
            "PRIMARY KEY (reader_id, club_id))");
        conn.commit();
    }
    const sa::SessionOptions options{
        .binds = {sa::bind<Club>(club_engine), sa::bind<Membership>(membership_engine)}};
    {
        sa::Session session(main_engine, options);
        auto ann = session.add(Reader{.id = 1, .name = "ann"});
        auto bob = session.add(Reader{.id = 2, .name = "bob"});
        auto chess = session.add(Club{.id = 10, .title = "chess"});
        auto go = session.add(Club{.id = 11, .title = "go"});
        ann->clubs.add(chess);
        ann->clubs.add(go);
        bob->clubs.add(go);
        session.commit();
    }
    CHECK(count_rows(main_engine, "bind_readers") == 2);
    CHECK(count_rows(club_engine, "bind_clubs") == 2);
    CHECK(count_rows(membership_engine, "bind_memberships") == 3);
    CHECK(count_rows(main_engine, "bind_memberships") == 0);
    CHECK(count_rows(club_engine, "bind_memberships") == 0);

    const auto titles = [](const std::shared_ptr<Reader>& reader) {
        std::vector<std::string> found;
        for (const Club& club : reader->clubs) found.push_back(club.title);
        std::sort(found.begin(), found.end());
        return found;
    };
    {
        sa::Session session(main_engine, options);
        auto readers = session
                           .scalars(sa::select<Reader>().order_by(sa::col<&Reader::id>),
                                    sa::selectinload<&Reader::clubs>())
                           .all();
        REQUIRE(readers.size() == 2);
        CHECK(titles(readers[0]) == std::vector<std::string>{"chess", "go"});
        CHECK(titles(readers[1]) == std::vector<std::string>{"go"});
        auto go = session.get<Club>(11);
        REQUIRE(go);
        CHECK(go->readers.size() == 2);
        // One statement would name tables of three databases: refused.
        CHECK_THROWS_AS(session.scalars(sa::select<Reader>(), sa::joinedload<&Reader::clubs>()).all(),
                        sa::InvalidRequestError);
    }
    {
        sa::Session session(main_engine, options);
        auto ann = session.get<Reader>(1);
        REQUIRE(ann);
        membership_log.lines.clear();
        CHECK(titles(ann) == std::vector<std::string>{"chess", "go"});  // the lazy load
        CHECK(sa::test::count_starting_with(membership_log.lines, "SELECT") == 1);
        // Removing a link deletes its row in the association's database.
        auto chess = session.get<Club>(10);
        REQUIRE(chess);
        CHECK(ann->clubs.remove(chess));
        session.commit();
    }
    CHECK(count_rows(membership_engine, "bind_memberships") == 2);
    sa::Session session(main_engine, options);
    CHECK(titles(session.get<Reader>(1)) == std::vector<std::string>{"go"});
}

TEST_CASE("a statement that names a table of another engine in a subquery, EXISTS or CTE is refused") {
    auto backend = GENERATE(from_range(backends()));
    auto main_engine = backend.engine();
    auto audit_engine = second_engine(backend);
    // One schema made in every database, as an application may do: each database has a
    // table of each name, so a statement that read the wrong one would answer quietly.
    sa::metadata<Shelf, Volume, AuditEntry>().create_all(main_engine);
    sa::metadata<Shelf, Volume, AuditEntry>().create_all(audit_engine);
    const sa::SessionOptions options{.binds = {sa::bind<AuditEntry>(audit_engine)}};
    {
        sa::Session session(main_engine, options);
        session.add(Shelf{.name = "fiction"});
        session.add(Shelf{.name = "poetry"});
        session.add(AuditEntry{.what = "fiction"});
        session.commit();
    }

    sa::Session session(main_engine, options);
    const auto name = sa::col<&Shelf::name>;
    const auto what = sa::col<&AuditEntry::what>;
    const auto audited = sa::select(what);
    const auto named_in_audit = name.in_(audited);
    // query<T>(): its filters and its order, in each way it runs.
    CHECK_THROWS_AS(session.query<Shelf>().filter(named_in_audit).all(), sa::InvalidRequestError);
    CHECK_THROWS_AS(session.query<Shelf>().filter(named_in_audit).count(), sa::InvalidRequestError);
    CHECK_THROWS_AS(session.query<Shelf>().filter(!sa::exists(audited)).exists(), sa::InvalidRequestError);
    CHECK_THROWS_AS(session.query<Shelf>().filter(named_in_audit).yield_per(10), sa::InvalidRequestError);
    CHECK_THROWS_AS(
        session.query<Shelf>().filter(named_in_audit).options(sa::joinedload<&Shelf::volumes>()).all(),
        sa::InvalidRequestError);
    CHECK_THROWS_AS(session.query<Shelf>()
                        .order_by(sa::select(sa::col<&AuditEntry::id>).where(what == name).scalar_subquery())
                        .all(),
                    sa::InvalidRequestError);
    CHECK_THROWS_AS(session.query<AuditEntry>().filter(what.in_(sa::select(name))).all(),
                    sa::InvalidRequestError);
    CHECK_THROWS_AS(session.query<Shelf>().filter(named_in_audit).update(name = "audited"),
                    sa::InvalidRequestError);
    CHECK_THROWS_AS(session.query<Shelf>().filter(named_in_audit).delete_(), sa::InvalidRequestError);
    // session.scalars() and session.execute() of each kind of statement.
    CHECK_THROWS_AS(session.scalars(sa::select<Shelf>().where(named_in_audit)).all(),
                    sa::InvalidRequestError);
    CHECK_THROWS_AS(session.execute(sa::select(name).where(sa::exists(sa::select(sa::col<&AuditEntry::id>)))),
                    sa::InvalidRequestError);
    CHECK_THROWS_AS(session.execute(sa::select(sa::count()).select_from(audited.cte<"audited">())),
                    sa::InvalidRequestError);
    CHECK_THROWS_AS(session.execute(sa::union_(sa::select(name), audited)), sa::InvalidRequestError);
    CHECK_THROWS_AS(session.execute(sa::delete_<Shelf>().where(named_in_audit)), sa::InvalidRequestError);
    CHECK_THROWS_AS(session.execute(sa::update<Shelf>().values(name = "audited").where(named_in_audit)),
                    sa::InvalidRequestError);
    CHECK_THROWS_AS(session.execute(sa::insert<Shelf>().from_select(audited)), sa::InvalidRequestError);

    // Nothing was sent, and the Session goes on; subqueries within one database run.
    CHECK(session.query<Shelf>().count() == 2);
    CHECK(session.query<AuditEntry>().filter(what.in_(audited)).count() == 1);
    CHECK(session.execute(sa::select(what).where(sa::exists(sa::select(sa::col<&AuditEntry::id>))))
              .scalar_one() == "fiction");
    CHECK(session.execute(sa::delete_<Shelf>().where(name.in_(sa::select(name).where(name == "poetry"))))
              .rowcount() == 1);
    session.commit();
    CHECK(count_rows(main_engine, "bind_shelves") == 1);
    CHECK(count_rows(main_engine, "bind_audit") == 0);
    CHECK(count_rows(audit_engine, "bind_shelves") == 0);
}

TEST_CASE("two models that name one table on two engines are told apart by model, not by name") {
    using binds::ShelfCopy;
    auto backend = GENERATE(from_range(backends()));
    auto main_engine = backend.engine();
    auto audit_engine = second_engine(backend);
    sa::metadata<Shelf>().create_all(main_engine);
    sa::metadata<ShelfCopy, AuditEntry>().create_all(audit_engine);
    {
        auto conn = main_engine.connect();
        conn.execute(sa::insert<Shelf>().values(Shelf{.name = "poetry"}));
        conn.commit();
        auto audit = audit_engine.connect();
        audit.execute(sa::insert<ShelfCopy>().values(ShelfCopy{.name = "audit"}));
        audit.execute(sa::insert<AuditEntry>().values(AuditEntry{.what = "audit"}));
        audit.commit();
    }
    sa::Session session(main_engine,
                        {.binds = {sa::bind<AuditEntry>(audit_engine), sa::bind<ShelfCopy>(audit_engine)}});
    const auto what = sa::col<&AuditEntry::what>;
    // Shelf is the Session's engine's: run in the audit database, its subquery would read
    // ShelfCopy's rows instead, and answer 1.
    CHECK_THROWS_AS(session.query<AuditEntry>().filter(what.in_(sa::select(sa::col<&Shelf::name>))).count(),
                    sa::InvalidRequestError);
    CHECK(session.query<AuditEntry>().filter(what.in_(sa::select(sa::col<&ShelfCopy::name>))).count() == 1);
    CHECK(session.query<Shelf>().count() == 1);
    CHECK(session.execute(sa::update<Shelf>().values(sa::col<&Shelf::name> = "verse")).rowcount() == 1);
    session.commit();
}

TEST_CASE("text() on the Session's engine runs while a yield_per loop streams a bound database") {
    // The loop reads on the bound database's connection; text() runs on the Session's
    // engine, whose rows the loop does not read.
    auto backend = GENERATE(from_range(backends()));
    auto main_engine = backend.engine();
    auto audit_engine = second_engine(backend);
    sa::metadata<Shelf, Volume>().create_all(main_engine);
    sa::metadata<AuditEntry>().create_all(audit_engine);
    {
        sa::Session setup(main_engine, {.binds = {sa::bind<AuditEntry>(audit_engine)}});
        setup.add(Shelf{.name = "fiction"});
        for (int i = 0; i < 30; ++i) setup.add(AuditEntry{.what = "entry " + std::to_string(i)});
        setup.commit();
    }
    sa::Session session(main_engine, {.binds = {sa::bind<AuditEntry>(audit_engine)}});
    const auto rename = sa::text("UPDATE bind_shelves SET name = :name").bind("name", "renamed");
    int seen = 0;
    for (const auto& entry : session.query<AuditEntry>().yield_per(10)) {
        CHECK(entry->what.starts_with("entry "));
        if (seen++ == 0) CHECK(session.execute(rename).rowcount() == 1);
    }
    CHECK(seen == 30);
    session.commit();
    auto conn = main_engine.connect();
    CHECK(conn.execute(sa::text("SELECT name FROM bind_shelves").columns<std::string>()).scalar_one() ==
          "renamed");
}

TEST_CASE("a bound engine may be of another backend: a SQLite file beside PostgreSQL") {
    const auto server = sa::test::postgres_url();
    if (!server) return;
    auto main_engine = sa::create_engine(sa::test::postgres_schema_url(*server));
    auto audit_engine = sa::create_engine(sa::test::sqlite_temp_url());
    sa::metadata<Shelf, Volume>().create_all(main_engine);
    sa::metadata<AuditEntry>().create_all(audit_engine);
    {
        sa::Session session(main_engine, {.binds = {sa::bind<AuditEntry>(audit_engine)}});
        session.add(Shelf{.name = "maps"});
        session.add(AuditEntry{.what = "maps added"});
        session.commit();
        CHECK(session.query<AuditEntry>().filter_by<&AuditEntry::what>("maps added").count() == 1);
        CHECK(session.query<Shelf>().one()->name == "maps");
    }
    CHECK(count_rows(main_engine, "bind_shelves") == 1);
    CHECK(count_rows(audit_engine, "bind_audit") == 1);
}

// get() reads through the read replica and refresh() through the engine, so the SQL each
// sends must be written for its own backend, whichever ran first.
TEST_CASE("a read replica of another backend than the engine gets its own get() SQL") {
    const auto server = sa::test::postgres_url();
    if (!server) return;
    auto sqlite = sa::create_engine(sa::test::sqlite_temp_url());
    auto postgresql = sa::create_engine(sa::test::postgres_schema_url(*server));
    for (auto* engine : {&sqlite, &postgresql}) {
        sa::metadata<Shelf>().create_all(*engine);
        sa::Session session(*engine);
        session.add(Shelf{.id = 1, .name = engine == &sqlite ? "file" : "server"});
        session.add(Shelf{.id = 2, .name = "two"});
        session.commit();
    }
    for (auto [primary, replica] : {std::pair{&sqlite, &postgresql}, std::pair{&postgresql, &sqlite}}) {
        INFO("primary " << primary->dialect().name());
        sa::Session session(*primary, {.read_replica = *replica});
        auto one = session.get<Shelf>(std::int64_t{1});  // from the replica
        REQUIRE(one);
        CHECK(one->name == (replica == &sqlite ? "file" : "server"));
        session.refresh(one);  // from the primary
        CHECK(one->name == (primary == &sqlite ? "file" : "server"));
        session.expunge(one);
        CHECK(session.get<Shelf>(std::int64_t{2})->name == "two");  // the replica again
    }
}

TEST_CASE("twophase commits every bound database or none, and SQLite refuses it") {
    auto backend = GENERATE(from_range(backends()));
    auto main_engine = backend.engine();
    auto audit_engine = second_engine(backend);
    if (backend.is_sqlite()) {
        CHECK_THROWS_AS(sa::Session(main_engine, {.twophase = true}), sa::ArgumentError);
        return;
    }
    // Over an AUTOCOMMIT engine each flush commits by itself: nothing would be left to prepare.
    auto autocommit = backend.engine({.isolation_level = sa::IsolationLevel::autocommit});
    CHECK_THROWS_MATCHES(
        sa::Session(main_engine, {.binds = {sa::bind<AuditEntry>(autocommit)}, .twophase = true}),
        sa::ArgumentError, sa::test::MessageContains("AUTOCOMMIT"));
    sa::metadata<Shelf, Volume>().create_all(main_engine);
    create_audit_checked_at_prepare(audit_engine);
    sa::test::EchoCapture log;
    auto logged = backend.engine({.echo = true, .echo_sink = log.sink()});
    const sa::SessionOptions options{.binds = {sa::bind<AuditEntry>(audit_engine)}, .twophase = true};
    {
        sa::Session session(logged, options);
        session.add(Shelf{.name = "atlases"});
        session.add(AuditEntry{.what = "atlases added"});
        session.commit();
        REQUIRE(xids_prepared(log.lines).size() == 1);
        CHECK(sa::test::count_starting_with(log.lines, "COMMIT PREPARED '" + xids_prepared(log.lines)[0]) ==
              1);
        CHECK(still_prepared(main_engine, xids_prepared(log.lines)[0]) == 0);
    }
    CHECK(count_rows(main_engine, "bind_shelves") == 1);
    CHECK(count_rows(audit_engine, "bind_audit") == 1);

    // The second database refuses at PREPARE: the first, prepared already, is rolled back.
    log.lines.clear();
    sa::Session session(logged, options);
    session.add(Shelf{.name = "globes"});
    session.add(AuditEntry{.what = "atlases added"});
    CHECK_THROWS_AS(session.commit(), sa::UniqueViolation);
    session.rollback();
    REQUIRE(xids_prepared(log.lines).size() == 1);
    CHECK(still_prepared(main_engine, xids_prepared(log.lines)[0]) == 0);
    CHECK(count_rows(main_engine, "bind_shelves") == 1);
    CHECK(count_rows(audit_engine, "bind_audit") == 1);
    CHECK(main_engine.pool_status().checked_out == 0);
    CHECK(audit_engine.pool_status().checked_out == 0);
}

TEST_CASE("twophase ends its prepared transactions on the Session's connections, in a pool of one") {
    auto backend = GENERATE(from_range(backends()));
    if (backend.is_sqlite()) return;  // no two-phase commit
    // A pool of one has no connection beside the Session's: asking for another waits
    // pool_timeout and fails.
    sa::test::LosableDatabase main_database(backend);
    auto main_engine = main_database.observer();
    auto audit_engine = second_engine(backend);
    sa::metadata<Shelf, Volume>().create_all(main_engine);
    create_audit_checked_at_prepare(audit_engine);
    sa::test::EchoCapture log;
    std::string lose_connection_at;  // a statement of the main engine whose connection dies as it goes
    auto pool_of_one =
        main_database.engine({.pool_size = 1,
                              .max_overflow = 0,
                              .pool_timeout = std::chrono::duration<double>(2.0),
                              .echo = true,
                              .echo_sink = [&](std::string_view line) {
                                  log.lines.emplace_back(line);
                                  if (lose_connection_at.empty() || !line.starts_with(lose_connection_at))
                                      return;
                                  lose_connection_at.clear();
                                  main_database.lose_connections();
                              }});
    const sa::SessionOptions options{.binds = {sa::bind<AuditEntry>(audit_engine)}, .twophase = true};
    const auto only_xid = [&] {
        const auto xids = xids_prepared(log.lines);
        REQUIRE(xids.size() == 1);
        return xids[0];
    };
    const auto commit = [&](const std::string& name) {
        log.lines.clear();
        sa::Session session(pool_of_one, options);
        session.add(Shelf{.name = name});
        session.add(AuditEntry{.what = name + " added"});
        session.commit();
    };

    // COMMIT PREPARED goes through the Session's connection.
    CHECK_NOTHROW(commit("atlases"));
    CHECK(sa::test::count_starting_with(log.lines, "COMMIT PREPARED '" + only_xid()) == 1);
    CHECK(still_prepared(main_engine, only_xid()) == 0);
    CHECK(count_rows(main_engine, "bind_shelves") == 1);
    CHECK(count_rows(audit_engine, "bind_audit") == 1);

    // One that loses the connection runs again on its replacement.
    lose_connection_at = "COMMIT PREPARED";
    CHECK_NOTHROW(commit("maps"));
    CHECK(sa::test::count_starting_with(log.lines, "COMMIT PREPARED '" + only_xid()) == 2);
    CHECK(still_prepared(main_engine, only_xid()) == 0);
    CHECK(count_rows(main_engine, "bind_shelves") == 2);
    CHECK(count_rows(audit_engine, "bind_audit") == 2);

    // The second database refuses at PREPARE: the first, prepared already, is rolled back,
    // and the refusal is the error.
    CHECK_THROWS_MATCHES(commit("atlases"), sa::UniqueViolation,
                         !sa::test::MessageContains("left these transactions prepared"));
    CHECK(sa::test::count_starting_with(log.lines, "ROLLBACK PREPARED '" + only_xid()) == 1);
    CHECK(still_prepared(main_engine, only_xid()) == 0);
    CHECK(count_rows(main_engine, "bind_shelves") == 2);

    // A PREPARE that loses the connection may have happened: it is rolled back on the
    // replacement, which finds none.
    lose_connection_at = "PREPARE TRANSACTION";
    CHECK_THROWS_MATCHES(commit("globes"), sa::OperationalError,
                         !sa::test::MessageContains("left these transactions prepared"));
    CHECK(sa::test::count_starting_with(log.lines, "ROLLBACK PREPARED '" + only_xid()) == 1);
    CHECK(still_prepared(main_engine, only_xid()) == 0);
    CHECK(count_rows(main_engine, "bind_shelves") == 2);
    CHECK(count_rows(audit_engine, "bind_audit") == 2);
    CHECK(pool_of_one.pool_status().checked_out == 0);
    CHECK(audit_engine.pool_status().checked_out == 0);
}
