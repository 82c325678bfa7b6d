// Decoding the binary numeric format into integers and decimal text.
#include "drivers/postgresql/pg_numeric.hpp"

#include "drivers/postgresql/pg_binary.hpp"

#include <algorithm>
#include <charconv>

namespace alchemy::detail::pg {
namespace {

// Sign word values (the server's NUMERIC_POS, NUMERIC_NEG, NUMERIC_NAN, ...).
constexpr std::uint16_t sign_negative = 0x4000;
constexpr std::uint16_t sign_nan = 0xC000;
constexpr std::uint16_t sign_positive_infinity = 0xD000;
constexpr std::uint16_t sign_negative_infinity = 0xF000;

constexpr std::int64_t digit_base = 10'000;
constexpr std::size_t header_size = 8;

struct NumericView {
    int ndigits = 0;
    int weight = 0;  // the first digit counts digit_base^weight
    std::uint16_t sign = 0;
    int dscale = 0;  // digits shown after the decimal point
    const char* digits = nullptr;

    explicit NumericView(std::string_view binary) noexcept {
        if (binary.size() < header_size) return;
        const char* p = binary.data();
        // Never read past what the server sent, even if the header claims more digits.
        const int available = static_cast<int>((binary.size() - header_size) / 2);
        ndigits = std::min<int>(load_i16(p), available);
        weight = load_i16(p + 2);
        sign = load_u16(p + 4);
        dscale = load_i16(p + 6);
        digits = p + header_size;
    }

    /// Digit `i` (0 = most significant); zero outside the stored digits.
    std::int64_t digit(int i) const noexcept {
        return i >= 0 && i < ndigits ? load_i16(digits + 2 * i) : 0;
    }
    bool is_special() const noexcept {
        return sign == sign_nan || sign == sign_positive_infinity ||
               sign == sign_negative_infinity;
    }
};

void append_digit_group(std::string& out, std::int64_t group, bool pad) {
    char text[8];
    auto end = std::to_chars(text, text + sizeof text, group).ptr;
    if (pad) out.append(4 - static_cast<std::size_t>(end - text), '0');
    out.append(text, end);
}

}  // namespace

std::optional<std::int64_t> numeric_to_int(std::string_view binary) noexcept {
    const NumericView n(binary);
    if (n.is_special()) return std::nullopt;
    const bool negative = n.sign == sign_negative;
    for (int i = std::max(n.weight + 1, 0); i < n.ndigits; ++i)
        if (n.digit(i) != 0) return std::nullopt;
    // Accumulating toward the sign keeps INT64_MIN representable.
    std::int64_t value = 0;
    for (int i = 0; i <= n.weight; ++i) {
        const std::int64_t d = negative ? -n.digit(i) : n.digit(i);
        if (__builtin_mul_overflow(value, digit_base, &value) ||
            __builtin_add_overflow(value, d, &value))
            return std::nullopt;
    }
    return value;
}

void append_numeric_text(std::string& out, std::string_view binary) {
    const NumericView n(binary);
    if (n.sign == sign_nan) return void(out += "NaN");
    if (n.sign == sign_positive_infinity) return void(out += "Infinity");
    if (n.sign == sign_negative_infinity) return void(out += "-Infinity");
    if (n.sign == sign_negative) out += '-';
    if (n.weight < 0) out += '0';
    for (int i = 0; i <= n.weight; ++i) append_digit_group(out, n.digit(i), i > 0);
    if (n.dscale <= 0) return;
    out += '.';
    const auto fraction_start = out.size();
    for (int i = n.weight + 1; out.size() - fraction_start < static_cast<std::size_t>(n.dscale);
         ++i)
        append_digit_group(out, n.digit(i), true);
    out.resize(fraction_start + static_cast<std::size_t>(n.dscale));
}

}  // namespace alchemy::detail::pg
