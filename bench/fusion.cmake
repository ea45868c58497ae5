# bench_fusion: fused pipelines against the hand-written loop, the unfused
# (virtual call per stage) engine and range-v3. See docs/benchmarks.md.
spate_bench(bench_fusion ${CMAKE_CURRENT_LIST_DIR}/bench_fusion.cpp)
