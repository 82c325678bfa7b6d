// ModelSet<T>: a session's objects of model T — the identity map, the list of attached
// objects in the order they came, and T's part of each flush (batched INSERTs with the
// generated keys written back, UPDATEs of only the changed columns, DELETEs), with what
// commit, rollback and close do to each object's state.
#pragma once

#include "alchemy/core/error.hpp"
#include "alchemy/orm/detail/persistence.hpp"
#include "alchemy/orm/detail/session_core.hpp"
#include "alchemy/orm/object_state.hpp"
#include "alchemy/schema/model_table.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace alchemy::detail {

/// The order that puts every row after the row its self-referencing foreign key names
/// (rows whose parent is not among them keep their place). `keys[i]` is row i's key,
/// `parents[i]` the value of its foreign key column.
std::vector<std::size_t> parents_first(std::span<const Param> keys, std::span<const Param> parents);

/// The foreign key of T's table that refers to T's own single-column key, as
/// (column, referred column); column_count when there is none.
template <class T>
std::pair<std::size_t, std::size_t> self_reference(const Table& table) {
    constexpr std::size_t none = model_info<T>::column_count;
    auto index = [](std::string_view name) {
        for (std::size_t c = 0; c < model_info<T>::column_count; ++c)
            if (model_info<T>::columns[c].name == name) return c;
        return none;
    };
    for (const auto& fk : table.foreign_keys)
        if (fk.referred_table == table.name && fk.columns.size() == 1)
            return {index(fk.columns.front()), index(fk.referred_columns.front())};
    return {none, none};
}

/// Binds column `c` (known at run time) of `obj`.
template <class T>
void bind_column(const T& obj, std::size_t c, ParamBuffer& out) {
    for_each_column<T>([&](auto column) {
        if (column.value == c) column_codec<T, column.value>::bind(field_of<column.value>(obj), out);
    });
}

/// The one generated (autoincrement) column of T, or column_count.
template <class T>
inline constexpr std::size_t generated_column = [] {
    for (std::size_t c = 0; c < model_info<T>::column_count; ++c)
        if (model_info<T>::columns[c].autoincrement) return c;
    return model_info<T>::column_count;
}();

template <class T>
class ModelSet final : public ModelSetBase {
    static constexpr std::size_t columns = model_info<T>::column_count;
    static constexpr bool has_generated = generated_column<T> < columns;
    using key = key_type<T>;
    using generated_field =
        std::conditional_t<has_generated, field_type_t<T, model_info<T>::columns[has_generated ? generated_column<T> : 0].field>, char>;

    struct Slot {
        std::shared_ptr<T> object;
        TypedState<T>* state = nullptr;
    };
    struct Update {
        TypedState<T>* state;
        T* object;
        column_mask<T> changed;
    };
    /// What flush_saves wrote into an object before the flush succeeded.
    struct Written {
        TypedState<T>* state;
        T* object;
        generated_field key_before{};
        bool key_written = false;
        std::optional<std::int64_t> version_before{};
    };

public:
    explicit ModelSet(SessionCore& session) : session_(session) {}
    ~ModelSet() override { expunge_all(); }

    const Table& table() const override {
        static const Table t = table_of<T>();
        return t;
    }

    // Attaching and detaching ------------------------------------------------------------

    /// add(): a transient object becomes pending, a detached one persistent again.
    void add(const std::shared_ptr<T>& object) {
        auto& st = state_of(object);
        if (st.session == &session_) {
            st.delete_requested = false;
            return;
        }
        if (st.session)
            throw InvalidRequestError(fmt_message("is already attached to another Session; expunge() it "
                                                  "there first, or merge() a copy into this one"));
        if (st.state == ObjectState::detached || st.state == ObjectState::deleted) {
            const auto k = key_of(st.snapshot);
            if (identity_.contains(k))
                throw InvalidRequestError(fmt_message("cannot be attached: another object with the same "
                                                      "primary key is already in this Session; use merge()"));
            attach(object, st, ObjectState::persistent);
            identity_.emplace(k, &st);
        } else {
            attach(object, st, ObjectState::pending);
        }
    }

    void delete_(const std::shared_ptr<T>& object) {
        auto& st = attached(object, "delete_()");
        if (st.state == ObjectState::pending)
            throw InvalidRequestError(fmt_message("is pending (never flushed), so there is no row to delete; "
                                                  "expunge() it instead"));
        if (st.state == ObjectState::persistent) st.delete_requested = true;
    }

    void expunge(const std::shared_ptr<T>& object) {
        auto& st = attached(object, "expunge()");
        detach(st);
        compact();
    }

    void expire(const std::shared_ptr<T>& object) {
        auto& st = attached(object, "expire()");
        if (st.state == ObjectState::persistent) expire_object(*object, st);
    }

    /// Reloads every column from the database, discarding unflushed changes.
    void refresh(const std::shared_ptr<T>& object) {
        auto& st = attached(object, "refresh()");
        if (st.state != ObjectState::persistent)
            throw InvalidRequestError(fmt_message("is not persistent (pending or deleted); only "
                                                  "objects with a row can be refreshed"));
        discard_changes(*object, st);  // first, or the SELECT's autoflush would write them
        auto row = select_by_key(key_of(st.snapshot));
        if (!row)
            throw InvalidRequestError(fmt_message("could not be refreshed: its row no longer exists"));
        *object = *row;
        st.snapshot = std::move(*row);
        st.expired = false;
    }

    bool contains(const std::shared_ptr<T>& object) const noexcept {
        const auto* st = find_state(object);
        return st && st->session == &session_;
    }

    /// True when the object differs from its snapshot (or is pending).
    bool is_modified(const std::shared_ptr<T>& object) const {
        const auto* st = find_state(object);
        if (!st || st->session != &session_) return false;
        if (st->state == ObjectState::pending) return true;
        return changed_columns(*object, *st).any();
    }

    // Loading ---------------------------------------------------------------------------------

    /// The session's object for a row just read: the one already in the identity map
    /// (refreshed if expired, kept as it is otherwise, as SQLAlchemy does), else a new
    /// persistent object.
    std::shared_ptr<T> adopt(T&& row) {
        auto k = key_of(row);
        if (auto it = identity_.find(k); it != identity_.end()) {
            auto* st = it->second;
            auto& object = slots_[st->slot].object;
            if (st->expired) merge_expired(*object, *st, std::move(row));
            return object;
        }
        auto object = make_tracked(std::move(row));
        auto& st = std::get_deleter<tracked_deleter<T>>(object)->state;
        st.snapshot = *object;
        attach(object, st, ObjectState::persistent);
        identity_.emplace(std::move(k), &st);
        return object;
    }

    /// get<T>(key): the identity map first, then a SELECT; null when there is no row.
    std::shared_ptr<T> get(const key& k) {
        if (auto it = identity_.find(k); it != identity_.end()) {
            auto* st = it->second;
            if (st->delete_requested) return nullptr;
            auto object = slots_[st->slot].object;
            if (!st->expired) return object;
            auto row = select_by_key(k);
            if (!row) return nullptr;
            merge_expired(*object, *st, std::move(*row));
            return object;
        }
        auto row = select_by_key(k);
        return row ? adopt(std::move(*row)) : nullptr;
    }

    /// The persistent object with key `k` if the identity map has it (no SQL).
    std::shared_ptr<T> identity_lookup(const key& k) const {
        auto it = identity_.find(k);
        return it == identity_.end() ? nullptr : slots_[it->second->slot].object;
    }

    /// Each persistent object (for synchronize_session); f(T&, TypedState<T>&).
    template <class F>
    void for_each_persistent(F&& f) {
        for (auto& slot : slots_)
            if (slot.object && slot.state->state == ObjectState::persistent) f(*slot.object, *slot.state);
    }
    /// A bulk DELETE removed the row of `st`: the object is deleted, as after a flush.
    void mark_deleted(TypedState<T>& st) noexcept {
        identity_.erase(key_of(st.snapshot));
        st.state = ObjectState::deleted;
        st.delete_requested = false;
        st.deleted_at_depth = session_.depth();
    }

    // The unit of work --------------------------------------------------------------------------

    bool collect_flush() override {
        inserts_.clear();
        updates_.clear();
        deletes_.clear();
        for (auto& slot : slots_) {
            if (!slot.object) continue;
            auto& st = *slot.state;
            if (st.state == ObjectState::pending) {
                inserts_.push_back({&st, slot.object.get()});
            } else if (st.state == ObjectState::persistent) {
                if (st.delete_requested) {
                    deletes_.push_back({&st, slot.object.get()});
                } else if (auto changed = changed_columns(*slot.object, st); changed.any()) {
                    updates_.push_back({&st, slot.object.get(), changed});
                }
            }
        }
        return !inserts_.empty() || !updates_.empty() || !deletes_.empty();
    }

    void flush_saves(Connection& conn) override {
        // Room for the new objects' keys now, so finish_flush() cannot fail to allocate.
        identity_.reserve(identity_.size() + inserts_.size());
        if (!inserts_.empty()) insert_all(conn);
        if (!updates_.empty()) update_all(conn);
    }

    void flush_deletes(Connection& conn) override {
        if (deletes_.empty()) return;
        order_self_referencing(deletes_);
        std::reverse(deletes_.begin(), deletes_.end());  // children before their parents
        ParamBuffer params;
        for (const auto& d : deletes_) {
            bind_key(d.state->snapshot, params);
            if constexpr (versioned<T>) bind_version(d.state->snapshot, params, 0);
        }
        const auto affected = conn.execute_batch(delete_sql<T>(conn.dialect()), params.params(),
                                                 params.size() / deletes_.size());
        if constexpr (versioned<T>) check_matched("DELETE", affected);
    }

    void finish_flush(std::uint32_t depth) noexcept override {
        for (auto& w : inserts_) {
            auto& st = *w.state;
            st.state = ObjectState::persistent;
            st.snapshot = *w.object;
                st.inserted_at_depth = depth;
            st.key_generated = w.key_written;
            identity_.insert_or_assign(key_of(*w.object), &st);
        }
        for (auto& u : updates_) {
            auto& st = *u.state;
            if constexpr (versioned<T>) field_of<version_column<T>>(*u.object) = next_version(st.snapshot);
            auto old_key = key_of(st.snapshot);
            auto new_key = key_of(*u.object);
            if (old_key != new_key) {
                identity_.erase(old_key);
                identity_.insert_or_assign(std::move(new_key), &st);
            }
            st.snapshot = *u.object;
        }
        for (auto& d : deletes_) mark_deleted(*d.state);
        clear_work();
    }

    void undo_flush() noexcept override {
        for (auto& w : inserts_) {
            if constexpr (has_generated)
                if (w.key_written) field_of<generated_column<T>>(*w.object) = w.key_before;
            if constexpr (versioned<T>)
                if (w.version_before)
                    field_of<version_column<T>>(*w.object) =
                        static_cast<field_type_t<T, model_info<T>::columns[version_column<T>].field>>(*w.version_before);
        }
        clear_work();
    }

    void end_transaction(bool committed, std::uint32_t depth, bool expire) noexcept override {
        for (auto& slot : slots_) {
            if (!slot.object) continue;
            auto& st = *slot.state;
            if (committed) {
                // Deeper levels end with this one (a COMMIT releases open SAVEPOINTs).
                if (st.inserted_at_depth >= depth) st.inserted_at_depth = depth - 1;
                if (st.deleted_at_depth >= depth) st.deleted_at_depth = depth - 1;
                if (depth > 1) continue;
                if (st.state == ObjectState::deleted) detach(st);
                else if (st.state == ObjectState::persistent && expire) st.expired = true;
                continue;
            }
            st.delete_requested = false;
            if (st.state == ObjectState::pending) {
                detach(st);
            } else if (st.inserted_at_depth >= depth) {
                forget_insert(*slot.object, st);
            } else if (st.state == ObjectState::deleted && st.deleted_at_depth >= depth) {
                st.state = ObjectState::persistent;
                st.deleted_at_depth = 0;
                expire_object(*slot.object, st);
                identity_.insert_or_assign(key_of(st.snapshot), &st);
            } else if (st.state == ObjectState::persistent) {
                expire_object(*slot.object, st);
            }
        }
        compact();
    }

    void expire_all() noexcept override {
        for (auto& slot : slots_)
            if (slot.object && slot.state->state == ObjectState::persistent) expire_object(*slot.object, *slot.state);
    }

    void expunge_all() noexcept override {
        for (auto& slot : slots_)
            if (slot.object) detach(*slot.state);
        slots_.clear();
        identity_.clear();
        clear_work();
    }

private:
    struct Work {
        TypedState<T>* state;
        T* object;
    };

    std::string fmt_message(std::string_view what) const {
        return "alchemy: the " + std::string(type_name<T>()) + " object " + std::string(what);
    }

    TypedState<T>& attached(const std::shared_ptr<T>& object, std::string_view operation) {
        auto* st = find_state(object);
        if (!st || st->session != &session_)
            throw_not_in_session(operation, type_name<T>());
        return *st;
    }

    void attach(const std::shared_ptr<T>& object, TypedState<T>& st, ObjectState state) {
        st.session = &session_;
        st.state = state;
        st.slot = slots_.size();
        slots_.push_back({object, &st});
    }

    /// Takes the object out of the session (the slot is compacted away later).
    void detach(TypedState<T>& st) noexcept {
        if (st.state == ObjectState::persistent) identity_.erase(key_of(st.snapshot));
        st.state = st.state == ObjectState::pending ? ObjectState::transient : ObjectState::detached;
        st.session = nullptr;
        st.delete_requested = false;
        st.inserted_at_depth = st.deleted_at_depth = 0;
        slots_[st.slot] = Slot{};
        ++holes_;
    }

    /// A rollback undid the INSERT of this object: it is transient again, without the
    /// key the database generated for it.
    void forget_insert(T& object, TypedState<T>& st) noexcept {
        if (st.state == ObjectState::persistent) identity_.erase(key_of(st.snapshot));
        if constexpr (has_generated)
            if (st.key_generated) field_of<generated_column<T>>(object) = generated_field{};
        st.state = ObjectState::pending;  // detach() turns it transient
        st.key_generated = false;
        st.expired = false;
        detach(st);
    }

    /// Drops the holes detach() left once they are half the list, keeping the order.
    void compact() noexcept {
        if (holes_ * 2 < slots_.size() && holes_ < 1024) return;
        std::erase_if(slots_, [](const Slot& s) { return !s.object; });
        for (std::size_t i = 0; i < slots_.size(); ++i) slots_[i].state->slot = i;
        holes_ = 0;
    }

    column_mask<T> changed_columns(const T& object, const TypedState<T>& st) const {
        column_mask<T> changed;
        for_each_column<T>([&](auto c) {
            if constexpr (c.value != version_column<T>)
                if (!same_value(field_of<c.value>(object), field_of<c.value>(st.snapshot))) changed.set(c.value);
        });
        return changed;
    }

    /// Marks the object out of date and drops its unflushed changes, as SQLAlchemy's
    /// expiry does: a change made before expire() or a rollback must not come back (and
    /// be written by the next flush) once the row is reloaded.
    static void expire_object(T& object, TypedState<T>& st) noexcept {
        discard_changes(object, st);
        st.expired = true;
    }
    /// Puts the snapshot's values back into the object's columns.
    static void discard_changes(T& object, const TypedState<T>& st) noexcept {
        for_each_column<T>([&](auto c) {
            auto& field = field_of<c.value>(object);
            const auto& old = field_of<c.value>(st.snapshot);
            if (!same_value(field, old)) field = old;
        });
    }

    /// Takes the row's values for the columns the user has not changed since the object
    /// expired (a change made after expire() or a commit stays); the snapshot takes all.
    static void merge_expired(T& object, TypedState<T>& st, T&& row) {
        for_each_column<T>([&](auto c) {
            auto& field = field_of<c.value>(object);
            auto& old = field_of<c.value>(st.snapshot);
            if (same_value(field, old)) field = field_of<c.value>(row);
            old = std::move(field_of<c.value>(row));
        });
        st.expired = false;
    }

    std::optional<T> select_by_key(const key& k) {
        session_.autoflush();
        auto& conn = session_.connection();
        ParamBuffer params;
        bind_key_values<T>(k, params);
        return conn.execute_sql(select_by_key_sql<T>(conn.dialect()), params.params()).template as<T>().one_or_none();
    }

    static std::int64_t next_version(const T& snapshot) {
        return static_cast<std::int64_t>(field_of<version_column<T>>(snapshot)) + 1;
    }
    /// Binds the version `snapshot` had, plus `add`.
    static void bind_version(const T& snapshot, ParamBuffer& out, std::int64_t add) {
        out.add(Param::of_int(static_cast<std::int64_t>(field_of<version_column<T>>(snapshot)) + add));
    }

    void check_matched(std::string_view statement, const std::vector<std::int64_t>& affected) const {
        std::size_t matched = 0;
        for (auto n : affected) matched += n == 1 ? 1 : 0;
        if (matched != affected.size()) throw_stale_data(statement, model_info<T>::table_name, affected.size(), matched);
    }

    /// Puts rows of a self-referencing table after the rows they refer to.
    template <class W>
    void order_self_referencing(std::vector<W>& work) const {
        static const auto fk = self_reference<T>(table());
        if (fk.first == columns || work.size() < 2) return;
        ParamBuffer keys, parents;
        for (const auto& w : work) {
            // A pending object has no row yet, so no snapshot: its own values are the row to be.
            const T& values = w.state->state == ObjectState::pending ? *w.object : w.state->snapshot;
            bind_column(values, fk.second, keys);
            bind_column(values, fk.first, parents);
        }
        const auto order = parents_first(keys.params(), parents.params());
        std::vector<W> sorted;
        sorted.reserve(work.size());
        for (auto i : order) sorted.push_back(work[i]);
        work = std::move(sorted);
    }

    void insert_all(Connection& conn) {
        order_self_referencing(inserts_);
        for (auto& w : inserts_) {
            if constexpr (versioned<T>) {
                auto& v = field_of<version_column<T>>(*w.object);
                if (v == 0) {
                    w.version_before = 0;
                    v = 1;
                }
            }
        }
        constexpr std::size_t batch_limit = alchemy::Insert<T>::max_batch_rows;
        ParamBuffer params;
        std::size_t begin = 0;
        while (begin < inserts_.size()) {
            // A batch is a run of objects alike in whether the database generates their key.
            const bool generated = needs_generated_key(*inserts_[begin].object);
            const std::size_t limit = generated && inserted_columns<T, true>().empty() ? 1 : batch_limit;
            std::size_t end = begin + 1;
            while (end < inserts_.size() && end - begin < limit &&
                   needs_generated_key(*inserts_[end].object) == generated)
                ++end;
            params.clear();
            for (std::size_t i = begin; i < end; ++i) bind_columns(*inserts_[i].object, params, generated);
            auto result = conn.execute_sql(insert_sql<T>(conn.dialect(), generated, end - begin), params.params());
            if constexpr (has_generated)
                if (generated) write_generated_keys(result, begin, end);
            begin = end;
        }
    }

    /// Reads the keys RETURNING gave, in ascending order: one statement's generated keys
    /// increase in the order of its VALUES rows on both databases.
    void write_generated_keys(Result<>& result, std::size_t begin, std::size_t end) {
        auto rows = std::move(result).template read_with<generated_field, selected_reader<generated_field, model_column<T, generated_column<T>>>>().all();
        if (rows.size() != end - begin)
            throw FlushError("alchemy: INSERT INTO " + std::string(model_info<T>::table_name) + " returned " +
                             std::to_string(rows.size()) + " generated keys for " + std::to_string(end - begin) +
                             " rows");
        std::sort(rows.begin(), rows.end());
        for (std::size_t i = begin; i < end; ++i) {
            auto& w = inserts_[i];
            auto& field = field_of<generated_column<T>>(*w.object);
            w.key_before = field;
            w.key_written = true;
            field = std::move(rows[i - begin]);
        }
    }

    void update_all(Connection& conn) {
        // Objects with the same changed columns share one statement, run for all of them;
        // groups go in the order their first object came.
        std::vector<column_mask<T>> masks;
        std::unordered_map<column_mask<T>, std::vector<const Update*>> groups;
        for (const auto& u : updates_) {
            auto& group = groups[u.changed];
            if (group.empty()) masks.push_back(u.changed);
            group.push_back(&u);
        }
        ParamBuffer params;
        const bool postgresql = conn.dialect().name() == "postgresql";
        for (const auto& mask : masks) {
            const auto& group = groups[mask];
            if (postgresql) {
                update_from_values(conn, mask, group);
                continue;
            }
            params.clear();
            for (const auto* u : group) bind_update(*u, params);
            const auto affected = conn.execute_batch(update_sql(conn.dialect(), mask), params.params(),
                                                     params.size() / group.size());
            check_matched("UPDATE", affected);
        }
    }

    /// PostgreSQL: one UPDATE ... FROM (VALUES ...) per chunk of rows; its row count must
    /// be the chunk's size, or a row was deleted or its version moved on.
    void update_from_values(Connection& conn, const column_mask<T>& mask, const std::vector<const Update*>& group) {
        std::vector<std::size_t> set_columns;
        for (std::size_t c = 0; c < columns; ++c)
            if (mask[c] || c == version_column<T>) set_columns.push_back(c);
        std::vector<std::size_t> match_columns(model_info<T>::primary_key.begin(), model_info<T>::primary_key.end());
        if constexpr (versioned<T>) match_columns.push_back(version_column<T>);
        const std::size_t width = set_columns.size() + match_columns.size();
        const std::size_t chunk = std::clamp<std::size_t>(30000 / width, 1, 1000);
        ParamBuffer params;
        for (std::size_t begin = 0; begin < group.size(); begin += chunk) {
            const std::size_t rows = std::min(chunk, group.size() - begin);
            params.clear();
            for (std::size_t i = begin; i < begin + rows; ++i) bind_update(*group[i], params);
            std::string adhoc;
            const std::string& sql =
                rows == chunk ? cached_update_from_values(conn.dialect(), mask, set_columns, match_columns, rows)
                              : (adhoc = render_update_from_values(conn.dialect(), table(), set_columns, match_columns, rows));
            const auto matched = conn.execute_sql(sql, params.params()).rowcount();
            if (matched != static_cast<std::int64_t>(rows))
                throw_stale_data("UPDATE", model_info<T>::table_name, rows, static_cast<std::size_t>(matched));
        }
    }
    const std::string& cached_update_from_values(const Dialect& dialect, const column_mask<T>& mask,
                                                 const std::vector<std::size_t>& set_columns,
                                                 const std::vector<std::size_t>& match_columns, std::size_t rows) {
        auto it = update_from_values_sql_.find(mask);
        if (it == update_from_values_sql_.end())
            it = update_from_values_sql_
                     .emplace(mask, render_update_from_values(dialect, table(), set_columns, match_columns, rows))
                     .first;
        return it->second;
    }

    static void bind_update(const Update& u, ParamBuffer& out) {
        for_each_column<T>([&](auto c) {
            if constexpr (c.value == version_column<T>)
                bind_version(u.state->snapshot, out, 1);
            else if (u.changed[c.value])
                column_codec<T, c.value>::bind(field_of<c.value>(*u.object), out);
        });
        bind_key(u.state->snapshot, out);
        if constexpr (versioned<T>) bind_version(u.state->snapshot, out, 0);
    }

    const std::string& update_sql(const Dialect& dialect, const column_mask<T>& changed) {
        auto it = update_sql_.find(changed);
        if (it == update_sql_.end()) it = update_sql_.emplace(changed, render_update<T>(dialect, changed)).first;
        return it->second;
    }

    void clear_work() noexcept {
        inserts_.clear();
        updates_.clear();
        deletes_.clear();
    }

    SessionCore& session_;
    std::vector<Slot> slots_;
    std::size_t holes_ = 0;
    std::unordered_map<key, TypedState<T>*, key_hash<T>> identity_;
    std::vector<Written> inserts_;
    std::vector<Update> updates_;
    std::vector<Work> deletes_;
    std::unordered_map<column_mask<T>, std::string> update_sql_;
    std::unordered_map<column_mask<T>, std::string> update_from_values_sql_;  ///< full chunks
};

}  // namespace alchemy::detail
