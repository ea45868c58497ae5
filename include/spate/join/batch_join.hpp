#pragma once
// Spark Streaming's joins of two pair streams (DStream[(K, V)] and
// DStream[(K, W)]), per micro-batch by default, or per window:
//   join(a, b)              (K, (V, W))                     every pair of one key in the batch
//   left_outer_join(a, b)   (K, (V, std::optional<W>))      also a's values without a match
//   right_outer_join(a, b)  (K, (std::optional<V>, W))
//   full_outer_join(a, b)   (K, (std::optional<V>, std::optional<W>))
//   cogroup(a, b)           (K, (std::vector<V>, std::vector<W>))   once per key with values
// a and b are pipelines (or sources) of std::pair<K, V> and std::pair<K, W>;
// the result is a pipeline that goes on with stages and a sink:
//   spate::join(clicks, impressions) | spate::print()
// Spark joins the two RDDs of each batch: results appear at each batch end
// (under a micro-batch context; under continuous execution, or spate::run,
// the whole input is one batch). Spark's windowed joins
// (a.window(30s).join(b.window(30s))) are join(a, b, sliding(30s, 10s)) here;
// an event-time window needs with_watermarks on both inputs, as connect says.
// Underneath: connect(a, b) | key_by(first, first) | window(w) | process(...),
// so the state of an open batch or window is checkpointed as a window's.
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

#include "../algebra/flat_map.hpp"
#include "../window/window.hpp"
#include "connect.hpp"
#include "window_join.hpp"

namespace spate {

enum class pair_join_kind { inner, left_outer, right_outer, full_outer, cogroup };

namespace detail {
struct pair_first {
  template <class P>
  const auto& operator()(const P& p) const noexcept {
    return p.first;
  }
};

template <pair_join_kind Kind>
struct pair_join_in_window {
  template <class K, class V, class W>
  auto operator()(const K& k, time_window, const std::vector<either<std::pair<K, V>, std::pair<K, W>>>& records) const {
    std::vector<V> vs;
    std::vector<W> ws;
    for (const auto& e : records) {
      if (e.is_first()) vs.push_back(e.first().second);
      else ws.push_back(e.second().second);
    }
    using std::optional;
    if constexpr (Kind == pair_join_kind::cogroup) {
      return std::vector<std::pair<K, std::pair<std::vector<V>, std::vector<W>>>>{{k, {std::move(vs), std::move(ws)}}};
    } else if constexpr (Kind == pair_join_kind::inner) {
      std::vector<std::pair<K, std::pair<V, W>>> out;
      for (const V& v : vs)
        for (const W& w : ws) out.push_back({k, {v, w}});
      return out;
    } else if constexpr (Kind == pair_join_kind::left_outer) {
      std::vector<std::pair<K, std::pair<V, optional<W>>>> out;
      for (const V& v : vs) {
        if (ws.empty()) out.push_back({k, {v, std::nullopt}});
        for (const W& w : ws) out.push_back({k, {v, w}});
      }
      return out;
    } else if constexpr (Kind == pair_join_kind::right_outer) {
      std::vector<std::pair<K, std::pair<optional<V>, W>>> out;
      for (const W& w : ws) {
        if (vs.empty()) out.push_back({k, {std::nullopt, w}});
        for (const V& v : vs) out.push_back({k, {v, w}});
      }
      return out;
    } else {
      std::vector<std::pair<K, std::pair<optional<V>, optional<W>>>> out;
      if (ws.empty())
        for (const V& v : vs) out.push_back({k, {v, std::nullopt}});
      if (vs.empty())
        for (const W& w : ws) out.push_back({k, {std::nullopt, w}});
      for (const V& v : vs)
        for (const W& w : ws) out.push_back({k, {v, w}});
      return out;
    }
  }
};

template <class T>
inline constexpr bool is_pair_v = false;
template <class K, class V>
inline constexpr bool is_pair_v<std::pair<K, V>> = true;
}  // namespace detail

namespace diagnostic {
// READ THIS IF YOUR COMPILE BREAKS HERE: Spark's joins (the first argument
// names the one you called) take two streams of std::pair<K, V> and
// std::pair<K, W> with one key type K; the arguments are the two record types.
template <fixed_string Stage, class A, class B>
struct pair_join_needs_pairs_of_one_key {
  static_assert(always_false<A>, "spate: a Spark join needs two streams of std::pair with the same key type");
};
}  // namespace diagnostic

namespace detail {
template <pair_join_kind Kind, fixed_string Name, class PA, class PB, class Assigner>
auto pair_join(PA&& a, PB&& b, Assigner w) {
  using A = typename decltype(as_pipeline(std::forward<PA>(a)))::value_type;
  using B = typename decltype(as_pipeline(std::forward<PB>(b)))::value_type;
  if constexpr (!is_pair_v<A> || !is_pair_v<B>) {
    (void)&diagnostic::report<diagnostic::pair_join_needs_pairs_of_one_key<Name, A, B>>;
    return error_pipeline{};
  } else if constexpr (!std::is_same_v<typename A::first_type, typename B::first_type>) {
    (void)&diagnostic::report<diagnostic::pair_join_needs_pairs_of_one_key<Name, A, B>>;
    return error_pipeline{};
  } else {
    auto keyed = connect(std::forward<PA>(a), std::forward<PB>(b)) | key_by(pair_first{}, pair_first{});
    auto windowed = [&] {
      if constexpr (Assigner::event_time)
        return std::move(keyed) | window(std::move(w), joined_time{Name.text});
      else
        return std::move(keyed) | window(std::move(w));
    }();
    return std::move(windowed) | process(pair_join_in_window<Kind>{}) | flat_map(window_values{});
  }
}
}  // namespace detail

/// Spark's join: (K, (V, W)) for every pair of values of one key, per batch (or window).
template <class PA, class PB, class Assigner = per_batch_assigner>
auto join(PA&& a, PB&& b, Assigner w = per_batch()) {
  return detail::pair_join<pair_join_kind::inner, "join">(std::forward<PA>(a), std::forward<PB>(b), std::move(w));
}
/// Spark's leftOuterJoin: (K, (V, optional<W>)).
template <class PA, class PB, class Assigner = per_batch_assigner>
auto left_outer_join(PA&& a, PB&& b, Assigner w = per_batch()) {
  return detail::pair_join<pair_join_kind::left_outer, "left_outer_join">(std::forward<PA>(a), std::forward<PB>(b),
                                                                          std::move(w));
}
/// Spark's rightOuterJoin: (K, (optional<V>, W)).
template <class PA, class PB, class Assigner = per_batch_assigner>
auto right_outer_join(PA&& a, PB&& b, Assigner w = per_batch()) {
  return detail::pair_join<pair_join_kind::right_outer, "right_outer_join">(std::forward<PA>(a), std::forward<PB>(b),
                                                                            std::move(w));
}
/// Spark's fullOuterJoin: (K, (optional<V>, optional<W>)).
template <class PA, class PB, class Assigner = per_batch_assigner>
auto full_outer_join(PA&& a, PB&& b, Assigner w = per_batch()) {
  return detail::pair_join<pair_join_kind::full_outer, "full_outer_join">(std::forward<PA>(a), std::forward<PB>(b),
                                                                          std::move(w));
}
/// Spark's cogroup: (K, (vector<V>, vector<W>)) once per key that has values in the batch.
template <class PA, class PB, class Assigner = per_batch_assigner>
auto cogroup(PA&& a, PB&& b, Assigner w = per_batch()) {
  return detail::pair_join<pair_join_kind::cogroup, "cogroup">(std::forward<PA>(a), std::forward<PB>(b), std::move(w));
}

}  // namespace spate
