// Value: an owning counterpart of Param, for values a statement keeps
// (sa::text(...).bind(name, v) stores its values until execution).
#pragma once

#include "alchemy/core/param.hpp"

#include <string>

namespace alchemy {

class Value {
public:
    Value() = default;
    /// Copies the bytes a text or blob Param points at.
    explicit Value(const Param& p) : type_(p.type) {
        switch (p.type) {
        case ParamType::null: break;
        case ParamType::boolean: integer_ = p.boolean ? 1 : 0; break;
        case ParamType::real: real_ = p.real; break;
        case ParamType::text:
        case ParamType::blob: bytes_ = p.bytes; break;
        case ParamType::integer:
        case ParamType::timestamp:
        case ParamType::date: integer_ = p.integer; break;
        }
    }

    /// A view of this value; valid while the Value lives and is not modified.
    Param param() const noexcept {
        Param p;
        p.type = type_;
        switch (type_) {
        case ParamType::boolean: p.boolean = integer_ != 0; break;
        case ParamType::real: p.real = real_; break;
        case ParamType::text:
        case ParamType::blob: p.bytes = bytes_; break;
        default: p.integer = integer_; break;
        }
        return p;
    }

private:
    ParamType type_ = ParamType::null;
    std::int64_t integer_ = 0;
    double real_ = 0;
    std::string bytes_;
};

}  // namespace alchemy
