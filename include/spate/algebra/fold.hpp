#pragma once
// fold(init, f): per key, an accumulator of a type of its own, starting at
// init, updated by f(acc, r) -> Acc; emits (key, acc).
//   ... | key_by(&Click::user) | fold(0L, [](long n, const Click&) { return n + 1; })
// count(): the number of records per key (fold with +1).
// aggregate(agg): Flink's AggregateFunction: agg.create_accumulator(),
//   agg.add(r, acc) -> acc, agg.get_result(acc), agg.merge(a, b) (merge is used
//   by session windows); emits (key, get_result(acc)).
#include <concepts>
#include <cstdint>
#include <functional>
#include <type_traits>
#include <utility>

#include "keyed_state.hpp"

namespace spate {

namespace detail {
struct count_one;
/// Merges two counts (a count combined before a shuffle, exec/shuffle.hpp).
struct count_merge {
  constexpr std::int64_t operator()(std::int64_t a, std::int64_t b) const noexcept { return a + b; }
};
}  // namespace detail

template <class Acc, class F>
struct fold_stage : stage_tag {
  Acc init;
  F fn;
  const char* label_name = "fold";
  static constexpr const char* name = "fold";

  template <class Flow>
  static constexpr bool check() {
    using T = typename Flow::value_type;
    if constexpr (!Flow::keyed) {
      // Name the stage as the user wrote it: count() is a fold.
      if constexpr (std::is_same_v<F, detail::count_one>)
        (void)&diagnostic::report<diagnostic::stage_needs_keyed_stream<"count", T>>;
      else
        (void)&diagnostic::report<diagnostic::stage_needs_keyed_stream<"fold", T>>;
      return false;
    } else if constexpr (!stage_invocable<F, Acc, const T&>) {
      (void)&diagnostic::report<diagnostic::stage_cannot_accept_input<"fold", T, F>>;
      return false;
    } else if constexpr (!std::convertible_to<stage_result_t<F, Acc, const T&>, Acc>) {
      (void)&diagnostic::report<diagnostic::stage_bad_result<"fold", T, stage_result_t<F, Acc, const T&>>>;
      return false;
    } else {
      return true;
    }
  }
  template <class Flow>
  using output = flow<std::pair<state::owned_key_t<typename Flow::key_type>, Acc>>;

  template <emit_mode Mode, class Key, class Down>
  struct built : keyed_table<Mode, Key, Acc, Down> {
    Acc init;
    F fn;
    stage_label label;
    template <class K, class R>
    bool push_keyed(const K& k, R&& r) {
      auto [slot, inserted] = this->upsert(k, [&] { return init; });
      (void)inserted;
      slot->second = detail::call_user(label, fn, std::move(slot->second), std::as_const(r));
      return this->updated(slot);
    }
  };
  template <class Flow, class Env, class Down>
  auto build(Env&, stage_label label, Down&& down) const {
    using Key = state::owned_key_t<typename Flow::key_type>;
    label.name = label_name;
    return built<Env::mode, Key, std::remove_cvref_t<Down>>{{{std::forward<Down>(down)}, {}}, init, fn, label};
  }
  // Combining before a shuffle (exec/shuffle.hpp, compacted modes): each
  // upstream worker keeps one partial count per key and batch, and the
  // worker that owns the key adds the partials (merge_stage). Only count()
  // says how to merge two accumulators; a fold of the user's does not.
  static constexpr bool combinable = std::is_same_v<F, detail::count_one>;
  static constexpr bool combinable_rolling = combinable;  // also under continuous{} with combine_continuous{}
  struct combiner {
    F fn;
    Acc init;
    stage_label label;
    template <class T>
    using partial = Acc;
    template <class T>
    Acc first(T&& r) {
      return detail::call_user(label, fn, Acc(init), std::as_const(r));
    }
    template <class R>
    void add(Acc& p, const R& r) {
      p = detail::call_user(label, fn, std::move(p), r);
    }
  };
  combiner make_combiner(stage_label label) const {
    label.name = label_name;
    return combiner{fn, init, label};
  }
  /// The stage after the shuffle: adds the partials per key.
  auto merge_stage() const {
    return fold_stage<Acc, detail::count_merge>{{}, init, {}, label_name};
  }
};

/// Per key, folds records into an accumulator starting at init.
template <class Acc, class F>
constexpr auto fold(Acc init, F f) {
  return fold_stage<Acc, F>{{}, std::move(init), std::move(f)};
}

namespace detail {
struct count_one {
  template <class R>
  constexpr std::int64_t operator()(std::int64_t n, const R&) const noexcept {
    return n + 1;
  }
};
}  // namespace detail

/// Per key, the number of records (as std::int64_t).
constexpr auto count() {
  return fold_stage<std::int64_t, detail::count_one>{{}, 0, {}, "count"};
}

/// What aggregate() needs of its argument (Flink's AggregateFunction). Its
/// members may be non-const: the built stage calls its own copy (see
/// stage_invocable).
template <class A, class T>
concept AggregateFunction = requires(A& a, const T& r) {
  a.create_accumulator();
  { a.add(r, a.create_accumulator()) } -> std::convertible_to<decltype(a.create_accumulator())>;
  a.get_result(a.create_accumulator());
};
template <class A>
concept MergeableAggregate = requires(A& a) {
  { a.merge(a.create_accumulator(), a.create_accumulator()) } -> std::convertible_to<decltype(a.create_accumulator())>;
};

template <class Agg>
struct aggregate_stage : stage_tag {
  Agg agg;
  static constexpr const char* name = "aggregate";
  using acc_type = std::remove_cvref_t<decltype(std::declval<Agg&>().create_accumulator())>;
  using result_type = std::remove_cvref_t<decltype(std::declval<Agg&>().get_result(std::declval<const acc_type&>()))>;

  template <class Flow>
  static constexpr bool check() {
    using T = typename Flow::value_type;
    if constexpr (!Flow::keyed) {
      (void)&diagnostic::report<diagnostic::stage_needs_keyed_stream<"aggregate", T>>;
      return false;
    } else if constexpr (!AggregateFunction<Agg, T>) {
      (void)&diagnostic::report<diagnostic::stage_cannot_accept_input<"aggregate", T, Agg>>;
      return false;
    } else {
      return true;
    }
  }
  template <class Flow>
  using output = flow<std::pair<state::owned_key_t<typename Flow::key_type>, result_type>>;

  // The table holds accumulators; what goes downstream is (key, get_result).
  // This last link owns the function object, so the stage has one copy.
  template <class Down>
  struct result_out : forward_control<Down> {
    Agg agg;
    template <class KV>
    bool push(const KV& kv) {
      using Key = std::remove_cvref_t<decltype(kv.first)>;
      return this->down.push(std::pair<Key, result_type>(kv.first, agg.get_result(kv.second)));
    }
  };
  template <emit_mode Mode, class Key, class Down>
  struct built : keyed_table<Mode, Key, acc_type, result_out<Down>> {
    stage_label label;
    template <class K, class R>
    bool push_keyed(const K& k, R&& r) {
      Agg& agg = this->down.agg;
      // A plain pointer, not a structured binding: clang 14 cannot capture those.
      auto* slot = this->upsert(k, [&] { return agg.create_accumulator(); }).first;
      slot->second = detail::call_user(
          label, [&](const auto& x) { return agg.add(x, std::move(slot->second)); }, std::as_const(r));
      return this->updated(slot);
    }
  };
  template <class Flow, class Env, class Down>
  auto build(Env&, stage_label label, Down&& down) const {
    using Key = state::owned_key_t<typename Flow::key_type>;
    using D = std::remove_cvref_t<Down>;
    return built<Env::mode, Key, D>{{{result_out<D>{{std::forward<Down>(down)}, agg}}, {}}, label};
  }
};

/// Per key, a Flink-style AggregateFunction.
template <class Agg>
constexpr auto aggregate(Agg agg) {
  return aggregate_stage<Agg>{{}, std::move(agg)};
}

}  // namespace spate
