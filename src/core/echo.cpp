#include "echo.hpp"

#include "core/printable.hpp"

#include <fmt/format.h>

#include <chrono>

namespace alchemy::detail {
namespace {

constexpr std::size_t max_logged_text = 100;

void render_timestamp(std::string& out, std::int64_t micros) {
    using namespace std::chrono;
    const sys_time<microseconds> t{microseconds{micros}};
    const auto day = floor<days>(t);
    const year_month_day ymd{day};
    const hh_mm_ss<microseconds> time{t - day};
    fmt::format_to(std::back_inserter(out), "'{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:06}'",
                   static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                   static_cast<unsigned>(ymd.day()), time.hours().count(), time.minutes().count(),
                   time.seconds().count(), time.subseconds().count());
}

void render_date(std::string& out, std::int64_t days_since_epoch) {
    using namespace std::chrono;
    const year_month_day ymd{sys_days{days{days_since_epoch}}};
    fmt::format_to(std::back_inserter(out), "'{:04}-{:02}-{:02}'", static_cast<int>(ymd.year()),
                   static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
}

// A value's line break or escape sequence must not reach the log raw, where it could
// forge a line or drive the terminal.
void render_text(std::string& out, std::string_view text) {
    out += '\'';
    append_printable(out, text.substr(0, max_logged_text));
    out += '\'';
    if (text.size() > max_logged_text)
        fmt::format_to(std::back_inserter(out), "... ({} characters)", text.size());
}

}  // namespace

std::string render_params(std::span<const Param> params) {
    std::string out = "(";
    for (std::size_t i = 0; i < params.size(); ++i) {
        if (i) out += ", ";
        const Param& p = params[i];
        switch (p.type) {
        case ParamType::null: out += "NULL"; break;
        case ParamType::boolean: out += p.boolean ? "True" : "False"; break;
        case ParamType::integer: fmt::format_to(std::back_inserter(out), "{}", p.integer); break;
        case ParamType::real: fmt::format_to(std::back_inserter(out), "{}", p.real); break;
        case ParamType::text: render_text(out, p.bytes); break;
        case ParamType::blob: fmt::format_to(std::back_inserter(out), "<{} bytes>", p.bytes.size()); break;
        case ParamType::timestamp: render_timestamp(out, p.integer); break;
        case ParamType::date: render_date(out, p.integer); break;
        }
    }
    if (params.size() == 1) out += ',';
    out += ')';
    return out;
}

std::string render_row_count(std::size_t rows) {
    return fmt::format("[{} row{}]", rows, rows == 1 ? "" : "s");
}

std::string render_batch(std::span<const Param> params, std::size_t per_row) {
    const auto rows = per_row ? params.size() / per_row : 0;
    if (rows == 0) return render_row_count(0);
    auto out = render_row_count(rows);
    out.pop_back();
    out += "; first: " + render_params(params.first(per_row)) + ']';
    return out;
}

std::string render_copy(const Dialect& dialect, std::string_view table,
                        std::span<const std::string_view> columns) {
    std::string out = "COPY ";
    dialect.append_identifier(out, table);
    out += " (";
    for (std::size_t i = 0; i < columns.size(); ++i) {
        if (i) out += ", ";
        dialect.append_identifier(out, columns[i]);
    }
    out += ") FROM STDIN";
    return out;
}

}  // namespace alchemy::detail
