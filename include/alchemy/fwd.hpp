// Forward declarations of the types a program names in its own headers, so a header can
// declare functions and members that take or return them without including
// <alchemy/alchemy.hpp>:
//
//   #include <alchemy/fwd.hpp>
//   void save_report(alchemy::Session& session, const alchemy::URL& archive);
//
// Only declarations, and no other header: including it costs nothing measurable. The
// file that calls or defines such a function includes the headers that define the types.
#pragma once

namespace alchemy {

// core
struct URL;
struct EngineOptions;
class Engine;
class Connection;
class Transaction;
struct ExecuteOptions;
class Dialect;
class Driver;
class Error;
class Value;
template <class Row>
struct row_traits;
/// Rows of a statement (core/result.hpp); Result<> has none.
template <class Row = void, class Reader = row_traits<Row>>
class Result;

// schema: tables, and the relationship members a model declares
struct Table;
class MetaData;
/// Many-to-one: this row refers to one Target through a foreign-key column.
template <class Target>
class BelongsTo;
/// One-to-many: Target rows refer to this row (through Target's BelongsTo).
template <class Target>
class HasMany;
/// One-to-one: one Target row refers to this row (SQLAlchemy's uselist=False).
template <class Target>
class HasOne;
/// Many-to-many through the association model `Association`.
template <class Target, class Association>
class ManyToMany;

// sql
template <class Row>
class InsertResult;

// orm
class Session;
class SessionTransaction;
template <class T>
class ScalarResult;

}  // namespace alchemy
