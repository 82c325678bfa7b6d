// The statement tree's special members, compiled once here rather than inline in every
// typed expression's lower() (sql/statement_tree.hpp says why).
#include "alchemy/sql/statement_tree.hpp"

#include <utility>

namespace alchemy::detail::ast {

Node::Node() noexcept = default;
Node::Node(Kind k, std::string_view t, std::string_view q) noexcept : kind(k), text(t), qualifier(q) {}
Node::Node(const Node&) = default;
Node::Node(Node&&) noexcept = default;
Node& Node::operator=(const Node&) = default;
Node& Node::operator=(Node&&) noexcept = default;
Node::~Node() = default;

void Node::add(Node child) { children.push_back(std::move(child)); }

Select::Select() noexcept = default;
Select::Select(const Select&) = default;
Select::Select(Select&&) noexcept = default;
Select& Select::operator=(const Select&) = default;
Select& Select::operator=(Select&&) noexcept = default;
Select::~Select() = default;

}  // namespace alchemy::detail::ast
