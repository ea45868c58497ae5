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
#include <cstdint>
#include <numeric>

#include "../core/time.hpp"

namespace spate {

template <bool Processing = false>
struct tumbling_assigner {
  duration size;
  duration offset{0};
  static constexpr bool processing = Processing;
  constexpr tumbling_assigner<true> on_processing_time() const { return {size, offset}; }
};
template <bool Processing = false>
struct sliding_assigner {
  duration size;
  duration slide;
  duration offset{0};
  static constexpr bool processing = Processing;
  constexpr sliding_assigner<true> on_processing_time() const { return {size, slide, offset}; }
};
template <bool Processing = false>
struct session_assigner {
  duration gap;
  static constexpr bool processing = Processing;
  constexpr session_assigner<true> on_processing_time() const { return {gap}; }
};
struct count_assigner {
  std::uint64_t size;
  std::uint64_t step;  // == size: tumbling
};
template <class Trigger>
struct global_assigner {
  Trigger trigger;
};
struct per_batch_assigner {};

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
