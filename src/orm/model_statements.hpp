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

    /// SELECT every column FROM t WHERE `column` IN (`count` parameters) ORDER BY `column`
    /// (where an index the mapping declares starts with it), `then_by` [DESC] (unless it
    /// is column_count) and the key. Relationship loads pad their keys to one of
    /// in_list_sizes, so few texts are ever cached, and send as many as the largest size
    /// the dialect's parameter limit allows.
    std::string_view select_where_in(const Dialect& dialect, const ModelOps& ops, std::size_t column,
                                     std::size_t count, std::size_t then_by, bool descending);
    static constexpr std::array<std::size_t, 7> in_list_sizes{1, 4, 16, 64, 256, 1024, 4096};
    /// `values` sorted, each once, cut into lists of one of in_list_sizes parameters (the
    /// last value repeated to fill a list), each as long as the dialect's parameter limit
    /// allows: the IN lists of the statements above.
    static std::vector<std::vector<Param>> in_lists(const Dialect& dialect, std::vector<std::int64_t> values);

    /// SELECT `column`, count(*) FROM t WHERE `column` IN (`count` parameters) GROUP BY
    /// `column` HAVING count(*) > 1: the values several rows share (a HasOne's check).
    std::string_view shared_values(const Dialect& dialect, const ModelOps& ops, std::size_t column,
                                   std::size_t count);

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
        /// [column, count, then_by, descending]
        std::map<std::tuple<std::size_t, std::size_t, std::size_t, bool>, std::string> select_in;
        std::map<std::tuple<std::size_t, std::size_t, bool>, std::string>
            association_rows;                                               ///< [a, b, insert]
        std::map<std::pair<std::size_t, std::size_t>, std::string> shared;  ///< [column, count]
    };
    Texts& texts(const Dialect& dialect) { return texts_[dialect.id()]; }
    /// `text`, rendered by `render` under the lock if it is still empty.
    template <class Render>
    std::string_view cached(std::string& text, Render&& render);

    std::mutex mutex_;
    std::array<Texts, max_dialects> texts_;
};

}  // namespace alchemy::detail
