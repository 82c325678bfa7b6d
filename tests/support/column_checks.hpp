// check_columns(got, want): compares two objects of a model column by column, each in a
// CHECK of its own whose message names the column, so a failure says which one differs.
#pragma once

#include <alchemy/alchemy.hpp>

#include <boost/pfr/core.hpp>
#include <catch2/catch.hpp>

#include <cstddef>
#include <utility>

namespace alchemy::test {

template <class T>
void check_columns(const T& got, const T& want) {
    [&]<std::size_t... C>(std::index_sequence<C...>) {
        (
            [&] {
                INFO("column " << model_info<T>::columns[C].name);
                CHECK((boost::pfr::get<C>(got) == boost::pfr::get<C>(want)));
            }(),
            ...);
    }(std::make_index_sequence<model_info<T>::column_count>{});
}

}  // namespace alchemy::test
