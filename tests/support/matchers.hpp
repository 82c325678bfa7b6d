// Catch2 matchers for exceptions: REQUIRE_THROWS_MATCHES(expr, sa::ArgumentError,
// MessageContains("port")) checks the class and a fragment of what().
#pragma once

#include <catch2/catch.hpp>

#include <exception>
#include <string>

namespace alchemy::test {

class MessageContains : public Catch::MatcherBase<std::exception> {
public:
    explicit MessageContains(std::string fragment) : fragment_(std::move(fragment)) {}
    bool match(const std::exception& e) const override {
        return std::string(e.what()).find(fragment_) != std::string::npos;
    }
    std::string describe() const override { return "message contains \"" + fragment_ + "\""; }

private:
    std::string fragment_;
};

}  // namespace alchemy::test
