# bench_operators: top_n, aggregates(count, count_if, count_distinct,
# count_distinct_if) and keep_first, fused, against the loop a person would
# write (std::unordered_map of per-key state); docs/algebra.md, "Top-N,
# distinct counts and deduplication".
spate_bench(bench_operators ${CMAKE_CURRENT_LIST_DIR}/bench_operators.cpp)
