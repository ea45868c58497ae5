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
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

#include "../state/snapshot.hpp"
#include "core.hpp"

namespace spate::detail {

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
  void on_watermark(event_time t) {
    if constexpr (on_time && !Op::processing) this->advance_to(to_millis(t));
    this->forward_watermark(t);
  }
  void on_tick(event_time t) {
    this->proc_now = t;
    if constexpr (on_time && Op::processing) this->advance_to(to_millis(t) - tick_lag);
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
