// Binding, stepping and column reads for one cached SQLite statement.
#include "drivers/sqlite/sqlite_statement.hpp"

#include "alchemy/core/error.hpp"
#include "core/number_text.hpp"
#include "core/printable.hpp"
#include "drivers/sqlite/sqlite_errors.hpp"
#include "drivers/sqlite/sqlite_time.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <system_error>
#include <utility>

namespace alchemy::detail::sqlite {
namespace {

// What may follow the one statement execute() accepts: blanks, ';' and comments.
bool holds_only_comments(std::string_view text) noexcept {
    std::size_t i = 0;
    while (i < text.size()) {
        if (text[i] == ';' || std::isspace(static_cast<unsigned char>(text[i]))) {
            ++i;
        } else if (text.substr(i, 2) == "--") {
            i = text.find('\n', i);
            if (i == std::string_view::npos) return true;
        } else if (text.substr(i, 2) == "/*") {
            i = text.find("*/", i + 2);
            if (i == std::string_view::npos) return true;
            i += 2;
        } else {
            return false;
        }
    }
    return true;
}

bool equals_ignoring_case(std::string_view text, std::string_view lower) noexcept {
    if (text.size() != lower.size()) return false;
    for (std::size_t i = 0; i < text.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(text[i])) != lower[i]) return false;
    return true;
}

// The start of a value for an error message, cut on a UTF-8 character boundary.
std::string excerpt(std::string_view text) {
    constexpr std::size_t limit = 40;
    if (text.size() <= limit) return std::string(text);
    std::size_t cut = limit;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
    return std::string(text.substr(0, cut)) + "...";
}

template <class Number>
std::errc parse_whole(std::string_view text, Number& value) noexcept {
    const char* end = text.data() + text.size();
    const auto [stop, error] = std::from_chars(text.data(), end, value);
    if (error == std::errc{} && stop != end) return std::errc::invalid_argument;
    return error;
}

constexpr double two_to_the_63 = 9'223'372'036'854'775'808.0;
constexpr std::int64_t micros_per_second = 1'000'000;

}  // namespace

SqliteStatement::SqliteStatement(Handle& handle, std::string_view sql) : handle_(handle) {
    if (sql.size() > static_cast<std::size_t>(std::numeric_limits<int>::max()))
        raise_error(handle_, SQLITE_TOOBIG, "the SQL text is longer than SQLite accepts", sql);
    const char* tail = nullptr;
    const int code = sqlite3_prepare_v3(handle_.db, sql.data(), static_cast<int>(sql.size()),
                                        SQLITE_PREPARE_PERSISTENT, &statement_, &tail);
    if (code != SQLITE_OK) raise_error(handle_, code, sqlite3_errmsg(handle_.db), sql);
    if (statement_ == nullptr)
        throw_database_error("42601", "the SQL text holds no statement", std::string(sql));
    if (!holds_only_comments({tail, static_cast<std::size_t>(sql.data() + sql.size() - tail)})) {
        sqlite3_finalize(statement_);
        throw_database_error("42601",
                             "execute() runs one statement but the SQL text holds several; "
                             "use execute_script() for scripts",
                             std::string(sql));
    }
    parameter_count_ = sqlite3_bind_parameter_count(statement_);
    writes_ = sqlite3_stmt_readonly(statement_) == 0;
}

SqliteStatement::~SqliteStatement() {
    close();  // frees the rows read ahead
    sqlite3_finalize(statement_);
}

void SqliteStatement::start(std::span<const Param> params) {
    in_use_ = true;
    finished_ = false;
    first_row_pending_ = false;
    rows_affected_ = 0;
    try {
        before_running(handle_, statement_);
        bind(params);
        if (writes_) total_changes_before_ = sqlite3_total_changes64(handle_.db);
        const bool has_row = step();
        // An INSERT, UPDATE or DELETE ... RETURNING made all its changes in that step, but
        // SQLite counts them only when the statement completes: its rows are read ahead,
        // so rows_affected() is final now, as on PostgreSQL, however few rows are read.
        if (has_row && writes_) read_ahead();
        else first_row_pending_ = has_row;
    } catch (...) {
        close();
        throw;
    }
}

void SqliteStatement::keep_rows_as_of_start() {
    if (!first_row_pending_) return;  // no row, or all read ahead already
    try {
        handle_.open_queries.push_back(this);
    } catch (...) {
        close();
        throw;
    }
    listed_ = true;
}

void SqliteStatement::read_ahead_open_queries(Handle& handle) noexcept {
    // Each query leaves the list as it reads its last row.
    while (!handle.open_queries.empty()) handle.open_queries.back()->read_rest_ahead();
}

void SqliteStatement::read_rest_ahead() noexcept {
    // Unless the first row is still pending, the caller is on the current row: it stays
    // current, read from its copy, and is not returned again.
    const bool on_row = !first_row_pending_;
    first_row_pending_ = false;
    try {
        read_ahead();
    } catch (...) {
        // The rows end here, and the next next() says why. The statement that made way
        // runs regardless: the failure is this query's.
        failure_ = std::current_exception();
        free_read_ahead();
        show_no_row();
        finished_ = true;
        if (listed_) unlist();
        return;
    }
    if (on_row) next_read_ahead();
}

void SqliteStatement::unlist() noexcept {
    std::erase(handle_.open_queries, this);
    listed_ = false;
}

std::size_t SqliteStatement::held_rows() const noexcept {
    return read_ahead_.empty() ? 0 : read_ahead_.size() / static_cast<std::size_t>(column_count());
}

void SqliteStatement::bind(std::span<const Param> params) {
    if (std::cmp_not_equal(parameter_count_, params.size()))
        throw_database_error("42P02",
                             fmt::format("the statement expects {} parameters but was given {}",
                                         parameter_count_, params.size()),
                             sqlite3_sql(statement_));
    // SQLite reads a parameter whenever the statement evaluates it. A statement without
    // result columns runs to its end inside start(), while the caller's values are alive,
    // and so does one that writes (its RETURNING rows are read ahead). Both may read the
    // values in place (SQLITE_STATIC). A query evaluates its parameters again on each
    // later next(), after execute() returned, so it gets copies. (Bound in place, the
    // values are left bound after close(): every execution binds all parameters anew.)
    const bool runs_within_start = writes_ || sqlite3_column_count(statement_) == 0;
    const auto values = runs_within_start ? SQLITE_STATIC : SQLITE_TRANSIENT;
    // Numbers and NULL live in the statement itself; only copies of text and blobs (and
    // of timestamps and dates, bound as text) hold memory worth clearing at close().
    holds_copies_ = !runs_within_start && std::ranges::any_of(params, [](const Param& param) {
        return param.type != ParamType::null && param.type != ParamType::boolean &&
               param.type != ParamType::integer && param.type != ParamType::real;
    });
    for (std::size_t i = 0; i < params.size(); ++i)
        if (const int code = bind_one(static_cast<int>(i) + 1, params[i], values); code != SQLITE_OK)
            raise_last_error(code);
}

int SqliteStatement::bind_one(int index, const Param& param, sqlite3_destructor_type values) {
    switch (param.type) {
    case ParamType::null: return sqlite3_bind_null(statement_, index);
    case ParamType::boolean: return sqlite3_bind_int(statement_, index, param.boolean ? 1 : 0);
    case ParamType::integer: return sqlite3_bind_int64(statement_, index, param.integer);
    case ParamType::real:
        // SQLite stores a NaN as NULL: an optional would read back empty, a NOT NULL
        // column would name the wrong cause.
        if (std::isnan(param.real))
            throw_database_error("22023",
                                 fmt::format("parameter {} is NaN, which SQLite cannot store (it would "
                                             "become NULL); store NULL or another value",
                                             index),
                                 "");
        return sqlite3_bind_double(statement_, index, param.real);
    case ParamType::text:
        // A null pointer would bind NULL; an empty string must stay an empty string.
        return sqlite3_bind_text64(statement_, index, param.bytes.empty() ? "" : param.bytes.data(),
                                   param.bytes.size(), values, SQLITE_UTF8);
    case ParamType::blob:
        // Likewise an empty blob is a zero-length blob, not NULL.
        if (param.bytes.empty()) return sqlite3_bind_zeroblob(statement_, index, 0);
        return sqlite3_bind_blob64(statement_, index, param.bytes.data(), param.bytes.size(), values);
    case ParamType::timestamp: {
        TimestampText text;
        if (!format_timestamp(param.integer, text))
            throw_database_error("22008",
                                 fmt::format("parameter {}: the timestamp {} µs from 1970 lies outside the "
                                             "years 0000-9999 that SQLite can store",
                                             index, param.integer),
                                 sqlite3_sql(statement_));
        return sqlite3_bind_text(statement_, index, text.data(), static_cast<int>(text.size()),
                                 SQLITE_TRANSIENT);
    }
    case ParamType::date: {
        DateText text;
        if (!format_date(param.integer, text))
            throw_database_error(
                "22008",
                fmt::format("parameter {}: the date {} days from 1970 lies outside the years "
                            "0000-9999 that SQLite can store",
                            index, param.integer),
                sqlite3_sql(statement_));
        return sqlite3_bind_text(statement_, index, text.data(), static_cast<int>(text.size()),
                                 SQLITE_TRANSIENT);
    }
    }
    return SQLITE_MISUSE;
}

// Each column is fetched and decoded once per row, here: a read of the kind it holds is
// then answered from its cell (Cursor), the others read row_ through sqlite3_value_*,
// where each sqlite3_column_* call would look the column up again. (Those reads are not
// thread-safe on their own, which needs nothing here: a connection serves one thread at
// a time, and SQLite opens it without a mutex, sqlite_driver.cpp.) The type is the one
// stored: it stays so after a read converts the value in place.
template <class ValueOf>
void SqliteStatement::show_row(int columns, ValueOf value_of) {
    const auto count = static_cast<std::size_t>(columns);
    if (row_.size() < count) {
        row_.resize(count);
        cells_.resize(count);
    }
    for (std::size_t column = 0; column < count; ++column) {
        sqlite3_value* value = value_of(static_cast<int>(column));
        const int type = sqlite3_value_type(value);
        row_[column] = {value, type};
        auto& cell = cells_[column];
        switch (type) {
        case SQLITE_NULL: cell.kind = Cell::Kind::null; break;
        case SQLITE_INTEGER:
            cell.kind = Cell::Kind::integer;
            cell.integer = sqlite3_value_int64(value);
            break;
        case SQLITE_FLOAT:
            cell.kind = Cell::Kind::real;
            cell.real = sqlite3_value_double(value);
            break;
        case SQLITE_TEXT: {
            // Null only when SQLite ran out of memory, which do_read_text() reports.
            const auto* text = reinterpret_cast<const char*>(sqlite3_value_text(value));
            cell.kind = text ? Cell::Kind::text : Cell::Kind::other;
            if (text) cell.text = {text, static_cast<std::size_t>(sqlite3_value_bytes(value))};
            break;
        }
        default: cell.kind = Cell::Kind::other; break;
        }
    }
    row_columns_ = columns;
    show_cells(std::span<const Cell>(cells_).first(count));
}

void SqliteStatement::show_no_row() noexcept {
    row_columns_ = 0;
    show_cells({});
}

bool SqliteStatement::step() {
    const int code = sqlite3_step(statement_);
    if (code == SQLITE_ROW) {
        show_row(sqlite3_data_count(statement_),
                 [this](int column) { return sqlite3_column_value(statement_, column); });
        return true;
    }
    show_no_row();
    finished_ = true;
    if (listed_) unlist();
    if (code == SQLITE_DONE) {
        // sqlite3_changes64 keeps the count of the last INSERT, UPDATE or DELETE, so a
        // query or DDL would inherit a stale number; trust it only if rows changed now.
        if (writes_ && sqlite3_total_changes64(handle_.db) != total_changes_before_)
            rows_affected_ = sqlite3_changes64(handle_.db);
        return false;
    }
    std::string message = sqlite3_errmsg(handle_.db);
    sqlite3_reset(statement_);
    raise_error(handle_, code, std::move(message), sqlite3_sql(statement_));
}

void SqliteStatement::read_ahead() {
    do {
        for (int column = 0; column < row_columns_; ++column) {
            // The slot first, so that a failing push_back leaves no copy unowned.
            read_ahead_.push_back(nullptr);
            read_ahead_.back() = sqlite3_value_dup(row_[static_cast<std::size_t>(column)].value);
            if (read_ahead_.back() == nullptr) raise_out_of_memory();
        }
    } while (step());
}

bool SqliteStatement::next_read_ahead() {
    const auto columns = static_cast<std::size_t>(column_count());
    if (read_ahead_next_ == read_ahead_.size()) {
        show_no_row();
        return false;
    }
    // The copies are protected values, read as a stepped row's are.
    const std::size_t first = read_ahead_next_;
    show_row(static_cast<int>(columns),
             [&](int column) { return read_ahead_[first + static_cast<std::size_t>(column)]; });
    read_ahead_next_ += columns;
    return true;
}

void SqliteStatement::raise_last_error(int code) {
    raise_error(handle_, code, sqlite3_errmsg(handle_.db), sqlite3_sql(statement_));
}

// Column names and text conversions allocate inside SQLite, and report failure as null.
void SqliteStatement::raise_out_of_memory() const {
    raise_error(handle_, SQLITE_NOMEM, "out of memory", sqlite3_sql(statement_));
}

bool SqliteStatement::next() {
    if (first_row_pending_) {
        first_row_pending_ = false;
        return true;
    }
    if (!read_ahead_.empty()) return next_read_ahead();
    if (finished_) {
        if (failure_) std::rethrow_exception(std::exchange(failure_, nullptr));
        return false;
    }
    return step();
}

int SqliteStatement::column_count() const noexcept { return sqlite3_column_count(statement_); }

void SqliteStatement::check_column_index(int column) const {
    if (column < 0 || column >= column_count())
        throw ArgumentError(
            fmt::format("alchemy: column index {} is out of range; the statement has {} columns", column,
                        column_count()));
}

std::string_view SqliteStatement::column_name(int column) const {
    check_column_index(column);
    const char* name = sqlite3_column_name(statement_, column);
    if (name == nullptr) raise_out_of_memory();
    return name;
}

const SqliteStatement::ColumnValue& SqliteStatement::checked(int column) const {
    // row_columns_ is 0 unless a row is current, so one comparison checks both.
    if (static_cast<unsigned>(column) < static_cast<unsigned>(row_columns_))
        return row_[static_cast<std::size_t>(column)];
    check_column_index(column);
    throw InvalidRequestError("alchemy: no current row; read columns only after next() returned true");
}

bool SqliteStatement::do_is_null(int column) const { return checked(column).type == SQLITE_NULL; }

bool SqliteStatement::do_read_bool(int column) const {
    const auto& c = checked(column);
    switch (c.type) {
    case SQLITE_INTEGER:
        switch (sqlite3_value_int64(c.value)) {
        case 0: return false;
        case 1: return true;
        default: break;
        }
        break;
    case SQLITE_TEXT: {
        const auto text = read_text(column);
        if (text == "1" || equals_ignoring_case(text, "true")) return true;
        if (text == "0" || equals_ignoring_case(text, "false")) return false;
        break;
    }
    default: break;
    }
    raise_unreadable(column, "a boolean (0 or 1)", "22018");
}

std::int64_t SqliteStatement::do_read_int(int column) const {
    const auto& c = checked(column);
    switch (c.type) {
    case SQLITE_INTEGER: return sqlite3_value_int64(c.value);
    case SQLITE_FLOAT: {
        // Open at both ends: integer arithmetic that overflows comes back as a REAL, and
        // a result just below -2^63 rounds to exactly -2^63.
        const double value = sqlite3_value_double(c.value);
        if (value > -two_to_the_63 && value < two_to_the_63 && std::trunc(value) == value)
            return static_cast<std::int64_t>(value);
        raise_unreadable(column, "a 64-bit integer", "22003");
    }
    case SQLITE_TEXT: {
        std::int64_t value = 0;
        const auto error = parse_whole(read_text(column), value);
        if (error == std::errc{}) return value;
        if (error == std::errc::result_out_of_range) raise_unreadable(column, "a 64-bit integer", "22003");
        break;
    }
    default: break;
    }
    raise_unreadable(column, "an integer", "22018");
}

double SqliteStatement::do_read_real(int column) const {
    const auto& c = checked(column);
    switch (c.type) {
    case SQLITE_FLOAT: return sqlite3_value_double(c.value);
    case SQLITE_INTEGER: return static_cast<double>(sqlite3_value_int64(c.value));
    case SQLITE_TEXT: {
        double value = 0;
        if (parse_whole(read_text(column), value) == std::errc{}) return value;
        break;
    }
    default: break;
    }
    raise_unreadable(column, "a real number", "22018");
}

std::string_view SqliteStatement::do_read_text(int column) const {
    const auto& c = checked(column);
    if (c.type == SQLITE_NULL) raise_unreadable(column, "text", "22004");
    if (c.type == SQLITE_FLOAT) {
        // SQLite's own text keeps 15 digits (0.1 + 0.2 would read "0.3"): the shortest text
        // that reads back as the same double instead, as on PostgreSQL.
        if (real_texts_.size() <= static_cast<std::size_t>(column))
            real_texts_.resize(static_cast<std::size_t>(column) + 1);
        auto& text = real_texts_[static_cast<std::size_t>(column)];
        text.clear();
        append_real(text, sqlite3_value_double(c.value));
        return text;
    }
    // Integers are rendered to text in place; the pointer is valid until the next step.
    const auto* text = reinterpret_cast<const char*>(sqlite3_value_text(c.value));
    if (text == nullptr) raise_out_of_memory();
    return {text, static_cast<std::size_t>(sqlite3_value_bytes(c.value))};
}

std::span<const std::byte> SqliteStatement::read_blob(int column) const {
    const auto& c = checked(column);
    const int type = c.type;
    if (type != SQLITE_BLOB && type != SQLITE_TEXT) raise_unreadable(column, "a blob", "22018");
    // A zero-length blob comes back as a null pointer, which an empty span allows.
    const auto* bytes = static_cast<const std::byte*>(sqlite3_value_blob(c.value));
    return {bytes, static_cast<std::size_t>(sqlite3_value_bytes(c.value))};
}

std::int64_t SqliteStatement::read_timestamp(int column) const {
    const auto& c = checked(column);
    switch (c.type) {
    case SQLITE_TEXT:
        if (const auto micros = parse_timestamp(read_text(column))) return *micros;
        raise_unreadable(column, "a timestamp (YYYY-MM-DD HH:MM:SS.ffffff)", "22007");
    case SQLITE_INTEGER: {
        // An integer is Unix time in seconds, as SQLite's unixepoch() returns.
        const std::int64_t seconds = sqlite3_value_int64(c.value);
        constexpr std::int64_t limit = std::numeric_limits<std::int64_t>::max() / micros_per_second;
        if (seconds >= -limit && seconds <= limit) return seconds * micros_per_second;
        raise_unreadable(column, "a timestamp", "22008");
    }
    default: raise_unreadable(column, "a timestamp", "22018");
    }
}

std::int64_t SqliteStatement::read_date(int column) const {
    if (checked(column).type == SQLITE_TEXT) {
        if (const auto days = parse_date(read_text(column))) return *days;
        raise_unreadable(column, "a date (YYYY-MM-DD)", "22007");
    }
    raise_unreadable(column, "a date", "22018");
}

void SqliteStatement::raise_unreadable(int column, std::string_view wanted, const char* sqlstate) const {
    const auto& c = checked(column);
    const int type = c.type;
    std::string found;
    switch (type) {
    case SQLITE_INTEGER: found = fmt::format("the integer {}", sqlite3_value_int64(c.value)); break;
    case SQLITE_FLOAT: found = fmt::format("the real {}", sqlite3_value_double(c.value)); break;
    case SQLITE_TEXT: found = fmt::format("the text '{}'", printable(excerpt(read_text(column)))); break;
    case SQLITE_BLOB: found = fmt::format("a blob of {} bytes", sqlite3_value_bytes(c.value)); break;
    default: found = "NULL"; break;
    }
    throw_database_error(type == SQLITE_NULL ? "22004" : sqlstate,
                         fmt::format("column '{}' (index {}) holds {}, which cannot be read as {}",
                                     column_name(column), column, found, wanted),
                         sqlite3_sql(statement_));
}

void SqliteStatement::close() noexcept {
    if (!in_use_) return;
    // reset() repeats the last step's error code, which was already reported.
    sqlite3_reset(statement_);
    if (holds_copies_) sqlite3_clear_bindings(statement_);
    holds_copies_ = false;
    show_no_row();  // the row's values went with the reset: reads now find no current row
    free_read_ahead();
    in_use_ = false;
    first_row_pending_ = false;
    finished_ = true;
    if (listed_) unlist();
    failure_ = nullptr;
}

void SqliteStatement::free_read_ahead() noexcept {
    for (sqlite3_value* value : read_ahead_) sqlite3_value_free(value);
    read_ahead_.clear();  // keeps its room for the next execution
    read_ahead_next_ = 0;
}

}  // namespace alchemy::detail::sqlite
