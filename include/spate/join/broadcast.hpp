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
// broadcast_process runs before key_by: keyed state in process_element
// (Flink's KeyedBroadcastProcessFunction) is not supported yet; key the
// records it emits and go on with keyed stages.
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "../algebra/side_output.hpp"
#include "../algebra/stage.hpp"
#include "../core/key_group.hpp"
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
    return built<std::remove_cvref_t<Down>>{{std::forward<Down>(down)}, fn, label};
  }
};

/// A function of a data stream and a broadcast stream with broadcast state
/// (after connect(a, broadcast(b))).
template <class F>
constexpr auto broadcast_process(F f) {
  return broadcast_process_stage<F>{{}, std::move(f)};
}

}  // namespace spate
