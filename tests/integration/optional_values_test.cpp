// std::optional values in statements, on both backends: an optional assigned in
// update().values() writes its value or NULL, and `col == optional` / `col != optional` are
// NULL-safe (IS NOT DISTINCT FROM; IS on SQLite) with one SQL text for both cases. Also
// the tutorial's spellings around them: update().values() before or after where(), and the
// query's update() with synchronize_session last.
#include "support/backends.hpp"

#include <alchemy/alchemy.hpp>

#include <catch2/catch.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sa = alchemy;
using sa::test::backends;

namespace optionals {

struct Contact {
    std::int64_t id = 0;
    std::string name{};
    std::optional<std::string> email{};
};

}  // namespace optionals

template <>
inline constexpr auto sa::mapping<optionals::Contact> = sa::table("contacts");

using optionals::Contact;

namespace {

constexpr auto id = sa::col<&Contact::id>;
constexpr auto name = sa::col<&Contact::name>;
constexpr auto email = sa::col<&Contact::email>;

void fill(sa::Engine& engine) {
    sa::metadata<Contact>().create_all(engine);
    auto conn = engine.connect();
    conn.execute(sa::insert<Contact>().values(Contact{.id = 1, .name = "ann", .email = "ann@example.com"}));
    conn.execute(sa::insert<Contact>().values(Contact{.id = 2, .name = "bob", .email = std::nullopt}));
    conn.execute(sa::insert<Contact>().values(Contact{.id = 3, .name = "cid", .email = "cid@example.com"}));
    conn.commit();
}

std::vector<std::string> names_where_email_is(sa::Connection& conn,
                                              const std::optional<std::string>& wanted) {
    std::vector<std::string> names;
    for (const auto& n : conn.execute(sa::select(name).where(email == wanted).order_by(id)))
        names.push_back(n);
    return names;
}

}  // namespace

TEST_CASE("col == optional matches the value, or NULL when the optional is empty") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    fill(engine);
    auto conn = engine.connect();

    CHECK(names_where_email_is(conn, "ann@example.com") == std::vector<std::string>{"ann"});
    CHECK(names_where_email_is(conn, std::nullopt) == std::vector<std::string>{"bob"});

    std::vector<std::string> others;
    const std::optional<std::string> none;
    for (const auto& n : conn.execute(sa::select(name).where(email != none).order_by(id)))
        others.push_back(n);
    CHECK(others == std::vector<std::string>{"ann", "cid"});
    others.clear();
    const std::optional<std::string> anns = "ann@example.com";
    for (const auto& n : conn.execute(sa::select(name).where(email != anns).order_by(id)))
        others.push_back(n);
    CHECK(others == std::vector<std::string>{"bob", "cid"});  // NULL is distinct from a value

    // A NOT NULL column compared with an optional: an empty one matches nothing.
    CHECK(conn.execute(sa::select(name).where(id == std::optional<std::int64_t>{})).all().empty());
    CHECK(conn.execute(sa::select(name).where(id == std::optional<std::int64_t>{3})).scalar_one() == "cid");

    // The explicit spellings, and the same SQL text whatever the optional holds.
    CHECK(conn.execute(sa::select(name).where(email.is_not_distinct_from(none))).scalar_one() == "bob");
    const auto& dialect = engine.dialect();
    const auto with_value = sa::select(name).where(email == anns).sql(dialect);
    CHECK(with_value == sa::select(name).where(email == none).sql(dialect));
    CHECK_THAT(with_value,
               Catch::Contains(backend.is_sqlite() ? R"("contacts"."email" IS ?)"
                                                   : R"("contacts"."email" IS NOT DISTINCT FROM $1)"));
    // A plain value keeps plain equality (and its index use on PostgreSQL).
    CHECK_THAT(sa::select(name).where(email == "x").sql(dialect),
               Catch::Contains(R"("contacts"."email" = )"));
}

TEST_CASE("update().values() assigns an optional's value or NULL, before or after where()") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    fill(engine);
    auto conn = engine.connect();

    Contact other{.id = 9, .name = "x", .email = "moved@example.com"};
    conn.execute(sa::update<Contact>().values(email = other.email).where(id == 2));
    other.email.reset();
    conn.execute(sa::update<Contact>().where(id == 1).values(email = other.email));
    // values() twice adds to the SET list; the values bind before WHERE's whatever the order.
    conn.execute(sa::update<Contact>()
                     .where(id == 3)
                     .values(name = "cyd")
                     .values(email = std::optional<std::string>{"c@x"}));

    std::vector<std::optional<std::string>> emails;
    for (const auto& e : conn.execute(sa::select(email).order_by(id))) emails.push_back(e);
    CHECK(emails == std::vector<std::optional<std::string>>{std::nullopt, "moved@example.com", "c@x"});
    CHECK(conn.execute(sa::select(name).where(id == 3)).scalar_one() == "cyd");
}

TEST_CASE("query.update() takes synchronize_session last and evaluates NULL-safe criteria") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    fill(engine);
    sa::Session session(engine);

    const auto bob = session.get<Contact>(2);
    const auto ann = session.get<Contact>(1);
    const std::optional<std::string> none;
    // evaluate: the criteria run in C++ on the session's objects, NULL as SQL has it.
    CHECK(session.query<Contact>()
              .filter(email.is_null() && id > 0)
              .update(name = "bobby", sa::synchronize_session::evaluate) == 1);
    CHECK(bob->name == "bobby");
    CHECK(ann->name == "ann");
    // none: the objects keep their old values until refreshed.
    CHECK(session.query<Contact>().filter(id == 1).update(name = "anna", sa::synchronize_session::none) == 1);
    CHECK(ann->name == "ann");
    session.refresh(ann);
    CHECK(ann->name == "anna");
    // Without the option: the default (evaluate when it can; a comparison of text is the
    // column collation's to decide, so fetch).
    CHECK(session.query<Contact>().filter(email != none).update(email = std::optional<std::string>{}) == 2);
    CHECK_FALSE(ann->email.has_value());
    session.commit();
    auto conn = engine.connect();
    CHECK(conn.execute(sa::select(sa::count()).select_from<Contact>().where(email == none)).scalar_one() ==
          3);
}
