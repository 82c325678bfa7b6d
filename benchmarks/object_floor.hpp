// The floor under alchemy's Session loads (W3, W6): the raw C API loop plus the least
// that any Session handing out identity-mapped objects with dirty detection by snapshot
// (docs/session.md) must do per object, written by hand with nothing else:
//
//   - its own std::shared_ptr: one allocation holding the object, its snapshot and a
//     state word;
//   - the snapshot: a copy of the columns, which a flush compares the object with;
//   - an identity-map entry under its key: an array indexed by key, the least costly map
//     for the workloads' keys, 1 to n (alchemy keeps such keys in a window of its own,
//     include/alchemy/orm/detail/identity_map.hpp);
//   - a weak reference in the session's list, which lets the program drop objects.
//
// No flush, expiry, events or relationship bookkeeping beyond the collection itself.
// alchemy's ratio to this floor is what its own bookkeeping costs; this floor's ratio to
// the raw loop is what the design costs whatever the implementation.
#pragma once

#include "models.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

namespace bench {

/// A session's objects of one model, kept the least costly way; `Extra` rides along with
/// each object (a collection of children), outside its snapshot. The map points at the
/// objects without owning them, so the program holds each one until close() or forget()s
/// it when it drops it (a Session would let dropped ones go; the floor needs no more).
template <class T, class Extra = std::nullptr_t>
class ObjectFloor {
public:
    struct Adopted {
        std::shared_ptr<T> object;
        Extra& extra;
    };

    /// The object with the key of `row` if the map holds one, else a new one made of it.
    Adopted adopt(T&& row) {
        if (Held* held = find(row.id))
            return {std::shared_ptr<T>(list_[held->slot].lock(), &held->object), held->extra};
        auto held = std::make_shared<Held>(std::move(row), list_.size());
        place(held.get());
        list_.emplace_back(held);
        auto* object = &held->object;
        auto& extra = held->extra;
        return {std::shared_ptr<T>(std::move(held), object), extra};
    }

    /// The program dropped its object with key `id`, which nothing flushes: it leaves the
    /// map (its memory goes with the list at close()), so the map points at no freed object.
    void forget(std::int64_t id) {
        if (static_cast<std::size_t>(id) < map_.size()) map_[static_cast<std::size_t>(id)] = nullptr;
    }

    /// What a Session's close() does: the map and the list go, the objects stay.
    void close() {
        map_ = {};
        list_ = {};
    }

    /// The extra of the object with key `id`, or null.
    Extra* extra_of(std::int64_t id) {
        Held* held = find(id);
        return held ? &held->extra : nullptr;
    }

private:
    struct Held {
        Held(T&& row, std::size_t slot) : object(std::move(row)), snapshot(object), slot(slot) {}
        T object;
        T snapshot;
        std::size_t slot;
        std::uint32_t state = 0;
        Extra extra{};
    };

    Held* find(std::int64_t id) const {
        const auto i = static_cast<std::size_t>(id);
        return i < map_.size() ? map_[i] : nullptr;
    }
    void place(Held* held) {
        const auto i = static_cast<std::size_t>(held->snapshot.id);
        if (i >= map_.size()) map_.resize(std::max(2 * map_.size(), i + 1));
        map_[i] = held;
    }

    std::vector<Held*> map_;  ///< by key: the workloads' keys are 1 to n
    std::vector<std::weak_ptr<Held>> list_;
};

/// W6's users with their posts, kept as a Session keeps them: both models identity-mapped
/// with snapshots, each user with the collection of its posts.
class UserPostsFloor {
public:
    void add_user(User&& row);
    void add_post(Post&& row);
    void close() {
        user_objects_.close();
        post_objects_.close();
    }
    /// Plain copies for the shared check, taken after the stopwatch stopped.
    std::vector<UserPosts> groups() const;

private:
    using Posts = std::vector<std::shared_ptr<Post>>;
    ObjectFloor<User, Posts> user_objects_;
    ObjectFloor<Post> post_objects_;
    std::vector<std::shared_ptr<User>> users_;
    std::vector<const Posts*> posts_of_users_;
};

}  // namespace bench
