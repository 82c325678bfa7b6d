// Binary encoding of alchemy Params for libpq (see pg_params.hpp).
#include "drivers/postgresql/pg_params.hpp"

#include "core/sql_lexer.hpp"
#include "drivers/postgresql/pg_binary.hpp"
#include "drivers/postgresql/pg_errors.hpp"
#include "drivers/postgresql/pg_types.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>
#include <utility>

namespace alchemy::detail::pg {
namespace {

constexpr std::size_t max_parameters = 65'535;
constexpr std::size_t max_field_size = (std::size_t{1} << 30) - 1;  // the server's 1 GB limit
constexpr int text_format = 0;
constexpr int binary_format = 1;

bool fits_int4(std::int64_t value) {
    return value >= std::numeric_limits<std::int32_t>::min() &&
           value <= std::numeric_limits<std::int32_t>::max();
}

std::size_t encoded_size(const Param& p) {
    switch (p.type) {
    case ParamType::null:
    case ParamType::blob: return 0;  // sent from the caller's storage
    case ParamType::boolean: return 1;
    case ParamType::date: return 4;
    case ParamType::integer:
    case ParamType::real:
    case ParamType::timestamp: return 8;
    case ParamType::text: return p.bytes.size() + 1;  // text format needs a terminating NUL
    }
    return 0;
}

}  // namespace

std::size_t invalid_utf8_at(std::string_view text) noexcept {
    const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
    const std::size_t size = text.size();
    auto continuation = [&](std::size_t at, unsigned char low = 0x80, unsigned char high = 0xBF) {
        return at < size && bytes[at] >= low && bytes[at] <= high;
    };
    std::size_t i = 0;
    while (i < size) {
        const unsigned char lead = bytes[i];
        std::size_t length = 0;
        if (lead < 0x80) length = 1;
        else if (lead >= 0xC2 && lead <= 0xDF) length = continuation(i + 1) ? 2 : 0;
        else if (lead == 0xE0) length = continuation(i + 1, 0xA0) && continuation(i + 2) ? 3 : 0;
        else if (lead == 0xED) length = continuation(i + 1, 0x80, 0x9F) && continuation(i + 2) ? 3 : 0;
        else if (lead >= 0xE1 && lead <= 0xEF) length = continuation(i + 1) && continuation(i + 2) ? 3 : 0;
        else if (lead == 0xF0)
            length = continuation(i + 1, 0x90) && continuation(i + 2) && continuation(i + 3) ? 4 : 0;
        else if (lead >= 0xF1 && lead <= 0xF3)
            length = continuation(i + 1) && continuation(i + 2) && continuation(i + 3) ? 4 : 0;
        else if (lead == 0xF4)
            length = continuation(i + 1, 0x80, 0x8F) && continuation(i + 2) && continuation(i + 3) ? 4 : 0;
        if (length == 0) return i;
        i += length;
    }
    return std::string_view::npos;
}

void ParamEncoder::check_placeholders(std::string_view sql) {
    if (sql != counted_sql_) count_placeholders(sql);
    if (std::cmp_not_equal(counted_placeholders_, types_.size()))
        raise_parameter_count_mismatch(counted_placeholders_, types_.size(), sql);
}

void ParamEncoder::count_placeholders(std::string_view sql) {
    int highest = 0;
    for (const auto& span : lex_sql(sql)) {
        if (span.kind != SqlSpanKind::code) continue;
        for (std::size_t i = span.begin; i + 1 < span.end; ++i) {
            // $n, not the tail of a name such as a$1
            if (sql[i] != '$' || (i > span.begin && (is_name_char(sql[i - 1]) || sql[i - 1] == '$')))
                continue;
            int n = 0;
            std::size_t j = i + 1;
            for (; j < span.end && sql[j] >= '0' && sql[j] <= '9' && std::cmp_less_equal(n, max_parameters);
                 ++j)
                n = n * 10 + (sql[j] - '0');
            if (j > i + 1) highest = std::max(highest, n);
            i = j - 1;
        }
    }
    counted_sql_.assign(sql);
    counted_placeholders_ = highest;
}

void ParamEncoder::encode(std::span<const Param> params, std::string_view sql) {
    if (params.size() > max_parameters) raise_too_many_parameters(params.size(), sql);
    types_.clear();
    values_.clear();
    lengths_.clear();
    formats_.clear();
    buffer_.clear();
    binds_timestamp_ = false;
    std::size_t total = 0;
    for (const auto& p : params) total += encoded_size(p);
    // Reserving everything up front keeps the pointers taken below valid while appending.
    buffer_.reserve(total);

    int index = 0;
    for (const auto& p : params) {
        ++index;
        if (p.bytes.size() > max_field_size) raise_parameter_too_large(index, sql);
        const char* value = buffer_.data() + buffer_.size();
        Oid type = oid::unspecified;
        int format = binary_format;
        switch (p.type) {
        case ParamType::null: value = nullptr; break;
        case ParamType::boolean:
            type = oid::boolean;
            buffer_ += p.boolean ? '\1' : '\0';
            break;
        case ParamType::integer:
            // Always eight bytes: the last four of them are the int4 encoding of any value
            // that fits, so widen_integers() only has to move the pointer back.
            append_be(buffer_, static_cast<std::uint64_t>(p.integer), 8);
            if (fits_int4(p.integer)) {
                type = oid::int4;
                value += 4;
            } else {
                type = oid::int8;
            }
            break;
        case ParamType::real:
            type = oid::float8;
            append_be(buffer_, std::bit_cast<std::uint64_t>(p.real), 8);
            break;
        case ParamType::text:
            if (std::memchr(p.bytes.data(), '\0', p.bytes.size())) raise_text_parameter_with_nul(index, sql);
            if (const auto at = invalid_utf8_at(p.bytes); at != std::string_view::npos)
                raise_text_parameter_not_utf8(index, at, sql);
            format = text_format;
            buffer_ += p.bytes;
            buffer_ += '\0';
            break;
        case ParamType::blob:
            type = oid::bytea;
            // A null pointer would mean SQL NULL, so an empty blob points at "".
            value = p.bytes.empty() ? "" : p.bytes.data();
            break;
        case ParamType::timestamp: {
            type = oid::timestamptz;
            binds_timestamp_ = true;
            std::int64_t since_2000 = 0;
            if (__builtin_sub_overflow(p.integer, epoch_offset_micros, &since_2000) ||
                since_2000 == timestamp_infinity || since_2000 == timestamp_minus_infinity)
                raise_parameter_out_of_range(index, "timestamp", sql);
            append_be(buffer_, static_cast<std::uint64_t>(since_2000), 8);
            break;
        }
        case ParamType::date: {
            type = oid::date;
            // Into a TIMESTAMPTZ column, or beside one, a date is the zone's midnight.
            binds_timestamp_ = true;
            std::int64_t since_2000 = 0;
            if (__builtin_sub_overflow(p.integer, epoch_offset_days, &since_2000) ||
                since_2000 <= date_minus_infinity || since_2000 >= date_infinity)
                raise_parameter_out_of_range(index, "date", sql);
            append_be(buffer_, static_cast<std::uint64_t>(since_2000), 4);
            break;
        }
        }
        types_.push_back(type);
        values_.push_back(value);
        int length = 0;
        if (p.type == ParamType::blob) length = static_cast<int>(p.bytes.size());
        else if (value) length = static_cast<int>(buffer_.data() + buffer_.size() - value);
        lengths_.push_back(length);
        formats_.push_back(format);
    }
}

void ParamEncoder::widen_integers(std::span<const Oid> declared) noexcept {
    for (std::size_t i = 0; i < types_.size() && i < declared.size(); ++i) {
        if (types_[i] != oid::int4 || declared[i] != oid::int8) continue;
        types_[i] = oid::int8;
        values_[i] -= 4;
        lengths_[i] = 8;
    }
}

}  // namespace alchemy::detail::pg
