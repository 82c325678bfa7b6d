// Binary decoding of result values, with the conversions the Cursor interface promises
// (an int column read as text, a numeric sum read as an integer, ...).
#include "drivers/postgresql/pg_cursor.hpp"

#include "alchemy/core/error.hpp"
#include "core/number_text.hpp"
#include "drivers/postgresql/pg_binary.hpp"
#include "drivers/postgresql/pg_connection.hpp"
#include "drivers/postgresql/pg_errors.hpp"
#include "drivers/postgresql/pg_format.hpp"
#include "drivers/postgresql/pg_numeric.hpp"
#include "drivers/postgresql/pg_types.hpp"

#include <fmt/format.h>

#include <cmath>
#include <utility>

namespace alchemy::detail::pg {
namespace {

constexpr char jsonb_version = 1;  // binary jsonb is this byte followed by the JSON text

/// The size of a value of `type` in the binary format when it has one size, else 0.
constexpr std::size_t fixed_binary_size(Oid type) noexcept {
    switch (type) {
    case oid::boolean: return 1;
    case oid::int2: return 2;
    case oid::int4:
    case oid::oid:
    case oid::float4:
    case oid::date: return 4;
    case oid::int8:
    case oid::float8:
    case oid::time:
    case oid::timestamp:
    case oid::timestamptz: return 8;
    case oid::uuid: return 16;
    default: return 0;
    }
}

bool is_text_type(Oid type) {
    switch (type) {
    case oid::text:
    case oid::varchar:
    case oid::bpchar:
    case oid::name:
    case oid::char_:
    case oid::json:
    case oid::jsonb:
    case oid::xml:
    case oid::unknown: return true;
    default: return false;
    }
}

std::string_view text_bytes(std::string_view bytes, Oid type) {
    if (type == oid::jsonb && !bytes.empty() && bytes.front() == jsonb_version) bytes.remove_prefix(1);
    return bytes;
}

std::string_view trimmed(std::string_view text) {
    // bpchar pads with spaces; numbers typed by people may carry some too.
    while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
    while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
    return text;
}

template <class Number>
std::optional<Number> parse_number(std::string_view text) {
    text = trimmed(text);
    Number value{};
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc{} || end != text.data() + text.size() || text.empty()) return std::nullopt;
    return value;
}

std::optional<std::int64_t> integral(double value) {
    // 2^63 is exactly representable; every double below it in magnitude fits in int64.
    constexpr double limit = 9'223'372'036'854'775'808.0;
    if (!(value >= -limit && value < limit) || std::trunc(value) != value) return std::nullopt;
    return static_cast<std::int64_t>(value);
}

bool is_command_with_row_count(std::string_view status) {
    return status.starts_with("INSERT") || status.starts_with("UPDATE") || status.starts_with("DELETE") ||
           status.starts_with("MERGE");
}

}  // namespace

std::int64_t rows_affected_by(PGresult* result) noexcept {
    // PQcmdTuples also counts the rows of a SELECT; only data changes count here.
    if (!is_command_with_row_count(PQcmdStatus(result))) return 0;
    return parse_number<std::int64_t>(PQcmdTuples(result)).value_or(0);
}

void PgCursor::open(ResultHandle result, std::string_view sql, PgConnection* stream) {
    sql_.assign(sql);
    columns_ = PQnfields(result.get());
    column_types_.clear();
    for (int column = 0; column < columns_; ++column) column_types_.push_back(PQftype(result.get(), column));
    if (scratch_.size() < column_types_.size()) scratch_.resize(column_types_.size());
    if (cells_.size() < column_types_.size()) cells_.resize(column_types_.size());
    stream_ = PQresultStatus(result.get()) == PGRES_SINGLE_TUPLE ? stream : nullptr;
    hold(std::move(result));
}

void PgCursor::hold(ResultHandle result) noexcept {
    // Every row of a stream describes the same columns, so only the result changes hands.
    result_ = std::move(result);
    rows_ = PQntuples(result_.get());
    row_ = -1;
    rows_affected_ = rows_affected_by(result_.get());
    show_cells({});
}

// A value of a fixed-size type but another size stays `other`: the do_* reads refuse it.
void PgCursor::show_row() noexcept {
    if (row_ < 0 || row_ >= rows_) return show_cells({});
    PGresult* result = result_.get();
    for (int column = 0; column < columns_; ++column) {
        auto& cell = cells_[static_cast<std::size_t>(column)];
        if (PQgetisnull(result, row_, column) != 0) {
            cell.kind = Cell::Kind::null;
            continue;
        }
        const char* data = PQgetvalue(result, row_, column);
        const auto size = static_cast<std::size_t>(PQgetlength(result, row_, column));
        const Oid type = column_types_[static_cast<std::size_t>(column)];
        cell.kind = Cell::Kind::other;
        if (is_text_type(type)) {
            cell.kind = Cell::Kind::text;
            cell.text = text_bytes({data, size}, type);
            continue;
        }
        if (size != fixed_binary_size(type)) continue;
        const auto integer = [&](std::int64_t value) {
            cell.kind = Cell::Kind::integer;
            cell.integer = value;
        };
        const auto real = [&](double value) {
            cell.kind = Cell::Kind::real;
            cell.real = value;
        };
        switch (type) {
        case oid::boolean: integer(data[0] != 0 ? 1 : 0); break;
        case oid::int2: integer(load_i16(data)); break;
        case oid::int4: integer(load_i32(data)); break;
        case oid::int8: integer(load_i64(data)); break;
        case oid::oid: integer(load_u32(data)); break;
        case oid::float4: real(load_f32(data)); break;
        case oid::float8: real(load_f64(data)); break;
        default: break;
        }
    }
    show_cells(std::span<const Cell>(cells_).first(static_cast<std::size_t>(columns_)));
}

void PgCursor::close() noexcept {
    if (stream_) {
        std::exchange(stream_, nullptr)->abandon_stream();
        rows_affected_ = -1;  // the statement's end, which tells it, was not read
    }
    result_.reset();
    columns_ = 0;
    rows_ = 0;
    row_ = -1;
    show_cells({});
}

bool PgCursor::next() {
    show_cells({});  // kept so if the next row cannot be had
    if (row_ < rows_) ++row_;
    if (row_ == rows_ && stream_) {
        // The next row, or the statement's end. A failure ends the stream as well, and
        // leaves no current row.
        PgConnection* connection = std::exchange(stream_, nullptr);
        rows_affected_ = -1;  // until the statement's end tells it; for good if it fails
        hold(connection->next_streamed_result(sql_));
        if (PQresultStatus(result_.get()) == PGRES_SINGLE_TUPLE) stream_ = connection;
        row_ = 0;
    }
    show_row();
    return row_ < rows_;
}

void PgCursor::check_column(int column) const {
    if (column < 0 || column >= columns_)
        throw ArgumentError(
            fmt::format("alchemy: column index {} is out of range; the result "
                        "has {} columns",
                        column, columns_));
}

std::string_view PgCursor::column_name(int column) const {
    check_column(column);
    return PQfname(result_.get(), column);
}

void PgCursor::check_position(int column) const {
    if (row_ < 0 || row_ >= rows_)
        throw InvalidRequestError(
            "alchemy: no current row; call next() and check that it "
            "returned true before reading columns");
    check_column(column);
}

bool PgCursor::do_is_null(int column) const {
    check_position(column);
    return PQgetisnull(result_.get(), row_, column) != 0;
}

PgCursor::Field PgCursor::field(int column, std::string_view wanted) const {
    if (is_null(column)) raise_null_read(column_name(column), wanted, sql_);
    const Field value{{PQgetvalue(result_.get(), row_, column),
                       static_cast<std::size_t>(PQgetlength(result_.get(), row_, column))},
                      column_types_[static_cast<std::size_t>(column)]};
    // The readers load fixed-size values without looking at their length: a value of
    // another size would be read past its end (or half read), so it is refused here.
    if (const auto size = fixed_binary_size(value.type); size != 0 && value.bytes.size() != size)
        raise_invalid_binary_value(column_name(column), value.type, sql_);
    return value;
}

void PgCursor::type_mismatch(int column, Oid type, std::string_view wanted) const {
    raise_type_mismatch(column_name(column), type, wanted, sql_);
}

void PgCursor::unconvertible(int column, const Field& value, std::string_view wanted) const {
    constexpr std::size_t shown = 40;
    std::string text;
    if (is_text_type(value.type)) {
        const auto bytes = text_bytes(value.bytes, value.type);
        text = fmt::format("'{}{}'", bytes.substr(0, shown), bytes.size() > shown ? "..." : "");
    } else {
        text = text_form(column, value).value_or("a value");
    }
    raise_unconvertible_value(column_name(column), value.type, text, wanted, sql_);
}

std::optional<std::string_view> PgCursor::text_form(int column, const Field& value) const {
    if (is_text_type(value.type)) return text_bytes(value.bytes, value.type);
    if (value.type == oid::bytea) return value.bytes;
    const char* data = value.bytes.data();
    auto& text = scratch_[static_cast<std::size_t>(column)];
    text.clear();
    switch (value.type) {
    case oid::boolean: text = data[0] ? "true" : "false"; break;
    case oid::int2: append_integer(text, load_i16(data)); break;
    case oid::int4: append_integer(text, load_i32(data)); break;
    case oid::int8: append_integer(text, load_i64(data)); break;
    case oid::oid: append_integer(text, load_u32(data)); break;
    case oid::float4: append_real(text, load_f32(data)); break;
    case oid::float8: append_real(text, load_f64(data)); break;
    case oid::numeric:
        if (!append_numeric_text(text, value.bytes))
            raise_invalid_binary_value(column_name(column), value.type, sql_);
        break;
    case oid::uuid: append_uuid_text(text, value.bytes); break;
    case oid::time: append_time_text(text, load_i64(data)); break;
    case oid::date: {
        const auto days = load_i32(data);
        if (days == date_infinity) text = "infinity";
        else if (days == date_minus_infinity) text = "-infinity";
        else append_date_text(text, days + epoch_offset_days);
        break;
    }
    case oid::timestamp:
    case oid::timestamptz: {
        const auto micros = load_i64(data);
        if (micros == timestamp_infinity) text = "infinity";
        else if (micros == timestamp_minus_infinity) text = "-infinity";
        else append_timestamp_text(text, micros, value.type == oid::timestamptz);
        break;
    }
    default: return std::nullopt;
    }
    return text;
}

bool PgCursor::do_read_bool(int column) const {
    constexpr std::string_view wanted = "a boolean";
    const auto value = field(column, wanted);
    const char* data = value.bytes.data();
    std::int64_t integer = 0;
    switch (value.type) {
    case oid::boolean: return data[0] != 0;
    case oid::int2: integer = load_i16(data); break;
    case oid::int4: integer = load_i32(data); break;
    case oid::int8: integer = load_i64(data); break;
    default: {
        if (!is_text_type(value.type)) type_mismatch(column, value.type, wanted);
        const auto text = trimmed(text_bytes(value.bytes, value.type));
        if (text == "t" || text == "true" || text == "1") return true;
        if (text == "f" || text == "false" || text == "0") return false;
        unconvertible(column, value, wanted);
    }
    }
    // Only 0 and 1, as on SQLite: 2 or -1 is more likely a count or a code than a truth value.
    if (integer != 0 && integer != 1) unconvertible(column, value, "a boolean (0 or 1)");
    return integer == 1;
}

std::int64_t PgCursor::do_read_int(int column) const {
    constexpr std::string_view wanted = "an integer";
    const auto value = field(column, wanted);
    const char* data = value.bytes.data();
    std::optional<std::int64_t> result;
    switch (value.type) {
    case oid::int2: return load_i16(data);
    case oid::int4: return load_i32(data);
    case oid::int8: return load_i64(data);
    case oid::oid: return load_u32(data);
    case oid::boolean: return data[0] != 0 ? 1 : 0;
    case oid::numeric: result = numeric_to_int(value.bytes); break;
    case oid::float4: result = integral(load_f32(data)); break;
    case oid::float8: result = integral(load_f64(data)); break;
    default:
        if (!is_text_type(value.type)) type_mismatch(column, value.type, wanted);
        result = parse_number<std::int64_t>(text_bytes(value.bytes, value.type));
    }
    if (!result) unconvertible(column, value, wanted);
    return *result;
}

double PgCursor::do_read_real(int column) const {
    constexpr std::string_view wanted = "a real number";
    const auto value = field(column, wanted);
    const char* data = value.bytes.data();
    switch (value.type) {
    case oid::float8: return load_f64(data);
    case oid::float4: return load_f32(data);
    case oid::int2: return load_i16(data);
    case oid::int4: return load_i32(data);
    case oid::int8: return static_cast<double>(load_i64(data));
    case oid::oid: return load_u32(data);
    default: break;
    }
    std::string_view text;
    if (value.type == oid::numeric) {
        // Parsing the exact decimal text rounds correctly; summing digit groups would not.
        text = *text_form(column, value);
    } else if (is_text_type(value.type)) {
        text = text_bytes(value.bytes, value.type);
    } else {
        type_mismatch(column, value.type, wanted);
    }
    const auto result = parse_number<double>(text);
    if (!result) unconvertible(column, value, wanted);
    return *result;
}

std::string_view PgCursor::do_read_text(int column) const {
    constexpr std::string_view wanted = "text";
    const auto value = field(column, wanted);
    const auto text = text_form(column, value);
    if (!text) type_mismatch(column, value.type, wanted);
    return *text;
}

std::span<const std::byte> PgCursor::read_blob(int column) const {
    constexpr std::string_view wanted = "a blob";
    const auto value = field(column, wanted);
    std::string_view bytes;
    if (value.type == oid::bytea || value.type == oid::uuid) bytes = value.bytes;
    else if (is_text_type(value.type)) bytes = text_bytes(value.bytes, value.type);
    else type_mismatch(column, value.type, wanted);
    return {reinterpret_cast<const std::byte*>(bytes.data()), bytes.size()};
}

std::int64_t PgCursor::read_timestamp(int column) const {
    constexpr std::string_view wanted = "a timestamp";
    const auto value = field(column, wanted);
    const char* data = value.bytes.data();
    switch (value.type) {
    case oid::timestamp:
    case oid::timestamptz: {
        const auto micros = load_i64(data);
        std::int64_t since_1970 = 0;
        if (micros == timestamp_infinity || micros == timestamp_minus_infinity ||
            __builtin_add_overflow(micros, epoch_offset_micros, &since_1970))
            unconvertible(column, value, wanted);
        return since_1970;
    }
    case oid::date: {
        const auto days = load_i32(data);
        std::int64_t since_1970 = 0;
        if (days == date_infinity || days == date_minus_infinity ||
            __builtin_mul_overflow(days + epoch_offset_days, micros_per_day, &since_1970))
            unconvertible(column, value, wanted);
        return since_1970;
    }
    default: type_mismatch(column, value.type, wanted);
    }
}

std::int64_t PgCursor::read_date(int column) const {
    constexpr std::string_view wanted = "a date";
    const auto value = field(column, wanted);
    const char* data = value.bytes.data();
    switch (value.type) {
    case oid::date: {
        const auto days = load_i32(data);
        if (days == date_infinity || days == date_minus_infinity) unconvertible(column, value, wanted);
        return days + epoch_offset_days;
    }
    case oid::timestamp:
    case oid::timestamptz: {
        const auto micros = load_i64(data);
        if (micros == timestamp_infinity || micros == timestamp_minus_infinity)
            unconvertible(column, value, wanted);
        // Floor, so an instant before 2000-01-01 00:00 falls on the day it belongs to.
        const auto days = micros / micros_per_day - (micros % micros_per_day < 0 ? 1 : 0);
        return days + epoch_offset_days;
    }
    default: type_mismatch(column, value.type, wanted);
    }
}

}  // namespace alchemy::detail::pg
