# cmake -DCXX=<g++> -DFLAGS="a|b" -DSOURCE=<file> -DPATTERN=<regex> -P check_vectorized.cmake
cmake_minimum_required(VERSION 3.25)
# Compiles SOURCE with GCC's vectorizer report and requires a line matching
# PATTERN (e.g. the source loop of io/collection.hpp reported as vectorized).
string(REPLACE "|" ";" flags "${FLAGS}")
execute_process(COMMAND ${CXX} ${flags} -fopt-info-vec-optimized -c ${SOURCE} -o /dev/null
                RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "${SOURCE} does not compile:\n${out}${err}")
endif()
if(NOT "${out}${err}" MATCHES "${PATTERN}")
  message(FATAL_ERROR "no loop matching '${PATTERN}' was vectorized:\n${out}${err}")
endif()
message(STATUS "vectorized: ${CMAKE_MATCH_0}")
