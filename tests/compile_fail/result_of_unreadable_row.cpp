// expect: alchemy: Result<Row> needs a Row that can be read
// A Result of a type that is neither a supported scalar, a std::tuple of them, nor a
// model (NotARow is no aggregate, so it cannot be one) is refused by the static_assert in
// alchemy/core/result.hpp, not somewhere deep inside row_traits. The control build reads
// int64 rows instead, which must compile.
#include <alchemy/alchemy.hpp>

#include <cstddef>
#include <cstdint>

class NotARow {
public:
    explicit NotARow(int x) : x_(x) {}
    int x() const { return x_; }

private:
    int x_;
};

#ifndef ALCHEMY_COMPILE_FAIL_CONTROL
using Row = NotARow;
#else
using Row = std::int64_t;
#endif

std::size_t count_rows(alchemy::Result<Row>& result) { return result.all().size(); }
