#pragma once
// Exact distinct counts, filtered counts, and several aggregations in one
// pass (SQL's COUNT(DISTINCT x), COUNT(*) FILTER (WHERE p), and a GROUP BY
// that computes many of them at once, as Nexmark's q15 and q16 do):
//   count_distinct(sel)            the number of distinct sel(r) per key
//   count_distinct_if(sel, pred)   the same over the records with pred(r)
//   count_if(pred)                 the number of records with pred(r)
//   max_of(sel), min_of(sel), sum_of(sel)
//                                  the largest, smallest, sum of sel(r)
//   aggregates(a, b, ...)          all of a, b, ... (each one of the above,
//                                  count(), or aggregate(agg)) in one pass,
//                                  emitting a std::tuple of their results
//   ... | key_by(&bid::auction) | count_distinct(&bid::bidder)     // (auction, n)
//   ... | key_by(day) | aggregates(count(), count_if(cheap), count_distinct(&bid::bidder),
//                                  count_distinct_if(&bid::bidder, cheap))   // (day, tuple<4 x int64>)
// Each is an aggregate(agg) (algebra/fold.hpp) of a Flink-style
// AggregateFunction, so it is a rolling keyed aggregation (every update, or
// each changed key once per batch), a window function after window(...) or
// window_all(...) (window_result<K, value>), mergeable (sliding and session
// windows), and its state snapshots, restores and rescales by key group as
// the table of aggregate() does. A distinct count keeps the distinct values
// themselves (exact, not a sketch): in a state::hash_map per key.
//
// The type of the distinct values is that of the selector's result: a member
// pointer's member, or the return type of a function with one (non-template)
// call operator. For a generic lambda or field<"name">, name it:
// count_distinct<std::int64_t>(field<"bidder">). A view (std::string_view)
// is stored as a std::string.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "../serde/codec.hpp"
#include "../state/hash_map.hpp"
#include "../window/functions.hpp"
#include "fold.hpp"

namespace spate {

namespace diagnostic {
// READ THIS IF YOUR COMPILE BREAKS HERE: the distinct values' type is read off
// the selector's type, which a generic lambda or field<"name"> does not
// have: name it, count_distinct<V>(sel) / count_distinct_if<V>(sel, pred).
template <class Selector>
struct count_distinct_value_type_unknown {
  static_assert(always_false<Selector>,
                "spate: count_distinct (or max_of, min_of, sum_of) cannot tell the type of the values "
                "from this selector; name it: count_distinct<V>(sel)");
};
}  // namespace diagnostic

namespace detail {
/// What count_distinct gives after it reported a mistake: a stage whose check
/// fails without a word more, so the pipeline becomes error_pipeline.
struct refused_stage : stage_tag {
  static constexpr const char* name = "count_distinct";
  template <class Flow>
  static constexpr bool check() {
    return false;
  }
  template <class Flow>
  using output = Flow;
};

/// A filter that keeps every record.
struct every_record {
  template <class R>
  constexpr bool operator()(const R&) const noexcept {
    return true;
  }
};

// The value type a selector gives, where it can be read off its type.
template <class F>
struct call_result {};
template <class R, class A>
struct call_result<R (*)(A)> {
  using type = R;
};
template <class R, class C, class A>
struct call_result<R (C::*)(A) const> {
  using type = R;
};
template <class R, class C, class A>
struct call_result<R (C::*)(A)> {
  using type = R;
};
template <class R, class C, class A>
struct call_result<R (C::*)(A) const noexcept> {
  using type = R;
};
template <class R, class C, class A>
struct call_result<R (C::*)(A) noexcept> {
  using type = R;
};
template <class F>
struct selector_value {};  // a generic lambda, field<"name">: see value_type_unknown
template <class F>
  requires requires { &F::operator(); }
struct selector_value<F> : call_result<decltype(&F::operator())> {};
template <class R, class A>
struct selector_value<R (*)(A)> {
  using type = R;
};
template <class M, class C>
  requires(!std::is_function_v<M>)
struct selector_value<M C::*> {
  using type = M;
};
template <class F>
concept value_type_known = requires { typename selector_value<F>::type; };
template <class F>
struct selector_value_or_void {
  using type = void;
};
template <value_type_known F>
struct selector_value_or_void<F> {
  using type = state::owned_key_t<typename selector_value<F>::type>;
};
template <class F>
using selector_value_t = typename selector_value_or_void<F>::type;

/// The distinct values one key (or window) has seen.
template <class V>
struct distinct_values {
  state::hash_map<V, bool> seen;
};

/// COUNT(DISTINCT sel(r)) FILTER (WHERE pred(r)).
template <class V, class Sel, class Pred>
struct count_distinct_agg {
  Sel sel;
  Pred pred;
  using acc = distinct_values<V>;
  acc create_accumulator() const { return {}; }
  template <class R>
  void add_to(acc& a, const R& r) {
    if (std::invoke(pred, r)) a.seen.try_emplace(std::invoke(sel, r));
  }
  template <class R>
  acc add(const R& r, acc a) {
    add_to(a, r);
    return a;
  }
  std::int64_t get_result(const acc& a) const { return static_cast<std::int64_t>(a.seen.size()); }
  acc merge(acc a, const acc& b) const {
    b.seen.for_each([&](const V& v, bool) { a.seen.try_emplace(v); });
    return a;
  }
};

/// COUNT(*) FILTER (WHERE pred(r)).
template <class Pred>
struct count_if_agg {
  Pred pred;
  std::int64_t create_accumulator() const { return 0; }
  template <class R>
  void add_to(std::int64_t& n, const R& r) {
    n += std::invoke(pred, r) ? 1 : 0;
  }
  template <class R>
  std::int64_t add(const R& r, std::int64_t n) {
    add_to(n, r);
    return n;
  }
  std::int64_t get_result(std::int64_t n) const { return n; }
  std::int64_t merge(std::int64_t a, std::int64_t b) const { return a + b; }
};

/// MAX(sel(r)) (Max) or MIN(sel(r)): the extreme value, the first of equal ones.
/// The extreme so far, once there is one (not a std::optional: GCC 12 warns
/// of an optional string in a table slot as maybe uninitialized).
template <class V>
struct extreme_value {
  V v{};
  bool set = false;
};
template <class V, class Sel, bool Max>
struct extreme_agg {
  Sel sel;
  using acc = extreme_value<V>;
  acc create_accumulator() const { return {}; }
  static bool better(const V& v, const V& than) { return Max ? than < v : v < than; }
  template <class R>
  void add_to(acc& a, const R& r) {
    V v = std::invoke(sel, r);
    if (!a.set || better(v, a.v)) a.v = std::move(v), a.set = true;
  }
  template <class R>
  acc add(const R& r, acc a) {
    add_to(a, r);
    return a;
  }
  V get_result(const acc& a) const { return a.v; }
  acc merge(acc a, const acc& b) const {
    if (b.set && (!a.set || better(b.v, a.v))) a = b;
    return a;
  }
};

/// SUM(sel(r)).
template <class V, class Sel>
struct sum_agg {
  Sel sel;
  V create_accumulator() const { return V{}; }
  template <class R>
  void add_to(V& a, const R& r) {
    a += std::invoke(sel, r);
  }
  template <class R>
  V add(const R& r, V a) {
    add_to(a, r);
    return a;
  }
  V get_result(const V& a) const { return a; }
  V merge(V a, const V& b) const {
    a += b;
    return a;
  }
};

// What aggregates(...) takes: the function of aggregate(agg), and count().
template <class A>
A part_of(aggregate_stage<A> a) {
  return std::move(a.agg);
}
inline count_if_agg<every_record> part_of(fold_stage<std::int64_t, count_one>) { return {}; }
template <class D>
concept aggregates_part = requires(D d) { detail::part_of(std::move(d)); };

/// Several AggregateFunctions over one pass: the accumulator and the result
/// are tuples of theirs.
template <class... As>
struct aggregates_agg {
  std::tuple<As...> parts;
  using acc = std::tuple<std::remove_cvref_t<decltype(std::declval<As&>().create_accumulator())>...>;
  using index = std::index_sequence_for<As...>;

  acc create_accumulator() const { return create(index{}); }
  template <class R>
  void add_to(acc& a, const R& r) {
    add_all(r, a, index{});
  }
  template <class R>
  acc add(const R& r, acc a) {
    add_all(r, a, index{});
    return a;
  }
  auto get_result(const acc& a) const { return result(a, index{}); }
  acc merge(acc a, const acc& b) const
    requires(MergeableAggregate<As> && ...)
  {
    merge_all(a, b, index{});
    return a;
  }

 private:
  template <std::size_t... I>
  acc create(std::index_sequence<I...>) const {
    return acc(std::get<I>(parts).create_accumulator()...);
  }
  template <class R, std::size_t... I>
  void add_all(const R& r, acc& a, std::index_sequence<I...>) {
    (add_one(std::get<I>(parts), std::get<I>(a), r), ...);
  }
  // In place where the part can (no moves of its accumulator per record).
  template <class A, class Acc, class R>
  static void add_one(A& part, Acc& a, const R& r) {
    if constexpr (requires { part.add_to(a, r); })
      part.add_to(a, r);
    else
      a = part.add(r, std::move(a));
  }
  template <std::size_t... I>
  auto result(const acc& a, std::index_sequence<I...>) const {
    return std::tuple<std::remove_cvref_t<decltype(std::get<I>(parts).get_result(std::get<I>(a)))>...>(
        std::get<I>(parts).get_result(std::get<I>(a))...);
  }
  template <std::size_t... I>
  void merge_all(acc& a, const acc& b, std::index_sequence<I...>) const {
    ((std::get<I>(a) = std::get<I>(parts).merge(std::move(std::get<I>(a)), std::get<I>(b))), ...);
  }
};
}  // namespace detail

/// aggregate(agg) for an agg with add_to(acc&, r): the same stage, but the
/// accumulator is updated where it lies in the table, not moved out and back
/// per record (which costs a distinct count's hash set two moves).
template <class Agg>
struct in_place_aggregate_stage : aggregate_stage<Agg> {
  using base = aggregate_stage<Agg>;
  template <emit_mode Mode, class Key, class Down>
  struct built : keyed_table<Mode, Key, typename base::acc_type, typename base::template result_out<Down>> {
    stage_label label;
    template <class K, class R>
    bool push_keyed(const K& k, R&& r) {
      Agg& agg = this->down.agg;
      auto* slot = this->upsert(k, [&] { return agg.create_accumulator(); }).first;
      detail::call_user(label, [&](const auto& x) { agg.add_to(slot->second, x); }, std::as_const(r));
      return this->updated(slot);
    }
  };
  template <class Flow, class Env, class Down>
  auto build(Env&, stage_label label, Down&& down) const {
    using Key = state::owned_key_t<typename Flow::key_type>;
    using D = std::remove_cvref_t<Down>;
    using out = typename base::template result_out<D>;
    return built<Env::mode, Key, D>{{{out{{std::forward<Down>(down)}, this->agg}}, {}}, label};
  }
};
template <class Agg>
constexpr in_place_aggregate_stage<Agg> in_place_aggregate(Agg agg) {
  return {{{}, std::move(agg)}};
}

// After window(...): the window function of aggregate(agg), adding in place.
template <class Agg, class T>
struct window_fn<in_place_aggregate_stage<Agg>, T> : window_fn<aggregate_stage<Agg>, T> {
  using window_fn<aggregate_stage<Agg>, T>::window_fn;
  using acc_type = typename aggregate_stage<Agg>::acc_type;
  acc_type init(const T& r) {
    acc_type a = this->agg.create_accumulator();
    this->agg.add_to(a, r);
    return a;
  }
  void add(acc_type& a, const T& r) { this->agg.add_to(a, r); }
};
namespace detail {
template <class A>
inline constexpr bool is_window_function_descriptor<in_place_aggregate_stage<A>> = true;
}  // namespace detail

namespace serde {
// An extreme so far encodes as (set, value).
template <class V>
struct codec<spate::detail::extreme_value<V>> {
  static void write(writer& w, const spate::detail::extreme_value<V>& e) {
    codec<bool>::write(w, e.set);
    codec<V>::write(w, e.v);
  }
  static result<spate::detail::extreme_value<V>> read(reader& r) {
    auto set = codec<bool>::read(r);
    if (!set) return std::move(set).error();
    auto v = codec<V>::read(r);
    if (!v) return std::move(v).error();
    return spate::detail::extreme_value<V>{std::move(*v), *set};
  }
};
// A key's distinct values encode as the vector of them.
template <class V>
struct codec<spate::detail::distinct_values<V>> {
  static void write(writer& w, const spate::detail::distinct_values<V>& s) {
    std::vector<V> v;
    v.reserve(s.seen.size());
    s.seen.for_each([&](const V& x, bool) { v.push_back(x); });
    codec<std::vector<V>>::write(w, v);
  }
  static result<spate::detail::distinct_values<V>> read(reader& r) {
    auto x = codec<std::vector<V>>::read(r);
    if (!x) return std::move(x).error();
    spate::detail::distinct_values<V> s;
    s.seen.reserve(x->size());
    for (auto& v : *x) s.seen.try_emplace(v);
    return s;
  }
};
}  // namespace serde

/// Per key (or window), the number of distinct values of sel(r); the value
/// type is read off the selector (see the top of this header).
template <class Sel>
constexpr auto count_distinct(Sel sel) {
  if constexpr (!detail::value_type_known<Sel>) {
    (void)&diagnostic::report<diagnostic::count_distinct_value_type_unknown<Sel>>;
    return detail::refused_stage{};
  } else {
    using V = detail::selector_value_t<Sel>;
    return in_place_aggregate(detail::count_distinct_agg<V, Sel, detail::every_record>{std::move(sel), {}});
  }
}
/// The same with the value type named: count_distinct<std::string>(field<"user">).
template <class V, class Sel>
constexpr auto count_distinct(Sel sel) {
  return in_place_aggregate(detail::count_distinct_agg<state::owned_key_t<V>, Sel, detail::every_record>{std::move(sel), {}});
}
/// Per key (or window), the number of distinct sel(r) among the records with pred(r).
template <class Sel, class Pred>
constexpr auto count_distinct_if(Sel sel, Pred pred) {
  if constexpr (!detail::value_type_known<Sel>) {
    (void)&diagnostic::report<diagnostic::count_distinct_value_type_unknown<Sel>>;
    return detail::refused_stage{};
  } else {
    using V = detail::selector_value_t<Sel>;
    return in_place_aggregate(detail::count_distinct_agg<V, Sel, Pred>{std::move(sel), std::move(pred)});
  }
}
template <class V, class Sel, class Pred>
constexpr auto count_distinct_if(Sel sel, Pred pred) {
  return in_place_aggregate(detail::count_distinct_agg<state::owned_key_t<V>, Sel, Pred>{std::move(sel), std::move(pred)});
}
/// Per key (or window), the number of records with pred(r), as std::int64_t.
template <class Pred>
constexpr auto count_if(Pred pred) {
  return in_place_aggregate(detail::count_if_agg<Pred>{std::move(pred)});
}
/// Per key (or window), the largest / smallest sel(r) and the sum of sel(r)
/// (SQL's MAX, MIN, SUM of an expression), with the value type read off the
/// selector as for count_distinct, or named: max_of<std::string>(f).
template <class Sel>
constexpr auto max_of(Sel sel) {
  if constexpr (!detail::value_type_known<Sel>) {
    (void)&diagnostic::report<diagnostic::count_distinct_value_type_unknown<Sel>>;
    return detail::refused_stage{};
  } else {
    return in_place_aggregate(detail::extreme_agg<detail::selector_value_t<Sel>, Sel, true>{std::move(sel)});
  }
}
template <class V, class Sel>
constexpr auto max_of(Sel sel) {
  return in_place_aggregate(detail::extreme_agg<state::owned_key_t<V>, Sel, true>{std::move(sel)});
}
template <class Sel>
constexpr auto min_of(Sel sel) {
  if constexpr (!detail::value_type_known<Sel>) {
    (void)&diagnostic::report<diagnostic::count_distinct_value_type_unknown<Sel>>;
    return detail::refused_stage{};
  } else {
    return in_place_aggregate(detail::extreme_agg<detail::selector_value_t<Sel>, Sel, false>{std::move(sel)});
  }
}
template <class V, class Sel>
constexpr auto min_of(Sel sel) {
  return in_place_aggregate(detail::extreme_agg<state::owned_key_t<V>, Sel, false>{std::move(sel)});
}
template <class Sel>
constexpr auto sum_of(Sel sel) {
  if constexpr (!detail::value_type_known<Sel>) {
    (void)&diagnostic::report<diagnostic::count_distinct_value_type_unknown<Sel>>;
    return detail::refused_stage{};
  } else {
    return in_place_aggregate(detail::sum_agg<detail::selector_value_t<Sel>, Sel>{std::move(sel)});
  }
}
template <class V, class Sel>
constexpr auto sum_of(Sel sel) {
  return in_place_aggregate(detail::sum_agg<V, Sel>{std::move(sel)});
}

/// Several aggregations in one pass, one state entry per key: each part is
/// count(), count_if, count_distinct(_if), max_of, min_of, sum_of or
/// aggregate(agg); emits (key,
/// std::tuple of the parts' results), in the order given.
template <detail::aggregates_part... Ds>
  requires(sizeof...(Ds) > 0)
constexpr auto aggregates(Ds... ds) {
  using agg = detail::aggregates_agg<decltype(detail::part_of(std::move(ds)))...>;
  return in_place_aggregate(agg{{detail::part_of(std::move(ds))...}});
}

}  // namespace spate
