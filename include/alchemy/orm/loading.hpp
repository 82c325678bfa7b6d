// Loader options for session.query<T>().options(...), as SQLAlchemy's:
//
//   session.query<User>().options(sa::selectinload<&User::posts>()).all();
//   session.query<User>().options(sa::selectinload<&User::posts>().selectinload<&Post::tags>()).all();
//   session.query<User>().options(sa::joinedload<&User::posts>().joinedload<&Post::tags>()).all();
//   session.query<User>().options(sa::raiseload<&User::posts>()).all();
//
// selectinload costs one SELECT ... WHERE key IN (...) (or BETWEEN) per relationship of the path for
// all the objects of the level before, right after the query; joinedload joins it into
// the query's own statement (src/orm/joined_loader.cpp), step after step while the path
// is joined; lazyload and raiseload
// say how the objects the query returned load that relationship later, overriding the
// mapping's lazy(...) (src/orm/relationship_loader.cpp).
#pragma once

#include "alchemy/orm/detail/relationship_ops.hpp"

#include <vector>

namespace alchemy {

/// A chain of relationships from model Root, ending at model Tip.
template <class Root, class Tip>
class LoadPath {
public:
    explicit LoadPath(std::vector<detail::LoadStep> path) : path_(std::move(path)) {}

    /// Then loads relationship `Member` of the objects this path reached.
    template <auto Member>
    auto selectinload() const {
        return then<Member>(detail::LoadStrategy::selectin);
    }
    /// Then joins relationship `Member` of the objects this path reached into the query,
    /// when every step before is joined too; after a selectinload step it loads as
    /// selectinload does (one more statement), since the query's rows end before it.
    template <auto Member>
    auto joinedload() const {
        return then<Member>(detail::LoadStrategy::joined);
    }
    /// Then lets `Member` of the objects this path reached load on first access.
    template <auto Member>
    auto lazyload() const {
        return then<Member>(detail::LoadStrategy::lazy);
    }
    /// Then makes reading `Member` unloaded, on the objects this path reached, an error.
    template <auto Member>
    auto raiseload() const {
        return then<Member>(detail::LoadStrategy::raise);
    }
    const std::vector<detail::LoadStep>& path() const noexcept { return path_; }

private:
    template <auto Member>
    auto then(detail::LoadStrategy how) const {
        using Owner = model_of_t<decltype(Member)>;
        static_assert(std::is_same_v<Owner, Tip>,
                      "alchemy: a loader option continues a path that ends at another model; name a "
                      "relationship of the model the path reached");
        using Next = typename detail::member_pointer_traits<decltype(Member)>::field::target_type;
        auto path = path_;
        path.push_back({&detail::relationship_of<Owner, Member>(), how});
        return LoadPath<Root, Next>(std::move(path));
    }

    std::vector<detail::LoadStep> path_;
};

namespace detail {
template <auto Member>
auto load_option(LoadStrategy how) {
    using Owner = model_of_t<decltype(Member)>;
    using Target = typename member_pointer_traits<decltype(Member)>::field::target_type;
    return LoadPath<Owner, Target>({{&relationship_of<Owner, Member>(), how}});
}
}  // namespace detail

/// SQLAlchemy's selectinload(User.posts): the relationship is loaded for every object of
/// the query in one more statement, right after it.
template <auto Member>
auto selectinload() {
    return detail::load_option<Member>(detail::LoadStrategy::selectin);
}
/// SQLAlchemy's joinedload(User.posts): the query itself loads the relationship, with a
/// LEFT OUTER JOIN of its table and its columns beside the owner's (rows de-duplicated; a
/// LIMIT applies to the owners, through a subquery, when the relationship is a
/// collection). A path of joinedload steps joins each into the same statement.
template <auto Member>
auto joinedload() {
    return detail::load_option<Member>(detail::LoadStrategy::joined);
}
/// SQLAlchemy's lazyload(User.posts): loaded on first access (with the query's other
/// objects), whatever the mapping's lazy(...) says.
template <auto Member>
auto lazyload() {
    return detail::load_option<Member>(detail::LoadStrategy::lazy);
}
/// SQLAlchemy's raiseload(User.posts): reading it on the query's objects before it is
/// loaded throws InvalidRequestError instead of running a statement.
template <auto Member>
auto raiseload() {
    return detail::load_option<Member>(detail::LoadStrategy::raise);
}

}  // namespace alchemy
