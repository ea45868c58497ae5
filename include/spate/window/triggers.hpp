#pragma once
// Triggers decide when a window fires: the global window's (its only way to
// fire) and, through window(...).trigger(t), a time window's (tumbling,
// sliding, session), replacing its default (fire when time passes the end).
//
// On a global window, a Trigger for records T is
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
//
// On a time window the trigger is Flink's Trigger: state per (key, window),
// and a trigger_context giving the window, the current watermark and
// processing time, and timers of the window (distinct per time, as Flink's):
//   trigger_result on_element(state&, const T& r, event_time ts, trigger_context&) const;
//   trigger_result on_event_time(state&, event_time t, trigger_context&) const;       // optional
//   trigger_result on_processing_time(state&, event_time t, trigger_context&) const;  // optional
//   void clear(state&, trigger_context&) const;       // optional: the window is cleaned up
//   void on_merge(state& merged, std::span<const state> from, trigger_context&) const;
//       // optional (Flink's canMerge/onMerge): session windows need it; `merged`
//       // starts value-initialised, `from` holds the merged windows' states
// The simple on_element(state&, const T&, event_time) of the global-window
// triggers works there too (every_n, when). on_event_time sees every
// event-time timer of its window, the window's cleanup timer (end - 1 +
// allowed lateness) included, as in Flink.
//
// fire keeps the window's contents (the next firing sees them again); purge
// drops them; fire_and_purge does both (pass is Flink's CONTINUE). purging(t)
// turns t's fire into fire_and_purge.
#include <cstdint>
#include <algorithm>
#include <functional>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "../core/time.hpp"
#include "result.hpp"

namespace spate {

enum class trigger_result : std::uint8_t { pass, fire, purge, fire_and_purge };

constexpr bool fires(trigger_result r) noexcept {
  return r == trigger_result::fire || r == trigger_result::fire_and_purge;
}
constexpr bool purges(trigger_result r) noexcept {
  return r == trigger_result::purge || r == trigger_result::fire_and_purge;
}

/// What a trigger on a time window sees besides its state (Flink's
/// TriggerContext): the window, the clocks, and the window's timers. A timer
/// is set once per time (setting it again does nothing) and deleted by time.
/// A timer of event time t fires when the watermark reaches t; one of
/// processing time t when processing time passes t, as the window does.
class trigger_context {
 public:
  /// The window the trigger is asked about.
  time_window window() const noexcept { return {from_millis(start_), from_millis(end_)}; }
  /// The current watermark (min_watermark before the first).
  event_time watermark() const noexcept { return from_millis(watermark_); }
  /// The processing time the executor last reported.
  event_time processing_time() const noexcept { return from_millis(processing_); }
  void register_event_time_timer(event_time t) { add(*event_timers_, to_millis(t), added_event_); }
  void delete_event_time_timer(event_time t) { erase(*event_timers_, to_millis(t)); }
  void register_processing_time_timer(event_time t) { add(*processing_timers_, to_millis(t), added_processing_); }
  void delete_processing_time_timer(event_time t) { erase(*processing_timers_, to_millis(t)); }

  // The window operator's side: the window's timer sets (sorted, distinct)
  // and the times newly set, which it then puts in its timer queues.
  trigger_context(std::int64_t start, std::int64_t end, std::int64_t watermark, std::int64_t processing,
                  std::vector<std::int64_t>& event_timers, std::vector<std::int64_t>& processing_timers) noexcept
      : start_(start), end_(end), watermark_(watermark), processing_(processing), event_timers_(&event_timers),
        processing_timers_(&processing_timers) {}
  std::vector<std::int64_t> added_event_, added_processing_;

 private:
  static void add(std::vector<std::int64_t>& set, std::int64_t at, std::vector<std::int64_t>& added) {
    auto it = std::lower_bound(set.begin(), set.end(), at);
    if (it != set.end() && *it == at) return;
    set.insert(it, at);
    added.push_back(at);
  }
  static void erase(std::vector<std::int64_t>& set, std::int64_t at) {
    auto it = std::lower_bound(set.begin(), set.end(), at);
    if (it != set.end() && *it == at) set.erase(it);
  }
  std::int64_t start_, end_, watermark_, processing_;
  std::vector<std::int64_t>* event_timers_;
  std::vector<std::int64_t>* processing_timers_;
};

// The built-in triggers' per-key states (named, so that snapshots can encode them).
struct count_trigger_state {
  std::uint64_t count = 0;
};
struct no_trigger_state {};
/// The continuous triggers' next firing time (ms), if one is set.
struct continuous_trigger_state {
  std::optional<std::int64_t> next;
};
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
  /// Merging windows add their counts (a merged count that reached n fires
  /// at the next record, as Flink's CountTrigger does).
  void on_merge(state& merged, std::span<const state> from, trigger_context&) const noexcept {
    for (const state& f : from) merged.count += f.count;
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
  void on_merge(state&, std::span<const state>, trigger_context&) const noexcept {}  // nothing to merge
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

/// t, with every fire turned into fire_and_purge (Flink's PurgingTrigger);
/// it merges when t does.
template <class Trigger>
struct purging_trigger {
  Trigger inner;
  using state = typename Trigger::state;
  static trigger_result purge_on_fire(trigger_result r) noexcept {
    return r == trigger_result::fire ? trigger_result::fire_and_purge : r;
  }
  template <class T>
    requires requires(const Trigger& tr, state& st, const T& r) { tr.on_element(st, r, event_time{}); }
  trigger_result on_element(state& s, const T& r, event_time ts) const {
    return purge_on_fire(inner.on_element(s, r, ts));
  }
  template <class T>
    requires requires(const Trigger& tr, state& st, const T& r, trigger_context& c) {
      tr.on_element(st, r, event_time{}, c);
    }
  trigger_result on_element(state& s, const T& r, event_time ts, trigger_context& c) const {
    return purge_on_fire(inner.on_element(s, r, ts, c));
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
  trigger_result on_event_time(state& s, event_time t, trigger_context& c) const
    requires requires(const Trigger& tr, state& st, trigger_context& cc) { tr.on_event_time(st, t, cc); }
  {
    return purge_on_fire(inner.on_event_time(s, t, c));
  }
  trigger_result on_processing_time(state& s, event_time t, trigger_context& c) const
    requires requires(const Trigger& tr, state& st, trigger_context& cc) { tr.on_processing_time(st, t, cc); }
  {
    return purge_on_fire(inner.on_processing_time(s, t, c));
  }
  void clear(state& s, trigger_context& c) const
    requires requires(const Trigger& tr, state& st, trigger_context& cc) { tr.clear(st, cc); }
  {
    inner.clear(s, c);
  }
  void on_merge(state& merged, std::span<const state> from, trigger_context& c) const
    requires requires(const Trigger& tr, state& st, trigger_context& cc) { tr.on_merge(st, from, cc); }
  {
    inner.on_merge(merged, from, c);
  }
};
template <class Trigger>
constexpr purging_trigger<Trigger> purging(Trigger t) { return {std::move(t)}; }

// ---- triggers of time windows (window(...).trigger(t)) ----

/// Fires when the watermark passes the window's end − 1: the default of
/// event-time windows (Flink's EventTimeTrigger), to combine, e.g.
/// purging(event_time_trigger{}). A record for a window already past its
/// end (within allowed lateness) fires it at once.
struct event_time_trigger {
  using state = no_trigger_state;
  template <class T>
  trigger_result on_element(state&, const T&, event_time, trigger_context& c) const {
    if (c.window().max_timestamp() <= c.watermark()) return trigger_result::fire;
    c.register_event_time_timer(c.window().max_timestamp());
    return trigger_result::pass;
  }
  trigger_result on_event_time(state&, event_time t, trigger_context& c) const noexcept {
    return t == c.window().max_timestamp() ? trigger_result::fire : trigger_result::pass;
  }
  void clear(state&, trigger_context& c) const { c.delete_event_time_timer(c.window().max_timestamp()); }
  void on_merge(state&, std::span<const state>, trigger_context& c) const {
    if (c.window().max_timestamp() > c.watermark()) c.register_event_time_timer(c.window().max_timestamp());
  }
};

/// Fires when processing time passes the window's end − 1 (Flink's
/// ProcessingTimeTrigger, the default of processing-time windows).
struct processing_time_trigger {
  using state = no_trigger_state;
  template <class T>
  trigger_result on_element(state&, const T&, event_time, trigger_context& c) const {
    c.register_processing_time_timer(c.window().max_timestamp());
    return trigger_result::pass;
  }
  trigger_result on_processing_time(state&, event_time, trigger_context&) const noexcept {
    return trigger_result::fire;
  }
  void clear(state&, trigger_context& c) const { c.delete_processing_time_timer(c.window().max_timestamp()); }
  void on_merge(state&, std::span<const state>, trigger_context& c) const {
    c.register_processing_time_timer(c.window().max_timestamp());
  }
};

/// Fires every `interval` of event time while the window is open, and at its
/// end (Flink's ContinuousEventTimeTrigger): the first firing at the end of
/// the interval (aligned as Flink aligns it) holding the window's first
/// record, capped at the window's end − 1. A record for a window past its
/// end fires it at once.
struct continuous_event_time_trigger {
  duration interval;
  using state = continuous_trigger_state;
  template <class T>
  trigger_result on_element(state& s, const T&, event_time ts, trigger_context& c) const {
    const std::int64_t max = to_millis(c.window().max_timestamp());
    if (max <= to_millis(c.watermark())) return trigger_result::fire;
    c.register_event_time_timer(from_millis(max));
    if (!s.next) {  // Java's `%`, as Flink aligns: it truncates toward zero, as C++'s does
      const std::int64_t t = to_millis(ts);
      schedule(s, t - t % interval.count(), max, c);
    }
    return trigger_result::pass;
  }
  trigger_result on_event_time(state& s, event_time t, trigger_context& c) const {
    const std::int64_t max = to_millis(c.window().max_timestamp()), at = to_millis(t);
    if (at == max) return trigger_result::fire;
    if (s.next && *s.next == at) {
      schedule(s, at, max, c);
      return trigger_result::fire;
    }
    return trigger_result::pass;
  }
  void clear(state& s, trigger_context& c) const {
    if (s.next) c.delete_event_time_timer(from_millis(*s.next));
    s.next.reset();
  }
  /// The earliest next firing of the merged windows.
  void on_merge(state& merged, std::span<const state> from, trigger_context& c) const {
    for (const state& f : from)
      if (f.next && (!merged.next || *f.next < *merged.next)) merged.next = f.next;
    if (merged.next) c.register_event_time_timer(from_millis(*merged.next));
  }

 private:
  void schedule(state& s, std::int64_t from, std::int64_t max, trigger_context& c) const {
    s.next = std::min(from + interval.count(), max);
    c.register_event_time_timer(from_millis(*s.next));
  }
};
constexpr continuous_event_time_trigger continuous_event_time(duration interval) { return {interval}; }

/// Fires every `interval` of processing time while the window is open
/// (Flink's ContinuousProcessingTimeTrigger): the first firing at the end of
/// the interval holding the processing time of the window's first record,
/// capped at the window's end − 1, which fires too.
struct continuous_processing_time_trigger {
  duration interval;
  using state = continuous_trigger_state;
  template <class T>
  trigger_result on_element(state& s, const T&, event_time, trigger_context& c) const {
    if (!s.next) {
      const std::int64_t t = to_millis(c.processing_time());
      schedule(s, t - t % interval.count(), to_millis(c.window().max_timestamp()), c);
    }
    return trigger_result::pass;
  }
  trigger_result on_processing_time(state& s, event_time t, trigger_context& c) const {
    const std::int64_t max = to_millis(c.window().max_timestamp()), at = to_millis(t);
    if (at == max) return trigger_result::fire;
    if (s.next && *s.next == at) {
      schedule(s, at, max, c);
      return trigger_result::fire;
    }
    return trigger_result::pass;
  }
  void clear(state& s, trigger_context& c) const {
    if (s.next) c.delete_processing_time_timer(from_millis(*s.next));
    s.next.reset();
  }
  void on_merge(state& merged, std::span<const state> from, trigger_context& c) const {
    for (const state& f : from)
      if (f.next && (!merged.next || *f.next < *merged.next)) merged.next = f.next;
    if (merged.next) c.register_processing_time_timer(from_millis(*merged.next));
  }

 private:
  void schedule(state& s, std::int64_t from, std::int64_t max, trigger_context& c) const {
    s.next = std::min(from + interval.count(), max);
    c.register_processing_time_timer(from_millis(*s.next));
  }
};
constexpr continuous_processing_time_trigger continuous_processing_time(duration interval) { return {interval}; }

}  // namespace spate
