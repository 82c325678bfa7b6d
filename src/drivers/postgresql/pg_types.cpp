// Names of the PostgreSQL types the driver knows, for messages that say what a column is.
#include "drivers/postgresql/pg_types.hpp"

#include <fmt/format.h>

namespace alchemy::detail::pg {

std::string type_name(Oid type) {
    switch (type) {
    case oid::boolean: return "bool";
    case oid::bytea: return "bytea";
    case oid::char_: return "\"char\"";
    case oid::name: return "name";
    case oid::int8: return "int8";
    case oid::int2: return "int2";
    case oid::int4: return "int4";
    case oid::text: return "text";
    case oid::oid: return "oid";
    case oid::json: return "json";
    case oid::xml: return "xml";
    case oid::float4: return "float4";
    case oid::float8: return "float8";
    case oid::unknown: return "unknown";
    case oid::bpchar: return "bpchar";
    case oid::varchar: return "varchar";
    case oid::date: return "date";
    case oid::time: return "time";
    case oid::timestamp: return "timestamp";
    case oid::timestamptz: return "timestamptz";
    case oid::numeric: return "numeric";
    case oid::uuid: return "uuid";
    case oid::jsonb: return "jsonb";
    default: return fmt::format("type oid {}", type);
    }
}

}  // namespace alchemy::detail::pg
