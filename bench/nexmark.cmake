# bench_nexmark: every Nexmark query at P = 1 and P = 2, fused and unfused,
# and hand-written loops over the same events for q0, q1, q2, q5 and q7
# (docs/nexmark.md, docs/benchmarks.md "Nexmark").
if(TARGET nexmark_queries)
  spate_bench(bench_nexmark ${CMAKE_CURRENT_LIST_DIR}/bench_nexmark.cpp LIBS nexmark_queries)
endif()
