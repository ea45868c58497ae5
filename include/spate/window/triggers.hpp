#pragma once
// Triggers decide when a global window fires. A Trigger for records T:
//   struct my_trigger {
//     struct state { ... };                                  // per key, value-initialised
//     trigger_result on_element(state&, const T& r, event_time ts) const;
//     trigger_result on_time(state&, event_time t) const;   // optional: event time
//   };                                                       // (watermark) reached t
// on_time is called, for every key with an open window, when the watermark
// advances (or processing time, for a window on processing time).
// A trigger with timers (Flink's registerEventTimeTimer) has instead
//     std::optional<event_time> next_timer(const state&) const;  // its earliest timer
//     trigger_result on_timer(state&, event_time t) const;       // that timer (t) is due
// and is asked only about keys with a timer due, once per timer, in time order.
// fire keeps the window's contents (the next firing sees them again); purge
// drops them; fire_and_purge does both. purging(t) turns t's fire into
// fire_and_purge.
#include <cstdint>
#include <algorithm>
#include <functional>
#include <optional>
#include <utility>
#include <vector>

#include "../core/time.hpp"

namespace spate {

enum class trigger_result : std::uint8_t { pass, fire, purge, fire_and_purge };

constexpr bool fires(trigger_result r) noexcept {
  return r == trigger_result::fire || r == trigger_result::fire_and_purge;
}
constexpr bool purges(trigger_result r) noexcept {
  return r == trigger_result::purge || r == trigger_result::fire_and_purge;
}

// The built-in triggers' per-key states (named, so that snapshots can encode them).
struct count_trigger_state {
  std::uint64_t count = 0;
};
struct no_trigger_state {};
struct interval_trigger_state {
  std::vector<std::int64_t> pending;  // due times (ms), ascending, distinct
};

/// Fires every n records (non-purging: Flink's CountTrigger).
struct count_trigger {
  std::uint64_t n;
  using state = count_trigger_state;
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
  using state = no_trigger_state;
  template <class T>
  trigger_result on_element(state&, const T& r, event_time) const {
    return std::invoke(pred, r) ? trigger_result::fire : trigger_result::pass;
  }
};
template <class Pred>
constexpr predicate_trigger<Pred> when(Pred p) { return {std::move(p)}; }

/// Fires when time passes the end of each `interval` (aligned to the epoch)
/// in which the key had records: one timer per such interval, as a Flink
/// trigger that registers an event-time timer at the interval's end − 1 for
/// each record. Several intervals passed at one watermark fire once each, in
/// time order; a key with no pending interval does not fire.
struct interval_trigger {
  duration interval;
  using state = interval_trigger_state;
  template <class T>
  trigger_result on_element(state& s, const T&, event_time ts) const {
    auto ms = to_millis(ts), iv = interval.count();
    auto r = ms % iv;
    std::int64_t due = ms - (r < 0 ? r + iv : r) + iv - 1;
    auto& p = s.pending;
    if (p.empty() || due > p.back()) {
      p.push_back(due);  // the usual case: the key's newest interval
    } else {
      auto it = std::lower_bound(p.begin(), p.end(), due);
      if (*it != due) p.insert(it, due);
    }
    return trigger_result::pass;
  }
  std::optional<event_time> next_timer(const state& s) const noexcept {
    if (s.pending.empty()) return std::nullopt;
    return from_millis(s.pending.front());
  }
  trigger_result on_timer(state& s, event_time) const {
    s.pending.erase(s.pending.begin());
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
  auto next_timer(const state& s) const
    requires requires(const Trigger& tr, const state& st) { tr.next_timer(st); }
  {
    return inner.next_timer(s);
  }
  trigger_result on_timer(state& s, event_time t) const
    requires requires(const Trigger& tr, state& st) { tr.on_timer(st, event_time{}); }
  {
    return purge_on_fire(inner.on_timer(s, t));
  }
};
template <class Trigger>
constexpr purging_trigger<Trigger> purging(Trigger t) { return {std::move(t)}; }

}  // namespace spate
