#pragma once
// Flink's built-in aggregations on a keyed stream: sum, min, max, min_by,
// max_by, of one field, named by a member pointer, by field<"name"> (a
// reflected struct) or by tuple index. Each emits the record, as Flink does:
//   sum(f), min(f), max(f)   the first record of the key, with field f
//                            replaced by the running sum / minimum / maximum
//   min_by(f), max_by(f)     the whole record with the smallest / largest f
//                            so far (the earliest of equal ones)
//   ... | key_by(&Sale::shop) | sum(&Sale::amount)         // keyBy(...).sum("amount")
//   ... | key_by<0>() | sum<1>()                            // keyBy(0).sum(1)
// Rolling (continuous) they emit every update; compacted (micro-batch,
// batch) each changed key once per batch, as reduce does: they are reduces.
#include <cstddef>
#include <tuple>
#include <type_traits>
#include <utility>

#include "field.hpp"
#include "reduce.hpp"

namespace spate {

namespace detail {
template <std::size_t I>
struct tuple_index {};

// The field a selector names, as an lvalue of the record.
// (Trailing return types, so that a selector that does not fit the record
// fails the check, not the body.)
template <class M, class C, class T>
auto field_ref(M C::*member, T& r) -> decltype((r.*member)) {
  return (r.*member);
}
template <fixed_string Name, class T>
  requires(!decltype(boost::hana::is_nothing(field_fn<Name>::template accessor<std::remove_const_t<T>>()))::value)
auto field_ref(field_fn<Name>, T& r)
    -> decltype(boost::hana::second(field_fn<Name>::template accessor<std::remove_const_t<T>>().value())(r)) {
  return boost::hana::second(field_fn<Name>::template accessor<std::remove_const_t<T>>().value())(r);
}
template <std::size_t I, class T>
auto field_ref(tuple_index<I>, T& r) -> decltype(std::get<I>(r)) {
  return std::get<I>(r);
}
template <class A, class T>
concept selects_field = requires(const A& a, T& r) { detail::field_ref(a, r); };

enum class aggregation { sum, min, max, min_by, max_by };

template <aggregation Kind, class A>
struct aggregate_fields {
  A field;
  template <class T>
  T operator()(T acc, const T& r) const {
    auto& a = field_ref(field, acc);
    const auto& b = field_ref(field, r);
    if constexpr (Kind == aggregation::sum) a += b;
    else if constexpr (Kind == aggregation::min) { if (b < a) a = b; }
    else if constexpr (Kind == aggregation::max) { if (a < b) a = b; }
    else if constexpr (Kind == aggregation::min_by) { if (b < a) return r; }
    else if constexpr (Kind == aggregation::max_by) { if (a < b) return r; }
    return acc;
  }
};

// Emits the value of reduce's (key, value) updates: the record.
template <class Down>
struct record_of_update : forward_control<Down> {
  template <class P>
  bool push(P&& kv) {
    return this->down.push(std::forward<P>(kv).second);
  }
};
}  // namespace detail

template <fixed_string Name, detail::aggregation Kind, class A>
struct aggregation_stage : stage_tag {
  A field;
  static constexpr const char* name = Name.text;

  template <class Flow>
  static constexpr bool check() {
    using T = typename Flow::value_type;
    if constexpr (!Flow::keyed) {
      (void)&diagnostic::report<diagnostic::stage_needs_keyed_stream<Name, T>>;
      return false;
    } else if constexpr (!detail::selects_field<A, T>) {
      (void)&diagnostic::report<diagnostic::stage_cannot_accept_input<Name, T, A>>;
      return false;
    } else {
      return true;
    }
  }
  template <class Flow>
  using output = flow<typename Flow::value_type>;

  template <class Flow, class Env, class Down>
  auto build(Env& env, stage_label label, Down&& down) const {
    reduce_stage<detail::aggregate_fields<Kind, A>> inner{{}, {field}};
    return inner.template build<Flow>(env, label, detail::record_of_update<std::remove_cvref_t<Down>>{{std::forward<Down>(down)}});
  }
};

/// The running sum of field f per key, in the key's first record.
template <class A>
constexpr auto sum(A f) {
  return aggregation_stage<"sum", detail::aggregation::sum, A>{{}, f};
}
/// The smallest f per key so far, in the key's first record (Flink's min).
template <class A>
constexpr auto min(A f) {
  return aggregation_stage<"min", detail::aggregation::min, A>{{}, f};
}
/// The largest f per key so far, in the key's first record (Flink's max).
template <class A>
constexpr auto max(A f) {
  return aggregation_stage<"max", detail::aggregation::max, A>{{}, f};
}
/// The record with the smallest f per key so far (the earliest of equal ones).
template <class A>
constexpr auto min_by(A f) {
  return aggregation_stage<"min_by", detail::aggregation::min_by, A>{{}, f};
}
/// The record with the largest f per key so far (the earliest of equal ones).
template <class A>
constexpr auto max_by(A f) {
  return aggregation_stage<"max_by", detail::aggregation::max_by, A>{{}, f};
}
// By tuple index, as Flink's sum(1) on tuples.
template <std::size_t I>
constexpr auto sum() { return sum(detail::tuple_index<I>{}); }
template <std::size_t I>
constexpr auto min() { return min(detail::tuple_index<I>{}); }
template <std::size_t I>
constexpr auto max() { return max(detail::tuple_index<I>{}); }
template <std::size_t I>
constexpr auto min_by() { return min_by(detail::tuple_index<I>{}); }
template <std::size_t I>
constexpr auto max_by() { return max_by(detail::tuple_index<I>{}); }

}  // namespace spate
