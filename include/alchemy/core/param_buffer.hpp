// ParamBuffer: the parameters of one statement, plus storage for values that had to be
// converted on the way (a type_adapter's string, say), so every Param stays valid until
// the statement has run. Reused across executions, it allocates only while growing.
#pragma once

#include "alchemy/core/param.hpp"
#include "alchemy/core/value.hpp"

#include <deque>
#include <span>
#include <vector>

namespace alchemy {

class ParamBuffer {
public:
    void add(Param p) { params_.push_back(p); }
    /// Keeps `v` alive in the buffer and binds a view of it.
    void add_owned(Value v) {
        owned_.push_back(std::move(v));  // deque: earlier elements never move
        params_.push_back(owned_.back().param());
    }
    void clear() noexcept {
        params_.clear();
        owned_.clear();
    }
    std::span<const Param> params() const noexcept { return params_; }
    std::size_t size() const noexcept { return params_.size(); }

private:
    std::vector<Param> params_;
    std::deque<Value> owned_;
};

}  // namespace alchemy
