// ParamBuffer: the parameters of one statement, plus storage for values that had to be
// converted on the way (a type_adapter's string, say), so every Param stays valid until
// the statement has run. Reused across executions, it allocates only while growing.
#pragma once

#include "alchemy/core/param.hpp"
#include "alchemy/core/value.hpp"

#include <forward_list>
#include <span>
#include <vector>

namespace alchemy {

class ParamBuffer {
public:
    void add(Param p) { params_.push_back(p); }
    /// Keeps `v` alive in the buffer and binds a view of it.
    void add_owned(Value v) {
        // A forward_list never moves its elements and, unlike a deque, allocates nothing
        // until the first owned value: most statements bind only views.
        params_.push_back(owned_.emplace_front(std::move(v)).param());
    }
    void clear() noexcept {
        params_.clear();
        owned_.clear();
    }
    std::span<const Param> params() const noexcept { return params_; }
    std::size_t size() const noexcept { return params_.size(); }

private:
    std::vector<Param> params_;
    std::forward_list<Value> owned_;
};

}  // namespace alchemy
