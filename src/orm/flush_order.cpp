// The order of a flush: which models' rows go first, and, among tables whose foreign keys
// form a cycle (a table referring to itself, or teams and players referring to each
// other), which rows. SQLAlchemy's unit of work does the same in two steps: it sorts
// mappers, and sorts the rows one by one where the mappers' dependencies form a cycle.
#include "alchemy/core/error.hpp"
#include "alchemy/orm/detail/model_set.hpp"
#include "alchemy/orm/detail/relationship_ops.hpp"
#include "alchemy/orm/detail/session_core.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <numeric>
#include <string>
#include <tuple>
#include <unordered_map>

namespace alchemy::detail {
namespace {

/// A row refers to row `to`, which must be written first.
struct Reference {
    std::size_t to;
    bool next_wave;  ///< in an earlier statement, not only earlier in the same batch
    /// The relationship whose key the flush writes into the referring row once `to` has
    /// been inserted; null for a reference made by a foreign-key value.
    const RelationshipOps* waits_for_key = nullptr;
};

/// The rows of one flush and what each refers to.
class RowGraph {
public:
    explicit RowGraph(std::size_t rows) : refers_(rows) {}

    void add(std::size_t from, Reference r) {
        if (from != r.to) refers_[from].push_back(r);
    }

    /// Walks the rows depth first, from row 0 on. `rank` puts each row after those it
    /// refers to; `wave` is 0 for a row that refers to none, else the highest wave of the
    /// rows it refers to, plus one across a `next_wave` reference. A reference that closes
    /// a cycle goes to `on_cycle`, which throws or lets it be (the database then judges).
    /// An explicit stack: a chain of 100 000 rows must not overflow the call stack.
    template <class OnCycle>
    void order(OnCycle on_cycle) {
        const auto n = refers_.size();
        wave.assign(n, 0);
        rank.assign(n, 0);
        enum : char { unseen, open, placed };
        std::vector<char> mark(n, unseen);
        struct Frame {
            std::size_t row;
            std::size_t next = 0;
        };
        std::vector<Frame> stack;
        std::size_t ranked = 0;
        for (std::size_t start = 0; start < n; ++start) {
            if (mark[start] != unseen) continue;
            mark[start] = open;
            stack.push_back({start});
            while (!stack.empty()) {
                const auto row = stack.back().row;
                const auto& refs = refers_[row];
                if (stack.back().next < refs.size()) {
                    const auto& r = refs[stack.back().next++];
                    if (mark[r.to] == open) {
                        on_cycle(r);
                    } else if (mark[r.to] == unseen) {
                        mark[r.to] = open;
                        stack.push_back({r.to});
                    }
                    continue;
                }
                for (const auto& r : refs)
                    if (mark[r.to] == placed)
                        wave[row] = std::max(wave[row], wave[r.to] + (r.next_wave ? 1 : 0));
                mark[row] = placed;
                rank[row] = ranked++;
                stack.pop_back();
            }
        }
    }

    std::vector<std::size_t> wave, rank;

private:
    std::vector<std::vector<Reference>> refers_;
};

[[noreturn]] void throw_cycle(const RelationshipOps& rel) {
    throw FlushError(fmt::format(
        "alchemy: {}.{} refers to a new {} that refers back to it through the relationships of new "
        "objects: the new objects' relationships form a cycle (each needs another's generated key), "
        "so none of them can be inserted first; set one of the references after a flush, or mark "
        "one relationship of the cycle sa::relationship(...).post_update()",
        rel.owner().model_name, rel.name, rel.target().model_name));
}

/// A hashable spelling of a non-NULL parameter value.
void append_key_text(const Param& p, std::string& out) {
    out.push_back(static_cast<char>(p.type));
    if (p.type == ParamType::text || p.type == ParamType::blob) {
        out.append(std::to_string(p.bytes.size())).push_back(':');
        out.append(p.bytes);
    } else {
        char raw[sizeof(std::int64_t)];
        std::memcpy(raw, &p.integer, sizeof raw);  // the union's widest member; Param() zeroes it
        out.append(raw, sizeof raw);
    }
}

std::size_t column_index(const Table& table, std::string_view name) {
    const auto& columns = table.columns;
    const auto it =
        std::find_if(columns.begin(), columns.end(), [&](const Column& c) { return c.name == name; });
    return static_cast<std::size_t>(it - columns.begin());
}

/// The values of `columns` of `values` as one key text; false when one is NULL.
bool key_text(const ModelOps& ops, const void* values, std::span<const std::size_t> columns, ParamBuffer& one,
              std::string& out) {
    out.clear();
    for (auto c : columns) {
        ColumnMask mask;
        mask.set(c);
        one.clear();
        ops.bind_columns(values, mask, one);
        if (one.params().front().type == ParamType::null) return false;
        append_key_text(one.params().front(), out);
    }
    return true;
}

/// The rows of a group's sets, numbered one after the other: set s has rows
/// [first[s], first[s + 1]).
struct Rows {
    std::span<ModelSetCore* const> sets;
    std::vector<std::size_t> first;
};

/// A foreign key of row `row` of set `set` to clear before the DELETEs.
struct KeyToClear {
    std::size_t set, row, column;
};

/// Whether `column` of `ops`' table is the foreign key of a post_update relationship.
bool post_updated(const ModelOps& ops, std::span<const std::size_t> columns) {
    return columns.size() == 1 &&
           std::any_of(ops.relationships.begin(), ops.relationships.end(), [&](const RelationshipOps* rel) {
               return rel->to_one() && rel->post_update && rel->foreign_key == columns.front();
           });
}

/// Adds the references that foreign-key values make between rows of the group: a row
/// whose foreign key holds the key of another row of the group. `values(s, i)` gives
/// row i of set s; with `skip_new_keys`, a row whose key the database has yet to
/// generate is referred to by none. With `to_clear`, a reference through the foreign key
/// of a post_update relationship goes there instead.
template <class Values>
void add_value_references(const Rows& rows, Values values, bool skip_new_keys, RowGraph& graph,
                          std::vector<KeyToClear>* to_clear = nullptr) {
    std::unordered_map<std::string, std::size_t> row_of_key;
    std::string text;
    ParamBuffer scratch;
    std::vector<std::size_t> columns, referred;
    for (std::size_t s = 0; s < rows.sets.size(); ++s) {
        const auto& table = rows.sets[s]->table();
        for (const auto& fk : table.foreign_keys) {
            for (std::size_t t = 0; t < rows.sets.size(); ++t) {
                const auto& target = rows.sets[t]->table();
                if (target.name != fk.referred_table) continue;
                columns.clear();
                referred.clear();
                for (const auto& name : fk.columns) columns.push_back(column_index(table, name));
                for (const auto& name : fk.referred_columns) referred.push_back(column_index(target, name));
                row_of_key.clear();
                const auto& target_ops = rows.sets[t]->ops();
                for (std::size_t i = rows.first[t]; i < rows.first[t + 1]; ++i) {
                    const void* row = values(t, i - rows.first[t]);
                    if (skip_new_keys && target_ops.needs_generated_key(row)) continue;
                    if (key_text(target_ops, row, referred, scratch, text)) row_of_key.emplace(text, i);
                }
                const bool cleared = to_clear && post_updated(rows.sets[s]->ops(), columns);
                for (std::size_t i = rows.first[s]; i < rows.first[s + 1]; ++i) {
                    if (!key_text(rows.sets[s]->ops(), values(s, i - rows.first[s]), columns, scratch, text))
                        continue;
                    const auto it = row_of_key.find(text);
                    if (it == row_of_key.end() || it->second == i) continue;
                    if (cleared) to_clear->push_back({s, i - rows.first[s], columns.front()});
                    else graph.add(i, {it->second, s != t});
                }
            }
        }
    }
}

/// Whether a table of the group has a foreign key to a table of the group.
bool refers_within(std::span<ModelSetCore* const> sets) {
    return std::any_of(sets.begin(), sets.end(), [&](const ModelSetCore* set) {
        return std::any_of(set->table().foreign_keys.begin(), set->table().foreign_keys.end(),
                           [&](const ForeignKey& fk) {
                               return std::any_of(sets.begin(), sets.end(), [&](const ModelSetCore* to) {
                                   return to->table().name == fk.referred_table;
                               });
                           });
    });
}

/// The rows of set s, from `rows.first[s]` on, in the order (wave, rank) puts them, or
/// its reverse; with the wave of each, in that order.
std::vector<std::size_t> sorted_rows(const Rows& rows, std::size_t s, const RowGraph& graph, bool reverse,
                                     std::vector<std::size_t>& waves) {
    std::vector<std::size_t> order(rows.first[s + 1] - rows.first[s]);
    std::iota(order.begin(), order.end(), std::size_t{0});
    const auto key = [&](std::size_t i) {
        const auto row = rows.first[s] + i;
        return std::pair(graph.wave[row], graph.rank[row]);
    };
    std::sort(order.begin(), order.end(),
              [&](std::size_t a, std::size_t b) { return reverse ? key(b) < key(a) : key(a) < key(b); });
    waves.clear();
    for (auto i : order) waves.push_back(graph.wave[rows.first[s] + i]);
    return order;
}

}  // namespace

void SessionCore::order_groups() {
    std::vector<ModelSetCore*> sets;
    for (auto& set : sets_)
        if (set) sets.push_back(set.get());
    const auto n = sets.size();
    // reaches[i][j]: table i refers to table j, directly or through others. A session
    // uses tens of models, and this runs once per model it starts to use.
    std::vector<std::vector<bool>> reaches(n, std::vector<bool>(n, false));
    for (std::size_t i = 0; i < n; ++i)
        for (const auto& fk : sets[i]->table().foreign_keys)
            for (std::size_t j = 0; j < n; ++j)
                if (j != i && sets[j]->table().name == fk.referred_table) reaches[i][j] = true;
    for (std::size_t k = 0; k < n; ++k)
        for (std::size_t i = 0; i < n; ++i)
            if (reaches[i][k])
                for (std::size_t j = 0; j < n; ++j)
                    if (reaches[k][j]) reaches[i][j] = true;
    flush_order_.clear();
    group_ends_.clear();
    group_of_.assign(sets_.size(), 0);
    std::vector<bool> placed(n, false);
    while (flush_order_.size() < n) {
        for (std::size_t i = 0; i < n; ++i) {
            if (placed[i]) continue;
            const auto in_group = [&](std::size_t j) { return j == i || (reaches[i][j] && reaches[j][i]); };
            bool ready = true;
            for (std::size_t j = 0; j < n && ready; ++j)
                if (!placed[j] && reaches[i][j] && !in_group(j)) ready = false;
            if (!ready) continue;
            for (std::size_t j = 0; j < n; ++j) {
                if (!in_group(j)) continue;
                placed[j] = true;
                group_of_[sets[j]->ops().model_id] = group_ends_.size();
                flush_order_.push_back(sets[j]);
            }
            group_ends_.push_back(flush_order_.size());
        }
    }
    flush_order_stale_ = false;
}

std::span<ModelSetCore* const> SessionCore::group(std::size_t g) const noexcept {
    const auto begin = g == 0 ? 0 : group_ends_[g - 1];
    return std::span<ModelSetCore* const>(flush_order_).subspan(begin, group_ends_[g] - begin);
}

bool SessionCore::collect_group(std::size_t g) {
    const auto group_of = [&](std::size_t model) {
        return model < group_of_.size() ? group_of_[model] : SIZE_MAX;
    };
    deferred_keys_.clear();
    for (std::size_t k = 0; k < foreign_keys_.size(); ++k) {
        const auto& w = foreign_keys_[k];
        if (!to_write(w) || group_of(w.rel->owner_id()) != g) continue;
        const auto& target_ops = w.rel->target();
        const auto* target = w.target ? target_ops.state_of(w.target) : nullptr;
        const bool names_new_row_of_group = target && target->session == this &&
                                            target->state == ObjectState::pending &&
                                            group_of(target_ops.model_id) == g;
        if (names_new_row_of_group) deferred_keys_.push_back(k);
        else write_foreign_key(w);
    }
    bool any = false;
    for (auto* set : group(g)) any = set->collect_flush() || any;
    return any;
}

void SessionCore::save_group(std::size_t g) {
    // The keys that wait for a new row of the group: a new object's goes in before its
    // INSERT, in a wave after that row's; a post_update key (the INSERT sends NULL), and
    // the key of an object that has a row, by an UPDATE after the INSERTs.
    std::vector<std::size_t> before_insert, post_updates, after_inserts;
    // A new object that takes a deleted object's row (a row switch) is sent by an UPDATE
    // after the INSERTs, of every column, and has its key given: it waits for no INSERT.
    const auto switches_row = [&](std::size_t model, const InstanceState* state) {
        return state && state->session == this && sets_[model]->switches_row(*state);
    };
    for (auto k : deferred_keys_) {
        const auto& w = foreign_keys_[k];
        const auto& target = w.rel->target();
        if (w.state->state != ObjectState::pending || switches_row(w.rel->owner_id(), w.state)) {
            after_inserts.push_back(k);
        } else if (switches_row(target.model_id, w.target ? target.state_of(w.target) : nullptr)) {
            write_foreign_key(w);
        } else if (w.rel->post_update) {
            post_updates.push_back(k);
            set_foreign_key(w.owner, w.rel->owner(), w.rel->foreign_key, std::nullopt);
        } else {
            before_insert.push_back(k);
        }
    }
    const auto sets = group(g);
    std::size_t new_rows = 0;
    for (auto* set : sets) new_rows += set->new_count();
    if (new_rows > 0) update_before_inserts(sets, after_inserts);
    const bool values_refer = new_rows > 1 && refers_within(sets);
    if (before_insert.empty() && !values_refer) {
        // The usual case: the rows of each model in one wave, in the order they came.
        for (auto* set : sets)
            if (set->new_count() > 0) set->insert_rows(0, set->new_count());
    } else {
        insert_in_waves(sets, before_insert, values_refer);
    }
    // The keys written now, by the set whose UPDATEs they join.
    std::vector<std::pair<ModelSetCore*, ModelSetCore::LateKey>> late;
    for (auto k : post_updates) {
        const auto& w = foreign_keys_[k];
        write_foreign_key(w);
        late.push_back({sets_[w.rel->owner_id()].get(), {w.state, w.rel->foreign_key, true}});
    }
    for (auto k : after_inserts) {
        const auto& w = foreign_keys_[k];
        if (write_foreign_key(w))
            late.push_back({sets_[w.rel->owner_id()].get(), {w.state, w.rel->foreign_key, false}});
    }
    std::stable_sort(late.begin(), late.end(), [](const auto& a, const auto& b) {
        return a.first->ops().model_id < b.first->ops().model_id;
    });
    std::vector<ModelSetCore::LateKey> keys;
    for (auto begin = late.begin(); begin != late.end();) {
        const auto end =
            std::find_if(begin, late.end(), [&](const auto& k) { return k.first != begin->first; });
        keys.clear();
        for (auto it = begin; it != end; ++it) keys.push_back(it->second);
        begin->first->update_later(keys);
        begin = end;
    }
    for (auto* set : sets) set->flush_updates();
}

void SessionCore::update_before_inserts(std::span<ModelSetCore* const> sets,
                                        std::span<const std::size_t> after_inserts) {
    // As SQLAlchemy's unit of work does for a table: an UPDATE that lets go of a unique
    // value (a HasOne's replaced child, its foreign key set to NULL) runs before the
    // INSERT that takes it. The UPDATEs that may need a new row stay after the INSERTs.
    std::vector<InstanceState*> waiting;
    for (auto k : after_inserts) waiting.push_back(foreign_keys_[k].state);
    for (auto* set : sets) {
        const auto& table = set->table();
        ColumnMask may_name_new_rows;
        for (const auto& fk : table.foreign_keys)
            if (std::any_of(sets.begin(), sets.end(),
                            [&](const ModelSetCore* to) { return to->table().name == fk.referred_table; }))
                for (const auto& name : fk.columns) may_name_new_rows.set(column_index(table, name));
        set->flush_updates_first(waiting, may_name_new_rows);
    }
}

void SessionCore::insert_in_waves(std::span<ModelSetCore* const> sets, std::span<const std::size_t> keys,
                                  bool values_refer) {
    Rows rows{sets, {0}};
    for (auto* set : sets) rows.first.push_back(rows.first.back() + set->new_count());
    RowGraph graph(rows.first.back());
    if (values_refer)
        add_value_references(
            rows, [&](std::size_t s, std::size_t i) { return sets[s]->new_object(i); }, true, graph);
    std::unordered_map<const void*, std::size_t> row_of;
    for (std::size_t s = 0; s < sets.size() && !keys.empty(); ++s)
        for (std::size_t i = 0; i < sets[s]->new_count(); ++i)
            row_of.emplace(sets[s]->new_object(i), rows.first[s] + i);
    std::vector<std::pair<std::size_t, std::size_t>> keys_by_wave;  // (owner's row, then its wave; write)
    for (auto k : keys) {
        const auto& w = foreign_keys_[k];
        // Both are new objects of the group (collect_group()).
        const auto owner = row_of.at(w.owner.get());
        const auto target = row_of.at(w.target.get());
        if (owner == target) throw_cycle(*w.rel);  // a new object that names itself
        graph.add(owner, {target, true, w.rel});
        keys_by_wave.emplace_back(owner, k);
    }
    graph.order([](const Reference& r) {
        // Rows with given keys that refer to each other: the database judges them.
        if (r.waits_for_key) throw_cycle(*r.waits_for_key);
    });
    for (auto& [row, k] : keys_by_wave) row = graph.wave[row];
    std::stable_sort(keys_by_wave.begin(), keys_by_wave.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<std::vector<std::size_t>> waves(sets.size());
    std::size_t last_wave = 0;
    for (std::size_t s = 0; s < sets.size(); ++s) {
        sets[s]->order_inserts(sorted_rows(rows, s, graph, false, waves[s]));
        if (!waves[s].empty()) last_wave = std::max(last_wave, waves[s].back());
    }
    auto next_key = keys_by_wave.begin();
    for (std::size_t wave = 0; wave <= last_wave; ++wave) {
        // The rows of the waves before have their keys: the keys waiting for them go in.
        for (; next_key != keys_by_wave.end() && next_key->first == wave; ++next_key)
            write_foreign_key(foreign_keys_[next_key->second]);
        for (std::size_t s = 0; s < sets.size(); ++s) {
            const auto [from, to] = std::equal_range(waves[s].begin(), waves[s].end(), wave);
            if (from != to)
                sets[s]->insert_rows(static_cast<std::size_t>(from - waves[s].begin()),
                                     static_cast<std::size_t>(to - waves[s].begin()));
        }
    }
}

void SessionCore::delete_group(std::size_t g) {
    const auto sets = group(g);
    std::size_t deleted = 0;
    for (auto* set : sets) deleted += set->deleted_count();
    if (deleted == 0) return;  // an autoflush of UPDATEs allocates nothing here
    if (deleted == 1 || !refers_within(sets)) {
        for (auto it = sets.rbegin(); it != sets.rend(); ++it)
            if ((*it)->deleted_count() > 0) (*it)->delete_rows(0, (*it)->deleted_count());
        return;
    }
    Rows rows{sets, {0}};
    for (auto* set : sets) rows.first.push_back(rows.first.back() + set->deleted_count());
    // Each row before the rows it refers to: the reverse of the order they would be inserted in.
    RowGraph graph(rows.first.back());
    std::vector<KeyToClear> to_clear;
    add_value_references(
        rows, [&](std::size_t s, std::size_t i) { return rows.sets[s]->deleted_row(i); }, false, graph,
        &to_clear);
    // post_update keys between these rows: NULL first, by set and column, so that no
    // DELETE meets a row that still refers to it.
    std::sort(to_clear.begin(), to_clear.end(), [](const KeyToClear& a, const KeyToClear& b) {
        return std::tie(a.set, a.column, a.row) < std::tie(b.set, b.column, b.row);
    });
    for (auto begin = to_clear.begin(); begin != to_clear.end();) {
        const auto end = std::find_if(begin, to_clear.end(), [&](const KeyToClear& k) {
            return k.set != begin->set || k.column != begin->column;
        });
        std::vector<std::size_t> cleared;
        for (auto it = begin; it != end; ++it) cleared.push_back(it->row);
        rows.sets[begin->set]->clear_before_delete(begin->column, cleared);
        begin = end;
    }
    graph.order([](const Reference&) {});  // rows referring to each other: the database judges
    std::vector<std::vector<std::size_t>> waves(rows.sets.size());
    std::size_t last_wave = 0;
    for (std::size_t s = 0; s < rows.sets.size(); ++s) {
        rows.sets[s]->order_deletes(sorted_rows(rows, s, graph, true, waves[s]));
        if (!waves[s].empty()) last_wave = std::max(last_wave, waves[s].front());
    }
    for (auto wave = last_wave + 1; wave-- > 0;) {
        for (auto s = rows.sets.size(); s-- > 0;) {
            const auto [from, to] =
                std::equal_range(waves[s].begin(), waves[s].end(), wave, std::greater<>());
            if (from != to)
                rows.sets[s]->delete_rows(static_cast<std::size_t>(from - waves[s].begin()),
                                          static_cast<std::size_t>(to - waves[s].begin()));
        }
    }
}

}  // namespace alchemy::detail
