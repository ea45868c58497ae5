# bench_windows: window operators against hand-written loops (docs/windows.md).
spate_bench(bench_windows ${CMAKE_CURRENT_LIST_DIR}/bench_windows.cpp)
