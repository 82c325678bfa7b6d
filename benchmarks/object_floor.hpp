// The floor under alchemy's Session loads (W3, W6): the raw C API loop plus the least
// that any Session handing out identity-mapped objects with dirty detection by snapshot
// (docs/session.md) must do per object, written by hand with nothing else:
//
//   - its own std::shared_ptr: one allocation holding the object, its snapshot and a
//     state word;
//   - the snapshot: a copy of the columns, which a flush compares the object with;
//   - an identity-map entry under its key (open addressing, a multiplicative hash);
//   - a weak reference in the session's list, which lets the program drop objects.
//
// No flush, expiry, events or relationship bookkeeping beyond the collection itself.
// alchemy's ratio to this floor is what its own bookkeeping costs; this floor's ratio to
// the raw loop is what the design costs whatever the implementation.
#pragma once

#include "models.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

namespace bench {

/// A session's objects of one model, kept the least costly way; `Extra` rides along with
/// each object (a collection of children), outside its snapshot. The map points at the
/// objects without owning them, so the program holds each one until close(), as the
/// workloads that use it do (a Session would let dropped ones go; the floor needs none).
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
        if ((size_ + 1) * 2 > map_.size()) grow();
        auto held = std::make_shared<Held>(std::move(row), list_.size());
        place(held.get());
        list_.emplace_back(held);
        auto* object = &held->object;
        auto& extra = held->extra;
        return {std::shared_ptr<T>(std::move(held), object), extra};
    }

    /// What a Session's close() does: the map and the list go, the objects stay.
    void close() {
        map_ = {};
        size_ = 0;
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

    static std::size_t hash(std::int64_t id) {
        const auto h = static_cast<std::uint64_t>(id) * 0x9E3779B97F4A7C15u;
        return static_cast<std::size_t>(h ^ (h >> 32));
    }
    std::size_t mask() const { return map_.size() - 1; }

    Held* find(std::int64_t id) const {
        if (map_.empty()) return nullptr;
        for (auto i = hash(id) & mask(); map_[i]; i = (i + 1) & mask())
            if (map_[i]->snapshot.id == id) return map_[i];
        return nullptr;
    }
    void place(Held* held) {
        auto i = hash(held->snapshot.id) & mask();
        while (map_[i]) i = (i + 1) & mask();
        map_[i] = held;
        ++size_;
    }
    void grow() {
        std::vector<Held*> old(map_.empty() ? 16 : map_.size() * 2);
        old.swap(map_);
        size_ = 0;
        for (Held* held : old)
            if (held) place(held);
    }

    std::vector<Held*> map_;
    std::size_t size_ = 0;
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
