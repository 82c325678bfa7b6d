// libpq failures and refused values → SQLSTATE → alchemy exceptions (through
// throw_database_error, which owns the SQLSTATE → class table).
#include "drivers/postgresql/pg_errors.hpp"

#include "alchemy/core/error.hpp"
#include "core/ascii.hpp"
#include "core/printable.hpp"
#include "core/sql_lexer.hpp"
#include "drivers/postgresql/pg_types.hpp"

#include <fmt/format.h>

namespace alchemy::detail::pg {
namespace {

std::string_view field(const PGresult* result, int code) noexcept {
    const char* value = result ? PQresultErrorField(result, code) : nullptr;
    return value ? value : "";
}

bool invalidates_connection(std::string_view sqlstate) {
    // Class 08 is connection_exception; 57P01-57P03 mean the server is shutting down or
    // not accepting connections, and 25P03 that idle_in_transaction_session_timeout ran
    // out: the server closes the session after sending them.
    return sqlstate.starts_with("08") || sqlstate == "57P01" || sqlstate == "57P02" || sqlstate == "57P03" ||
           sqlstate == "25P03";
}

// libpq's own messages end in a line break and continue on indented lines ("...failed:
// Connection refused\n\tIs the server running..."): those become one line, and any other
// control character, a line break in a value they quote included, is escaped.
std::string libpq_message(std::string_view text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
    std::string joined;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\n' && i + 1 < text.size() && text[i + 1] == '\t') {
            joined += ' ';
            ++i;
        } else {
            joined += text[i];
        }
    }
    return printable(joined);
}

}  // namespace

Failure describe_failure(const PGconn* connection, const PGresult* result) {
    Failure failure;
    failure.sqlstate = field(result, PG_DIAG_SQLSTATE);
    if (const auto primary = field(result, PG_DIAG_MESSAGE_PRIMARY); !primary.empty()) {
        // The fields may quote values ("Key (name)=(...) already exists."), so each is
        // escaped and only the line breaks between them stay.
        failure.message = printable(primary);
        if (const auto detail = field(result, PG_DIAG_MESSAGE_DETAIL); !detail.empty())
            failure.message += fmt::format("\nDETAIL: {}", printable(detail));
        if (const auto hint = field(result, PG_DIAG_MESSAGE_HINT); !hint.empty())
            failure.message += fmt::format("\nHINT: {}", printable(hint));
    } else {
        // Errors libpq raises itself (lost connection, bad arguments) have no fields.
        if (result) failure.message = libpq_message(PQresultErrorMessage(result));
        if (failure.message.empty()) failure.message = libpq_message(PQerrorMessage(connection));
    }
    // A FATAL error ends the server session. When it arrives while libpq awaits no result
    // (the server shutting down between two statements), libpq reports it without its
    // fields, and the connection's status may not say BAD yet.
    const bool fatal_without_fields = failure.sqlstate.empty() && failure.message.starts_with("FATAL:");
    const bool connection_lost = PQstatus(connection) == CONNECTION_BAD || fatal_without_fields;
    if (failure.sqlstate.empty())
        // HY000 is the generic client-side error: libpq refused the call itself.
        failure.sqlstate = connection_lost ? "08006" : "HY000";
    failure.connection_invalidated = connection_lost || invalidates_connection(failure.sqlstate);
    return failure;
}

bool is_stale_cached_plan(const PGresult* result) noexcept {
    return field(result, PG_DIAG_SQLSTATE) == "0A000" &&
           field(result, PG_DIAG_MESSAGE_PRIMARY).starts_with("cached plan must not change result type");
}

bool is_statement_name_clash(const PGresult* result) noexcept {
    // 26000 invalid_sql_statement_name, 42P05 duplicate_prepared_statement.
    const auto sqlstate = field(result, PG_DIAG_SQLSTATE);
    return sqlstate == "26000" || sqlstate == "42P05";
}

void raise(Failure failure, std::string_view sql) {
    throw_database_error(std::move(failure.sqlstate), std::move(failure.message), std::string(sql),
                         failure.connection_invalidated);
}

void raise_connect_failure(const PGconn* connection, std::string_view password) {
    std::string message = connection ? std::string(PQerrorMessage(connection))
                                     : std::string("out of memory allocating the connection");
    if (!password.empty())
        for (auto at = message.find(password); at != std::string::npos; at = message.find(password, at + 3))
            message.replace(at, password.size(), "***");
    // libpq quotes the URL's host and user name. Escaping comes after masking, which looks
    // for the password as libpq wrote it.
    throw_database_error("08001", libpq_message(message), "", true);
}

void raise_type_mismatch(std::string_view column, Oid type, std::string_view wanted, std::string_view sql) {
    throw_database_error(
        "22000",
        fmt::format("column \"{}\" has type {}, which cannot be read as {}", column, type_name(type), wanted),
        std::string(sql));
}

void raise_unconvertible_value(std::string_view column, Oid type, std::string_view value,
                               std::string_view wanted, std::string_view sql) {
    throw_database_error("22000",
                         fmt::format("column \"{}\" ({}) holds {}, which cannot be read as {}", column,
                                     type_name(type), printable(value), wanted),
                         std::string(sql));
}

void raise_invalid_binary_value(std::string_view column, Oid type, std::string_view sql) {
    // 22P03: invalid_binary_representation.
    throw_database_error("22P03",
                         fmt::format("column \"{}\" ({}) holds a value that is not in the binary "
                                     "format of its type",
                                     column, type_name(type)),
                         std::string(sql));
}

void raise_null_read(std::string_view column, std::string_view wanted, std::string_view sql) {
    // 22004: null_value_not_allowed.
    throw_database_error("22004",
                         fmt::format("column \"{}\" is NULL, which cannot be read as {}", column, wanted),
                         std::string(sql));
}

void raise_text_parameter_with_nul(int index, std::string_view sql) {
    // 22021: character_not_in_repertoire, what the server says about NUL in text.
    throw_database_error(
        "22021",
        fmt::format("text parameter ${} contains a NUL byte, which PostgreSQL text cannot store; "
                    "bind it as a blob (bytea) instead",
                    index),
        std::string(sql));
}

void raise_text_parameter_not_utf8(int index, std::size_t offset, std::string_view sql) {
    // 22021: character_not_in_repertoire, what the server says of a bad byte sequence.
    throw_database_error(
        "22021",
        fmt::format("text parameter ${} is not valid UTF-8 (from byte {}), which PostgreSQL refuses in "
                    "text; bind it as a blob (bytea) instead, or fix its encoding",
                    index, offset),
        std::string(sql));
}

void raise_parameter_out_of_range(int index, std::string_view what, std::string_view sql) {
    // 22008: datetime_field_overflow.
    throw_database_error("22008", fmt::format("{} parameter ${} is outside PostgreSQL's range", what, index),
                         std::string(sql));
}

bool is_copy(ExecStatusType status) noexcept {
    return status == PGRES_COPY_IN || status == PGRES_COPY_OUT || status == PGRES_COPY_BOTH;
}

Failure copy_unsupported() {
    // 0A000: feature_not_supported.
    return {.sqlstate = "0A000",
            .message =
                "COPY to or from the client is not supported; use INSERT, or COPY with a "
                "server-side file"};
}

void raise_parameter_too_large(int index, std::string_view sql) {
    // 54000: program_limit_exceeded.
    throw_database_error("54000",
                         fmt::format("parameter ${} is larger than PostgreSQL's 1 GB field limit", index),
                         std::string(sql));
}

void raise_too_many_parameters(std::size_t count, std::string_view sql) {
    // 54023: too_many_arguments.
    throw_database_error(
        "54023", fmt::format("{} parameters given; a PostgreSQL statement takes at most 65535", count),
        std::string(sql));
}

void raise_parameter_count_mismatch(int expected, std::size_t given, std::string_view sql) {
    // 42P02: undefined_parameter, as the SQLite driver reports it.
    throw_database_error("42P02",
                         fmt::format("the statement expects {} parameters but was given {}", expected, given),
                         std::string(sql));
}

namespace {

/// The first word of the last statement of `sql`, in code (src/core/sql_lexer.hpp):
/// "commit" in "/* done */ commit;".
std::string_view last_statement_verb(std::string_view sql) {
    const auto statements = statement_leading_words(sql, 1);
    return statements.empty() || statements.back().empty() ? std::string_view() : statements.back().front();
}

}  // namespace

void refuse_commit_rolled_back(const PGresult* result, std::string_view sql) {
    if (std::string_view(PQcmdStatus(const_cast<PGresult*>(result))) != "ROLLBACK") return;
    const auto verb = last_statement_verb(sql);
    const bool prepare = equals_ignoring_ascii_case(verb, "PREPARE");
    if (!prepare && !equals_ignoring_ascii_case(verb, "COMMIT") && !equals_ignoring_ascii_case(verb, "END"))
        return;
    // 25P02: in_failed_sql_transaction.
    throw_database_error("25P02",
                         fmt::format("{} rolled the transaction back instead: a statement in it failed "
                                     "earlier, which aborts a PostgreSQL transaction, so none of its work "
                                     "was saved; redo the transaction",
                                     prepare ? "PREPARE TRANSACTION" : "COMMIT"),
                         std::string(sql));
}

}  // namespace alchemy::detail::pg
