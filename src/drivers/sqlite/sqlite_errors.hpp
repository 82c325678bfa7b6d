// SQLite result codes → SQLSTATE, and the one way the SQLite driver raises errors.
#pragma once

#include "drivers/sqlite/sqlite_handle.hpp"

#include <string>
#include <string_view>

namespace alchemy::detail::sqlite {

/// The SQLSTATE for an extended result code; SQLITE_ERROR is refined by its message,
/// which is the only place SQLite says "syntax error" or "no such table".
std::string_view sqlstate_for(int extended_code, std::string_view message) noexcept;

/// True for codes after which the database file cannot be trusted (corruption, I/O).
bool is_fatal(int extended_code) noexcept;

/// Throws the DatabaseError matching `extended_code`, marking `handle` broken when the
/// code is fatal. `message` is SQLite's text, read before any reset could replace it.
[[noreturn]] void raise_error(Handle& handle, int extended_code, std::string message, std::string_view sql);

}  // namespace alchemy::detail::sqlite
