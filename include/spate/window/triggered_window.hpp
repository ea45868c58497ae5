#pragma once
// Time windows fired by a trigger of the user's choice, and evictors:
//   window(tumbling(1min), &Ev::ts).trigger(continuous_event_time(10s)) | count()
//   window(session(30s), &Ev::ts).trigger(purging(every_n(100))) | sum(...)
//   window(sliding(1min, 10s), &Ev::ts).evictor(count_evictor(50)) | process(f)
// This is Flink's WindowOperator (EvictingWindowOperator with an evictor)
// for tumbling, sliding and session windows: state per (key, window) — the
// contents, the trigger's state, the window's timers (one per time, as
// Flink's timer service keeps them) — and these rules:
//   - a record goes into each of its windows that is not late (cleanup time
//     end − 1 + allowed lateness <= watermark), then the trigger sees it; a
//     record all of whose windows are late goes to the late output;
//   - fire emits the window's contents (nothing when a purge emptied them),
//     purge drops the contents and keeps the trigger's state and timers;
//   - every window has a cleanup timer at end − 1 + allowed lateness (event
//     time; end − 1 on processing time), which the trigger sees like its own
//     timers and after which the window and its trigger state are gone;
//   - session windows merge as Flink's MergingWindowSet merges them: the
//     contents merge (window_fn::merge), the trigger merges its states
//     (on_merge: triggers that cannot merge are refused at compile time);
//   - with an evictor the window keeps its records and their timestamps;
//     each firing evicts before and/or after the function.
// Replacing the default trigger replaces when the window fires, and only
// that: count_trigger on a tumbling event-time window fires on count alone,
// never at the window's end (Flink's CountTrigger ignores time), and the
// window is still cleaned up when its time is over.
// The windows without .trigger()/.evictor() keep their own operators
// (tumbling_window.hpp, sliding_window.hpp, session_window.hpp).
#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "../core/diagnostics.hpp"
#include "../state/process.hpp"
#include "../state/snapshot.hpp"
#include "core.hpp"
#include "evictors.hpp"
#include "global_window.hpp"  // the encodings of the built-in trigger states
#include "tumbling_window.hpp"  // window_key
#include "triggers.hpp"

namespace spate::serde {
template <>
struct codec<continuous_trigger_state> {
  static void write(writer& w, const continuous_trigger_state& s) { codec<std::optional<std::int64_t>>::write(w, s.next); }
  static result<continuous_trigger_state> read(reader& r) {
    auto x = codec<std::optional<std::int64_t>>::read(r);
    if (!x) return std::move(x).error();
    return continuous_trigger_state{*x};
  }
};
}  // namespace spate::serde

namespace spate {

namespace diagnostic {
// READ THIS IF YOUR COMPILE BREAKS HERE: session windows merge, so their
// trigger must merge its state too (Flink's canMerge/onMerge). The built-in
// event_time_trigger, processing_time_trigger, continuous_event_time,
// continuous_processing_time, every_n, when and purging(...) of these can.
template <class Trigger>
struct trigger_cannot_merge {
  static_assert(always_false<Trigger>,
                "spate: session windows merge, and this trigger cannot: give it "
                "on_merge(state&, std::span<const state>, trigger_context&) (Flink's canMerge/onMerge)");
};
// READ THIS IF YOUR COMPILE BREAKS HERE: on_time / next_timer / on_timer are
// the global window's trigger interface; a time window's trigger has timers
// of its window through the trigger_context (window/triggers.hpp).
template <class Trigger>
struct trigger_not_for_time_windows {
  static_assert(always_false<Trigger>,
                "spate: this trigger is for global windows only (on_time / next_timer); on a time window use one "
                "with on_element(state&, const T&, event_time, trigger_context&), e.g. continuous_event_time(interval)");
};
template <class Trigger, class Input>
struct trigger_cannot_accept_input {
  static_assert(always_false<Trigger>,
                "spate: the window's trigger has no on_element(state&, const T&, event_time[, trigger_context&]) "
                "for these records");
};
// READ THIS IF YOUR COMPILE BREAKS HERE: an evictor removes records from the
// window, so the window must keep them: only process(f) does (Flink's
// evictors need a full window buffer too).
template <class Evictor, class Function>
struct evictor_needs_process {
  static_assert(always_false<Evictor>,
                "spate: window(...).evictor(e) needs process(f) after it; reduce, fold, count and aggregate keep an "
                "accumulator, not the window's records");
};
// READ THIS IF YOUR COMPILE BREAKS HERE: .trigger(t) / .evictor(e) belong to
// time windows; a global window takes its trigger as global_window(t).
template <class Assigner>
struct trigger_needs_time_window {
  static_assert(always_false<Assigner>,
                "spate: .trigger(t) and .evictor(e) apply to tumbling, sliding and session windows; a global window "
                "takes its trigger as global_window(t)");
};
}  // namespace diagnostic

namespace detail {
template <class A, class S>
struct triggered_window_op;
template <class A, class S>
struct triggered_session_op;

template <class A>
inline constexpr bool is_time_assigner = false;
template <bool P>
inline constexpr bool is_time_assigner<tumbling_assigner<P>> = true;
template <bool P>
inline constexpr bool is_time_assigner<sliding_assigner<P>> = true;
template <bool P>
inline constexpr bool is_time_assigner<session_assigner<P>> = true;
}  // namespace detail

/// A time assigner with a trigger and an evictor: what window(a).trigger(t)
/// and .evictor(e) make of `a`. It names the operator that runs it.
template <class Base, class Trigger, class Evictor = no_evictor>
struct triggered_assigner {
  Base base;
  Trigger trigger;
  Evictor evictor;
  using base_type = Base;
  using trigger_type = Trigger;
  using evictor_type = Evictor;
  static constexpr bool processing = Base::processing;
  static constexpr bool event_time = Base::event_time;
  static constexpr bool session = requires(const Base& b) { b.gap; };
  static constexpr bool merging = session;  // sessions merge their contents: the function must merge
  static constexpr bool evicting = !std::is_same_v<Evictor, no_evictor>;
  template <class Spec>
  using operator_for =
      std::conditional_t<session, detail::window_operator<detail::triggered_session_op<triggered_assigner, Spec>>,
                         detail::window_operator<detail::triggered_window_op<triggered_assigner, Spec>>>;

  /// The compile-time checks of the trigger and evictor against the window
  /// function D and the records T (window_op_stage::check asks).
  template <class D, class T>
  static constexpr bool accepts() {
    using St = typename Trigger::state;
    constexpr bool with_context = requires(const Trigger& tr, St& s, const T& r, trigger_context& c) {
      tr.on_element(s, r, spate::event_time{}, c);
    };
    constexpr bool plain = requires(const Trigger& tr, St& s, const T& r) { tr.on_element(s, r, spate::event_time{}); };
    constexpr bool global_only = requires(const Trigger& tr, St& s) { tr.on_time(s, spate::event_time{}); } ||
                                 requires(const Trigger& tr, const St& s) { tr.next_timer(s); };
    if constexpr (!with_context && global_only) {
      (void)&diagnostic::report<diagnostic::trigger_not_for_time_windows<Trigger>>;
      return false;
    } else if constexpr (!with_context && !plain) {
      (void)&diagnostic::report<diagnostic::trigger_cannot_accept_input<Trigger, T>>;
      return false;
    } else if constexpr (session && !requires(const Trigger& tr, St& s, std::span<const St> f, trigger_context& c) {
                           tr.on_merge(s, f, c);
                         }) {
      (void)&diagnostic::report<diagnostic::trigger_cannot_merge<Trigger>>;
      return false;
    } else if constexpr (evicting && !detail::is_process_stage<D>) {
      (void)&diagnostic::report<diagnostic::evictor_needs_process<Evictor, D>>;
      return false;
    } else {
      return true;
    }
  }
};

namespace detail {
template <class A>
inline constexpr bool is_triggered_assigner = false;
template <class B, class T, class E>
inline constexpr bool is_triggered_assigner<triggered_assigner<B, T, E>> = true;

/// `a` with trigger t (window_stage::trigger).
template <class A, class Trigger>
constexpr auto with_trigger(const A& a, Trigger t) {
  if constexpr (is_triggered_assigner<A>) {
    return triggered_assigner<typename A::base_type, Trigger, typename A::evictor_type>{a.base, std::move(t), a.evictor};
  } else if constexpr (is_time_assigner<A>) {
    return triggered_assigner<A, Trigger>{a, std::move(t), {}};
  } else {
    (void)&diagnostic::report<diagnostic::trigger_needs_time_window<A>>;
    return a;
  }
}
/// `a` with evictor e (window_stage::evictor); the trigger stays the
/// window's default unless one was given.
template <class A, class Evictor>
constexpr auto with_evictor(const A& a, Evictor e) {
  if constexpr (is_triggered_assigner<A>) {
    return triggered_assigner<typename A::base_type, typename A::trigger_type, Evictor>{a.base, a.trigger, std::move(e)};
  } else if constexpr (is_time_assigner<A>) {
    using Default = std::conditional_t<A::processing, processing_time_trigger, event_time_trigger>;
    return triggered_assigner<A, Default, Evictor>{a, Default{}, std::move(e)};
  } else {
    (void)&diagnostic::report<diagnostic::trigger_needs_time_window<A>>;
    return a;
  }
}

/// Timers by due time; an entry whose window no longer holds that timer is
/// stale and skipped (the window's own timer set is the truth).
template <class TK>
struct timer_queue {
  std::map<std::int64_t, std::vector<TK>> q;
  void add(std::int64_t at, const TK& k) { q[at].push_back(k); }
  void clear() { q.clear(); }
  /// Runs due(k, at) for every timer at or before t, oldest first; timers
  /// set meanwhile at or before t run in the same pass (as in Flink).
  template <class Due>
  void run(std::int64_t t, Due&& due) {
    while (!q.empty() && q.begin()->first <= t) {
      auto node = q.extract(q.begin());
      for (const TK& k : node.mapped()) due(k, node.key());
    }
  }
};

inline bool insert_timer(std::vector<std::int64_t>& set, std::int64_t at) {
  auto it = std::lower_bound(set.begin(), set.end(), at);
  if (it != set.end() && *it == at) return false;
  set.insert(it, at);
  return true;
}
inline bool erase_timer(std::vector<std::int64_t>& set, std::int64_t at) {
  auto it = std::lower_bound(set.begin(), set.end(), at);
  if (it == set.end() || *it != at) return false;
  set.erase(it);
  return true;
}

/// What both triggered operators share: a window's state, the calls into
/// the trigger and the evictor, firing, cleanup and the timer queues. Self
/// is the operator (on_timer(k, at, event)); TK names a window in a timer.
template <class Self, class A, class S, class TK>
struct triggered_core : window_core<S, TK> {
  using core = window_core<S, TK>;
  using typename core::T;
  using typename core::SK;
  using typename core::acc_type;
  using Trigger = typename A::trigger_type;
  using Evictor = typename A::evictor_type;
  using trig_state = typename Trigger::state;
  static constexpr bool evicting = A::evicting;

  struct win {
    std::optional<acc_type> acc;           // the contents; none: purged (or evicted to nothing)
    std::vector<std::int64_t> times;       // with an evictor: the timestamps of acc's records
    trig_state trig{};
    std::vector<std::int64_t> event_timers, processing_timers;  // sorted, distinct
  };
  /// A window in a snapshot: contents, timestamps, trigger state, timers.
  using win_snapshot = std::tuple<std::optional<acc_type>, std::vector<std::int64_t>, trig_state,
                                  std::vector<std::int64_t>, std::vector<std::int64_t>>;

  Trigger trigger;
  Evictor evictor;
  timer_queue<TK> event_q{}, processing_q{};
  // Processing-time windows: the watermark being reached while its timers
  // run (the watermark forwarded last is the clock's; this is transient).
  std::int64_t advancing_watermark = before_all;

  triggered_core(window_parts<S>&& p, const A& a) : core(std::move(p)), trigger(a.trigger), evictor(a.evictor) {}

  std::int64_t watermark_ms() const noexcept {
    if constexpr (S::processing)
      return std::max(to_millis(this->forwarded), advancing_watermark);
    else
      return this->now;
  }
  // Flink's cleanupTime: end − 1 + allowed lateness on event time (never
  // when that overflows), end − 1 on processing time.
  std::int64_t cleanup_time(std::int64_t end) const noexcept {
    const std::int64_t max = end - 1;
    if constexpr (S::processing) {
      return max;
    } else {
      const std::int64_t c = max + this->lateness;
      return c >= max ? c : never;
    }
  }
  bool window_late(std::int64_t end) const noexcept {
    if constexpr (S::processing)
      return false;
    else
      return cleanup_time(end) <= this->now;
  }

  trigger_context context(std::int64_t start, std::int64_t end, win& w) const {
    return trigger_context(start, end, watermark_ms(), to_millis(this->proc_now), w.event_timers, w.processing_timers);
  }
  void schedule_added(const trigger_context& c, const TK& k) {
    for (std::int64_t at : c.added_event_) event_q.add(at, k);
    for (std::int64_t at : c.added_processing_) processing_q.add(at, k);
  }
  void restore_timers(const win& w, const TK& k) {
    for (std::int64_t at : w.event_timers) event_q.add(at, k);
    for (std::int64_t at : w.processing_timers) processing_q.add(at, k);
  }

  void add_record(win& w, const T& r, std::int64_t t) {
    if (!w.acc)
      w.acc.emplace(this->fn.init(r));
    else
      this->fn.add(*w.acc, r);
    if constexpr (evicting) w.times.push_back(t);
  }
  trigger_result on_element(win& w, const T& r, std::int64_t t, std::int64_t start, std::int64_t end, const TK& k) {
    trigger_context c = context(start, end, w);
    trigger_result res = call_user(
        this->label,
        [&](const T& x) {
          if constexpr (requires { trigger.on_element(w.trig, x, event_time{}, c); })
            return trigger.on_element(w.trig, x, from_millis(t), c);
          else
            return trigger.on_element(w.trig, x, from_millis(t));
        },
        r);
    schedule_added(c, k);
    return res;
  }
  trigger_result on_trigger_timer(win& w, std::int64_t at, bool event, std::int64_t start, std::int64_t end,
                                  const TK& k) {
    trigger_context c = context(start, end, w);
    trigger_result res = trigger_result::pass;
    if (event) {
      if constexpr (requires { trigger.on_event_time(w.trig, event_time{}, c); })
        res = call_user(this->label, [&] { return trigger.on_event_time(w.trig, from_millis(at), c); });
    } else {
      if constexpr (requires { trigger.on_processing_time(w.trig, event_time{}, c); })
        res = call_user(this->label, [&] { return trigger.on_processing_time(w.trig, from_millis(at), c); });
    }
    schedule_added(c, k);
    return res;
  }
  void clear_trigger(win& w, std::int64_t start, std::int64_t end) {
    if constexpr (requires(trigger_context& c) { trigger.clear(w.trig, c); }) {
      trigger_context c = context(start, end, w);
      call_user(this->label, [&] { trigger.clear(w.trig, c); });
    }
  }
  /// Session merges: `merged` gets the trigger's merge of `from`.
  void merge_trigger(win& merged, std::span<const trig_state> from, std::int64_t start, std::int64_t end,
                     const TK& k) {
    if constexpr (requires(trigger_context& c) { trigger.on_merge(merged.trig, from, c); }) {
      trigger_context c = context(start, end, merged);
      call_user(this->label, [&] { trigger.on_merge(merged.trig, from, c); });
      schedule_added(c, k);
    }
  }

  template <class K>
  bool emit_contents(const K& key, std::int64_t start, std::int64_t end, win& w) {
    const time_window tw{from_millis(start), from_millis(end)};
    if constexpr (evicting) {
      window_elements<T> e(*w.acc, w.times);
      const evictor_context ec{tw, from_millis(watermark_ms()), this->proc_now};
      if constexpr (requires { evictor.evict_before(e, ec); })
        call_user(this->label, [&] { evictor.evict_before(e, ec); });
      bool go = this->emit(key, tw, *w.acc);
      if constexpr (requires { evictor.evict_after(e, ec); })
        call_user(this->label, [&] { evictor.evict_after(e, ec); });
      if (w.acc->empty()) w.acc.reset();  // Flink: an emptied list state is no state
      return go;
    } else {
      return this->emit(key, tw, *w.acc);
    }
  }
  template <class K>
  bool apply(trigger_result res, const K& key, std::int64_t start, std::int64_t end, win& w) {
    bool go = true;
    if (fires(res) && w.acc) go = emit_contents(key, start, end, w);
    if (purges(res)) {
      w.acc.reset();
      w.times.clear();
    }
    return go;
  }
  void register_cleanup(win& w, std::int64_t end, const TK& k) {
    const std::int64_t at = cleanup_time(end);
    if (at == never) return;
    if constexpr (S::processing) {
      if (insert_timer(w.processing_timers, at)) processing_q.add(at, k);
    } else {
      if (insert_timer(w.event_timers, at)) event_q.add(at, k);
    }
  }
  /// Whether the timer (at, event) is the window's cleanup.
  bool is_cleanup(std::int64_t at, bool event, std::int64_t end) const noexcept {
    return event != S::processing && at == cleanup_time(end);
  }

  Self& self() noexcept { return static_cast<Self&>(*this); }
  void run_event(std::int64_t t) {
    event_q.run(t, [&](const TK& k, std::int64_t at) { self().on_timer(k, at, true); });
  }
  void run_processing(std::int64_t t) {
    processing_q.run(t, [&](const TK& k, std::int64_t at) { self().on_timer(k, at, false); });
  }
  /// The window's own time reached t (the watermark, or processing time − 1 ms).
  void advance_to(std::int64_t t) {
    if (t <= this->now) return;
    this->now = t;
    if constexpr (S::processing)
      run_processing(t);
    else
      run_event(t);
  }
  /// An event-time window's processing-time timers (processing time − 1 ms).
  void advance_processing_time_to(std::int64_t t)
    requires(!S::processing)
  {
    run_processing(t);
  }
  /// A processing-time window's event-time timers.
  void advance_event_time_to(std::int64_t t)
    requires(S::processing)
  {
    if (t <= watermark_ms()) return;
    advancing_watermark = t;
    run_event(t);
  }
  void finish() {
    if constexpr (S::processing) advance_event_time_to(never);
    advance_to(never);
  }
  void clear_queues() {
    event_q.clear();
    processing_q.clear();
    advancing_watermark = before_all;
  }
  static win_snapshot snapshot_of(const win& w) {
    return {w.acc, w.times, w.trig, w.event_timers, w.processing_timers};
  }
  static win from_snapshot(win_snapshot&& s) {
    return win{std::move(std::get<0>(s)), std::move(std::get<1>(s)), std::move(std::get<2>(s)),
               std::move(std::get<3>(s)), std::move(std::get<4>(s))};
  }
};

/// Tumbling and sliding windows with a trigger: one state per (key, window).
template <class A, class S>
struct triggered_window_op : triggered_core<triggered_window_op<A, S>, A, S, window_key<typename S::key>> {
  using base = triggered_core<triggered_window_op<A, S>, A, S, window_key<typename S::key>>;
  using typename base::T;
  using typename base::SK;
  using typename base::win;
  using typename base::win_snapshot;
  using WK = window_key<SK>;

  std::int64_t size, slide, offset;
  state::hash_map<WK, win> windows{};

  static std::int64_t slide_of(const typename A::base_type& b) {
    if constexpr (requires { b.slide; })
      return b.slide.count();
    else
      return b.size.count();
  }
  triggered_window_op(window_parts<S> p, const A& a)
      : base(std::move(p), a), size(a.base.size.count()), slide(slide_of(a.base)), offset(a.base.offset.count()) {}

  template <class KK>
  bool add(const KK& key, const T& r) {
    const std::int64_t t = this->time_of(r);
    const std::int64_t last_start = t - floor_mod(t - offset, slide);
    bool skipped = true, go = true;
    // newest window first, the order of Flink's sliding assigner
    for (std::int64_t start = last_start; start > t - size; start -= slide) {
      const std::int64_t end = start + size;
      if (this->window_late(end)) continue;
      skipped = false;
      auto* slot = windows.try_emplace(WK{SK(key), start}).first;
      win& w = slot->second;
      this->add_record(w, r, t);
      trigger_result res = this->on_element(w, r, t, start, end, slot->first);
      go = this->apply(res, slot->first.key, start, end, w) && go;
      this->register_cleanup(w, end, slot->first);
    }
    if constexpr (!S::processing)
      if (skipped && t + this->lateness <= this->now) return this->on_late(r) && go;
    return go;
  }

  void on_timer(const WK& k, std::int64_t at, bool event) {
    auto* slot = windows.find(k);
    if (!slot) return;
    win& w = slot->second;
    if (!erase_timer(event ? w.event_timers : w.processing_timers, at)) return;  // stale
    const std::int64_t start = k.start, end = k.start + size;
    trigger_result res = this->on_trigger_timer(w, at, event, start, end, slot->first);
    this->apply(res, slot->first.key, start, end, w);
    if (this->is_cleanup(at, event, end)) {
      this->clear_trigger(w, start, end);
      windows.erase(WK(slot->first));
    }
  }

  /// Every window: (key, start, contents, timestamps, trigger state, timers).
  using entry = std::tuple<SK, std::int64_t, win_snapshot>;
  std::vector<entry> state_snapshot() const {
    return entries_of(windows, [](const WK& k, const win& w) { return entry(k.key, k.start, base::snapshot_of(w)); });
  }
  void restore_state(std::vector<entry>&& s) {
    windows.clear();
    this->clear_queues();
    for (auto& [k, start, ws] : s) {
      WK wk{k, start};
      auto* slot = windows.try_emplace_with(wk, [&] { return base::from_snapshot(std::move(ws)); }).first;
      this->restore_timers(slot->second, wk);
    }
  }
  const state::hash_map<WK, win>& state() const noexcept { return windows; }
};

/// A session window in a timer: its key and bounds.
template <class K>
struct session_timer_key {
  K key;
  std::int64_t start, end;
};

/// Session windows with a trigger: per key, its sessions (sorted, disjoint),
/// each with its state; a record's window [t, t + gap) merges with those it
/// touches or overlaps (Flink's TimeWindow.intersects).
template <class A, class S>
struct triggered_session_op
    : triggered_core<triggered_session_op<A, S>, A, S, session_timer_key<typename S::key>> {
  using base = triggered_core<triggered_session_op<A, S>, A, S, session_timer_key<typename S::key>>;
  using typename base::T;
  using typename base::SK;
  using typename base::win;
  using typename base::win_snapshot;
  using typename base::trig_state;
  using TK = session_timer_key<SK>;
  struct session {
    std::int64_t start, end;
    win w;
  };

  std::int64_t gap;
  state::hash_map<SK, std::vector<session>> keys{};

  triggered_session_op(window_parts<S> p, const A& a) : base(std::move(p), a), gap(a.base.gap.count()) {}

  template <class KK>
  bool add(const KK& key, const T& r) {
    const std::int64_t t = this->time_of(r);
    const std::int64_t lo = t, hi = t + gap;
    auto [slot, inserted] = keys.try_emplace(key);
    auto& v = slot->second;
    auto first = std::find_if(v.begin(), v.end(), [&](const session& s) { return s.end >= lo; });
    auto last = std::find_if(first, v.end(), [&](const session& s) { return s.start > hi; });
    std::size_t at = static_cast<std::size_t>(first - v.begin());
    if (first == last) {
      if (this->window_late(hi)) {  // a window of its own, late: the record is late
        if (inserted) keys.erase(SK(slot->first));
        if constexpr (!S::processing)
          if (t + this->lateness <= this->now) return this->on_late(r);
        return true;
      }
      v.insert(first, session{lo, hi, win{}});
    } else {
      const std::int64_t start = std::min(lo, first->start), end = std::max(hi, std::prev(last)->end);
      if (!(last - first == 1 && first->start == start && first->end == end)) {
        // The windows merge (not when the record falls inside one): contents
        // by start, the trigger's states through on_merge; the merged-away
        // windows' timers go with them.
        win merged;
        std::vector<trig_state> from;
        for (auto it = first; it != last; ++it) {
          from.push_back(it->w.trig);
          if (!it->w.acc) continue;
          if (!merged.acc) {
            merged.acc = std::move(it->w.acc);
            merged.times = std::move(it->w.times);
          } else {
            this->fn.merge(*merged.acc, *it->w.acc);
            merged.times.insert(merged.times.end(), it->w.times.begin(), it->w.times.end());
          }
        }
        this->merge_trigger(merged, std::span<const trig_state>(from), start, end, TK{slot->first, start, end});
        first->start = start;
        first->end = end;
        first->w = std::move(merged);
        v.erase(std::next(first), last);
      }
    }
    session& s = v[at];
    const TK k{slot->first, s.start, s.end};
    this->add_record(s.w, r, t);
    trigger_result res = this->on_element(s.w, r, t, s.start, s.end, k);
    bool go = this->apply(res, slot->first, s.start, s.end, s.w);
    this->register_cleanup(s.w, s.end, k);
    return go;
  }

  void on_timer(const TK& k, std::int64_t at, bool event) {
    auto* slot = keys.find(k.key);
    if (!slot) return;
    auto& v = slot->second;
    auto it = std::find_if(v.begin(), v.end(), [&](const session& s) { return s.start == k.start && s.end == k.end; });
    if (it == v.end()) return;  // merged away, or cleaned up
    win& w = it->w;
    if (!erase_timer(event ? w.event_timers : w.processing_timers, at)) return;  // stale
    trigger_result res = this->on_trigger_timer(w, at, event, k.start, k.end, k);
    this->apply(res, slot->first, k.start, k.end, w);
    if (this->is_cleanup(at, event, k.end)) {
      this->clear_trigger(w, k.start, k.end);
      v.erase(it);
      if (v.empty()) keys.erase(SK(slot->first));
    }
  }

  /// Per key: its sessions (start, end, contents, timestamps, trigger state, timers).
  using entry = std::tuple<SK, std::vector<std::tuple<std::int64_t, std::int64_t, win_snapshot>>>;
  std::vector<entry> state_snapshot() const {
    return entries_of(keys, [](const SK& k, const std::vector<session>& v) {
      std::vector<std::tuple<std::int64_t, std::int64_t, win_snapshot>> ss;
      for (const session& s : v) ss.emplace_back(s.start, s.end, base::snapshot_of(s.w));
      return entry(k, std::move(ss));
    });
  }
  void restore_state(std::vector<entry>&& s) {
    keys.clear();
    this->clear_queues();
    for (auto& [k, ss] : s) {
      std::vector<session> v;
      for (auto& [start, end, ws] : ss) {
        v.push_back(session{start, end, base::from_snapshot(std::move(ws))});
        this->restore_timers(v.back().w, TK{k, start, end});
      }
      keys.try_emplace_with(k, [&] { return std::move(v); });
    }
  }
  const state::hash_map<SK, std::vector<session>>& state() const noexcept { return keys; }
};

}  // namespace detail
}  // namespace spate
