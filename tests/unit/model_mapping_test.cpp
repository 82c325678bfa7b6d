// The compile-time mapping: conventions, overrides, and the Table it describes.
#include "support/tutorial_models.hpp"

#include <alchemy/alchemy.hpp>

#include <catch2/catch.hpp>

namespace sa = alchemy;

namespace mapping_test {

struct Post;
struct Author {
    std::int64_t id = 0;
    std::string name{};
    std::optional<std::string> email{};
    std::int32_t age = 0;
    sa::HasMany<Post> posts{};
};
struct Post {
    std::int64_t id = 0;
    std::int64_t author_id = 0;
    std::optional<std::int64_t> editor_id{};
    std::string title{};
    sa::BelongsTo<Author> author{};
};
struct HTTPLogEntry {
    std::int64_t id = 0;
    std::string path{};
};
struct Setting {
    std::string key{};
    std::string value{};
};

}  // namespace mapping_test

using mapping_test::Author;
using mapping_test::Post;

template <>
inline constexpr auto sa::mapping<Author> =
    sa::table("authors", sa::unique(&Author::email), sa::index(&Author::name, &Author::age),
              sa::max_length(&Author::name, 80), sa::server_default(&Author::age, "18"),
              sa::check("adult", "age >= 18"));
template <>
inline constexpr auto sa::mapping<Post> =
    sa::table(sa::index("posts_by_title", &Post::title),
              sa::foreign_key(&Post::editor_id, &Author::id).on_delete(sa::set_null).on_update(sa::cascade));
template <>
inline constexpr auto sa::mapping<mapping_test::Setting> =
    sa::table(sa::primary_key(&mapping_test::Setting::key));

TEST_CASE("the table name is snake_case of the type name unless the mapping names it") {
    STATIC_REQUIRE(sa::model_info<Author>::table_name == "authors");
    STATIC_REQUIRE(sa::model_info<Post>::table_name == "post");
    STATIC_REQUIRE(sa::model_info<mapping_test::HTTPLogEntry>::table_name == "http_log_entry");
}

TEST_CASE("relationships are not columns and columns keep declaration order") {
    using info = sa::model_info<Author>;
    STATIC_REQUIRE(info::column_count == 4);
    STATIC_REQUIRE(info::columns[0].name == "id");
    STATIC_REQUIRE(info::columns[3].name == "age");
    STATIC_REQUIRE(sa::model_info<Post>::column_count == 4);
}

TEST_CASE("types, nullability, length and defaults come from the fields and the mapping") {
    using info = sa::model_info<Author>;
    STATIC_REQUIRE(info::columns[0].kind == sa::TypeKind::big_integer);
    STATIC_REQUIRE(info::columns[1].kind == sa::TypeKind::text);
    STATIC_REQUIRE(info::columns[1].max_length == 80);
    STATIC_REQUIRE(!info::columns[1].nullable);
    STATIC_REQUIRE(info::columns[2].nullable);
    STATIC_REQUIRE(info::columns[3].kind == sa::TypeKind::integer);
    STATIC_REQUIRE(info::columns[3].server_default == "18");
}

TEST_CASE("id is the autoincrement primary key by convention, the mapping can replace it") {
    STATIC_REQUIRE(sa::model_info<Author>::primary_key_count == 1);
    STATIC_REQUIRE(sa::model_info<Author>::columns[0].primary_key);
    STATIC_REQUIRE(sa::model_info<Author>::columns[0].autoincrement);
    using setting = sa::model_info<mapping_test::Setting>;
    STATIC_REQUIRE(setting::primary_key_count == 1);
    STATIC_REQUIRE(setting::columns[setting::primary_key[0]].name == "key");
    STATIC_REQUIRE(!setting::columns[0].autoincrement);  // a text key is never generated
    using link = sa::model_info<tutorial::UserGroup>;
    STATIC_REQUIRE(link::primary_key_count == 2);
    STATIC_REQUIRE(!link::columns[0].autoincrement);
}

TEST_CASE("column_index_of finds a member's column at compile time") {
    STATIC_REQUIRE(sa::column_index_of<&Post::title> == 3);
    STATIC_REQUIRE(sa::column_index_of<&Author::email> == 2);
}

TEST_CASE("table_of describes constraints with conventional names") {
    const auto authors = sa::table_of<Author>();
    CHECK(authors.name == "authors");
    CHECK(authors.primary_key == sa::PrimaryKey{"pk_authors", {"id"}});
    REQUIRE(authors.unique_constraints.size() == 1);
    CHECK(authors.unique_constraints[0] == sa::UniqueConstraint{"uq_authors_email", {"email"}});
    REQUIRE(authors.indexes.size() == 1);
    CHECK(authors.indexes[0] == sa::Index{"ix_authors_name_age", {"name", "age"}, false});
    REQUIRE(authors.check_constraints.size() == 1);
    CHECK(authors.check_constraints[0] == sa::CheckConstraint{"ck_authors_adult", "age >= 18"});
    CHECK(authors.column("age")->server_default == "18");
    CHECK(authors.column("name")->type == sa::ColumnType{sa::TypeKind::text, 80});
    CHECK(authors.column("email")->nullable);
    CHECK(authors.column("id")->autoincrement);

    const auto posts = sa::table_of<Post>();
    REQUIRE(posts.foreign_keys.size() == 2);
    // The explicit key comes first, then the BelongsTo convention.
    CHECK(posts.foreign_keys[0] == sa::ForeignKey{"fk_post_editor_id_authors",
                                                  {"editor_id"},
                                                  "authors",
                                                  {"id"},
                                                  sa::ReferentialAction::set_null,
                                                  sa::ReferentialAction::cascade});
    CHECK(posts.foreign_keys[1] == sa::ForeignKey{"fk_post_author_id_authors",
                                                  {"author_id"},
                                                  "authors",
                                                  {"id"},
                                                  sa::ReferentialAction::no_action,
                                                  sa::ReferentialAction::no_action});
    REQUIRE(posts.indexes.size() == 1);
    CHECK(posts.indexes[0].name == "posts_by_title");
}

TEST_CASE("the tutorial's association table gets a composite key and two foreign keys") {
    const auto link = sa::table_of<tutorial::UserGroup>();
    CHECK(link.name == "user_group");
    CHECK(link.primary_key.columns == std::vector<std::string>{"user_id", "group_id"});
    REQUIRE(link.foreign_keys.size() == 2);
    CHECK(link.foreign_keys[0].referred_table == "users");
    CHECK(link.foreign_keys[1].referred_table == "groups");
    const auto md =
        sa::metadata<tutorial::User, tutorial::UserProfile, tutorial::Group, tutorial::UserGroup>();
    CHECK(md.tables().size() == 4);
}

namespace mapping_test {
struct Member {
    std::int64_t id = 0;
    std::string nickname{};
};
}  // namespace mapping_test
template <>
inline constexpr auto sa::mapping<mapping_test::Member> = sa::table(
    "members", sa::renamed_from("people"), sa::renamed_from(&mapping_test::Member::nickname, "nick"));

TEST_CASE("renamed_from records previous table and column names for autogenerate") {
    const auto members = sa::table_of<mapping_test::Member>();
    CHECK(members.renamed_from == "people");
    CHECK(members.column("nickname")->renamed_from == "nick");
    CHECK_FALSE(members.column("id")->renamed_from.has_value());
}

namespace mapping_test {
struct Reading {
    std::int64_t sensor = 0;
    std::int64_t taken_at = 0;
    std::uint16_t port = 0;
    std::uint8_t level = 0;
    std::int16_t delta = 0;
    std::uint32_t count = 0;
};
}  // namespace mapping_test
template <>
inline constexpr auto sa::mapping<mapping_test::Reading> =
    sa::table(sa::primary_key(&mapping_test::Reading::taken_at, &mapping_test::Reading::sensor));

TEST_CASE("a composite primary key keeps the order the mapping gives") {
    using info = sa::model_info<mapping_test::Reading>;
    STATIC_REQUIRE(info::columns[info::primary_key[0]].name == "taken_at");
    STATIC_REQUIRE(info::columns[info::primary_key[1]].name == "sensor");
    CHECK(sa::table_of<mapping_test::Reading>().primary_key.columns ==
          std::vector<std::string>{"taken_at", "sensor"});
}

TEST_CASE("integer columns get the smallest SQL type that holds every value") {
    using info = sa::model_info<mapping_test::Reading>;
    STATIC_REQUIRE(info::columns[2].kind == sa::TypeKind::integer);        // uint16 > SMALLINT
    STATIC_REQUIRE(info::columns[3].kind == sa::TypeKind::small_integer);  // uint8
    STATIC_REQUIRE(info::columns[4].kind == sa::TypeKind::small_integer);  // int16
    STATIC_REQUIRE(info::columns[5].kind == sa::TypeKind::big_integer);    // uint32 > INTEGER
}

namespace mapping_test {
struct Stamped {
    std::int64_t id = 0;
    std::optional<std::int64_t> created{};
    std::int32_t level = 0;
    std::optional<std::string> updated{};
};
}  // namespace mapping_test

template <>
inline constexpr auto sa::mapping<mapping_test::Stamped> =
    sa::table("stamped", sa::server_default(&mapping_test::Stamped::created, "7"),
              sa::server_default(&mapping_test::Stamped::level, "1"),
              sa::onupdate(&mapping_test::Stamped::updated, "'now'"));

TEST_CASE("the database fills the key and the server defaults of optional fields when they are unset") {
    using mapping_test::Stamped;
    using info = sa::model_info<Stamped>;
    STATIC_REQUIRE(info::columns[3].onupdate == "'now'");
    STATIC_REQUIRE(info::columns[1].onupdate.empty());
    // The key and `created`; `level` always holds a value to send, so it is never left out.
    STATIC_REQUIRE(sa::detail::fillable_columns<Stamped> == std::array<std::size_t, 2>{0, 1});
    CHECK(sa::left_to_database(Stamped{}) == 0b11);
    CHECK(sa::left_to_database(Stamped{.id = 5}) == 0b10);
    CHECK(sa::left_to_database(Stamped{.created = 0}) == 0b01);  // 0 is a value, not unset
    CHECK(sa::left_to_database(Stamped{.id = 5, .created = 3}) == 0);
    // onupdate changes no DDL: it is SQL of the UPDATEs the Session emits.
    CHECK_FALSE(sa::table_of<Stamped>().column("updated")->server_default.has_value());
}
