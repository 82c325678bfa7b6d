# One place for the warning flags every alchemy target uses.
function(alchemy_set_warnings target)
    target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic)
    if(ALCHEMY_WARNINGS_AS_ERRORS)
        target_compile_options(${target} PRIVATE -Werror)
    endif()
endfunction()

# The sanitizers apply to every target of the build: the library, the tests and anything
# linked with them must agree on the instrumentation.
if(ALCHEMY_SANITIZE STREQUAL "address")
    add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all)
    add_link_options(-fsanitize=address,undefined)
elseif(ALCHEMY_SANITIZE STREQUAL "thread")
    # -Wno-tsan: gcc warns that TSan does not model std::atomic_thread_fence, which
    # src/orm/model_set.cpp uses where a Session takes over objects another thread
    # dropped; the shared counts and bits are atomics, which TSan does model.
    add_compile_options(-fsanitize=thread -fno-omit-frame-pointer -Wno-tsan)
    add_link_options(-fsanitize=thread)
elseif(ALCHEMY_SANITIZE)
    message(FATAL_ERROR "ALCHEMY_SANITIZE is '${ALCHEMY_SANITIZE}'; use OFF, address or thread")
endif()
# libFuzzer: the library is instrumented for coverage, the targets get libFuzzer's main
# (tests/fuzz/CMakeLists.txt).
if(ALCHEMY_BUILD_FUZZERS)
    if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
        message(FATAL_ERROR "ALCHEMY_BUILD_FUZZERS needs clang++ (libFuzzer); use the preset fuzz")
    endif()
    add_compile_options(-fsanitize=fuzzer-no-link)
endif()
