# bench_joins: interval and tumbling window joins against the loop a person
# would write (two hash tables, watermark cleanup); docs/joins.md, "Cost".
spate_bench(bench_joins ${CMAKE_CURRENT_LIST_DIR}/bench_joins.cpp)
