// Dialect: how one backend spells SQL. Core needs placeholders, quoting and
// isolation levels; the schema and sql layers ask it for more (types, DDL, upsert).
#pragma once

#include <string>
#include <string_view>

namespace alchemy {

/// Transaction isolation, as SQLAlchemy's isolation_level names it.
enum class IsolationLevel {
    read_uncommitted,
    read_committed,
    repeatable_read,
    serializable,
    autocommit,  ///< no BEGIN is emitted; every statement commits on its own
};

/// Parses "READ COMMITTED", "read_committed", "AUTOCOMMIT", ... (case-insensitive);
/// throws ArgumentError listing the accepted names.
IsolationLevel parse_isolation_level(std::string_view name);
std::string_view to_string(IsolationLevel level) noexcept;

class Dialect {
public:
    virtual ~Dialect() = default;

    /// "sqlite" or "postgresql".
    virtual std::string_view name() const noexcept = 0;

    /// Appends the placeholder for the 1-based parameter `index` ("?" or "$3").
    virtual void append_placeholder(std::string& out, int index) const = 0;

    /// Appends `identifier` double-quoted, with embedded quotes doubled. Identifiers are
    /// always quoted, so reserved words and mixed case are safe.
    void append_identifier(std::string& out, std::string_view identifier) const;
    std::string quote_identifier(std::string_view identifier) const;

    /// The statement that makes the following transactions of a connection use `level`
    /// (never called for autocommit). Throws ArgumentError if the backend lacks it.
    virtual std::string isolation_level_sql(IsolationLevel level) const = 0;

    /// True when INSERT/UPDATE/DELETE ... RETURNING is available.
    virtual bool supports_returning() const noexcept { return true; }
};

}  // namespace alchemy
