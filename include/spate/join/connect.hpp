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
#include <functional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "../algebra/key_by.hpp"
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

/// One stream of both inputs' records, each an either<A, B> (A: the first
/// input's records, B: the second's). Each input is a source or a pipeline.
template <class PA, class PB>
auto connect(PA&& a, PB&& b) {
  auto pa = detail::as_pipeline(std::forward<PA>(a));
  auto pb = detail::as_pipeline(std::forward<PB>(b));
  using A = typename decltype(pa)::value_type;
  using B = typename decltype(pb)::value_type;
  return merge(detail::tag_side<0, A, B>(std::move(pa)), detail::tag_side<1, A, B>(std::move(pb)));
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
