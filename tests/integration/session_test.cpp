// The ORM Session on both backends: the tutorial's CRUD and transaction flows, sessionmaker
// options, object states, the identity map, dirty tracking, expire/refresh, merge and
// the transaction guards. Flush internals are in session_unit_of_work_test.cpp, queries
// in session_query_test.cpp.
#include "support/backends.hpp"
#include "support/matchers.hpp"

#include <alchemy/alchemy.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace sa = alchemy;
using sa::test::backends;
using sa::test::count_starting_with;
using sa::test::MessageContains;

namespace sess {

struct User {
    std::int64_t id = 0;
    std::string name{};
    std::int32_t age = 0;
    std::optional<std::string> email{};
};

/// A text primary key: never generated.
struct Tag {
    std::string code{};
    std::string label{};
};

/// A floating-point column, which may hold NaN.
struct Reading {
    std::int64_t id = 0;
    double value = 0;
    std::optional<double> spare{};
};

/// Mapped with key `id` over a table that does not make it unique (created by hand).
struct SharedKey {
    std::int64_t id = 0;
    std::string label{};
};

/// A composite primary key.
struct Membership {
    std::int64_t user_id = 0;
    std::int64_t group_id = 0;
    std::string role{};
};

/// A time point primary key, finer than the microseconds a database keeps of it, and a
/// column the database fills in (so that the INSERT reads its row back by key).
struct Stamp {
    std::chrono::system_clock::time_point at{};
    std::string label{};
    std::optional<std::string> note{};
};
/// An enum primary key stored as its integer: sent as given, never generated.
enum class Color : std::int16_t { red = 1, green = 2, blue = -3 };
struct Paint {
    Color color{};
    std::string label{};
};
/// A key of a std::optional field: the program gives it, and an empty one is no key.
struct Coupon {
    std::optional<std::string> code{};
    std::string label{};
};
/// A profile is keyed by its user: the key is the BelongsTo's foreign key too.
struct Profile {
    std::int64_t user_id = 0;
    std::string bio{};
    sa::BelongsTo<User> user{};
};
}  // namespace sess

template <>
inline constexpr auto sa::mapping<sess::User> = sa::table("users", sa::unique(&sess::User::name));
template <>
inline constexpr auto sa::mapping<sess::Tag> = sa::table("tags", sa::primary_key(&sess::Tag::code));
template <>
inline constexpr auto sa::mapping<sess::Reading> = sa::table("readings");
template <>
inline constexpr auto sa::mapping<sess::SharedKey> =
    sa::table("shared_keys", sa::primary_key(&sess::SharedKey::id));
template <>
inline constexpr auto sa::mapping<sess::Membership> =
    sa::table("memberships", sa::primary_key(&sess::Membership::user_id, &sess::Membership::group_id));

template <>
inline constexpr auto sa::mapping<sess::Stamp> =
    sa::table("stamps", sa::primary_key(&sess::Stamp::at), sa::server_default(&sess::Stamp::note, "'none'"));
template <>
inline constexpr auto sa::mapping<sess::Paint> = sa::table("paints", sa::primary_key(&sess::Paint::color));
template <>
inline constexpr auto sa::mapping<sess::Coupon> = sa::table("coupons", sa::primary_key(&sess::Coupon::code));
template <>
inline constexpr auto sa::mapping<sess::Profile> =
    sa::table("profiles", sa::primary_key(&sess::Profile::user_id));
using sess::Color;
using sess::Coupon;
using sess::Membership;
using sess::Paint;
using sess::Profile;
using sess::Reading;
using sess::SharedKey;
using sess::Stamp;
using sess::Tag;
using sess::User;

namespace {

std::int64_t count_users(sa::Engine& engine) {
    auto conn = engine.connect();
    return conn.execute(sa::text("SELECT count(*) FROM users").columns<std::int64_t>()).scalar_one();
}

/// The age of user `id` read through a connection of its own (not the session's).
std::int32_t age_in_database(sa::Engine& engine, std::int64_t id) {
    auto conn = engine.connect();
    return conn.execute(sa::select(sa::col<&User::age>).where(sa::col<&User::id> == id)).scalar_one();
}

/// Sets user `id`'s age behind the session's back, and commits.
void set_age_elsewhere(sa::Engine& engine, std::int64_t id, std::int32_t age) {
    auto conn = engine.connect();
    conn.execute(sa::update<User>().values(sa::col<&User::age> = age).where(sa::col<&User::id> == id));
    conn.commit();
}

/// Commits users named `names` (ages 20, 21, ...) and returns their ids.
std::vector<std::int64_t> seed_users(sa::Engine& engine, std::vector<std::string> names) {
    sa::Session session(engine);
    std::vector<std::shared_ptr<User>> added;
    std::int32_t age = 20;
    for (auto& name : names) added.push_back(session.add(User{.name = name, .age = age++}));
    session.commit();
    std::vector<std::int64_t> ids;
    for (const auto& user : added) ids.push_back(user->id);
    return ids;
}

bool has_line_starting_with(const std::vector<std::string>& lines, std::string_view prefix) {
    return count_starting_with(lines, prefix) > 0;
}

}  // namespace

// The tutorial's CRUD ------------------------------------------------------------------------------

TEST_CASE("the tutorial's CRUD flow runs through sessions: add, query, update, bulk update, delete") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    sa::metadata<User>().create_all(engine);
    auto Session = sa::sessionmaker(engine);

    std::int64_t john_id = 0;
    {  // Create: pending until the commit flushes it; then it has its generated id.
        auto session = Session();
        auto john = session.add(User{.name = "john_doe", .age = 30, .email = "john@example.com"});
        auto others =
            session.add_all(std::vector<User>{{.name = "John", .age = 40}, {.name = "ann", .age = 20}});
        REQUIRE(others.size() == 2);
        CHECK(john->id == 0);
        CHECK(sa::inspect(john).pending());
        session.commit();
        CHECK(john->id != 0);
        CHECK(others[0]->id != 0);
        CHECK(others[1]->id != 0);
        CHECK(john->id != others[0]->id);
        CHECK(sa::inspect(john).persistent());
        john_id = john->id;
    }
    CHECK(count_users(engine) == 3);

    {  // Read: query all.
        auto session = Session();
        auto users = session.query<User>().order_by(sa::col<&User::id>).all();
        REQUIRE(users.size() == 3);
        CHECK(users[0]->name == "john_doe");
        CHECK(users[0]->email == std::optional<std::string>("john@example.com"));
        CHECK(users[1]->name == "John");
        CHECK(users[2]->name == "ann");
    }

    {  // Update through an object.
        auto session = Session();
        auto john = session.query<User>().filter(sa::col<&User::name> == "john_doe").one();
        john->age = 31;
        CHECK(session.is_modified(john));
        session.commit();
        CHECK(age_in_database(engine, john_id) == 31);
    }

    {  // Update in bulk, as the tutorial does (synchronize_session=False).
        auto session = Session();
        const auto matched =
            session.query<User>()
                .filter(sa::col<&User::name> == "John")
                .update(sa::col<&User::email> = "nick@example.com", sa::synchronize_session::none);
        CHECK(matched == 1);
        session.commit();
        auto conn = engine.connect();
        CHECK(conn.execute(sa::select(sa::col<&User::email>).where(sa::col<&User::name> == "John"))
                  .scalar_one() == std::optional<std::string>("nick@example.com"));
    }

    {  // Delete.
        auto session = Session();
        auto ann = session.query<User>().filter_by<&User::name>("ann").one();
        session.delete_(ann);
        CHECK(sa::inspect(ann).delete_requested());
        session.commit();
        CHECK(sa::inspect(ann).detached());
        CHECK(session.query<User>().count() == 2);
        CHECK(session.query<User>().filter_by<&User::name>("ann").one_or_none() == nullptr);
    }
    CHECK(count_users(engine) == 2);
}

TEST_CASE("the tutorial's try/commit/except/rollback/finally writes nothing when a statement fails") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    sa::metadata<User>().create_all(engine);
    seed_users(engine, {"alice"});
    auto Session = sa::sessionmaker(engine);

    auto session = Session();
    std::shared_ptr<User> bob, duplicate, carol;
    std::string error;
    try {
        session.begin();
        bob = session.add(User{.name = "bob", .age = 1});
        session.flush();  // bob's row exists in the transaction now
        REQUIRE(bob->id != 0);
        duplicate = session.add(User{.name = "alice", .age = 2});  // violates UNIQUE (name)
        carol = session.add(User{.name = "carol", .age = 3});
        session.commit();
    } catch (const sa::IntegrityError& e) {
        session.rollback();
        error = e.what();
    }
    session.close();  // finally

    CHECK_FALSE(error.empty());
    CHECK(count_users(engine) == 1);  // bob's flushed INSERT went with the rollback
    CHECK(sa::inspect(bob).transient());
    CHECK(bob->id == 0);  // the rolled back id is not left in the object
    CHECK(sa::inspect(duplicate).transient());
    CHECK(sa::inspect(carol).transient());
    CHECK(carol->id == 0);
    CHECK_FALSE(session.in_transaction());

    // The same Session works again afterwards.
    session.add(carol);
    session.commit();
    CHECK(count_users(engine) == 2);
}

TEST_CASE("the tutorial's transaction pattern rolls back when C++ code fails after a flush") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    sa::metadata<User>().create_all(engine);
    auto ids = seed_users(engine, {"alice"});

    sa::Session session(engine);
    std::shared_ptr<User> alice;
    try {
        session.begin();
        alice = session.get<User>(ids[0]);
        alice->age = 99;
        session.add(User{.name = "bob"});
        session.flush();  // the UPDATE and the INSERT ran
        throw std::runtime_error("the application changed its mind");
    } catch (const std::runtime_error&) {
        session.rollback();
    }
    session.close();
    CHECK(count_users(engine) == 1);
    CHECK(age_in_database(engine, ids[0]) == 20);
    CHECK(sa::inspect(alice).detached());
}

// sessionmaker and options -----------------------------------------------------------------------

TEST_CASE("sessionmaker gives every Session it makes its options") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();

    auto Default = sa::sessionmaker(engine);
    CHECK(Default().options().autoflush);
    CHECK(Default().options().expire_on_commit);
    auto Manual = sa::sessionmaker(engine, {.autoflush = false, .expire_on_commit = false});
    CHECK_FALSE(Manual().options().autoflush);
    CHECK_FALSE(Manual().options().expire_on_commit);
    auto overridden = Manual({.autoflush = true, .expire_on_commit = false});  // per-Session options
    CHECK(overridden.options().autoflush);
    CHECK_FALSE(overridden.options().expire_on_commit);
}

TEST_CASE("autoflush = false: queries do not see pending objects until flush()") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    sa::metadata<User>().create_all(engine);
    auto session = sa::sessionmaker(engine, {.autoflush = false})();

    auto ann = session.add(User{.name = "ann"});
    CHECK(session.query<User>().count() == 0);
    CHECK(session.query<User>().all().empty());
    CHECK(sa::inspect(ann).pending());
    session.flush();
    CHECK(session.query<User>().count() == 1);
    CHECK(session.query<User>().one() == ann);
    session.commit();
    CHECK(count_users(engine) == 1);

    // With autoflush on (the default), the query flushes first.
    auto flushing = sa::sessionmaker(engine)();
    auto bob = flushing.add(User{.name = "bob"});
    CHECK(flushing.query<User>().count() == 2);
    CHECK(sa::inspect(bob).persistent());
    CHECK(flushing.query<User>().filter_by<&User::name>("bob").one() == bob);
    flushing.commit();
}

TEST_CASE("expire_on_commit on expires objects at commit and reloads them, and off keeps them") {
    auto backend = GENERATE(from_range(backends()));
    sa::test::EchoCapture capture;
    auto engine = backend.engine({.echo = true, .echo_sink = capture.sink()});
    sa::metadata<User>().create_all(engine);

    auto keeping = sa::sessionmaker(engine, {.expire_on_commit = false})();
    auto ann = keeping.add(User{.name = "ann", .age = 5});
    keeping.commit();
    CHECK(sa::inspect(ann).persistent());
    CHECK_FALSE(sa::inspect(ann).expired());
    capture.lines.clear();
    CHECK(keeping.get<User>(ann->id) == ann);
    CHECK(capture.lines.empty());

    auto expiring = sa::sessionmaker(engine)();
    auto bob = expiring.add(User{.name = "bob", .age = 6});
    expiring.commit();
    CHECK(sa::inspect(bob).persistent());
    CHECK(sa::inspect(bob).expired());
    capture.lines.clear();
    CHECK(expiring.get<User>(bob->id) == bob);
    CHECK(count_starting_with(capture.lines, "SELECT") == 1);
    CHECK_FALSE(sa::inspect(bob).expired());
    CHECK(bob->age == 6);
    expiring.commit();
}

// Object states ------------------------------------------------------------------------------------

TEST_CASE("an object goes transient, pending, persistent, deleted, detached") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    sa::metadata<User>().create_all(engine);
    sa::Session session(engine);

    // A shared_ptr the session did not make works like one it did.
    auto made_elsewhere = std::make_shared<User>(User{.name = "ann"});
    CHECK(sa::inspect(made_elsewhere).transient());
    CHECK_FALSE(sa::inspect(made_elsewhere).has_identity());
    CHECK(session.add(made_elsewhere) == made_elsewhere);
    auto made_here = session.add(User{.name = "bob"});

    for (const auto& user : {made_elsewhere, made_here}) {
        CHECK(sa::inspect(user).pending());
        CHECK(session.contains(user));
        CHECK(session.is_modified(user));
    }
    session.flush();
    for (const auto& user : {made_elsewhere, made_here}) {
        CHECK(sa::inspect(user).persistent());
        CHECK(sa::inspect(user).has_identity());
        CHECK(user->id != 0);
        CHECK_FALSE(session.is_modified(user));
    }
    session.delete_(made_elsewhere);
    session.delete_(made_here);
    CHECK(sa::inspect(made_here).persistent());  // until the flush
    CHECK(sa::inspect(made_here).delete_requested());
    session.flush();
    for (const auto& user : {made_elsewhere, made_here}) {
        CHECK(sa::inspect(user).deleted());
        CHECK(session.contains(user));
    }
    CHECK(session.get<User>(made_here->id) == nullptr);
    session.commit();
    for (const auto& user : {made_elsewhere, made_here}) {
        CHECK(sa::inspect(user).detached());
        CHECK_FALSE(session.contains(user));
    }
    CHECK(count_users(engine) == 0);
    CHECK(sa::to_string(sa::ObjectState::detached) == "detached");
}

TEST_CASE("expunge takes one object out of the session and close() detaches them all") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    sa::metadata<User>().create_all(engine);
    auto ids = seed_users(engine, {"ann", "bob"});
    sa::Session session(engine);

    // A pending object expunged is transient again and never inserted.
    auto carl = session.add(User{.name = "carl"});
    session.expunge(carl);
    CHECK(sa::inspect(carl).transient());
    CHECK_FALSE(session.contains(carl));

    // A persistent one becomes detached; the session loads a new object for its row.
    auto ann = session.get<User>(ids[0]);
    session.expunge(ann);
    CHECK(sa::inspect(ann).detached());
    CHECK_FALSE(session.contains(ann));
    auto ann_again = session.get<User>(ids[0]);
    REQUIRE(ann_again);
    CHECK(ann_again != ann);
    CHECK(ann_again->name == "ann");
    CHECK_THROWS_AS(session.expunge(ann), sa::InvalidRequestError);

    // A detached object cannot come back while another object holds its row.
    CHECK_THROWS_AS(session.add(ann), sa::InvalidRequestError);

    auto bob = session.get<User>(ids[1]);
    session.commit();
    CHECK(count_users(engine) == 2);

    session.close();
    CHECK(sa::inspect(ann_again).detached());
    CHECK(sa::inspect(bob).detached());
    CHECK_FALSE(session.contains(bob));
    CHECK_FALSE(session.in_transaction());

    // Closed, the Session is usable again; a detached object can be added back.
    CHECK(session.get<User>(ids[1]) != bob);
    session.expunge_all();
    session.add(bob);
    CHECK(sa::inspect(bob).persistent());
    bob->age = 77;
    session.commit();
    CHECK(age_in_database(engine, ids[1]) == 77);

    // An object belongs to one session at a time.
    sa::Session other(engine);
    auto ann_elsewhere = other.get<User>(ids[0]);
    CHECK_THROWS_MATCHES(session.add(ann_elsewhere), sa::InvalidRequestError,
                         MessageContains("another Session"));
}

TEST_CASE("add() refuses an object whose DELETE was committed, expunged before the commit or not") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    sa::metadata<User>().create_all(engine);
    const bool expunged = GENERATE(false, true);
    CAPTURE(expunged);
    const auto rows = count_users(engine);  // what the other run left
    const auto id = seed_users(engine, {expunged ? "ann, expunged" : "ann"})[0];

    sa::Session session(engine);
    auto ann = session.get<User>(id);
    session.delete_(ann);
    session.flush();
    if (expunged) session.expunge(ann);
    session.commit();
    CHECK(sa::inspect(ann).detached());

    // Another row may take the key (SQLite hands it out again): the deleted object has no
    // row, neither that one nor its own.
    const auto bob_id = seed_users(engine, {expunged ? "bob, after expunged ann" : "bob"})[0];
    sa::Session other(engine);
    CHECK_THROWS_MATCHES(other.add(ann), sa::InvalidRequestError,
                         MessageContains("its DELETE was committed"));
    CHECK_FALSE(other.contains(ann));
    CHECK_THROWS_AS(session.add(ann), sa::InvalidRequestError);
    auto at_key = other.get<User>(id);
    CHECK(at_key != ann);
    CHECK((at_key == nullptr || at_key->id == bob_id));
    ann->age = 99;
    other.commit();
    CHECK(age_in_database(engine, bob_id) == 20);
    CHECK(count_users(engine) == rows + 1);
}

TEST_CASE("add() of a detached object takes the place of the session's copy the program dropped unchanged") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    sa::metadata<User>().create_all(engine);
    const auto id = seed_users(engine, {"ann"})[0];
    std::shared_ptr<User> detached;
    {
        sa::Session first(engine);
        detached = first.get<User>(id);
    }

    sa::Session session(engine);
    { auto dropped = session.get<User>(id); }
    detached->age = 42;
    session.add(detached);
    CHECK(sa::inspect(detached).persistent());
    CHECK(session.get<User>(id) == detached);
    session.commit();
    CHECK(age_in_database(engine, id) == 42);
    session.close();

    // A dropped copy with a change to flush keeps its place, and its change.
    sa::Session third(engine);
    third.get<User>(id)->age = 50;
    CHECK_THROWS_MATCHES(third.add(detached), sa::InvalidRequestError, MessageContains("same primary key"));
    CHECK(sa::inspect(detached).detached());
    third.commit();
    CHECK(age_in_database(engine, id) == 50);
}

TEST_CASE(
    "a session.execute() Result read after close() raises instead of reading another statement's rows") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine({.pool_size = 1, .max_overflow = 1});
    sa::metadata<User>().create_all(engine);
    seed_users(engine, {"ann", "bob"});
    sa::Session session(engine);
    auto names = session.execute(sa::select(sa::col<&User::name>).order_by(sa::col<&User::name>));
    session.close();  // gives the session's connection back to the pool
    {
        auto a = engine.connect();  // that connection
        auto b = engine.connect();  // an overflow one
        b.close();
        a.close();  // surplus: closed
    }
    auto conn = engine.connect();
    auto other = conn.execute(sa::text("SELECT 'secret' UNION ALL SELECT 'secret'").columns<std::string>());
    CHECK_THROWS_MATCHES(names.all(), sa::InvalidRequestError,
                         MessageContains("this Result's connection was closed"));
    CHECK(other.all() == std::vector<std::string>{"secret", "secret"});
}

TEST_CASE("rollback makes new objects transient without their ids and deleted ones persistent again") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    sa::metadata<User>().create_all(engine);
    auto ids = seed_users(engine, {"keep"});
    sa::Session session(engine);

    auto kept = session.get<User>(ids[0]);
    auto inserted = session.add(User{.name = "inserted"});
    session.flush();
    REQUIRE(inserted->id != 0);
    CHECK(sa::inspect(inserted).persistent());
    session.delete_(kept);
    session.flush();
    CHECK(sa::inspect(kept).deleted());
    auto pending = session.add(User{.name = "pending"});

    session.rollback();

    CHECK(sa::inspect(pending).transient());
    CHECK(sa::inspect(inserted).transient());
    CHECK(inserted->id == 0);
    CHECK_FALSE(session.contains(inserted));
    CHECK(sa::inspect(kept).persistent());
    CHECK(sa::inspect(kept).expired());
    CHECK(session.contains(kept));
    CHECK(session.get<User>(ids[0]) == kept);
    CHECK(kept->name == "keep");
    CHECK(count_users(engine) == 1);

    // The rolled back objects can be added again, and get new ids.
    session.add(inserted);
    session.commit();
    CHECK(inserted->id != 0);
    CHECK(count_users(engine) == 2);
}

// The identity map --------------------------------------------------------------------------------

TEST_CASE("the identity map gives one object per row, and get() of a loaded object runs no SQL") {
    auto backend = GENERATE(from_range(backends()));
    sa::test::EchoCapture capture;
    auto engine = backend.engine({.echo = true, .echo_sink = capture.sink()});
    sa::metadata<User>().create_all(engine);
    auto ids = seed_users(engine, {"ann", "bob"});
    sa::Session session(engine);

    auto all = session.query<User>().order_by(sa::col<&User::id>).all();
    REQUIRE(all.size() == 2);
    auto again = session.query<User>().order_by(sa::col<&User::id>).all();
    CHECK(again == all);
    CHECK(session.query<User>().filter_by<&User::name>("bob").one() == all[1]);
    CHECK(session.scalars(sa::select<User>().where(sa::col<&User::name> == "ann")).one() == all[0]);
    CHECK(session.query<User>().get(ids[1]) == all[1]);

    capture.lines.clear();
    CHECK(session.get<User>(ids[0]) == all[0]);
    CHECK(session.get<User>(ids[1]) == all[1]);
    CHECK(capture.lines.empty());

    // A row not in the map is loaded once, then served from the map.
    CHECK(session.get<User>(std::int64_t{424242}) == nullptr);
    CHECK(count_starting_with(capture.lines, "SELECT") == 1);

    // A new object gets its identity at the flush.
    auto carl = session.add(User{.name = "carl"});
    session.flush();
    capture.lines.clear();
    CHECK(session.get<User>(carl->id) == carl);
    CHECK(capture.lines.empty());
    session.commit();
}

TEST_CASE("get() and refresh() of a key two rows share raise MultipleResultsFound and keep no object") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    {
        auto conn = engine.connect();
        conn.execute_script(
            "CREATE TABLE shared_keys (id BIGINT NOT NULL, label VARCHAR(10) NOT NULL);"
            "INSERT INTO shared_keys (id, label) VALUES (1, 'a'), (1, 'b'), (2, 'c');");
        conn.commit();
    }
    sa::Session session(engine);
    CHECK_THROWS_AS(session.get<SharedKey>(std::int64_t{1}), sa::MultipleResultsFound);
    // Nothing of the failed get stayed in the identity map: it asks the database again.
    CHECK_THROWS_AS(session.get<SharedKey>(std::int64_t{1}), sa::MultipleResultsFound);

    auto two = session.get<SharedKey>(std::int64_t{2});
    REQUIRE(two);
    CHECK(two->label == "c");
    session.commit();
    {
        auto conn = engine.connect();
        conn.execute_script("INSERT INTO shared_keys (id, label) VALUES (2, 'd')");
        conn.commit();
    }
    CHECK_THROWS_AS(session.refresh(two), sa::MultipleResultsFound);
    CHECK(two->label == "c");
    session.rollback();
}

TEST_CASE("a new object read after a held, an expired or a refreshed one has none of its memory") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    sa::metadata<User>().create_all(engine);
    const std::string long_email(1 << 20, 'x');
    auto add_elsewhere = [&](std::string name, std::optional<std::string> email = std::nullopt) {
        auto conn = engine.connect();
        conn.execute(
            sa::insert<User>().values(User{.name = std::move(name), .age = 30, .email = std::move(email)}));
        conn.commit();
    };
    add_elsewhere("big", long_email);
    add_elsewhere("small", "s@example.com");
    const auto small_email = [](const std::shared_ptr<User>& user) { return user->email.value().capacity(); };

    // Each row is read into the object it would become; a row of an object the session
    // holds leaves that one for the next row, which must not keep the long e-mail's buffer.
    sa::Session session(engine);
    auto big = session.query<User>().filter_by<&User::name>("big").one();
    auto all = session.query<User>().order_by(sa::col<&User::id>).all();
    REQUIRE(all.size() == 2);
    CHECK(all[0] == big);
    CHECK(all[1]->email == "s@example.com");
    CHECK(small_email(all[1]) < 1000);
    all.clear();
    session.commit();  // expires `big`

    // An expired object takes the row's values; the next new row is read after it.
    add_elsewhere("third", "t@example.com");
    all = session.query<User>().order_by(sa::col<&User::id>).all();
    REQUIRE(all.size() == 3);
    CHECK(all[0] == big);
    CHECK(big->email == long_email);
    CHECK(small_email(all[2]) < 1000);
    all.clear();
    session.refresh(big);  // reads its row the same way
    CHECK(big->email == long_email);
    auto third = session.query<User>().filter_by<&User::name>("third").one();
    session.commit();

    // So do get() of an expired object and a get() of a new one.
    add_elsewhere("fourth", "f@example.com");
    CHECK(session.get<User>(big->id) == big);
    CHECK(big->email == long_email);
    auto fourth = session.query<User>().filter_by<&User::name>("fourth").one();
    CHECK(small_email(fourth) < 1000);
    session.expire(third);
    CHECK(session.get<User>(third->id) == third);  // after big's row, read into the same place
    CHECK(small_email(third) < 1000);
    session.rollback();
}

// Dirty tracking ----------------------------------------------------------------------------------

TEST_CASE("a flush writes only what changed: nothing for unchanged objects, one column for one change") {
    auto backend = GENERATE(from_range(backends()));
    sa::test::EchoCapture capture;
    auto engine = backend.engine({.echo = true, .echo_sink = capture.sink()});
    sa::metadata<User>().create_all(engine);
    auto ids = seed_users(engine, {"ann", "bob"});
    sa::Session session(engine);

    auto users = session.query<User>().order_by(sa::col<&User::id>).all();
    REQUIRE(users.size() == 2);
    auto ann = users[0];
    CHECK_FALSE(session.is_modified(ann));

    capture.lines.clear();
    session.flush();
    session.commit();
    CHECK(count_starting_with(capture.lines, "UPDATE") == 0);
    CHECK(count_starting_with(capture.lines, "INSERT") == 0);

    // Assigning the value a field already has is no change either.
    ann = session.get<User>(ids[0]);
    ann->name = std::string("ann");
    CHECK_FALSE(session.is_modified(ann));

    ann->age = 33;
    CHECK(session.is_modified(ann));
    capture.lines.clear();
    session.flush();
    CHECK_FALSE(session.is_modified(ann));
    REQUIRE(count_starting_with(capture.lines, "UPDATE") == 1);
    const auto update = *std::find_if(capture.lines.begin(), capture.lines.end(),
                                      [](const std::string& l) { return l.starts_with("UPDATE"); });
    CHECK_THAT(update, Catch::Matchers::Contains("\"age\""));
    CHECK_THAT(update, !Catch::Matchers::Contains("\"name\""));
    CHECK_THAT(update, !Catch::Matchers::Contains("\"email\""));
    session.commit();
    CHECK(age_in_database(engine, ids[0]) == 33);

    // Two objects with the same change share one statement.
    auto both = session.query<User>().all();
    for (auto& user : both) user->email = "same@example.com";
    capture.lines.clear();
    session.commit();
    CHECK(count_starting_with(capture.lines, "UPDATE") == 1);
    CHECK(session.query<User>().filter(sa::col<&User::email> == "same@example.com").count() == 2);

    // Different changes: one statement per set of changed columns, in the order of the
    // first object of each, every object in the statement of its own change.
    auto carl = session.add(User{.name = "carl", .age = 1});
    session.commit();
    both = session.query<User>().order_by(sa::col<&User::id>).all();
    REQUIRE(both.size() == 3);
    both[0]->email = "first@example.com";
    both[1]->age = 51;
    both[2]->email = "third@example.com";
    capture.lines.clear();
    session.commit();
    std::vector<std::string> updates;
    for (const auto& line : capture.lines)
        if (line.starts_with("UPDATE")) updates.push_back(line);
    REQUIRE(updates.size() == 2);
    CHECK_THAT(updates[0], Catch::Matchers::Contains("\"email\"") && !Catch::Matchers::Contains("\"age\""));
    CHECK_THAT(updates[1], Catch::Matchers::Contains("\"age\"") && !Catch::Matchers::Contains("\"email\""));
    CHECK(age_in_database(engine, ids[1]) == 51);
    CHECK(session.query<User>().filter(sa::col<&User::email> == "first@example.com").count() == 1);
    CHECK(session.get<User>(carl->id)->email == "third@example.com");
}

TEST_CASE("a NaN loaded from the database is no change: no UPDATE at every flush") {
    // SQLite stores a NaN as NULL, so only PostgreSQL can hand one back.
    auto backend = GENERATE(from_range(backends()));
    if (!backend.is_postgresql()) return;
    sa::test::EchoCapture capture;
    auto engine = backend.engine({.echo = true, .echo_sink = capture.sink()});
    sa::metadata<Reading>().create_all(engine);
    {
        auto conn = engine.connect();
        conn.execute_sql("INSERT INTO readings (value, spare) VALUES ('NaN', 'NaN')");
        conn.commit();
    }
    sa::Session session(engine);
    auto reading = session.query<Reading>().one();
    REQUIRE(std::isnan(reading->value));
    REQUIRE(std::isnan(reading->spare.value()));
    CHECK_FALSE(session.is_modified(reading));
    capture.lines.clear();
    session.flush();
    CHECK(count_starting_with(capture.lines, "UPDATE") == 0);

    // A NaN written over a number, and a number over a NaN, are changes.
    reading->spare = 1.5;
    CHECK(session.is_modified(reading));
    session.commit();
    CHECK(session.query<Reading>().filter(sa::col<&Reading::spare> == 1.5).count() == 1);
    reading->spare = std::numeric_limits<double>::quiet_NaN();
    CHECK(session.is_modified(reading));
    capture.lines.clear();
    session.commit();
    CHECK(count_starting_with(capture.lines, "UPDATE") == 1);
    CHECK(session.query<Reading>().filter(sa::col<&Reading::spare> == 1.5).count() == 0);
}

// expire / refresh --------------------------------------------------------------------------------

TEST_CASE("expire and refresh bring in what another connection changed, and refresh drops local changes") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    sa::metadata<User>().create_all(engine);
    auto ids = seed_users(engine, {"ann"});
    const auto id = ids[0];

    // expire_on_commit off, so only expire()/refresh() make the session reload. Each
    // commit ends the session's transaction before the other connection writes (a
    // SQLite reader would otherwise hold the writer off).
    sa::Session session(engine, {.expire_on_commit = false});
    auto ann = session.get<User>(id);
    REQUIRE(ann);
    CHECK(ann->age == 20);
    session.commit();

    set_age_elsewhere(engine, id, 21);
    CHECK(session.get<User>(id) == ann);
    CHECK(ann->age == 20);  // not reloaded: nothing said it is out of date
    CHECK(session.query<User>().filter_by<&User::name>("ann").one() == ann);
    CHECK(ann->age == 20);  // a query does not overwrite a loaded object either
    session.commit();

    session.expire(ann);
    CHECK(sa::inspect(ann).expired());
    CHECK(session.get<User>(id) == ann);
    CHECK(ann->age == 21);
    CHECK_FALSE(sa::inspect(ann).expired());
    session.commit();

    set_age_elsewhere(engine, id, 22);
    session.refresh(ann);  // at once
    CHECK(ann->age == 22);
    session.commit();

    set_age_elsewhere(engine, id, 23);
    session.expire_all();
    CHECK(session.query<User>().one() == ann);  // a query reloads an expired object
    CHECK(ann->age == 23);
    session.commit();

    // refresh() discards changes not flushed yet.
    ann->name = "changed";
    ann->age = 1;
    CHECK(session.is_modified(ann));
    session.refresh(ann);
    CHECK(ann->name == "ann");
    CHECK(ann->age == 23);
    CHECK_FALSE(session.is_modified(ann));
    session.commit();
    CHECK(age_in_database(engine, id) == 23);

    // A pending object has nothing to refresh from.
    auto pending = session.add(User{.name = "new"});
    CHECK_THROWS_AS(session.refresh(pending), sa::InvalidRequestError);
    session.rollback();
}

TEST_CASE("expire_on_commit: after commit the next get() reloads what another connection changed") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    sa::metadata<User>().create_all(engine);
    auto ids = seed_users(engine, {"ann"});

    sa::Session session(engine);
    auto ann = session.get<User>(ids[0]);
    session.commit();
    CHECK(sa::inspect(ann).expired());
    set_age_elsewhere(engine, ids[0], 42);
    CHECK(session.get<User>(ids[0]) == ann);
    CHECK(ann->age == 42);
    session.commit();
}

TEST_CASE("rollback and expire drop unflushed changes, but a change made after expiry stays") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    sa::metadata<User>().create_all(engine);
    auto ids = seed_users(engine, {"ann"});
    sa::Session session(engine, {.autoflush = false});  // so changes stay unflushed

    auto ann = session.get<User>(ids[0]);
    ann->age = 77;
    session.rollback();
    CHECK(ann->age == 20);  // as SQLAlchemy's expiry: the change is gone, not written later
    CHECK_FALSE(session.is_modified(ann));
    CHECK(session.get<User>(ids[0]) == ann);
    CHECK(ann->age == 20);
    session.commit();
    CHECK(age_in_database(engine, ids[0]) == 20);

    ann->name = "changed";
    session.expire(ann);
    CHECK(ann->name == "ann");
    session.get<User>(ids[0]);
    CHECK(ann->name == "ann");

    session.expire(ann);
    ann->age = 30;  // after the expiry: kept when the row is reloaded, then flushed
    CHECK(session.get<User>(ids[0]) == ann);
    CHECK(ann->age == 30);
    CHECK(session.is_modified(ann));
    session.commit();
    CHECK(age_in_database(engine, ids[0]) == 30);
}

// merge -------------------------------------------------------------------------------------------

TEST_CASE("merge copies a detached object's values into the session's own object") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    sa::metadata<User>().create_all(engine);
    auto ids = seed_users(engine, {"ann", "bob"});

    std::shared_ptr<User> detached;
    {
        sa::Session first(engine);
        detached = first.get<User>(ids[0]);
        first.close();
    }
    REQUIRE(sa::inspect(detached).detached());
    detached->age = 50;
    detached->email = "ann@example.com";

    sa::Session session(engine);
    auto own = session.get<User>(ids[0]);
    auto merged = session.merge(detached);
    CHECK(merged == own);
    CHECK(merged != detached);
    CHECK(merged->age == 50);
    CHECK(merged->email == std::optional<std::string>("ann@example.com"));
    CHECK(sa::inspect(detached).detached());  // the argument stays out of the session
    CHECK(session.is_modified(merged));
    session.commit();
    CHECK(age_in_database(engine, ids[0]) == 50);

    // Without the row loaded first, merge loads it.
    sa::Session third(engine);
    User bob_values{.id = ids[1], .name = "bob", .age = 60};
    auto bob = third.merge(bob_values);
    CHECK(sa::inspect(bob).persistent());
    CHECK(third.get<User>(ids[1]) == bob);
    third.commit();
    CHECK(age_in_database(engine, ids[1]) == 60);

    // Merging an object of this session returns it as it is.
    CHECK(third.merge(bob) == bob);
}

TEST_CASE("merge of a transient object with a new key inserts it") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    sa::metadata<User>().create_all(engine);

    sa::Session session(engine);
    auto merged = session.merge(User{.id = 1000, .name = "explicit", .age = 7});
    CHECK(sa::inspect(merged).pending());
    auto generated = session.merge(User{.name = "generated"});
    CHECK(sa::inspect(generated).pending());
    session.commit();
    CHECK(merged->id == 1000);
    CHECK(generated->id != 0);
    CHECK(age_in_database(engine, 1000) == 7);
    CHECK(count_users(engine) == 2);
}

TEST_CASE("merge of an expired detached object copies only the columns the program changed") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    sa::metadata<User>().create_all(engine);
    auto ids = seed_users(engine, {"ann"});

    std::shared_ptr<User> expired;
    {
        sa::Session first(engine);
        expired = first.get<User>(ids[0]);
        first.commit();  // expire_on_commit
        first.close();
    }
    REQUIRE(sa::inspect(expired).detached());
    REQUIRE(sa::inspect(expired).expired());
    set_age_elsewhere(engine, ids[0], 99);
    expired->email = "ann@example.com";

    // Its other columns are as old as its last load: the row's newer age stays.
    sa::Session session(engine);
    auto merged = session.merge(expired);
    CHECK(merged->age == 99);
    CHECK(merged->email == std::optional<std::string>("ann@example.com"));
    session.commit();
    CHECK(age_in_database(engine, ids[0]) == 99);
    sa::Session check(engine);
    CHECK(check.get<User>(ids[0])->email == std::optional<std::string>("ann@example.com"));
}

TEST_CASE("merge of a detached object whose key the program changed moves its row") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    sa::metadata<User>().create_all(engine);
    auto ids = seed_users(engine, {"ann", "bob"});
    auto load_detached = [&](std::int64_t id) {
        sa::Session loading(engine);
        return loading.get<User>(id);
    };

    // The source is found by the key it was loaded with; the flush moves the row to the
    // new one, as for an object of the session whose key the program changed.
    auto ann = load_detached(ids[0]);
    ann->id = 1000;
    ann->age = 70;
    {
        sa::Session session(engine);
        auto merged = session.merge(ann);
        CHECK(sa::inspect(merged).persistent());
        CHECK(merged->id == 1000);
        session.commit();
    }
    CHECK(count_users(engine) == 2);
    CHECK(age_in_database(engine, 1000) == 70);

    // A new key another object of the session holds would give two objects one identity.
    auto moved = load_detached(1000);
    moved->id = ids[1];
    {
        sa::Session session(engine);
        auto bob = session.get<User>(ids[1]);
        CHECK_THROWS_MATCHES(session.merge(moved), sa::InvalidRequestError,
                             MessageContains("another object of this Session has that primary key"));
        CHECK(bob->name == "bob");
        CHECK(session.get<User>(1000)->id == 1000);
    }
    // One only the database has is refused by its row.
    {
        sa::Session session(engine);
        session.merge(moved);
        CHECK_THROWS_AS(session.flush(), sa::IntegrityError);
    }
    CHECK(count_users(engine) == 2);
}

// Transactions -------------------------------------------------------------------------------------

TEST_CASE("session.begin() while a transaction is open throws InvalidRequestError") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    sa::metadata<User>().create_all(engine);
    sa::Session session(engine);

    session.begin();
    CHECK(session.in_transaction());
    CHECK_THROWS_AS(session.begin(), sa::InvalidRequestError);
    session.commit();
    CHECK_FALSE(session.in_transaction());

    // A query begins one implicitly (autobegin), so begin() after it throws too.
    CHECK(session.query<User>().count() == 0);
    CHECK(session.in_transaction());
    CHECK_THROWS_MATCHES(session.begin(), sa::InvalidRequestError, MessageContains("already begun"));
    session.rollback();
    auto tx = session.begin();
    CHECK(tx.is_active());
    tx.commit();
    CHECK_FALSE(tx.is_active());
    CHECK_THROWS_AS(tx.commit(), sa::InvalidRequestError);

    // A guard belongs to its own transaction, not to whatever opens later at its depth.
    auto first = session.begin();
    auto first_savepoint = session.begin_nested();
    first_savepoint.rollback();
    session.commit();
    auto second = session.begin();
    auto second_savepoint = session.begin_nested();
    session.add(User{.name = "kept"});
    CHECK_FALSE(first.is_active());
    CHECK_FALSE(first_savepoint.is_active());
    // Ended guards roll back nothing, as a Connection's Transaction: not the transaction
    // and SAVEPOINT now open at their depths.
    first_savepoint.rollback();
    first.rollback();
    CHECK(second_savepoint.is_active());
    CHECK(second.is_active());
    second.commit();
    CHECK_FALSE(second_savepoint.is_active());
    CHECK(session.query<User>().filter_by<&User::name>("kept").count() == 1);
}

TEST_CASE("a SessionTransaction rolls back when an exception leaves its scope") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    sa::metadata<User>().create_all(engine);
    sa::Session session(engine);

    std::shared_ptr<User> dave;
    try {
        auto tx = session.begin();
        dave = session.add(User{.name = "dave"});
        session.flush();
        throw std::runtime_error("something went wrong");
    } catch (const std::runtime_error&) {}
    CHECK_FALSE(session.in_transaction());
    CHECK(sa::inspect(dave).transient());
    CHECK(dave->id == 0);
    CHECK(count_users(engine) == 0);

    {  // Committed explicitly, it keeps its work.
        auto tx = session.begin();
        session.add(User{.name = "erin"});
        tx.commit();
    }
    CHECK(count_users(engine) == 1);

    {  // Left without commit or rollback (and without an exception), it stays open.
        auto tx = session.begin();
        session.add(User{.name = "frank"});
    }
    CHECK(session.in_transaction());
    session.commit();
    CHECK(count_users(engine) == 2);
}

TEST_CASE("begin_nested() is a SAVEPOINT: its rollback undoes only its own work, its commit keeps it") {
    auto backend = GENERATE(from_range(backends()));
    sa::test::EchoCapture capture;
    auto engine = backend.engine({.echo = true, .echo_sink = capture.sink()});
    sa::metadata<User>().create_all(engine);
    auto ids = seed_users(engine, {"ann"});
    sa::Session session(engine);

    auto ann = session.get<User>(ids[0]);
    auto erin = session.add(User{.name = "erin"});
    capture.lines.clear();
    {
        auto nested = session.begin_nested();
        CHECK(nested.is_nested());
        CHECK(sa::inspect(erin).persistent());  // begin_nested() flushed first
        CHECK(has_line_starting_with(capture.lines, "SAVEPOINT"));
        auto frank = session.add(User{.name = "frank"});
        ann->age = 99;
        session.flush();
        REQUIRE(frank->id != 0);
        nested.rollback();
        CHECK(has_line_starting_with(capture.lines, "ROLLBACK TO SAVEPOINT"));
        CHECK(sa::inspect(frank).transient());
        CHECK(frank->id == 0);
        CHECK(sa::inspect(erin).persistent());
        CHECK(session.in_transaction());
        CHECK(session.get<User>(ids[0]) == ann);
        CHECK(ann->age == 20);  // the savepoint's UPDATE is undone too
    }
    {
        auto nested = session.begin_nested();
        auto gail = session.add(User{.name = "gail"});
        nested.commit();
        CHECK(has_line_starting_with(capture.lines, "RELEASE SAVEPOINT"));
        CHECK(sa::inspect(gail).persistent());
    }
    {  // An exception leaving a nested guard's scope rolls back just the savepoint.
        try {
            auto nested = session.begin_nested();
            session.add(User{.name = "hank"});
            session.flush();
            throw std::runtime_error("inner failure");
        } catch (const std::runtime_error&) {}
        CHECK(session.in_transaction());
    }
    session.commit();

    auto conn = engine.connect();
    auto names = conn.execute(sa::select(sa::col<&User::name>).order_by(sa::col<&User::id>)).all();
    CHECK(names == std::vector<std::string>{"ann", "erin", "gail"});
    CHECK(age_in_database(engine, ids[0]) == 20);
}

TEST_CASE("session.commit() with a SAVEPOINT open commits the SAVEPOINT's work too") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    sa::metadata<User>().create_all(engine);
    sa::Session session(engine);

    auto outer = session.add(User{.name = "outer"});
    auto nested = session.begin_nested();
    auto inner = session.add(User{.name = "inner"});
    session.commit();  // as SQLAlchemy 2.0: the outermost transaction commits, releasing savepoints
    CHECK_FALSE(nested.is_active());
    CHECK(count_users(engine) == 2);
    CHECK(sa::inspect(inner).persistent());

    // A later transaction's rollback leaves the committed objects alone.
    auto later = session.add(User{.name = "later"});
    session.flush();
    session.rollback();
    CHECK(sa::inspect(later).transient());
    CHECK(sa::inspect(inner).persistent());
    CHECK(inner->id != 0);
    CHECK(session.get<User>(inner->id) == inner);
    CHECK(count_users(engine) == 2);
}

TEST_CASE("a flush that fails inside begin_nested() rolls back only its SAVEPOINT") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    sa::metadata<User>().create_all(engine);
    seed_users(engine, {"alice"});
    sa::Session session(engine);

    // SQLAlchemy's recipe: each record in a SAVEPOINT of its own; a failing one is skipped.
    auto outer = session.add(User{.name = "outer"});
    std::vector<std::string> skipped;
    std::vector<std::shared_ptr<User>> added;
    for (std::string name : {"bob", "alice", "carol"}) {
        try {
            auto nested = session.begin_nested();
            added.push_back(session.add(User{.name = name}));
            nested.commit();
        } catch (const sa::UniqueViolation&) {
            skipped.push_back(name);
        }
    }
    CHECK(skipped == std::vector<std::string>{"alice"});
    REQUIRE(added.size() == 3);
    CHECK(sa::inspect(added[0]).persistent());
    CHECK(sa::inspect(added[1]).transient());
    CHECK(added[1]->id == 0);
    CHECK(sa::inspect(added[2]).persistent());
    CHECK(sa::inspect(outer).persistent());
    CHECK(session.in_transaction());
    CHECK(session.query<User>().count() == 4);
    session.commit();
    CHECK(count_users(engine) == 4);
}

TEST_CASE("a SQLite failure that rolls back the whole transaction makes the Session insist on rollback()") {
    // The users table of User, where a second "alice" fails and makes SQLite roll back the
    // whole transaction: through a RAISE(ROLLBACK) trigger, or an ON CONFLICT ROLLBACK column.
    const bool trigger = GENERATE(true, false);
    auto engine = sa::create_engine(sa::test::sqlite_temp_url());
    if (trigger) {
        sa::metadata<User>().create_all(engine);
        seed_users(engine, {"alice"});
        auto conn = engine.connect();
        conn.execute_script(
            "CREATE TRIGGER refuse_alice BEFORE INSERT ON users WHEN NEW.name = 'alice' "
            "BEGIN SELECT RAISE(ROLLBACK, 'alice is taken'); END");
        conn.commit();
    } else {
        auto conn = engine.connect();
        conn.execute_script(
            "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE ON CONFLICT ROLLBACK, "
            "age INTEGER NOT NULL, email TEXT)");
        conn.commit();
        seed_users(engine, {"alice"});
    }
    sa::Session session(engine);
    auto bob = session.add(User{.name = "bob", .age = 1});
    session.flush();
    SECTION("in a statement the Session runs") {
        CHECK_THROWS_AS(session.execute(sa::text("INSERT INTO users (name, age) VALUES ('alice', 2)")),
                        sa::IntegrityError);
    }
    SECTION("in a flush") {
        session.add(User{.name = "alice", .age = 2});
        CHECK_THROWS_AS(session.flush(), sa::IntegrityError);
    }
    auto carol = session.add(User{.name = "carol", .age = 3});
    CHECK_THROWS_AS(session.flush(), sa::PendingRollbackError);
    CHECK_THROWS_AS(session.commit(), sa::PendingRollbackError);
    session.rollback();
    CHECK(count_users(engine) == 1);  // alice; bob went with SQLite's rollback, carol never ran
    CHECK(sa::inspect(bob).transient());
    CHECK(bob->id == 0);
    CHECK(sa::inspect(carol).transient());

    session.add(carol);
    session.commit();
    CHECK(count_users(engine) == 2);
}

// Keys and ownership ---------------------------------------------------------------------------------

TEST_CASE("text and composite primary keys key the identity map, get() taking one value per key column") {
    auto backend = GENERATE(from_range(backends()));
    sa::test::EchoCapture capture;
    auto engine = backend.engine({.echo = true, .echo_sink = capture.sink()});
    sa::metadata<Tag, Membership>().create_all(engine);
    sa::Session session(engine);

    auto cpp = session.add(Tag{.code = "cpp", .label = "C++"});
    auto lead = session.add(Membership{.user_id = 1, .group_id = 2, .role = "lead"});
    session.add(Membership{.user_id = 1, .group_id = 3, .role = "member"});
    session.flush();
    capture.lines.clear();
    CHECK(session.get<Tag>(std::string("cpp")) == cpp);
    CHECK(session.get<Tag>("cpp") == cpp);
    CHECK(session.get<Membership>(1, 2) == lead);
    CHECK(capture.lines.empty());
    CHECK(session.get<Membership>(2, 1) == nullptr);
    session.commit();

    sa::Session other(engine);
    auto member = other.get<Membership>(std::int64_t{1}, std::int64_t{3});
    REQUIRE(member);
    CHECK(member->role == "member");
    CHECK(other.query<Membership>().filter_by<&Membership::role>("member").one() == member);
    member->role = "lead";
    other.commit();
    CHECK(other.query<Membership>().filter(sa::col<&Membership::role> == "lead").count() == 2);

    // A changed primary key moves the object in the identity map.
    auto tag = other.get<Tag>("cpp");
    tag->code = "c++";
    other.flush();
    CHECK(other.get<Tag>("c++") == tag);
    CHECK(other.get<Tag>("cpp") == nullptr);
    other.commit();
}

TEST_CASE("a time point key finer than microseconds keys the identity map as the database stores it") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    sa::metadata<Stamp>().create_all(engine);
    using std::chrono::nanoseconds;
    const auto at = std::chrono::system_clock::time_point{} + nanoseconds(1'700'000'000'123'456'789);
    sa::Session session(engine, {.expire_on_commit = false});

    // The INSERT reads the filled-in note back by the key the row holds: 123456 µs.
    auto added = session.add(Stamp{.at = at, .label = "first"});
    session.commit();
    CHECK(added->note == "none");
    REQUIRE(session.query<Stamp>().all().size() == 1);
    CHECK(session.query<Stamp>().one() == added);
    CHECK(session.get<Stamp>(at) == added);
    CHECK(session.get<Stamp>(std::chrono::floor<std::chrono::microseconds>(at)) == added);

    // Writes through the object reach its row, and nothing else is written.
    added->label = "changed";
    session.commit();
    sa::Session other(engine);
    auto row = other.query<Stamp>().one();
    CHECK(row->label == "changed");
    CHECK(row->at == std::chrono::floor<std::chrono::microseconds>(at));

    // Another nanosecond of the same microsecond is the same row; another microsecond is not.
    CHECK(other.get<Stamp>(at + nanoseconds(1)) == row);
    CHECK(other.get<Stamp>(at + nanoseconds(1000)) == nullptr);
}

TEST_CASE("an enum primary key is sent as given, and keys the identity map") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    sa::metadata<Paint>().create_all(engine);
    sa::Session session(engine, {.expire_on_commit = false});
    auto red = session.add(Paint{.color = Color::red, .label = "red"});
    auto blue = session.add(Paint{.color = Color::blue, .label = "blue"});
    session.commit();
    CHECK(session.get<Paint>(Color::blue) == blue);
    CHECK(session.query<Paint>().filter(sa::col<&Paint::color> == Color::red).one() == red);

    red->color = Color::green;
    session.flush();
    CHECK(session.get<Paint>(Color::green) == red);
    CHECK(session.get<Paint>(Color::red) == nullptr);
    session.rollback();
    CHECK(session.get<Paint>(Color::red) == red);
}

TEST_CASE("a new object whose std::optional key is empty is refused before its INSERT, as the table would") {
    auto backend = GENERATE(from_range(backends()));
    sa::test::EchoCapture capture;
    auto engine = backend.engine({.echo = true, .echo_sink = capture.sink()});
    sa::metadata<Coupon>().create_all(engine);
    sa::Session session(engine, {.expire_on_commit = false});
    auto first = session.add(Coupon{.label = "first"});
    auto second = session.add(Coupon{.label = "second"});
    capture.lines.clear();
    CHECK_THROWS_MATCHES(session.flush(), sa::FlushError,
                         MessageContains("has a NULL primary key: its field code"));
    CHECK(count_starting_with(capture.lines, "INSERT") == 0);

    // Given keys, the same objects go in.
    session.rollback();
    first->code = "spring";
    second->code = "summer";
    session.add(first);
    session.add(second);
    session.commit();
    CHECK(session.get<Coupon>("spring") == first);
    CHECK(session.query<Coupon>().count() == 2);

    // The table refuses a NULL key too.
    auto conn = engine.connect();
    CHECK_THROWS_AS(conn.execute(sa::insert<Coupon>().values(Coupon{.label = "third"})),
                    sa::NotNullViolation);
}

TEST_CASE("a key that is also a BelongsTo's foreign key is sent as given, never generated") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    CHECK_FALSE(sa::model_info<Profile>::columns[0].autoincrement);
    sa::metadata<User, Profile>().create_all(engine);
    sa::Session session(engine, {.expire_on_commit = false});
    session.add(User{.name = "ann"});
    auto bob = session.add(User{.name = "bob"});
    session.commit();
    auto bobs = session.add(Profile{.bio = "bob's"});
    bobs->user = bob;
    session.commit();
    CHECK(bobs->user_id == bob->id);

    // Without its user the key stays 0, which names no user: it would have been
    // generated, and named ann.
    session.add(Profile{.bio = "nobody's"});
    CHECK_THROWS_AS(session.commit(), sa::ForeignKeyViolation);
    session.rollback();
    sa::Session other(engine);
    const auto profiles = other.query<Profile>().all();
    REQUIRE(profiles.size() == 1);
    CHECK(profiles[0]->user_id == bob->id);
    CHECK(profiles[0]->bio == "bob's");
}

TEST_CASE("add_all() takes objects or pointers, and the session keeps alive what only it holds") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    sa::metadata<User>().create_all(engine);
    sa::Session session(engine);

    std::vector<std::shared_ptr<User>> pointers{std::make_shared<User>(User{.name = "p1"}),
                                                std::make_shared<User>(User{.name = "p2"})};
    auto added = session.add_all(pointers);
    CHECK(added == pointers);
    session.add_all(std::vector<User>{{.name = "v1"}, {.name = "v2"}});  // pointers dropped at once
    session.commit();
    CHECK(count_users(engine) == 4);

    // Objects only the session holds: pending ones dropped by a rollback, persistent
    // ones deleted, expunged and closed.
    session.add(User{.name = "dropped"});
    session.flush();
    session.add(User{.name = "never flushed"});
    session.rollback();
    for (const auto& user : session.query<User>().filter(sa::col<&User::name>.like("v%")).all())
        session.delete_(user);
    session.flush();
    session.rollback();
    CHECK(session.query<User>().count() == 4);
    for (const auto& user : session.query<User>().all()) session.delete_(user);
    session.commit();
    CHECK(count_users(engine) == 0);
    session.add(User{.name = "last"});
    session.close();
    CHECK(count_users(engine) == 0);

    // A deleted object is gone for get() even before the flush, without SQL.
    auto kept = session.add(User{.name = "kept"});
    session.commit();
    session.delete_(session.get<User>(kept->id));
    CHECK(session.get<User>(kept->id) == nullptr);
    CHECK(sa::inspect(kept).delete_requested());
    session.rollback();
    CHECK(session.get<User>(kept->id) == kept);
}
