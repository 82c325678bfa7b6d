// sa::col<&T::field>: a typed reference to one column of a mapped model.
// The expression language builds on it; today it names the columns of RETURNING.
#pragma once

#include "alchemy/schema/model.hpp"

#include <cstddef>
#include <string_view>

namespace alchemy {

template <auto Member>
    requires field_pointer<decltype(Member)>
struct column_ref {
    using model_type = model_of_t<decltype(Member)>;
    using value_type = typename detail::member_pointer_traits<decltype(Member)>::field;
    static constexpr std::size_t index = column_index_of<Member>;
    static constexpr std::string_view name = model_info<model_type>::columns[index].name;
    static constexpr std::string_view table = model_info<model_type>::table_name;
};

/// The column of field `Member`: sa::col<&User::name>.
template <auto Member>
inline constexpr column_ref<Member> col{};

}  // namespace alchemy
