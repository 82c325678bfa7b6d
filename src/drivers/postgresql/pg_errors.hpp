// The one place that decides which SQLSTATE (and so which alchemy exception) a libpq
// failure or a refused value becomes.
#pragma once

#include <libpq-fe.h>

#include <cstddef>
#include <string>
#include <string_view>

namespace alchemy::detail::pg {

/// A failed libpq call, described in alchemy's terms.
struct Failure {
    std::string sqlstate;
    std::string message;  ///< the server's primary message, with DETAIL and HINT lines
    bool connection_invalidated = false;
};

/// Describes the failure behind `result` (null when libpq returned no result at all),
/// consulting the connection's state for errors that carry no SQLSTATE.
Failure describe_failure(const PGconn* connection, const PGresult* result);

/// True when executing a prepared statement failed because its result columns changed
/// under it (a table was altered); preparing it again fixes it.
bool is_stale_cached_plan(const PGresult* result) noexcept;
/// True when a named statement was missing on the server, or its name already taken
/// there: a pooler moved the session to another server connection, or DEALLOCATE ALL or
/// DISCARD ALL ran.
bool is_statement_name_clash(const PGresult* result) noexcept;

[[noreturn]] void raise(Failure failure, std::string_view sql);

/// PostgreSQL answers a COMMIT (END, PREPARE TRANSACTION) in a transaction that an error
/// aborted with ROLLBACK, and no error: reporting that as a commit would call lost work
/// saved. Throws where `result`, the reply to `sql`, is such an answer.
void refuse_commit_rolled_back(const PGresult* result, std::string_view sql);

/// OperationalError for a connection that could not be opened. Every occurrence of
/// `password` in libpq's message is masked.
[[noreturn]] void raise_connect_failure(const PGconn* connection, std::string_view password);

/// DataError: the column's type has no reading as `wanted` ("an integer", "a timestamp").
[[noreturn]] void raise_type_mismatch(std::string_view column, Oid type, std::string_view wanted,
                                      std::string_view sql);
/// DataError: this value of the column cannot be read as `wanted` (2.5 as an integer,
/// 'infinity' as a timestamp, "abc" as a number).
[[noreturn]] void raise_unconvertible_value(std::string_view column, Oid type, std::string_view value,
                                            std::string_view wanted, std::string_view sql);
/// DataError 22P03: a value that is not in its type's binary format (the server never sends
/// one; found by tests/fuzz/pg_decode_fuzz.cpp).
[[noreturn]] void raise_invalid_binary_value(std::string_view column, Oid type, std::string_view sql);
/// DataError: a typed read of a NULL.
[[noreturn]] void raise_null_read(std::string_view column, std::string_view wanted, std::string_view sql);

/// DataError: text parameter `index` (1-based) holds a NUL byte, which PostgreSQL text
/// cannot store (libpq would silently cut the value there).
[[noreturn]] void raise_text_parameter_with_nul(int index, std::string_view sql);
/// DataError: text parameter `index` (1-based) is not valid UTF-8 from byte `offset` on.
[[noreturn]] void raise_text_parameter_not_utf8(int index, std::size_t offset, std::string_view sql);
/// DataError: date or timestamp parameter `index` (1-based) is outside PostgreSQL's range.
[[noreturn]] void raise_parameter_out_of_range(int index, std::string_view what, std::string_view sql);

/// True for a result that started a COPY with the client (FROM STDIN, TO STDOUT).
bool is_copy(ExecStatusType status) noexcept;
/// ProgrammingError 0A000 for such a COPY, which needs a data stream that no call of the
/// driver's but copy_rows() provides.
Failure copy_unsupported();
/// ProgramLimitExceeded: a text or blob parameter beyond the server's 1 GB field limit.
[[noreturn]] void raise_parameter_too_large(int index, std::string_view sql);
/// ProgramLimitExceeded: more parameters than the protocol's limit of 65535.
[[noreturn]] void raise_too_many_parameters(std::size_t count, std::string_view sql);
/// `sql` numbers `expected` placeholders but `given` values came: PostgreSQL would take
/// extra values silently, as parameters the text never reads.
[[noreturn]] void raise_parameter_count_mismatch(int expected, std::size_t given, std::string_view sql);

}  // namespace alchemy::detail::pg
