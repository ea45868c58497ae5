#pragma once
// Waiting for a running context to complete checkpoints, with a budget
// generous enough for a busy machine: tests wait for the condition, never
// for a time.
#include <chrono>
#include <cstddef>
#include <thread>

namespace spate_test {

// True once `ctx` has completed at least `n` checkpoints; false if `budget`
// ran out first.
template <class Context>
[[nodiscard]] bool await_checkpoints(Context& ctx, std::size_t n,
                                     std::chrono::steady_clock::duration budget = std::chrono::seconds(60)) {
  const auto deadline = std::chrono::steady_clock::now() + budget;
  while (ctx.checkpoints()->completed() < n) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

}  // namespace spate_test
