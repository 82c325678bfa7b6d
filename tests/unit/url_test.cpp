// make_url(): the components it reads, the errors it raises, and how URLs print.
#include "alchemy/core/url.hpp"
#include "alchemy/core/driver.hpp"
#include "alchemy/core/error.hpp"
#include "alchemy/format.hpp"

#include <fmt/core.h>
#include <catch2/catch.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

using alchemy::ArgumentError;
using alchemy::make_url;
using alchemy::URL;

namespace {

// URL's fields with default initializers, so a row names only the fields it sets without
// -Wmissing-field-initializers firing on designated initializers.
struct Fields {
    std::string drivername{};
    std::string username{};
    std::optional<std::string> password{};
    std::string host{};
    std::optional<std::uint16_t> port{};
    std::string database{};
    std::map<std::string, std::string> query{};

    URL url() const { return URL{drivername, username, password, host, port, database, query}; }
};

struct ParseCase {
    std::string_view text;
    Fields expected;
};

struct ErrorCase {
    std::string_view text;
    std::string_view message;  ///< the part of the message that names the problem
};

struct RenderCase {
    std::string_view text;
    std::string_view masked;         ///< to_string()
    std::string_view with_password;  ///< render_with_password()
};

constexpr std::string_view error_prefix = "alchemy: invalid database URL '";

bool has_control_character(std::string_view text) {
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte == 0x7F) return true;
    }
    return false;
}

}  // namespace

TEST_CASE("make_url reads each component of a well-formed URL", "[url]") {
    const ParseCase cases[] = {
        {"postgresql://scott:tiger@localhost:5432/mydb?sslmode=require&application_name=x",
         {.drivername = "postgresql",
          .username = "scott",
          .password = "tiger",
          .host = "localhost",
          .port = 5432,
          .database = "mydb",
          .query = {{"application_name", "x"}, {"sslmode", "require"}}}},
        {"postgresql+psycopg2://user:p%40ss@host/db",
         {.drivername = "postgresql+psycopg2",
          .username = "user",
          .password = "p@ss",
          .host = "host",
          .database = "db"}},
        {"postgresql://user@[::1]:5433/db",
         {.drivername = "postgresql", .username = "user", .host = "::1", .port = 5433, .database = "db"}},
        {"postgresql://[fe80::1%25eth0]/db",
         {.drivername = "postgresql", .host = "fe80::1%eth0", .database = "db"}},
        {"postgresql:///db", {.drivername = "postgresql", .database = "db"}},
        {"postgresql://h?connect_timeout=10",
         {.drivername = "postgresql", .host = "h", .query = {{"connect_timeout", "10"}}}},
        {"postgresql+psycopg2://", {.drivername = "postgresql+psycopg2"}},
        {"postgresql://%2Fvar%2Frun%2Fpostgresql/db",
         {.drivername = "postgresql", .host = "/var/run/postgresql", .database = "db"}},
        {"postgresql://h/my%20db%2Fx", {.drivername = "postgresql", .host = "h", .database = "my db/x"}},
        {"sqlite:///relative.db", {.drivername = "sqlite", .database = "relative.db"}},
        {"sqlite:////abs/path.db", {.drivername = "sqlite", .database = "/abs/path.db"}},
        {"sqlite://", {.drivername = "sqlite"}},
        {"sqlite:///", {.drivername = "sqlite"}},
        {"sqlite:///:memory:", {.drivername = "sqlite", .database = ":memory:"}},
        {"sqlite+pysqlite:///:memory:", {.drivername = "sqlite+pysqlite", .database = ":memory:"}},
        {"sqlite:///file.db?mode=ro",
         {.drivername = "sqlite", .database = "file.db", .query = {{"mode", "ro"}}}},
        {"sqlite:///data/app.db?mode=ro&cache=shared",
         {.drivername = "sqlite", .database = "data/app.db", .query = {{"cache", "shared"}, {"mode", "ro"}}}},
    };
    for (const auto& row : cases) {
        INFO(row.text);
        CHECK(make_url(row.text) == row.expected.url());
    }
}

TEST_CASE("make_url decodes user names, passwords and queries as SQLAlchemy does", "[url]") {
    const ParseCase cases[] = {
        // Percent-encoded separators in the password.
        {"postgresql://u:a%2Fb%3Ac%3F@h/db",
         {.drivername = "postgresql", .username = "u", .password = "a/b:c?", .host = "h", .database = "db"}},
        // A raw ':' in the password: only the first ':' separates user and password.
        {"postgresql://u:pa:ss@h/db",
         {.drivername = "postgresql", .username = "u", .password = "pa:ss", .host = "h", .database = "db"}},
        // A raw '@' in the password: the last '@' before the path ends the userinfo.
        {"postgresql://u:p@ss@h:5432/db",
         {.drivername = "postgresql",
          .username = "u",
          .password = "p@ss",
          .host = "h",
          .port = 5432,
          .database = "db"}},
        // '+' is a literal '+' outside the query...
        {"postgresql://u+x:p+w@h/db",
         {.drivername = "postgresql", .username = "u+x", .password = "p+w", .host = "h", .database = "db"}},
        // ...and a space inside it, as Python's parse_qsl reads it; %2B is a '+'.
        {"postgresql://h/db?k=a+b&p=%2B&key+2=x",
         {.drivername = "postgresql",
          .host = "h",
          .database = "db",
          .query = {{"k", "a b"}, {"key 2", "x"}, {"p", "+"}}}},
        // An empty password is still a password.
        {"postgresql://u:@h/db",
         {.drivername = "postgresql", .username = "u", .password = "", .host = "h", .database = "db"}},
        // A repeated key keeps every value, joined by ',' (libpq's list form).
        {"postgresql://h/db?a=1&a=2",
         {.drivername = "postgresql", .host = "h", .database = "db", .query = {{"a", "1,2"}}}},
        // SQLAlchemy's multi-host form.
        {"postgresql://u@/db?host=a:5432&host=%5B::1%5D:5433&target_session_attrs=read-write",
         {.drivername = "postgresql",
          .username = "u",
          .database = "db",
          .query = {{"host", "a:5432,[::1]:5433"}, {"target_session_attrs", "read-write"}}}},
        // An empty value is kept; empty items are skipped.
        {"postgresql://h/db?flag=&&b=2&",
         {.drivername = "postgresql", .host = "h", .database = "db", .query = {{"b", "2"}, {"flag", ""}}}},
        // '@' in a query is plain data when no password could precede it.
        {"postgresql://host/db?opt=a@b",
         {.drivername = "postgresql", .host = "host", .database = "db", .query = {{"opt", "a@b"}}}},
        {"postgresql://h:1/db", {.drivername = "postgresql", .host = "h", .port = 1, .database = "db"}},
        {"postgresql://h:065535/db",
         {.drivername = "postgresql", .host = "h", .port = 65535, .database = "db"}},
    };
    for (const auto& row : cases) {
        INFO(row.text);
        CHECK(make_url(row.text) == row.expected.url());
    }
}

TEST_CASE("backend and driver read the drivername, and the driver tells an in-memory database", "[url]") {
    struct Case {
        std::string_view text;
        std::string_view backend;
        std::string_view driver;
        bool memory;
    };
    const Case cases[] = {
        {"postgresql+psycopg2://h/db", "postgresql", "psycopg2", false},
        {"postgresql://h/db", "postgresql", "", false},
        {"postgresql:///:memory:", "postgresql", "", false},
        {"sqlite://", "sqlite", "", true},
        {"sqlite:///:memory:", "sqlite", "", true},
        {"sqlite+pysqlite:///:memory:", "sqlite", "pysqlite", true},
        {"sqlite:///file.db", "sqlite", "", false},
        // In-memory databases named by a file: URI; shared among connections with cache=shared.
        {"sqlite:///file::memory:?uri=true", "sqlite", "", true},
        {"sqlite:///file:appdb?mode=memory&uri=true", "sqlite", "", true},
        {"sqlite:///file:appdb?mode=memory&cache=shared&uri=true", "sqlite", "", false},
        {"sqlite:///file::memory:?cache=shared&uri=true", "sqlite", "", false},
        {"sqlite:///file:appdb?cache=shared&cache=private&mode=memory&uri=true", "sqlite", "", true},
        {"sqlite:///file:appdb?mode=memory&mode=rwc&uri=true", "sqlite", "", false},
        {"sqlite:///file:appdb?vfs=memdb&uri=true", "sqlite", "", true},
        {"sqlite:///file:/appdb?vfs=memdb&uri=true", "sqlite", "", false},
        {"sqlite:///file:app.db?uri=true", "sqlite", "", false},
        {"sqlite:///file:memory.db?uri=true", "sqlite", "", false},
        // SQLite percent-decodes the URI's path, keys and values once it has split them.
        {"sqlite:///file:appdb%3Fmode%3D%256Demory?uri=true", "sqlite", "", true},
        {"sqlite:///file:appdb%3F%256Dode%3Dmemory?uri=true", "sqlite", "", true},
        {"sqlite:///file:%253Amemory%253A?uri=true", "sqlite", "", true},
        {"sqlite:///file:appdb%3Fmode%3Dmemory%2500disk?uri=true", "sqlite", "", true},
        {"sqlite:///file:appdb%3Fnote%3Dx%2526mode%253Dmemory?uri=true", "sqlite", "", false},
        {"sqlite:///file:%253Amemory%253?uri=true", "sqlite", "", false},
        // An empty path: a temporary database of the connection's own, never shared.
        {"sqlite:///file:?uri=true", "sqlite", "", true},
        {"sqlite:///file:?cache=shared&uri=true", "sqlite", "", true},
        // SQLite builds that read URIs everywhere (Debian's) open this one in memory too.
        {"sqlite:///file::memory:", "sqlite", "", true},
    };
    for (const auto& row : cases) {
        INFO(row.text);
        const auto url = make_url(row.text);
        CHECK(url.backend() == row.backend);
        CHECK(url.driver() == row.driver);
        CHECK(alchemy::driver_for(url).database_per_connection(url, {.args = url.query}) == row.memory);
    }
}

TEST_CASE("uri=true given in connect_args makes a file: URI an in-memory database too", "[url]") {
    const auto url = make_url("sqlite:///file:appdb?mode=memory");
    const auto& sqlite = alchemy::driver_for(url);
    CHECK(sqlite.database_per_connection(url, {.args = {{"uri", "true"}, {"mode", "memory"}}}));
    const auto shared = make_url("sqlite:///file:appdb?mode=memory&cache=shared");
    CHECK_FALSE(sqlite.database_per_connection(
        shared, {.args = {{"uri", "true"}, {"mode", "memory"}, {"cache", "shared"}}}));
}

TEST_CASE("make_url names the malformed part of a bad URL", "[url]") {
    const ErrorCase cases[] = {
        {"", "the URL is empty; expected dialect[+driver]://"},
        {"postgresql:/host/db", "missing '://' after the dialect name"},
        {"://u@h/db", "the dialect name before '://' is missing"},
        {"post gres://h/db", "the dialect name 'post gres' contains a space"},
        {"pg.sql://h/db", "the dialect name 'pg.sql' contains '.'"},
        {"+psycopg2://h/db", "the dialect name before '+' is missing in '+psycopg2'"},
        {"postgresql+://h/db",
         "the driver name after '+' is empty in 'postgresql+'; write postgresql or name a "
         "driver after the '+'"},
        {"postgresql+a+b://h/db", "the dialect name 'postgresql+a+b' has more than one '+'"},
        {"postgresql://h:abc/db", "the port 'abc' is not a number; expected 1 to 65535"},
        {"postgresql://h:-1/db", "the port '-1' is not a number"},
        {"postgresql://h:0/db", "the port 0 is out of range; expected 1 to 65535"},
        {"postgresql://h:70000/db", "the port 70000 is out of range"},
        {"postgresql://h:99999999999999999999999/db", "the port 99999999999999999999999 is out of range"},
        {"postgresql://h:/db", "the port after ':' is empty"},
        {"postgresql://user@[::1:5433/db", "the IPv6 address starting with '[' has no closing ']'"},
        {"postgresql://[]/db", "the IPv6 address between '[' and ']' is empty"},
        {"postgresql://[::1]x/db", "unexpected 'x' after the IPv6 address"},
        {"postgresql://h]/db", "the host 'h]' contains '[' or ']'"},
        {"postgresql://h/d%G1", "the database name contains a bad percent escape '%G1'"},
        {"postgresql://h/db%4", "the database name contains an incomplete percent escape '%4'"},
        {"postgresql://h/db?k=%", "the query value contains an incomplete percent escape '%'"},
        {"postgresql://h/d%00b", "the database name contains %00, a NUL character"},
        {"postgresql://u%00@h/db", "the user name contains %00"},
        {"postgresql://h/db?=v", "the query item '=v' has an empty key"},
        {"postgresql://h/db?a", "the query item 'a' has no '='; write key=value"},
        {"postgresql://h/db?a=1&b", "the query item 'b' has no '='"},
        {"sqlite://host/db", "SQLite URLs take no host, got 'host'"},
        {"sqlite://relative.db", "got 'relative.db' (a file path needs three slashes"},
        {"sqlite://user:pw@/db", "SQLite URLs take no user name or password"},
        {"sqlite://user@/db", "SQLite URLs take no user name or password"},
        {"sqlite://:5/db", "SQLite URLs take no port"},
        {"postgresql://h/my db", "the URL contains a space at position 18; percent-encode it as %20"},
        {"postgresql://h/d\x01"
         "b",
         "the URL contains the control character 0x01 at position 17"},
        {"postgresql://h/db\tx", "the URL contains a tab"},
        {" postgresql://h/db", "the URL starts with a space; strip surrounding whitespace"},
        {"postgresql://h/db\n", "the URL ends with a line break; strip surrounding whitespace"},
        {"postgresql://u:a/b@h/db", "an '@' after the host is ambiguous"},
        {"postgresql://h:5432/db?opt=a@b", "an '@' after the host is ambiguous"},
        // A password with a raw '@' and then a '/' or '?': never a host named by part of it.
        {"postgresql://app:S3cr@t/K3y@127.0.0.1:5432/db", "percent-encode '@' as %40"},
        {"postgresql://app:S3cr@t?K3y@127.0.0.1:5432/db", "an '@' after the host is ambiguous"},
        {"postgresql://app:Zq9@x.y:7/W@127.0.0.1:5432/db", "an '@' after the host is ambiguous"},
    };
    for (const auto& row : cases) {
        INFO(row.text);
        CHECK_THROWS_AS(make_url(row.text), ArgumentError);
        CHECK_THROWS_WITH(make_url(row.text), Catch::StartsWith(std::string(error_prefix)) &&
                                                  Catch::Contains(std::string(row.message)));
    }
}

TEST_CASE("an error message quotes the URL it rejects, password masked", "[url]") {
    CHECK_THROWS_WITH(make_url("postgresql://user:s3cret@host:notaport/db"),
                      "alchemy: invalid database URL 'postgresql://user:***@host:notaport/db': the port "
                      "'notaport' is not a number; expected 1 to 65535");
    // Control characters are spelled out rather than sent to a terminal.
    CHECK_THROWS_WITH(make_url("postgresql://h/d\x01"
                               "b"),
                      Catch::Contains("'postgresql://h/d\\x01b'"));
}

TEST_CASE("no error message ever contains the password", "[url]") {
    // Each URL carries the password "s3cret" (or pieces of it) and fails a different check.
    const std::string_view cases[] = {
        "postgresql://user:s3cret@host:notaport/db",
        "postgresql://user:s3cret@host:0/db",
        "postgresql://user:s3cret@[::1/db",
        "postgresql://user:s3cret@host/db?novalue",
        "postgresql://user:s3cret@host/db%4",
        "postgresql://user:s3cret%ZZ@host/db",
        "postgresql://user:s3cret%00@host/db",
        "postgresql://user:s3/cret@host/db",
        "postgresql://user:s3?cret@host/db",
        "postgresql://user:s3 cret@host/db",
        "postgresql://user:s3cret@h@host:bad/db",
        "postgresql://user:s3@cret/x@host:5432/db",
        "postgresql://user:s3@c?ret@host/db",
        "postgresql://user:s3@c:5432/ret@host/db",
        "postgresql:/user:s3cret@host/db",
        "postgresql:/user:s3cret@host/db?next=http://x",
        "postgresql://user:s3cret@host/db\n",
        "post-gres://user:s3cret@host/db",
        "sqlite://user:s3cret@/db",
    };
    for (const auto text : cases) {
        INFO(text);
        CHECK_THROWS_WITH(make_url(text), !Catch::Contains("s3") && !Catch::Contains("cret"));
    }
}

TEST_CASE("a rejected URL whose password holds '@' and '/' is masked up to its last '@'", "[url]") {
    CHECK_THROWS_WITH(
        make_url("postgresql://app:S3cr@t/K3y@127.0.0.1:5432/db"),
        Catch::StartsWith("alchemy: invalid database URL 'postgresql://app:***@127.0.0.1:5432/db': "));
}

TEST_CASE("no error message shows a password given in the query", "[url]") {
    // libpq reads password and sslpassword from the query; each URL fails a different check.
    const std::string_view cases[] = {
        "postgresql://user@host:notaport/db?password=s3cret",
        "postgresql://host:notaport/db?sslmode=require&sslpassword=s3cret",
        "postgresql://host/db?password=s3cret&novalue",
        // An '&' left unencoded in the password: its rest looks like an item without '='.
        "postgresql://host/db?password=s3a&cret",
        "postgresql://host/db?password=s3a&cret&sslmode=require",
        "postgresql://host/db?password=s3a&&cret",
        "postgresql://host/db?novalue&password=s3cret",
        "postgresql://host/db?password=s3cret&=v",
        "postgresql://host/db?password=%s3cret",
        "postgresql://host/db?password=s3cret%4",
        "postgresql://host/db?password=s3cret%00",
        "postgresql://host/db?sslpassword=%s3cret",
        "postgresql://host/db?Password=s3cret&novalue",
        "postgresql://host/db?pass%77ord=s3cret&novalue",
        "postgresql://host/db?password=s3:cret@x&a=1",
        "postgresql://user:pw@host/db?password=s3cret&a",
        "postgresql:/host/db?password=s3cret&next=http://x",
        "post-gres://host/db?password=s3cret",
        "sqlite://host/db?password=s3cret",
    };
    for (const auto text : cases) {
        INFO(text);
        CHECK_THROWS_WITH(make_url(text), !Catch::Contains("s3") && !Catch::Contains("cret"));
    }
    CHECK_THROWS_WITH(make_url("postgresql://u@h:bad/db?password=s3cret&sslmode=require"),
                      "alchemy: invalid database URL 'postgresql://u@h:bad/db?password=***&sslmode=require': "
                      "the port 'bad' is not a number; expected 1 to 65535");
    CHECK_THROWS_WITH(make_url("postgresql://h/db?password=%zz"),
                      Catch::Contains("the query value contains a bad percent escape; '%' must "
                                      "be followed by two hex digits"));
}

TEST_CASE("a password given in the query prints masked", "[url]") {
    const RenderCase cases[] = {
        {"postgresql://h/db?password=s3cret&sslmode=require",
         "postgresql://h/db?password=***&sslmode=require",
         "postgresql://h/db?password=s3cret&sslmode=require"},
        {"postgresql://u:tiger@h/db?sslpassword=s3cret", "postgresql://u:***@h/db?sslpassword=***",
         "postgresql://u:tiger@h/db?sslpassword=s3cret"},
        {"postgresql://h/db?password=", "postgresql://h/db?password=***", "postgresql://h/db?password="},
        {"postgresql://h/db?PASSWORD=s3cret", "postgresql://h/db?PASSWORD=***",
         "postgresql://h/db?PASSWORD=s3cret"},
        {"postgresql://h/db?pass%77ord=s3cret", "postgresql://h/db?password=***",
         "postgresql://h/db?password=s3cret"},
    };
    for (const auto& row : cases) {
        INFO(row.text);
        const auto url = make_url(row.text);
        CHECK(url.to_string() == row.masked);
        CHECK(fmt::format("{}", url) == row.masked);
        CHECK(url.render_with_password() == row.with_password);
    }
}

TEST_CASE("to_string masks the password and render_with_password keeps it", "[url]") {
    const RenderCase cases[] = {
        {"postgresql://scott:tiger@localhost:5432/mydb?sslmode=require",
         "postgresql://scott:***@localhost:5432/mydb?sslmode=require",
         "postgresql://scott:tiger@localhost:5432/mydb?sslmode=require"},
        {"postgresql+psycopg2://user:p%40ss@host/db", "postgresql+psycopg2://user:***@host/db",
         "postgresql+psycopg2://user:p%40ss@host/db"},
        {"postgresql://u:@h/db", "postgresql://u:***@h/db", "postgresql://u:@h/db"},
        {"postgresql://u@h/db", "postgresql://u@h/db", "postgresql://u@h/db"},
        {"postgresql://user@[::1]:5433/db", "postgresql://user@[::1]:5433/db",
         "postgresql://user@[::1]:5433/db"},
        {"postgresql:///db", "postgresql:///db", "postgresql:///db"},
        // Query keys print sorted; a '+' read as a space prints as %20.
        {"postgresql://h/db?b=2&a=x+y", "postgresql://h/db?a=x%20y&b=2", "postgresql://h/db?a=x%20y&b=2"},
        {"postgresql://host/db?opt=a@b", "postgresql://host/db?opt=a%40b", "postgresql://host/db?opt=a%40b"},
        {"sqlite://", "sqlite://", "sqlite://"},
        {"sqlite:///:memory:", "sqlite:///:memory:", "sqlite:///:memory:"},
        {"sqlite:////abs/path.db", "sqlite:////abs/path.db", "sqlite:////abs/path.db"},
        {"sqlite:///my%20file.db?mode=ro", "sqlite:///my%20file.db?mode=ro",
         "sqlite:///my%20file.db?mode=ro"},
    };
    for (const auto& row : cases) {
        INFO(row.text);
        const auto url = make_url(row.text);
        CHECK(url.to_string() == row.masked);
        CHECK(url.render_with_password() == row.with_password);
    }
}

TEST_CASE("a URL rendered with its password parses back to the same URL", "[url]") {
    const std::string_view texts[] = {
        "postgresql://scott:tiger@localhost:5432/mydb?sslmode=require&application_name=x",
        "postgresql+psycopg2://user:p%40ss@host/db",
        "postgresql://u:p@ss:w%2Frd%3F@h/db",
        "postgresql://user@[::1]:5433/db",
        "postgresql://[fe80::1%25eth0]:5432/db",
        "postgresql://%2Fvar%2Frun%2Fpostgresql/db",
        "postgresql:///db",
        "postgresql://h?connect_timeout=10",
        "postgresql://h/db?k=a+b&p=%2B&e=",
        "postgresql://u:@h/db",
        "sqlite:///relative.db",
        "sqlite:////abs/path.db",
        "sqlite://",
        "sqlite:///:memory:",
        "sqlite:///file.db?mode=ro",
        "sqlite:///100%25%20sure.db",
    };
    for (const auto text : texts) {
        INFO(text);
        const auto url = make_url(text);
        CHECK(make_url(url.render_with_password()) == url);
    }
}

TEST_CASE("every character survives a round trip through render_with_password", "[url]") {
    const URL url = Fields{.drivername = "postgresql+psycopg2",
                           .username = "a:b@c/d e",
                           .password = "p@ss:w/rd?#%+ &=[]",
                           .host = "db.example.com",
                           .port = 5432,
                           .database = "my db/x?y@z:%",
                           .query = {{"k y", "v&=+% @#"}, {"plain", "1"}}}
                        .url();
    CHECK(make_url(url.render_with_password()) == url);
    const URL ipv6 = Fields{.drivername = "postgresql", .host = "fe80::1%eth0", .database = "db"}.url();
    CHECK(make_url(ipv6.render_with_password()) == ipv6);
}

TEST_CASE("fmt prints a URL with the password masked", "[url]") {
    const auto url = make_url("postgresql://scott:tiger@localhost/mydb");
    CHECK(fmt::format("{}", url) == "postgresql://scott:***@localhost/mydb");
    CHECK(fmt::format("[{:>40}]", url) == "[   postgresql://scott:***@localhost/mydb]");
}

TEST_CASE("control characters decoded from a URL never reach a message raw", "[url]") {
    // Each URL decodes %0A, %1B or %7F somewhere and fails a different check.
    const std::string_view cases[] = {
        "sqlite://a%0Ab%1B%5B31m/db",
        "sqlite://h%7F/db",
        "sqlite://u%0A@/db",
        "postgresql://u%0A:p%1B@h:bad/db",
        "postgresql://h%0A/d%1Bb?k%0A=v%1B&novalue",
        "postgresql://h%0A/db?k=%ZZ",
        "postgresql://[%0A]x/db",
    };
    for (const auto text : cases) {
        INFO(text);
        CHECK_THROWS_AS(make_url(text), ArgumentError);
        try {
            make_url(text);
        } catch (const ArgumentError& e) {
            CHECK_FALSE(has_control_character(e.what()));
        }
    }
    CHECK_THROWS_WITH(make_url("sqlite://a%0Ab%1B%5B31m/db"),
                      Catch::Contains("SQLite URLs take no host, got 'a\\x0Ab\\x1B[31m'"));
}

TEST_CASE("a URL holding control characters prints them percent-encoded", "[url]") {
    const auto url = make_url("postgresql://u%0A:p%1B@h%0Ax/d%1Bb?k%0A=v%7F&password=%0A");
    CHECK(url.to_string() == "postgresql://u%0A:***@h%0Ax/d%1Bb?k%0A=v%7F&password=***");
    CHECK(fmt::format("{}", url) == url.to_string());
}
