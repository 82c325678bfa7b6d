# cmake -P script behind each compile-fail test (see CMakeLists.txt next to it).
#   -DMODE=fail     the source must NOT compile, and the output must match CF_EXPECT
#   -DMODE=control  the source must compile with -DALCHEMY_COMPILE_FAIL_CONTROL
#   -DTEST_FILE=    sets CF_NAME, CF_SOURCE, CF_EXPECT
#   -DFLAGS_FILE=   sets CF_COMPILER, CF_STD_FLAG, CF_CXX_FLAGS, CF_INCLUDES,
#                   CF_SYSTEM_INCLUDES, CF_DEFINES, CF_IMPLICIT_INCLUDES
cmake_minimum_required(VERSION 3.25)
include(${FLAGS_FILE})
include(${TEST_FILE})

# Plain, untranslated, uncoloured diagnostics.
set(ENV{LC_ALL} C)
set(ENV{LANG} C)
unset(ENV{GCC_COLORS})

set(args ${CF_STD_FLAG} -fsyntax-only -fdiagnostics-color=never)
separate_arguments(cxx_flags UNIX_COMMAND "${CF_CXX_FLAGS}")
list(APPEND args ${cxx_flags})
# The compiler's own directories stay where it puts them (an -I/usr/include breaks
# libstdc++'s #include_next), as CMake does for normal targets.
foreach(dir IN LISTS CF_INCLUDES)
    if(NOT dir IN_LIST CF_IMPLICIT_INCLUDES AND NOT dir IN_LIST CF_SYSTEM_INCLUDES)
        list(APPEND args -I${dir})
    endif()
endforeach()
foreach(dir IN LISTS CF_SYSTEM_INCLUDES)
    if(NOT dir IN_LIST CF_IMPLICIT_INCLUDES)
        list(APPEND args -isystem ${dir})
    endif()
endforeach()
foreach(def IN LISTS CF_DEFINES)
    list(APPEND args -D${def})
endforeach()
if(MODE STREQUAL "control")
    list(APPEND args -DALCHEMY_COMPILE_FAIL_CONTROL)
elseif(NOT MODE STREQUAL "fail")
    message(FATAL_ERROR "check_compile: MODE must be fail or control, not '${MODE}'")
endif()

list(JOIN args " " shown)
message(STATUS "${CF_COMPILER} ${shown} ${CF_SOURCE}")
execute_process(COMMAND ${CF_COMPILER} ${args} ${CF_SOURCE}
                RESULT_VARIABLE rc OUTPUT_VARIABLE output ERROR_VARIABLE output)

if(MODE STREQUAL "control")
    if(NOT rc EQUAL 0)
        message("${output}")
        message(FATAL_ERROR "compile_fail ${CF_NAME} (control): with ALCHEMY_COMPILE_FAIL_CONTROL "
                            "defined the file must compile, but the compiler failed (${rc})")
    endif()
    message(STATUS "compile_fail ${CF_NAME} (control): compiles, as it must")
    return()
endif()

if(rc EQUAL 0)
    message(FATAL_ERROR "compile_fail ${CF_NAME}: the file compiled, but it must be refused "
                        "with a message matching: ${CF_EXPECT}")
endif()
if(NOT output MATCHES "${CF_EXPECT}")
    message("${output}")
    message(FATAL_ERROR "compile_fail ${CF_NAME}: compilation failed as it must, but the "
                        "output above does not match: ${CF_EXPECT}")
endif()
string(REGEX MATCH "[^\n]*${CF_EXPECT}[^\n]*" matched_line "${output}")
message(STATUS "compile_fail ${CF_NAME}: refused as expected: ${matched_line}")
