#pragma once
// The global window: one window per key (per stream with window_all) that
// only a trigger closes. The trigger sees each record (on_element) and, if it
// has on_time, the advance of event time (processing time for a window on
// processing time), for every key with an open window. fire emits the
// window's current value; purge drops its contents.
#include <cstdint>
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
  struct key_state {
    acc_type acc;
    typename Trigger::state trig{};
  };
  Trigger trigger;
  state::hash_map<SK, key_state> keys{};

  static constexpr bool timed = requires(const Trigger& tr, typename Trigger::state& s) { tr.on_time(s, event_time{}); };

  template <class KK>
  bool add(const KK& key, const T& r) {
    event_time t = from_millis(this->time_of(r));
    auto found = keys.try_emplace_with(key, [&] { return key_state{this->fn.init(r), {}}; });
    auto* slot = found.first;
    if (!found.second) this->fn.add(slot->second.acc, r);
    trigger_result res = call_user(this->label, [&](const T& x) { return trigger.on_element(slot->second.trig, x, t); }, r);
    bool go = true;
    if (fires(res)) go = this->emit(slot->first, time_window{}, slot->second.acc);
    if (purges(res)) keys.erase(SK(slot->first));
    return go;
  }
  void advance_to(event_time t) {
    if constexpr (timed) {
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
