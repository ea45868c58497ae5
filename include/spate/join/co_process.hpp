#pragma once
// Two-input functions after connect (Flink's CoMapFunction,
// CoFlatMapFunction, CoProcessFunction and KeyedCoProcessFunction):
//   connect(a, b) | co_map(fa, fb)                   fa(const A&) and fb(const B&) -> one type R
//   connect(a, b) | co_flat_map(fa, fb)              each returns a range of one element type
//   connect(a, b) | key_by(ka, kb) | co_process(f)   keyed: state and timers shared by both inputs
//   connect(a, b) | co_process(f)                    unkeyed: no keyed state, no timers
// f for co_process is a struct:
//   struct match {
//     using state_type = pending;            // per key (keyed only; optional)
//     using output_type = Alert;
//     void process1(const A& a, auto& ctx, auto& out);
//     void process2(const B& b, auto& ctx, auto& out);
//     void on_timer(spate::event_time t, auto& ctx, auto& out);   // optional, keyed only
//   };
// Keyed, ctx is process(f)'s (state/process.hpp): key(), state(), timers,
// timestamp() (the record's event time, see connect.hpp), side outputs; the
// state and timers are snapshotted and restored, also at another
// parallelism, as process(f)'s are, because it is process(f) underneath.
// Unkeyed, ctx has timestamp(), current_watermark(), side() and output(tag, v).
#include <functional>
#include <iterator>
#include <type_traits>
#include <utility>

#include "../algebra/flat_map.hpp"
#include "../algebra/side_output.hpp"
#include "../algebra/stage.hpp"
#include "../state/process.hpp"
#include "either.hpp"

namespace spate {

namespace diagnostic {
// READ THIS IF YOUR COMPILE BREAKS HERE: a two-input stage (first argument)
// must follow connect(a, b): its input (second argument) is not a connected
// stream of either<A, B>.
template <fixed_string Stage, class Input>
struct stage_needs_connected_stream {
  static_assert(always_false<Input>, "spate: this two-input stage must follow spate::connect(a, b)");
};
// READ THIS IF YOUR COMPILE BREAKS HERE: the two functions of a co_map or
// co_flat_map (the stage is the first argument) must return one type; the
// arguments are input 1's record and result, then input 2's record and result.
template <fixed_string Stage, class A, class RA, class B, class RB>
struct co_functions_disagree {
  static_assert(always_false<A>, "spate: the two functions of a two-input stage return different types");
};
}  // namespace diagnostic

namespace detail {
template <fixed_string Stage, class T, class FA, class FB, bool Flat>
constexpr bool check_co_functions() {
  if constexpr (!is_either_v<T>) {
    (void)&diagnostic::report<diagnostic::stage_needs_connected_stream<Stage, T>>;
    return false;
  } else {
    using A = typename T::first_type;
    using B = typename T::second_type;
    if constexpr (!stage_invocable<FA, const A&>) {
      (void)&diagnostic::report<diagnostic::stage_cannot_accept_input<Stage, A, FA>>;
      return false;
    } else if constexpr (!stage_invocable<FB, const B&>) {
      (void)&diagnostic::report<diagnostic::stage_cannot_accept_input<Stage, B, FB>>;
      return false;
    } else {
      using RA = std::remove_cvref_t<stage_result_t<FA, const A&>>;
      using RB = std::remove_cvref_t<stage_result_t<FB, const B&>>;
      if constexpr (Flat) {
        if constexpr (!iterable<RA> || !iterable<RB>) {
          (void)&diagnostic::report<diagnostic::stage_bad_result<Stage, T, std::pair<RA, RB>>>;
          return false;
        } else if constexpr (!std::is_same_v<iter_value_t<RA>, iter_value_t<RB>>) {
          (void)&diagnostic::report<diagnostic::co_functions_disagree<Stage, A, iter_value_t<RA>, B, iter_value_t<RB>>>;
          return false;
        } else {
          return true;
        }
      } else if constexpr (std::is_void_v<RA> || !std::is_same_v<RA, RB>) {
        (void)&diagnostic::report<diagnostic::co_functions_disagree<Stage, A, RA, B, RB>>;
        return false;
      } else {
        return true;
      }
    }
  }
}
}  // namespace detail

/// co_map(fa, fb): a record of input 1 becomes fa(a), of input 2 fb(b).
template <class FA, class FB, bool Flat = false>
struct co_map_stage : stage_tag {
  FA fa;
  FB fb;
  static constexpr const char* name = Flat ? "co_flat_map" : "co_map";

  template <class Flow>
  static constexpr bool check() {
    if constexpr (Flat)
      return detail::check_co_functions<"co_flat_map", typename Flow::value_type, FA, FB, true>();
    else
      return detail::check_co_functions<"co_map", typename Flow::value_type, FA, FB, false>();
  }
  template <class T>
  using result_t = std::remove_cvref_t<stage_result_t<FA, const typename T::first_type&>>;
  template <class T>
  static auto record_of() {
    if constexpr (Flat) return std::type_identity<detail::iter_value_t<result_t<T>>>{};
    else return std::type_identity<result_t<T>>{};
  }
  template <class Flow>
  using output = flow<typename decltype(record_of<typename Flow::value_type>())::type>;

  template <class Down>
  struct built : forward_control<Down> {
    FA fa;
    FB fb;
    stage_label label;
    template <class R>
    bool emit(R&& r) {
      if constexpr (Flat) {
        bool go = true;
        for (auto&& x : r)
          if (!(go = this->down.push(std::forward<decltype(x)>(x)))) break;
        return go;
      } else {
        return this->down.push(std::forward<R>(r));
      }
    }
    template <class E>
    bool push(E&& e) {
      if (e.is_first()) return emit(detail::call_user(label, fa, std::as_const(e.first())));
      return emit(detail::call_user(label, fb, std::as_const(e.second())));
    }
  };
  template <class Flow, class Env, class Down>
  auto build(Env&, stage_label label, Down&& down) const {
    return built<std::remove_cvref_t<Down>>{{std::forward<Down>(down)}, fa, fb, label};
  }
};

template <class FA, class FB>
constexpr auto co_map(FA fa, FB fb) {
  return co_map_stage<FA, FB, false>{{}, std::move(fa), std::move(fb)};
}
/// co_flat_map(fa, fb): each function returns a range (of one element type).
template <class FA, class FB>
constexpr auto co_flat_map(FA fa, FB fb) {
  return co_map_stage<FA, FB, true>{{}, std::move(fa), std::move(fb)};
}

namespace detail {
// A co-process function seen as a keyed process function of either<A, B>,
// so keyed co_process is process(f): one implementation of keyed state,
// timers, snapshots and rescaling.
template <class F>
struct co_process_adapter {
  F fn;
  using output_type = typename F::output_type;
  using state_type = typename state_type_of<F>::type;
  template <class E, class Ctx, class Out>
  void process(const E& e, Ctx& ctx, Out& out) {
    if (e.is_first()) fn.process1(e.first(), ctx, out);
    else fn.process2(e.second(), ctx, out);
  }
  template <class Ctx, class Out>
    requires requires(F& f, Ctx& c, Out& o) { f.on_timer(event_time{}, c, o); }
  void on_timer(event_time t, Ctx& ctx, Out& out) {
    fn.on_timer(t, ctx, out);
  }
};

template <class F, class E, class Ctx, class Out>
concept co_process_function = requires(F& f, const E& e, Ctx& c, Out& o) {
  typename F::output_type;
  f.process1(e.first(), c, o);
  f.process2(e.second(), c, o);
};

// What an unkeyed function of two inputs sees of its record: its event
// time, the stage's watermark, and side outputs. co_process and
// broadcast_process add what is theirs.
template <class Down>
struct input_context {
  Down* down;
  stage_label label;
  std::int64_t ts;
  event_time watermark;
  /// The record's event time (min_watermark when its input assigned none).
  event_time timestamp() const noexcept { return from_millis(ts); }
  event_time current_watermark() const noexcept { return watermark; }
  template <class Tag, class V>
    requires is_output_tag_v<Tag>
  void output(const Tag&, V&& v) const {
    detail::emit_side<Tag>(*down, label, std::forward<V>(v));
  }
};

// What an unkeyed co_process function sees.
template <class Down>
struct co_context : input_context<Down> {
  std::size_t from;
  /// 1 or 2: which input the record came from.
  std::size_t side() const noexcept { return from; }
};
template <class R, class Down>
struct co_out {
  Down* down;
  bool go = true;
  void collect(R v) { go = down->push(std::move(v)) && go; }
  void operator()(R v) { collect(std::move(v)); }
};
struct any_ctx {
  std::int64_t ts;
  event_time timestamp() const noexcept;
  event_time current_watermark() const noexcept;
  std::size_t side() const noexcept;
  template <class Tag, class V>
  void output(const Tag&, V&&);
};
}  // namespace detail

template <class F>
struct co_process_stage : stage_tag {
  F fn;
  static constexpr const char* name = "co_process";
  using keyed_form = process_stage<detail::co_process_adapter<F>, either_time>;

  template <class Flow>
  static constexpr bool check() {
    using T = typename Flow::value_type;
    if constexpr (!is_either_v<T>) {
      (void)&diagnostic::report<diagnostic::stage_needs_connected_stream<"co_process", T>>;
      return false;
    } else if constexpr (!requires { typename F::output_type; } ||
                         !detail::co_process_function<F, T, detail::any_ctx,
                                                      detail::co_out<typename F::output_type, detail::any_down>>) {
      (void)&diagnostic::report<diagnostic::stage_cannot_accept_input<"co_process", T, F>>;
      return false;
    } else {
      return true;
    }
  }
  template <class Flow>
  using output = flow<typename F::output_type>;

  template <class Down>
  struct built : forward_control<Down> {
    using R = typename F::output_type;
    F fn;
    stage_label label;
    event_time watermark = min_watermark;
    template <class E>
    bool push(E&& e) {
      detail::co_context<Down> c{{&this->down, label, e.ts, watermark}, e.side()};
      detail::co_out<R, Down> o{&this->down};
      detail::call_user(label, [&](const E& x) {
        if (x.is_first()) fn.process1(x.first(), c, o);
        else fn.process2(x.second(), c, o);
      }, std::as_const(e));
      return o.go;
    }
    void on_watermark(event_time t) {
      if (t > watermark) watermark = t;
      this->down.on_watermark(t);
    }
  };
  template <class Flow, class Env, class Down>
  auto build(Env& env, stage_label label, Down&& down) const {
    if constexpr (Flow::keyed)
      return keyed_form{{}, {fn}, {}}.template build<Flow>(env, label, std::forward<Down>(down));
    else
      return built<std::remove_cvref_t<Down>>{{std::forward<Down>(down)}, fn, label};
  }
};

/// A two-input process function: process1 for input 1's records, process2
/// for input 2's; keyed (after key_by(k1, k2)) with shared state and timers.
template <class F>
constexpr auto co_process(F f) {
  return co_process_stage<F>{{}, std::move(f)};
}

}  // namespace spate
