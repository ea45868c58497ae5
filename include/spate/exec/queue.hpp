#pragma once
// The only way records change thread in spate: a bounded single-producer
// single-consumer ring. Bounded means a slow consumer blocks its producer,
// which is how backpressure reaches the sources.
//
// Sleeping and waking. A consumer may read several queues (a worker reads
// one per upstream shard), so it sleeps on a `doorbell` that all of its input
// queues ring; a producer blocked on a full queue sleeps on that queue's own
// doorbell. A doorbell only costs a lock when someone sleeps on it: the ringer
// checks a flag (Dekker-style, both sides seq_cst) and notifies only then.
// A producer defers the ring to the end of its chunk of work (flush_rings),
// so a consumer wakes once per chunk, not once per record.
// Both sides spin briefly before sleeping, which keeps latency low when the
// other side is busy, without burning a core when it is not.
#include <algorithm>
#include <atomic>
#include <bit>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <new>
#include <thread>
#include <utility>
#include <vector>

namespace spate::exec {

/// One boundary instance's figures (a merger: the queues in front of one
/// consumer), written by its producers and consumer, read by any; see
/// stage_metrics.hpp's stage_registry::join_boundary.
struct alignas(64) boundary_cell {
  std::atomic<std::uint64_t> producer_blocked_ns{0};  ///< producers waiting on a full queue
  std::atomic<std::uint64_t> consumer_wait_ns{0};     ///< the consumer waiting on empty queues
  std::atomic<std::uint64_t> fill{0};                 ///< blocks queued, at the consumer's last turn
  std::atomic<std::uint64_t> high_water{0};           ///< the fullest one queue was seen (blocks)
  std::atomic<std::uint64_t> capacity{0};             ///< blocks, all queues
  std::atomic<std::uint64_t> queue_capacity{0};       ///< blocks, one queue
  void raise_high_water(std::uint64_t v) noexcept {
    auto h = high_water.load(std::memory_order_relaxed);
    while (v > h && !high_water.compare_exchange_weak(h, v, std::memory_order_relaxed)) {
    }
  }
};

/// Nanoseconds this thread spent waiting on a full queue (backpressure): a
/// bounded queue adds to it where its producer waits, the source loop reads
/// it per batch.
inline std::uint64_t& blocked_nanoseconds() noexcept {
  thread_local std::uint64_t ns = 0;
  return ns;
}

/// Where a thread sleeps until another thread has news for it.
class doorbell {
 public:
  bool has_sleeper() const noexcept { return sleeping_.load(std::memory_order_seq_cst); }
  /// Wakes the sleeper, if there is one.
  void ring() {
    if (sleeping_.load(std::memory_order_seq_cst)) {
      std::lock_guard lock(m_);
      ++seq_;
      cv_.notify_all();
    }
  }
  /// Wakes the sleeper unconditionally (stop, abort).
  void ring_always() {
    std::lock_guard lock(m_);
    ++seq_;
    cv_.notify_all();
  }
  /// Sleeps until ready() holds, the bell rings, or `timeout` passes.
  /// ready() is re-checked after announcing the sleep, so no ring is lost.
  template <class Ready>
  void sleep(Ready&& ready, std::chrono::microseconds timeout) {
    for (int i = 0; i < 64; ++i) {
      if (ready()) return;
#if defined(__x86_64__) || defined(__i386__)
      __builtin_ia32_pause();
#endif
    }
    std::this_thread::yield();
    if (ready()) return;
    std::unique_lock lock(m_);
    sleeping_.store(true, std::memory_order_seq_cst);
    if (!ready()) {
      auto s = seq_;
      cv_.wait_for(lock, timeout, [&] { return seq_ != s; });
    }
    sleeping_.store(false, std::memory_order_relaxed);
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  unsigned long seq_ = 0;
  std::atomic<bool> sleeping_{false};
};

namespace detail {
// Rings deferred by this thread (see spsc_queue::push), rung by flush_rings().
inline std::vector<doorbell*>& deferred_rings() {
  thread_local std::vector<doorbell*> v;
  return v;
}
}  // namespace detail

/// Rings every doorbell whose ring this thread deferred (and nothing else).
inline void ring_deferred() {
  auto& v = detail::deferred_rings();
  for (doorbell* b : v) b->ring();
  v.clear();
}

namespace detail {
// Partial blocks of this thread's boundaries (shuffle.hpp), sent by
// flush_rings(): what a boundary holds when its thread ends a chunk of work.
struct flush_listing;
struct pending_flush {
  void* self;
  void (*flush)(void*);
  flush_listing* listing;
};
inline std::vector<pending_flush>& pending_flushes() {
  thread_local std::vector<pending_flush> v;
  return v;
}
/// A boundary's place in this thread's pending_flushes(): listed at most
/// once until flush_rings() sends it. A copy starts unlisted; a move, a
/// destruction or unlist() take the entry out, so the list never points at a
/// moved-from or dead boundary (segments are moved while they are built).
struct flush_listing {
  bool listed = false;

  flush_listing() = default;
  flush_listing(const flush_listing&) noexcept {}
  flush_listing(flush_listing&& o) noexcept { o.unlist(); }
  flush_listing& operator=(const flush_listing&) = delete;
  ~flush_listing() { unlist(); }

  /// Lists `self`: flush_rings() calls `flush(self)` after this thread's
  /// chunk of work.
  void list(void* self, void (*flush)(void*)) {
    if (listed) return;
    pending_flushes().push_back(pending_flush{self, flush, this});
    listed = true;
  }
  void unlist() {
    if (!listed) return;
    std::erase_if(pending_flushes(), [this](const pending_flush& f) { return f.listing == this; });
    listed = false;
  }
};
}  // namespace detail

/// Sends the partial blocks this thread's boundaries hold, then rings every
/// doorbell whose ring this thread deferred. Executor loops call it after
/// each chunk of work and before they sleep, so a block waits at most one
/// chunk of work (a poll of the source, a round of the merger).
inline void flush_rings() {
  auto& p = detail::pending_flushes();
  if (!p.empty()) {
    std::vector<detail::pending_flush> now;
    now.swap(p);  // a flush may block on a full queue; it only rings then
    for (auto& f : now) {
      f.listing->listed = false;
      f.flush(f.self);
    }
  }
  ring_deferred();
}

/// Set once the executor must give up at once (error or immediate stop).
/// Blocked producers and consumers check it after every wake-up.
struct abort_flag {
  std::atomic<bool> raised{false};
  bool operator()() const noexcept { return raised.load(std::memory_order_acquire); }
};

/// A bounded SPSC ring of T. Capacity is rounded up to a power of two.
template <class T>
class spsc_queue {
 public:
  spsc_queue(std::size_t capacity, doorbell* consumer_bell, const abort_flag* abort)
      : buf_(std::bit_ceil(std::max<std::size_t>(capacity, 2))), mask_(buf_.size() - 1),
        consumer_bell_(consumer_bell), abort_(abort) {}
  spsc_queue(const spsc_queue&) = delete;
  spsc_queue& operator=(const spsc_queue&) = delete;

  std::size_t capacity() const noexcept { return buf_.size(); }

  /// Appends v, waiting while the queue is full. False when aborted.
  bool push(T&& v) {
    return put([&](T& slot) { slot = std::move(v); });
  }
  /// As push(v), but v comes back holding what the slot held: for blocks, an
  /// emptied block with its capacity (pop() clears, it does not free), which
  /// the producer fills next instead of allocating one.
  bool push_swap(T& v) {
    return put([&](T& slot) {
      using std::swap;
      swap(slot, v);
    });
  }

  /// The oldest element, or nullptr when empty. Consumer side only.
  T* front() {
    std::size_t h = head_.load(std::memory_order_relaxed);
    if (h == tail_cache_) {
      tail_cache_ = tail_.load(std::memory_order_acquire);
      if (h == tail_cache_) return nullptr;
    }
    return &buf_[h & mask_];
  }
  /// Drops the element front() returned. Consumer side only.
  void pop() {
    std::size_t h = head_.load(std::memory_order_relaxed);
    // release what the element holds now, not when overwritten; a container
    // keeps its capacity for push_swap
    if constexpr (requires(T& x) { x.clear(); })
      buf_[h & mask_].clear();
    else
      buf_[h & mask_] = T{};
    head_.store(h + 1, std::memory_order_seq_cst);
    producer_bell_.ring();
  }
  bool empty() const noexcept {
    return head_.load(std::memory_order_acquire) == tail_.load(std::memory_order_acquire);
  }
  /// Wakes a producer sleeping on a full queue (abort).
  void wake_producer() { producer_bell_.ring_always(); }
  /// Blocks queued now (any thread; a moment's view).
  std::size_t size() const noexcept {
    return tail_.load(std::memory_order_acquire) - head_.load(std::memory_order_acquire);
  }
  /// Where a producer blocked on this queue reports (its consumer sets it).
  void report_to(boundary_cell* c) noexcept { cell_.store(c, std::memory_order_release); }

 private:
  /// Waits for a free slot, then store(slot) fills it and publishes it.
  template <class Store>
  bool put(Store&& store) {
    std::size_t t = tail_.load(std::memory_order_relaxed);
    if (t - head_cache_ >= buf_.size()) {
      head_cache_ = head_.load(std::memory_order_acquire);
      // Full: the wait is backpressure, timed (only here, off the fast path)
      // into this thread's blocked time and the boundary's figures.
      const auto blocked_from = t - head_cache_ >= buf_.size() ? std::chrono::steady_clock::now()
                                                                : std::chrono::steady_clock::time_point{};
      boundary_cell* cell = t - head_cache_ >= buf_.size() ? cell_.load(std::memory_order_acquire) : nullptr;
      if (cell) cell->raise_high_water(buf_.size());
      struct timed {
        std::chrono::steady_clock::time_point from;
        boundary_cell* cell;
        ~timed() {
          if (from == std::chrono::steady_clock::time_point{}) return;
          const auto ns = static_cast<std::uint64_t>(
              std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - from).count());
          blocked_nanoseconds() += ns;
          if (cell) cell->producer_blocked_ns.fetch_add(ns, std::memory_order_relaxed);
        }
      } timing{blocked_from, cell};
      while (t - head_cache_ >= buf_.size()) {
        if ((*abort_)()) return false;
        ring_deferred();  // the consumer may sleep on a ring this thread deferred
        producer_bell_.sleep(
            [&] { return t - head_.load(std::memory_order_acquire) < buf_.size() || (*abort_)(); },
            std::chrono::milliseconds(50));
        head_cache_ = head_.load(std::memory_order_acquire);
      }
    }
    store(buf_[t & mask_]);
    tail_.store(t + 1, std::memory_order_seq_cst);
    // A sleeping consumer is woken at once every 32 records, otherwise when
    // this thread finishes its chunk of work (flush_rings): one wake-up per
    // chunk instead of one per record.
    if (consumer_bell_->has_sleeper()) {
      if (t + 1 - rung_at_ >= 32) {
        consumer_bell_->ring();
        rung_at_ = t + 1;
      } else {
        auto& d = detail::deferred_rings();
        if (d.empty() || d.back() != consumer_bell_) d.push_back(consumer_bell_);
      }
    }
    return true;
  }

  std::vector<T> buf_;
  std::size_t mask_;
  doorbell* consumer_bell_;
  const abort_flag* abort_;
  doorbell producer_bell_;
  std::atomic<boundary_cell*> cell_{nullptr};
  alignas(64) std::atomic<std::size_t> head_{0};
  std::size_t tail_cache_ = 0;  // consumer's view of tail
  alignas(64) std::atomic<std::size_t> tail_{0};
  std::size_t head_cache_ = 0;  // producer's view of head
  std::size_t rung_at_ = 0;     // tail when the producer last rang
};

}  // namespace spate::exec
