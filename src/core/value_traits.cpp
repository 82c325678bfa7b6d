// The cold paths of value_traits and Result: errors, kept out of line.
#include "alchemy/core/value_traits.hpp"
#include "alchemy/core/result.hpp"

#include "alchemy/core/error.hpp"

#include <fmt/format.h>

namespace alchemy::detail {

namespace {
/// A DataError about what column `column` of `c` holds: "column 2 ('born') <what>".
[[noreturn]] void throw_about_column(const char* sqlstate, const Cursor& c, int column,
                                     std::string_view what) {
    throw DataError(sqlstate, fmt::format("column {} ('{}') {}", column, c.column_name(column), what), "");
}

template <class Number>
[[noreturn]] void throw_number_out_of_range(const Cursor& c, int column, Number value,
                                            std::string_view type_name) {
    throw_about_column("22003", c, column,
                       fmt::format("holds {}, which does not fit in {}", value, type_name));
}
}  // namespace

void throw_null_into_non_optional(const Cursor& c, int column) {
    throw_about_column("22004", c, column,
                       "is NULL but is read into a type that cannot hold NULL; read it as std::optional");
}

void throw_out_of_range(const Cursor& c, int column, std::int64_t value, std::string_view type_name) {
    throw_number_out_of_range(c, column, value, type_name);
}

void throw_out_of_range(const Cursor& c, int column, double value, std::string_view type_name) {
    throw_number_out_of_range(c, column, value, type_name);
}

void throw_unsigned_too_large(std::uint64_t value) {
    throw ArgumentError(
        fmt::format("alchemy: the unsigned value {} is larger than the biggest 64-bit signed integer "
                    "and cannot be stored",
                    value));
}

void throw_field_out_of_range(std::string_view model, std::string_view column, std::int64_t value) {
    throw DataError(
        "22003",
        fmt::format("alchemy: {}'s column {} is to take {}, which its field's integer type cannot "
                    "hold; give the field a wider type",
                    model, column, value),
        "");
}

void throw_invalid_date(int year, unsigned month, unsigned day) {
    throw DataError("22008", fmt::format("{:04}-{:02}-{:02} is not a date of the calendar", year, month, day),
                    "");
}

void throw_timestamp_beyond_microseconds() {
    throw DataError("22008",
                    "a timestamp beyond what the database stores (microseconds since 1970 in 64 bits, "
                    "about 292 000 years either way); store the furthest instant you mean, or NULL",
                    "");
}

void throw_timestamp_beyond(const Cursor& c, int column) {
    throw_about_column("22008", c, column,
                       "holds a timestamp beyond the range of the time_point it is read into "
                       "(system_clock::time_point reaches 1677 to 2262); read it as "
                       "std::chrono::sys_time<std::chrono::microseconds>");
}

void throw_date_beyond_year_range(const Cursor& c, int column) {
    throw_about_column("22008", c, column,
                       "holds a date beyond year 32767 (or before -32767), which "
                       "std::chrono::year_month_day cannot hold; select it as text (CAST ... AS TEXT) "
                       "to see it");
}

void throw_underflow(const Cursor& c, int column, double value) {
    throw_about_column("22003", c, column,
                       fmt::format("holds {}, which would become 0 in a float; read it as double", value));
}

void ResultBase::check_columns(int expected) const {
    if (!cursor_) return;
    const int actual = cursor_->column_count();
    if (actual != expected)
        throw ProgrammingError("42601",
                               fmt::format("the statement returns {} column(s) but the row type "
                                           "reads {}",
                                           actual, expected),
                               "");
}

void ResultBase::throw_orphaned(ClosedBy closed_by) {
    if (closed_by == ClosedBy::rollback)
        throw InvalidRequestError(
            "alchemy: this streamed Result was closed when its transaction was rolled back, which "
            "ended its statement; read its rows before the rollback, or run the query again");
    throw InvalidRequestError(
        "alchemy: this Result's connection was closed; read the rows before the connection goes back "
        "to the pool, or keep the Connection");
}

void ResultBase::throw_rowcount_unknown() {
    throw InvalidRequestError(
        "alchemy: this streamed result's row count is not known: PostgreSQL tells it when the "
        "statement ends, after its last row, and a result closed before that never learns it; read "
        "the rows to the end first, or run the statement without stream_results");
}

void ResultBase::throw_no_current_row() {
    throw InvalidRequestError(
        "alchemy: this Result has no current row: its rows ended (next_row() returned false), or it "
        "was closed; read a row only after next_row() returned true");
}

void throw_no_result() { throw NoResultFound("alchemy: no row was found when one was required"); }

void throw_multiple_results() {
    throw MultipleResultsFound("alchemy: multiple rows were found when exactly one was required");
}

}  // namespace alchemy::detail
