# KafkaFixture.cmake — a real Kafka broker for CTest, started by scripts/kafka.
#
#   include(${PROJECT_SOURCE_DIR}/cmake/KafkaFixture.cmake)
#   spate_kafka_fixture()                       # registers kafka_up / kafka_down (once)
#   spate_test(my_kafka_tests a.cpp LIBS PkgConfig::RDKAFKA)
#   spate_kafka_tests(TARGETS my_kafka_tests)   # Catch2 targets: every discovered test
#   spate_kafka_tests(TESTS my_plain_test)      # tests made with add_test()
#   spate_kafka_tests(TARGETS my_failover_tests EXCLUSIVE)  # stops/starts brokers: run alone
#
# The fixture: CTest test `kafka_up` (FIXTURES_SETUP kafka) runs
# `scripts/kafka up --brokers ${SPATE_KAFKA_BROKERS}` with the state dir
# SPATE_KAFKA_DIR=${CMAKE_BINARY_DIR}/kafka, so the bootstrap address lands in
# ${CMAKE_BINARY_DIR}/kafka/bootstrap; `kafka_down` (FIXTURES_CLEANUP kafka)
# stops the cluster after the last test that needs it, pass or fail.
#
# What a Kafka test receives (ENVIRONMENT set by spate_kafka_tests):
#   SPATE_KAFKA_BOOTSTRAP_FILE  file with the bootstrap, e.g. 127.0.0.1:40123
#   SPATE_KAFKA_DIR             the state dir (for `scripts/kafka stop-broker I`)
#   SPATE_KAFKA_SCRIPT          absolute path of scripts/kafka
# A test reads the environment variable SPATE_KAFKA_BOOTSTRAP first (set it by
# hand to point a test at another cluster) and falls back to the file; see
# tests/kafka_broker/kafka_test_env.hpp.
#
# Options:
#   SPATE_KAFKA_TESTS=OFF  no fixture; Kafka tests are registered but DISABLED
#                          (CTest reports them "Not Run (Disabled)", not failed).
#   SPATE_KAFKA_BROKERS=N  brokers in the fixture cluster (default 1; 3 for replication).
include_guard(GLOBAL)

option(SPATE_KAFKA_TESTS "Run the tests that need a real Kafka broker (scripts/kafka)" ON)
set(SPATE_KAFKA_BROKERS 1 CACHE STRING "Number of brokers the kafka CTest fixture starts")

# Paths live in global properties: with include_guard(GLOBAL) this file runs
# once, in whichever test folder includes it first, and plain variables set
# here would be invisible to its sibling folders.
set(_spate_kafka_script "${CMAKE_CURRENT_LIST_DIR}/../scripts/kafka")
cmake_path(NORMAL_PATH _spate_kafka_script)
set_property(GLOBAL PROPERTY SPATE_KAFKA_SCRIPT "${_spate_kafka_script}")
set_property(GLOBAL PROPERTY SPATE_KAFKA_STATE_DIR "${CMAKE_BINARY_DIR}/kafka")
unset(_spate_kafka_script)

macro(_spate_kafka_paths)
  get_property(SPATE_KAFKA_SCRIPT GLOBAL PROPERTY SPATE_KAFKA_SCRIPT)
  get_property(SPATE_KAFKA_STATE_DIR GLOBAL PROPERTY SPATE_KAFKA_STATE_DIR)
  set(SPATE_KAFKA_BOOTSTRAP_FILE "${SPATE_KAFKA_STATE_DIR}/bootstrap")
endmacro()

function(spate_kafka_fixture)
  if(NOT SPATE_KAFKA_TESTS)
    return()
  endif()
  get_property(done GLOBAL PROPERTY SPATE_KAFKA_FIXTURE_DONE)
  if(done)
    return()
  endif()
  set_property(GLOBAL PROPERTY SPATE_KAFKA_FIXTURE_DONE TRUE)
  _spate_kafka_paths()
  find_program(SPATE_BASH bash REQUIRED)
  add_test(NAME kafka_up
    COMMAND ${CMAKE_COMMAND} -E env SPATE_KAFKA_DIR=${SPATE_KAFKA_STATE_DIR}
      ${SPATE_BASH} ${SPATE_KAFKA_SCRIPT} up --brokers ${SPATE_KAFKA_BROKERS})
  add_test(NAME kafka_down
    COMMAND ${CMAKE_COMMAND} -E env SPATE_KAFKA_DIR=${SPATE_KAFKA_STATE_DIR}
      ${SPATE_BASH} ${SPATE_KAFKA_SCRIPT} down)
  # kafka_up may fetch the broker from Maven the first time (about 20 s here).
  set_tests_properties(kafka_up PROPERTIES FIXTURES_SETUP kafka TIMEOUT 600 LABELS kafka)
  set_tests_properties(kafka_down PROPERTIES FIXTURES_CLEANUP kafka TIMEOUT 120 LABELS kafka)
endfunction()

# spate_kafka_tests([TARGETS catch_target...] [TESTS test...] [EXCLUSIVE])
# Makes tests need the kafka fixture and gives them its environment.
# TARGETS: executables registered with catch_discover_tests (as spate_test
# does). Their test names exist only at ctest time, so the properties are
# applied by a small script CTest includes after Catch's own (it reads the
# <target>_TESTS list that Catch's script sets). Call this after spate_test().
# EXCLUSIVE: the tests stop or restart brokers, so they run with no other test
# beside them (RUN_SERIAL).
function(spate_kafka_tests)
  cmake_parse_arguments(K "EXCLUSIVE" "" "TARGETS;TESTS" ${ARGN})
  _spate_kafka_paths()
  set(env
    "SPATE_KAFKA_BOOTSTRAP_FILE=${SPATE_KAFKA_BOOTSTRAP_FILE}"
    "SPATE_KAFKA_DIR=${SPATE_KAFKA_STATE_DIR}"
    "SPATE_KAFKA_SCRIPT=${SPATE_KAFKA_SCRIPT}")
  if(SPATE_KAFKA_TESTS)
    set(props FIXTURES_REQUIRED kafka LABELS kafka)
    if(K_EXCLUSIVE)
      list(APPEND props RUN_SERIAL TRUE)
    endif()
  else()
    set(props DISABLED TRUE LABELS kafka)
  endif()
  if(K_TESTS)
    set_tests_properties(${K_TESTS} PROPERTIES ${props})
    if(SPATE_KAFKA_TESTS)
      set_property(TEST ${K_TESTS} APPEND PROPERTY ENVIRONMENT ${env})
    endif()
  endif()
  list(JOIN props " " props_code)
  set(env_code "")
  if(SPATE_KAFKA_TESTS)
    # "${env}" is one quoted argument holding the ;-list in the generated script.
    set(env_code "  set_tests_properties(\"\${_t}\" PROPERTIES ENVIRONMENT \"${env}\")\n")
  endif()
  foreach(target IN LISTS K_TARGETS)
    set(file "${CMAKE_CURRENT_BINARY_DIR}/${target}_kafka_props.cmake")
    file(WRITE "${file}"
      "# Generated by spate_kafka_tests(): the kafka fixture for the tests Catch found in ${target}.\n"
      "foreach(_t IN LISTS ${target}_TESTS)\n"
      "  set_tests_properties(\"\${_t}\" PROPERTIES ${props_code})\n"
      "${env_code}"
      "endforeach()\n")
    set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES "${file}")
  endforeach()
endfunction()
