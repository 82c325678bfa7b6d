// PostgreSQL result decoding: random bytes as one binary-format value of a column type the
// driver knows (or one it does not), read through the driver's cursor
// (src/drivers/postgresql/pg_cursor.cpp) as every C++ type: each read returns a value or
// throws DataError. The result is built with libpq's own PQmakeEmptyPGresult/PQsetvalue,
// so the cursor sees what it sees after a query.
//
// Input: byte 0 picks the column type, byte 1 bit 0 makes the value NULL, the rest is the
// value. Fixed-width types get exactly their width (padded with zeros or cut), as the
// server's binary send functions always send it, unless byte 1 bit 1 asks for the bytes as
// they are (a value of the wrong size must be refused, not read past its end);
// variable-width ones (numeric, text, bytea, jsonb, ...) always get the bytes as they are.
#include "contract.hpp"
#include "read_all.hpp"

#include "drivers/postgresql/pg_cursor.hpp"
#include "drivers/postgresql/pg_handles.hpp"
#include "drivers/postgresql/pg_types.hpp"

#include <libpq-fe.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <iterator>
#include <string>
#include <utility>

namespace {

namespace pg = alchemy::detail::pg;

struct ColumnType {
    Oid oid;
    int width;  // bytes of a binary value; 0: variable
};

constexpr ColumnType types[] = {
    {pg::oid::boolean, 1},   {pg::oid::bytea, 0},       {pg::oid::char_, 0},
    {pg::oid::name, 0},      {pg::oid::int8, 8},        {pg::oid::int2, 2},
    {pg::oid::int4, 4},      {pg::oid::text, 0},        {pg::oid::oid, 4},
    {pg::oid::json, 0},      {pg::oid::xml, 0},         {pg::oid::float4, 4},
    {pg::oid::float8, 8},    {pg::oid::unknown, 0},     {pg::oid::bpchar, 0},
    {pg::oid::varchar, 0},   {pg::oid::date, 4},        {pg::oid::time, 8},
    {pg::oid::timestamp, 8}, {pg::oid::timestamptz, 8}, {pg::oid::numeric, 0},
    {pg::oid::uuid, 16},     {pg::oid::jsonb, 0},       {1186 /* interval: unknown here */, 16},
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    const auto& type = types[data[0] % std::size(types)];
    const bool is_null = (data[1] & 1) != 0;
    const bool any_size = (data[1] & 2) != 0;
    std::string value(reinterpret_cast<const char*>(data + 2), size - 2);
    if (type.width > 0 && !any_size) value.resize(static_cast<std::size_t>(type.width), '\0');

    pg::ResultHandle result(PQmakeEmptyPGresult(nullptr, PGRES_TUPLES_OK));
    char name[] = "v";
    PGresAttDesc column{};
    column.name = name;
    column.format = 1;  // binary, as the driver asks for
    column.typid = type.oid;
    column.typlen = static_cast<int>(type.width > 0 ? type.width : -1);
    column.atttypmod = -1;
    if (!result || !PQsetResultAttrs(result.get(), 1, &column) ||
        !PQsetvalue(result.get(), 0, 0, is_null ? nullptr : value.data(),
                    is_null ? -1 : static_cast<int>(value.size())))
        std::abort();

    pg::PgCursor cursor;
    cursor.open(std::move(result), "SELECT v");
    if (!cursor.next()) std::abort();
    alchemy::fuzz::read_every_type(cursor);
    if (cursor.next()) std::abort();
    cursor.close();
    return 0;
}
