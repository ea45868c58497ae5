#pragma once
// Waiting for a condition of a running job, with a budget generous enough
// for a busy machine: tests wait for the condition, never for a time.
#include <chrono>
#include <functional>
#include <thread>

namespace spate_test {

// True once ok() holds (checked every 5 ms); ok()'s last answer when
// `budget` ran out first.
inline bool eventually(const std::function<bool()>& ok,
                       std::chrono::steady_clock::duration budget = std::chrono::seconds(60)) {
  const auto deadline = std::chrono::steady_clock::now() + budget;
  while (std::chrono::steady_clock::now() < deadline) {
    if (ok()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return ok();
}

}  // namespace spate_test
