# bench/peers: spate side by side with Flink 2.3 and Spark 4.2 (bench/peers/run,
# docs/peers.md). spate_peers runs the workloads with the same records and
# logic as the Java programs under bench/peers/; the script builds those with
# Maven (jars cached in ~/.m2) and compares checksums.
add_executable(spate_peers ${CMAKE_CURRENT_LIST_DIR}/peers/spate_peers.cpp)
target_link_libraries(spate_peers PRIVATE spate::spate spate_warnings)
