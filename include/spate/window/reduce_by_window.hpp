#pragma once
// Spark Streaming's incremental sliding windows over micro-batches.
//   key_by(k) | reduce_by_key_and_window(f, inverse, size, slide[, keep])
//   count_by_window(size, slide)                      (whole stream)
// Each batch's records are reduced per key into one pane; the window keeps a
// running value per key, adds the new pane with f and removes the pane that
// slid out with inverse (inverse(f(a, b), b) == a), so the cost per batch does
// not grow with size/slide. Windows end at batch times that are multiples of
// `slide` (aligned to the epoch) and cover (end − size, end]: batches whose
// time lies in it. Emits window_result{key, end − size, end, value}.
// As in Spark (ReducedWindowedDStream), a key once seen stays: when its
// records have all slid out its value is what inverse left (0 for counts),
// and it is emitted at every window end, until `keep(key, value)` (Spark's
// filterFunc) returns false at a window end, which drops the key and all its
// state. count_by_window (Spark: map(_ => 1L).reduceByWindow(_ + _, _ - _))
// has no filter: once it has counted a record it emits every window, 0 for an
// empty one. Like Spark, the work per batch end visits every key it keeps.
#include <cstdint>
#include <deque>
#include <optional>
#include <type_traits>
#include <utility>

#include "../algebra/stage.hpp"
#include "../state/hash_map.hpp"
#include "result.hpp"

namespace spate {

namespace detail {
constexpr std::int64_t floor_mod_batch(std::int64_t a, std::int64_t m) noexcept {
  std::int64_t r = a % m;
  return r < 0 ? r + m : r;
}
struct no_fn {};
}  // namespace detail

/// Keep = detail::no_fn: no filter, every key is kept (Spark without filterFunc).
template <class F, class Inv, bool Count, class Keep = detail::no_fn>
struct reduce_by_window_stage : stage_tag {
  F fn;
  Inv inv;
  duration size, slide;
  Keep keep{};
  static constexpr bool filtered = !std::is_same_v<Keep, detail::no_fn>;
  static constexpr const char* name = Count ? "count_by_window" : "reduce_by_key_and_window";

  template <class Flow>
  using value_t = std::conditional_t<Count, std::int64_t, typename Flow::value_type>;
  template <class Flow>
  using key_t = std::conditional_t<Count, no_key, state::owned_key_t<typename Flow::key_type>>;

  template <class Flow>
  static constexpr bool check() {
    using T = typename Flow::value_type;
    if constexpr (!Count && !Flow::keyed) {
      (void)&diagnostic::report<diagnostic::stage_needs_keyed_stream<"reduce_by_key_and_window", T>>;
      return false;
    } else if constexpr (!Count && !(std::is_invocable_r_v<T, F&, const T&, const T&> &&
                                     std::is_invocable_r_v<T, Inv&, const T&, const T&>)) {
      (void)&diagnostic::report<diagnostic::stage_cannot_accept_input<"reduce_by_key_and_window", T, F>>;
      return false;
    } else if constexpr (filtered && !std::is_invocable_r_v<bool, Keep&, const key_t<Flow>&, const T&>) {
      // READ THIS IF YOUR COMPILE BREAKS HERE: the filter is keep(key, value) -> bool.
      (void)&diagnostic::report<diagnostic::stage_cannot_accept_input<"reduce_by_key_and_window", T, Keep>>;
      return false;
    } else {
      return true;
    }
  }
  template <class Flow>
  using output = flow<window_result<key_t<Flow>, value_t<Flow>>>;

  template <class KOut, class SK, class V, class Down>
  struct built : forward_control<Down> {
    F fn;
    Inv inv;
    std::int64_t size, slide;
    stage_label label;
    Keep keep;
    struct key_state {
      std::optional<V> batch;                       // this batch's pane
      std::optional<V> running;                     // the window's value
      std::deque<std::pair<std::int64_t, V>> panes{};  // (batch time, pane)
    };
    state::hash_map<SK, key_state> keys{};

    V combine(const V& a, const V& b) {
      if constexpr (Count)
        return a + b;
      else
        return detail::call_user(label, fn, a, b);
    }
    V remove(const V& a, const V& b) {
      if constexpr (Count)
        return a - b;
      else
        return detail::call_user(label, inv, a, b);
    }
    template <class KK, class R>
    bool push_keyed(const KK& k, R&& r)
      requires(!Count)
    {
      auto [slot, inserted] = keys.try_emplace(k);
      (void)inserted;
      key_state& s = slot->second;
      s.batch = s.batch ? combine(*s.batch, r) : V(r);
      return true;
    }
    template <class R>
    bool push(R&&) {
      if constexpr (Count) {
        key_state& s = keys[SK{}];
        s.batch = s.batch ? *s.batch + 1 : 1;
      }
      return true;
    }
    void on_batch_end(const batch_info& b) {
      const std::int64_t now = to_millis(b.time);
      const bool emit = detail::floor_mod_batch(now, slide) == 0;
      keys.erase_if([&](const SK& k, key_state& s) {
        if (s.batch) {
          s.running = s.running ? combine(*s.running, *s.batch) : *s.batch;
          s.panes.emplace_back(now, std::move(*s.batch));
          s.batch.reset();
        }
        while (!s.panes.empty() && s.panes.front().first <= now - size) {
          s.running = remove(*s.running, s.panes.front().second);
          s.panes.pop_front();
        }
        // A key whose panes all slid out is kept with the value inverse left
        // (Spark keeps it in the previous window's RDD): only the filter, at a
        // window end as in Spark, drops it.
        if (!emit) return false;
        if constexpr (filtered) {
          if (!detail::call_user(label, keep, std::as_const(k), std::as_const(*s.running))) return true;
        }
        time_window w{from_millis(now - size), from_millis(now)};
        if constexpr (Count)
          this->down.push(window_result<no_key, V>{w.start, w.end, *s.running});
        else
          this->down.push(window_result<KOut, V>{k, w.start, w.end, *s.running});
        return false;
      });
      this->down.on_batch_end(b);
    }
  };
  template <class Flow, class Env, class Down>
  auto build(Env&, stage_label label, Down&& down) const {
    using SK = std::conditional_t<Count, std::uint8_t, key_t<Flow>>;
    return built<key_t<Flow>, SK, value_t<Flow>, std::remove_cvref_t<Down>>{
        {std::forward<Down>(down)}, fn, inv, size.count(), slide.count(), label, keep};
  }
};

/// Spark's reduceByKeyAndWindow(f, inverse, size, slide), after key_by. Every
/// key seen is kept and emitted at each window end, also when its value fell
/// back to empty (0 for counts).
template <class F, class Inv>
constexpr auto reduce_by_key_and_window(F f, Inv inverse, duration size, duration slide) {
  return reduce_by_window_stage<F, Inv, false>{{}, std::move(f), std::move(inverse), size, slide};
}
/// The same with Spark's filterFunc: at each window end, a key for which
/// keep(key, value) is false is not emitted and its state is dropped.
template <class F, class Inv, class Keep>
constexpr auto reduce_by_key_and_window(F f, Inv inverse, duration size, duration slide, Keep keep) {
  return reduce_by_window_stage<F, Inv, false, Keep>{{}, std::move(f), std::move(inverse), size, slide, std::move(keep)};
}
/// Spark's countByWindow(size, slide): records per window over the whole stream.
constexpr auto count_by_window(duration size, duration slide) {
  return reduce_by_window_stage<detail::no_fn, detail::no_fn, true>{{}, {}, {}, size, slide};
}

}  // namespace spate
