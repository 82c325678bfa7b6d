// SQL text built once per statement shape and dialect, then reused: a repeated
// statement costs a lookup of an atomic flag, not a render. Texts are kept by Dialect::id(),
// so each dialect, the built-in ones and any other, has its own.
#pragma once

#include "alchemy/core/dialect.hpp"

#include <array>
#include <atomic>
#include <cstddef>
#include <map>
#include <mutex>
#include <string>
#include <type_traits>
#include <utility>

namespace alchemy::detail {

/// One rendered SQL text per dialect for the statement shape `Shape` (a tag type), or
/// per dialect and variant for a statement type with `Variants` run-time shapes (LIMIT
/// and OFFSET each given or not, in it or in a query it embeds: shape_variant.hpp).
/// Sets `text` to render(dialect, context) the first time any thread asks for it, then
/// `ready`. Compiled (src/sql/sql_cache.cpp), so that a statement type adds no call_once of
/// its own.
const std::string& render_once(std::once_flag& once, std::atomic<bool>& ready, std::string& text,
                               const Dialect& dialect, std::string (*render)(const Dialect&, const void*),
                               const void* context);

template <class Shape, std::size_t Variants = 1>
struct sql_cache {
    template <class Render>
    static const std::string& get(const Dialect& dialect, Render&& render) {
        return get(dialect, 0, std::forward<Render>(render));
    }
    /// `variant` < Variants.
    template <class Render>
    static const std::string& get(const Dialect& dialect, std::size_t variant, Render&& render) {
        // Dialect's constructor keeps every id below max_dialects.
        const auto slot = dialect.id() * Variants + variant;
        // Once rendered, the text is read after one acquire load: std::call_once itself
        // costs about 40 instructions a statement even when done.
        if (ready_[slot].load(std::memory_order_acquire)) return text_[slot];
        using R = std::remove_reference_t<Render>;
        return render_once(
            once_[slot], ready_[slot], text_[slot], dialect,
            [](const Dialect& d, const void* r) -> std::string { return (*static_cast<const R*>(r))(d); },
            &render);
    }
    /// How many times a text was rendered (for tests that prove the reuse).
    static std::size_t renders() noexcept {
        std::size_t n = 0;
        for (const auto& t : text_) n += t.empty() ? 0 : 1;
        return n;
    }

private:
    static inline std::array<std::once_flag, max_dialects * Variants> once_{};
    static inline std::array<std::atomic<bool>, max_dialects * Variants> ready_{};
    static inline std::array<std::string, max_dialects * Variants> text_{};
};

/// Like sql_cache, for statements whose shape is known only at run time (which columns
/// an INSERT of objects leaves to the database, and its row count): one text per dialect
/// and Key.
template <class Tag, class Key>
struct keyed_sql_cache {
    template <class Render>
    static const std::string& get(const Dialect& dialect, const Key& key, Render&& render) {
        const std::pair<DialectId, Key> slot{dialect.id(), key};
        std::lock_guard lock(mutex_);
        if (auto it = texts_.find(slot); it != texts_.end()) return it->second;
        // A map never moves what it holds, so the reference stays valid for every caller.
        return texts_.emplace(slot, render(dialect)).first->second;
    }

private:
    static inline std::mutex mutex_;
    static inline std::map<std::pair<DialectId, Key>, std::string> texts_;
};

}  // namespace alchemy::detail
