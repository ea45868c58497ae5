#pragma once
// The stage protocol. Every built stage speaks it to the stage after it:
//   bool push(record)          one record; false means "stop sending" (take, cancel)
//   bool push_keyed(key, rec)  the same on a keyed stream (after key_by)
//   void on_watermark(t)       event time advanced to t
//   void on_barrier(id)        snapshot state for checkpoint id, then forward
//   void on_batch_end(b)       a micro-batch is complete (compacted output is due)
//   void on_tick(now)          processing time is now `now` (timers, periodic
//                              watermarks, processing-time windows); executors
//                              call it regularly, also when no record arrives
//   void on_end()              bounded input finished: flush and forward
//   void on_idle(bool)         the input went idle (true) or active again:
//                              where inputs meet (core/valve.hpp) an idle
//                              input no longer holds the watermark back
// and, for a stage that keeps state (state/chain_snapshot.hpp):
//   void snapshot(std::string&) const, bool restore(std::string_view)
// `protocol::check` (below) holds every built stage to it where stages are
// built (fuse/build.hpp): a stage that lacks a call fails to compile with one
// message naming the stage and the call. A stateless stage inherits the
// forwarding of the control calls from `forward_control`; after inlining they
// cost nothing.
//
// Idleness passes through every stage, stateful ones included, as Flink
// passes its watermark status through every operator: idleness is about
// watermarks, and a stage's output is idle exactly when its input is (what a
// stage emits on its own, from processing-time timers, carries no event
// time). Only sinks end it, having no one to tell.
#include <concepts>
#include <type_traits>
#include <concepts>
#include <type_traits>
#include <utility>

#include "../core/diagnostics.hpp"
#include "../core/flow.hpp"
#include "../core/stage_error.hpp"
#include "../core/time.hpp"

namespace spate {

/// Base of every stage descriptor (what users write: map(f), key_by(k), ...).
struct stage_tag {};
/// Base of every sink descriptor (collect_into, print, for_each, ...).
struct sink_tag {};
/// Base of every source descriptor (from_collection, text_file, ...).
struct source_tag {};

template <class D>
concept stage_descriptor = std::is_base_of_v<stage_tag, std::remove_cvref_t<D>>;
template <class D>
concept sink_descriptor = std::is_base_of_v<sink_tag, std::remove_cvref_t<D>>;
template <class D>
concept source_descriptor = std::is_base_of_v<source_tag, std::remove_cvref_t<D>>;

/// How a stage may call a user function. Each built stage holds its own copy
/// of the function and calls it as a non-const lvalue, so a `mutable` lambda
/// or a functor with a non-const operator() (a Flink MapFunction with a
/// field) is accepted; each built stage, and so each parallel instance, owns
/// its copy, as each Flink subtask owns its function instance. Checks and
/// result types therefore ask about F&, never const F&.
template <class F, class... A>
concept stage_invocable = std::invocable<F&, A...>;
template <class F, class... A>
using stage_result_t = std::invoke_result_t<F&, A...>;

/// Forwards the control calls of the protocol to `down` untouched.
template <class Down>
struct forward_control {
  Down down;
  void on_watermark(event_time t) { down.on_watermark(t); }
  void on_barrier(checkpoint_id id) { down.on_barrier(id); }
  void on_batch_end(const batch_info& b) { down.on_batch_end(b); }
  void on_tick(event_time now) { down.on_tick(now); }
  void on_end() { down.on_end(); }
  void on_idle(bool idle) { down.on_idle(idle); }
};

/// Control calls for a sink: nothing to forward.
struct sink_control {
  void on_watermark(event_time) {}
  void on_barrier(checkpoint_id) {}
  void on_batch_end(const batch_info&) {}
  void on_tick(event_time) {}
  void on_end() {}
  void on_idle(bool) {}
};

namespace protocol {
// The calls of the protocol, as types, for the diagnostic.
struct push {};
struct on_watermark {};
struct on_barrier {};
struct on_batch_end {};
struct on_tick {};
struct on_end {};
struct on_idle {};

template <class S>
concept speaks_control = requires(S& s, event_time t, checkpoint_id id, const batch_info& b, bool idle) {
  s.on_watermark(t);
  s.on_barrier(id);
  s.on_batch_end(b);
  s.on_tick(t);
  s.on_end();
  s.on_idle(idle);
};
/// A built stage that takes records of type T (by value or key and value).
template <class S, class T, class K>
concept takes = requires(S& s, T&& r, const K& k) { { s.push(std::move(r)) } -> std::convertible_to<bool>; } ||
                requires(S& s, T&& r, const K& k) { { s.push_keyed(k, std::move(r)) } -> std::convertible_to<bool>; };

/// True when Built (made by Descriptor's build() for records of Flow) speaks
/// the whole protocol; otherwise reports the first call it lacks.
template <class Descriptor, class Flow, class Built>
constexpr bool check() {
  using T = typename Flow::value_type;
  using K = typename Flow::key_type;
  auto missing = []<class Call>(Call) {
    (void)&diagnostic::report<diagnostic::stage_misses_protocol_call<Descriptor, Call, Built>>;
    return false;
  };
  if constexpr (!takes<Built, T, K>) return missing(push{});
  else if constexpr (!requires(Built& s, event_time t) { s.on_watermark(t); }) return missing(on_watermark{});
  else if constexpr (!requires(Built& s, checkpoint_id id) { s.on_barrier(id); }) return missing(on_barrier{});
  else if constexpr (!requires(Built& s, const batch_info& b) { s.on_batch_end(b); }) return missing(on_batch_end{});
  else if constexpr (!requires(Built& s, event_time t) { s.on_tick(t); }) return missing(on_tick{});
  else if constexpr (!requires(Built& s) { s.on_end(); }) return missing(on_end{});
  else if constexpr (!requires(Built& s, bool i) { s.on_idle(i); }) return missing(on_idle{});
  else return true;
}
}  // namespace protocol

/// Pushes to `down`, keyed when the stream is keyed and `down` takes keys.
template <class Down, class K, class R>
[[gnu::always_inline]] inline bool push_to(Down& down, const K* key, R&& r) {
  if constexpr (requires { down.push_keyed(*key, std::forward<R>(r)); })
    return down.push_keyed(*key, std::forward<R>(r));
  else
    return down.push(std::forward<R>(r));
}

/// How keyed aggregations emit: every update (continuous, Flink's rolling
/// reduce) or, compacted, the latest value of each changed key at batch ends
/// and end of input (micro-batch, Spark's reduceByKey, Flink's batch mode).
enum class emit_mode { rolling, compacted };

/// What an executor gives the stages it builds. Executors may pass a type of
/// their own that has at least these members.
template <emit_mode Mode = emit_mode::rolling>
struct basic_env {
  static constexpr emit_mode mode = Mode;
};
using rolling_env = basic_env<emit_mode::rolling>;
using compacted_env = basic_env<emit_mode::compacted>;

namespace detail {
/// Where a runner launches a fan_out branch's stages after its key_by on
/// threads of their own (exec/job_runner.hpp), it gives the fan-out the
/// shuffles they are fed by; for a branch that runs whole in the fan-out it
/// gives this (algebra/fan_out.hpp).
struct no_tail {};
}  // namespace detail

}  // namespace spate
