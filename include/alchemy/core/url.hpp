// Database URLs as SQLAlchemy writes them:
//   dialect[+driver]://[user[:password]@][host][:port][/database][?key=value&...]
// plus the SQLite file forms (sqlite:///relative.db, sqlite:////abs/path.db,
// sqlite://, sqlite:///:memory:).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace alchemy {

/// A parsed database URL. Components are percent-decoded.
/// Printing (to_string, and fmt through alchemy/format.hpp) always masks the password as "***", and the
/// values of the query keys password and sslpassword (libpq secrets).
struct URL {
    std::string drivername;  ///< as written: "postgresql+psycopg2", "sqlite"
    std::string username;
    std::optional<std::string> password;
    std::string host;
    std::optional<std::uint16_t> port;
    std::string database;  ///< SQLite: file path, "" or ":memory:" for in-memory
    /// A repeated key's values are joined by ',': "?host=a:5432&host=b:5432" gives
    /// host = "a:5432,b:5432" (libpq's multi-host list; the PostgreSQL driver splits the
    /// ports off).
    std::map<std::string, std::string> query;

    /// "postgresql" for "postgresql+psycopg2".
    std::string_view backend() const noexcept;
    /// "psycopg2" for "postgresql+psycopg2", "" when no driver is named.
    std::string_view driver() const noexcept;

    /// The URL with the passwords replaced by "***" (safe to log).
    std::string to_string() const;
    /// The URL with the passwords in clear: only for handing to a driver.
    std::string render_with_password() const;

    friend bool operator==(const URL&, const URL&) = default;
};

/// Parses `text`; throws ArgumentError naming the malformed part.
URL make_url(std::string_view text);

}  // namespace alchemy
