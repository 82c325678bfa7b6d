// The relationship members' behaviour: reading (loading when needed), and writing with
// the other side kept in step; relationship_members.hpp explains who holds whom.
#include "alchemy/orm/detail/relationship_members.hpp"

#include "alchemy/core/error.hpp"
#include "alchemy/orm/detail/model_ops.hpp"
#include "alchemy/orm/detail/relationship_loader.hpp"
#include "alchemy/orm/detail/session_core.hpp"

#include <fmt/format.h>
#include <algorithm>

namespace alchemy::detail {
namespace {

bool has_identity(const InstanceState& s) noexcept {
    return s.state == ObjectState::persistent || s.state == ObjectState::deleted ||
           s.state == ObjectState::detached;
}

std::shared_ptr<void> owner_object(const RelationshipLink& link) noexcept {
    return link.owner ? link.owner->self.lock() : nullptr;
}

/// The collection of `parent` that pairs with the BelongsTo `rel`, if it can take a
/// change in memory now; else null.
Children* paired_children(const RelationshipOps& rel, const std::shared_ptr<void>& parent) {
    const auto* pair = rel.paired();
    if (!pair || !parent) return nullptr;
    auto& children = pair->children(parent.get());
    return children.in_memory() ? &children : nullptr;
}

}  // namespace

bool RelationshipMember::in_memory() noexcept {
    if (!loaded_ && (!link_.owner || !has_identity(*link_.owner))) loaded_ = true;
    return loaded_;
}

bool RelationshipMember::load_if_needed() const {
    if (loaded_) return true;
    const auto* owner = link_.owner;
    if (!owner || !has_identity(*owner)) return false;  // a new object: nothing to load
    const auto& rel = *link_.ops;
    if (on_access_ == LoadStrategy::raise || (on_access_ == LoadStrategy::mapping && rel.lazy == Lazy::raise))
        throw InvalidRequestError(
            fmt::format("alchemy: {0}.{1} is not loaded and its loading is raise (sa::raiseload, or "
                        "lazy(sa::Lazy::raise) "
                        "in the mapping), so it is never loaded on access; load it with the query: "
                        ".options(sa::selectinload<&{0}::{1}>())",
                        rel.owner().model_name, rel.name));
    if (!owner->session)
        throw DetachedInstanceError(fmt::format(
            "alchemy: {0}.{1} is not loaded and the {0} object is detached (its Session was closed, "
            "or it was expunged); read it while the object is in a Session, or load it with its "
            "query: .options(sa::selectinload<&{0}::{1}>())",
            link_.ops->owner().model_name, link_.ops->name));
    load_relationship(*owner->session, *link_.ops, *const_cast<InstanceState*>(owner));
    return true;
}

// ToOne ----------------------------------------------------------------------------------

ToOne& ToOne::operator=(const ToOne& other) {
    if (this == &other) return *this;
    if (link_.owner) {
        set(other.get());
    } else {
        RelationshipMember::operator=(other);
        point_at(other.peek(), false);
        assigned_ = other.assigned_;
    }
    return *this;
}

std::shared_ptr<void> ToOne::peek() const noexcept { return weakly_ ? weak_.lock() : strong_; }

bool ToOne::holds(const void* object) const noexcept { return peek().get() == object; }

void ToOne::point_at(const std::shared_ptr<void>& target, bool weakly) noexcept {
    weakly_ = weakly && target;
    if (weakly_) {
        weak_ = target;
        strong_.reset();
    } else {
        strong_ = target;
        weak_.reset();
    }
}

std::shared_ptr<void> ToOne::get() const {
    if (!loaded_ && !load_if_needed()) return nullptr;
    if (!weakly_) return strong_;
    if (auto target = weak_.lock()) return target;
    // The program dropped the parent, which let go of this object: find it again.
    loaded_ = false;
    weakly_ = false;
    weak_.reset();
    if (!load_if_needed()) return nullptr;
    return weakly_ ? weak_.lock() : strong_;
}

void ToOne::set(std::shared_ptr<void> target) {
    const auto* rel = link_.ops;
    const auto owner = owner_object(link_);
    if (rel && owner) {
        if (auto old = loaded_ ? peek() : nullptr; old && old != target)
            if (auto* children = paired_children(*rel, old))
                if (auto it = std::find(children->items_.begin(), children->items_.end(), owner);
                    it != children->items_.end())
                    children->items_.erase(it);
    }
    bool weakly = false;
    if (rel && owner && target)
        if (auto* children = paired_children(*rel, target)) {
            if (rel->paired()->kind == RelationshipKind::one_to_one) children->replace(owner);
            else if (!children->contains(owner.get())) children->items_.push_back(owner);
            weakly = true;
        }
    point_at(target, weakly);
    loaded_ = true;
    assigned_ = true;
    if (rel && link_.owner && link_.owner->session)
        link_.owner->session->foreign_key_assigned(*link_.owner, *rel, *this);
}

void ToOne::loaded_with(const std::shared_ptr<void>& target, bool weakly) noexcept {
    point_at(target, weakly);
    loaded_ = true;
}

void ToOne::unload() noexcept {
    strong_.reset();
    weak_.reset();
    weakly_ = false;
    loaded_ = false;
}

void ToOne::hold_strongly() noexcept {
    if (weakly_) point_at(weak_.lock(), false);
}

// Children -------------------------------------------------------------------------------

Children& Children::operator=(const Children& other) {
    if (this == &other) return *this;
    if (!link_.owner) {
        RelationshipMember::operator=(other);
        items_ = other.items_;
        return *this;
    }
    assign(other.items());
    return *this;
}

void Children::assign(const std::vector<std::shared_ptr<void>>& wanted) {
    const auto present = items();
    for (const auto& child : present)
        if (std::find(wanted.begin(), wanted.end(), child) == wanted.end()) remove(child.get());
    for (const auto& child : wanted) add(child);
}

const std::vector<std::shared_ptr<void>>& Children::items() const {
    if (!loaded_ && !load_if_needed()) loaded_ = true;  // a new owner starts with none
    return items_;
}

bool Children::contains(const void* child) const noexcept {
    return std::any_of(items_.begin(), items_.end(), [&](const auto& c) { return c.get() == child; });
}

void Children::add(const std::shared_ptr<void>& child) {
    items();
    if (contains(child.get())) return;
    if (link_.ops && link_.ops->kind == RelationshipKind::one_to_one) {
        replace(child);
        return;
    }
    take(child);
}

void Children::replace(const std::shared_ptr<void>& child) {
    items();
    for (std::size_t i = items_.size(); i-- > 0;)
        if (items_[i] != child) drop(i, true);
    if (child && items_.empty()) take(child);
}

bool Children::remove(const void* child) {
    items();
    for (std::size_t i = 0; i < items_.size(); ++i)
        if (items_[i].get() == child) {
            drop(i, true);
            return true;
        }
    return false;
}

/// Adds `child`, taking it from its previous parent's collection, and points its
/// BelongsTo at the owner (weakly: this collection holds it).
void Children::take(const std::shared_ptr<void>& child) {
    const auto* rel = link_.ops;
    const auto owner = owner_object(link_);
    if (!rel || !owner) {  // not attached yet: the Session pairs both sides on add()
        items_.push_back(child);
        return;
    }
    const auto& back_rel = *rel->paired();
    auto& back = back_rel.reference(child.get());
    if (auto previous = back.loaded() ? back.peek() : nullptr; previous && previous != owner)
        if (auto& theirs = rel->children(previous.get()); theirs.in_memory())
            std::erase_if(theirs.items_, [&](const auto& c) { return c == child; });
    items_.push_back(child);
    back.point_at(owner, true);
    back.loaded_ = true;
    back.assigned_ = true;
    auto* session = link_.owner->session;
    if (!session) return;
    // Save-update: a new child joins the owner's session; its BelongsTo then writes the
    // foreign key at the next flush.
    const auto& child_ops = rel->target();
    auto* child_state = child_ops.state_of(child);
    if (!child_state || child_state->session != session) child_ops.add_object(*session, child);
    else session->foreign_key_assigned(*child_state, back_rel, back);
}

/// Removes child `index`; with `clear_back_reference`, its BelongsTo then names no parent.
void Children::drop(std::size_t index, bool clear_back_reference) {
    auto child = std::move(items_[index]);
    items_.erase(items_.begin() + static_cast<std::ptrdiff_t>(index));
    const auto* rel = link_.ops;
    if (!rel || !clear_back_reference) return;
    const auto& back_rel = *rel->paired();
    auto& back = back_rel.reference(child.get());
    if (!back.holds(link_.owner->object)) return;
    back.point_at(nullptr, false);
    back.assigned_ = true;
    auto* child_state = rel->target().state_of(child);
    if (child_state && child_state->session)
        child_state->session->foreign_key_assigned(*child_state, back_rel, back);
}

void Children::unload(bool owner_alive) noexcept {
    auto children = std::move(items_);
    items_.clear();
    loaded_ = false;
    if (owner_alive && link_.ops)
        for (const auto& child : children) link_.ops->paired()->reference(child.get()).hold_strongly();
}

// Associated -----------------------------------------------------------------------------

Associated& Associated::operator=(const Associated& other) {
    if (this == &other) return *this;
    if (!link_.owner) {
        RelationshipMember::operator=(other);
        entries_ = other.entries_;
        return *this;
    }
    other.items();
    assign(other.held());
    return *this;
}

void Associated::assign(const std::vector<std::shared_ptr<void>>& wanted) {
    items();
    for (const auto& target : held())
        if (std::find(wanted.begin(), wanted.end(), target) == wanted.end()) remove(target.get());
    for (const auto& target : wanted) add(target);
}

const std::vector<void*>& Associated::items() const {
    if (!loaded_ && !load_if_needed()) loaded_ = true;  // a new owner starts with none
    view_.clear();
    for (const auto& e : entries_) {
        if (!e.strong && e.weak.expired()) {
            // The program dropped a target that held this owner: read the links again.
            const_cast<Associated*>(this)->unload(true);
            if (!load_if_needed()) loaded_ = true;
            return items();
        }
        view_.push_back(e.address);
    }
    return view_;
}

std::vector<std::shared_ptr<void>> Associated::held() const {
    std::vector<std::shared_ptr<void>> out;
    for (const auto& e : entries_)
        if (auto target = e.lock()) out.push_back(std::move(target));
    return out;
}

Associated::Entry* Associated::find(const void* target) noexcept {
    for (auto& e : entries_)
        if (e.address == target) return &e;
    return nullptr;
}

bool Associated::contains(const void* target) const noexcept {
    return std::any_of(entries_.begin(), entries_.end(), [&](const Entry& e) { return e.address == target; });
}

Associated* Associated::reverse(const void* target) const {
    const auto* pair = link_.ops ? link_.ops->paired() : nullptr;
    if (!pair) return nullptr;
    auto& theirs = pair->associated(const_cast<void*>(target));
    return theirs.in_memory() ? &theirs : nullptr;
}

void Associated::pair_with(const std::shared_ptr<void>& target) {
    const auto owner = owner_object(link_);
    auto* theirs = owner ? reverse(target.get()) : nullptr;
    if (!theirs) return;
    if (!theirs->contains(owner.get())) theirs->entries_.push_back({owner, {}, owner.get()});
    // Both hold each other: the entry held by the object at the higher address is weak.
    auto* mine = find(target.get());
    auto* back = theirs->find(owner.get());
    if (!mine || !back) return;
    auto& weak_side = owner.get() > target.get() ? *mine : *back;
    if (weak_side.strong) {
        weak_side.weak = weak_side.strong;
        weak_side.strong.reset();
    }
}

void Associated::erase(const void* target) noexcept {
    std::erase_if(entries_, [&](const Entry& e) { return e.address == target; });
    // The reverse entry may have been the weak one of the pair: it holds strongly now.
    const auto* owner = link_.owner ? link_.owner->object : nullptr;
    if (auto* theirs = owner ? reverse(target) : nullptr)
        if (auto* back = theirs->find(owner); back && !back->strong) back->strong = back->weak.lock();
}

void Associated::loaded_target(const std::shared_ptr<void>& target) {
    if (contains(target.get())) return;
    entries_.push_back({target, {}, target.get()});
    // The other side, loaded before, already holds the owner: settle the pair.
    if (auto* theirs = reverse(target.get()); theirs && theirs->contains(link_.owner->object))
        pair_with(target);
}

void Associated::add(const std::shared_ptr<void>& target) {
    items();
    if (contains(target.get())) return;
    entries_.push_back({target, {}, target.get()});
    pair_with(target);
    changed(target, true);
}

bool Associated::remove(const void* target) {
    items();
    auto* entry = find(target);
    if (!entry) return false;
    const auto object = entry->lock();
    erase(target);
    const auto* owner = link_.owner ? link_.owner->object : nullptr;
    if (auto* theirs = owner ? reverse(target) : nullptr) theirs->erase(owner);
    changed(object, false);
    return true;
}

void Associated::changed(const std::shared_ptr<void>& target, bool linked) {
    auto* session = link_.owner ? link_.owner->session : nullptr;
    if (!session) {  // the Session hears of it when the owner is added
        changes_.push_back({target, linked});
        return;
    }
    session->link_changed(*link_.owner, *link_.ops, target, linked);
}

void Associated::unload(bool owner_alive) noexcept {
    auto entries = std::move(entries_);
    entries_.clear();
    view_.clear();
    loaded_ = false;
    if (!owner_alive || !link_.owner) return;
    for (const auto& e : entries)
        if (auto target = e.lock())
            if (auto* theirs = reverse(target.get()))
                if (auto* back = theirs->find(link_.owner->object); back && !back->strong)
                    back->strong = back->weak.lock();
}

}  // namespace alchemy::detail
