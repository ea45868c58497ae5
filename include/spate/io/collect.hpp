#pragma once
// collect_into(c): stores records in a container the caller owns.
// sum_into(total): adds records to a number the caller owns (see below).
//   a map (std::map, std::unordered_map...) takes (key, value) pairs by
//   insert_or_assign, so a rolling reduce leaves the latest value per key;
//   a sequence takes push_back; a set takes insert.
// The container is written from the thread that runs the sink; executors
// that run several sink instances give each its own or merge them.
#include <type_traits>
#include <utility>

#include "../algebra/stage.hpp"

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
      using T = std::remove_cvref_t<R>;
      if constexpr (detail::map_target<C, T>)
        target->insert_or_assign(r.first, r.second);
      else if constexpr (detail::sequence_target<C, T>)
        target->push_back(std::forward<R>(r));
      else
        target->insert(std::forward<R>(r));
      return true;
    }
  };
  template <class Flow, class Env>
  built build(Env&, stage_label) const {
    return built{{}, target};
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
  struct built {
    T* target;
    T sum{};
    template <class R>
    bool push(const R& r) {
      sum += r;
      return true;
    }
    void flush() {
      *target += sum;
      sum = T{};
    }
    void on_watermark(event_time) {}
    void on_barrier(checkpoint_id) { flush(); }
    void on_batch_end(const batch_info&) { flush(); }
    void on_tick(event_time) { flush(); }
    void on_end() { flush(); }
  };
  template <class Flow, class Env>
  built build(Env&, stage_label) const {
    return built{target, T{}};
  }
};

/// Adds every record to total.
template <class T>
auto sum_into(T& total) {
  return sum_sink<T>{{}, &total};
}

}  // namespace spate
