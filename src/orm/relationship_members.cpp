// The relationship members' behaviour: reading (loading when needed), and writing with
// the other side kept in step; relationship_members.hpp explains who holds whom.
#include "alchemy/orm/detail/relationship_members.hpp"

#include "alchemy/core/error.hpp"
#include "alchemy/orm/detail/model_ops.hpp"
#include "alchemy/orm/detail/model_set.hpp"
#include "alchemy/orm/detail/relationship_loader.hpp"
#include "alchemy/orm/detail/session_core.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <stdexcept>

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

/// The parent whose collection may hold `child`, which `back` (its BelongsTo `rel`) names:
/// the loaded one, or else (expire() and refresh() unload `back`, not that collection) the
/// one its row names, if the Session holds it. Found without SQL, as SQLAlchemy's backref
/// finds it: from the committed foreign key, through the identity map.
std::shared_ptr<void> previous_parent(const ToOne& back, const RelationshipOps& rel,
                                      const InstanceState* child) {
    if (back.loaded()) return back.peek();
    if (!child || !child->session || child->state != ObjectState::persistent) return nullptr;
    const auto key = rel.owner().integer(child->snapshot, rel.foreign_key);
    return key ? child->session->models(rel.target_id(), rel.target()).held(*key).first : nullptr;
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

void RelationshipMember::load_once() const {
    if (!loaded_ && !load_if_needed()) loaded_ = true;  // a new owner starts with none
}

void* RelationshipMember::collection_address(const CollectionEntries& entries, std::size_t i,
                                             void (*unload)(RelationshipMember&)) const {
    load_once();
    if (i >= entries.size() || entries.dropped(i)) {
        entries.forget_check();
        load_collection(entries, unload);
    }
    if (i >= entries.size())
        throw std::out_of_range(
            fmt::format("alchemy: index {} of a collection of {} objects", i, entries.size()));
    return entries.addresses()[i];
}

void RelationshipMember::load_collection(const CollectionEntries& entries,
                                         void (*unload)(RelationshipMember&)) const {
    load_once();
    const auto* owner = link_.owner;
    if (owner && owner->session ? !entries.any_expired(*owner->session, link_.ops->target())
                                : !entries.any_expired())
        return;
    // A new owner's collection holds what the program put there, strongly: nothing expires.
    if (!owner || !has_identity(*owner)) return;
    const auto& rel = *link_.ops;
    if (!owner->session)
        throw DetachedInstanceError(fmt::format(
            "alchemy: {0}.{1} held some of its {2} objects weakly (each held the {0} in turn, so "
            "that the two never keep each other alive), and the program dropped them; the {0} "
            "object is detached, so {0}.{1} cannot be read again: keep the {2} objects, or load "
            "{0}.{1} from the {0} side (.options(sa::selectinload<&{0}::{1}>()) on a query of {0})",
            rel.owner().model_name, rel.name, rel.target().model_name));
    // The program dropped an object that held this owner: read the collection again (a
    // load shows the relationship changes that wait for the flush: set_loaded).
    unload(const_cast<RelationshipMember&>(*this));
    load_if_needed();
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
        if (auto old = previous_parent(*this, *rel, link_.owner); old && old != target)
            if (auto* children = paired_children(*rel, old))
                if (const auto i = children->entries_.find(owner.get()); i < children->entries_.size())
                    children->entries_.erase(i);
    }
    bool weakly = false;
    if (rel && owner && target)
        if (auto* children = paired_children(*rel, target)) {
            if (rel->paired()->kind == RelationshipKind::one_to_one) children->replace(owner);
            else if (!children->contains(owner.get())) children->entries_.push_back(owner, false);
            // Held by the collection: refer back weakly. A weak entry there means this
            // object already held the target, and keeps holding it.
            weakly = children->holds_strongly(owner.get());
            // In no Session, no write waiting for the flush holds the target: this object
            // holds it and the collection this object weakly, as after keep_assigned(),
            // or the program dropping the target would lose the assignment.
            if (weakly && !link_.owner->session) {
                children->entries_.hold(children->entries_.find(owner.get()), true);
                weakly = false;
            }
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

void ToOne::loaded_weakly(const std::weak_ptr<void>& target) noexcept {
    weak_ = target;
    strong_.reset();
    weakly_ = true;
    loaded_ = true;
}

void ToOne::unload() noexcept {
    strong_.reset();
    weak_.reset();
    weakly_ = false;
    loaded_ = false;
}

void ToOne::keep_assigned() noexcept {
    assigned_ = true;
    const auto target = weakly_ ? weak_.lock() : nullptr;
    if (!target) return;
    // The target's collection holds the owner, and no one may hold the target once the
    // Session lets go of it: the owner holds it, and the collection holds the owner weakly.
    if (const auto* pair = link_.ops && link_.owner ? link_.ops->paired() : nullptr) {
        auto& children = pair->children(target.get());
        if (const auto i = children.entries_.find(link_.owner->object); i < children.entries_.size())
            children.entries_.hold(i, true);
    }
    point_at(target, false);
}

void ToOne::hold_strongly() noexcept {
    if (weakly_) point_at(weak_.lock(), false);
}

// CollectionEntries ----------------------------------------------------------------------

CollectionEntries::CollectionEntries(const CollectionEntries& other) {
    for (const auto& object : other.alive()) push_back(object, false);
}

CollectionEntries& CollectionEntries::operator=(const CollectionEntries& other) {
    if (this != &other) *this = CollectionEntries(other);
    return *this;
}

std::size_t CollectionEntries::find(const void* object) const noexcept {
    return static_cast<std::size_t>(std::find(addresses_.begin(), addresses_.end(), object) -
                                    addresses_.begin());
}

std::shared_ptr<void> CollectionEntries::lock(std::size_t i) const noexcept {
    const auto& h = holders_[i];
    return h.strong ? h.strong : h.weak.lock();
}

bool CollectionEntries::any_expired() const noexcept {
    if (weak_count_ == 0) return false;
    return std::any_of(holders_.begin(), holders_.end(),
                       [](const Holder& h) { return !h.strong && h.weak.expired(); });
}

bool CollectionEntries::any_expired(const SessionCore& session, const ModelOps& targets) const noexcept {
    if (weak_count_ == 0) return false;
    const auto departures = session.departures();
    if (checked_at_ == departures) return false;
    // An object in the Session ends only by a drop that is counted (a session-made
    // object's deleter) or after leaving it, which the Session counts; one the program
    // made cannot end while in it, as the Session holds it strongly. An object outside
    // the Session can end unseen, so a collection holding one walks every time.
    bool all_in_session = true;
    for (const auto& h : holders_) {
        if (h.strong) continue;
        const auto object = h.weak.lock();
        if (!object) return true;
        const auto* state = all_in_session ? targets.state_of(object) : nullptr;
        all_in_session = state && state->session == &session;
    }
    if (all_in_session) checked_at_ = departures;
    return false;
}

std::vector<std::shared_ptr<void>> CollectionEntries::alive() const {
    std::vector<std::shared_ptr<void>> out;
    out.reserve(size());
    for (std::size_t i = 0; i < size(); ++i)
        if (auto object = lock(i)) out.push_back(std::move(object));
    return out;
}

void CollectionEntries::push_back(std::shared_ptr<void> object, bool weakly) {
    addresses_.push_back(object.get());
    if (weakly) {
        holders_.push_back({nullptr, object});
        ++weak_count_;
        checked_at_ = {};
    } else {
        holders_.push_back({std::move(object), {}});
    }
}

void CollectionEntries::reserve(std::size_t more) {
    addresses_.reserve(addresses_.size() + more);
    holders_.reserve(holders_.size() + more);
}

void CollectionEntries::hold(std::size_t i, bool weakly) noexcept {
    auto& h = holders_[i];
    if (weakly == !h.strong) return;
    if (weakly) {
        h.weak = std::exchange(h.strong, nullptr);
        ++weak_count_;
        checked_at_ = {};
    } else if (auto object = h.weak.lock()) {  // a dropped object stays a weak, expired entry
        h.strong = std::move(object);
        h.weak.reset();
        --weak_count_;
    }
}

void CollectionEntries::erase(std::size_t i) noexcept {
    if (!holders_[i].strong) --weak_count_;
    addresses_.erase(addresses_.begin() + static_cast<std::ptrdiff_t>(i));
    holders_.erase(holders_.begin() + static_cast<std::ptrdiff_t>(i));
}

void CollectionEntries::clear() noexcept {
    addresses_.clear();
    holders_.clear();
    weak_count_ = 0;
    checked_at_ = {};
}

// Children -------------------------------------------------------------------------------

Children& Children::operator=(const Children& other) {
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

void Children::assign(const std::vector<std::shared_ptr<void>>& wanted) {
    items();
    for (const auto& child : held())
        if (std::find(wanted.begin(), wanted.end(), child) == wanted.end()) remove(child.get());
    for (const auto& child : wanted) add(child);
}

namespace {
void unload_children(RelationshipMember& m) { static_cast<Children&>(m).unload(true); }
void unload_associated(RelationshipMember& m) { static_cast<Associated&>(m).unload(true); }
}  // namespace

const std::vector<void*>& Children::items() const {
    load_collection(entries_, unload_children);
    return entries_.addresses();
}

void* Children::address(std::size_t i) const { return collection_address(entries_, i, unload_children); }

std::shared_ptr<void> Children::at(std::size_t i) const {
    address(i);
    return entries_.lock(i);
}

std::size_t Children::count() const {
    load_once();
    return entries_.size();
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
    for (std::size_t i = entries_.size(); i-- > 0;)
        if (entries_.addresses()[i] != child.get()) drop(i, true);
    if (child && entries_.empty()) take(child);
}

bool Children::remove(const void* child) {
    items();
    const auto i = entries_.find(child);
    if (i == entries_.size()) return false;
    drop(i, true);
    return true;
}

bool Children::holds_strongly(const void* child) const noexcept {
    const auto i = entries_.find(child);
    return i < entries_.size() && !entries_.weak(i);
}

void Children::loaded_child(std::shared_ptr<void> child) {
    const auto* rel = link_.ops;
    if (!rel) {
        entries_.push_back(std::move(child), false);
        return;
    }
    auto& back = rel->paired()->reference(child.get());
    const bool child_holds_owner = back.loaded() && !back.weakly_ && back.holds(link_.owner->object);
    entries_.push_back(std::move(child), child_holds_owner);
    if (!child_holds_owner) back.loaded_weakly(link_.owner->self);
}

/// Adds `child`, taking it from its previous parent's collection, and points its
/// BelongsTo at the owner (weakly: this collection holds it).
void Children::take(const std::shared_ptr<void>& child) {
    const auto* rel = link_.ops;
    const auto owner = owner_object(link_);
    if (!rel || !owner) {  // not attached yet: the Session pairs both sides on add()
        entries_.push_back(child, false);
        return;
    }
    const auto& back_rel = *rel->paired();
    auto& back = back_rel.reference(child.get());
    const auto& child_ops = rel->target();
    auto* child_state = child_ops.state_of(child);
    if (auto previous = previous_parent(back, back_rel, child_state); previous && previous != owner)
        if (auto& theirs = rel->children(previous.get()); theirs.in_memory())
            if (const auto i = theirs.entries_.find(child.get()); i < theirs.entries_.size())
                theirs.entries_.erase(i);
    entries_.push_back(child, false);
    back.point_at(owner, true);
    back.loaded_ = true;
    back.assigned_ = true;
    auto* session = link_.owner->session;
    if (!session) return;
    // Save-update: a new child joins the owner's session; its BelongsTo then writes the
    // foreign key at the next flush.
    if (!child_state || child_state->session != session) child_ops.add_object(*session, child);
    else session->foreign_key_assigned(*child_state, back_rel, back);
}

/// Removes child `index`; with `clear_back_reference`, its BelongsTo then names no parent.
void Children::drop(std::size_t index, bool clear_back_reference) {
    auto child = entries_.lock(index);
    entries_.erase(index);
    const auto* rel = link_.ops;
    if (!rel || !clear_back_reference || !child) return;
    const auto& back_rel = *rel->paired();
    auto& back = back_rel.reference(child.get());
    auto* child_state = rel->target().state_of(child);
    // Unloaded (expire(), refresh()), it names this owner by its foreign key.
    if (previous_parent(back, back_rel, child_state).get() != link_.owner->object) return;
    back.point_at(nullptr, false);
    back.loaded_ = true;
    back.assigned_ = true;
    if (child_state && child_state->session)
        child_state->session->foreign_key_assigned(*child_state, back_rel, back);
}

void Children::forget(const void* child) noexcept {
    if (const auto i = entries_.find(child); i < entries_.size()) entries_.erase(i);
}

void Children::unload(bool owner_alive) noexcept {
    auto children = std::move(entries_);
    entries_.clear();
    loaded_ = false;
    if (!owner_alive || !link_.ops) return;
    // A child this collection held refers back weakly: it holds the owner from now on
    // (if it still names this owner; one moved away meanwhile is held by its new parent).
    for (std::size_t i = 0; i < children.size(); ++i)
        if (!children.weak(i))
            if (auto child = children.lock(i)) {
                auto& back = link_.ops->paired()->reference(child.get());
                if (back.holds(link_.owner->object)) back.hold_strongly();
            }
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
    load_collection(entries_, unload_associated);
    return entries_.addresses();
}

void* Associated::address(std::size_t i) const { return collection_address(entries_, i, unload_associated); }

std::shared_ptr<void> Associated::at(std::size_t i) const {
    address(i);
    return entries_.lock(i);
}

std::size_t Associated::count() const {
    load_once();
    return entries_.size();
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
    if (!theirs->contains(owner.get())) theirs->entries_.push_back(owner, false);
    // Both hold each other: the entry held by the object at the higher address is weak.
    const auto mine = entries_.find(target.get());
    const auto back = theirs->entries_.find(owner.get());
    if (mine == entries_.size() || back == theirs->entries_.size()) return;
    if (owner.get() > target.get()) entries_.hold(mine, true);
    else theirs->entries_.hold(back, true);
}

void Associated::erase(const void* target) noexcept {
    if (const auto i = entries_.find(target); i < entries_.size()) entries_.erase(i);
    // The reverse entry may have been the weak one of the pair: it holds strongly now.
    const auto* owner = link_.owner ? link_.owner->object : nullptr;
    if (auto* theirs = owner ? reverse(target) : nullptr)
        if (const auto back = theirs->entries_.find(owner); back < theirs->entries_.size())
            theirs->entries_.hold(back, false);
}

void Associated::loaded_target(const std::shared_ptr<void>& target) {
    if (contains(target.get())) return;
    entries_.push_back(target, false);
    // The other side, loaded before, already holds the owner: settle the pair.
    if (auto* theirs = reverse(target.get()); theirs && theirs->contains(link_.owner->object))
        pair_with(target);
}

void Associated::add(const std::shared_ptr<void>& target) {
    items();
    if (contains(target.get())) return;
    entries_.push_back(target, false);
    pair_with(target);
    changed(target, true);
}

bool Associated::remove(const void* target) {
    items();
    const auto i = entries_.find(target);
    if (i == entries_.size()) return false;
    const auto object = entries_.lock(i);
    erase(target);
    const auto* owner = link_.owner ? link_.owner->object : nullptr;
    if (auto* theirs = owner ? reverse(target) : nullptr) {
        theirs->erase(owner);
        theirs->forget_kept_link(owner);
    }
    changed(object, false);
    return true;
}

void Associated::forget_kept_link(const void* target) noexcept {
    std::erase_if(changes_, [&](const Change& c) { return c.linked && c.target.get() == target; });
}

void Associated::keep(const std::shared_ptr<void>& target, bool linked) {
    const auto kept =
        std::find_if(changes_.begin(), changes_.end(), [&](const Change& c) { return c.target == target; });
    if (kept != changes_.end()) changes_.erase(kept);
    else changes_.push_back({target, linked});
}

void Associated::changed(const std::shared_ptr<void>& target, bool linked) {
    auto* session = link_.owner ? link_.owner->session : nullptr;
    if (!session) {  // the Session hears of it when the owner is added
        keep(target, linked);
        return;
    }
    session->link_changed(*link_.owner, *link_.ops, target, linked);
}

void Associated::keep_change(const std::shared_ptr<void>& target, bool linked) {
    keep(target, linked);
    if (!linked || !link_.owner) return;
    // The change holds the target now: the target's collection holds the owner weakly
    // (else the two would hold each other), and this one the target strongly.
    if (const auto mine = entries_.find(target.get()); mine < entries_.size()) entries_.hold(mine, false);
    if (auto* theirs = reverse(target.get()))
        if (const auto back = theirs->entries_.find(link_.owner->object); back < theirs->entries_.size())
            theirs->entries_.hold(back, true);
}

void Associated::unload(bool owner_alive) noexcept {
    auto entries = std::move(entries_);
    entries_.clear();
    loaded_ = false;
    if (!owner_alive || !link_.owner) return;
    for (const auto& target : entries.alive())
        if (auto* theirs = reverse(target.get()))
            if (const auto back = theirs->entries_.find(link_.owner->object); back < theirs->entries_.size())
                theirs->entries_.hold(back, false);
}

}  // namespace alchemy::detail
