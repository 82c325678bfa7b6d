// The prepared-statement cache's lookup, type matching and least-recently-used eviction.
#include "drivers/postgresql/pg_statement_cache.hpp"

#include "drivers/postgresql/pg_types.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <random>

namespace alchemy::detail::pg {
namespace {

/// Whether a parameter declared as `declared` can carry a value encoded as `given`.
bool accepts(Oid declared, Oid given) {
    // An int4 value widens to int8 (ParamEncoder::widen_integers), so a statement that
    // once saw a large integer serves small ones too.
    return declared == given || (declared == oid::int8 && given == oid::int4);
}

}  // namespace

const PreparedStatement* StatementCache::find(std::string_view sql, const ParamEncoder& params) noexcept {
    const auto it = entries_.find(sql);
    if (it == entries_.end()) return nullptr;
    auto& statement = it->second;
    const auto types = params.types();
    if (types.size() != statement.parameter_types.size()) return nullptr;
    for (std::size_t i = 0; i < types.size(); ++i)
        if (params.values()[i] != nullptr && !accepts(statement.parameter_types[i], types[i])) return nullptr;
    statement.last_used = ++clock_;
    return &statement;
}

bool StatementCache::due(std::string_view sql, std::size_t threshold, std::size_t runs) {
    if (threshold == 0 || entries_.contains(sql)) return true;
    auto it = runs_.find(sql);
    if (it == runs_.end()) {
        // An application that builds ever new SQL texts must not grow this without end;
        // forgetting the counts only delays preparing the statements that repeat.
        if (runs_.size() >= 4 * capacity_) runs_.clear();
        it = runs_.emplace(std::string(sql), 0).first;
    }
    it->second += runs;
    if (it->second <= threshold) return false;
    runs_.erase(it);
    return true;
}

void StatementCache::types_to_prepare(std::string_view sql, const ParamEncoder& params,
                                      std::vector<Oid>& types) const {
    types.assign(params.types().begin(), params.types().end());
    const auto it = entries_.find(sql);
    if (it == entries_.end() || it->second.parameter_types.size() != types.size()) return;
    for (std::size_t i = 0; i < types.size(); ++i) {
        const Oid earlier = it->second.parameter_types[i];
        if (params.values()[i] == nullptr || accepts(earlier, types[i])) types[i] = earlier;
    }
}

StatementCache::StatementCache(std::size_t capacity) : capacity_(capacity) {
    std::random_device random;
    const std::uint64_t bits = (std::uint64_t{random()} << 32) ^ random();
    name_prefix_ = fmt::format("alchemy_{:016x}_", bits);
}

std::string StatementCache::next_name() { return name_prefix_ + std::to_string(++names_issued_); }

const PreparedStatement& StatementCache::add(std::string_view sql, std::string name, std::vector<Oid> types) {
    auto it = entries_.find(sql);
    if (it != entries_.end()) {
        retired_.push_back(std::move(it->second.name));
    } else {
        if (entries_.size() >= capacity_) {
            const auto oldest = std::min_element(
                entries_.begin(), entries_.end(),
                [](const auto& a, const auto& b) { return a.second.last_used < b.second.last_used; });
            retired_.push_back(std::move(oldest->second.name));
            entries_.erase(oldest);
        }
        it = entries_.emplace(std::string(sql), PreparedStatement{}).first;
    }
    it->second = {std::move(name), std::move(types), ++clock_};
    return it->second;
}

void StatementCache::retire(std::string_view sql) {
    if (const auto it = entries_.find(sql); it != entries_.end()) {
        retired_.push_back(std::move(it->second.name));
        entries_.erase(it);
    }
}

void StatementCache::clear() noexcept {
    entries_.clear();
    retired_.clear();
    runs_.clear();
}

}  // namespace alchemy::detail::pg
