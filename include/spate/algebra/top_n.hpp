#pragma once
// top_n<N>(better): per key, the N best records so far, best first, by the
// user's ordering better(a, b) ("a ranks above b", a strict weak order);
// Flink's Top-N, ROW_NUMBER() OVER (PARTITION BY key ORDER BY ...) <= N.
//   ... | key_by(&bid::auction) | top_n<10>(descending(&bid::price))   // (auction, std::vector<bid>)
// Emits (key, ranking): the key's whole new top-N list (at most N records,
// rank 1 first), and only when a record entered it:
//   rolling   (continuous): at once, on every change; a record that does not
//             make the top N changes nothing and emits nothing;
//   compacted (micro-batch / batch): each key whose list changed, once per
//             batch, with its list at the batch end.
// In Flink's terms this is an upsert stream keyed by the partition key (not
// by rank): the latest list of a key replaces the previous one, so the last
// one per key is the current ranking either way.
// Ties: of records that rank equal, the earlier keeps the better rank, and a
// record equal to the N-th does not enter a full list (ROW_NUMBER, first come).
//
// After window(...) or window_all(...), top_n<N>(better) is a window function:
// the N best records of each window (per key, or over the whole stream),
// as window_result<K, std::vector<T>> when the window fires (Flink's Window
// Top-N). It merges, so sliding and session windows take it too.
//
// descending(sel) / ascending(sel) make the ordering from a field (a member
// pointer or a function of the record): larger / smaller first.
#include <algorithm>
#include <concepts>
#include <cstddef>
#include <functional>
#include <type_traits>
#include <utility>
#include <vector>

#include "../window/window.hpp"
#include "keyed_state.hpp"
#include "pipeline.hpp"

namespace spate {

/// The ordering "a ranks above b when sel(a) > sel(b)".
template <class Sel>
struct descending_by {
  Sel sel;
  template <class T>
  bool operator()(const T& a, const T& b) const {
    return std::invoke(sel, b) < std::invoke(sel, a);
  }
};
/// The ordering "a ranks above b when sel(a) < sel(b)".
template <class Sel>
struct ascending_by {
  Sel sel;
  template <class T>
  bool operator()(const T& a, const T& b) const {
    return std::invoke(sel, a) < std::invoke(sel, b);
  }
};
/// Larger sel(r) ranks first.
template <class Sel>
constexpr descending_by<Sel> descending(Sel sel) {
  return {std::move(sel)};
}
/// Smaller sel(r) ranks first.
template <class Sel>
constexpr ascending_by<Sel> ascending(Sel sel) {
  return {std::move(sel)};
}

namespace detail {
/// Inserts r into the ranking v (best first, at most n), after the records
/// it does not rank above. Returns whether v changed.
template <class T, class R, class Better>
bool rank_into(std::vector<T>& v, std::size_t n, R&& r, Better& better) {
  auto it = std::upper_bound(v.begin(), v.end(), r, [&](const auto& a, const T& b) { return bool(std::invoke(better, a, b)); });
  if (it == v.end() && v.size() >= n) return false;
  const auto at = static_cast<std::size_t>(it - v.begin());
  if (v.size() >= n) v.pop_back();
  v.insert(v.begin() + static_cast<std::ptrdiff_t>(at), T(std::forward<R>(r)));
  return true;
}

/// top_n as an AggregateFunction, for windows: the accumulator is the ranking.
template <std::size_t N, class Better, class T>
struct top_n_agg {
  Better better;
  std::vector<T> create_accumulator() const { return {}; }
  std::vector<T> add(const T& r, std::vector<T> a) {
    rank_into(a, N, r, better);
    return a;
  }
  const std::vector<T>& get_result(const std::vector<T>& a) const { return a; }
  // b's records come after a's: ties keep a's first.
  std::vector<T> merge(std::vector<T> a, const std::vector<T>& b) {
    for (const T& r : b)
      if (!rank_into(a, N, r, better)) break;  // b is sorted: the rest rank no higher
    return a;
  }
};
}  // namespace detail

template <std::size_t N, class Better>
struct top_n_stage : stage_tag {
  static_assert(N > 0, "spate: top_n<N> needs N > 0: a ranking of no records emits nothing");
  Better better;
  static constexpr const char* name = "top_n";
  static constexpr std::size_t size = N;

  template <class Flow>
  static constexpr bool check() {
    using T = typename Flow::value_type;
    if constexpr (!Flow::keyed) {
      (void)&diagnostic::report<diagnostic::stage_needs_keyed_stream<"top_n", T>>;
      return false;
    } else if constexpr (!stage_invocable<Better, const T&, const T&>) {
      (void)&diagnostic::report<diagnostic::stage_cannot_accept_input<"top_n", T, Better>>;
      return false;
    } else if constexpr (!std::convertible_to<stage_result_t<Better, const T&, const T&>, bool>) {
      (void)&diagnostic::report<diagnostic::stage_bad_result<"top_n", T, stage_result_t<Better, const T&, const T&>>>;
      return false;
    } else {
      return true;
    }
  }
  template <class Flow>
  using output = flow<std::pair<state::owned_key_t<typename Flow::key_type>, std::vector<typename Flow::value_type>>>;

  template <emit_mode Mode, class Key, class T, class Down>
  struct built : keyed_table<Mode, Key, std::vector<T>, Down> {
    Better better;
    stage_label label;
    template <class K, class R>
    bool push_keyed(const K& k, R&& r) {
      auto* slot = this->table.try_emplace_with(k, [] { return std::vector<T>{}; }).first;
      const bool changed = detail::call_user(
          label, [&](auto&& x) { return detail::rank_into(slot->second, N, std::forward<decltype(x)>(x), better); },
          std::forward<R>(r));
      if (!changed) return true;
      if constexpr (Mode == emit_mode::compacted) this->table.mark(slot);
      return this->updated(slot);
    }
  };
  template <class Flow, class Env, class Down>
  auto build(Env&, stage_label label, Down&& down) const {
    using Key = state::owned_key_t<typename Flow::key_type>;
    return built<Env::mode, Key, typename Flow::value_type, std::remove_cvref_t<Down>>{
        {{std::forward<Down>(down)}, {}}, better, label};
  }
};

/// Per key, the N records that rank best by better(a, b) ("a above b").
template <std::size_t N, class Better>
constexpr auto top_n(Better better) {
  return top_n_stage<N, Better>{{}, std::move(better)};
}

// window(...) | top_n<N>(better): the window function of the N best records
// per window (an aggregate of the ranking).
template <class Src, class... Ds, std::size_t N, class Better>
  requires detail::ends_with_window<Ds...>
auto operator|(pipeline<Src, Ds...> p, top_n_stage<N, Better> t) {
  using T = typename pipeline<Src, Ds...>::value_type;
  if constexpr (!stage_invocable<Better, const T&, const T&>) {
    (void)&diagnostic::report<diagnostic::stage_cannot_accept_input<"top_n", T, Better>>;
    return error_pipeline{};
  } else {
    return std::move(p) | aggregate(detail::top_n_agg<N, Better, T>{std::move(t.better)});
  }
}

}  // namespace spate
