spate_bench(bench_latency ${CMAKE_CURRENT_LIST_DIR}/latency.cpp)
