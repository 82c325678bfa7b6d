// The exception tree of alchemy.
//
// Why this shape: callers catch by meaning, not by backend. A duplicate key is a
// UniqueViolation whether PostgreSQL (SQLSTATE 23505) or SQLite
// (SQLITE_CONSTRAINT_UNIQUE) reported it, so each driver maps its native code to a
// SQLSTATE in exactly one file, and make_database_error() picks the class from the
// SQLSTATE. Every database error keeps the SQLSTATE, the server's own message and the
// SQL text, so a log line is enough to find the failing statement.
#pragma once

#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace alchemy {

/// Root of every exception alchemy throws.
class Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// A bad argument from the caller: a malformed URL, an unknown option, a wrong value.
class ArgumentError : public Error {
public:
    using Error::Error;
};

/// A statement the dialect cannot express: RETURNING, an upsert or a DDL feature its
/// backend lacks (SQLAlchemy's CompileError). The message names the dialect.
class CompileError : public Error {
public:
    using Error::Error;
};

/// An operation that is not valid in the object's current state
/// (e.g. begin() while a transaction is already open).
class InvalidRequestError : public Error {
public:
    using Error::Error;
};

/// The transaction this work belonged to is gone: the connection was lost inside it, a
/// failed statement made the database roll it back (SQLite), or a flush failed.
/// Everything but rollback() raises this until rollback() acknowledges the loss
/// (SQLAlchemy's PendingRollbackError), so lost work is never taken for saved.
class PendingRollbackError : public InvalidRequestError {
public:
    using InvalidRequestError::InvalidRequestError;
};

/// No connection could be checked out of the pool within pool_timeout.
class PoolTimeoutError : public Error {
public:
    using Error::Error;
};

/// What a failed execute_batch() or copy_rows() under AUTOCOMMIT had already committed:
/// those rows stay, as no transaction holds them.
struct BatchProgress {
    std::size_t rows = 0;       ///< rows in the batch
    std::size_t committed = 0;  ///< rows committed before the failure
    std::size_t in_doubt = 0;   ///< rows after those that may or may not have been committed
                                ///< (the connection was lost before their outcome arrived)
};

/// An error reported by the database or its driver.
class DatabaseError : public Error {
public:
    DatabaseError(std::string sqlstate, std::string message, std::string sql,
                  bool connection_invalidated = false,
                  std::optional<BatchProgress> batch_progress = std::nullopt);

    /// Five-character SQLSTATE ("23505"); SQLite codes are mapped to the same values.
    const std::string& sqlstate() const noexcept { return sqlstate_; }
    /// The server's (or driver's) message, without alchemy's decoration.
    const std::string& message() const noexcept { return message_; }
    /// The SQL text that failed (empty when the failure was not tied to a statement).
    const std::string& sql() const noexcept { return sql_; }
    /// True when the connection was lost; the pool discards such a connection.
    bool connection_invalidated() const noexcept { return connection_invalidated_; }
    /// Set when a batch failed under AUTOCOMMIT: how many of its rows stay committed.
    const std::optional<BatchProgress>& batch_progress() const noexcept { return batch_progress_; }

private:
    std::string sqlstate_;
    std::string message_;
    std::string sql_;
    bool connection_invalidated_;
    std::optional<BatchProgress> batch_progress_;
};

class IntegrityError : public DatabaseError {
public:
    using DatabaseError::DatabaseError;
};
class UniqueViolation : public IntegrityError {
public:
    using IntegrityError::IntegrityError;
};
class ForeignKeyViolation : public IntegrityError {
public:
    using IntegrityError::IntegrityError;
};
class NotNullViolation : public IntegrityError {
public:
    using IntegrityError::IntegrityError;
};
class CheckViolation : public IntegrityError {
public:
    using IntegrityError::IntegrityError;
};
/// Connection failures, lost connections, locks, timeouts, serialization failures.
class OperationalError : public DatabaseError {
public:
    using DatabaseError::DatabaseError;
};
/// A limit of the database was exceeded (SQLSTATE class 54, as psycopg's
/// ProgramLimitExceeded): a value too large for a btree index row, a LIKE pattern longer
/// than SQLite's, too many parameters. The message names the limit; the same statement
/// with the same values fails again.
class ProgramLimitExceeded : public OperationalError {
public:
    using OperationalError::OperationalError;
};
/// The transaction's state refuses the statement (SQLSTATE class 25, as psycopg2 and
/// SQLAlchemy class it): not a lost connection, so retrying the same work does not help.
class InternalError : public DatabaseError {
public:
    using DatabaseError::DatabaseError;
};
/// A write sent to a read-only transaction (25006): on PostgreSQL a hot-standby replica or
/// `default_transaction_read_only`, on SQLite a database opened with `mode=ro`.
class ReadOnlySqlTransaction : public InternalError {
public:
    using InternalError::InternalError;
};
/// Bad SQL: syntax errors, unknown tables or columns, wrong parameter counts.
class ProgrammingError : public DatabaseError {
public:
    using DatabaseError::DatabaseError;
};
/// Bad data: a value out of range, a NULL read into a non-optional field, bad encoding.
class DataError : public DatabaseError {
public:
    using DatabaseError::DatabaseError;
};

// ORM errors (thrown by the Session layer).
class NoResultFound : public InvalidRequestError {
public:
    using InvalidRequestError::InvalidRequestError;
};
class MultipleResultsFound : public InvalidRequestError {
public:
    using InvalidRequestError::InvalidRequestError;
};
class DetachedInstanceError : public InvalidRequestError {
public:
    using InvalidRequestError::InvalidRequestError;
};
class StaleDataError : public Error {
public:
    using Error::Error;
};
class FlushError : public Error {
public:
    using Error::Error;
};
/// A problem with migration files or the version table.
class MigrationError : public Error {
public:
    using Error::Error;
};

/// Throws the DatabaseError subclass that matches `sqlstate`. Drivers call this after
/// mapping their native code, so the SQLSTATE→class table exists once.
[[noreturn]] void throw_database_error(std::string sqlstate, std::string message, std::string sql,
                                       bool connection_invalidated = false);
/// Throws `error` again, of the same class, with `progress` attached and stated in what().
[[noreturn]] void rethrow_with_batch_progress(const DatabaseError& error, BatchProgress progress);

}  // namespace alchemy
