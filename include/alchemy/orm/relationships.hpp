// Relationship members, as SQLAlchemy's relationship() (docs/relationships.md):
//
//   struct Post { std::int64_t id = 0; std::int64_t user_id = 0; sa::BelongsTo<User> user{}; };
//   struct User { std::int64_t id = 0; sa::HasMany<Post> posts{}; sa::HasOne<Profile> profile{}; };
//
//   post->user->name;               // many-to-one, loaded on first access
//   for (Post& p : user->posts) {}  // the session's objects, loaded on first access
//   ann->posts.add(Post{...});      // pending with ann; user_id written at flush
//   post->user = bob;               // moves the post from ann->posts to bob->posts
//
//   ann->groups.add(admins);        // a user_group row at flush
//
// The members are thin typed fronts over relationship_members.hpp; the Session does the
// loading (with every object of the same query that needs it, in one statement) and
// writes the foreign keys at flush.
#pragma once

#include "alchemy/core/error.hpp"
#include "alchemy/orm/detail/relationship_members.hpp"
#include "alchemy/orm/object_state.hpp"
#include "alchemy/schema/relationships.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <utility>
#include <vector>

namespace alchemy {

template <class Target>
class BelongsTo : private detail::ToOne {
public:
    using target_type = Target;

    BelongsTo() noexcept = default;
    BelongsTo(const BelongsTo&) = default;
    BelongsTo& operator=(const BelongsTo&) = default;

    /// post->user = ann: the post's user_id takes ann's key at the next flush.
    BelongsTo& operator=(std::shared_ptr<Target> target) {
        set(std::move(target));
        return *this;
    }
    BelongsTo& operator=(std::nullptr_t) {
        set(nullptr);
        return *this;
    }

    /// The target (loaded on first access while the owner is in a Session), or null.
    std::shared_ptr<Target> get() const { return std::static_pointer_cast<Target>(ToOne::get()); }
    /// post->user->name; InvalidRequestError when there is no target.
    std::shared_ptr<Target> operator->() const { return checked(); }
    Target& operator*() const { return *checked(); }
    explicit operator bool() const { return get() != nullptr; }

private:
    friend struct detail::relationship_access;
    std::shared_ptr<Target> checked() const {
        auto target = get();
        if (!target) throw InvalidRequestError("alchemy: this BelongsTo<> refers to no object (it is null)");
        return target;
    }
};

/// Iterates the objects of a HasMany or ManyToMany as Target&, by position: each step
/// reads the collection's entry afresh, so an entry whose weakly held object the program
/// dropped meanwhile is read again (src/orm/relationship_members.cpp), never reached
/// through a dangling pointer, and a re-read under the loop leaves the iterator valid.
template <class Target, class Collection>
class ChildIterator {
public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = Target;
    using difference_type = std::ptrdiff_t;
    using pointer = Target*;
    using reference = Target&;

    ChildIterator() = default;
    ChildIterator(const Collection* collection, std::size_t position) noexcept
        : collection_(collection), position_(position) {}
    Target& operator*() const { return *operator->(); }
    Target* operator->() const { return static_cast<Target*>(collection_->address(position_)); }
    ChildIterator& operator++() noexcept {
        ++position_;
        return *this;
    }
    ChildIterator operator++(int) noexcept {
        auto copy = *this;
        ++position_;
        return copy;
    }
    /// Every position past the collection's last entry is its end.
    friend bool operator==(const ChildIterator& a, const ChildIterator& b) {
        return a.collection_ == b.collection_ && a.clamped() == b.clamped();
    }

private:
    std::size_t clamped() const {
        return collection_ ? std::min(position_, collection_->count()) : position_;
    }

    const Collection* collection_ = nullptr;
    std::size_t position_ = 0;
};

namespace detail {

/// What HasMany and ManyToMany share: their objects in order, read and removed through
/// Entries (detail::Children or detail::Associated).
template <class Target, class Entries>
class Collection : private Entries {
public:
    using target_type = Target;
    using iterator = ChildIterator<Target, Entries>;

    /// The objects (loaded on first access while the owner is in a Session).
    iterator begin() const {
        Entries::items();
        return iterator(this, 0);
    }
    iterator end() const { return iterator(this, SIZE_MAX); }
    std::size_t size() const { return Entries::items().size(); }
    bool empty() const { return Entries::items().empty(); }
    /// The i-th object's pointer.
    std::shared_ptr<Target> operator[](std::size_t i) const {
        return std::static_pointer_cast<Target>(Entries::at(i));
    }
    bool contains(const std::shared_ptr<Target>& object) const {
        Entries::items();
        return Entries::contains(object.get());
    }

protected:
    Collection() noexcept = default;
    Collection(const Collection&) = default;
    Collection& operator=(const Collection&) = default;
    ~Collection() = default;

    void add_object(const std::shared_ptr<Target>& object) { Entries::add(object); }
    bool remove_object(const std::shared_ptr<Target>& object) { return Entries::remove(object.get()); }

private:
    friend struct relationship_access;
};

}  // namespace detail

template <class Target>
class HasMany : public detail::Collection<Target, detail::Children> {
public:
    HasMany() noexcept = default;
    HasMany(const HasMany&) = default;
    HasMany& operator=(const HasMany&) = default;

    /// Adds a new child: pending in the owner's Session, its foreign key written at flush.
    std::shared_ptr<Target> add(Target child) { return add(detail::make_tracked(std::move(child)).object); }
    /// Adds a child (moving it from another parent's collection).
    std::shared_ptr<Target> add(std::shared_ptr<Target> child) {
        if (!child) throw ArgumentError("alchemy: HasMany::add() was given a null pointer");
        this->add_object(child);
        return child;
    }
    /// Removes a child: its BelongsTo then names no parent (its foreign key NULL at flush).
    bool remove(const std::shared_ptr<Target>& child) { return this->remove_object(child); }
};

template <class Target>
class HasOne : private detail::Children {
public:
    using target_type = Target;

    HasOne() noexcept = default;
    HasOne(const HasOne&) = default;
    HasOne& operator=(const HasOne&) = default;

    /// user->profile = p: p's foreign key names the owner at flush; a previous one is let go.
    HasOne& operator=(std::shared_ptr<Target> child) {
        replace(child);
        return *this;
    }
    HasOne& operator=(std::nullptr_t) {
        replace(nullptr);
        return *this;
    }
    /// The child (loaded on first access while the owner is in a Session), or null.
    std::shared_ptr<Target> get() const {
        return items().empty() ? nullptr : std::static_pointer_cast<Target>(at(0));
    }
    std::shared_ptr<Target> operator->() const {
        auto child = get();
        if (!child) throw InvalidRequestError("alchemy: this HasOne<> holds no object (it is null)");
        return child;
    }
    Target& operator*() const { return *operator->(); }
    explicit operator bool() const { return get() != nullptr; }

private:
    friend struct detail::relationship_access;
};

/// Many-to-many through the association model Association, whose two BelongsTo name both
/// sides: SQLAlchemy's relationship(secondary=...). Adding or removing a target inserts or
/// deletes an association row at flush.
template <class Target, class Association>
class ManyToMany : public detail::Collection<Target, detail::Associated> {
public:
    using association_type = Association;

    ManyToMany() noexcept = default;
    ManyToMany(const ManyToMany&) = default;
    ManyToMany& operator=(const ManyToMany&) = default;

    /// Links a new object: pending in the owner's Session.
    std::shared_ptr<Target> add(Target target) { return add(detail::make_tracked(std::move(target)).object); }
    /// Links an object (the other side's collection, when loaded, gets the owner at once).
    std::shared_ptr<Target> add(std::shared_ptr<Target> target) {
        if (!target) throw ArgumentError("alchemy: ManyToMany::add() was given a null pointer");
        this->add_object(target);
        return target;
    }
    /// Unlinks an object; its association row is deleted at flush.
    bool remove(const std::shared_ptr<Target>& target) { return this->remove_object(target); }
};

}  // namespace alchemy
