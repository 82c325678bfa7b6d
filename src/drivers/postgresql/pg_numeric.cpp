// The binary numeric format: decoding into integers and decimal text, encoding from text.
#include "drivers/postgresql/pg_numeric.hpp"

#include "drivers/postgresql/pg_binary.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>

namespace alchemy::detail::pg {
namespace {

// Sign word values (the server's NUMERIC_POS, NUMERIC_NEG, NUMERIC_NAN, ...).
constexpr std::uint16_t sign_positive = 0x0000;
constexpr std::uint16_t sign_negative = 0x4000;
constexpr std::uint16_t sign_nan = 0xC000;
constexpr std::uint16_t sign_positive_infinity = 0xD000;
constexpr std::uint16_t sign_negative_infinity = 0xF000;

constexpr std::int64_t digit_base = 10'000;
constexpr std::size_t header_size = 8;
constexpr int digits_per_group = 4;  // decimal digits in one base-10000 digit
// Beyond these the header's 16-bit fields overflow (dscale is 14 bits wide).
constexpr std::int64_t max_dscale = 0x3FFF;
constexpr std::int64_t max_weight = 32'767;
constexpr std::int64_t max_exponent = 1'000'000;  // parsed exponents stay far from overflow

struct NumericView {
    bool valid = false;  // false: not the server's binary numeric (see append_numeric_text)
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
        valid = load_i16(p) >= 0 && dscale >= 0 && dscale <= max_dscale &&
                (sign == sign_positive || sign == sign_negative || is_special());
        for (int i = 0; valid && i < ndigits; ++i) valid = digit(i) >= 0 && digit(i) < digit_base;
    }

    /// Digit `i` (0 = most significant); zero outside the stored digits.
    std::int64_t digit(int i) const noexcept { return i >= 0 && i < ndigits ? load_i16(digits + 2 * i) : 0; }
    bool is_special() const noexcept {
        return sign == sign_nan || sign == sign_positive_infinity || sign == sign_negative_infinity;
    }
};

void append_digit_group(std::string& out, std::int64_t group, bool pad) {
    char text[8];
    auto end = std::to_chars(text, text + sizeof text, group).ptr;
    if (pad) out.append(4 - static_cast<std::size_t>(end - text), '0');
    out.append(text, end);
}

bool equals_ignoring_case(std::string_view text, std::string_view lower) noexcept {
    return text.size() == lower.size() &&
           std::equal(text.begin(), text.end(), lower.begin(),
                      [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; });
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) noexcept {
    return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

void append_header(std::string& out, std::int64_t ndigits, std::int64_t weight, std::uint16_t sign,
                   std::int64_t dscale) {
    append_be(out, static_cast<std::uint64_t>(ndigits), 2);
    append_be(out, static_cast<std::uint64_t>(weight), 2);
    append_be(out, sign, 2);
    append_be(out, static_cast<std::uint64_t>(dscale), 2);
}

// [+-]digits[.digits][e[+-]digits], with at least one digit before the exponent.
struct Decimal {
    bool negative = false;
    std::string_view whole;
    std::string_view fraction;
    std::int64_t exponent = 0;

    bool parse(std::string_view text) noexcept {
        if (!text.empty() && (text.front() == '+' || text.front() == '-')) {
            negative = text.front() == '-';
            text.remove_prefix(1);
        }
        const auto digits = [&text] {
            const auto end = std::find_if(text.begin(), text.end(), [](char c) {
                return !std::isdigit(static_cast<unsigned char>(c));
            });
            const auto run = text.substr(0, static_cast<std::size_t>(end - text.begin()));
            text.remove_prefix(run.size());
            return run;
        };
        whole = digits();
        if (!text.empty() && text.front() == '.') {
            text.remove_prefix(1);
            fraction = digits();
        }
        if (whole.empty() && fraction.empty()) return false;
        if (!text.empty() && (text.front() == 'e' || text.front() == 'E')) {
            text.remove_prefix(1);
            if (!text.empty() && text.front() == '+') text.remove_prefix(1);
            const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), exponent);
            if (error != std::errc{} || end == text.data() || exponent > max_exponent ||
                exponent < -max_exponent)
                return false;
            text.remove_prefix(static_cast<std::size_t>(end - text.data()));
        }
        return text.empty();
    }

    std::size_t size() const noexcept { return whole.size() + fraction.size(); }
    int digit(std::size_t i) const noexcept {
        return (i < whole.size() ? whole[i] : fraction[i - whole.size()]) - '0';
    }
};

}  // namespace

std::optional<std::int64_t> numeric_to_int(std::string_view binary) noexcept {
    const NumericView n(binary);
    if (!n.valid || n.is_special()) return std::nullopt;
    const bool negative = n.sign == sign_negative;
    for (int i = std::max(n.weight + 1, 0); i < n.ndigits; ++i)
        if (n.digit(i) != 0) return std::nullopt;
    // Accumulating toward the sign keeps INT64_MIN representable.
    std::int64_t value = 0;
    for (int i = 0; i <= n.weight; ++i) {
        const std::int64_t d = negative ? -n.digit(i) : n.digit(i);
        if (__builtin_mul_overflow(value, digit_base, &value) || __builtin_add_overflow(value, d, &value))
            return std::nullopt;
    }
    return value;
}

bool append_numeric_text(std::string& out, std::string_view binary) {
    const NumericView n(binary);
    if (!n.valid) return false;
    if (n.is_special()) {
        out += n.sign == sign_nan ? "NaN" : n.sign == sign_positive_infinity ? "Infinity" : "-Infinity";
        return true;
    }
    if (n.sign == sign_negative) out += '-';
    if (n.weight < 0) out += '0';
    for (int i = 0; i <= n.weight; ++i) append_digit_group(out, n.digit(i), i > 0);
    if (n.dscale <= 0) return true;
    out += '.';
    const auto fraction_start = out.size();
    for (int i = n.weight + 1; out.size() - fraction_start < static_cast<std::size_t>(n.dscale); ++i)
        append_digit_group(out, n.digit(i), true);
    out.resize(fraction_start + static_cast<std::size_t>(n.dscale));
    return true;
}

bool append_numeric_binary(std::string& out, std::string_view text) {
    auto body = text;
    if (!body.empty() && (body.front() == '+' || body.front() == '-')) body.remove_prefix(1);
    if (equals_ignoring_case(text, "nan")) {
        append_header(out, 0, 0, sign_nan, 0);
        return true;
    }
    if (equals_ignoring_case(body, "infinity") || equals_ignoring_case(body, "inf")) {
        append_header(out, 0, 0, text.front() == '-' ? sign_negative_infinity : sign_positive_infinity, 0);
        return true;
    }

    Decimal d;
    if (!d.parse(text)) return false;
    // Digit i of the digit string counts 10^(point - 1 - i).
    const std::int64_t point = static_cast<std::int64_t>(d.whole.size()) + d.exponent;
    const std::int64_t dscale = std::max<std::int64_t>(0, static_cast<std::int64_t>(d.size()) - point);
    if (dscale > max_dscale) return false;

    std::size_t first = 0;
    while (first < d.size() && d.digit(first) == 0) ++first;
    if (first == d.size()) {  // zero keeps its scale but has no digits and no sign
        append_header(out, 0, 0, sign_positive, dscale);
        return true;
    }
    std::size_t last = d.size() - 1;
    while (d.digit(last) == 0) --last;

    const auto power = [&](std::size_t i) { return point - 1 - static_cast<std::int64_t>(i); };
    const std::int64_t top_group = floor_div(power(first), digits_per_group);
    const std::int64_t bottom_group = floor_div(power(last), digits_per_group);
    const std::int64_t ndigits = top_group - bottom_group + 1;
    if (top_group > max_weight || top_group < -max_weight || ndigits > max_weight) return false;

    append_header(out, ndigits, top_group, d.negative ? sign_negative : sign_positive, dscale);
    constexpr std::array<int, digits_per_group> scale{1, 10, 100, 1000};
    std::int64_t group = top_group;
    int value = 0;
    for (std::size_t i = first; i <= last; ++i) {
        const std::int64_t e = power(i);
        const std::int64_t g = floor_div(e, digits_per_group);
        for (; group > g; --group) {
            append_be(out, static_cast<std::uint64_t>(value), 2);
            value = 0;
        }
        value += d.digit(i) * scale[static_cast<std::size_t>(e - g * digits_per_group)];
    }
    append_be(out, static_cast<std::uint64_t>(value), 2);
    return true;
}

}  // namespace alchemy::detail::pg
