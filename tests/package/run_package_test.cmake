# cmake -P script run by the package test (see CMakeLists.txt next to it):
#   1. cmake --install ALCHEMY_BUILD_DIR into WORK_DIR/prefix
#   2. configure CONSUMER_SOURCE_DIR against that prefix only, build it
#   3. run the consumer, which prints "alchemy consumer: ok"
# Inputs (-D): ALCHEMY_BUILD_DIR CONSUMER_SOURCE_DIR WORK_DIR CONFIG GENERATOR MAKE_PROGRAM
#              CXX_COMPILER CXX_COMPILER_LAUNCHER CXX_FLAGS LINK_FLAGS
cmake_minimum_required(VERSION 3.25)

foreach(var ALCHEMY_BUILD_DIR CONSUMER_SOURCE_DIR WORK_DIR GENERATOR CXX_COMPILER)
    if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
        message(FATAL_ERROR "package test: -D${var}=... is required")
    endif()
endforeach()

set(prefix ${WORK_DIR}/prefix)
set(consumer_build ${WORK_DIR}/consumer-build)
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})

# Runs a command, echoing it; stops the test with its output if it fails.
function(run_step what)
    list(JOIN ARGN " " shown)
    message(STATUS "package test: ${what}: ${shown}")
    execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc)
    if(NOT rc EQUAL 0)
        message(FATAL_ERROR "package test: ${what} failed (${rc})")
    endif()
endfunction()

set(config_args)
if(NOT "${CONFIG}" STREQUAL "")
    set(config_args --config ${CONFIG})
endif()
run_step("install" ${CMAKE_COMMAND} --install ${ALCHEMY_BUILD_DIR} --prefix ${prefix} ${config_args})

set(configure_args
    -S ${CONSUMER_SOURCE_DIR} -B ${consumer_build} -G ${GENERATOR}
    -DCMAKE_CXX_COMPILER=${CXX_COMPILER}
    -DCMAKE_PREFIX_PATH=${prefix}
    # Only the fresh install may satisfy find_package(alchemy).
    -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF
    -DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF
    "-DCMAKE_CXX_FLAGS=${CXX_FLAGS}"
    "-DCMAKE_EXE_LINKER_FLAGS=${LINK_FLAGS}")
if(MAKE_PROGRAM)
    list(APPEND configure_args -DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM})
endif()
if(CXX_COMPILER_LAUNCHER)
    list(APPEND configure_args -DCMAKE_CXX_COMPILER_LAUNCHER=${CXX_COMPILER_LAUNCHER})
endif()
if(NOT "${CONFIG}" STREQUAL "")
    list(APPEND configure_args -DCMAKE_BUILD_TYPE=${CONFIG})
endif()
run_step("configure consumer" ${CMAKE_COMMAND} ${configure_args})

# The consumer must have found the package in the prefix, not elsewhere on the system.
file(STRINGS ${consumer_build}/CMakeCache.txt alchemy_dir_line REGEX "^alchemy_DIR:")
string(REGEX REPLACE "^alchemy_DIR:[A-Z]+=" "" alchemy_dir "${alchemy_dir_line}")
file(REAL_PATH "${alchemy_dir}" alchemy_dir)
file(REAL_PATH "${prefix}" real_prefix)
string(FIND "${alchemy_dir}" "${real_prefix}/" at)
if(NOT at EQUAL 0)
    message(FATAL_ERROR "package test: alchemy was found in '${alchemy_dir}', not under ${prefix}")
endif()

run_step("build consumer" ${CMAKE_COMMAND} --build ${consumer_build} ${config_args})

set(app ${consumer_build}/app)
if(NOT EXISTS ${app} AND EXISTS ${consumer_build}/${CONFIG}/app)
    set(app ${consumer_build}/${CONFIG}/app)
endif()
message(STATUS "package test: run consumer: ${app}")
execute_process(COMMAND ${app} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
message("${out}")
if(NOT rc EQUAL 0 OR NOT out MATCHES "alchemy consumer: ok")
    message(FATAL_ERROR "package test: the consumer failed (${rc})")
endif()
