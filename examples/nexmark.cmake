# Nexmark (docs/nexmark.md): the generator, the queries and the runner
#   nexmark --query q5 --events 10000000 --parallelism 2
# The queries, instantiated for the runner (and bench_nexmark), in a library
# of four translation units so that a change rebuilds one part.
add_library(nexmark_queries STATIC
  ${CMAKE_CURRENT_LIST_DIR}/nexmark/runner_stateless.cpp
  ${CMAKE_CURRENT_LIST_DIR}/nexmark/runner_window.cpp
  ${CMAKE_CURRENT_LIST_DIR}/nexmark/runner_join.cpp
  ${CMAKE_CURRENT_LIST_DIR}/nexmark/runner_ops.cpp)
target_link_libraries(nexmark_queries PUBLIC spate::spate PRIVATE spate_warnings)
target_include_directories(nexmark_queries PUBLIC ${CMAKE_CURRENT_LIST_DIR}/nexmark)
spate_example(nexmark ${CMAKE_CURRENT_LIST_DIR}/nexmark/runner.cpp LIBS nexmark_queries)
# The generator into Kafka as JSON (needs librdkafka).
if(TARGET spate::kafka)
  spate_example(nexmark_to_kafka ${CMAKE_CURRENT_LIST_DIR}/nexmark/to_kafka.cpp LIBS spate::kafka)
  target_include_directories(nexmark_to_kafka PRIVATE ${CMAKE_CURRENT_LIST_DIR}/nexmark)
endif()
