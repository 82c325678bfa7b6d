// SQLite result decoding: random bytes stored as TEXT, BLOB, INTEGER, REAL or NULL in a table
// of an in-memory database, read back through the driver
// (src/drivers/sqlite/sqlite_statement.cpp) as every C++ type: each read returns a value or
// throws DataError.
//
// Input: byte 0 picks the storage class, the rest is the value (INTEGER and REAL take its
// first 8 bytes).
#include "contract.hpp"
#include "read_all.hpp"

#include <alchemy/alchemy.hpp>

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <span>
#include <string_view>

namespace {

namespace sa = alchemy;

/// The driver connection of an in-memory database with a table of one untyped column.
sa::DriverConnection& connection() {
    static sa::Engine engine = sa::create_engine("sqlite://");
    static sa::Connection conn = engine.connect();
    static sa::DriverConnection& driver = []() -> sa::DriverConnection& {
        auto& d = conn.driver_connection();
        d.execute_script("CREATE TABLE fuzzed (v)");
        return d;
    }();
    return driver;
}

std::uint64_t first_8_bytes(std::span<const std::uint8_t> bytes) {
    std::uint64_t v = 0;
    std::memcpy(&v, bytes.data(), std::min(bytes.size(), sizeof v));
    return v;
}

sa::Value stored_value(std::uint8_t storage, std::span<const std::uint8_t> bytes) {
    const std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    switch (storage % 5) {
    case 0: return sa::Value(sa::Param::of_text(text));
    case 1: return sa::Value(sa::Param::of_blob(std::as_bytes(bytes)));
    case 2: return sa::Value(sa::Param::of_int(static_cast<std::int64_t>(first_8_bytes(bytes))));
    case 3: return sa::Value(sa::Param::of_real(std::bit_cast<double>(first_8_bytes(bytes))));
    default: return sa::Value(sa::Param::null());
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    auto& conn = connection();
    const auto value = stored_value(data[0], {data + 1, size - 1});
    conn.execute_script("DELETE FROM fuzzed");
    const sa::Param param = value.param();
    // Storing is not the subject here: a value the driver refuses to bind is skipped.
    if (!alchemy::fuzz::succeeds_or_throws<alchemy::Error>(
            [&] { conn.execute("INSERT INTO fuzzed (v) VALUES (?)", {&param, 1}).close(); }))
        return 0;
    auto& cursor = conn.execute("SELECT v FROM fuzzed", {});
    if (!cursor.next()) std::abort();
    alchemy::fuzz::read_every_type(cursor);
    cursor.close();
    return 0;
}
