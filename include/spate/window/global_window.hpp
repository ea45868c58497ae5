#pragma once
// The global window: one window per key (per stream with window_all) that
// only a trigger closes. The trigger sees each record (on_element) and, if it
// has on_time, the advance of event time (processing time for a window on
// processing time), for every key with an open window. fire emits the
// window's current value; purge drops its contents.
#include <cstdint>
#include <utility>
#include <vector>

#include "core.hpp"
#include "triggers.hpp"

namespace spate::detail {

template <class Trigger, class T, class SK, class KOut, class Fn, class TsFn, bool Processing, class LateOut,
          class Down>
struct global_window_op : window_input<global_window_op<Trigger, T, SK, KOut, Fn, TsFn, Processing, LateOut, Down>,
                                        window_core<T, SK, KOut, Fn, TsFn, Processing, LateOut, Down>> {
  using plain_key = SK;
  using core = window_core<T, SK, KOut, Fn, TsFn, Processing, LateOut, Down>;
  using acc_type = typename core::acc_type;
  static constexpr bool timed = requires(const Trigger& tr, typename Trigger::state& s) { tr.on_time(s, event_time{}); };
  static constexpr bool has_timers = requires(const Trigger& tr, typename Trigger::state& s) {
    tr.next_timer(std::as_const(s));
    tr.on_timer(s, event_time{});
  };
  struct key_state {
    acc_type acc;
    typename Trigger::state trig{};
    std::int64_t scheduled = never;  // due time of the key's live timer (triggers with timers)
    bool empty = false;              // purged, kept for the trigger's pending timers
  };
  Trigger trigger;
  state::hash_map<SK, key_state> keys{};

  using slot_type = typename state::hash_map<SK, key_state>::value_type;
  // Sets the key's timer to the trigger's earliest one, unless it has an earlier one.
  void schedule_next(slot_type* slot) {
    if constexpr (has_timers) {
      if (auto next = trigger.next_timer(std::as_const(slot->second.trig))) {
        std::int64_t at = to_millis(*next);
        if (at < slot->second.scheduled) {
          slot->second.scheduled = at;
          this->schedule(at, slot->first);
        }
      }
    }
  }
  // Applies a trigger result; false when the key is gone.
  bool apply(slot_type* slot, trigger_result res, bool& go) {
    key_state& ks = slot->second;
    if (fires(res) && !ks.empty) go = this->emit(slot->first, time_window{}, ks.acc) && go;
    if (!purges(res)) return true;
    if constexpr (has_timers) {
      if (trigger.next_timer(std::as_const(ks.trig))) {
        ks.empty = true;  // the contents go; the pending timers stay, as in Flink
        return true;
      }
    }
    keys.erase(SK(slot->first));
    return false;
  }

  template <class KK>
  bool add(const KK& key, const T& r) {
    event_time t = from_millis(this->time_of(r));
    auto found = keys.try_emplace_with(key, [&] { return key_state{this->fn.init(r), {}, never, false}; });
    auto* slot = found.first;
    if (!found.second) {
      if (slot->second.empty) {
        slot->second.acc = this->fn.init(r);
        slot->second.empty = false;
      } else {
        this->fn.add(slot->second.acc, r);
      }
    }
    trigger_result res = call_user(this->label, [&](const T& x) { return trigger.on_element(slot->second.trig, x, t); }, r);
    bool go = true;
    if (apply(slot, res, go)) schedule_next(slot);
    return go;
  }
  void advance_to(event_time t) {
    if constexpr (has_timers) {
      std::int64_t ms = to_millis(t);
      if (ms <= this->now) return;
      this->now = ms;
      // A timer set at or before the watermark fires at the next advance, as
      // Flink's timer service does; the timers a firing sets run in the same
      // pass when due, all in time order.
      this->run_timers(ms, [&](const SK& k, std::int64_t at) {
        auto* slot = keys.find(k);
        if (!slot || slot->second.scheduled != at) return;
        slot->second.scheduled = never;
        bool go = true;
        trigger_result res = call_user(this->label, [&](event_time x) { return trigger.on_timer(slot->second.trig, x); },
                                       from_millis(at));
        if (apply(slot, res, go)) schedule_next(slot);
      });
    } else if constexpr (timed) {
      std::vector<SK> purge;
      keys.for_each([&](const SK& k, key_state& s) {
        trigger_result res = trigger.on_time(s.trig, t);
        if (fires(res)) this->emit(k, time_window{}, s.acc);
        if (purges(res)) purge.push_back(k);
      });
      for (const SK& k : purge) keys.erase(k);
    }
  }

  void on_watermark(event_time t) {
    if constexpr (!Processing) advance_to(t);
    this->forward_watermark(t);
  }
  void on_tick(event_time t) {
    this->proc_now = t;
    if constexpr (Processing) advance_to(t);
    this->down.on_tick(t);
  }
  void on_end() {
    if constexpr (!Processing) advance_to(max_watermark);
    this->forward_watermark(max_watermark);
    this->late_on_end();
    this->down.on_end();
  }
  const state::hash_map<SK, key_state>& state() const noexcept { return keys; }
};

/// A window per micro-batch (Spark's reduceByKey in a DStream): results per
/// key at each on_batch_end, then reset. At the end of input, what the last
/// (unfinished) batch holds is emitted too. Bounds: [previous batch time,
/// this batch time).
template <class T, class SK, class KOut, class Fn, class TsFn, bool Processing, class LateOut, class Down>
struct per_batch_op : window_input<per_batch_op<T, SK, KOut, Fn, TsFn, Processing, LateOut, Down>,
                                    window_core<T, SK, KOut, Fn, TsFn, Processing, LateOut, Down>> {
  using plain_key = SK;
  using core = window_core<T, SK, KOut, Fn, TsFn, Processing, LateOut, Down>;
  state::hash_map<SK, typename core::acc_type> keys{};
  event_time batch_start{};

  template <class KK>
  bool add(const KK& key, const T& r) {
    auto [slot, inserted] = keys.try_emplace_with(key, [&] { return this->fn.init(r); });
    if (!inserted) this->fn.add(slot->second, r);
    return true;
  }
  void flush(event_time end) {
    time_window w{batch_start, end};
    keys.for_each([&](const SK& k, const typename core::acc_type& a) { this->emit(k, w, a); });
    keys.clear();
    batch_start = end;
  }
  void on_tick(event_time t) {
    this->proc_now = t;
    this->down.on_tick(t);
  }
  void on_batch_end(const batch_info& b) {
    flush(b.time);
    this->down.on_batch_end(b);
  }
  void on_end() {
    if (!keys.empty()) flush(std::max(this->proc_now, batch_start));
    this->late_on_end();
    this->down.on_end();
  }
};

}  // namespace spate::detail
