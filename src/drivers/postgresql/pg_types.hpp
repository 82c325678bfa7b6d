// PostgreSQL's built-in type OIDs that the driver binds or decodes, and their names
// for error messages. The values are fixed by the server (pg_type.dat).
#pragma once

#include <libpq-fe.h>

#include <string>

namespace alchemy::detail::pg {

namespace oid {
inline constexpr Oid unspecified = 0;  // the server infers the type from context
inline constexpr Oid boolean = 16;
inline constexpr Oid bytea = 17;
inline constexpr Oid char_ = 18;  // the one-byte "char"
inline constexpr Oid name = 19;
inline constexpr Oid int8 = 20;
inline constexpr Oid int2 = 21;
inline constexpr Oid int4 = 23;
inline constexpr Oid text = 25;
inline constexpr Oid oid = 26;
inline constexpr Oid json = 114;
inline constexpr Oid xml = 142;
inline constexpr Oid float4 = 700;
inline constexpr Oid float8 = 701;
inline constexpr Oid unknown = 705;
inline constexpr Oid bpchar = 1042;
inline constexpr Oid varchar = 1043;
inline constexpr Oid date = 1082;
inline constexpr Oid time = 1083;
inline constexpr Oid timestamp = 1114;
inline constexpr Oid timestamptz = 1184;
inline constexpr Oid numeric = 1700;
inline constexpr Oid uuid = 2950;
inline constexpr Oid jsonb = 3802;
}  // namespace oid

/// "int4", "timestamptz", ... or "type oid 1234" for types the driver does not know.
std::string type_name(Oid type);

}  // namespace alchemy::detail::pg
