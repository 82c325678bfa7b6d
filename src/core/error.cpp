// SQLSTATE → exception class: the one table both drivers share.
#include "alchemy/core/error.hpp"

#include "core/printable.hpp"

#include <fmt/format.h>

#include <utility>

namespace alchemy {
namespace {

std::string describe(std::string_view kind, const std::string& sqlstate, const std::string& message,
                     const std::string& sql, const std::optional<BatchProgress>& progress) {
    std::string text = fmt::format("({}) {}", kind, message);
    if (!sqlstate.empty()) text += fmt::format(" [SQLSTATE {}]", sqlstate);
    if (progress) {
        text += fmt::format(
            "\n[AUTOCOMMIT batch: {} of {} rows were committed before the "
            "failure and stay committed",
            progress->committed, progress->rows);
        if (progress->in_doubt > 0)
            text += fmt::format(
                "; the connection was lost before the outcome of the next {} "
                "arrived, so they may or may not be committed",
                progress->in_doubt);
        text += ']';
    }
    // The SQL is the program's own, legitimately multi-line text, but it may embed values.
    if (!sql.empty()) text += fmt::format("\n[SQL: {}]", detail::printable(sql, "\n\t\r"));
    return text;
}

std::string_view class_name(std::string_view sqlstate) {
    if (sqlstate == "23505") return "UniqueViolation";
    if (sqlstate == "23503") return "ForeignKeyViolation";
    if (sqlstate == "23502") return "NotNullViolation";
    if (sqlstate == "23514") return "CheckViolation";
    if (sqlstate == "25006") return "ReadOnlySqlTransaction";
    const auto cls = sqlstate.substr(0, 2);
    if (cls == "23") return "IntegrityError";
    if (cls == "22") return "DataError";
    if (cls == "42" || cls == "0A" || cls == "26" || cls == "34" || cls == "3D" || cls == "3F")
        return "ProgrammingError";
    if (cls == "25") return "InternalError";
    if (cls == "54") return "ProgramLimitExceeded";
    if (cls == "08" || cls == "40" || cls == "53" || cls == "55" || cls == "57" || cls == "58" || cls == "HY")
        return "OperationalError";
    return "DatabaseError";
}

}  // namespace

DatabaseError::DatabaseError(std::string sqlstate, std::string message, std::string sql,
                             bool connection_invalidated, std::optional<BatchProgress> batch_progress)
    : Error(describe(class_name(sqlstate), sqlstate, message, sql, batch_progress)),
      sqlstate_(std::move(sqlstate)),
      message_(std::move(message)),
      sql_(std::move(sql)),
      connection_invalidated_(connection_invalidated),
      batch_progress_(batch_progress) {}

namespace {

// The class follows from the SQLSTATE and the invalidation alone, so an error thrown
// again with more context keeps its class.
[[noreturn]] void throw_by_class(std::string sqlstate, std::string message, std::string sql,
                                 bool connection_invalidated, std::optional<BatchProgress> progress) {
    const auto name = class_name(sqlstate);
    auto raise = [&]<class E>() {
        throw E(std::move(sqlstate), std::move(message), std::move(sql), connection_invalidated, progress);
    };
    if (name == "UniqueViolation") raise.operator()<UniqueViolation>();
    if (name == "ForeignKeyViolation") raise.operator()<ForeignKeyViolation>();
    if (name == "NotNullViolation") raise.operator()<NotNullViolation>();
    if (name == "CheckViolation") raise.operator()<CheckViolation>();
    if (name == "IntegrityError") raise.operator()<IntegrityError>();
    if (name == "DataError") raise.operator()<DataError>();
    if (name == "ProgrammingError") raise.operator()<ProgrammingError>();
    // A lost connection is operational whatever the server said before it went.
    if (name == "OperationalError" || connection_invalidated) raise.operator()<OperationalError>();
    if (name == "ProgramLimitExceeded") raise.operator()<ProgramLimitExceeded>();
    if (name == "ReadOnlySqlTransaction") raise.operator()<ReadOnlySqlTransaction>();
    if (name == "InternalError") raise.operator()<InternalError>();
    raise.operator()<DatabaseError>();
    __builtin_unreachable();
}

}  // namespace

void throw_database_error(std::string sqlstate, std::string message, std::string sql,
                          bool connection_invalidated) {
    throw_by_class(std::move(sqlstate), std::move(message), std::move(sql), connection_invalidated,
                   std::nullopt);
}

void rethrow_with_batch_progress(const DatabaseError& error, BatchProgress progress) {
    throw_by_class(error.sqlstate(), error.message(), error.sql(), error.connection_invalidated(), progress);
}

}  // namespace alchemy
