// The runtime description of a schema: tables, columns, types and constraints.
//
// sa::metadata<Models...>() builds these from the compile-time mapping; the migrations
// layer reads a live database into the same types, so the two can be compared with ==.
// Every constraint and index carries its name: names come from one naming convention
// (naming.hpp), so anything created can be dropped again by name later.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace alchemy {

/// Portable column types; each dialect renders its own spelling.
enum class TypeKind : std::uint8_t {
    boolean,
    small_integer,     ///< 8- and 16-bit integers
    integer,           ///< 32-bit integers
    big_integer,       ///< 64-bit integers (and unsigned 32-bit)
    single_precision,  ///< float: REAL on PostgreSQL (C++ names with "real" mean double)
    double_precision,  ///< double
    text,              ///< std::string; VARCHAR(n) when a length is given
    blob,              ///< std::vector<std::byte>
    timestamp,         ///< UTC timestamp (std::chrono::sys_time)
    date,              ///< std::chrono::year_month_day
};

/// True for the kinds a database can count up: SMALLINT, INTEGER, BIGINT.
constexpr bool is_integer_kind(TypeKind kind) noexcept {
    return kind == TypeKind::small_integer || kind == TypeKind::integer || kind == TypeKind::big_integer;
}

struct ColumnType {
    TypeKind kind = TypeKind::text;
    int length = 0;  ///< for text: VARCHAR(length) when positive, else unbounded TEXT
    /// Set only by inspect(), for a database type no kind describes exactly
    /// ("numeric(12,2)", "jsonb", "timestamp without time zone"): the catalog's spelling,
    /// which DDL writes as it is. `kind` is then the nearest kind. Empty for models.
    std::string database_type{};
    /// Set only by PostgreSQL's inspect(), for a column of a domain: the domain's name,
    /// which DDL writes in place of the type, so that a downgrade gives the column its
    /// domain and the domain's constraints back. `kind`, `length` and `database_type` then
    /// describe the domain's base type, which is what autogenerate compares with a model's.
    std::string domain{};
    /// Set only by PostgreSQL's inspect(), for a column whose collation is not its type's
    /// default: the collation's name as SQL writes it, which DDL writes after the type
    /// (COLLATE). The models cannot declare one, so autogenerate does not compare it, and
    /// a type change it writes keeps the column's.
    std::string collation{};

    friend bool operator==(const ColumnType&, const ColumnType&) = default;
};

struct Column {
    std::string name;
    ColumnType type;
    bool nullable = false;
    /// The database generates the value (identity / rowid) when none is given.
    bool autoincrement = false;
    /// Set only by PostgreSQL's inspect(), for an identity column GENERATED ALWAYS, which
    /// refuses a value given explicitly: DDL writes ALWAYS in place of BY DEFAULT. The
    /// models cannot declare it, so autogenerate does not compare it, and a downgrade's
    /// inspected column brings its own.
    bool generated_always = false;
    /// SQL expression used when a row omits the column, e.g. "CURRENT_TIMESTAMP" or "'n/a'".
    std::optional<std::string> server_default;
    /// The column's previous name, declared in the mapping so autogenerate writes a
    /// rename instead of drop + add. Never set on an inspected column.
    std::optional<std::string> renamed_from;

    friend bool operator==(const Column&, const Column&) = default;
};

struct PrimaryKey {
    std::string name;
    std::vector<std::string> columns;
    friend bool operator==(const PrimaryKey&, const PrimaryKey&) = default;
};

struct UniqueConstraint {
    std::string name;
    std::vector<std::string> columns;
    friend bool operator==(const UniqueConstraint&, const UniqueConstraint&) = default;
};

struct Index {
    std::string name;
    std::vector<std::string> columns;
    bool unique = false;
    friend bool operator==(const Index&, const Index&) = default;
};

/// What happens to referencing rows when the referenced row is deleted or updated.
enum class ReferentialAction : std::uint8_t { no_action, restrict, cascade, set_null, set_default };

struct ForeignKey {
    std::string name;
    std::vector<std::string> columns;
    std::string referred_table;
    std::vector<std::string> referred_columns;
    ReferentialAction on_delete = ReferentialAction::no_action;
    ReferentialAction on_update = ReferentialAction::no_action;
    /// Set only by PostgreSQL's inspect(): DEFERRABLE, and INITIALLY DEFERRED (checked at
    /// COMMIT). The models cannot declare either, so autogenerate does not compare them,
    /// and a foreign key it drops and adds again under the same name keeps the database's.
    bool deferrable = false;
    bool initially_deferred = false;
    friend bool operator==(const ForeignKey&, const ForeignKey&) = default;
};

struct CheckConstraint {
    std::string name;
    std::string sql;  ///< the boolean SQL expression, as written in the mapping
    friend bool operator==(const CheckConstraint&, const CheckConstraint&) = default;
};

struct Table {
    std::string name;
    std::vector<Column> columns;
    PrimaryKey primary_key;
    std::vector<UniqueConstraint> unique_constraints;
    std::vector<Index> indexes;
    std::vector<ForeignKey> foreign_keys;
    std::vector<CheckConstraint> check_constraints;
    /// The table's previous name (see Column::renamed_from).
    std::optional<std::string> renamed_from;
    /// Set only by SQLite's inspect(), for a table declared WITHOUT ROWID: one with rowids
    /// keeps them through a rebuild (an index of full text or another table may name them).
    bool without_rowid = false;

    /// The column called `name`, or nullptr.
    const Column* column(std::string_view name) const noexcept;
    friend bool operator==(const Table&, const Table&) = default;
};

}  // namespace alchemy
