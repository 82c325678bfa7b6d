// libpq failures and refused values → SQLSTATE → alchemy exceptions (through
// throw_database_error, which owns the SQLSTATE → class table).
#include "drivers/postgresql/pg_errors.hpp"

#include "alchemy/core/error.hpp"
#include "drivers/postgresql/pg_types.hpp"

#include <fmt/format.h>

namespace alchemy::detail::pg {
namespace {

std::string_view trimmed(const char* text) {
    std::string_view view = text ? text : "";
    while (!view.empty() && (view.back() == '\n' || view.back() == ' ')) view.remove_suffix(1);
    return view;
}

std::string_view field(const PGresult* result, int code) noexcept {
    const char* value = result ? PQresultErrorField(result, code) : nullptr;
    return value ? value : "";
}

bool invalidates_connection(std::string_view sqlstate) {
    // Class 08 is connection_exception; 57P01-57P03 mean the server is shutting down or
    // not accepting connections, and it closes the session after sending them.
    return sqlstate.starts_with("08") || sqlstate == "57P01" || sqlstate == "57P02" ||
           sqlstate == "57P03";
}

}  // namespace

Failure describe_failure(const PGconn* connection, const PGresult* result) {
    Failure failure;
    failure.sqlstate = field(result, PG_DIAG_SQLSTATE);
    if (const auto primary = field(result, PG_DIAG_MESSAGE_PRIMARY); !primary.empty()) {
        failure.message = primary;
        if (const auto detail = field(result, PG_DIAG_MESSAGE_DETAIL); !detail.empty())
            failure.message += fmt::format("\nDETAIL: {}", detail);
        if (const auto hint = field(result, PG_DIAG_MESSAGE_HINT); !hint.empty())
            failure.message += fmt::format("\nHINT: {}", hint);
    } else {
        // Errors libpq raises itself (lost connection, bad arguments) have no fields.
        failure.message = trimmed(result ? PQresultErrorMessage(result) : nullptr);
        if (failure.message.empty()) failure.message = trimmed(PQerrorMessage(connection));
    }
    const bool connection_lost = PQstatus(connection) == CONNECTION_BAD;
    if (failure.sqlstate.empty())
        // HY000 is the generic client-side error: libpq refused the call itself.
        failure.sqlstate = connection_lost ? "08006" : "HY000";
    failure.connection_invalidated = connection_lost || invalidates_connection(failure.sqlstate);
    return failure;
}

bool is_stale_cached_plan(const PGresult* result) noexcept {
    return field(result, PG_DIAG_SQLSTATE) == "0A000" &&
           field(result, PG_DIAG_MESSAGE_PRIMARY)
               .starts_with("cached plan must not change result type");
}

bool is_unknown_statement(const PGresult* result) noexcept {
    return field(result, PG_DIAG_SQLSTATE) == "26000";  // invalid_sql_statement_name
}

void raise(Failure failure, std::string_view sql) {
    throw_database_error(std::move(failure.sqlstate), std::move(failure.message),
                         std::string(sql), failure.connection_invalidated);
}

void raise_connect_failure(const PGconn* connection, std::string_view password) {
    std::string message = connection ? std::string(trimmed(PQerrorMessage(connection)))
                                     : std::string("out of memory allocating the connection");
    if (!password.empty())
        for (auto at = message.find(password); at != std::string::npos;
             at = message.find(password, at + 3))
            message.replace(at, password.size(), "***");
    throw_database_error("08001", std::move(message), "", true);
}

void raise_type_mismatch(std::string_view column, Oid type, std::string_view wanted,
                         std::string_view sql) {
    throw_database_error("22000",
                         fmt::format("column \"{}\" has type {}, which cannot be read as {}",
                                     column, type_name(type), wanted),
                         std::string(sql));
}

void raise_unconvertible_value(std::string_view column, Oid type, std::string_view value,
                               std::string_view wanted, std::string_view sql) {
    throw_database_error("22000",
                         fmt::format("column \"{}\" ({}) holds {}, which cannot be read as {}",
                                     column, type_name(type), value, wanted),
                         std::string(sql));
}

void raise_null_read(std::string_view column, std::string_view wanted, std::string_view sql) {
    // 22004: null_value_not_allowed.
    throw_database_error(
        "22004", fmt::format("column \"{}\" is NULL, which cannot be read as {}", column, wanted),
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

void raise_parameter_out_of_range(int index, std::string_view what, std::string_view sql) {
    // 22008: datetime_field_overflow.
    throw_database_error(
        "22008", fmt::format("{} parameter ${} is outside PostgreSQL's range", what, index),
        std::string(sql));
}

void raise_copy_unsupported(std::string_view sql) {
    // 0A000: feature_not_supported.
    throw_database_error("0A000",
                         "COPY to or from the client is not supported; use INSERT, or COPY "
                         "with a server-side file",
                         std::string(sql));
}

void raise_parameter_too_large(int index, std::string_view sql) {
    // 54000: program_limit_exceeded.
    throw_database_error(
        "54000", fmt::format("parameter ${} is larger than PostgreSQL's 1 GB field limit", index),
        std::string(sql));
}

void raise_too_many_parameters(std::size_t count, std::string_view sql) {
    // 54023: too_many_arguments.
    throw_database_error(
        "54023",
        fmt::format("{} parameters given; a PostgreSQL statement takes at most 65535", count),
        std::string(sql));
}

}  // namespace alchemy::detail::pg
