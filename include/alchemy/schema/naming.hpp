// The naming convention for constraints and indexes (SQLAlchemy's recommended one):
//   pk_<table>   uq_<table>_<columns>   ix_<table>_<columns>
//   fk_<table>_<columns>_<referred table>   ck_<table>_<name>
// Names longer than PostgreSQL's 63-byte limit are cut and end in a short hash, so
// they stay unique and deterministic.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace alchemy::naming {

std::string primary_key(std::string_view table);
std::string unique(std::string_view table, std::span<const std::string> columns);
std::string index(std::string_view table, std::span<const std::string> columns);
std::string foreign_key(std::string_view table, std::span<const std::string> columns,
                        std::string_view referred_table);
std::string check(std::string_view table, std::string_view name);

/// Fits `name` into 63 bytes: unchanged if short enough, else a prefix + "_" + 8 hex digits.
std::string truncate(std::string name);

}  // namespace alchemy::naming
