// Loader options for session.query<T>().options(...), SQLAlchemy's selectinload():
//
//   session.query<User>().options(sa::selectinload<&User::posts>()).all();
//   session.query<User>().options(sa::selectinload<&User::posts>().selectinload<&Post::tags>()).all();
//
// Each relationship of the path costs one SELECT ... WHERE key IN (...) for all the
// objects of the level before, right after the query (src/orm/relationship_loader.cpp).
#pragma once

#include "alchemy/orm/detail/relationship_ops.hpp"

#include <vector>

namespace alchemy {

/// A chain of relationships from model Root, ending at model Tip.
template <class Root, class Tip>
class LoadPath {
public:
    explicit LoadPath(std::vector<const detail::RelationshipOps*> path) : path_(std::move(path)) {}

    /// Then loads relationship `Member` of the objects this path reached.
    template <auto Member>
    auto selectinload() const {
        using Owner = model_of_t<decltype(Member)>;
        static_assert(std::is_same_v<Owner, Tip>,
                      "alchemy: selectinload<&X::r>() continues a path that ends at another model; "
                      "name a relationship of the model the path reached");
        using Next = typename detail::member_pointer_traits<decltype(Member)>::field::target_type;
        auto path = path_;
        path.push_back(&detail::relationship_of<Owner, Member>());
        return LoadPath<Root, Next>(std::move(path));
    }
    const std::vector<const detail::RelationshipOps*>& path() const noexcept { return path_; }

private:
    std::vector<const detail::RelationshipOps*> path_;
};

/// SQLAlchemy's selectinload(User.posts): the relationship is loaded for every object of
/// the query in one more statement, right after it.
template <auto Member>
auto selectinload() {
    using Owner = model_of_t<decltype(Member)>;
    using Target = typename detail::member_pointer_traits<decltype(Member)>::field::target_type;
    return LoadPath<Owner, Target>({&detail::relationship_of<Owner, Member>()});
}

}  // namespace alchemy
