#pragma once
// The global window: one window per key (per stream with window_all) that
// only a trigger closes. The trigger sees each record (on_element) and, if it
// has on_time, the advance of event time (processing time for a window on
// processing time), for every key with an open window. fire emits the
// window's current value; purge drops its contents.
#include <cstdint>
#include <utility>
#include <vector>

#include "../state/snapshot.hpp"
#include "core.hpp"
#include "triggers.hpp"

namespace spate::serde {
// The built-in triggers' states in snapshots (a user trigger's state needs an
// encoding of its own: a reflected struct, or a codec like these).
template <>
struct codec<count_trigger_state> {
  static void write(writer& w, const count_trigger_state& s) { codec<std::uint64_t>::write(w, s.count); }
  static result<count_trigger_state> read(reader& r) {
    auto x = codec<std::uint64_t>::read(r);
    if (!x) return std::move(x).error();
    return count_trigger_state{*x};
  }
};
template <>
struct codec<no_trigger_state> {
  static void write(writer&, const no_trigger_state&) {}
  static result<no_trigger_state> read(reader&) { return no_trigger_state{}; }
};
template <>
struct codec<interval_trigger_state> {
  static void write(writer& w, const interval_trigger_state& s) { codec<std::vector<std::int64_t>>::write(w, s.pending); }
  static result<interval_trigger_state> read(reader& r) {
    auto x = codec<std::vector<std::int64_t>>::read(r);
    if (!x) return std::move(x).error();
    return interval_trigger_state{std::move(*x)};
  }
};
}  // namespace spate::serde

namespace spate::detail {

template <class Trigger, class S>
struct global_window_op : window_core<S> {
  using core = window_core<S>;
  using typename core::T;
  using typename core::SK;
  using typename core::acc_type;
  static constexpr std::int64_t tick_lag = 0;  // processing time t fires what is due at t
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

  template <class Assigner>
  global_window_op(window_parts<S> p, const Assigner& a) : core(std::move(p)), trigger(a.trigger) {}

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
  void advance_to(std::int64_t ms) {
    if constexpr (has_timers) {
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
      event_time t = from_millis(ms);
      keys.for_each([&](const SK& k, key_state& s) {
        trigger_result res = trigger.on_time(s.trig, t);
        if (fires(res)) this->emit(k, time_window{}, s.acc);
        if (purges(res)) purge.push_back(k);
      });
      for (const SK& k : purge) keys.erase(k);
    }
  }

  void finish() {
    if constexpr (!S::processing) advance_to(never);
  }

  // per key: acc, trigger state, timer, purged
  using key_snapshot = std::tuple<SK, acc_type, typename Trigger::state, std::int64_t, bool>;
  std::vector<key_snapshot> state_snapshot() const {
    return entries_of(keys, [](const SK& k, const key_state& s) {
      return key_snapshot(k, s.acc, s.trig, s.scheduled, s.empty);
    });
  }
  void restore_state(std::vector<key_snapshot>&& s) {
    keys.clear();
    for (auto& [k, acc, trig, scheduled, empty] : s) {
      if (scheduled != never) this->schedule(scheduled, k);
      keys.try_emplace_with(k, [&] { return key_state{std::move(acc), std::move(trig), scheduled, empty}; });
    }
  }
  const state::hash_map<SK, key_state>& state() const noexcept { return keys; }
};

/// A window per micro-batch (Spark's reduceByKey in a DStream): results per
/// key at each on_batch_end, then reset. At the end of input, what the last
/// (unfinished) batch holds is emitted too. Bounds: [previous batch time,
/// this batch time).
template <class S>
struct per_batch_op : window_core<S> {
  using core = window_core<S>;
  using typename core::T;
  using typename core::SK;
  using typename core::acc_type;
  state::hash_map<SK, typename core::acc_type> keys{};
  event_time batch_start{};

  template <class Assigner>
  per_batch_op(window_parts<S> p, const Assigner&) : core(std::move(p)) {}

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
  void flush_batch(const batch_info& b) { flush(b.time); }
  void finish() {
    if (!keys.empty()) flush(std::max(this->proc_now, batch_start));
  }

  // the batch's (key, acc), and where the batch started
  using batch_snapshot = std::tuple<std::vector<std::tuple<SK, acc_type>>, std::int64_t>;
  batch_snapshot state_snapshot() const {
    return {entries_of(keys, [](const SK& k, const acc_type& a) { return std::tuple(k, a); }), to_millis(batch_start)};
  }
  void restore_state(batch_snapshot&& s) {
    keys.clear();
    for (auto& [k, a] : std::get<0>(s)) keys.try_emplace_with(k, [&] { return std::move(a); });
    batch_start = from_millis(std::get<1>(s));
  }
};

}  // namespace spate::detail
