#pragma once
// Window joins after connect(a, b) | key_by(ka, kb) (Flink's
// DataStream.join(...).where(...).equalTo(...).window(...).apply(f) and
// coGroup), in event time:
//   connect(orders, payments) | key_by(&Order::id, &Payment::order)
//       | window_join(tumbling(1min), [](const Order& o, const Payment& p) { return Paid{o.id, p.amount}; })
//   ... | co_group(session(30s), [](const std::vector<Order>& os, const std::vector<Payment>& ps) { ... })
// window_join emits f(a, b) for every pair of an A and a B of one key in one
// window, when the window fires (inner join: a window with records of only
// one side emits nothing); co_group calls f(as, bs) once per key and window
// that has records of either side (so left, right and full outer joins can
// be written) and emits window_result<K, R>{key, start, end, f(as, bs)}.
// Both are window(assigner, either_time) | process(...) underneath
// (window/window.hpp), so tumbling, sliding and session windows, allowed
// lateness (a late record re-fires its window, which emits the join again,
// as Flink's does), late records (.late_to(tag): the either<A, B> records
// too late even for the lateness; otherwise counted, .count_late_into(n)),
// .trigger(t) and .evictor(e) (as Flink's JoinedStreams.WithWindow), checkpoints
// and rescaling are the window operator's.
#include <cstdint>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "../algebra/flat_map.hpp"
#include "../algebra/pipeline.hpp"
#include "../state/process.hpp"
#include "../window/window.hpp"
#include "either.hpp"
#include "interval_join.hpp"

namespace spate {

namespace detail {
// The event time of a connected record; untimed records are refused.
struct joined_time {
  const char* stage = "window_join";
  template <class A, class B>
  event_time operator()(const either<A, B>& e) const {
    if (!e.timed()) throw std::runtime_error(untimed_record_message(stage, e.side()));
    return e.timestamp();
  }
};

template <class A, class B, class E>
void split_sides(const std::vector<E>& records, std::vector<A>& as, std::vector<B>& bs) {
  as.clear();
  bs.clear();
  for (const E& e : records) {
    if (e.is_first()) as.push_back(e.first());
    else bs.push_back(e.second());
  }
}

// The records of one window of a window join, in order of arrival: the
// first inline, the rest on the heap. Most windows of a join on a key of
// many values get one record, and then the window allocates nothing.
template <class T>
struct join_records {
  T head;
  std::vector<T> tail{};
  friend bool operator==(const join_records&, const join_records&) = default;
};

// window_join's window function (window_fn below): keeps join_records, and
// at a firing every pair, input 1's records in order of arrival, each with
// input 2's in order of arrival (Flink's order).
template <class F>
struct join_pairs_stage : stage_tag {
  F fn;
  static constexpr const char* name = "window_join";
  template <class Flow>
  static constexpr bool check() {
    return true;  // the join function is checked where window_join meets the stream
  }
};
template <class F>
inline constexpr bool is_window_function_descriptor<join_pairs_stage<F>> = true;

// window_join's function after an evictor, which needs every record as a
// vector (process): the same pairs.
template <class F, class A, class B>
struct pairs_in_window {
  using R = std::remove_cvref_t<std::invoke_result_t<F&, const A&, const B&>>;
  F fn;
  std::vector<const A*> as{};
  std::vector<const B*> bs{};
  std::vector<R> out{};

  template <class K>
  std::span<const R> operator()(const K&, time_window, const std::vector<either<A, B>>& records) {
    as.clear();
    bs.clear();
    for (const auto& e : records) take(e);
    return pairs();
  }
  /// Puts a record of the window on its side.
  void take(const either<A, B>& e) {
    if (e.is_first()) as.push_back(&e.first());
    else bs.push_back(&e.second());
  }
  // The pairs of `as` and `bs`, into a buffer kept from one firing to the
  // next: a firing allocates nothing once it has grown to the largest window.
  // The result is read by the flat_map right after the window in the same
  // fused call (it never outlives the firing).
  std::span<const R> pairs() {
    out.clear();
    out.reserve(as.size() * bs.size());
    for (const A* a : as)
      for (const B* b : bs) out.push_back(std::invoke(fn, *a, *b));
    return out;
  }
};
// window_result<K, view of R's> -> the R's.
struct window_values {
  template <class W>
  const auto& operator()(const W& w) const noexcept {
    return w.value;
  }
};

// co_group's function per window: the sides copied into vectors kept from
// one firing to the next (the function takes std::vector<A>, std::vector<B>).
template <class F, class A, class B>
struct groups_in_window {
  F fn;
  std::vector<A> as{};
  std::vector<B> bs{};

  template <class K>
  auto operator()(const K&, time_window, const std::vector<either<A, B>>& records) {
    split_sides(records, as, bs);
    return std::invoke(fn, std::as_const(as), std::as_const(bs));
  }
};
}  // namespace detail

template <class F, class A, class B>
struct window_fn<detail::join_pairs_stage<F>, either<A, B>> {
  using T = either<A, B>;
  using acc_type = detail::join_records<T>;
  static constexpr bool mergeable = true;
  detail::pairs_in_window<F, A, B> pairs;
  explicit window_fn(const detail::join_pairs_stage<F>& d) : pairs{d.fn} {}
  F& wrapped_function() noexcept { return pairs.fn; }
  acc_type init(const T& r) { return acc_type{r}; }
  void add(acc_type& a, const T& r) { a.tail.push_back(r); }
  void merge(acc_type& a, const acc_type& b) {
    a.tail.push_back(b.head);
    a.tail.insert(a.tail.end(), b.tail.begin(), b.tail.end());
  }
  template <class K>
  auto result(const K&, time_window, const acc_type& a) {
    using R = typename detail::pairs_in_window<F, A, B>::R;
    if (a.tail.empty()) return std::span<const R>{};  // one record: no pair
    pairs.as.clear();
    pairs.bs.clear();
    pairs.take(a.head);
    for (const T& e : a.tail) pairs.take(e);
    return pairs.pairs();
  }
  using result_type = std::span<const typename detail::pairs_in_window<F, A, B>::R>;
};

/// What window_join and co_group hold until they meet a connected, keyed
/// stream at `|`.
template <class Assigner, class F, bool Group, class LateSink = no_late_sink>
struct window_join_spec {
  static_assert(Assigner::event_time, "spate: window_join and co_group run on event-time windows");
  window_stage<Assigner, detail::joined_time, LateSink> win;
  F fn;
  static constexpr const char* name = Group ? "co_group" : "window_join";

  window_join_spec allowed_lateness(duration d) const { return {win.allowed_lateness(d), fn}; }
  /// Sends records too late for their windows (either<A, B>) to `sink`, e.g. an output_tag.
  template <sink_descriptor S>
  auto late_to(S&& sink) const {
    return window_join_spec<Assigner, F, Group, std::remove_cvref_t<S>>{win.late_to(std::forward<S>(sink)), fn};
  }
  window_join_spec count_late_into(std::uint64_t& counter) const { return {win.count_late_into(counter), fn}; }
  /// Fires the windows by trigger `t` instead of at their end (Flink's
  /// JoinedStreams.WithWindow.trigger): each firing emits the join of what
  /// the window holds then.
  template <class Trigger>
  auto trigger(Trigger t) const {
    auto w = win.trigger(std::move(t));
    return window_join_spec<typename decltype(w)::assigner_type, F, Group, LateSink>{std::move(w), fn};
  }
  /// Evicts records from each window when it fires, before and/or after the
  /// join sees them (Flink's .evictor).
  template <class Evictor>
  auto evictor(Evictor e) const {
    auto w = win.evictor(std::move(e));
    return window_join_spec<typename decltype(w)::assigner_type, F, Group, LateSink>{std::move(w), fn};
  }
};

/// Joins the records of both inputs of one key in one window: f(a, b) for
/// every pair, when the window fires.
template <class Assigner, class F>
constexpr auto window_join(Assigner a, F f) {
  auto w = window(std::move(a), detail::joined_time{"window_join"});
  return window_join_spec<Assigner, F, false>{std::move(w), std::move(f)};
}
/// Both inputs' records of one key in one window, f(as, bs) -> R, emitted
/// as window_result<K, R>.
template <class Assigner, class F>
constexpr auto co_group(Assigner a, F f) {
  auto w = window(std::move(a), detail::joined_time{"co_group"});
  return window_join_spec<Assigner, F, true>{std::move(w), std::move(f)};
}

namespace diagnostic {
// READ THIS IF YOUR COMPILE BREAKS HERE: co_group's function must accept
// (const std::vector<A>&, const std::vector<B>&): A and B are the inputs'
// record types, then the function you gave.
template <class A, class B, class Function>
struct co_group_function_cannot_accept {
  static_assert(always_false<Function>,
                "spate: co_group's function cannot be called with (std::vector<A>, std::vector<B>) of the two inputs");
};
}  // namespace diagnostic

// pipeline (connected, keyed) | window_join(...) or co_group(...).
template <class Src, class... Ds, class Assigner, class F, bool Group, class LateSink>
auto operator|(pipeline<Src, Ds...> p, window_join_spec<Assigner, F, Group, LateSink> j) {
  using Flow = typename pipeline<Src, Ds...>::output_flow;
  using T = typename Flow::value_type;
  constexpr fixed_string<(Group ? 9 : 12)> stage = [] {
    if constexpr (Group) return fixed_string("co_group");
    else return fixed_string("window_join");
  }();
  if constexpr (!is_either_v<T>) {
    (void)&diagnostic::report<diagnostic::stage_needs_connected_stream<stage, T>>;
    return error_pipeline{};
  } else if constexpr (!Flow::keyed) {
    (void)&diagnostic::report<diagnostic::stage_needs_keyed_stream<stage, T>>;
    return error_pipeline{};
  } else {
    using A = typename T::first_type;
    using B = typename T::second_type;
    if constexpr (Group) {
      if constexpr (!stage_invocable<F, const std::vector<A>&, const std::vector<B>&>) {
        (void)&diagnostic::report<diagnostic::co_group_function_cannot_accept<A, B, F>>;
        return error_pipeline{};
      } else {
        return std::move(p) | std::move(j.win) | process(detail::groups_in_window<F, A, B>{std::move(j.fn)});
      }
    } else if constexpr (!detail::check_join_function<"window_join", A, B, F>()) {
      return error_pipeline{};
    } else {
      if constexpr (requires { requires Assigner::evicting; })  // an evictor takes the window's records as a vector
        return std::move(p) | std::move(j.win) | process(detail::pairs_in_window<F, A, B>{std::move(j.fn)}) |
               flat_map(detail::window_values{});
      else
        return std::move(p) | std::move(j.win) | detail::join_pairs_stage<F>{{}, std::move(j.fn)} |
               flat_map(detail::window_values{});
    }
  }
}

namespace serde {
// A window join's records: a varint count (at least 1), then the records.
template <Encodable T>
struct codec<spate::detail::join_records<T>> {
  static constexpr std::size_t min_size = 1;
  static void write(writer& w, const spate::detail::join_records<T>& a) {
    w.write_varint(1 + a.tail.size());
    codec<T>::write(w, a.head);
    for (const T& e : a.tail) codec<T>::write(w, e);
  }
  static result<spate::detail::join_records<T>> read(reader& r) {
    const std::size_t at = r.offset();
    auto n = r.read_length(detail::min_size_of<T>());
    if (!n) return std::move(n).error();
    if (*n == 0) return r.fail_at(at, "a window join's window holds no record (at least one expected)");
    auto head = codec<T>::read(r);
    if (!head) return std::move(head).error().in_field("[0]");
    spate::detail::join_records<T> out{std::move(*head)};
    out.tail.reserve(*n - 1);
    for (std::size_t i = 1; i < *n; ++i) {
      auto e = codec<T>::read(r);
      if (!e) return std::move(e).error().in_field("[" + std::to_string(i) + "]");
      out.tail.push_back(std::move(*e));
    }
    return out;
  }
};
}  // namespace serde

}  // namespace spate
