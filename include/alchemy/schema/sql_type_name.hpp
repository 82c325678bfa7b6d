// The SQL name of a column type on one dialect, spelled as CREATE TABLE writes it
// ("BIGINT", "VARCHAR(80)", "TIMESTAMP WITH TIME ZONE"), for statements that name a
// column's type themselves, such as a CAST.
#pragma once

#include "alchemy/core/dialect.hpp"
#include "alchemy/schema/table.hpp"

#include <string>

namespace alchemy {

/// `type` as `dialect` spells it in DDL; throws CompileError for a dialect without DDL
/// support.
std::string sql_type_name(const Dialect& dialect, const ColumnType& type);

}  // namespace alchemy
