// ParamBuffer: the parameters of one statement, plus storage for values that had to be
// converted on the way (a type_adapter's string, say), so every Param stays valid until
// the statement has run. The first few parameters live in the buffer itself, so a Core
// statement run once allocates nothing for them; reused across executions, it allocates
// only while growing.
#pragma once

#include "alchemy/core/param.hpp"
#include "alchemy/core/value.hpp"

#include <array>
#include <forward_list>
#include <span>
#include <utility>
#include <vector>

namespace alchemy {

class ParamBuffer {
public:
    ParamBuffer() = default;
    // A copy's parameters would still point into the original's owned values.
    ParamBuffer(const ParamBuffer&) = delete;
    ParamBuffer& operator=(const ParamBuffer&) = delete;
    ParamBuffer(ParamBuffer&& other) noexcept
        : inline_(other.inline_),
          spilled_(std::move(other.spilled_)),
          size_(std::exchange(other.size_, 0)),
          owned_(std::move(other.owned_)) {}
    ParamBuffer& operator=(ParamBuffer&& other) noexcept {
        if (this == &other) return *this;
        inline_ = other.inline_;
        spilled_ = std::move(other.spilled_);
        size_ = std::exchange(other.size_, 0);
        owned_ = std::move(other.owned_);
        return *this;
    }

    void add(Param p) {
        if (size_ < inline_capacity) {
            inline_[size_++] = p;
            return;
        }
        if (size_ == inline_capacity) spilled_.assign(inline_.begin(), inline_.end());
        spilled_.push_back(p);
        ++size_;
    }
    /// Keeps `v` alive in the buffer and binds a view of it.
    void add_owned(Value v) {
        // A forward_list never moves its elements and, unlike a deque, allocates nothing
        // until the first owned value: most statements bind only views.
        add(owned_.emplace_front(std::move(v)).param());
    }
    void clear() noexcept {
        size_ = 0;
        spilled_.clear();
        owned_.clear();
    }
    std::span<const Param> params() const noexcept {
        if (size_ <= inline_capacity) return {inline_.data(), size_};
        return spilled_;
    }
    std::size_t size() const noexcept { return size_; }

private:
    /// Enough for a lookup by key, an UPDATE of a few columns or a small INSERT.
    static constexpr std::size_t inline_capacity = 8;
    std::array<Param, inline_capacity> inline_{};
    std::vector<Param> spilled_;  ///< all of them, once there are more than inline_capacity
    std::size_t size_ = 0;
    std::forward_list<Value> owned_;
};

}  // namespace alchemy
