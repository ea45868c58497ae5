#pragma once
// collect_into(c): stores records in a container the caller owns.
// sum_into(total): adds records to a number the caller owns (see below).
//   a map (std::map, std::unordered_map...) takes (key, value) pairs by
//   insert_or_assign, so a rolling reduce leaves the latest value per key;
//   a sequence takes push_back; a set takes insert.
// Both sinks may run one instance per worker (per_worker): with parallelism
// P > 1 each of the last P segments ends in its own part, which keeps its
// records (its sum) and merges them into the caller's target under a lock at
// control points: batch ends, barriers, ticks and the end of input. So the
// target is complete when the run (or the batch) is; in between it lags by at
// most one tick (sum_into) or 100 ms (collect_into, whose ticks flush at most
// every 100 ms). A map target gets each part's latest value
// per key: after a key_by every key lives in one worker, so that is the
// latest value of the key.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <type_traits>
#include <utility>

#include "../algebra/stage.hpp"
#include "../io/source.hpp"

namespace spate {

namespace detail {
template <class C, class T>
concept map_target = requires(C& c, const T& kv) {
  typename C::mapped_type;
  c.insert_or_assign(kv.first, kv.second);
};
template <class C, class T>
concept sequence_target = requires(C& c, const T& r) { c.push_back(r); };
template <class C, class T>
concept set_target = requires(C& c, const T& r) { c.insert(r); };

/// The lock that guards a target written by several sink parts (striped by
/// the target's address, so parts of one sink share one).
inline std::mutex& target_mutex(const void* target) {
  static std::mutex locks[64];
  return locks[(reinterpret_cast<std::uintptr_t>(target) >> 4) % 64];
}

/// Adds r to c as collect_into does (maps by key, sequences at the back,
/// sets by insert).
template <class C, class R>
void collect_one(C& c, R&& r) {
  using T = std::remove_cvref_t<R>;
  if constexpr (map_target<C, T>)
    c.insert_or_assign(r.first, r.second);
  else if constexpr (sequence_target<C, T>)
    c.push_back(std::forward<R>(r));
  else
    c.insert(std::forward<R>(r));
}
}  // namespace detail

template <class C>
struct collect_sink : sink_tag {
  C* target;
  static constexpr const char* name = "collect_into";

  template <class Flow>
  static constexpr bool check() {
    using T = typename Flow::value_type;
    if constexpr (detail::map_target<C, T> || detail::sequence_target<C, T> || detail::set_target<C, T>) {
      return true;
    } else {
      (void)&diagnostic::report<diagnostic::sink_cannot_accept_input<"collect_into", T, C>>;
      return false;
    }
  }
  struct built : sink_control {
    C* target;
    template <class R>
    bool push(R&& r) {
      detail::collect_one(*target, std::forward<R>(r));
      return true;
    }
  };
  template <class Flow, class Env>
  built build(Env&, stage_label) const {
    return built{{}, target};
  }

  /// One instance per worker: each collects into a part of its own.
  static constexpr bool per_worker_instances = std::is_default_constructible_v<C>;
  struct part {
    C* target;
    C local{};
    template <class R>
    bool push(R&& r) {
      detail::collect_one(local, std::forward<R>(r));
      return true;
    }
    void flush() {
      if (local.empty()) return;
      std::lock_guard lock(detail::target_mutex(target));
      for (auto& x : local) detail::collect_one(*target, std::move(x));
      local.clear();
    }
    void on_watermark(event_time) {}
    void on_barrier(checkpoint_id) { flush(); }
    void on_batch_end(const batch_info&) { flush(); }
    // Ticks flush at most every 100 ms: a map part holds one entry per key
    // changed since, and each flush writes them all into the target again.
    void on_tick(event_time now) {
      if (now - flushed_at < std::chrono::milliseconds(100)) return;
      flushed_at = now;
      flush();
    }
    void on_idle(bool) {}
    void on_end() { flush(); }
    event_time flushed_at{};
  };
  template <class Flow, class Env>
  part build_part(Env&, stage_label, shard) const {
    return part{target, C{}, event_time{}};
  }
};

/// Stores every record in c (see above for maps, sequences and sets).
template <class C>
auto collect_into(C& c) {
  return collect_sink<C>{{}, &c};
}

/// sum_into(total): adds every record to total (total += r).
/// The running sum lives in the built sink, on the stack of the thread that
/// runs it, and is added to `total` at control points (batch end, barrier,
/// tick, end of input). A sum kept there stays in a register and the loop
/// vectorizes where the hand-written one does; a for_each lambda that adds
/// to a captured reference writes memory the compiler cannot prove safe to
/// touch on every iteration, which keeps the store in the loop and blocks
/// vectorization (docs/fusion.md).
///   long total = 0;
///   run(from_elements(1, 2, 3) | map([](int x) { return x * x; }) | sum_into(total));  // 14
template <class T>
struct sum_sink : sink_tag {
  T* target;
  static constexpr const char* name = "sum_into";

  template <class Flow>
  static constexpr bool check() {
    using R = typename Flow::value_type;
    if constexpr (requires(T& t, const R& r) { t += r; }) {
      return true;
    } else {
      (void)&diagnostic::report<diagnostic::sink_cannot_accept_input<"sum_into", R, T>>;
      return false;
    }
  }
  /// Shared: one of several instances (a part per worker), which adds to
  /// the target under its lock.
  template <bool Shared>
  struct built {
    T* target;
    T sum{};
    template <class R>
    bool push(const R& r) {
      sum += r;
      return true;
    }
    void flush() {
      if constexpr (Shared) {
        std::lock_guard lock(detail::target_mutex(target));
        *target += sum;
      } else {
        *target += sum;
      }
      sum = T{};
    }
    void on_watermark(event_time) {}
    void on_barrier(checkpoint_id) { flush(); }
    void on_batch_end(const batch_info&) { flush(); }
    void on_tick(event_time) { flush(); }
    void on_idle(bool) {}
    void on_end() { flush(); }
  };
  template <class Flow, class Env>
  built<false> build(Env&, stage_label) const {
    return built<false>{target, T{}};
  }
  /// One instance per worker, each with its own running sum.
  static constexpr bool per_worker_instances = true;
  template <class Flow, class Env>
  built<true> build_part(Env&, stage_label, shard) const {
    return built<true>{target, T{}};
  }
};

/// Adds every record to total.
template <class T>
auto sum_into(T& total) {
  return sum_sink<T>{{}, &total};
}

}  // namespace spate
