#pragma once
// Broadcast state (Flink's broadcast pattern with a BroadcastProcessFunction):
// a low-volume stream (rules, configuration) reaches every parallel instance,
// which keeps what it says in a broadcast state and reads it for each record
// of the other stream:
//   connect(readings, broadcast(rules)) | broadcast_process(apply_rules{}) | sink
// f is a struct:
//   struct apply_rules {
//     using broadcast_state_type = std::map<std::string, double>;   // the same on every instance
//     using output_type = Alert;
//     void process_element(const Reading& r, const auto& ctx, auto& out);   // reads ctx.broadcast_state()
//     void process_broadcast(const Rule& r, auto& ctx, auto& out);          // may change it
//   };
// ctx: broadcast_state() (const in process_element), timestamp(),
// current_watermark(), output(tag, v).
// Every instance reads all of the broadcast input and its own shard of the
// other, so every instance's broadcast state goes through the same updates;
// as in Flink, the order between a broadcast record and the other input's
// records may differ between instances, and process_broadcast must change
// the state the same way on all of them (depend on the broadcast record
// only). The state is snapshotted with checkpoints; a restore at another
// parallelism gives every instance the first old instance's copy (they are
// the same), as Flink restores broadcast state to every task.
// Keyed (Flink's KeyedBroadcastProcessFunction): key the data side and mark
// the other as the broadcast side,
//   connect(readings, broadcast(rules)) | key_by(&Reading::sensor, broadcast_side) | broadcast_process(f)
// and f may also have `state_type` (per-key state) and on_timer: in
// process_element, ctx is process(f)'s (state/process.hpp: key(), state(),
// timers, clear_state(), output) plus broadcast_state() (read-only); in
// process_broadcast, ctx.broadcast_state() (to change), timestamp(),
// current_watermark(), output(tag, v) and for_each_key_state(f) (f(key,
// state&) for every key of this instance: Flink's applyToKeyedState).
// Under a parallel context the data side is shuffled by key; each broadcast
// record stays on the worker that read it, and every worker reads all of
// them. Keyed state and timers are snapshotted and rescaled by key group as
// process(f)'s; the broadcast state as above.
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "../algebra/side_output.hpp"
#include "../algebra/stage.hpp"
#include "../core/key_group.hpp"
#include "../state/process.hpp"
#include "../state/snapshot.hpp"
#include "co_process.hpp"
#include "either.hpp"

namespace spate {

namespace diagnostic {
// READ THIS IF YOUR COMPILE BREAKS HERE: broadcast_process's function
// (second argument) needs `broadcast_state_type`, `output_type`,
// process_element(const A&, ctx, out) and process_broadcast(const B&, ctx,
// out), for the connected stream's records (first argument).
template <class Input, class Function>
struct broadcast_function_incomplete {
  static_assert(always_false<Function>,
                "spate: broadcast_process needs a function with broadcast_state_type, output_type, "
                "process_element(a, ctx, out) and process_broadcast(b, ctx, out)");
};
}  // namespace diagnostic

namespace detail {
// How a broadcast state is encoded: as itself, or a map (std::map,
// std::unordered_map, ...) as its entries.
template <class S>
struct broadcast_codec {
  using type = S;
  static const S& to(const S& s) { return s; }
  static S from(S s) { return s; }
};
template <class S>
  requires(!serde::Encodable<S>) && requires(S& s, typename S::key_type k, typename S::mapped_type v) {
    s.emplace(std::move(k), std::move(v));
    s.begin();
  }
struct broadcast_codec<S> {
  using type = std::vector<std::pair<typename S::key_type, typename S::mapped_type>>;
  static type to(const S& s) { return type(s.begin(), s.end()); }
  static S from(type v) {
    S s;
    for (auto& [k, x] : v) s.emplace(std::move(k), std::move(x));
    return s;
  }
};
}  // namespace detail

namespace detail {
// What process_element sees after key_by(k, broadcast_side): process(f)'s
// keyed context (key(), state(), timers, output) and the broadcast state,
// read-only (Flink's KeyedBroadcastProcessFunction.ReadOnlyContext).
template <class Ctx, class S>
struct keyed_read_context : Ctx {
  const S* bstate;
  const S& broadcast_state() const noexcept { return *bstate; }
};

// broadcast_process after key_by(k, broadcast_side) is process(f) of
// either<A, B> underneath (state/process.hpp: one implementation of keyed
// state, timers, snapshots and rescaling) whose function also holds the
// instance's broadcast state; the data side's records go through it.
template <class F>
struct keyed_broadcast_adapter {
  using S = typename F::broadcast_state_type;
  using output_type = typename F::output_type;
  using state_type = typename state_type_of<F>::type;
  F fn;
  S bstate{};
  template <class E, class Ctx, class Out>
  void process(const E& e, Ctx& ctx, Out& out) {
    keyed_read_context<Ctx, S> c{ctx, &bstate};
    fn.process_element(e.first(), c, out);
    ctx.clear = c.clear;
  }
  template <class Ctx, class Out>
    requires requires(F& f, keyed_read_context<Ctx, S>& c, Out& o) { f.on_timer(event_time{}, c, o); }
  void on_timer(event_time t, Ctx& ctx, Out& out) {
    keyed_read_context<Ctx, S> c{ctx, &bstate};
    fn.on_timer(t, c, out);
    ctx.clear = c.clear;
  }
};

// The keyed form's built stage: process(f)'s, with the broadcast side's
// records handled apart (no key, no keyed state: every instance gets each)
// and the broadcast state in its snapshots.
template <class SK, class Base>
struct keyed_broadcast_built : Base {
  using S = typename decltype(std::declval<Base&>().fn)::S;
  using codec = broadcast_codec<S>;
  using encoded = typename codec::type;

  // What process_broadcast sees: the broadcast state to change, the
  // record's event time, the watermark, side outputs, and every key's state
  // (Flink's applyToKeyedState).
  struct broadcast_context {
    keyed_broadcast_built* self;
    event_time ts;
    S& broadcast_state() const noexcept { return self->fn.bstate; }
    event_time timestamp() const noexcept { return ts; }
    event_time current_watermark() const noexcept { return self->watermark; }
    /// f(key, state&) for every key this instance keeps state for.
    template <class Fn>
    void for_each_key_state(Fn&& f) const {
      self->states.for_each([&](const SK& k, auto& s) { f(k, s); });
    }
    template <class Tag, class V>
      requires is_output_tag_v<Tag>
    void output(const Tag&, V&& v) const {
      detail::emit_side<Tag>(self->down, self->label, std::forward<V>(v));
    }
  };

  template <class KK, class Rec>
  bool push_keyed(const KK& k, Rec&& r) {
    if (r.is_first()) return Base::push_keyed(k, std::forward<Rec>(r));
    const broadcast_context c{this, r.timestamp()};
    typename Base::out_type o{this};
    detail::call_user(this->label, [&](const auto& b) { this->fn.fn.process_broadcast(b, c, o); }, std::as_const(r.second()));
    return o.go;
  }

  const S& broadcast_state() const noexcept { return this->fn.bstate; }

  // The keyed part (process(f)'s snapshot) and the broadcast state.
  using snapshot_type = std::tuple<std::string, encoded>;
  void snapshot(std::string& out) const
    requires serde::Encodable<encoded> && serde::Encodable<typename Base::snapshot_type>
  {
    snapshot_type s;
    Base::snapshot(std::get<0>(s));
    std::get<1>(s) = codec::to(this->fn.bstate);
    detail::snapshot_value(s, out);
  }
  bool restore(std::string_view in)
    requires serde::Encodable<encoded> && serde::Encodable<typename Base::snapshot_type>
  {
    auto s = detail::restore_value<snapshot_type>(in);
    if (!s || !Base::restore(std::get<0>(*s))) return false;
    this->fn.bstate = codec::from(std::move(std::get<1>(*s)));
    return true;
  }
  /// At another parallelism: the keys of the key groups `mine` from every
  /// old instance, the broadcast state from the first (they are the same).
  bool restore_rescaled(const std::vector<std::string_view>& parts, key_group_range mine)
    requires serde::Encodable<encoded> && serde::Encodable<typename Base::snapshot_type>
  {
    std::vector<snapshot_type> decoded;
    for (std::string_view in : parts) {
      auto s = detail::restore_value<snapshot_type>(in);
      if (!s) return false;
      decoded.push_back(std::move(*s));
    }
    if (decoded.empty()) return false;
    std::vector<std::string_view> keyed;
    for (const auto& s : decoded) keyed.push_back(std::get<0>(s));
    if (!Base::restore_rescaled(keyed, mine)) return false;
    this->fn.bstate = codec::from(std::move(std::get<1>(decoded.front())));
    return true;
  }
};
}  // namespace detail

template <class F>
struct broadcast_process_stage : stage_tag {
  F fn;
  static constexpr const char* name = "broadcast_process";

  template <class Flow>
  static constexpr bool check() {
    using T = typename Flow::value_type;
    if constexpr (!is_either_v<T>) {
      (void)&diagnostic::report<diagnostic::stage_needs_connected_stream<"broadcast_process", T>>;
      return false;
    } else if constexpr (!requires { typename F::broadcast_state_type; typename F::output_type; }) {
      (void)&diagnostic::report<diagnostic::broadcast_function_incomplete<T, F>>;
      return false;
    } else {
      return true;
    }
  }
  template <class Flow>
  using output = flow<typename F::output_type>;

  template <class Down>
  struct built : forward_control<Down> {
    using S = typename F::broadcast_state_type;
    using R = typename F::output_type;
    F fn;
    stage_label label;
    S state{};
    event_time watermark = min_watermark;

    // The data side reads the broadcast state; the broadcast side may change it.
    template <bool Mutable>
    struct context : detail::input_context<Down> {
      std::conditional_t<Mutable, S*, const S*> state;
      std::conditional_t<Mutable, S&, const S&> broadcast_state() const noexcept { return *state; }
    };

    template <class E>
    bool push(E&& e) {
      detail::co_out<R, Down> o{&this->down};
      if (e.is_first()) {
        const context<false> c{{&this->down, label, e.ts, watermark}, &state};
        detail::call_user(label, [&](const auto& a) { fn.process_element(a, c, o); }, std::as_const(e.first()));
      } else {
        context<true> c{{&this->down, label, e.ts, watermark}, &state};
        detail::call_user(label, [&](const auto& b) { fn.process_broadcast(b, c, o); }, std::as_const(e.second()));
      }
      return o.go;
    }
    void on_watermark(event_time t) {
      if (t > watermark) watermark = t;
      this->down.on_watermark(t);
    }
    const S& broadcast_state() const noexcept { return state; }

    using codec = detail::broadcast_codec<S>;
    using encoded = typename codec::type;
    static constexpr bool keeps_state = true;
    void snapshot(std::string& out) const
      requires serde::Encodable<encoded>
    {
      detail::snapshot_value(encoded(codec::to(state)), out);
    }
    bool restore(std::string_view in)
      requires serde::Encodable<encoded>
    {
      auto s = detail::restore_value<encoded>(in);
      if (!s) return false;
      state = codec::from(std::move(*s));
      return true;
    }
    /// At another parallelism: every instance held the same state; each new
    /// one takes the first old instance's.
    bool restore_rescaled(const std::vector<std::string_view>& parts, key_group_range)
      requires serde::Encodable<encoded>
    {
      return !parts.empty() && restore(parts.front());
    }
  };
  template <class Flow, class Env, class Down>
  auto build(Env&, stage_label label, Down&& down) const {
    if constexpr (Flow::keyed) {
      using SK = state::owned_key_t<typename Flow::key_type>;
      using P = process_stage<detail::keyed_broadcast_adapter<F>, either_time>;
      using Base = typename P::template built<SK, typename Flow::value_type, std::remove_cvref_t<Down>>;
      return detail::keyed_broadcast_built<SK, Base>{Base{std::forward<Down>(down), {fn}, {}, label}};
    } else {
      return built<std::remove_cvref_t<Down>>{{std::forward<Down>(down)}, fn, label};
    }
  }
};

/// A function of a data stream and a broadcast stream with broadcast state
/// (after connect(a, broadcast(b))).
template <class F>
constexpr auto broadcast_process(F f) {
  return broadcast_process_stage<F>{{}, std::move(f)};
}

}  // namespace spate
