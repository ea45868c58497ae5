#pragma once
// reduce(f): per key, the running f-combination of the records seen so far;
// emits (key, value) pairs. f(acc, r) -> T.
//   ... | key_by(&Sale::shop) | reduce([](Sale a, const Sale& b) { a.amount += b.amount; return a; })
// After window(...), the same descriptor reduces each window instead.
#include <concepts>
#include <functional>
#include <type_traits>
#include <utility>

#include "keyed_state.hpp"

namespace spate {

template <class F>
struct reduce_stage : stage_tag {
  F fn;
  static constexpr const char* name = "reduce";

  template <class Flow>
  static constexpr bool check() {
    using T = typename Flow::value_type;
    if constexpr (!Flow::keyed) {
      (void)&diagnostic::report<diagnostic::stage_needs_keyed_stream<"reduce", T>>;
      return false;
    } else if constexpr (!stage_invocable<F, const T&, const T&>) {
      (void)&diagnostic::report<diagnostic::stage_cannot_accept_input<"reduce", T, F>>;
      return false;
    } else if constexpr (!std::convertible_to<stage_result_t<F, const T&, const T&>, T>) {
      (void)&diagnostic::report<diagnostic::stage_bad_result<"reduce", T, stage_result_t<F, const T&, const T&>>>;
      return false;
    } else {
      return true;
    }
  }
  template <class Flow>
  using output = flow<std::pair<state::owned_key_t<typename Flow::key_type>, typename Flow::value_type>>;

  template <emit_mode Mode, class Key, class T, class Down>
  struct built : keyed_table<Mode, Key, T, Down> {
    F fn;
    stage_label label;
    template <class K, class R>
    bool push_keyed(const K& k, R&& r) {
      auto [slot, inserted] = this->upsert(k, [&] { return T(std::forward<R>(r)); });
      if (!inserted) slot->second = detail::call_user(label, fn, std::as_const(slot->second), std::as_const(r));
      return this->updated(slot);
    }
  };
  template <class Flow, class Env, class Down>
  auto build(Env&, stage_label label, Down&& down) const {
    using Key = state::owned_key_t<typename Flow::key_type>;
    return built<Env::mode, Key, typename Flow::value_type, std::remove_cvref_t<Down>>{
        {{std::forward<Down>(down)}, {}}, fn, label};
  }
  // Combining before a shuffle (exec/shuffle.hpp, compacted modes): each
  // upstream worker reduces the records of a key in a batch to one partial,
  // and the worker that owns the key reduces the partials with the same f
  // (so f must be associative, as for any parallel reduce).
  static constexpr bool combinable = true;
  static constexpr bool combinable_rolling = true;  // also under continuous{} with combine_continuous{}
  struct combiner {
    F fn;
    stage_label label;
    template <class T>
    using partial = T;
    template <class T>
    std::remove_cvref_t<T> first(T&& r) {
      return std::forward<T>(r);
    }
    template <class T, class R>
    void add(T& p, const R& r) {
      p = detail::call_user(label, fn, std::as_const(p), r);
    }
  };
  combiner make_combiner(stage_label label) const { return combiner{fn, label}; }
  /// The stage after the shuffle: f over the partials.
  const reduce_stage& merge_stage() const { return *this; }
};

/// Per key, combines records with f(acc, record) -> record.
template <class F>
constexpr auto reduce(F f) {
  return reduce_stage<F>{{}, std::move(f)};
}

}  // namespace spate
