#pragma once
// What every window operator shares: the downstream link, the window
// function, the late-record output and counter, event/processing time, and
// timers: a map from due time to the keys to look at then. A key is put in it
// once per due time it needs (not once per record); an entry whose key has
// since been rescheduled is stale and skipped.
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <type_traits>
#include <utility>
#include <vector>

#include "../algebra/stage.hpp"
#include "../state/hash_map.hpp"
#include "../time/timestamp.hpp"
#include "assigners.hpp"
#include "functions.hpp"

namespace spate {

namespace detail {
inline constexpr std::int64_t never = std::numeric_limits<std::int64_t>::max();
inline constexpr std::int64_t before_all = std::numeric_limits<std::int64_t>::min();

/// Where late records go when the user gave no sink: only counted.
struct count_only_late {
  template <class R>
  bool push(const R&) noexcept { return true; }
};

template <class T, class SK, class KOut, class Fn, class TsFn, bool Processing, class LateOut, class Down>
struct window_core {
  Down down;
  Fn fn;
  TsFn ts;
  LateOut late;
  std::uint64_t* late_counter = nullptr;
  stage_label label;
  std::int64_t lateness = 0;

  window_core(Down d, Fn f, TsFn t, LateOut l, std::uint64_t* counter, stage_label lab, duration late_by)
      : down(std::move(d)), fn(std::move(f)), ts(std::move(t)), late(std::move(l)), late_counter(counter),
        label(lab), lateness(late_by.count()) {}

  std::int64_t now = before_all;  // the watermark, or processing time − 1 ms
  event_time proc_now{};
  event_time forwarded = min_watermark;
  std::uint64_t late_records = 0;
  std::map<std::int64_t, std::vector<SK>> timers{};

  using acc_type = typename Fn::acc_type;
  using key_out_type = KOut;
  static constexpr bool processing = Processing;

  static decltype(auto) key_out(const SK& k) {
    if constexpr (std::is_same_v<KOut, no_key>)
      return no_key{};
    else
      return (k);
  }
  std::int64_t time_of(const T& r) {
    if constexpr (Processing || std::is_same_v<TsFn, no_timestamp>)
      return to_millis(proc_now);
    else
      return to_millis(call_user(label, [&](const T& x) { return timestamp_of(ts, x); }, r));
  }
  bool emit(const SK& k, time_window w, const acc_type& a) { return emit_key(k, w, a); }
  template <class K>
  bool emit_key(const K& k, time_window w, const acc_type& a) {
    decltype(auto) kout = [&]() -> decltype(auto) {
      if constexpr (std::is_same_v<KOut, no_key>)
        return no_key{};
      else
        return (k);
    }();
    decltype(auto) v = call_user(label, [&](const acc_type& x) -> decltype(auto) { return fn.result(kout, w, x); }, a);
    return down.push(make_window_result(kout, w, std::forward<decltype(v)>(v)));
  }
  bool on_late(const T& r) {
    ++late_records;
    if (late_counter) ++*late_counter;
    return late.push(r);
  }
  // Most new windows of a stream share their due time (aligned windows): the
  // last due time's list is cached so scheduling is a push_back, not a tree
  // lookup. Every removal from `timers` goes through the functions below,
  // which drop the cache.
  std::int64_t cached_at = before_all;
  std::vector<SK>* cached_list = nullptr;

  void schedule(std::int64_t at, const SK& k) {
    if (!cached_list || at != cached_at) {
      cached_list = &timers[at];
      cached_at = at;
    }
    cached_list->push_back(k);
  }
  void clear_timers() {
    timers.clear();
    cached_list = nullptr;
  }
  /// Forgets the timers at or before t.
  void drop_timers_until(std::int64_t t) {
    while (!timers.empty() && timers.begin()->first <= t) timers.erase(timers.begin());
    cached_list = nullptr;
  }

  /// Whether `due` timers cover a large part of a table of `entries`
  /// (aligned windows: every key's window ends at once). Then one sequential
  /// pass over the table beats a random lookup per timer.
  static bool worth_a_pass(std::size_t due, std::size_t entries) noexcept { return due > 64 && due * 4 >= entries; }
  /// worth_a_pass for all the timers due by t together.
  bool bulk_due(std::int64_t t, std::size_t entries) const noexcept {
    std::size_t due = 0;
    for (auto it = timers.begin(); it != timers.end() && it->first <= t; ++it) due += it->second.size();
    return worth_a_pass(due, entries);
  }

  /// Runs due(k, at) for each timer at or before `t`, in time order.
  template <class Due>
  void run_timers(std::int64_t t, Due&& due) {
    run_timers(t, std::forward<Due>(due), [](std::int64_t, std::size_t) { return false; });
  }
  /// The same, but first offers each due time to pass(at, n) (n: its timers),
  /// which may handle them all at once and return true. Due times still go
  /// one at a time, oldest first, so whatever pass does a key's timers run in
  /// time order.
  template <class Due, class Pass>
  void run_timers(std::int64_t t, Due&& due, Pass&& pass) {
    while (!timers.empty() && timers.begin()->first <= t) {
      cached_list = nullptr;
      auto node = timers.extract(timers.begin());
      if (pass(node.key(), node.mapped().size())) continue;
      for (const SK& k : node.mapped()) due(k, node.key());
    }
  }
  void forward_watermark(event_time t) {
    if (t > forwarded) {
      forwarded = t;
      down.on_watermark(t);
    }
  }
  // Control every window operator passes on the same way; an operator with
  // more to do (fire on watermarks, ticks or batch ends) declares its own,
  // which hides these.
  void on_watermark(event_time t) { forward_watermark(t); }
  void on_tick(event_time t) { down.on_tick(t); }
  void on_barrier(checkpoint_id id) {
    late_on_barrier(id);
    down.on_barrier(id);
  }
  void on_batch_end(const batch_info& b) {
    late_on_batch_end(b);
    down.on_batch_end(b);
  }

  // The late output is a sink of its own: it sees the control calls too.
  void late_on_end() {
    if constexpr (requires { late.on_end(); }) late.on_end();
  }
  void late_on_barrier(checkpoint_id id) {
    if constexpr (requires { late.on_barrier(id); }) late.on_barrier(id);
  }
  void late_on_batch_end(const batch_info& b) {
    if constexpr (requires { late.on_batch_end(b); }) late.on_batch_end(b);
  }
  /// How many records came too late even for allowed lateness.
  std::uint64_t late_count() const noexcept { return late_records; }
};

/// How records enter every window operator: keyed ones with their key, the
/// records of window_all with the key type Op names `plain_key`, both into
/// Op's `add(key, record)`.
template <class Op, class Core>
struct window_input : Core {
  window_input(Core&& c) : Core(std::move(c)) {}
  Op& self() { return static_cast<Op&>(*this); }

  template <class KK, class R>
  bool push_keyed(const KK& k, R&& r)
    requires(!std::is_same_v<typename Core::key_out_type, no_key>)
  {
    return self().add(k, std::as_const(r));
  }
  template <class R>
  bool push(R&& r) {
    return self().add(typename Op::plain_key{}, std::as_const(r));
  }
};

/// The protocol of the time-window operators (tumbling, sliding, session),
/// which differ only in `add(key, record)` and `advance_to(time)`: event time
/// moves with watermarks, processing time with ticks, and the end of input
/// fires everything.
template <class Op, class Core>
struct time_window_protocol : window_input<Op, Core> {
  time_window_protocol(Core&& c) : window_input<Op, Core>(std::move(c)) {}
  using window_input<Op, Core>::self;
  void on_watermark(event_time t) {
    if constexpr (!Core::processing) self().advance_to(to_millis(t));
    this->forward_watermark(t);
  }
  void on_tick(event_time t) {
    this->proc_now = t;
    if constexpr (Core::processing) self().advance_to(to_millis(t) - 1);
    this->down.on_tick(t);
  }
  void on_end() {
    self().advance_to(never);
    this->forward_watermark(max_watermark);
    this->late_on_end();
    this->down.on_end();
  }
};
}  // namespace detail

}  // namespace spate
