#pragma once
// What every window operator shares. window_spec bundles the types an
// operator is made of (record, key, result key, window function, timestamp
// function, time domain, late output, downstream); window_core holds the
// parts every operator has: the downstream link, the window function, the
// late-record output and counter, the current time, and the timers: a map
// from due time to the keys to look at then. A key is put in it once per due
// time it needs (not once per record); an entry whose key has since been
// rescheduled is stale and skipped. window_operator<Op> (window_operator.hpp)
// speaks the stage protocol for every operator.
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "../algebra/side_output.hpp"
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

/// The types a window operator is made of.
///   Record   what arrives            Key      the key as stored (uint8_t for window_all)
///   KeyOut   the key of the results (no_key for window_all)
///   Fn       the window function (window_fn)   TsFn   the timestamp function
///   Processing  processing time instead of event time
///   LateOut  the built late output   Down     the next built stage
template <class Record, class Key, class KeyOut, class Fn, class TsFn, bool Processing, class LateOut, class Down>
struct window_spec {
  using record = Record;
  using key = Key;
  using key_out = KeyOut;
  using fn = Fn;
  using ts = TsFn;
  static constexpr bool processing = Processing;
  using late_out = LateOut;
  using down = Down;
};

/// What a window operator is built from, besides its assigner.
template <class S>
struct window_parts {
  typename S::down down;
  typename S::fn fn;
  typename S::ts ts;
  typename S::late_out late;
  std::uint64_t* late_counter;
  stage_label label;
  duration lateness;
};

/// The shared part of every window operator; TimerKey is what a timer names
/// (the key, or for tumbling windows the key and window start).
template <class S, class TimerKey = typename S::key>
struct window_core {
  using spec = S;
  using T = typename S::record;
  using SK = typename S::key;
  using KOut = typename S::key_out;
  using Fn = typename S::fn;
  using acc_type = typename Fn::acc_type;
  using key_out_type = KOut;
  /// The key records of window_all arrive under.
  using plain_key = SK;
  static constexpr bool processing = S::processing;

  typename S::down down;
  Fn fn;
  typename S::ts ts;
  typename S::late_out late;
  std::uint64_t* late_counter = nullptr;
  stage_label label;
  std::int64_t lateness = 0;

  explicit window_core(window_parts<S>&& p)
      : down(std::move(p.down)), fn(std::move(p.fn)), ts(std::move(p.ts)), late(std::move(p.late)),
        late_counter(p.late_counter), label(p.label), lateness(p.lateness.count()) {
    // late_to(tag): the fan-out branch of the tag must be after the window, in its segment
    if constexpr (requires { typename S::late_out::side_tag; })
      check_side_output<typename S::late_out::side_tag, typename S::down>(label);
  }

  std::int64_t now = before_all;  // the watermark, or processing time − 1 ms
  event_time proc_now{};
  event_time forwarded = min_watermark;
  std::uint64_t late_records = 0;
  std::map<std::int64_t, std::vector<TimerKey>> timers{};

  std::int64_t time_of(const T& r) {
    if constexpr (processing || std::is_same_v<typename S::ts, no_timestamp>)
      return to_millis(proc_now);
    else
      return to_millis(call_user(label, [&](const T& x) { return timestamp_of(ts, x); }, r));
  }
  template <class K>
  bool emit(const K& k, time_window w, const acc_type& a) {
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
    if constexpr (requires { typename S::late_out::side_tag; }) {
      emit_side<typename S::late_out::side_tag>(down, label, r);  // to its fan-out branch
      return true;
    } else {
      return late.push(r);
    }
  }
  // Most new windows of a stream share their due time (aligned windows): the
  // last due time's list is cached so scheduling is a push_back, not a tree
  // lookup. Every removal from `timers` goes through the functions below,
  // which drop the cache.
  std::int64_t cached_at = before_all;
  std::vector<TimerKey>* cached_list = nullptr;

  void schedule(std::int64_t at, const TimerKey& k) {
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
      for (const TimerKey& k : node.mapped()) due(k, node.key());
    }
  }
  void forward_watermark(event_time t) {
    if (t > forwarded) {
      forwarded = t;
      down.on_watermark(t);
    }
  }

  /// What every operator's snapshot holds besides its own state: the time,
  /// the last watermark sent on and the late count.
  using clock_snapshot = std::tuple<std::int64_t, std::int64_t, std::int64_t, std::uint64_t>;
  clock_snapshot clock_state() const {
    return {now, to_millis(proc_now), to_millis(forwarded), late_records};
  }
  void restore_clock(const clock_snapshot& c) {
    now = std::get<0>(c);
    proc_now = from_millis(std::get<1>(c));
    forwarded = from_millis(std::get<2>(c));
    late_records = std::get<3>(c);
  }

  /// How many records came too late even for allowed lateness.
  std::uint64_t late_count() const noexcept { return late_records; }
};
}  // namespace detail

}  // namespace spate
