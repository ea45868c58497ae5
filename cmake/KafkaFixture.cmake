# KafkaFixture.cmake — real Kafka clusters for CTest, started by scripts/kafka.
#
#   include(${PROJECT_SOURCE_DIR}/cmake/KafkaFixture.cmake)
#   spate_kafka_fixture()                       # registers kafka_up / kafka_down (once)
#   spate_test(my_kafka_tests a.cpp LIBS PkgConfig::RDKAFKA)
#   spate_kafka_tests(TARGETS my_kafka_tests)   # Catch2 targets: every discovered test
#   spate_kafka_tests(TESTS my_plain_test)      # tests made with add_test()
#   spate_kafka_tests(TARGETS my_failover_tests EXCLUSIVE)  # stops/starts brokers: run alone
#   spate_kafka_tests(TARGETS my_cluster_tests CLUSTER kafka3 EXCLUSIVE)  # on the 3-broker cluster
#
# Two independent clusters (fixtures), each started only when a selected test
# needs it:
#   kafka   tests kafka_up / kafka_down; `scripts/kafka up --brokers
#           ${SPATE_KAFKA_BROKERS}` (default 1) with the state dir
#           SPATE_KAFKA_DIR=${CMAKE_BINARY_DIR}/kafka. The default CLUSTER.
#   kafka3  tests kafka3_up / kafka3_down; `scripts/kafka up --brokers 3` with
#           SPATE_KAFKA_DIR=${CMAKE_BINARY_DIR}/kafka3 and SPATE_KAFKA_HEAP=
#           ${SPATE_KAFKA3_HEAP} (default 320m) per broker: replication factor
#           3 and min.insync.replicas=2, so a test can kill one broker and the
#           cluster keeps serving. About 15 s to start.
# `<name>_up` (FIXTURES_SETUP <name>) writes the bootstrap address to
# <state dir>/bootstrap; `<name>_down` (FIXTURES_CLEANUP <name>) stops the
# cluster after the last test that needs it, pass or fail. Each cluster picks
# its own free ports and has its own state dir, so both may be up at once
# (ctest -j). spate_kafka_tests() registers its cluster's fixture itself;
# spate_kafka_fixture([CLUSTER name]) does it explicitly (both idempotent).
#
# What a Kafka test receives (ENVIRONMENT set by spate_kafka_tests):
#   SPATE_KAFKA_BOOTSTRAP_FILE  file with the bootstrap, e.g. 127.0.0.1:40123
#   SPATE_KAFKA_DIR             the cluster's state dir (for `scripts/kafka stop-broker I`)
#   SPATE_KAFKA_SCRIPT          absolute path of scripts/kafka
#   SPATE_KAFKA_HEAP            kafka3 only: the broker heap, so `start-broker I`
#                               restarts a broker with the heap it had
# A test reads the environment variable SPATE_KAFKA_BOOTSTRAP first (set it by
# hand to point a test at another cluster) and falls back to the file; see
# tests/kafka_broker/kafka_test_env.hpp.
#
# Labels: every Kafka test (and the up/down tests) has LABELS kafka; those of
# the kafka3 cluster also kafka3. `ctest -L kafka` runs both clusters' tests
# (-L is a regex), `-L kafka3` only the 3-broker ones, `-LE kafka3` all but them.
# EXCLUSIVE adds RUN_SERIAL: such a test (it stops or kills brokers) runs with
# no other test beside it, neither the other cluster's tests nor its up/down.
#
# Options:
#   SPATE_KAFKA_TESTS=OFF  no fixture; Kafka tests are registered but DISABLED
#                          (CTest reports them "Not Run (Disabled)", not failed).
#   SPATE_KAFKA_BROKERS=N  brokers in the `kafka` cluster (default 1).
#   SPATE_KAFKA3_HEAP=320m heap of each broker of the `kafka3` cluster.
include_guard(GLOBAL)

option(SPATE_KAFKA_TESTS "Run the tests that need a real Kafka broker (scripts/kafka)" ON)
set(SPATE_KAFKA_BROKERS 1 CACHE STRING "Number of brokers the kafka CTest fixture starts")
set(SPATE_KAFKA3_HEAP 320m CACHE STRING "Heap (-Xmx) of each broker of the 3-broker kafka3 CTest fixture")

# Paths live in global properties: with include_guard(GLOBAL) this file runs
# once, in whichever test folder includes it first, and plain variables set
# here would be invisible to its sibling folders.
set(_spate_kafka_script "${CMAKE_CURRENT_LIST_DIR}/../scripts/kafka")
cmake_path(NORMAL_PATH _spate_kafka_script)
set_property(GLOBAL PROPERTY SPATE_KAFKA_SCRIPT "${_spate_kafka_script}")
set_property(GLOBAL PROPERTY SPATE_KAFKA_STATE_DIR "${CMAKE_BINARY_DIR}/kafka")
set_property(GLOBAL PROPERTY SPATE_KAFKA3_STATE_DIR "${CMAKE_BINARY_DIR}/kafka3")
unset(_spate_kafka_script)

# _spate_kafka_cluster(name): sets SPATE_KAFKA_SCRIPT, SPATE_KAFKA_STATE_DIR,
# SPATE_KAFKA_BOOTSTRAP_FILE, _spate_k_brokers and _spate_k_env_extra (extra
# environment for `up`, `start-broker` and the tests) for cluster `name`.
macro(_spate_kafka_cluster name)
  get_property(SPATE_KAFKA_SCRIPT GLOBAL PROPERTY SPATE_KAFKA_SCRIPT)
  if("${name}" STREQUAL "kafka")
    get_property(SPATE_KAFKA_STATE_DIR GLOBAL PROPERTY SPATE_KAFKA_STATE_DIR)
    set(_spate_k_brokers ${SPATE_KAFKA_BROKERS})
    set(_spate_k_env_extra "")
  elseif("${name}" STREQUAL "kafka3")
    get_property(SPATE_KAFKA_STATE_DIR GLOBAL PROPERTY SPATE_KAFKA3_STATE_DIR)
    set(_spate_k_brokers 3)
    set(_spate_k_env_extra "SPATE_KAFKA_HEAP=${SPATE_KAFKA3_HEAP}")
  else()
    message(FATAL_ERROR "KafkaFixture: unknown cluster '${name}' (known: kafka, kafka3)")
  endif()
  set(SPATE_KAFKA_BOOTSTRAP_FILE "${SPATE_KAFKA_STATE_DIR}/bootstrap")
endmacro()

# spate_kafka_fixture([CLUSTER kafka|kafka3]) : registers <cluster>_up and
# <cluster>_down (once per cluster; nothing when SPATE_KAFKA_TESTS is OFF).
function(spate_kafka_fixture)
  cmake_parse_arguments(F "" "CLUSTER" "" ${ARGN})
  if(NOT F_CLUSTER)
    set(F_CLUSTER kafka)
  endif()
  _spate_kafka_cluster(${F_CLUSTER})
  if(NOT SPATE_KAFKA_TESTS)
    return()
  endif()
  get_property(done GLOBAL PROPERTY SPATE_KAFKA_FIXTURE_DONE_${F_CLUSTER})
  if(done)
    return()
  endif()
  set_property(GLOBAL PROPERTY SPATE_KAFKA_FIXTURE_DONE_${F_CLUSTER} TRUE)
  find_program(SPATE_BASH bash REQUIRED)
  add_test(NAME ${F_CLUSTER}_up
    COMMAND ${CMAKE_COMMAND} -E env SPATE_KAFKA_DIR=${SPATE_KAFKA_STATE_DIR} ${_spate_k_env_extra}
      ${SPATE_BASH} ${SPATE_KAFKA_SCRIPT} up --brokers ${_spate_k_brokers})
  add_test(NAME ${F_CLUSTER}_down
    COMMAND ${CMAKE_COMMAND} -E env SPATE_KAFKA_DIR=${SPATE_KAFKA_STATE_DIR} ${_spate_k_env_extra}
      ${SPATE_BASH} ${SPATE_KAFKA_SCRIPT} down)
  set(labels kafka)
  if(NOT F_CLUSTER STREQUAL "kafka")
    list(APPEND labels ${F_CLUSTER})
  endif()
  # kafka_up may fetch the broker from Maven the first time (about 20 s here).
  set_tests_properties(${F_CLUSTER}_up PROPERTIES FIXTURES_SETUP ${F_CLUSTER} TIMEOUT 600 LABELS "${labels}")
  set_tests_properties(${F_CLUSTER}_down PROPERTIES FIXTURES_CLEANUP ${F_CLUSTER} TIMEOUT 120 LABELS "${labels}")
  if(_spate_k_brokers GREATER 1)
    # Several JVMs starting at once load both cores: with ctest -j2 nothing runs beside them.
    set_tests_properties(${F_CLUSTER}_up PROPERTIES PROCESSORS 2)
  endif()
endfunction()

# spate_kafka_tests([TARGETS catch_target...] [TESTS test...] [CLUSTER kafka|kafka3] [EXCLUSIVE])
# Makes tests need a cluster's fixture (default CLUSTER kafka; registered here
# if it is not yet) and gives them its environment.
# TARGETS: executables registered with catch_discover_tests (as spate_test
# does). Their test names exist only at ctest time, so the properties are
# applied by a small script CTest includes after Catch's own (it reads the
# <target>_TESTS list that Catch's script sets). Call this after spate_test().
# EXCLUSIVE: the tests stop or restart brokers, so they run with no other test
# beside them (RUN_SERIAL).
function(spate_kafka_tests)
  cmake_parse_arguments(K "EXCLUSIVE" "CLUSTER" "TARGETS;TESTS" ${ARGN})
  if(NOT K_CLUSTER)
    set(K_CLUSTER kafka)
  endif()
  spate_kafka_fixture(CLUSTER ${K_CLUSTER})
  _spate_kafka_cluster(${K_CLUSTER})
  set(env
    "SPATE_KAFKA_BOOTSTRAP_FILE=${SPATE_KAFKA_BOOTSTRAP_FILE}"
    "SPATE_KAFKA_DIR=${SPATE_KAFKA_STATE_DIR}"
    "SPATE_KAFKA_SCRIPT=${SPATE_KAFKA_SCRIPT}"
    ${_spate_k_env_extra})
  set(labels kafka)
  if(NOT K_CLUSTER STREQUAL "kafka")
    list(APPEND labels ${K_CLUSTER})
  endif()
  if(SPATE_KAFKA_TESTS)
    set(props FIXTURES_REQUIRED ${K_CLUSTER})
    if(K_EXCLUSIVE)
      list(APPEND props RUN_SERIAL TRUE)
    endif()
  else()
    set(props DISABLED TRUE)
  endif()
  if(K_TESTS)
    set_tests_properties(${K_TESTS} PROPERTIES ${props} LABELS "${labels}")
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
      "# Generated by spate_kafka_tests(): the ${K_CLUSTER} fixture for the tests Catch found in ${target}.\n"
      "foreach(_t IN LISTS ${target}_TESTS)\n"
      "  set_tests_properties(\"\${_t}\" PROPERTIES ${props_code} LABELS \"${labels}\")\n"
      "${env_code}"
      "endforeach()\n")
    set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES "${file}")
  endforeach()
endfunction()
