// Rows bound as column arrays: one binary array parameter per column, for the statements
// of Dialect::inserts_from_column_arrays (INSERT ... SELECT ... FROM unnest($1, $2, ...)).
// However many rows, the server parses one short statement with as many parameters as
// there are columns.
//
// Each array's element type is the column's own type as the server reports it
// (pg_column_types.cpp), and each element is encoded as COPY encodes a field of that type
// (pg_copy_format.hpp). A value goes into an array only where that gives exactly what the
// server makes of the same value bound on its own (pg_params.cpp) in that column; anywhere
// else the caller binds the rows one value at a time instead.
#include "alchemy/core/error.hpp"
#include "drivers/postgresql/pg_connection.hpp"
#include "drivers/postgresql/pg_types.hpp"

#include <cmath>
#include <limits>

namespace alchemy::detail::pg {
namespace {

/// True when `value` in an array of `element` stores what the server stores from it bound
/// as a parameter of its own (a text parameter has no type, so the column's input function
/// reads it; others are converted by the server's cast to the column's type).
bool encodes_as_bound(Oid element, const Param& value) noexcept {
    switch (value.type) {
    case ParamType::null: return true;
    case ParamType::boolean: return element == oid::boolean;
    case ParamType::integer:
        // Not float4: the server converts an int8 to float4 in one rounding, COPY's
        // encoding through a double in two.
        return element == oid::int2 || element == oid::int4 || element == oid::int8 ||
               element == oid::float8 || element == oid::numeric;
    case ParamType::real: {
        if (element == oid::float8) return true;
        if (element != oid::float4) return false;  // numeric: the server keeps 15 digits of a double
        // The server refuses a double that float4 cannot hold, overflowing or underflowing to
        // zero; leave those to it.
        const double v = value.real;
        if (!std::isfinite(v) || v == 0) return true;
        return std::fabs(v) <= std::numeric_limits<float>::max() && static_cast<float>(v) != 0;
    }
    case ParamType::text:
        // Not name (its input cuts long text, its binary form refuses it), xml (its binary form
        // honours an encoding declaration) or numeric (its input takes spaces and underscores).
        return element == oid::text || element == oid::varchar || element == oid::bpchar ||
               element == oid::json || element == oid::jsonb || element == oid::uuid;
    case ParamType::blob: return element == oid::bytea;
    case ParamType::timestamp: return element == oid::timestamptz || element == oid::timestamp;
    case ParamType::date:
        return element == oid::date || element == oid::timestamptz || element == oid::timestamp;
    }
    return false;
}

}  // namespace

bool PgConnection::binds_column_arrays(std::string_view table, std::span<const std::string_view> columns,
                                       std::span<const Param> params) {
    if (columns.empty()) return false;
    const auto& types = column_types(table, columns);
    if (types.size() != columns.size()) return false;
    for (const Oid type : types)
        if (array_type(type) == oid::unspecified) return false;
    for (std::size_t i = 0; i < params.size(); ++i)
        if (!encodes_as_bound(types[i % types.size()], params[i])) return false;
    return true;
}

Cursor& PgConnection::execute_column_arrays(std::string_view sql, std::string_view table,
                                            std::span<const std::string_view> columns,
                                            std::span<const Param> params) {
    refuse_while_streaming();
    params_.encode_arrays(params, column_types(table, columns), columns, sql);
    try {
        return run_encoded(sql);
    } catch (const DatabaseError&) {
        // The table may have changed under the remembered types; ask again next time.
        forget_column_types(table, columns);
        throw;
    }
}

}  // namespace alchemy::detail::pg
