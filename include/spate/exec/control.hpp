#pragma once
// What every thread of a running context shares: the stop and abort flags,
// the first error, and the per-batch metrics.
#include <atomic>
#include <chrono>
#include <exception>
#include <functional>
#include <mutex>
#include <vector>

#include "../algebra/rich.hpp"
#include "barriers.hpp"
#include "metrics.hpp"
#include "queue.hpp"

namespace spate::exec {

struct control {
  /// Graceful stop: sources stop reading, then everything read is finished.
  std::atomic<bool> stop_requested{false};
  /// Immediate stop or error: every thread leaves as soon as it can.
  abort_flag abort;
  metrics_registry metrics;
  /// Checkpointing, when the context has it on (exec/checkpointing.hpp).
  checkpoint_hooks* checkpoints = nullptr;
  /// Where rich functions' counters go (the context's, kept across restarts).
  counter_registry* counters = nullptr;

  /// Records the first error and aborts.
  void fail(std::exception_ptr e) {
    {
      std::lock_guard lock(m_);
      if (!error_) error_ = e;
    }
    raise_abort();
  }
  void raise_abort() {
    abort.raised.store(true, std::memory_order_release);
    wake_all();
  }
  void request_stop() {
    stop_requested.store(true, std::memory_order_release);
    wake_all();
  }
  std::exception_ptr error() {
    std::lock_guard lock(m_);
    return error_;
  }
  bool stopping() const noexcept { return stop_requested.load(std::memory_order_acquire) || abort(); }

  /// Threads register how to wake them from a sleep (their doorbells, the
  /// producer side of their queues).
  void on_wake(std::function<void()> f) {
    std::lock_guard lock(m_);
    wakers_.push_back(std::move(f));
  }
  void wake_all() {
    std::vector<std::function<void()>> ws;
    {
      std::lock_guard lock(m_);
      ws = wakers_;
    }
    for (auto& w : ws) w();
  }

 private:
  std::mutex m_;
  std::exception_ptr error_;
  std::vector<std::function<void()>> wakers_;
};

}  // namespace spate::exec
