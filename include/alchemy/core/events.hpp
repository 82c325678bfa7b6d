// Engine events: SQLAlchemy's event.listens_for(engine, "connect" | "checkout" | "checkin"
// | "begin" | "before_cursor_execute"), registered with Engine::on_connect() and friends.
#pragma once

#include "alchemy/core/param.hpp"

#include <functional>
#include <span>
#include <string_view>

namespace alchemy {

class Connection;
class DriverConnection;

/// "connect", "checkout", "checkin": receives the database connection itself (SQLAlchemy
/// passes the DBAPI connection), outside any transaction.
using ConnectionEvent = std::function<void(DriverConnection& connection)>;
/// "begin": the Connection whose transaction just began.
using BeginEvent = std::function<void(Connection& conn)>;
/// "before_cursor_execute": the statement about to run and its parameters (for a batch,
/// every row's, back to back, and `executemany` is true).
using CursorExecuteEvent = std::function<void(Connection& conn, std::string_view statement,
                                              std::span<const Param> parameters, bool executemany)>;

}  // namespace alchemy
