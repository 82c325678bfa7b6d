// The contract every fuzz target checks: the code under test either succeeds or throws
// the typed alchemy error its documentation names. Any other exception aborts, so that
// libFuzzer keeps the input as a crash, as it does for a sanitizer report.
#pragma once

#include <alchemy/core/error.hpp>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <typeinfo>

namespace alchemy::fuzz {

/// Runs `body`; returns false when it threw `Expected`, true when it succeeded.
template <class Expected, class Body>
bool succeeds_or_throws(Body&& body) {
    try {
        body();
        return true;
    } catch (const Expected&) {
        return false;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "fuzz: unexpected exception %s: %s\n", typeid(e).name(), e.what());
        std::abort();
    } catch (...) {
        std::fprintf(stderr, "fuzz: unexpected exception that is no std::exception\n");
        std::abort();
    }
}

}  // namespace alchemy::fuzz
