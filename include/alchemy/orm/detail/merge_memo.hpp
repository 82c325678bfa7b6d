// MergeMemo: what one session.merge() has merged so far.
#pragma once

#include <memory>

namespace alchemy::detail {

/// The objects one merge() has merged so far (source -> the session's), so that a graph
/// with cycles (a parent and its children) is merged once per object. Its table is
/// compiled code (src/orm/merge_memo.cpp): a model's merge() instantiates no hash table.
class MergeMemo {
public:
    MergeMemo() noexcept;
    ~MergeMemo();
    MergeMemo(const MergeMemo&) = delete;
    MergeMemo& operator=(const MergeMemo&) = delete;

    /// The session's object `source` was merged into, or null.
    std::shared_ptr<void> merged(const void* source) const;
    void remember(const void* source, std::shared_ptr<void> merged);

private:
    struct Table;
    std::unique_ptr<Table> table_;  ///< made at the first remember()
};

}  // namespace alchemy::detail
