// Names and array types of the PostgreSQL types the driver knows.
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

Oid array_type(Oid element) noexcept {
    switch (element) {
    case oid::boolean: return 1000;
    case oid::bytea: return 1001;
    case oid::char_: return 1002;
    case oid::name: return 1003;
    case oid::int8: return 1016;
    case oid::int2: return 1005;
    case oid::int4: return 1007;
    case oid::text: return 1009;
    case oid::oid: return 1028;
    case oid::json: return 199;
    case oid::xml: return 143;
    case oid::float4: return 1021;
    case oid::float8: return 1022;
    case oid::bpchar: return 1014;
    case oid::varchar: return 1015;
    case oid::date: return 1182;
    case oid::time: return 1183;
    case oid::timestamp: return 1115;
    case oid::timestamptz: return 1185;
    case oid::numeric: return 1231;
    case oid::uuid: return 2951;
    case oid::jsonb: return 3807;
    default: return oid::unspecified;
    }
}

}  // namespace alchemy::detail::pg
