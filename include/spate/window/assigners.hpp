#pragma once
// Window assigners: which windows a record belongs to.
//   tumbling(size, offset = 0)         [k*size + offset, +size), aligned to the epoch
//   sliding(size, slide, offset = 0)   windows of `size` starting every `slide`
//   session(gap)                       per key, records closer than `gap` share a window
//   count_window(n) / count_window(n, step)   per key, the last n records, every step records
//   global_window(trigger)             one window per key, fired by a trigger
//   per_batch()                        one window per micro-batch (Spark's reduceByKey)
// Time windows use event time; `.on_processing_time()` makes them use the
// processing time the executor reports through on_tick.
//
// Each assigner describes itself, which is all window(...) asks of it:
//   event_time   records need a timestamp function
//   processing   windows follow processing time (on_tick)
//   merging      windows combine partial results (panes, merged sessions), so
//                the window function must be mergeable
//   operator_for<Spec>   the operator that runs it (window_operator.hpp),
//                constructed from (window_core, assigner)
#include <cstdint>
#include <numeric>

#include "../core/time.hpp"

namespace spate {

namespace detail {
template <class Spec>
struct tumbling_window_op;
template <class Spec>
struct sliding_window_op;
template <class Spec>
struct session_window_op;
template <class Spec>
struct count_window_op;
template <class Trigger, class Spec>
struct global_window_op;
template <class Spec>
struct per_batch_op;
template <class Op>
struct window_operator;
}  // namespace detail

template <bool Processing = false>
struct tumbling_assigner {
  duration size;
  duration offset{0};
  static constexpr bool processing = Processing;
  static constexpr bool event_time = !Processing;
  static constexpr bool merging = false;
  template <class Spec>
  using operator_for = detail::window_operator<detail::tumbling_window_op<Spec>>;
  constexpr tumbling_assigner<true> on_processing_time() const { return {size, offset}; }
};
template <bool Processing = false>
struct sliding_assigner {
  duration size;
  duration slide;
  duration offset{0};
  static constexpr bool processing = Processing;
  static constexpr bool event_time = !Processing;
  static constexpr bool merging = true;  // panes
  template <class Spec>
  using operator_for = detail::window_operator<detail::sliding_window_op<Spec>>;
  constexpr sliding_assigner<true> on_processing_time() const { return {size, slide, offset}; }
};
template <bool Processing = false>
struct session_assigner {
  duration gap;
  static constexpr bool processing = Processing;
  static constexpr bool event_time = !Processing;
  static constexpr bool merging = true;  // sessions
  template <class Spec>
  using operator_for = detail::window_operator<detail::session_window_op<Spec>>;
  constexpr session_assigner<true> on_processing_time() const { return {gap}; }
};
struct count_assigner {
  std::uint64_t size;
  std::uint64_t step;  // == size: tumbling
  static constexpr bool processing = false;
  static constexpr bool event_time = false;
  static constexpr bool merging = false;
  template <class Spec>
  using operator_for = detail::window_operator<detail::count_window_op<Spec>>;
};
template <class Trigger>
struct global_assigner {
  Trigger trigger;
  static constexpr bool processing = false;  // a timer trigger's time is event time
  static constexpr bool event_time = false;  // (then a timestamp function is optional)
  static constexpr bool merging = false;
  template <class Spec>
  using operator_for = detail::window_operator<detail::global_window_op<Trigger, Spec>>;
};
struct per_batch_assigner {
  static constexpr bool processing = false;
  static constexpr bool event_time = false;
  static constexpr bool merging = false;
  template <class Spec>
  using operator_for = detail::window_operator<detail::per_batch_op<Spec>>;
};

/// Tumbling time windows of `size`, aligned to the epoch plus `offset`.
constexpr tumbling_assigner<> tumbling(duration size, duration offset = duration{0}) { return {size, offset}; }
/// Sliding time windows of `size` every `slide`; computed on panes of gcd(size, slide).
constexpr sliding_assigner<> sliding(duration size, duration slide, duration offset = duration{0}) {
  return {size, slide, offset};
}
/// Session windows: a window closes after `gap` without records of its key.
constexpr session_assigner<> session(duration gap) { return {gap}; }
/// Tumbling count windows: every n records of a key.
constexpr count_assigner count_window(std::uint64_t n) { return {n, n}; }
/// Sliding count windows: every `step` records of a key, over its last n records.
constexpr count_assigner count_window(std::uint64_t n, std::uint64_t step) { return {n, step}; }
/// One window per key (and one for the whole stream with window_all), fired by `trigger`.
template <class Trigger>
constexpr global_assigner<Trigger> global_window(Trigger trigger) { return {trigger}; }
/// One window per micro-batch: results at each batch end, then reset.
constexpr per_batch_assigner per_batch() { return {}; }

namespace detail {
constexpr std::int64_t floor_mod(std::int64_t a, std::int64_t m) noexcept {
  std::int64_t r = a % m;
  return r < 0 ? r + m : r;
}
}  // namespace detail

}  // namespace spate
