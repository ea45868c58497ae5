#pragma once
// Triggers decide when a global window fires. A Trigger for records T:
//   struct my_trigger {
//     struct state { ... };                                  // per key, value-initialised
//     trigger_result on_element(state&, const T& r, event_time ts) const;
//     trigger_result on_time(state&, event_time t) const;   // optional: event time
//   };                                                       // (watermark) reached t
// on_time is called, for every key with an open window, when the watermark
// advances (or processing time, for a window on processing time).
// fire keeps the window's contents (the next firing sees them again); purge
// drops them; fire_and_purge does both. purging(t) turns t's fire into
// fire_and_purge.
#include <cstdint>
#include <functional>
#include <utility>

#include "../core/time.hpp"

namespace spate {

enum class trigger_result : std::uint8_t { pass, fire, purge, fire_and_purge };

constexpr bool fires(trigger_result r) noexcept {
  return r == trigger_result::fire || r == trigger_result::fire_and_purge;
}
constexpr bool purges(trigger_result r) noexcept {
  return r == trigger_result::purge || r == trigger_result::fire_and_purge;
}

/// Fires every n records (non-purging: Flink's CountTrigger).
struct count_trigger {
  std::uint64_t n;
  struct state {
    std::uint64_t count = 0;
  };
  template <class T>
  trigger_result on_element(state& s, const T&, event_time) const noexcept {
    if (++s.count < n) return trigger_result::pass;
    s.count = 0;
    return trigger_result::fire;
  }
};
constexpr count_trigger every_n(std::uint64_t n) { return {n}; }

/// Fires when pred(record) is true (a data-driven trigger).
template <class Pred>
struct predicate_trigger {
  Pred pred;
  struct state {};
  template <class T>
  trigger_result on_element(state&, const T& r, event_time) const {
    return std::invoke(pred, r) ? trigger_result::fire : trigger_result::pass;
  }
};
template <class Pred>
constexpr predicate_trigger<Pred> when(Pred p) { return {std::move(p)}; }

/// Fires when time passes the end of each `interval` (aligned to the epoch)
/// in which the key had records: a timer trigger.
struct interval_trigger {
  duration interval;
  struct state {
    event_time next = max_watermark;
  };
  template <class T>
  trigger_result on_element(state& s, const T&, event_time ts) const noexcept {
    auto ms = to_millis(ts), iv = interval.count();
    auto r = ms % iv;
    event_time due = from_millis(ms - (r < 0 ? r + iv : r) + iv - 1);
    if (due < s.next) s.next = due;
    return trigger_result::pass;
  }
  trigger_result on_time(state& s, event_time t) const noexcept {
    if (t < s.next) return trigger_result::pass;
    s.next = max_watermark;
    return trigger_result::fire;
  }
};
constexpr interval_trigger every(duration interval) { return {interval}; }

/// t, with every fire turned into fire_and_purge.
template <class Trigger>
struct purging_trigger {
  Trigger inner;
  using state = typename Trigger::state;
  static trigger_result purge_on_fire(trigger_result r) noexcept {
    return r == trigger_result::fire ? trigger_result::fire_and_purge : r;
  }
  template <class T>
  trigger_result on_element(state& s, const T& r, event_time ts) const {
    return purge_on_fire(inner.on_element(s, r, ts));
  }
  trigger_result on_time(state& s, event_time t) const
    requires requires(const Trigger& tr, state& st) { tr.on_time(st, event_time{}); }
  {
    return purge_on_fire(inner.on_time(s, t));
  }
};
template <class Trigger>
constexpr purging_trigger<Trigger> purging(Trigger t) { return {std::move(t)}; }

}  // namespace spate
