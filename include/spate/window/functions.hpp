#pragma once
// Window functions. The descriptors that aggregate per key (reduce, fold,
// count, aggregate) and process(f) aggregate per window after window(...);
// window_fn<D, T> is what a window operator sees of them:
//   acc_type                 what a window keeps (O(1) for all but process)
//   init(r) / add(acc, r)    the first record / a further record
//   merge(acc, other)        combine two windows' (or panes') state, when `mergeable`
//   result(key, window, acc) the emitted value
// Sliding windows combine panes and session windows merge, so both need
// `mergeable`: reduce, count and aggregate with merge() are; fold is not.
#include <cstdint>
#include <functional>
#include <type_traits>
#include <utility>
#include <vector>

#include "../algebra/fold.hpp"
#include "../algebra/reduce.hpp"
#include "result.hpp"

namespace spate {

template <class F, class TsFn>
struct process_stage;

namespace detail {
template <class F, class K, class T>
struct process_result {
  using type = std::remove_cvref_t<stage_result_t<F, const K&, time_window, const std::vector<T>&>>;
};
template <class F, class T>
struct process_result<F, no_key, T> {
  using type = std::remove_cvref_t<stage_result_t<F, time_window, const std::vector<T>&>>;
};
}  // namespace detail

template <class D, class T>
struct window_fn;  // no window function for D: see is_window_function

template <class F, class T>
struct window_fn<reduce_stage<F>, T> {
  F fn;
  static constexpr bool mergeable = true;
  using acc_type = T;
  explicit window_fn(const reduce_stage<F>& d) : fn(d.fn) {}
  F& wrapped_function() noexcept { return fn; }  // the user's, for open/close (algebra/rich.hpp)
  acc_type init(const T& r) { return r; }
  void add(acc_type& a, const T& r) { a = std::invoke(fn, std::as_const(a), r); }
  void merge(acc_type& a, const acc_type& b) { a = std::invoke(fn, std::as_const(a), b); }
  template <class K>
  const T& result(const K&, time_window, const acc_type& a) { return a; }
  using result_type = T;
};

template <class Acc, class F, class T>
struct window_fn<fold_stage<Acc, F>, T> {
  Acc init_value;
  F fn;
  static constexpr bool mergeable = std::is_same_v<F, detail::count_one>;
  using acc_type = Acc;
  explicit window_fn(const fold_stage<Acc, F>& d) : init_value(d.init), fn(d.fn) {}
  F& wrapped_function() noexcept { return fn; }
  acc_type init(const T& r) { return std::invoke(fn, init_value, r); }
  void add(acc_type& a, const T& r) { a = std::invoke(fn, std::move(a), r); }
  void merge(acc_type& a, const acc_type& b)
    requires mergeable
  {
    a += b;
  }
  template <class K>
  const Acc& result(const K&, time_window, const acc_type& a) { return a; }
  using result_type = Acc;
};

template <class Agg, class T>
struct window_fn<aggregate_stage<Agg>, T> {
  Agg agg;
  static constexpr bool mergeable = MergeableAggregate<Agg>;
  using acc_type = typename aggregate_stage<Agg>::acc_type;
  explicit window_fn(const aggregate_stage<Agg>& d) : agg(d.agg) {}
  Agg& wrapped_function() noexcept { return agg; }
  acc_type init(const T& r) { return agg.add(r, agg.create_accumulator()); }
  void add(acc_type& a, const T& r) { a = agg.add(r, std::move(a)); }
  void merge(acc_type& a, const acc_type& b)
    requires mergeable
  {
    a = agg.merge(std::move(a), b);
  }
  template <class K>
  auto result(const K&, time_window, const acc_type& a) { return agg.get_result(a); }
  using result_type = typename aggregate_stage<Agg>::result_type;
};

// process(f) after window(...): f sees every record of the window.
//   keyed:      f(const K& key, time_window w, const std::vector<T>& records) -> R
//   window_all: f(time_window w, const std::vector<T>& records) -> R
template <class F, class TsFn, class T>
struct window_fn<process_stage<F, TsFn>, T> {
  F fn;
  static constexpr bool mergeable = true;
  using acc_type = std::vector<T>;
  explicit window_fn(const process_stage<F, TsFn>& d) : fn(d.fn) {}
  F& wrapped_function() noexcept { return fn; }
  acc_type init(const T& r) { return acc_type{r}; }
  void add(acc_type& a, const T& r) { a.push_back(r); }
  void merge(acc_type& a, const acc_type& b) { a.insert(a.end(), b.begin(), b.end()); }
  template <class K>
  auto result(const K& k, time_window w, const acc_type& a) {
    if constexpr (std::is_same_v<K, no_key>)
      return std::invoke(fn, w, a);
    else
      return std::invoke(fn, k, w, a);
  }
  template <class K>
  using result_for = typename detail::process_result<F, K, T>::type;
};

template <class D, class T>
concept is_window_function = requires { sizeof(window_fn<D, T>); };

namespace detail {
template <class D>
inline constexpr bool is_window_function_descriptor = false;
template <class F>
inline constexpr bool is_window_function_descriptor<reduce_stage<F>> = true;
template <class A, class F>
inline constexpr bool is_window_function_descriptor<fold_stage<A, F>> = true;
template <class A>
inline constexpr bool is_window_function_descriptor<aggregate_stage<A>> = true;
template <class F, class Ts>
inline constexpr bool is_window_function_descriptor<process_stage<F, Ts>> = true;

// The value a window function emits for key type K.
template <class Fn, class K>
struct window_fn_result {
  using type = typename Fn::result_type;
};
template <class Fn, class K>
  requires requires { typename Fn::template result_for<K>; }
struct window_fn_result<Fn, K> {
  using type = typename Fn::template result_for<K>;
};
}  // namespace detail

}  // namespace spate
