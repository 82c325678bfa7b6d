// <alchemy/fwd.hpp> alone lets a program's header declare functions and members over
// alchemy's public types. This file includes no other alchemy header, so it compiles
// only if the declarations are there, and the types stay incomplete here: the header
// declares them and defines nothing.
#include <alchemy/fwd.hpp>

#include <catch2/catch.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <tuple>
#include <type_traits>

namespace sa = alchemy;

namespace fwdtest {

struct Author;
struct Post;

// What a program's header declares; nothing here is defined or called.
void save_report(sa::Session& session, const sa::URL& archive);
sa::Engine reporting_engine(const sa::URL& url, const sa::EngineOptions& options);
sa::Result<std::tuple<std::int64_t, std::string>> top_authors(sa::Connection& conn,
                                                              const sa::ExecuteOptions& options);
sa::Result<> purge(sa::Connection& conn, sa::Transaction& transaction);
sa::ScalarResult<Author> active_authors(sa::Session& session, sa::SessionTransaction& transaction);
sa::InsertResult<std::int64_t> add_post(sa::Connection& conn, const Post& post);
void create_tables(const sa::MetaData& metadata, const sa::Table& extra, sa::Engine& engine);
void report_failure(const sa::Error& error, const sa::Dialect& dialect, const sa::Driver& driver);
sa::Value first_value(sa::Connection& conn);
void link(sa::HasMany<Post>& posts, sa::BelongsTo<Author>& author, sa::HasOne<Post>& pinned,
          sa::ManyToMany<Author, Post>& coauthors);

/// A class of the program's that holds alchemy objects by pointer or reference.
class ReportService {
public:
    explicit ReportService(std::shared_ptr<sa::Engine> engine);
    sa::Result<> run(const sa::URL& target);

private:
    std::shared_ptr<sa::Engine> engine_;
    sa::Session* session_ = nullptr;
};

}  // namespace fwdtest

namespace {

template <class T>
concept complete = requires { sizeof(T); };

}  // namespace

TEST_CASE("alchemy/fwd.hpp declares the public types and defines none of them") {
    STATIC_REQUIRE_FALSE(complete<sa::Engine>);
    STATIC_REQUIRE_FALSE(complete<sa::Connection>);
    STATIC_REQUIRE_FALSE(complete<sa::Session>);
    STATIC_REQUIRE_FALSE(complete<sa::URL>);
    STATIC_REQUIRE_FALSE(complete<sa::Result<>>);
    STATIC_REQUIRE_FALSE(complete<sa::HasMany<fwdtest::Post>>);
    // Result<> is Result<void> with the default reader, as core/result.hpp defines it.
    STATIC_REQUIRE(std::is_same_v<sa::Result<>, sa::Result<void, sa::row_traits<void>>>);
    STATIC_REQUIRE(
        std::is_same_v<decltype(&fwdtest::purge), sa::Result<> (*)(sa::Connection&, sa::Transaction&)>);
}
