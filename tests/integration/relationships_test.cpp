// Relationships (orm/relationships.hpp): many-to-one, one-to-many and one-to-one with
// both sides in step in memory, foreign keys written at flush in dependency order, the
// save-update cascade, loads batched over the objects of one query (statement counts
// from the echo sink), the detached error, and no parent-child cycle kept alive.
#include "support/backends.hpp"
#include "support/matchers.hpp"

#include <alchemy/alchemy.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sa = alchemy;
using sa::test::backends;
using sa::test::MessageContains;

namespace rel {

struct Post;
struct Profile;

struct Author {
    std::int64_t id = 0;
    std::string name{};
    sa::HasMany<Post> posts{};
    sa::HasOne<Profile> profile{};
};

struct Post {
    std::int64_t id = 0;
    std::int64_t author_id = 0;
    std::string title{};
    sa::BelongsTo<Author> author{};
};

struct Profile {
    std::int64_t id = 0;
    std::optional<std::int64_t> author_id{};
    std::string bio{};
    sa::BelongsTo<Author> author{};
};

// An association object: a membership with a column of its own, reached from both sides
// through ordinary HasMany/BelongsTo pairs.
struct Membership;
struct Member {
    std::int64_t id = 0;
    std::string name{};
    sa::HasMany<Membership> memberships{};
};
struct Club {
    std::int64_t id = 0;
    std::string name{};
    sa::HasMany<Membership> memberships{};
};
struct Membership {
    std::int64_t id = 0;
    std::int64_t member_id = 0;
    std::int64_t club_id = 0;
    std::string role{};
    sa::BelongsTo<Member> member{};
    sa::BelongsTo<Club> club{};
};

// A many-to-many whose association model has a key of its own: another transaction can
// give one of its rows another student or another course.
struct Course;
struct Enrollment;
struct Student {
    std::int64_t id = 0;
    std::string name{};
    sa::ManyToMany<Course, Enrollment> courses{};
};
struct Course {
    std::int64_t id = 0;
    std::string name{};
    sa::ManyToMany<Student, Enrollment> students{};
};
struct Enrollment {
    std::int64_t id = 0;
    std::int64_t student_id = 0;
    std::int64_t course_id = 0;
    sa::BelongsTo<Student> student{};
    sa::BelongsTo<Course> course{};
};

// Books indexed by shelf and title: SQLite reads a shelf's books through that index, in
// title order rather than key order.
struct Book;
struct Shelf {
    std::int64_t id = 0;
    std::string name{};
    sa::HasMany<Book> books{};
};
struct Book {
    std::int64_t id = 0;
    std::int64_t shelf_id = 0;
    std::string title{};
    sa::BelongsTo<Shelf> shelf{};
};

// A band whose mapping joins its songs into every query of bands.
struct Song;
struct Band {
    std::int64_t id = 0;
    std::string name{};
    sa::HasMany<Song> songs{};
};
struct Song {
    std::int64_t id = 0;
    std::int64_t band_id = 0;
    std::string title{};
    sa::BelongsTo<Band> band{};
};

// Articles whose mapping loads their notes with every load of articles, by writers whose
// mapping joins their articles into every query of writers.
struct Article;
struct Note;
struct Writer {
    std::int64_t id = 0;
    std::string name{};
    sa::HasMany<Article> articles{};
};
struct Article {
    std::int64_t id = 0;
    std::int64_t writer_id = 0;
    std::string title{};
    sa::BelongsTo<Writer> writer{};
    sa::HasMany<Note> notes{};
};
struct Note {
    std::int64_t id = 0;
    std::int64_t article_id = 0;
    std::string text{};
    sa::BelongsTo<Article> article{};
};

// Invoice lines keyed by (invoice_id, no).
struct InvoiceLine;
struct Invoice {
    std::int64_t id = 0;
    std::string name{};
    sa::HasMany<InvoiceLine> lines{};
};
struct InvoiceLine {
    std::int64_t invoice_id = 0;
    std::int64_t no = 0;
    std::string sku{};
    sa::BelongsTo<Invoice> invoice{};
};

}  // namespace rel

template <>
inline constexpr auto sa::mapping<rel::Band> =
    sa::table("bands", sa::relationship(&rel::Band::songs).lazy(sa::Lazy::joined));
template <>
inline constexpr auto sa::mapping<rel::Song> = sa::table("songs");
template <>
inline constexpr auto sa::mapping<rel::Shelf> = sa::table("shelves");
template <>
inline constexpr auto sa::mapping<rel::Book> =
    sa::table("books", sa::index(&rel::Book::shelf_id, &rel::Book::title));
template <>
inline constexpr auto sa::mapping<rel::Member> = sa::table("members");
template <>
inline constexpr auto sa::mapping<rel::Club> = sa::table("clubs");
// member_id is indexed and club_id is not: relationship loads order their rows by each.
template <>
inline constexpr auto sa::mapping<rel::Membership> =
    sa::table("memberships", sa::index(&rel::Membership::member_id));
template <>
inline constexpr auto sa::mapping<rel::Student> = sa::table("students");
template <>
inline constexpr auto sa::mapping<rel::Course> = sa::table("courses");
template <>
inline constexpr auto sa::mapping<rel::Enrollment> = sa::table("enrollments");
template <>
inline constexpr auto sa::mapping<rel::Writer> =
    sa::table("writers", sa::relationship(&rel::Writer::articles).lazy(sa::Lazy::joined));
template <>
inline constexpr auto sa::mapping<rel::Article> =
    sa::table("articles", sa::relationship(&rel::Article::notes).lazy(sa::Lazy::selectin));
template <>
inline constexpr auto sa::mapping<rel::Note> = sa::table("notes");
template <>
inline constexpr auto sa::mapping<rel::Invoice> = sa::table("invoices");
template <>
inline constexpr auto sa::mapping<rel::InvoiceLine> =
    sa::table("invoice_lines", sa::primary_key(&rel::InvoiceLine::invoice_id, &rel::InvoiceLine::no));
template <>
inline constexpr auto sa::mapping<rel::Author> = sa::table("authors");
template <>
inline constexpr auto sa::mapping<rel::Post> = sa::table("posts");
template <>
inline constexpr auto sa::mapping<rel::Profile> = sa::table("profiles");

using rel::Article;
using rel::Author;
using rel::Band;
using rel::Book;
using rel::Club;
using rel::Course;
using rel::Enrollment;
using rel::Invoice;
using rel::InvoiceLine;
using rel::Member;
using rel::Membership;
using rel::Note;
using rel::Post;
using rel::Profile;
using rel::Shelf;
using rel::Song;
using rel::Student;
using rel::Writer;

namespace {

std::size_t selects(const std::vector<std::string>& lines) {
    return sa::test::count_starting_with(lines, "SELECT");
}

/// `count` authors, author i with a post "by i" when `has_post(i)`, and a gap in their keys
/// (an author made between the first half and the second, and deleted): relationship loads
/// of them send IN lists, not a range.
template <class HasPost>
void seed_authors_with_gap(sa::Engine& engine, int count, HasPost has_post) {
    sa::Session session(engine);
    for (int i = 0; i < count; ++i) {
        if (i == count / 2) {
            auto gone = session.add(Author{.name = "gone"});
            session.flush();
            session.delete_(gone);
        }
        auto author = session.add(Author{.name = "author " + std::to_string(i)});
        if (has_post(i)) author->posts.add(Post{.title = "by " + std::to_string(i)});
    }
    session.commit();
}

std::vector<std::string> titles(const sa::HasMany<Post>& posts) {
    std::vector<std::string> out;
    for (const Post& p : posts) out.push_back(p.title);
    return out;
}

/// An engine whose SQL the test reads, with the tables of Models.
template <class... Models>
struct TablesOf {
    explicit TablesOf(const sa::test::Backend& backend)
        : engine(backend.engine({.echo = true, .echo_sink = capture.sink()})) {
        sa::metadata<Models...>().create_all(engine);
    }
    sa::test::EchoCapture capture;
    sa::Engine engine;
};
using Fixture = TablesOf<Author, Post, Profile>;
using ClubFixture = TablesOf<rel::Member, rel::Club, rel::Membership>;
using CourseFixture = TablesOf<Student, Course, Enrollment>;

/// ann with posts a1, a2 and a profile; bob with post b1.
void seed(sa::Engine& engine) {
    sa::Session session(engine);
    auto ann = session.add(Author{.name = "ann"});
    ann->posts.add(Post{.title = "a1"});
    ann->posts.add(Post{.title = "a2"});
    ann->profile = std::make_shared<Profile>(Profile{.bio = "ann's"});
    auto bob = session.add(Author{.name = "bob"});
    auto b1 = std::make_shared<Post>(Post{.title = "b1"});
    b1->author = bob;
    session.add(b1);
    session.commit();
}

/// `count` authors with 10 posts each.
void seed_authors(sa::Engine& engine, int count) {
    sa::Session session(engine);
    for (int u = 0; u < count; ++u) {
        auto author = session.add(Author{.name = "u" + std::to_string(u)});
        for (int p = 0; p < 10; ++p) author->posts.add(Post{.title = "p"});
    }
    session.commit();
}

}  // namespace

TEST_CASE("new objects linked through relationships are inserted parents first with their keys") {
    auto backend = GENERATE(from_range(backends()));
    Fixture f(backend);
    sa::Session session(f.engine);
    auto ann = session.add(Author{.name = "ann"});
    auto a1 = ann->posts.add(Post{.title = "a1"});
    CHECK(sa::inspect(a1).pending());  // save-update: it joined ann's session
    CHECK(a1->author.get() == ann);    // the other side, at once
    auto bob = std::make_shared<Author>(Author{.name = "bob"});
    auto b1 = session.add(Post{.title = "b1"});
    b1->author = bob;  // bob joins the session through b1
    CHECK(sa::inspect(bob).pending());
    ann->profile = std::make_shared<Profile>(Profile{.bio = "hi"});
    session.commit();

    sa::Session check(f.engine);
    auto posts = check.query<Post>().order_by(sa::col<&Post::id>).all();
    REQUIRE(posts.size() == 2);
    CHECK(posts[0]->author->name == "ann");
    CHECK(posts[1]->author->name == "bob");
    auto profile = check.query<Profile>().one();
    CHECK(profile->author->name == "ann");
    CHECK(profile->author->profile.get() == profile);  // the same object both ways
}

TEST_CASE("a lazy load loads the relationship of every object of the same query in one statement") {
    auto backend = GENERATE(from_range(backends()));
    Fixture f(backend);
    seed(f.engine);
    sa::Session session(f.engine);

    f.capture.lines.clear();
    auto posts = session.query<Post>().order_by(sa::col<&Post::id>).all();
    std::vector<std::string> authors;
    for (const auto& p : posts) authors.push_back(p->author->name);
    CHECK(authors == std::vector<std::string>{"ann", "ann", "bob"});
    CHECK(selects(f.capture.lines) == 2);                     // the posts, then their authors: not 1 + N
    CHECK(posts[0]->author.get() == posts[1]->author.get());  // identity map

    f.capture.lines.clear();
    auto users = session.query<Author>().order_by(sa::col<&Author::id>).all();
    CHECK(titles(users[0]->posts) == std::vector<std::string>{"a1", "a2"});
    CHECK(titles(users[1]->posts) == std::vector<std::string>{"b1"});
    CHECK(users[0]->posts[0] == posts[0]);  // the session's objects, not copies
    CHECK(users[0]->profile->bio == "ann's");
    CHECK_FALSE(users[1]->profile);
    // the authors, then the posts and the profiles of both
    CHECK(selects(f.capture.lines) == 3);
}

TEST_CASE("an object a later load reaches alone keeps the group its query loaded it with") {
    auto backend = GENERATE(from_range(backends()));
    Fixture f(backend);
    seed(f.engine);
    sa::Session session(f.engine);
    const auto authors = session.query<Author>().order_by(sa::col<&Author::id>).all();
    const auto b1 = session.query<Post>().filter(sa::col<&Post::title> == "b1").one();
    const auto bob = b1->author.get();  // a load of one owner that reaches bob alone
    REQUIRE(bob == authors[1]);

    f.capture.lines.clear();
    CHECK_FALSE(bob->profile);  // loads ann's too, bob's sibling
    CHECK(authors[0]->profile->bio == "ann's");
    CHECK(selects(f.capture.lines) == 1);
}

TEST_CASE("moving a child between parents keeps both collections in step and writes its key") {
    auto backend = GENERATE(from_range(backends()));
    Fixture f(backend);
    seed(f.engine);
    {
        sa::Session session(f.engine);
        auto users = session.query<Author>().order_by(sa::col<&Author::id>).all();
        auto& ann = users[0];
        auto& bob = users[1];
        CHECK(ann->posts.size() == 2);
        CHECK(bob->posts.size() == 1);
        auto a1 = ann->posts[0];
        a1->author = bob;  // through the BelongsTo
        CHECK(titles(ann->posts) == std::vector<std::string>{"a2"});
        CHECK(titles(bob->posts) == std::vector<std::string>{"b1", "a1"});
        auto b1 = bob->posts[0];
        ann->posts.add(b1);  // through the collection
        CHECK(b1->author.get() == ann);
        CHECK(titles(bob->posts) == std::vector<std::string>{"a1"});
        session.commit();
    }
    sa::Session check(f.engine);
    auto rows =
        check
            .execute(
                sa::select(sa::col<&Post::title>, sa::col<&Post::author_id>).order_by(sa::col<&Post::id>))
            .all();
    REQUIRE(rows.size() == 3);
    CHECK(std::get<1>(rows[0]) == 2);  // a1 -> bob
    CHECK(std::get<1>(rows[1]) == 1);  // a2 stays with ann
    CHECK(std::get<1>(rows[2]) == 1);  // b1 -> ann
}

TEST_CASE("removing a child whose foreign key cannot be NULL fails the flush and changes nothing") {
    auto backend = GENERATE(from_range(backends()));
    Fixture f(backend);
    seed(f.engine);
    sa::Session session(f.engine);
    auto ann = session.query<Author>().filter(sa::col<&Author::name> == "ann").one();
    auto a1 = ann->posts[0];
    CHECK(ann->posts.remove(a1));
    CHECK_FALSE(a1->author);
    CHECK_THROWS_AS(session.flush(), sa::FlushError);
    CHECK(a1->author_id == ann->id);  // the foreign key is as before the flush
    session.rollback();

    // A nullable key is written as NULL.
    auto profile = session.query<Profile>().one();
    auto owner = profile->author.get();
    owner->profile = nullptr;
    session.commit();
    sa::Session check(f.engine);
    CHECK_FALSE(check.query<Profile>().one()->author_id.has_value());
    CHECK(check.query<Post>().count() == 3);
}

TEST_CASE(
    "a relationship never loaded on a detached object is a DetachedInstanceError, and loaded ones stay") {
    auto backend = GENERATE(from_range(backends()));
    Fixture f(backend);
    seed(f.engine);
    std::shared_ptr<Author> ann;
    {
        sa::Session session(f.engine);
        ann = session.query<Author>().filter(sa::col<&Author::name> == "ann").one();
        CHECK(ann->posts.size() == 2);
    }
    CHECK(titles(ann->posts) == std::vector<std::string>{"a1", "a2"});  // loaded before close
    CHECK_THROWS_WITH(ann->profile.get(), Catch::Contains("Author.profile is not loaded") &&
                                              Catch::Contains("selectinload<&Author::profile>"));
    CHECK_THROWS_AS(ann->profile.get(), sa::DetachedInstanceError);
}

TEST_CASE("parents and children that refer to each other are freed when the program drops them") {
    auto backend = GENERATE(from_range(backends()));
    Fixture f(backend);
    seed_authors(f.engine, 1000);
    std::weak_ptr<Author> some_author;
    std::weak_ptr<Post> some_post;
    {
        sa::Session session(f.engine);
        auto authors = session.query<Author>().all();
        std::size_t posts = 0;
        for (const auto& a : authors) {
            posts += a->posts.size();
            for (const Post& p : a->posts) CHECK(p.author.get() == a);  // both ways, loaded
        }
        CHECK(posts == 10'000);
        some_author = authors.front();
        some_post = authors.front()->posts[0];
        session.close();
    }
    // The session is gone and the program dropped everything: nothing keeps the cycle.
    CHECK(some_author.expired());
    CHECK(some_post.expired());
}

TEST_CASE("a child the program holds finds its parent again after the program dropped the parent") {
    auto backend = GENERATE(from_range(backends()));
    Fixture f(backend);
    seed(f.engine);
    sa::Session session(f.engine);
    std::shared_ptr<Post> a1;
    {
        auto ann = session.query<Author>().filter(sa::col<&Author::name> == "ann").one();
        a1 = ann->posts[0];  // a1's author is held weakly: ann's collection holds a1
    }
    CHECK(a1->author->name == "ann");
}

/// The seed's posts in key order, each with its author and the author's posts (loaded
/// from the posts' side: the authors' collections hold them weakly).
std::vector<std::shared_ptr<Post>> posts_with_their_authors(sa::Session& session) {
    return session.query<Post>()
        .options(sa::selectinload<&Post::author>().selectinload<&Author::posts>())
        .order_by(sa::col<&Post::id>)
        .all();
}

TEST_CASE("a load back toward the query's objects keeps their parents, readable after close") {
    auto backend = GENERATE(from_range(backends()));
    Fixture f(backend);
    seed(f.engine);
    std::vector<std::shared_ptr<Post>> posts;
    {
        sa::Session session(f.engine);
        f.capture.lines.clear();
        SECTION("a chained selectinload") {
            posts = posts_with_their_authors(session);
            CHECK(selects(f.capture.lines) == 3);  // posts, authors, their posts
        }
        SECTION("lazy loads walking post->author->posts") {
            posts = session.query<Post>().order_by(sa::col<&Post::id>).all();
            for (const auto& post : posts) CHECK(!post->author->posts.empty());
            CHECK(selects(f.capture.lines) == 3);  // each lazy load batched over its siblings
        }
        f.capture.lines.clear();
        // The authors are held by their posts alone, and nothing was let go.
        CHECK(posts[0]->author->posts[1].get() == posts[1].get());
        CHECK(posts[2]->author->posts[0].get() == posts[2].get());
        CHECK(f.capture.lines.empty());
    }
    // Closed: what was loaded stays readable.
    CHECK(titles(posts[0]->author->posts) == std::vector<std::string>{"a1", "a2"});
    CHECK(posts[2]->author->name == "bob");
    CHECK(posts[2]->author->posts.size() == 1);
}

TEST_CASE("a collection whose child the program dropped reads its children again") {
    auto backend = GENERATE(from_range(backends()));
    Fixture f(backend);
    seed(f.engine);
    sa::Session session(f.engine);
    std::shared_ptr<Author> ann;
    {
        auto posts = posts_with_their_authors(session);
        ann = posts[0]->author.get();
    }  // the posts held ann; her collection held them weakly, and they are gone now
    f.capture.lines.clear();
    CHECK(titles(ann->posts) == std::vector<std::string>{"a1", "a2"});
    CHECK(selects(f.capture.lines) == 1);
    CHECK(ann->posts[0]->author.get() == ann);
    CHECK(selects(f.capture.lines) == 1);
    session.close();
    CHECK(ann->posts.size() == 2);  // held by the collection now: readable detached
}

TEST_CASE("an index loop over a collection reads it again once, at its size()") {
    auto backend = GENERATE(from_range(backends()));
    Fixture f(backend);
    seed(f.engine);
    sa::Session session(f.engine);
    auto posts = posts_with_their_authors(session);
    auto ann = posts[0]->author.get();
    auto a2 = posts[1];
    REQUIRE(a2->author.get() == ann);
    posts.clear();  // a1 dropped; a2 kept
    f.capture.lines.clear();
    CHECK(ann->posts[1] == a2);  // alive: answered without a SELECT
    CHECK(selects(f.capture.lines) == 0);
    CHECK(ann->posts.size() == 2);  // a1 is gone: the count comes from reading the posts again
    CHECK(selects(f.capture.lines) == 1);
    for (std::size_t i = 0; i < ann->posts.size(); ++i) CHECK(ann->posts[i]->author.get() == ann);
    CHECK(ann->posts[0]->title == "a1");
    CHECK(selects(f.capture.lines) == 1);
}

TEST_CASE("a collection's size() sees a weakly held child dropped after an earlier size() found it alive") {
    auto backend = GENERATE(from_range(backends()));
    Fixture f(backend);
    seed(f.engine);
    sa::Session session(f.engine);
    auto posts = posts_with_their_authors(session);
    auto ann = posts[0]->author.get();
    f.capture.lines.clear();
    for (int i = 0; i < 3; ++i) CHECK(ann->posts.size() == 2);  // all alive: nothing to read
    CHECK(selects(f.capture.lines) == 0);
    SECTION("dropped while in the Session") {
        posts.clear();
        CHECK(ann->posts.size() == 2);
        CHECK(selects(f.capture.lines) == 1);  // read again, not counted from freed entries
    }
    SECTION("expunged, then dropped outside the Session") {
        session.expunge(posts[0]);
        CHECK(ann->posts.size() == 2);  // a1 is alive still, though no longer in the Session
        CHECK(selects(f.capture.lines) == 0);
        const std::vector others(posts.begin() + 1, posts.end());
        posts.clear();  // only a1 goes, whose drop the Session does not count: the collection looks anyway
        CHECK(ann->posts.size() == 2);
        CHECK(selects(f.capture.lines) == 1);
        CHECK(ann->posts[0]->author.get() == ann);
    }
}

TEST_CASE("a collection's size() sees the end of a weakly held child the program made itself") {
    auto backend = GENERATE(from_range(backends()));
    Fixture f(backend);
    seed(f.engine);
    sa::Session session(f.engine);
    auto ann = session.query<Author>().filter(sa::col<&Author::name> == "ann").one();
    auto a3 = std::make_shared<Post>(Post{.title = "a3"});  // freed for real when dropped
    session.add(a3);
    a3->author = ann;  // a3 holds ann, so ann's collection, loaded next, holds a3 weakly
    CHECK(ann->posts.size() == 3);
    f.capture.lines.clear();
    CHECK(ann->posts.size() == 3);
    CHECK(selects(f.capture.lines) == 0);
    session.expunge(a3);
    CHECK(ann->posts.size() == 3);
    CHECK(selects(f.capture.lines) == 0);
    a3.reset();
    CHECK(ann->posts.size() == 3);  // read again: a3's row, as a new object
    CHECK(selects(f.capture.lines) == 1);
    CHECK(titles(ann->posts) == std::vector<std::string>{"a1", "a2", "a3"});
}

TEST_CASE("a loop over a collection reads a weakly held child again if the program dropped it meanwhile") {
    auto backend = GENERATE(from_range(backends()));
    Fixture f(backend);
    seed(f.engine);
    sa::Session session(f.engine);
    auto posts = posts_with_their_authors(session);
    auto ann = posts[0]->author.get();
    f.capture.lines.clear();
    std::vector<std::string> seen;
    for (const Post& post : ann->posts) {
        seen.push_back(post.title);
        posts.clear();  // the program's last pointers to a1 and a2: ann's posts held them weakly
    }
    // a2 was read again when the loop reached it, not read from the freed object.
    CHECK(seen == std::vector<std::string>{"a1", "a2"});
    CHECK(selects(f.capture.lines) == 1);
}

/// ann, with her posts loaded from their side: her `posts` hold them weakly, and the
/// program dropped them (keeping `keep` of them).
std::shared_ptr<Author> ann_whose_posts_were_dropped(sa::Session& session, std::size_t keep = 0,
                                                     std::vector<std::shared_ptr<Post>>* kept = nullptr) {
    auto posts = posts_with_their_authors(session);
    auto ann = posts[0]->author.get();
    if (kept) kept->assign(posts.begin(), posts.begin() + static_cast<std::ptrdiff_t>(keep));
    return ann;
}

TEST_CASE("a collection that lost weakly held children is never read as complete") {
    auto backend = GENERATE(from_range(backends()));
    Fixture f(backend);
    seed(f.engine);
    SECTION("detached, it is DetachedInstanceError, and stays so") {
        std::shared_ptr<Author> ann;
        {
            sa::Session session(f.engine);
            ann = ann_whose_posts_were_dropped(session);
        }
        for (int i = 0; i < 2; ++i)
            CHECK_THROWS_MATCHES(ann->posts.begin(), sa::DetachedInstanceError,
                                 MessageContains("Author.posts held some of its Post objects weakly"));
        CHECK_THROWS_AS(ann->posts[1], sa::DetachedInstanceError);
        CHECK_THROWS_AS(ann->posts.size(), sa::DetachedInstanceError);
        CHECK(ann->name == "ann");
    }
    SECTION("under no_autoflush with relationship changes waiting, reading it again shows them") {
        sa::Session session(f.engine);
        auto ann = ann_whose_posts_were_dropped(session);
        auto extra = session.add(Post{.title = "a3"});
        {
            auto guard = session.no_autoflush();
            extra->author = ann;  // waits for a flush
            CHECK(titles(ann->posts) == std::vector<std::string>{"a1", "a2", "a3"});
        }
        session.flush();
        CHECK(titles(ann->posts) == std::vector<std::string>{"a1", "a2", "a3"});
    }
    SECTION("a copy holds the children still alive, and no address of a dropped one") {
        sa::Session session(f.engine);
        std::vector<std::shared_ptr<Post>> kept;
        auto ann = ann_whose_posts_were_dropped(session, 1, &kept);  // a1 kept, a2 dropped
        const Author copy = *ann;
        CHECK(titles(copy.posts) == std::vector<std::string>{"a1"});
        CHECK(titles(ann->posts) == std::vector<std::string>{"a1", "a2"});  // read again
    }
    SECTION("delete() cascades to every child, the dropped ones too") {
        sa::Session session(f.engine);
        auto ann = ann_whose_posts_were_dropped(session);
        session.delete_(ann);  // Post.author_id cannot be NULL: the posts must go or fail loudly
        CHECK_THROWS_MATCHES(session.commit(), sa::FlushError,
                             MessageContains("Post.author names no Author"));
    }
}

TEST_CASE("merge() ignores a detached collection that lost weakly held children") {
    auto backend = GENERATE(from_range(backends()));
    Fixture f(backend);
    seed(f.engine);
    std::shared_ptr<Author> ann;
    {
        sa::Session session(f.engine);
        ann = ann_whose_posts_were_dropped(session);
    }
    ann->name = "ann b.";
    sa::Session session(f.engine);
    CHECK(session.merge(*ann)->name == "ann b.");
    session.commit();  // the name; the posts stay hers
    sa::Session check(f.engine);
    auto again = check.query<Author>().filter(sa::col<&Author::name> == "ann b.").one();
    CHECK(titles(again->posts) == std::vector<std::string>{"a1", "a2"});
}

TEST_CASE(
    "add() refuses a new object whose parent, which took it before either joined a Session, was dropped") {
    // The parent's collection held the child, the child the parent weakly: with the parent
    // gone, the child's key would be written NULL, or fail as NOT NULL.
    auto backend = GENERATE(from_range(backends()));
    Fixture f(backend);
    std::shared_ptr<Post> post;
    std::shared_ptr<Profile> profile;
    {
        sa::Session first(f.engine);
        auto eve = first.add(Author{.name = "eve"});
        first.expunge(eve);  // in no Session now, its empty collections loaded
        post = eve->posts.add(Post{.title = "e1"});
        CHECK(post->author.get() == eve);
        eve->profile = std::make_shared<Profile>(Profile{.bio = "eve's"});
        profile = eve->profile.get();
    }
    sa::Session session(f.engine);
    CHECK_THROWS_MATCHES(
        session.add(post), sa::InvalidRequestError,
        MessageContains("has its author (Author) dropped by the program before either joined a Session"));
    CHECK_THROWS_AS(session.add(profile), sa::InvalidRequestError);  // its key may be NULL
    CHECK_FALSE(session.contains(post));
    session.commit();
    sa::Session check(f.engine);
    CHECK(check.query<Post>().count() == 0);
    CHECK(check.query<Profile>().count() == 0);
}

TEST_CASE("a detached post keeps the author assigned to it though the program drops the author") {
    // In no Session, nothing but the post holds the author until a flush writes the key:
    // the post holds it, and the author's collection holds the post weakly (no cycle).
    auto backend = GENERATE(from_range(backends()));
    Fixture f(backend);
    seed(f.engine);
    const auto post_named = [](sa::Session& session, const std::string& title) {
        return session.query<Post>().filter(sa::col<&Post::title> == title).one();
    };
    std::shared_ptr<Post> a1;
    std::shared_ptr<Post> a2;
    std::shared_ptr<Post> b1;
    {
        sa::Session session(f.engine);
        a1 = post_named(session, "a1");
        a2 = post_named(session, "a2");
        b1 = post_named(session, "b1");
        auto bob = session.query<Author>().filter(sa::col<&Author::name> == "bob").one();
        REQUIRE(bob->posts.size() == 1);  // loaded: it takes a2 at once
        session.close();
        a2->author = bob;
    }  // the program drops bob
    a1->author = std::make_shared<Author>(Author{.name = "cy"});
    CHECK(a1->author->name == "cy");
    std::weak_ptr<Author> dan_alive;
    {
        auto dan = std::make_shared<Author>(Author{.name = "dan"});
        dan_alive = dan;
        b1->author = dan;
    }
    CHECK_FALSE(dan_alive.expired());
    b1.reset();
    CHECK(dan_alive.expired());
    {
        sa::Session session(f.engine);
        session.add(a1);
        session.add(a2);
        session.commit();
    }
    sa::Session check(f.engine);
    CHECK(post_named(check, "a1")->author->name == "cy");
    CHECK(post_named(check, "a2")->author->name == "bob");
}

TEST_CASE("expiring a parent does not make a child moved to another parent hold that one strongly") {
    auto backend = GENERATE(from_range(backends()));
    Fixture f(backend);
    seed(f.engine);
    std::weak_ptr<Author> bob_alive;
    std::weak_ptr<Post> moved_alive;
    {
        sa::Session session(f.engine);
        auto authors = session.query<Author>().order_by(sa::col<&Author::id>).all();
        auto ann = authors[0];
        auto bob = authors[1];
        REQUIRE(ann->posts.size() == 2);  // ann's collection holds a1
        REQUIRE(bob->posts.size() == 1);
        auto a1 = ann->posts[0];
        session.expire(a1);  // unloads a1's author
        a1->author = bob;    // bob's collection holds a1 now; a1 names bob weakly
        session.expire(ann);
        bob_alive = bob;
        moved_alive = a1;
    }
    CHECK(bob_alive.expired());  // no cycle between bob and a1 kept them
    CHECK(moved_alive.expired());
}

TEST_CASE("a graph loaded from the children's side is freed when the program drops it") {
    auto backend = GENERATE(from_range(backends()));
    Fixture f(backend);
    seed_authors(f.engine, 100);
    std::weak_ptr<Author> some_author;
    std::weak_ptr<Post> some_post;
    {
        sa::Session session(f.engine);
        auto posts = session.query<Post>()
                         .options(sa::selectinload<&Post::author>().selectinload<&Author::posts>())
                         .all();
        std::size_t walked = 0;
        for (const auto& post : posts) walked += post->author->posts.size();
        CHECK(walked == 10'000);  // 1 000 posts, each author's 10
        some_author = posts.front()->author.get();
        some_post = posts.front();
        session.close();
    }
    CHECK(some_author.expired());
    CHECK(some_post.expired());
}

TEST_CASE("selectinload loads a relationship, and a path of them, right after the query") {
    auto backend = GENERATE(from_range(backends()));
    Fixture f(backend);
    seed(f.engine);
    sa::Session session(f.engine);
    f.capture.lines.clear();
    auto users = session.query<Author>()
                     .options(sa::selectinload<&Author::posts>(), sa::selectinload<&Author::profile>())
                     .order_by(sa::col<&Author::id>)
                     .all();
    CHECK(selects(f.capture.lines) == 3);  // authors, posts, profiles
    f.capture.lines.clear();
    CHECK(titles(users[0]->posts) == std::vector<std::string>{"a1", "a2"});
    CHECK(users[0]->profile->bio == "ann's");
    CHECK(users[0]->posts[1]->author.get() == users[0]);
    CHECK(f.capture.lines.empty());  // nothing left to load

    // A path: posts, then each post's author (already in the session: no statement).
    sa::Session other(f.engine);
    f.capture.lines.clear();
    auto posts =
        other.query<Post>().options(sa::selectinload<&Post::author>().selectinload<&Author::profile>()).all();
    CHECK(selects(f.capture.lines) == 3);  // posts, authors, profiles
    session.close();
    other.close();
    CHECK(posts[0]->author->profile->bio == "ann's");  // loaded: readable detached
}

TEST_CASE("selectinload sends as many keys a statement as the dialect's parameter limit allows") {
    // 2 000 authors, every 100th with a post, and a gap in their keys: one IN list of 2 000
    // keys, not chunks of a few hundred (each chunk would scan posts again where author_id
    // has no index).
    auto backend = GENERATE(from_range(backends()));
    Fixture f(backend);
    seed_authors_with_gap(f.engine, 2000, [](int i) { return i % 100 == 0; });
    sa::Session session(f.engine);
    f.capture.lines.clear();
    auto authors = session.query<Author>()
                       .options(sa::selectinload<&Author::posts>())
                       .order_by(sa::col<&Author::id>)
                       .all();
    CHECK(selects(f.capture.lines) == 2);  // the authors, then all their posts
    CHECK(sa::test::count_containing(f.capture.lines, "SELECT", " IN (") == 1);
    REQUIRE(authors.size() == 2000);
    std::size_t with_posts = 0;
    for (std::size_t i = 0; i < authors.size(); ++i) {
        const auto expected =
            i % 100 == 0 ? std::vector<std::string>{"by " + std::to_string(i)} : std::vector<std::string>{};
        CHECK(titles(authors[i]->posts) == expected);
        with_posts += authors[i]->posts.size();
    }
    CHECK(with_posts == 20);
    CHECK(selects(f.capture.lines) == 2);  // reading them loaded nothing more
}

TEST_CASE("selectinload of more keys than one statement takes splits them, and loads every chunk") {
    // 4 100 authors with a gap in their keys: 4 096 keys in the first statement, the last 4
    // in a second one.
    auto backend = GENERATE(from_range(backends()));
    Fixture f(backend);
    constexpr int count = 4100;
    seed_authors_with_gap(f.engine, count, [](int i) { return i % 1000 == 0 || i == count - 1; });
    sa::Session session(f.engine);
    f.capture.lines.clear();
    auto authors = session.query<Author>()
                       .options(sa::selectinload<&Author::posts>())
                       .order_by(sa::col<&Author::id>)
                       .all();
    CHECK(selects(f.capture.lines) == 3);  // the authors, then their posts in two statements
    REQUIRE(authors.size() == count);
    std::size_t with_posts = 0;
    for (std::size_t i = 0; i < authors.size(); ++i) {
        const bool has_post = i % 1000 == 0 || i == count - 1;
        const auto expected =
            has_post ? std::vector<std::string>{"by " + std::to_string(i)} : std::vector<std::string>{};
        CHECK(titles(authors[i]->posts) == expected);
        with_posts += authors[i]->posts.size();
    }
    CHECK(with_posts == 6);
    CHECK(selects(f.capture.lines) == 3);  // reading them loaded nothing more
}

TEST_CASE("selectinload of keys that follow one another reads them as one range, however many") {
    // Authors 1 to 5 000, the first, every 1 000th and the last with a post; the query takes
    // 2 to 4 999: one BETWEEN 2 AND 4 999 where IN lists would take two statements.
    auto backend = GENERATE(from_range(backends()));
    Fixture f(backend);
    constexpr int count = 5000;
    {
        sa::Session session(f.engine);
        for (int i = 1; i <= count; ++i) {
            auto author = session.add(Author{.name = "author " + std::to_string(i)});
            if (i % 1000 == 1 || i == count) author->posts.add(Post{.title = "by " + std::to_string(i)});
        }
        session.commit();
    }
    sa::Session session(f.engine);
    f.capture.lines.clear();
    auto authors = session.query<Author>()
                       .filter(sa::col<&Author::id> > 1 && sa::col<&Author::id> < count)
                       .options(sa::selectinload<&Author::posts>())
                       .order_by(sa::col<&Author::id>)
                       .all();
    CHECK(selects(f.capture.lines) == 2);  // the authors, then all their posts
    const auto range =
        std::find_if(f.capture.lines.begin(), f.capture.lines.end(), [](const std::string& line) {
            return line.starts_with("SELECT") && line.find(" BETWEEN ") != std::string::npos;
        });
    REQUIRE(range != f.capture.lines.end());
    REQUIRE(std::next(range) != f.capture.lines.end());
    CHECK(*std::next(range) == "[parameters: (2, 4999)]");
    REQUIRE(authors.size() == count - 2);
    std::size_t with_posts = 0;
    for (const auto& author : authors) {
        const auto expected = author->id % 1000 == 1
                                  ? std::vector<std::string>{"by " + std::to_string(author->id)}
                                  : std::vector<std::string>{};
        CHECK(titles(author->posts) == expected);
        with_posts += author->posts.size();
    }
    CHECK(with_posts == 4);  // 1 001, 2 001, 3 001, 4 001
}

TEST_CASE("an association object with a column of its own links two models through two pairs") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    sa::metadata<Member, Club, Membership>().create_all(engine);
    {
        sa::Session session(engine);
        auto ann = session.add(Member{.name = "ann"});
        auto chess = std::make_shared<Club>(Club{.name = "chess"});
        auto link = ann->memberships.add(Membership{.role = "captain"});
        link->club = chess;  // chess joins the session through the membership
        CHECK(chess->memberships.contains(link));
        session.commit();
    }
    sa::Session session(engine);
    auto chess = session.query<Club>().one();
    REQUIRE(chess->memberships.size() == 1);
    const auto& membership = chess->memberships[0];
    CHECK(membership->role == "captain");
    CHECK(membership->member->name == "ann");
    CHECK(membership->member->memberships[0] == membership);
}

TEST_CASE("a relationship load gives each collection in key order, and sorts only rows that come out of it") {
    auto backend = GENERATE(from_range(backends()));
    ClubFixture f(backend);
    {
        sa::Session session(f.engine);
        auto ann = session.add(Member{.name = "ann"});
        auto bob = session.add(Member{.name = "bob"});
        auto chess = session.add(Club{.name = "chess"});
        auto go = session.add(Club{.name = "go"});
        for (const auto& [member, club, role] : {std::tuple{ann, go, "m1"},
                                                 {bob, chess, "m2"},
                                                 {ann, chess, "m3"},
                                                 {bob, go, "m4"},
                                                 {ann, chess, "m5"}}) {
            auto link = member->memberships.add(Membership{.role = role});
            link->club = club;
        }
        session.commit();
    }
    // Rows written again after the others: PostgreSQL then reads them after the others.
    for (const auto* role : {"m1", "m2"}) {
        sa::Session session(f.engine);
        auto link = session.query<Membership>().filter(sa::col<&Membership::role> == role).one();
        link->role += "*";
        session.commit();
    }
    const auto roles = [](const sa::HasMany<Membership>& links) {
        std::vector<std::string> out;
        for (const Membership& m : links) out.push_back(m.role);
        return out;
    };
    const auto select_of_memberships = [&] {
        for (const auto& line : f.capture.lines)
            if (line.starts_with("SELECT") && line.find("FROM \"memberships\"") != std::string::npos)
                return line;
        return std::string();
    };
    sa::Session session(f.engine);
    // By a foreign key without an index, and by one with an index (member_id): the
    // database is not asked to sort either way.
    auto clubs = session.query<Club>().order_by(sa::col<&Club::name>).all();
    f.capture.lines.clear();
    CHECK(roles(clubs[0]->memberships) == std::vector<std::string>{"m2*", "m3", "m5"});
    CHECK(roles(clubs[1]->memberships) == std::vector<std::string>{"m1*", "m4"});
    CHECK(select_of_memberships().find("ORDER BY") == std::string::npos);
    auto members = session.query<Member>().order_by(sa::col<&Member::name>).all();
    f.capture.lines.clear();
    CHECK(roles(members[0]->memberships) == std::vector<std::string>{"m1*", "m3", "m5"});
    CHECK(roles(members[1]->memberships) == std::vector<std::string>{"m2*", "m4"});
    CHECK(select_of_memberships().find("ORDER BY") == std::string::npos);
}

TEST_CASE("children read through an index in another order come in key order") {
    auto backend = GENERATE(from_range(backends()));
    TablesOf<Shelf, Book> f(backend);
    {
        sa::Session session(f.engine);
        for (const auto* name : {"left", "right"}) {
            auto shelf = session.add(Shelf{.name = name});
            for (const auto* title : {"c", "b", "a"}) shelf->books.add(Book{.title = title});
        }
        session.commit();
    }
    const auto titles_of = [](const sa::HasMany<Book>& books) {
        std::vector<std::string> out;
        for (const Book& b : books) out.push_back(b.title);
        return out;
    };
    for (const bool eager : {true, false}) {
        sa::Session session(f.engine);
        auto query = session.query<Shelf>().order_by(sa::col<&Shelf::id>);
        const auto shelves = eager ? query.options(sa::selectinload<&Shelf::books>()).all() : query.all();
        REQUIRE(shelves.size() == 2);
        for (const auto& shelf : shelves) {
            CHECK(titles_of(shelf->books) == std::vector<std::string>{"c", "b", "a"});  // as added: by key
            CHECK(std::is_sorted(shelf->books.begin(), shelf->books.end(),
                                 [](const Book& a, const Book& b) { return a.id < b.id; }));
        }
    }
}

TEST_CASE("joinedload loads a relationship in the query's own statement, each owner once") {
    auto backend = GENERATE(from_range(backends()));
    Fixture f(backend);
    seed(f.engine);
    {
        sa::Session session(f.engine);
        f.capture.lines.clear();
        auto users = session.query<Author>()
                         .order_by(sa::col<&Author::id>)
                         .options(sa::joinedload<&Author::posts>(), sa::joinedload<&Author::profile>())
                         .all();
        REQUIRE(users.size() == 2);  // ann once, though her two posts make two rows
        CHECK(titles(users[0]->posts) == std::vector<std::string>{"a1", "a2"});
        CHECK(titles(users[1]->posts) == std::vector<std::string>{"b1"});
        CHECK(users[0]->profile->bio == "ann's");
        CHECK_FALSE(users[1]->profile);                       // no row joined: null, and loaded
        CHECK(users[0]->posts[0]->author.get() == users[0]);  // the other side, in step
        CHECK(selects(f.capture.lines) == 1);
        CHECK(std::any_of(f.capture.lines.begin(), f.capture.lines.end(), [](const std::string& line) {
            return line.find("FROM \"authors\" LEFT OUTER JOIN \"posts\" AS \"j1\" ON") != std::string::npos;
        }));
    }
    {
        // A many-to-one, read after the Session closed: it was loaded by the query.
        std::vector<std::shared_ptr<Post>> posts;
        {
            sa::Session session(f.engine);
            posts = session.query<Post>()
                        .order_by(sa::col<&Post::id>)
                        .options(sa::joinedload<&Post::author>())
                        .all();
        }
        REQUIRE(posts.size() == 3);
        CHECK(posts[0]->author->name == "ann");
        CHECK(posts[2]->author->name == "bob");
        CHECK(posts[0]->author.get() == posts[1]->author.get());
    }
    {
        // A LIMIT counts authors, not joined rows: the query becomes a subquery.
        sa::Session session(f.engine);
        f.capture.lines.clear();
        auto ann = session.query<Author>()
                       .order_by(sa::col<&Author::id>)
                       .options(sa::joinedload<&Author::posts>())
                       .first();
        REQUIRE(ann);
        CHECK(ann->name == "ann");
        CHECK(titles(ann->posts) == std::vector<std::string>{"a1", "a2"});
        CHECK(std::any_of(f.capture.lines.begin(), f.capture.lines.end(), [](const std::string& line) {
            return line.find("FROM (SELECT") != std::string::npos &&
                   line.find("AS \"anon_1\" LEFT OUTER JOIN") != std::string::npos;
        }));
        auto second = session.query<Author>()
                          .order_by(sa::col<&Author::id>)
                          .offset(1)
                          .limit(1)
                          .options(sa::joinedload<&Author::posts>().selectinload<&Post::author>())
                          .all();
        REQUIRE(second.size() == 1);
        CHECK(second[0]->name == "bob");
        CHECK(titles(second[0]->posts) == std::vector<std::string>{"b1"});
        CHECK(selects(f.capture.lines) == 2);  // nothing more: the path's next step was loaded too
        // An ORDER BY with bound values becomes a labelled column of the subquery, its
        // values bound there, before the filter's.
        auto by_distance = session.query<Author>()
                               .filter(sa::col<&Author::name> != "nobody")
                               .order_by((sa::col<&Author::id> - 2) * (sa::col<&Author::id> - 2))
                               .limit(1)
                               .options(sa::joinedload<&Author::posts>())
                               .all();
        REQUIRE(by_distance.size() == 1);
        CHECK(by_distance[0]->name == "bob");
    }
    {
        // session.scalars() takes the option too.
        sa::Session session(f.engine);
        f.capture.lines.clear();
        auto users = session
                         .scalars(sa::select<Author>().where(sa::col<&Author::name> == "bob"),
                                  sa::joinedload<&Author::posts>())
                         .all();
        REQUIRE(users.size() == 1);
        CHECK(titles(users[0]->posts) == std::vector<std::string>{"b1"});
        CHECK(selects(f.capture.lines) == 1);
    }
}

TEST_CASE("joinedload into a GROUP BY, HAVING or DISTINCT statement joins below it as a subquery") {
    auto backend = GENERATE(from_range(backends()));
    Fixture f(backend);
    seed(f.engine);
    const auto wrapped = [&] {
        return std::any_of(f.capture.lines.begin(), f.capture.lines.end(), [](const std::string& line) {
            return line.find("FROM (SELECT") != std::string::npos &&
                   line.find("AS \"anon_1\" LEFT OUTER JOIN") != std::string::npos;
        });
    };
    const auto with_posts =
        sa::select<Author>().join<Post>(sa::col<&Post::author_id> == sa::col<&Author::id>);
    const auto two_posts =
        with_posts.group_by(sa::col<&Author::id>).having(sa::count(sa::col<&Post::id>) == 2);
    {
        // The joined posts would double the count HAVING reads.
        sa::Session session(f.engine);
        f.capture.lines.clear();
        const auto authors = session.scalars(two_posts, sa::joinedload<&Author::posts>()).all();
        REQUIRE(authors.size() == 1);
        CHECK(authors[0]->name == "ann");
        CHECK(titles(authors[0]->posts) == std::vector<std::string>{"a1", "a2"});
        CHECK(wrapped());
    }
    {
        // A to-one too: grouped by the author alone, the profile's columns are not grouped.
        sa::Session session(f.engine);
        const auto authors = session.scalars(two_posts, sa::joinedload<&Author::profile>()).all();
        REQUIRE(authors.size() == 1);
        CHECK(authors[0]->profile->bio == "ann's");
    }
    {
        // GROUP BY would keep one joined post per author.
        sa::Session session(f.engine);
        const auto authors =
            session
                .scalars(with_posts.group_by(sa::col<&Author::id>).order_by(sa::col<&Author::id>),
                         sa::joinedload<&Author::posts>())
                .all();
        REQUIRE(authors.size() == 2);
        CHECK(titles(authors[0]->posts) == std::vector<std::string>{"a1", "a2"});
        CHECK(titles(authors[1]->posts) == std::vector<std::string>{"b1"});
    }
    {
        sa::Session session(f.engine);
        f.capture.lines.clear();
        const auto authors = session
                                 .scalars(with_posts.distinct().order_by(sa::col<&Author::name>.desc()),
                                          sa::joinedload<&Author::posts>())
                                 .all();
        REQUIRE(authors.size() == 2);
        CHECK(authors[0]->name == "bob");
        CHECK(titles(authors[1]->posts) == std::vector<std::string>{"a1", "a2"});
        CHECK(wrapped());
    }
}

TEST_CASE("a mapping's joined collection loads whole collections into a GROUP BY statement") {
    auto backend = GENERATE(from_range(backends()));
    TablesOf<Band, Song> f(backend);
    {
        sa::Session session(f.engine);
        auto duo = session.add(Band{.name = "duo"});
        duo->songs.add(Song{.title = "d1"});
        duo->songs.add(Song{.title = "d2"});
        session.add(Band{.name = "solo"})->songs.add(Song{.title = "s1"});
        session.commit();
    }
    sa::Session session(f.engine);
    f.capture.lines.clear();
    const auto bands = session
                           .scalars(sa::select<Band>()
                                        .join<Song>(sa::col<&Song::band_id> == sa::col<&Band::id>)
                                        .group_by(sa::col<&Band::id>)
                                        .having(sa::count(sa::col<&Song::id>) == 2))
                           .all();
    REQUIRE(bands.size() == 1);
    CHECK(bands[0]->name == "duo");
    REQUIRE(bands[0]->songs.size() == 2);
    CHECK(bands[0]->songs[0]->title == "d1");
    CHECK(bands[0]->songs[1]->title == "d2");
    CHECK(selects(f.capture.lines) == 1);
}

TEST_CASE("joinedload with LIMIT orders its subquery by another table's column, or an expression, by label") {
    auto backend = GENERATE(from_range(backends()));
    Fixture f(backend);
    seed(f.engine);
    const auto with_posts =
        sa::select<Author>().join<Post>(sa::col<&Post::author_id> == sa::col<&Author::id>);
    {
        // Rows (ann, a1) and (bob, b1): bob's title sorts first.
        sa::Session session(f.engine);
        f.capture.lines.clear();
        const auto authors = session
                                 .scalars(with_posts.where(sa::col<&Post::title> != "a2")
                                              .order_by(sa::col<&Post::title>.desc())
                                              .limit(2),
                                          sa::joinedload<&Author::posts>())
                                 .all();
        REQUIRE(authors.size() == 2);
        CHECK(authors[0]->name == "bob");
        CHECK(authors[1]->name == "ann");
        CHECK(titles(authors[1]->posts) == std::vector<std::string>{"a1", "a2"});
        CHECK(std::any_of(f.capture.lines.begin(), f.capture.lines.end(), [](const std::string& line) {
            return line.find("ORDER BY \"anon_1\".\"anon_2\" DESC") != std::string::npos;
        }));
    }
    {
        // The ORDER BY's values are bound in the subquery's columns, before the filter's.
        sa::Session session(f.engine);
        const auto authors =
            session
                .scalars(with_posts.where(sa::col<&Post::title> != "a2")
                             .order_by(sa::case_().when(sa::col<&Post::title> == "b1", 0).else_(1),
                                       sa::col<&Author::name>)
                             .limit(2),
                         sa::joinedload<&Author::posts>())
                .all();
        REQUIRE(authors.size() == 2);
        CHECK(authors[0]->name == "bob");
        CHECK(titles(authors[1]->posts) == std::vector<std::string>{"a1", "a2"});
    }
}

TEST_CASE("joinedload refuses a DISTINCT statement ordered by a column DISTINCT does not compare") {
    // The ORDER BY item would become a column of the subquery, which DISTINCT compares:
    // ann's two posts would make her two rows, and the LIMIT would count them.
    auto backend = GENERATE(from_range(backends()));
    Fixture f(backend);
    seed(f.engine);
    const auto by_title = sa::select<Author>()
                              .join<Post>(sa::col<&Post::author_id> == sa::col<&Author::id>)
                              .distinct()
                              .order_by(sa::col<&Post::title>)
                              .limit(2);
    sa::Session session(f.engine);
    CHECK_THROWS_MATCHES(session.scalars(by_title, sa::joinedload<&Author::posts>()).all(),
                         sa::InvalidRequestError, MessageContains("drop distinct()"));
    CHECK_THROWS_MATCHES(session.scalars(by_title, sa::joinedload<&Author::profile>()).all(),
                         sa::InvalidRequestError, MessageContains("drop distinct()"));
}

TEST_CASE("objects a joined load reached load their mapping's eager relationships, once") {
    auto backend = GENERATE(from_range(backends()));
    TablesOf<Writer, Article, Note> f(backend);
    {
        sa::Session session(f.engine);
        auto article = session.add(Writer{.name = "w"})->articles.add(Article{.title = "a"});
        article->notes.add(Note{.text = "n1"});
        article->notes.add(Note{.text = "n2"});
        session.commit();
    }
    const auto notes_of = [](const Writer& writer) {
        std::string out;
        for (const Article& article : writer.articles)
            for (const Note& note : article.notes) out += note.text + " ";
        return out;
    };
    // The mapping's lazy(joined) articles, then a joinedload option naming them.
    for (const bool option : {false, true}) {
        INFO("joinedload option: " << option);
        std::vector<std::shared_ptr<Writer>> writers;
        {
            sa::Session session(f.engine);
            f.capture.lines.clear();
            auto query = session.query<Writer>();
            writers = option ? query.options(sa::joinedload<&Writer::articles>()).all() : query.all();
            CHECK(selects(f.capture.lines) == 2);  // the writers with their articles, then the notes
        }
        REQUIRE(writers.size() == 1);
        CHECK(notes_of(*writers[0]) == "n1 n2 ");  // loaded before the Session closed
    }
}

TEST_CASE("joinedload gives children with a composite key in key order") {
    auto backend = GENERATE(from_range(backends()));
    TablesOf<Invoice, InvoiceLine> f(backend);
    {
        sa::Session session(f.engine);
        auto invoice = session.add(Invoice{.name = "i"});
        for (const int no : {3, 1, 2, 5, 4})
            invoice->lines.add(InvoiceLine{.no = no, .sku = "s" + std::to_string(no)});
        session.commit();
        // Written again after the others: PostgreSQL then reads it after the others.
        session.execute(sa::text("UPDATE invoice_lines SET sku = sku || '*' WHERE no = 1"));
        session.commit();
    }
    const auto skus = [](const Invoice& invoice) {
        std::vector<std::string> out;
        for (const InvoiceLine& line : invoice.lines) out.push_back(line.sku);
        return out;
    };
    const std::vector<std::string> by_key{"s1*", "s2", "s3", "s4", "s5"};
    {
        sa::Session session(f.engine);
        CHECK(skus(*session.query<Invoice>().options(sa::joinedload<&Invoice::lines>()).one()) == by_key);
    }
    {
        // With LIMIT the invoice is a subquery's row, and the lines join below it.
        sa::Session session(f.engine);
        CHECK(skus(*session.query<Invoice>().options(sa::joinedload<&Invoice::lines>()).first()) == by_key);
    }
}

TEST_CASE("each model of a multi-model select is a query result for lazy loads: no N+1") {
    auto backend = GENERATE(from_range(backends()));
    Fixture f(backend);
    seed(f.engine);
    sa::Session session(f.engine);
    const auto rows = session.execute(sa::select<Post, Author>()
                                          .join<Author>(sa::col<&Post::author_id> == sa::col<&Author::id>)
                                          .order_by(sa::col<&Post::id>));
    REQUIRE(rows.size() == 3);
    f.capture.lines.clear();
    std::vector<std::size_t> post_counts;
    for (const auto& [post, author] : rows) post_counts.push_back(author->posts.size());
    CHECK(post_counts == std::vector<std::size_t>{2, 2, 1});
    CHECK(selects(f.capture.lines) == 1);  // both authors' posts in one statement
}

TEST_CASE("a path of joinedload steps joins every level into the query's one statement") {
    auto backend = GENERATE(from_range(backends()));
    ClubFixture f(backend);
    {
        // ann: captain of chess, player in go; bob: no club; cyd: player in chess.
        sa::Session session(f.engine);
        auto chess = session.add(Club{.name = "chess"});
        auto go = session.add(Club{.name = "go"});
        auto ann = session.add(Member{.name = "ann"});
        ann->memberships.add(Membership{.role = "captain"})->club = chess;
        ann->memberships.add(Membership{.role = "player"})->club = go;
        session.add(Member{.name = "bob"});
        session.add(Member{.name = "cyd"})->memberships.add(Membership{.role = "player"})->club = chess;
        session.commit();
    }
    auto clubs_of = [](const Member& m) {
        std::vector<std::string> out;
        for (const Membership& link : m.memberships) out.push_back(link.role + "@" + link.club->name);
        return out;
    };
    const auto path = sa::joinedload<&Member::memberships>().joinedload<&Membership::club>();
    std::vector<std::shared_ptr<Member>> members;
    {
        sa::Session session(f.engine);
        f.capture.lines.clear();
        members = session.query<Member>().order_by(sa::col<&Member::id>).options(path).all();
        CHECK(selects(f.capture.lines) == 1);
        CHECK(std::any_of(f.capture.lines.begin(), f.capture.lines.end(), [](const std::string& line) {
            return line.find(R"(LEFT OUTER JOIN "clubs" AS "j2" ON "j2"."id" = "j1"."club_id")") !=
                   std::string::npos;
        }));
        REQUIRE(members.size() == 3);
        // One object per row: chess is the same object through ann and through cyd.
        CHECK(members[0]->memberships[0]->club.get() == members[2]->memberships[0]->club.get());
    }
    // Every level was loaded by the query: readable with the Session closed.
    CHECK(clubs_of(*members[0]) == std::vector<std::string>{"captain@chess", "player@go"});
    CHECK(clubs_of(*members[1]).empty());
    CHECK(clubs_of(*members[2]) == std::vector<std::string>{"player@chess"});
    {
        // With a LIMIT the members are limited in a subquery and the path joins below it.
        sa::Session session(f.engine);
        f.capture.lines.clear();
        auto first = session.query<Member>().order_by(sa::col<&Member::id>).limit(1).options(path).all();
        CHECK(selects(f.capture.lines) == 1);
        REQUIRE(first.size() == 1);
        CHECK(clubs_of(*first[0]) == std::vector<std::string>{"captain@chess", "player@go"});
        // A joined step after a selectinload step loads with one more statement.
        f.capture.lines.clear();
        session.expire_all();
        auto again = session.query<Member>()
                         .order_by(sa::col<&Member::id>)
                         .options(sa::selectinload<&Member::memberships>().joinedload<&Membership::club>())
                         .all();
        CHECK(selects(f.capture.lines) == 3);
        CHECK(clubs_of(*again[2]) == std::vector<std::string>{"player@chess"});
        CHECK(selects(f.capture.lines) == 3);
    }
}

TEST_CASE("refresh() loads relationships again at their next use, from the rows as they are then") {
    // As in SQLAlchemy, where refresh() expires every attribute first: a loaded BelongsTo
    // whose foreign key another transaction changed must not go on naming the old parent.
    auto backend = GENERATE(from_range(backends()));
    Fixture f(backend);
    seed(f.engine);
    // expire_on_commit off, and the commit ends the session's transaction before the other
    // connection writes (a SQLite reader would otherwise hold the writer off).
    sa::Session session(f.engine, {.expire_on_commit = false});
    auto ann = session.query<Author>().filter(sa::col<&Author::name> == "ann").one();
    REQUIRE(titles(ann->posts) == std::vector<std::string>{"a1", "a2"});
    const auto a1 = ann->posts[0];
    REQUIRE(a1->author.get() == ann);
    REQUIRE(ann->profile);
    auto bob = session.query<Author>().filter(sa::col<&Author::name> == "bob").one();
    session.commit();
    {
        // Another transaction moves a1 to bob and gives ann a new post.
        auto conn = f.engine.connect();
        conn.execute(sa::text("UPDATE posts SET author_id = :bob WHERE id = :a1")
                         .bind("bob", bob->id)
                         .bind("a1", a1->id));
        conn.execute(sa::insert<Post>().values(Post{.author_id = ann->id, .title = "a3"}));
        conn.commit();
    }

    a1->title = "changed";
    f.capture.lines.clear();
    session.refresh(a1);
    CHECK(a1->title == "a1");
    CHECK(a1->author_id == bob->id);
    CHECK(selects(f.capture.lines) == 1);  // the row only: relationships load when used
    CHECK(a1->author.get() == bob);
    CHECK(selects(f.capture.lines) == 1);  // bob is in the identity map

    session.refresh(ann);
    CHECK(titles(ann->posts) == std::vector<std::string>{"a2", "a3"});
    CHECK(ann->profile->bio == "ann's");
}

namespace {

/// Another transaction gives bob post a1 and ann's profile.
void move_a1_and_profile_to_bob(sa::Engine& engine) {
    auto conn = engine.connect();
    conn.execute(sa::text(
        "UPDATE posts SET author_id = (SELECT id FROM authors WHERE name = 'bob') WHERE title = 'a1'"));
    conn.execute(sa::text("UPDATE profiles SET author_id = (SELECT id FROM authors WHERE name = 'bob')"));
    conn.commit();
}

}  // namespace

// As SQLAlchemy groups the rows a relationship load selects: by the foreign key of each
// row, though the session's object for it (not expired: expire_on_commit off) still holds
// the key it was read with.
TEST_CASE("a collection load files each child by the foreign key of its row, not the session's stale one") {
    auto backend = GENERATE(from_range(backends()));
    Fixture f(backend);
    seed(f.engine);
    // The commits end the sessions' transactions before the other connection writes (a
    // SQLite reader would otherwise hold the writer off).
    sa::Session selecting(f.engine, {.expire_on_commit = false});
    const auto held = selecting.query<Post>().all();
    selecting.commit();
    sa::Session lazily(f.engine, {.expire_on_commit = false});
    const auto held_lazily = lazily.query<Post>().all();
    lazily.commit();
    move_a1_and_profile_to_bob(f.engine);

    // selectinload of bob alone: a1's object still names ann, whom this load does not read.
    auto bob = selecting.query<Author>()
                   .filter(sa::col<&Author::name> == "bob")
                   .options(sa::selectinload<&Author::posts>())
                   .one();
    CHECK(titles(bob->posts) == std::vector<std::string>{"a1", "b1"});

    // A lazy load of both: a1 must not stay with ann.
    auto authors = lazily.query<Author>().order_by(sa::col<&Author::id>).all();
    CHECK(titles(authors[0]->posts) == std::vector<std::string>{"a2"});
    CHECK(titles(authors[1]->posts) == std::vector<std::string>{"a1", "b1"});
}

TEST_CASE("a HasOne load finds the child by the foreign key of its row, not the session's stale one") {
    auto backend = GENERATE(from_range(backends()));
    Fixture f(backend);
    seed(f.engine);
    sa::Session session(f.engine, {.expire_on_commit = false});
    const auto profile = session.query<Profile>().one();  // names ann
    session.commit();
    move_a1_and_profile_to_bob(f.engine);

    auto authors = session.query<Author>().order_by(sa::col<&Author::id>).all();
    CHECK_FALSE(authors[0]->profile);
    CHECK(authors[1]->profile.get() == profile);
}

TEST_CASE("a many-to-many load pairs by the keys of each association row, not the session's stale ones") {
    auto backend = GENERATE(from_range(backends()));
    CourseFixture f(backend);
    {
        sa::Session session(f.engine);
        auto ann = session.add(Student{.name = "ann"});
        auto bob = session.add(Student{.name = "bob"});
        ann->courses.add(Course{.name = "math"});
        bob->courses.add(Course{.name = "art"});
        session.add(Course{.name = "music"});
        session.commit();
    }
    sa::Session session(f.engine, {.expire_on_commit = false});
    const auto held = session.query<Enrollment>().all();  // ann in math, bob in art
    session.commit();
    {
        // Another transaction moves ann from math to music, and bob's art to ann.
        auto conn = f.engine.connect();
        conn.execute(
            sa::text("UPDATE enrollments SET course_id = (SELECT id FROM courses WHERE name = 'music') "
                     "WHERE course_id = (SELECT id FROM courses WHERE name = 'math')"));
        conn.execute(
            sa::text("UPDATE enrollments SET student_id = (SELECT id FROM students WHERE name = 'ann') "
                     "WHERE course_id = (SELECT id FROM courses WHERE name = 'art')"));
        conn.commit();
    }

    auto students = session.query<Student>().order_by(sa::col<&Student::id>).all();
    std::vector<std::string> anns;
    for (const Course& course : students[0]->courses) anns.push_back(course.name);
    std::sort(anns.begin(), anns.end());
    CHECK(anns == std::vector<std::string>{"art", "music"});
    CHECK(students[1]->courses.size() == 0);
}

// The association rows name the courses out of key order: every loading strategy gives
// the collection in the courses' key order all the same.
TEST_CASE("a many-to-many collection comes in its targets' key order, however it is loaded") {
    auto backend = GENERATE(from_range(backends()));
    CourseFixture f(backend);
    {
        auto conn = f.engine.connect();
        conn.execute(sa::text("INSERT INTO students (id, name) VALUES (1, 'ann')"));
        conn.execute(
            sa::text("INSERT INTO courses (id, name) VALUES (1, 'c1'), (2, 'c2'), (3, 'c3'), (4, 'c4')"));
        conn.execute(
            sa::text("INSERT INTO enrollments (id, student_id, course_id) VALUES (1, 1, 3), (2, 1, 1), (3, "
                     "1, 4), (4, 1, 2)"));
        conn.commit();
    }
    const auto course_ids = [](const std::shared_ptr<Student>& student) {
        std::vector<std::int64_t> ids;
        for (const Course& course : student->courses) ids.push_back(course.id);
        return ids;
    };
    const std::vector<std::int64_t> key_order{1, 2, 3, 4};
    {
        sa::Session session(f.engine);
        CHECK(course_ids(session.query<Student>().one()) == key_order);
    }
    {
        sa::Session session(f.engine);
        CHECK(course_ids(session.query<Student>().options(sa::selectinload<&Student::courses>()).one()) ==
              key_order);
    }
    {
        sa::Session session(f.engine);
        CHECK(course_ids(session.query<Student>().options(sa::joinedload<&Student::courses>()).one()) ==
              key_order);
    }
}

TEST_CASE("merge() copies columns only: loaded relationships keep what they hold") {
    auto backend = GENERATE(from_range(backends()));
    Fixture f(backend);
    seed(f.engine);
    sa::Session session(f.engine);
    auto ann = session.query<Author>().filter(sa::col<&Author::name> == "ann").one();
    REQUIRE(titles(ann->posts) == std::vector<std::string>{"a1", "a2"});
    const auto first = ann->posts[0];
    REQUIRE(ann->profile);

    // A detached copy whose relationships were never loaded brings its columns only.
    Author copy{.id = ann->id, .name = "ann, merged"};
    f.capture.lines.clear();
    auto merged = session.merge(copy);
    CHECK(merged == ann);
    CHECK(ann->name == "ann, merged");
    CHECK(ann->posts.size() == 2);
    CHECK(ann->posts[0] == first);
    CHECK(ann->profile->bio == "ann's");
    CHECK(selects(f.capture.lines) == 0);
}

TEST_CASE("merge() of a detached graph merges what its loaded relationships hold (the merge cascade)") {
    auto backend = GENERATE(from_range(backends()));
    Fixture f(backend);
    seed(f.engine);
    std::shared_ptr<Author> ann;
    {
        sa::Session session(f.engine);
        ann = session.query<Author>()
                  .filter(sa::col<&Author::name> == "ann")
                  .options(sa::selectinload<&Author::posts>())
                  .one();
    }
    // Changed while detached: a column of ann, a column of one of her posts, a new post.
    ann->name = "ann2";
    ann->posts[0]->title = "a1-edited";
    ann->posts.add(Post{.title = "a3"});

    sa::Session session(f.engine);
    auto merged = session.merge(ann);
    CHECK(merged.get() != ann.get());  // the session's own object, as in SQLAlchemy
    CHECK(merged->name == "ann2");
    CHECK(titles(merged->posts) == std::vector<std::string>{"a1-edited", "a2", "a3"});
    CHECK(merged->posts[2]->author.get() == merged);
    CHECK_FALSE(session.contains(ann->posts[2]));  // merged copies, not the program's objects
    session.commit();

    sa::Session check(f.engine);
    auto author = check.query<Author>().filter(sa::col<&Author::name> == "ann2").one();
    CHECK(titles(author->posts) == std::vector<std::string>{"a1-edited", "a2", "a3"});
    CHECK(check.query<Post>().count() == 4);
}
