#include "alchemy/orm/detail/merge_memo.hpp"

#include <unordered_map>

namespace alchemy::detail {

struct MergeMemo::Table {
    std::unordered_map<const void*, std::shared_ptr<void>> merged;
};

MergeMemo::MergeMemo() noexcept = default;
MergeMemo::~MergeMemo() = default;

std::shared_ptr<void> MergeMemo::merged(const void* source) const {
    if (!table_) return nullptr;
    const auto it = table_->merged.find(source);
    return it == table_->merged.end() ? nullptr : it->second;
}

void MergeMemo::remember(const void* source, std::shared_ptr<void> merged) {
    if (!table_) table_ = std::make_unique<Table>();
    table_->merged.emplace(source, std::move(merged));
}

}  // namespace alchemy::detail
