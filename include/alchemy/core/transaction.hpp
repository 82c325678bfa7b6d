// Transaction: RAII guard for BEGIN ... COMMIT or a SAVEPOINT.
//
// The destructor rolls back whatever was not committed, so an exception leaves the
// database as it was. A Transaction refers to its Connection, which must outlive it.
#pragma once

#include <cstddef>
#include <cstdint>

namespace alchemy {

class Connection;

class Transaction {
public:
    Transaction(Transaction&& other) noexcept;
    Transaction& operator=(Transaction&&) = delete;
    Transaction(const Transaction&) = delete;
    /// Rolls back if still active; never throws.
    ~Transaction();

    /// COMMIT (or RELEASE SAVEPOINT). Throws InvalidRequestError if no longer active, and
    /// PendingRollbackError if the database ended the transaction (its connection was lost,
    /// or a failed statement rolled it back).
    void commit();
    /// ROLLBACK (or ROLLBACK TO SAVEPOINT), as Connection::rollback() does, closing the
    /// streamed Results still open. A no-op if no longer active. After the
    /// database ended the transaction, the outermost transaction's rollback() acknowledges
    /// that, while a SAVEPOINT's throws PendingRollbackError (there is nothing to roll back to).
    void rollback();
    /// False once committed or rolled back, directly or through an enclosing transaction.
    bool is_active() const noexcept;
    bool is_nested() const noexcept { return nested_; }

private:
    friend class Connection;
    Transaction(Connection& conn, bool nested, std::size_t depth, std::uint64_t id) noexcept
        : conn_(&conn), nested_(nested), depth_(depth), id_(id) {}

    Connection* conn_;
    bool nested_;
    std::size_t depth_;  ///< savepoint index (nested only)
    std::uint64_t id_;   ///< the root transaction's serial, or the savepoint's id
};

}  // namespace alchemy
