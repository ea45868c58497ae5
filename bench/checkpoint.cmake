# bench_checkpoint: throughput with 1 s checkpoints over 1 M keys of state
# against none, and (with a broker) the exactly-once Kafka sink against the
# at-least-once one under the same checkpoints (docs/benchmarks.md,
# "Checkpointing"; docs/checkpoints.md, "Cost").
if(TARGET spate::kafka)
  spate_bench(bench_checkpoint ${CMAKE_CURRENT_LIST_DIR}/bench_checkpoint.cpp LIBS spate::kafka)
  target_compile_definitions(bench_checkpoint PRIVATE SPATE_BENCH_WITH_KAFKA SPATE_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
else()
  spate_bench(bench_checkpoint ${CMAKE_CURRENT_LIST_DIR}/bench_checkpoint.cpp)
endif()
