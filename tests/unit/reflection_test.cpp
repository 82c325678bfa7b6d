// Compile-time reflection of models: which types qualify, field counts, types and names,
// type names and the snake_case table-name convention. Almost everything here is checked
// by the compiler (STATIC_REQUIRE); the rest shows the results are usable at run time.
#include "alchemy/schema/detail/snake_case.hpp"
#include "alchemy/schema/reflect.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

// Models live in a named namespace: all unit tests share one executable, and a model in an
// anonymous namespace cannot be reflected (see reflectable_model).
namespace reflection_test {

struct Single {
    int only = 0;
};

struct Address {
    std::string city;
    std::int32_t zip = 0;
};

struct Account {
    std::int64_t id = 0;
    std::string name;
    std::optional<std::string> email;
    std::vector<std::byte> avatar;
    Address address;
    std::chrono::sys_time<std::chrono::microseconds> created_at;
    bool active = false;
    double score = 0;
};

struct Spellings {
    int field1 = 0;
    int _leading = 0;
    int trailing_ = 0;
    int x2y3 = 0;
    int already_snake_case = 0;
    int CamelCase = 0;
    int a = 0;
};

struct Empty {};

namespace inner {
struct Deep {
    int value = 0;
};
}  // namespace inner

struct Outer {
    struct Nested {
        int n = 0;
    };
};

template <class T>
struct Box {
    T value;
};

struct UserProfile {
    std::int64_t id = 0;
};

struct HTTPRequest {
    std::int64_t id = 0;
};

// Types that are not models, one per requirement.
struct WithConstructor {
    explicit WithConstructor(int v) : value(v) {}
    int value;
};
struct Derived : Single {
    int extra = 0;
};
struct DerivedFromEmpty : Empty {
    int extra = 0;
};
struct ConstMember {
    const int value = 0;
};
struct ReferenceMember {
    int& value;
};
union Variant {
    int i;
    float f;
};

}  // namespace reflection_test

namespace {
struct InAnonymousNamespace {
    int value = 0;
};
}  // namespace

namespace rt = reflection_test;
using alchemy::field_count;
using alchemy::field_names;
using alchemy::field_type_t;
using alchemy::reflectable_model;
using alchemy::type_name;
using alchemy::detail::snake_case_name;
using alchemy::detail::snake_case_of;

TEST_CASE("plain aggregate structs are reflectable models", "[reflection]") {
    STATIC_REQUIRE(reflectable_model<rt::Single>);
    STATIC_REQUIRE(reflectable_model<rt::Account>);
    STATIC_REQUIRE(reflectable_model<rt::Empty>);
    STATIC_REQUIRE(reflectable_model<rt::inner::Deep>);
    STATIC_REQUIRE(reflectable_model<rt::Outer::Nested>);
    STATIC_REQUIRE(reflectable_model<rt::Box<rt::Single>>);
}

TEST_CASE("types that cannot be models are rejected by the concept", "[reflection]") {
    STATIC_REQUIRE_FALSE(reflectable_model<int>);
    STATIC_REQUIRE_FALSE(reflectable_model<rt::Variant>);
    STATIC_REQUIRE_FALSE(reflectable_model<rt::WithConstructor>);
    STATIC_REQUIRE_FALSE(reflectable_model<rt::Derived>);
    STATIC_REQUIRE_FALSE(reflectable_model<rt::DerivedFromEmpty>);
    STATIC_REQUIRE_FALSE(reflectable_model<rt::ConstMember>);
    STATIC_REQUIRE_FALSE(reflectable_model<rt::ReferenceMember>);
    STATIC_REQUIRE_FALSE(reflectable_model<const rt::Single>);
    STATIC_REQUIRE_FALSE(reflectable_model<rt::Single&>);
    STATIC_REQUIRE_FALSE(reflectable_model<InAnonymousNamespace>);
}

TEST_CASE("field count and field types follow the declaration", "[reflection]") {
    STATIC_REQUIRE(field_count<rt::Single> == 1);
    STATIC_REQUIRE(field_count<rt::Account> == 8);
    STATIC_REQUIRE(field_count<rt::Empty> == 0);
    STATIC_REQUIRE(std::is_same_v<field_type_t<rt::Single, 0>, int>);
    STATIC_REQUIRE(std::is_same_v<field_type_t<rt::Account, 0>, std::int64_t>);
    STATIC_REQUIRE(std::is_same_v<field_type_t<rt::Account, 1>, std::string>);
    STATIC_REQUIRE(std::is_same_v<field_type_t<rt::Account, 2>, std::optional<std::string>>);
    STATIC_REQUIRE(std::is_same_v<field_type_t<rt::Account, 3>, std::vector<std::byte>>);
    STATIC_REQUIRE(std::is_same_v<field_type_t<rt::Account, 4>, rt::Address>);
    STATIC_REQUIRE(
        std::is_same_v<field_type_t<rt::Account, 5>, std::chrono::sys_time<std::chrono::microseconds>>);
    STATIC_REQUIRE(std::is_same_v<field_type_t<rt::Account, 7>, double>);
}

TEST_CASE("the name of a struct's only field is read at compile time", "[reflection]") {
    STATIC_REQUIRE(field_names<rt::Single>.size() == 1);
    STATIC_REQUIRE(field_names<rt::Single>[0] == "only");
}

TEST_CASE("field names of many members of varied types come in declaration order", "[reflection]") {
    constexpr auto& names = field_names<rt::Account>;
    STATIC_REQUIRE(names.size() == 8);
    STATIC_REQUIRE(names[0] == "id");
    STATIC_REQUIRE(names[1] == "name");
    STATIC_REQUIRE(names[2] == "email");
    STATIC_REQUIRE(names[3] == "avatar");
    STATIC_REQUIRE(names[4] == "address");
    STATIC_REQUIRE(names[5] == "created_at");
    STATIC_REQUIRE(names[6] == "active");
    STATIC_REQUIRE(names[7] == "score");
}

TEST_CASE("field names keep digits, underscores and capitals", "[reflection]") {
    constexpr auto& names = field_names<rt::Spellings>;
    STATIC_REQUIRE(names[0] == "field1");
    STATIC_REQUIRE(names[1] == "_leading");
    STATIC_REQUIRE(names[2] == "trailing_");
    STATIC_REQUIRE(names[3] == "x2y3");
    STATIC_REQUIRE(names[4] == "already_snake_case");
    STATIC_REQUIRE(names[5] == "CamelCase");
    STATIC_REQUIRE(names[6] == "a");
}

TEST_CASE("field names are read from structs in namespaces, nested classes and templates", "[reflection]") {
    STATIC_REQUIRE(field_names<rt::inner::Deep>[0] == "value");
    STATIC_REQUIRE(field_names<rt::Outer::Nested>[0] == "n");
    STATIC_REQUIRE(field_names<rt::Box<rt::Address>>[0] == "value");
    STATIC_REQUIRE(field_names<rt::Address>[0] == "city");
    STATIC_REQUIRE(field_names<rt::Address>[1] == "zip");
    STATIC_REQUIRE(field_names<rt::Empty>.empty());
}

TEST_CASE("field names are NUL-terminated views with static storage at run time", "[reflection]") {
    const std::vector<std::string> names(field_names<rt::Account>.begin(), field_names<rt::Account>.end());
    REQUIRE(names == std::vector<std::string>{"id", "name", "email", "avatar", "address", "created_at",
                                              "active", "score"});
    REQUIRE(std::strcmp(field_names<rt::Account>[5].data(), "created_at") == 0);
    // A constexpr copy of a view compiles only if the text it points to has static storage
    // duration (a constant expression may not point into a temporary or the stack).
    static constexpr std::string_view name = field_names<rt::Account>[1];
    STATIC_REQUIRE(name == "name");
}

TEST_CASE("type_name drops namespaces and enclosing classes", "[reflection]") {
    STATIC_REQUIRE(type_name<rt::Account>() == "Account");
    STATIC_REQUIRE(type_name<rt::inner::Deep>() == "Deep");
    STATIC_REQUIRE(type_name<rt::Outer::Nested>() == "Nested");
    STATIC_REQUIRE(type_name<rt::Outer>() == "Outer");
    STATIC_REQUIRE(type_name<InAnonymousNamespace>() == "InAnonymousNamespace");
    STATIC_REQUIRE(type_name<int>() == "int");
    STATIC_REQUIRE(type_name<rt::Box<rt::Single>>() == "Box<reflection_test::Single>");
    REQUIRE(std::strcmp(type_name<rt::UserProfile>().data(), "UserProfile") == 0);
}

TEST_CASE("snake_case turns type names into table names", "[reflection]") {
    STATIC_REQUIRE(snake_case_of<"User">.view() == "user");
    STATIC_REQUIRE(snake_case_of<"UserProfile">.view() == "user_profile");
    STATIC_REQUIRE(snake_case_of<"HTTPRequest">.view() == "http_request");
    STATIC_REQUIRE(snake_case_of<"UserGroup2">.view() == "user_group2");
    STATIC_REQUIRE(snake_case_of<"Md5Hash">.view() == "md5_hash");
    STATIC_REQUIRE(snake_case_of<"getHTTPResponseCode">.view() == "get_http_response_code");
    STATIC_REQUIRE(snake_case_of<"IOStream">.view() == "io_stream");
    STATIC_REQUIRE(snake_case_of<"ABc">.view() == "a_bc");
    STATIC_REQUIRE(snake_case_of<"User_Profile">.view() == "user_profile");
    STATIC_REQUIRE(snake_case_of<"already_snake">.view() == "already_snake");
    STATIC_REQUIRE(snake_case_of<"X11Window">.view() == "x11_window");
    STATIC_REQUIRE(snake_case_of<"A">.view() == "a");
    STATIC_REQUIRE(snake_case_of<"">.view().empty());
}

TEST_CASE("snake_case gives the same result at run time", "[reflection]") {
    using alchemy::detail::snake_case;
    REQUIRE(snake_case("User") == "user");
    REQUIRE(snake_case("UserProfile") == "user_profile");
    REQUIRE(snake_case("HTTPRequest") == "http_request");
    REQUIRE(snake_case("UserGroup2") == "user_group2");
    REQUIRE(snake_case("") == "");
}

TEST_CASE("snake_case_name gives a model's default table name with static storage", "[reflection]") {
    STATIC_REQUIRE(snake_case_name<rt::Account> == "account");
    STATIC_REQUIRE(snake_case_name<rt::UserProfile> == "user_profile");
    STATIC_REQUIRE(snake_case_name<rt::HTTPRequest> == "http_request");
    STATIC_REQUIRE(snake_case_name<rt::Outer::Nested> == "nested");
    REQUIRE(std::strcmp(snake_case_name<rt::UserProfile>.data(), "user_profile") == 0);
}
