// The SQL texts the unit of work runs for one model: SELECT, INSERT, UPDATE and DELETE by
// primary key, built through the sql layer's statement tree from the model's Table and
// rendered once per dialect, then shared by every Session (and thread).
#pragma once

#include "alchemy/core/dialect.hpp"
#include "alchemy/orm/detail/model_ops.hpp"

#include <array>
#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

namespace alchemy::detail {

struct ModelStatements {
    /// SELECT every column FROM t WHERE key.
    std::string_view select_by_key(const Dialect& dialect, const ModelOps& ops);
    /// DELETE FROM t WHERE key [AND version].
    std::string_view delete_row(const Dialect& dialect, const ModelOps& ops);
    /// INSERT INTO t (its columns but those of `omitted`, which the database fills) VALUES
    /// `rows` rows [RETURNING the columns of returned_by_insert()]. Full batches and
    /// single rows are cached; other row counts are rendered into `scratch`.
    std::string_view insert(const Dialect& dialect, const ModelOps& ops, const ColumnMask& omitted,
                            std::size_t rows, std::string& scratch);
    /// The same INSERT leaving out only the generated key, without RETURNING: its rows'
    /// keys are learnt through key_numbering().
    std::string_view insert_unreturned(const Dialect& dialect, const ModelOps& ops, std::size_t rows,
                                       std::string& scratch);
    /// The dialect's statements telling how an INSERT numbers the model's generated key
    /// (Dialect::key_numbering_sql).
    const KeyNumberingSql& key_numbering(const Dialect& dialect, const ModelOps& ops);
    /// The dialect's statements taking keys for rows the flush loads by COPY
    /// (Dialect::reserved_keys_sql).
    const ReservedKeysSql& reserved_keys(const Dialect& dialect, const ModelOps& ops);
    /// What an INSERT leaving out `omitted` returns, in column order: nothing when it
    /// leaves out nothing, the omitted columns, and the key when it was given (to tell
    /// which row is which object's).
    static ColumnMask returned_by_insert(const ModelOps& ops, const ColumnMask& omitted);
    /// UPDATE t SET the columns of `changed` [, onupdate columns] [, version] WHERE key
    /// [AND version] [RETURNING the columns of returned_by_update()]: binds the changed
    /// values in column order, the new version, the key, the old version.
    std::string_view update(const Dialect& dialect, const ModelOps& ops, const ColumnMask& changed);
    /// UPDATE t SET `column` = NULL WHERE key: a post_update key cleared before the
    /// DELETEs of a cycle of rows (the DELETE checks the version).
    std::string_view set_null(const Dialect& dialect, const ModelOps& ops, std::size_t column);
    /// The sa::onupdate() columns an UPDATE of `changed` sets to their SQL: those the
    /// flush does not set itself.
    static ColumnMask onupdate_columns(const ModelOps& ops, const ColumnMask& changed);
    /// What an UPDATE of `changed` returns, in column order: nothing without onupdate
    /// columns, else the key and the onupdate columns.
    static ColumnMask returned_by_update(const ModelOps& ops, const ColumnMask& changed);
    /// What an UPDATE of `changed` writes: those columns, the version and the onupdate
    /// columns. The snapshot takes these after it (ModelSetCore::finish_flush).
    static ColumnMask written_by_update(const ModelOps& ops, const ColumnMask& changed);
    /// PostgreSQL: UPDATE of `rows` rows from a VALUES list (see
    /// render_update_from_values), with the onupdate columns and RETURNING of update();
    /// full chunks are cached, others go into `scratch`.
    std::string_view update_from_values(const Dialect& dialect, const ModelOps& ops,
                                        const ColumnMask& changed, std::size_t rows, std::string& scratch);

    /// The keys of one statement that loads rows by `column` (a relationship load, a
    /// HasOne's check): either keys that follow one another, sent as the first and the
    /// last for `column BETWEEN ? AND ?`, two comparisons per row scanned or one stretch
    /// of an index, where an IN list costs a search of the list per row or an index
    /// lookup per key; or an IN list, padded to one of in_list_sizes (the last key
    /// repeated) so that few texts are ever cached.
    struct KeyBatch {
        std::vector<Param> params;
        bool range = false;
    };
    static constexpr std::array<std::size_t, 7> in_list_sizes{1, 4, 16, 64, 256, 1024, 4096};
    /// `values` sorted, each once, as one range when they follow one another and
    /// `column` is an integer column (SQLite would compare a text column's values with the
    /// bounds as text), else cut into IN lists each as long as the dialect's parameter
    /// limit allows. (A SQLite row whose integer column holds a fraction, which alchemy
    /// never writes, falls in a range where no IN list takes it; reading it into the
    /// integer then fails loudly.)
    static std::vector<KeyBatch> key_batches(const Dialect& dialect, const ModelOps& ops, std::size_t column,
                                             std::vector<std::int64_t> values);

    /// SELECT every column FROM t WHERE `column` is one of `keys` ORDER BY `column`
    /// (where an index the mapping declares starts with it), `then_by` [DESC] (unless it
    /// is column_count) and the key; without ORDER BY when `unordered`, for a caller that
    /// orders the rows itself or needs no order.
    std::string_view select_where_keys(const Dialect& dialect, const ModelOps& ops, std::size_t column,
                                       const KeyBatch& keys, std::size_t then_by, bool descending,
                                       bool unordered);

    /// SELECT `column`, count(*) FROM t WHERE `column` is one of `keys` GROUP BY `column`
    /// HAVING count(*) > 1: the values several rows share (a HasOne's check).
    std::string_view shared_values(const Dialect& dialect, const ModelOps& ops, std::size_t column,
                                   const KeyBatch& keys);

    /// One row of an association table: INSERT INTO t (a, b) VALUES (?, ?), or (`insert`
    /// false) DELETE FROM t WHERE a = ? AND b = ?.
    std::string_view association_row(const Dialect& dialect, const ModelOps& ops, std::size_t a,
                                     std::size_t b, bool insert);

    /// Rows per INSERT statement leaving out `omitted` (sql/rows_per_statement.hpp's rule).
    static std::size_t insert_batch_rows(const Dialect& dialect, const ModelOps& ops,
                                         const ColumnMask& omitted);
    /// Rows per UPDATE ... FROM (VALUES ...) statement for `changed`.
    static std::size_t update_chunk_rows(const Dialect& dialect, const ModelOps& ops,
                                         const ColumnMask& changed);

private:
    struct Texts {
        std::string select_by_key, delete_row;
        /// [omitted]
        std::unordered_map<ColumnMask, std::string, ColumnMaskHash> insert_one, insert_batch;
        std::string insert_unreturned_batch;
        std::optional<KeyNumberingSql> key_numbering;
        std::optional<ReservedKeysSql> reserved_keys;
        std::unordered_map<ColumnMask, std::string, ColumnMaskHash> updates, update_chunks;
        std::map<std::size_t, std::string> set_null;  ///< [column]
        /// [column, range, parameters, then_by, descending, unordered]
        std::map<std::tuple<std::size_t, bool, std::size_t, std::size_t, bool, bool>, std::string>
            select_where_keys;
        std::map<std::tuple<std::size_t, std::size_t, bool>, std::string>
            association_rows;  ///< [a, b, insert]
        std::map<std::tuple<std::size_t, bool, std::size_t>, std::string>
            shared;  ///< [column, range, parameters]
    };
    Texts& texts(const Dialect& dialect) { return texts_[dialect.id()]; }
    /// `text`, rendered by `render` under the lock if it is still empty.
    template <class Render>
    std::string_view cached(std::string& text, Render&& render);

    std::mutex mutex_;
    std::array<Texts, max_dialects> texts_;
};

}  // namespace alchemy::detail
