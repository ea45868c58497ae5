#pragma once
// window_operator<Op>: the stage protocol of every window operator, written
// once. Op (tumbling, sliding, session, count, global, per-batch) derives from
// window_core and says only what differs:
//   add(key, record)      a record of a key (the records of window_all arrive
//                         under Op::plain_key{})
//   advance_to(ms)        optional: time reached ms (the watermark, or
//                         processing time − tick_lag); an operator with it
//                         works on time, and brings it to its end at on_end
//   finish()              optional: the input ended (fire what must fire)
//   flush_batch(b)        optional: a micro-batch ended
//   state_snapshot() / restore_state(s)   its own state as a value and back
// The late output is a sink of its own: it sees the control calls too.
// snapshot/restore encode Op's state and the clock as one binary record, so
// restore(snapshot(s)) == s for every operator, timers rebuilt from the state.
#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "../core/key_group.hpp"
#include "../state/snapshot.hpp"
#include "core.hpp"

namespace spate::detail {

/// A window state that is one entry per key (a vector of tuples whose first
/// element is the key): it can be split by key group.
template <class T>
struct keyed_entries : std::false_type {};
template <class E, class A>
  requires requires(const E& e) { key_groups{}.group_of(std::get<0>(e)); }
struct keyed_entries<std::vector<E, A>> : std::true_type {};


template <class Op>
struct window_operator : Op {
  using Op::Op;
  static constexpr bool on_time = requires(Op& op) { op.advance_to(std::int64_t{}); };
  static constexpr std::int64_t tick_lag = [] {
    if constexpr (requires { Op::tick_lag; })
      return Op::tick_lag;
    else
      return std::int64_t{1};
  }();

  template <class KK, class R>
  bool push_keyed(const KK& k, R&& r)
    requires(!std::is_same_v<typename Op::key_out_type, no_key>)
  {
    return this->add(k, std::as_const(r));
  }
  template <class R>
  bool push(R&& r) {
    return this->add(typename Op::plain_key{}, std::as_const(r));
  }
  // An operator may also keep timers of the other time domain (a trigger's:
  // triggered_window.hpp): advance_event_time_to / advance_processing_time_to.
  void on_watermark(event_time t) {
    if constexpr (on_time && !Op::processing)
      this->advance_to(to_millis(t));
    else if constexpr (requires(Op& op) { op.advance_event_time_to(std::int64_t{}); })
      this->advance_event_time_to(to_millis(t));
    this->forward_watermark(t);
  }
  void on_tick(event_time t) {
    this->proc_now = t;
    if constexpr (on_time && Op::processing)
      this->advance_to(to_millis(t) - tick_lag);
    else if constexpr (requires(Op& op) { op.advance_processing_time_to(std::int64_t{}); })
      this->advance_processing_time_to(to_millis(t) - tick_lag);
    this->down.on_tick(t);
  }
  void on_batch_end(const batch_info& b) {
    if constexpr (requires(Op& op) { op.flush_batch(b); }) this->flush_batch(b);
    if constexpr (requires { this->late.on_batch_end(b); }) this->late.on_batch_end(b);
    this->down.on_batch_end(b);
  }
  void on_barrier(checkpoint_id id) {
    if constexpr (requires { this->late.on_barrier(id); }) this->late.on_barrier(id);
    this->down.on_barrier(id);
  }
  // Idleness passes through (algebra/stage.hpp says why).
  void on_idle(bool idle) { this->down.on_idle(idle); }
  void on_end() {
    if constexpr (requires(Op& op) { op.finish(); }) this->finish();
    if constexpr (on_time) this->forward_watermark(max_watermark);
    if constexpr (requires { this->late.on_end(); }) this->late.on_end();
    this->down.on_end();
  }

  using snapshot_type = std::tuple<decltype(std::declval<const Op&>().state_snapshot()),
                                   typename Op::clock_snapshot>;
  /// Appends the operator's state and clock as one binary record.
  static constexpr bool keeps_state = true;
  void snapshot(std::string& out) const
    requires serde::Encodable<snapshot_type>
  {
    snapshot_value(snapshot_type{this->state_snapshot(), this->clock_state()}, out); }
  /// Restores at another parallelism (keyed windows, whose state is one
  /// entry per key): the entries of the keys of the key groups `mine` from
  /// every old subtask's snapshot, timers rebuilt; the clock is the lowest
  /// of theirs (nothing fires early), the late count their sum.
  bool restore_rescaled(const std::vector<std::string_view>& parts, key_group_range mine)
    requires serde::Encodable<snapshot_type> && keyed_entries<std::tuple_element_t<0, snapshot_type>>::value
  {
    const key_groups kg;
    std::tuple_element_t<0, snapshot_type> merged;
    std::optional<typename Op::clock_snapshot> clock;
    for (std::string_view in : parts) {
      auto s = restore_value<snapshot_type>(in);
      if (!s) return false;
      for (auto& e : std::get<0>(*s))
        if (mine.contains(kg.group_of(std::get<0>(e)))) merged.push_back(std::move(e));
      auto c = std::get<1>(*s);
      if (!clock) {
        clock = c;
      } else {
        std::get<0>(*clock) = std::min(std::get<0>(*clock), std::get<0>(c));
        std::get<1>(*clock) = std::max(std::get<1>(*clock), std::get<1>(c));
        std::get<2>(*clock) = std::min(std::get<2>(*clock), std::get<2>(c));
        std::get<3>(*clock) += std::get<3>(c);
      }
    }
    this->clear_timers();
    if (clock) this->restore_clock(*clock);
    this->restore_state(std::move(merged));
    return true;
  }
  /// Replaces the state with a snapshot (timers are rebuilt); false, state
  /// untouched, if it does not decode.
  bool restore(std::string_view in)
    requires serde::Encodable<snapshot_type>
  {
    auto s = restore_value<snapshot_type>(in);
    if (!s) return false;
    this->clear_timers();
    this->restore_clock(std::get<1>(*s));
    this->restore_state(std::move(std::get<0>(*s)));
    return true;
  }
};

}  // namespace spate::detail
