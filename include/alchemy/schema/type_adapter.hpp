// sa::type_adapter<T>: store a user type as one of the built-in column types.
//
//   template <> struct sa::type_adapter<Uuid> {
//       using storage_type = std::string;
//       static std::string to_storage(const Uuid&);
//       static Uuid from_storage(const std::string&);
//   };
#pragma once

#include <concepts>

namespace alchemy {

/// Specialise for a user type; see the file comment.
template <class T>
struct type_adapter;

template <class T>
concept adapted_type = requires(const T& value, const typename type_adapter<T>::storage_type& stored) {
    { type_adapter<T>::to_storage(value) } -> std::convertible_to<typename type_adapter<T>::storage_type>;
    { type_adapter<T>::from_storage(stored) } -> std::convertible_to<T>;
};

}  // namespace alchemy
