#pragma once
// Spark's pair-stream vocabulary, per micro-batch, as named stages:
//   reduce_by_key(f)   per key and batch, the records (values) combined by f
//   count_by_value()   per record value (or key) and batch, how many arrived
//   group_by_key()     per key and batch, every record (value) that arrived
// Each emits std::pair<K, R> once per key at each batch end, then forgets the
// batch, as Spark's reduceByKey does. spate's own `key_by | reduce` is a
// running aggregate (Flink's), which a Spark user meets first; these are
// the spelled-out `window(per_batch()) | reduce(f)` (and count(), fold) with
// the window's bounds dropped, built on that same per-batch window.
//
// Where the key comes from:
//   a stream of std::pair<K, V> (Spark's pair DStream): the key is `first`
//     and f / the groups see the values `second`: f(V, V) -> V, pair<K, std::vector<V>>;
//   after key_by(k): the key is k's and f / the groups see the records, as
//     reduce does: f(R, R) -> R, pair<K, std::vector<R>>;
//   count_by_value() on any unkeyed stream counts each distinct record
//     (pair<R, int64_t>, as Spark's countByValue); after key_by it counts the
//     records of each key.
// On a pair stream the stage puts a key_by<0>() (count_by_value: a key_by on
// the record itself) in front of itself, so a parallel context shuffles
// there as for any key_by, and context::explain() shows it.
//
//   from_collection(words) | map([](const std::string& w) { return std::pair{w, 1}; })
//       | reduce_by_key(std::plus<>{})        // (word, count in this batch), per batch
//
// And one windowed form, over the batches of a sliding window:
//   count_by_value_and_window(size, slide)   Spark's countByValueAndWindow,
//     the spelled-out chain over reduce_by_key_and_window (see below).
//
// At the end of input the open batch is emitted too (run_batch: the whole
// input is one batch). The state between batch ends is the per-batch
// window's, snapshotted with it (window/global_window.hpp, per_batch_op).
#include <concepts>
#include <cstdint>
#include <functional>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

#include "../exec/owned.hpp"
#include "../window/reduce_by_window.hpp"
#include "../window/window.hpp"
#include "fold.hpp"
#include "map.hpp"
#include "key_by.hpp"
#include "pipeline.hpp"
#include "reduce.hpp"

namespace spate {

namespace diagnostic {
// READ THIS IF YOUR COMPILE BREAKS HERE: reduce_by_key and group_by_key work
// per key: give them a stream of std::pair<K, V> (the key is `first`) or put
// spate::key_by(...) before them.
template <fixed_string Stage, class Input>
struct stage_needs_pairs_or_key_by {
  static_assert(always_false<Input>,
                "spate: this stage works per key: give it a stream of std::pair<K, V> or put spate::key_by(...) "
                "before it");
};
}  // namespace diagnostic

namespace detail {
enum class per_batch_kind { reduce, count, group };

template <class T>
inline constexpr bool is_std_pair = false;
template <class A, class B>
inline constexpr bool is_std_pair<std::pair<A, B>> = true;

/// f(x, x) -> X, for reduce_by_key.
template <class F, class X>
concept combines_two = stage_invocable<F, const X&, const X&> && std::convertible_to<stage_result_t<F, const X&, const X&>, X>;

/// count_by_value and group_by_key take no function.
struct no_batch_fn {};

/// count_by_value's key: the record itself.
struct record_itself {
  template <class T>
  constexpr const T& operator()(const T& r) const noexcept {
    return r;
  }
};

/// reduce_by_key on values: Flink's AggregateFunction shape over the pairs'
/// second members (the window keeps one owned value per key).
template <class F, class V>
struct reduce_values {
  F fn;
  using value_type = exec::owned_t<V>;
  std::optional<value_type> create_accumulator() const { return std::nullopt; }
  template <class P>
  std::optional<value_type> add(const P& p, std::optional<value_type> acc) {
    if (!acc) return value_type(exec::to_owned(p.second));
    return value_type(fn(std::as_const(*acc), std::as_const(p.second)));
  }
  value_type get_result(const std::optional<value_type>& acc) const { return *acc; }
};

/// What group_by_key collects: the values of pairs, or the records (owned).
template <bool OnValues, class T>
struct grouped {
  using type = exec::owned_t<T>;
};
template <class T>
struct grouped<true, T> {
  using type = exec::owned_t<typename T::second_type>;
};

/// group_by_key: appends each record (or value) to the key's batch.
template <bool OnValues>
struct append_to_group {
  template <class V, class R>
  std::vector<V> operator()(std::vector<V> g, const R& r) const {
    if constexpr (OnValues)
      g.push_back(exec::to_owned(r.second));
    else
      g.push_back(exec::to_owned(r));
    return g;
  }
};

/// The window's results as Spark's pairs: (key, value), bounds dropped.
template <class Down>
struct window_result_as_pair : forward_control<Down> {
  template <class W>
  bool push(W&& w) {
    using K = std::remove_cvref_t<decltype(w.key)>;
    using V = std::remove_cvref_t<decltype(w.value)>;
    return this->down.push(std::pair<K, V>(std::forward<W>(w).key, std::forward<W>(w).value));
  }
};
}  // namespace detail

template <detail::per_batch_kind Kind, class F, bool OnValues = false>
struct per_batch_stage : stage_tag {
  F fn;
  static constexpr detail::per_batch_kind kind = Kind;
  static constexpr bool on_values = OnValues;
  static constexpr const char* name = Kind == detail::per_batch_kind::reduce  ? "reduce_by_key"
                                      : Kind == detail::per_batch_kind::count ? "count_by_value"
                                                                              : "group_by_key";
  /// The same stage over the values of a pair stream (its `|` does this).
  per_batch_stage<Kind, F, true> over_values() const { return {{}, fn}; }

  // The window function for records T: what `window(per_batch()) | ...` spells.
  template <class T>
  auto window_function() const {
    if constexpr (Kind == detail::per_batch_kind::count) {
      return count();
    } else if constexpr (Kind == detail::per_batch_kind::reduce && !OnValues) {
      return reduce(fn);
    } else if constexpr (Kind == detail::per_batch_kind::reduce) {
      return aggregate(detail::reduce_values<F, typename T::second_type>{fn});
    } else {
      return fold(std::vector<typename detail::grouped<OnValues, T>::type>{}, detail::append_to_group<OnValues>{});
    }
  }
  using window_type = decltype(window(per_batch()));
  template <class Flow>
  using op_type = window_op_stage<window_type, decltype(std::declval<const per_batch_stage&>()
                                                            .template window_function<typename Flow::value_type>())>;

  template <class Flow>
  static constexpr bool check() {
    using T = typename Flow::value_type;
    if constexpr (!Flow::keyed) {
      if constexpr (Kind == detail::per_batch_kind::reduce)
        (void)&diagnostic::report<diagnostic::stage_needs_pairs_or_key_by<"reduce_by_key", T>>;
      else
        (void)&diagnostic::report<diagnostic::stage_needs_pairs_or_key_by<"group_by_key", T>>;
      return false;
    } else if constexpr (Kind == detail::per_batch_kind::reduce && !OnValues && !detail::combines_two<F, T>) {
      // f combines two records of a key: f(R, R) -> R.
      (void)&diagnostic::report<diagnostic::stage_cannot_accept_input<"reduce_by_key", T, F>>;
      return false;
    } else if constexpr (Kind == detail::per_batch_kind::reduce && OnValues) {
      if constexpr (!detail::combines_two<F, exec::owned_t<typename T::second_type>>) {
        // on a pair stream f combines two values: f(V, V) -> V.
        (void)&diagnostic::report<diagnostic::stage_cannot_accept_input<"reduce_by_key", T, F>>;
        return false;
      } else {
        return op_type<Flow>::template check<Flow>();
      }
    } else {
      return op_type<Flow>::template check<Flow>();
    }
  }
  template <class Flow>
  using window_output = typename op_type<Flow>::template output<Flow>::value_type;
  template <class Flow>
  using output = flow<std::pair<decltype(std::declval<window_output<Flow>>().key),
                                decltype(std::declval<window_output<Flow>>().value)>>;

  // Combining before a shuffle (exec/shuffle.hpp, compacted modes): under a
  // parallel context reduce_by_key and count_by_value reduce each batch's
  // records of a key to one partial in every upstream worker, and the worker
  // that owns the key reduces the partials, still per batch (the shuffle
  // sends its partials before each batch end). f must be associative, as
  // for any parallel reduce. group_by_key is not combined (a partial would
  // be the whole group).
  static constexpr bool combinable = Kind != detail::per_batch_kind::group;
  struct combiner {
    F fn;
    stage_label label;
    template <class T>
    using partial = std::conditional_t<Kind == detail::per_batch_kind::count, std::int64_t, T>;
    template <class T>
    auto first(T&& r) {
      if constexpr (Kind == detail::per_batch_kind::count)
        return std::int64_t{1};
      else
        return std::remove_cvref_t<T>(std::forward<T>(r));
    }
    template <class P, class R>
    void add(P& p, const R& r) {
      if constexpr (Kind == detail::per_batch_kind::count)
        ++p;
      else if constexpr (OnValues)
        p.second = detail::call_user(label, fn, std::as_const(p.second), r.second);
      else
        p = detail::call_user(label, fn, std::as_const(p), r);
    }
  };
  combiner make_combiner(stage_label label) const { return combiner{fn, label}; }
  /// The stage after the shuffle: the same reduce over the partials (counts: their sum).
  auto merge_stage() const {
    if constexpr (Kind == detail::per_batch_kind::count)
      return per_batch_stage<detail::per_batch_kind::reduce, std::plus<std::int64_t>>{{}, {}};
    else
      return *this;
  }

  template <class Flow, class Env, class Down>
  auto build(Env& env, stage_label label, Down&& down) const {
    op_type<Flow> op{{}, window(per_batch()), window_function<typename Flow::value_type>()};
    return op.template build<Flow>(env, label,
                                   detail::window_result_as_pair<std::remove_cvref_t<Down>>{{std::forward<Down>(down)}});
  }
};

namespace detail {
template <class D>
inline constexpr bool is_per_batch_stage = false;
template <per_batch_kind K, class F, bool V>
inline constexpr bool is_per_batch_stage<per_batch_stage<K, F, V>> = true;
}  // namespace detail

// pipeline | reduce_by_key / count_by_value / group_by_key: on an unkeyed
// stream of pairs (count_by_value: any unkeyed stream) the key_by goes in
// first. More constrained than the generic `pipeline | stage`, so it wins;
// after window(...) the window's own `|` says what is wrong.
template <class Src, class... Ds, stage_descriptor D>
  requires(detail::is_per_batch_stage<std::remove_cvref_t<D>> && !detail::ends_with_window<Ds...>)
auto operator|(pipeline<Src, Ds...> p, D&& d) {
  using Dd = std::remove_cvref_t<D>;
  using Flow = typename pipeline<Src, Ds...>::output_flow;
  using T = typename Flow::value_type;
  if constexpr (Flow::keyed)
    return detail::append(std::move(p), std::forward<D>(d));
  else if constexpr (Dd::kind == detail::per_batch_kind::count)
    return detail::append(std::move(p), key_by(detail::record_itself{})) | std::forward<D>(d);
  else if constexpr (detail::is_std_pair<T>)
    return detail::append(std::move(p), key_by<0>()) | d.over_values();
  else
    return detail::append(std::move(p), std::forward<D>(d));  // its check names the mistake
}

/// Per key and micro-batch, the records combined by f (Spark's reduceByKey):
/// on a stream of std::pair<K, V>, f(V, V) -> V over the values; after
/// key_by, f(R, R) -> R over the records. Emits std::pair<K, ...> per batch.
template <class F>
constexpr auto reduce_by_key(F f) {
  return per_batch_stage<detail::per_batch_kind::reduce, F>{{}, std::move(f)};
}
/// Per distinct record and micro-batch, how many arrived (Spark's
/// countByValue): std::pair<R, std::int64_t>; after key_by, per key.
constexpr auto count_by_value() { return per_batch_stage<detail::per_batch_kind::count, detail::no_batch_fn>{{}, {}}; }
/// Per key and micro-batch, every value (pair stream) or record (after
/// key_by) that arrived, in arrival order (Spark's groupByKey):
/// std::pair<K, std::vector<V>>.
constexpr auto group_by_key() { return per_batch_stage<detail::per_batch_kind::group, detail::no_batch_fn>{{}, {}}; }

namespace detail {
// count_by_value_and_window's parts: (record, 1), counts added and taken
// away, zero counts dropped (Spark's filterFunc `_._2 != 0`), the count alone.
struct record_and_one {
  template <class T>
  std::pair<exec::owned_t<T>, std::int64_t> operator()(const T& r) const {
    return {exec::to_owned(r), 1};
  }
};
struct add_counts {
  template <class P>
  P operator()(P a, const P& b) const noexcept {
    a.second += b.second;
    return a;
  }
};
struct subtract_counts {
  template <class P>
  P operator()(P a, const P& b) const noexcept {
    a.second -= b.second;
    return a;
  }
};
struct nonzero_count {
  template <class K, class P>
  bool operator()(const K&, const P& p) const noexcept {
    return p.second != 0;
  }
};
struct window_count_only {
  template <class W>
  auto operator()(const W& w) const {
    return window_result<decltype(w.key), std::int64_t>{w.key, w.start, w.end, w.value.second};
  }
};
}  // namespace detail

/// Spark's countByValueAndWindow(size, slide): per distinct record, how many
/// arrived in the batches of the window (end − size, end], at each window
/// end (a multiple of slide): window_result<R, std::int64_t>; values whose
/// count fell to zero are dropped, as in Spark. It is the spelled-out
///   map(r -> (r, 1)) | key_by<0>() | reduce_by_key_and_window(+, −, size, slide, count != 0)
/// and works incrementally like it (window/reduce_by_window.hpp).
inline auto count_by_value_and_window(duration size, duration slide) {
  return map(detail::record_and_one{}) | key_by<0>() |
         reduce_by_key_and_window(detail::add_counts{}, detail::subtract_counts{}, size, slide,
                                  detail::nonzero_count{}) |
         map(detail::window_count_only{});
}

}  // namespace spate
