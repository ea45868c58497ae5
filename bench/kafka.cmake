# bench_kafka: consume -> map -> produce against a real broker, spate against
# a hand-written librdkafka loop (docs/kafka.md, "Performance").
if(TARGET spate::kafka)
  spate_bench(bench_kafka ${CMAKE_CURRENT_LIST_DIR}/bench_kafka.cpp LIBS spate::kafka)
  target_compile_definitions(bench_kafka PRIVATE SPATE_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
endif()
