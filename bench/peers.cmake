# bench/peers: spate side by side with Flink 2.3 and Spark 4.2 (bench/peers/run,
# docs/peers.md). spate_peers runs the workloads with the same records and
# logic as the Java programs under bench/peers/; the script builds those with
# Maven (jars cached in ~/.m2) and compares checksums.
add_executable(spate_peers ${CMAKE_CURRENT_LIST_DIR}/peers/spate_peers.cpp)
target_link_libraries(spate_peers PRIVATE spate::spate spate_warnings)

# The CI check (bench/peers/run --ci): builds the Flink side (Maven Central the
# first time, then ~/.m2) and runs one short workload through both systems
# with its checksum compared; no timing is asserted. Needs java 17 and mvn
# (scripts/deps installs them). The full comparison is not a test: run
# bench/peers/run by hand (minutes).
find_package(Python3 COMPONENTS Interpreter)
if(Python3_FOUND)
  add_test(NAME peers_ci
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/peers/run --ci
                   --spate-bin $<TARGET_FILE:spate_peers> --work ${CMAKE_CURRENT_BINARY_DIR}/peers-work)
  set_tests_properties(peers_ci PROPERTIES TIMEOUT 600 LABELS peers)
endif()
