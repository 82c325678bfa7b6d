// Dialect: how one backend spells SQL. Core needs placeholders, quoting and how a
// transaction begins at an isolation level; the schema and sql layers ask it for more
// (types, DDL, upsert).
#pragma once

#include <optional>
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

/// Options of one transaction, for Connection::begin() (SQLAlchemy's
/// `conn.execution_options(isolation_level=..., postgresql_readonly=True)` before
/// `conn.begin()`). They end with the transaction.
struct TransactionOptions {
    /// This transaction's level; unset: the connection's. AUTOCOMMIT is not one.
    std::optional<IsolationLevel> isolation_level{};
    /// Writes inside the transaction fail with ReadOnlySqlTransaction.
    bool read_only = false;
};

/// The statements behind one transaction begun with TransactionOptions.
struct TransactionSql {
    std::string begin;    ///< opens the transaction
    std::string setup;    ///< runs right after `begin`, inside it; may be empty
    std::string restore;  ///< runs once the transaction ended, undoing `setup`; may be empty
};

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

    /// The statement that begins a transaction at `level` (nullopt: the database's
    /// default). Never called for AUTOCOMMIT. Throws ArgumentError naming the levels the
    /// backend has when it lacks `level`.
    virtual std::string begin_sql(std::optional<IsolationLevel> level) const = 0;
    /// What a connection must run once so that its transactions get `level`, for a
    /// backend where the level is connection state rather than part of BEGIN; empty when
    /// begin_sql() carries it. Never called for AUTOCOMMIT.
    virtual std::string connection_isolation_sql(IsolationLevel level) const = 0;
    /// How a transaction with `options` begins on a connection whose own level is
    /// `connection_level` (unset: the default; never AUTOCOMMIT). Throws ArgumentError for
    /// options the backend cannot honour exactly.
    virtual TransactionSql transaction_sql(const TransactionOptions& options,
                                           std::optional<IsolationLevel> connection_level) const = 0;

    /// True when INSERT/UPDATE/DELETE ... RETURNING is available.
    virtual bool supports_returning() const noexcept { return true; }
    /// True when a transaction can be prepared for two-phase commit (PREPARE TRANSACTION).
    virtual bool supports_two_phase_commit() const noexcept { return false; }
};

}  // namespace alchemy
