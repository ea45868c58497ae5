#pragma once
// window(assigner[, timestamp]) and window_all(...): group a stream into
// windows; the stage after it says what to compute per window.
//
//   src | with_watermarks(&Ev::ts, bounded_out_of_orderness(2s))
//       | key_by(&Ev::user)
//       | window(tumbling(1min), &Ev::ts).allowed_lateness(10s).late_to(collect_into(late))
//       | count()                       // -> window_result<User, std::int64_t>{key, start, end, value}
//
// The function after window(...) is one of the keyed aggregations, which then
// work per window instead of rolling: reduce(f), fold(init, f), count(),
// aggregate(agg), or process(f) (sees all records of the window). Composition
// fuses `window(...) | f` into one stage at the `|` (see operator| below), so
// the window and its function are one built stage, one hash map, no
// intermediate records.
//
// Late records (later than allowed lateness) are counted (late_count(),
// count_late_into(counter)) and, with late_to(sink), sent to any sink.
//
// Time windows take a trigger and an evictor as Flink's do:
// window(tumbling(1min), &Ev::ts).trigger(continuous_event_time(10s)),
// .evictor(count_evictor(100)) before process(f) (triggered_window.hpp).
#include <cstdint>
#include <tuple>
#include <type_traits>
#include <utility>

#include "../algebra/pipeline.hpp"
#include "../state/process.hpp"
#include "count_window.hpp"
#include "global_window.hpp"
#include "session_window.hpp"
#include "sliding_window.hpp"
#include "triggered_window.hpp"
#include "tumbling_window.hpp"
#include "window_operator.hpp"

namespace spate {

namespace diagnostic {
// READ THIS IF YOUR COMPILE BREAKS HERE: an event-time window needs to know
// each record's timestamp: window(tumbling(1s), &Ev::ts), or use
// .on_processing_time() on the assigner.
template <class Assigner, class Input>
struct window_needs_timestamp {
  static_assert(always_false<Input>, "spate: an event-time window needs a timestamp function: window(assigner, ts)");
};
// READ THIS IF YOUR COMPILE BREAKS HERE: window(...) only groups records; it
// must be followed by what to compute per window.
template <class Window>
struct window_needs_function {
  static_assert(always_false<Window>,
                "spate: window(...) must be followed by reduce, fold, count, aggregate or process");
};
// READ THIS IF YOUR COMPILE BREAKS HERE: sliding and session windows combine
// partial results; the function after window(...) must be able to merge.
template <class Function, class Input>
struct window_function_not_mergeable {
  static_assert(always_false<Function>,
                "spate: sliding and session windows need a mergeable window function "
                "(reduce, count, process, or aggregate with merge()); fold cannot merge");
};
}  // namespace diagnostic

/// No sink for late records: they are only counted.
struct no_late_sink {};

template <class Assigner, class TsFn = no_timestamp, class LateSink = no_late_sink, bool All = false>
struct window_stage : stage_tag {
  Assigner assigner;
  TsFn ts;
  duration lateness{0};
  LateSink late;  // no `{}`: a sink of a capturing lambda has no default constructor
  std::uint64_t* late_counter = nullptr;
  static constexpr const char* name = "window";
  static constexpr bool all = All;
  using assigner_type = Assigner;
  using ts_type = TsFn;
  using late_sink_type = LateSink;

  /// Keep each window's state for d after it fired; records arriving
  /// meanwhile re-fire it. Later records go to the late output.
  window_stage allowed_lateness(duration d) const {
    auto c = *this;
    c.lateness = d;
    return c;
  }
  /// Sends records too late for their windows to `sink` (any sink descriptor).
  template <sink_descriptor S>
  window_stage<Assigner, TsFn, std::remove_cvref_t<S>, All> late_to(S&& sink) const {
    return {{}, assigner, ts, lateness, std::forward<S>(sink), late_counter};
  }
  /// Adds the number of records too late for their windows to `counter`.
  window_stage count_late_into(std::uint64_t& counter) const {
    auto c = *this;
    c.late_counter = &counter;
    return c;
  }
  /// Fires the (tumbling, sliding or session) windows by `t` instead of at
  /// their end: Flink's .trigger(t) (window/triggered_window.hpp).
  template <class Trigger>
  auto trigger(Trigger t) const {
    auto a = detail::with_trigger(assigner, std::move(t));
    return window_stage<decltype(a), TsFn, LateSink, All>{{}, std::move(a), ts, lateness, late, late_counter};
  }
  /// Evicts records from each (tumbling, sliding or session) window when it
  /// fires, before and/or after process(f) sees them: Flink's .evictor(e).
  template <class Evictor>
  auto evictor(Evictor e) const {
    auto a = detail::with_evictor(assigner, std::move(e));
    return window_stage<decltype(a), TsFn, LateSink, All>{{}, std::move(a), ts, lateness, late, late_counter};
  }

  template <class Flow>
  static constexpr bool check() {
    using T = typename Flow::value_type;
    if constexpr (!All && !Flow::keyed) {
      (void)&diagnostic::report<diagnostic::stage_needs_keyed_stream<"window", T>>;
      return false;
    } else if constexpr (Assigner::event_time && !TimestampFunction<TsFn, T>) {
      (void)&diagnostic::report<diagnostic::window_needs_timestamp<Assigner, T>>;
      return false;
    } else {
      return true;
    }
  }
  template <class Flow>
  using output = Flow;
  template <class Flow, class Env, class Down>
  int build(Env&, stage_label, Down&&) const {
    (void)&diagnostic::report<diagnostic::window_needs_function<window_stage>>;
    return 0;
  }
};

/// Windows per key (after key_by). `ts` gives each record's event time; it
/// is needed by event-time assigners and optional otherwise.
template <class Assigner>
constexpr auto window(Assigner a) {
  return window_stage<Assigner>{{}, std::move(a), {}, duration{0}, {}, nullptr};
}
template <class Assigner, class TsFn>
constexpr auto window(Assigner a, TsFn ts) {
  return window_stage<Assigner, TsFn>{{}, std::move(a), std::move(ts), duration{0}, {}, nullptr};
}
/// Windows over the whole stream (Flink's windowAll): no key, one task.
template <class Assigner>
constexpr auto window_all(Assigner a) {
  return window_stage<Assigner, no_timestamp, no_late_sink, true>{{}, std::move(a), {}, duration{0}, {}, nullptr};
}
template <class Assigner, class TsFn>
constexpr auto window_all(Assigner a, TsFn ts) {
  return window_stage<Assigner, TsFn, no_late_sink, true>{{}, std::move(a), std::move(ts), duration{0}, {}, nullptr};
}

/// window(...) fused with the function after it: the stage that runs.
template <class W, class D>
struct window_op_stage : stage_tag {
  W win;
  D fn;
  static constexpr const char* name = "window";
  using A = typename W::assigner_type;

  template <class Flow>
  using key_out = std::conditional_t<W::all, no_key, state::owned_key_t<typename Flow::key_type>>;
  template <class Flow>
  using fn_type = window_fn<D, typename Flow::value_type>;
  template <class Flow>
  using result_type = typename detail::window_fn_result<fn_type<Flow>, key_out<Flow>>::type;

  template <class Flow>
  static constexpr bool check() {
    using T = typename Flow::value_type;
    if constexpr (!detail::is_process_stage<D>) {
      // the descriptor's own check, as if per key
      if constexpr (!D::template check<flow<T, std::uint8_t>>()) return false;
    } else {
      if constexpr (!W::all && !stage_invocable<typename D::fn_type, const key_out<Flow>&, time_window,
                                                const std::vector<T>&>) {
        (void)&diagnostic::report<diagnostic::stage_cannot_accept_input<"window process", T, typename D::fn_type>>;
        return false;
      } else if constexpr (W::all && !stage_invocable<typename D::fn_type, time_window, const std::vector<T>&>) {
        (void)&diagnostic::report<diagnostic::stage_cannot_accept_input<"window process", T, typename D::fn_type>>;
        return false;
      }
    }
    if constexpr (requires { A::template accepts<D, T>(); }) {  // a trigger's and an evictor's checks
      if constexpr (!A::template accepts<D, T>()) return false;
    }
    if constexpr (A::merging && !fn_type<Flow>::mergeable) {  // the one check of mergeability
      (void)&diagnostic::report<diagnostic::window_function_not_mergeable<D, T>>;
      return false;
    }
    return true;
  }
  template <class Flow>
  using output = flow<window_result<key_out<Flow>, result_type<Flow>>>;

  template <class Flow, class Env, class Down>
  auto build(Env& env, stage_label label, Down&& down) const {
    using T = typename Flow::value_type;
    using KOut = key_out<Flow>;
    using SK = std::conditional_t<W::all, std::uint8_t, KOut>;
    auto late = [&] {
      if constexpr (std::is_same_v<typename W::late_sink_type, no_late_sink>)
        return detail::count_only_late{};
      else
        return win.late.template build<flow<T>>(env, stage_label{"late output", label.position});
    }();
    using Spec = detail::window_spec<T, SK, KOut, fn_type<Flow>, typename W::ts_type, A::processing, decltype(late),
                                     std::remove_cvref_t<Down>>;
    // The assigner names its operator: the one place an operator is chosen.
    using Op = typename A::template operator_for<Spec>;
    return Op(detail::window_parts<Spec>{std::forward<Down>(down), fn_type<Flow>(fn), win.ts, std::move(late),
                                         win.late_counter, label, win.lateness},
              win.assigner);
  }
};

namespace detail {
template <class... Ds>
inline constexpr bool ends_with_window = false;
template <class... Ds>
  requires(sizeof...(Ds) > 0)
inline constexpr bool ends_with_window<Ds...> = requires {
  typename std::tuple_element_t<sizeof...(Ds) - 1, std::tuple<Ds...>>::assigner_type;
  std::tuple_element_t<sizeof...(Ds) - 1, std::tuple<Ds...>>::all;
};

template <class Src, class Tuple, class Op, std::size_t... I>
auto replace_last_stage(Src&& src, Tuple&& t, Op&& op, uid_pins&& pins, std::index_sequence<I...>) {
  pipeline<Src, std::tuple_element_t<I, Tuple>...> prefix{std::move(src), {std::get<I>(std::move(t))...}, {}};
  auto r = std::move(prefix) | std::move(op);
  if constexpr (requires { r.pins; }) r.pins = std::move(pins);  // a pin of the window stays on it
  return r;
}
}  // namespace detail

// pipeline ending in window(...) | window function: the two become one
// window_op_stage. This overload is more constrained than the generic
// `pipeline | stage`, so it wins exactly when the last stage is a window.
template <class Src, class... Ds, stage_descriptor D>
  requires(detail::ends_with_window<Ds...> && detail::is_window_function_descriptor<std::remove_cvref_t<D>>)
auto operator|(pipeline<Src, Ds...> p, D&& d) {
  constexpr std::size_t n = sizeof...(Ds);
  using W = std::tuple_element_t<n - 1, std::tuple<Ds...>>;
  using Dd = std::remove_cvref_t<D>;
  window_op_stage<W, Dd> op{{}, std::get<n - 1>(std::move(p.stages)), std::forward<D>(d)};
  return detail::replace_last_stage(std::move(p.source), std::move(p.stages), std::move(op), std::move(p.pins),
                                    std::make_index_sequence<n - 1>{});
}

// READ THIS IF YOUR COMPILE BREAKS HERE: a pipeline ending in window(...)
// went on to a stage that is not a window function (map, filter, ...); say
// what to compute per window first.
template <class Src, class... Ds, stage_descriptor D>
  requires(detail::ends_with_window<Ds...> && !detail::is_window_function_descriptor<std::remove_cvref_t<D>>)
auto operator|(pipeline<Src, Ds...>, D&&) {
  (void)&diagnostic::report<diagnostic::window_needs_function<std::tuple_element_t<sizeof...(Ds) - 1, std::tuple<Ds...>>>>;
  return error_pipeline{};
}

// READ THIS IF YOUR COMPILE BREAKS HERE: a pipeline ending in window(...)
// went straight to a sink; say what to compute per window first.
template <class Src, class... Ds, sink_descriptor S>
  requires detail::ends_with_window<Ds...>
auto operator|(pipeline<Src, Ds...>, S&&) {
  (void)&diagnostic::report<diagnostic::window_needs_function<std::tuple_element_t<sizeof...(Ds) - 1, std::tuple<Ds...>>>>;
  return error_pipeline{};
}

}  // namespace spate
