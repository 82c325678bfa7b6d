// Parameters in the form PQexecParams/PQexecPrepared take: parallel arrays of type
// OIDs, value pointers, lengths and formats. One ParamEncoder per connection reuses its
// buffers, so binding costs no allocation once they have grown.
#pragma once

#include "alchemy/core/param.hpp"

#include <libpq-fe.h>

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace alchemy::detail::pg {

/// The offset of the first byte of `text` that does not start a well-formed UTF-8
/// character (RFC 3629: no overlong forms, surrogates or code points past U+10FFFF, as the
/// server checks), or std::string_view::npos if there is none. alchemy's connections use
/// client_encoding UTF8, so such text would be refused by the server, after it was sent.
std::size_t invalid_utf8_at(std::string_view text) noexcept;

/// Encodes values in binary with explicit type OIDs, except text, which goes in text
/// format with an unspecified type so the server infers the column's type (a text
/// parameter can fill an integer, uuid or json column). NULL is a null pointer.
///
/// An integer is typed as PostgreSQL types the same literal: int4 when it fits, else
/// int8. Functions such as substr(text, int4) or pg_terminate_backend(int4) have no
/// bigint overload and PostgreSQL does not cast bigint down implicitly, so always
/// sending int8 would make them fail where a literal works.
class ParamEncoder {
public:
    /// Encodes `params` (`sql` only names the statement in errors). The arrays stay
    /// valid until the next encode() and point into the callers' text and blobs.
    void encode(std::span<const Param> params, std::string_view sql);

    /// Sends int4 parameters as int8 where `declared` (the types a prepared statement
    /// was prepared with) says int8.
    void widen_integers(std::span<const Oid> declared) noexcept;

    /// True when the last encode() bound a timestamp or a date, which the server converts
    /// through the session's TimeZone wherever it meets the other kind of timestamp.
    bool binds_timestamp() const noexcept { return binds_timestamp_; }
    int count() const noexcept { return static_cast<int>(types_.size()); }
    std::span<const Oid> types() const noexcept { return types_; }
    const char* const* values() const noexcept { return values_.data(); }
    const int* lengths() const noexcept { return lengths_.data(); }
    const int* formats() const noexcept { return formats_.data(); }

    /// Raises unless `sql`'s highest $n is the number of values encode() was given:
    /// PostgreSQL would take extra values silently, as parameters the text never reads.
    /// Counted once per text in a row of runs of that text; a statement found prepared
    /// was checked when it was prepared and need not come here.
    void check_placeholders(std::string_view sql);

private:
    /// Sets counted_sql_ and the highest $n in its code (not in literals or comments).
    void count_placeholders(std::string_view sql);

    std::string counted_sql_;
    int counted_placeholders_ = 0;
    std::string buffer_;  // encoded bytes of every parameter that is not a blob
    std::vector<Oid> types_;
    std::vector<const char*> values_;
    std::vector<int> lengths_;
    std::vector<int> formats_;
    bool binds_timestamp_ = false;
};

}  // namespace alchemy::detail::pg
