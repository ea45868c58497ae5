spate_bench(bench_parallel ${CMAKE_CURRENT_LIST_DIR}/parallel.cpp)
