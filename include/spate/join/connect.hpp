#pragma once
// connect(a, b): two streams as one stream of either<A, B> (Flink's
// ConnectedStreams), for the two-input operators after it:
//   auto orders   = from_collection(os) | with_watermarks(&Order::ts, bounded_out_of_orderness(1s));
//   auto payments = from_collection(ps) | with_watermarks(&Payment::ts, bounded_out_of_orderness(1s));
//   connect(orders, payments) | key_by(&Order::id, &Payment::order) | co_process(f) | sink
// connect is a merge (io/merge.hpp) of the two inputs, each tagged with its
// side, so where they meet is the merge's valve: the watermark is the minimum
// of both (an idle input does not hold it back), barriers and batch ends are
// aligned across both, the stream ends when both have ended. Under a parallel
// context every worker reads its shard of each input, and key_by with one key
// function per side sends both sides of a key to the same worker.
// Each record keeps the event time its input's last with_watermarks gave it
// (either::ts), which event-time joins and co_process's ctx.timestamp() use.
// With checkpointing, connect resumes each input where the checkpoint saw it
// when both inputs can (open_at / position, as a collection or a generator):
// a barrier enters both inputs at once, so the two positions it saves are
// one consistent cut.
#include <functional>
#include <memory>
#include <stdexcept>
#include <tuple>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "../algebra/key_by.hpp"
#include "../exec/barriers.hpp"
#include "../algebra/pipeline.hpp"
#include "../io/merge.hpp"
#include "../state/hash_map.hpp"
#include "../time/timestamp.hpp"
#include "../time/watermark.hpp"
#include "either.hpp"

namespace spate {

namespace diagnostic {
// READ THIS IF YOUR COMPILE BREAKS HERE: key_by(key_1, key_2) after connect
// keys both inputs, so both key functions must give one key type: the
// arguments are input 1's record and key, then input 2's record and key.
template <fixed_string Stage, class A, class KeyA, class B, class KeyB>
struct connected_key_types_differ {
  static_assert(always_false<A>,
                "spate: key_by after connect: the two key functions return different key types; "
                "both inputs must be keyed by the same type");
};
}  // namespace diagnostic

namespace detail {
// Tags a record of input I (0 or 1) as either<A, B>, with its event time
// when its input has one.
template <std::size_t I, class A, class B, class TsFn>
struct tag_side_stage : stage_tag {
  TsFn ts;
  static constexpr const char* name = "connect";
  template <class Flow>
  static constexpr bool check() {
    return true;
  }
  template <class Flow>
  using output = flow<either<A, B>>;
  template <class Down>
  struct built : forward_control<Down> {
    TsFn ts;
    template <class R>
    bool push(R&& r) {
      std::int64_t t = either<A, B>::untimed;
      if constexpr (!std::is_same_v<TsFn, no_timestamp>) t = to_millis(timestamp_of(ts, std::as_const(r)));
      if constexpr (I == 0)
        return this->down.push(either<A, B>::first_of(A(std::forward<R>(r)), t));
      else
        return this->down.push(either<A, B>::second_of(B(std::forward<R>(r)), t));
    }
  };
  template <class Flow, class Env, class Down>
  auto build(Env&, stage_label, Down&& down) const {
    return built<std::remove_cvref_t<Down>>{{std::forward<Down>(down)}, ts};
  }
};

template <std::size_t I, class A, class B, class P>
auto tag_side(P&& p) {
  using Pd = std::remove_cvref_t<P>;
  return [&]<class Src, class... Ds>(std::type_identity<pipeline<Src, Ds...>>) {
    auto untimed = [&] { return std::forward<P>(p) | tag_side_stage<I, A, B, no_timestamp>{{}, {}}; };
    if constexpr (upstream_timestamp<Ds...>::found) {
      using TsFn = std::remove_cvref_t<decltype(upstream_timestamp_of<Ds...>(p.stages))>;
      if constexpr (TimestampFunction<TsFn, typename Pd::value_type>) {
        TsFn ts = upstream_timestamp_of<Ds...>(p.stages);
        return std::forward<P>(p) | tag_side_stage<I, A, B, TsFn>{{}, std::move(ts)};
      } else {
        return untimed();
      }
    } else {
      return untimed();
    }
  }(std::type_identity<Pd>{});
}

// key_by(key_1, key_2) after connect: key_1 for input 1, key_2 for input 2.
template <class KA, class KB>
struct connected_key {
  KA ka;
  KB kb;
  template <class A, class B>
  auto operator()(const either<A, B>& e) {
    using RA = std::remove_cvref_t<std::invoke_result_t<KA&, const A&>>;
    using RB = std::remove_cvref_t<std::invoke_result_t<KB&, const B&>>;
    if constexpr (std::is_same_v<RA, RB>) {
      return e.is_first() ? RA(std::invoke(ka, e.first())) : RA(std::invoke(kb, e.second()));
    } else if constexpr (std::is_same_v<state::owned_key_t<RA>, state::owned_key_t<RB>>) {
      using K = state::owned_key_t<RA>;
      return e.is_first() ? K(std::invoke(ka, e.first())) : K(std::invoke(kb, e.second()));
    } else {
      (void)&diagnostic::report<diagnostic::connected_key_types_differ<"key_by", A, RA, B, RB>>;
      return 0;
    }
  }
};
}  // namespace detail

/// key_by(k, broadcast_side) after connect(a, broadcast(b)): input 1 keyed
/// by k, input 2 the broadcast side, unkeyed, for a keyed broadcast_process
/// (join/broadcast.hpp; Flink's KeyedBroadcastProcessFunction).
struct broadcast_side_t {};
inline constexpr broadcast_side_t broadcast_side{};

namespace detail {
// Input 1's key; input 2's records carry a default key that nothing reads
// and, under a parallel context, stay on the worker that read them (every
// worker reads all of a broadcast input).
template <class KA>
struct connected_key<KA, broadcast_side_t> {
  KA ka;
  broadcast_side_t side;
  template <class A, class B>
  auto operator()(const either<A, B>& e) {
    using K = state::owned_key_t<std::remove_cvref_t<std::invoke_result_t<KA&, const A&>>>;
    static_assert(std::is_default_constructible_v<K>,
                  "spate: key_by(k, broadcast_side): the key type must be default-constructible");
    return e.is_first() ? K(std::invoke(ka, e.first())) : K{};
  }
  template <class A, class B>
  static bool stays_local(const either<A, B>& e) noexcept {
    return !e.is_first();
  }
};
}  // namespace detail

namespace detail {
template <class Src>
concept replayable_source = requires(const Src& s, rolling_env& e, shard sh, exec::any_down& d,
                                     const exec::restored_input& r) { s.open_at(e, sh, d, r); };

// A merge's driver that also reports both inputs' positions, one after the
// other: "<length of the first>:<first><second>".
template <class Base>
struct connected_driver : Base {
  void position(std::string& out) const
    requires requires(std::string& p) {
      std::get<0>(this->drivers).position(p);
      std::get<1>(this->drivers).position(p);
    }
  {
    std::string a, b;
    std::get<0>(this->drivers).position(a);
    std::get<1>(this->drivers).position(b);
    out = std::to_string(a.size()) + ":" + a + b;
  }
};

// One input's part of a connected source's saved positions.
inline std::string_view connected_part(std::string_view pos, std::size_t input) {
  const std::size_t colon = pos.find(':');
  std::size_t n = 0;
  bool ok = colon != std::string_view::npos && colon > 0;
  for (std::size_t i = 0; ok && i < colon; ++i) {
    ok = pos[i] >= '0' && pos[i] <= '9';
    n = n * 10 + static_cast<std::size_t>(pos[i] - '0');
  }
  if (!ok || n > pos.size() - colon - 1)
    throw std::runtime_error("spate: the connect source's saved position '" + std::string(pos) + "' is not one");
  return input == 0 ? pos.substr(colon + 1, n) : pos.substr(colon + 1 + n);
}
}  // namespace detail

/// The source connect makes: a merge of the two tagged inputs that can
/// resume from a checkpoint when both inputs can. With Broadcast (connect(a,
/// broadcast(b))), every parallel instance reads all of input 2 (and its own
/// shard of input 1).
template <class PA, class PB, bool Broadcast = false>
struct connected_source : merge_source<PA, PB> {
  using base = merge_source<PA, PB>;
  static constexpr const char* name = Broadcast ? "connect (broadcast)" : "connect";
  static constexpr bool broadcast_second = Broadcast;

  /// Reads at most n records (at least 1) of an input before turning to the other.
  connected_source turn(std::size_t n) const {
    auto c = *this;
    c.turn_records = n == 0 ? 1 : n;
    return c;
  }
  template <class Env, class Head>
  auto open(Env& env, shard sh, Head& head) const {
    return open_with(env, head, [&](const auto& src, auto& chain, std::size_t input) {
      return src.open(env, shard_of(sh, input), chain);
    });
  }
  /// Shard `sh` resumed at the positions a checkpoint saved for both inputs.
  template <class Env, class Head>
    requires detail::replayable_source<typename PA::source_type> && detail::replayable_source<typename PB::source_type>
  auto open_at(Env& env, shard sh, Head& head, const exec::restored_input& at) const {
    exec::restored_input parts[2] = {{at.count, {}}, {at.count, {}}};
    for (std::string_view p : at.shards)
      for (std::size_t i : {0, 1}) parts[i].shards.push_back(detail::connected_part(p, i));
    if constexpr (Broadcast) {  // each instance read all of input 2: its own position only
      if (sh.index < parts[1].shards.size()) parts[1] = {1, {parts[1].shards[sh.index]}};
    }
    return open_with(env, head, [&](const auto& src, auto& chain, std::size_t input) {
      return src.open_at(env, shard_of(sh, input), chain, parts[input]);
    });
  }

 private:
  static shard shard_of(shard sh, std::size_t input) noexcept {
    if (Broadcast && input == 1) return shard{0, 1};
    return sh;
  }
  template <class Env, class Head, class Open>
  auto open_with(Env& env, Head& head, Open&& open_input) const {
    using State = detail::union_state<2, Head>;
    auto st = std::make_unique<State>();
    st->head = &head;
    auto make_chains = [&] {
      return std::tuple{
          fuse::build_segment<detail::source_flow<typename PA::source_type>>(
              env, std::get<0>(this->inputs).stages, union_port_sink<0, 2, Head>{st.get()}),
          fuse::build_segment<detail::source_flow<typename PB::source_type>>(
              env, std::get<1>(this->inputs).stages, union_port_sink<1, 2, Head>{st.get()})};
    };
    using Chains = decltype(make_chains());
    auto chains = std::make_unique<Chains>(make_chains());
    auto drivers = std::tuple{open_input(std::get<0>(this->inputs).source, std::get<0>(*chains), 0),
                              open_input(std::get<1>(this->inputs).source, std::get<1>(*chains), 1)};
    using Base = merge_driver<State, Chains, decltype(drivers)>;
    return detail::connected_driver<Base>{
        Base{std::move(st), std::move(chains), std::move(drivers), this->turn_records}};
  }
};

/// connect(a, broadcast(b)): every parallel instance reads all of b (a
/// low-volume stream: rules, configuration), for broadcast_process
/// (join/broadcast.hpp).
template <class P>
struct broadcast_input {
  P input;
};
template <class P>
auto broadcast(P&& p) {
  return broadcast_input<std::remove_cvref_t<decltype(detail::as_pipeline(std::forward<P>(p)))>>{
      detail::as_pipeline(std::forward<P>(p))};
}

namespace detail {
template <class T>
inline constexpr bool is_broadcast_input = false;
template <class P>
inline constexpr bool is_broadcast_input<broadcast_input<P>> = true;

template <bool Broadcast, class PA, class PB>
auto connect_inputs(PA&& a, PB&& b) {
  auto pa = as_pipeline(std::forward<PA>(a));
  auto pb = as_pipeline(std::forward<PB>(b));
  using A = typename decltype(pa)::value_type;
  using B = typename decltype(pb)::value_type;
  auto m = merge(tag_side<0, A, B>(std::move(pa)), tag_side<1, A, B>(std::move(pb)));
  return [&]<class QA, class QB>(merge_source<QA, QB>& ms) {
    return connected_source<QA, QB, Broadcast>{std::move(ms)};
  }(m);
}
}  // namespace detail

/// One stream of both inputs' records, each an either<A, B> (A: the first
/// input's records, B: the second's). Each input is a source or a pipeline.
template <class PA, class PB>
  requires(!detail::is_broadcast_input<std::remove_cvref_t<PB>>)
auto connect(PA&& a, PB&& b) {
  return detail::connect_inputs<false>(std::forward<PA>(a), std::forward<PB>(b));
}
/// connect(a, broadcast(b)): as connect, but b reaches every parallel instance.
template <class PA, class PB>
auto connect(PA&& a, broadcast_input<PB> b) {
  return detail::connect_inputs<true>(std::forward<PA>(a), std::move(b.input));
}

/// After connect: keys input 1 by key_1 and input 2 by key_2 (functions or
/// member pointers), which must give one key type (a std::string and a
/// std::string_view agree). Both inputs' records of a key meet in the same
/// keyed state, on the same worker.
template <class KA, class KB>
constexpr auto key_by(KA key_1, KB key_2) {
  return key_by_stage<detail::connected_key<KA, KB>>{{}, {std::move(key_1), std::move(key_2)}};
}

}  // namespace spate
