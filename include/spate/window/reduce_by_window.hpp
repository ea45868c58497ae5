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
// Checkpoints store every key's state (this batch's pane, the window's value,
// the panes still in the window with their batch times); keyed, it moves to
// another parallelism by key group. A value or key type with no binary
// encoding makes checkpointing refuse the job (keeps_state, no snapshot).
#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "../algebra/stage.hpp"
#include "../core/key_group.hpp"
#include "../state/hash_map.hpp"
#include "../state/snapshot.hpp"
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
    std::size_t state_keys() const noexcept { return keys.size(); }

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

    /// A key's state as encoded: (key, this batch's pane, the window's
    /// value, the panes in the window as (batch time, pane), oldest first).
    using pane_list = std::vector<std::pair<std::int64_t, V>>;
    using entry = std::tuple<SK, std::optional<V>, std::optional<V>, pane_list>;
    static constexpr bool keeps_state = true;
    void snapshot(std::string& out) const
      requires serde::Encodable<std::vector<entry>>
    {
      pane_list panes;
      detail::snapshot_entries<SK, std::optional<V>, std::optional<V>, pane_list>(
          keys.size(),
          [&](auto&& emit) {
            keys.for_each([&](const SK& k, const key_state& s) {
              panes.assign(s.panes.begin(), s.panes.end());
              emit(k, s.batch, s.running, panes);
            });
          },
          out);
    }
    bool restore(std::string_view in)
      requires serde::Encodable<std::vector<entry>>
    {
      return restore_from({&in, 1}, [](const SK&) { return true; });
    }
    /// Restores at another parallelism: the keys of the key groups `mine`
    /// from every old subtask's snapshot.
    bool restore_rescaled(const std::vector<std::string_view>& parts, key_group_range mine)
      requires(!Count && serde::Encodable<std::vector<entry>>)
    {
      const key_groups kg;
      return restore_from(parts, [&](const SK& k) { return mine.contains(kg.group_of(k)); });
    }

   private:
    // Decodes every part first: a snapshot that does not decode, or holds a
    // state this stage cannot have made, leaves the state as it was.
    template <class Mine>
    bool restore_from(std::span<const std::string_view> parts, const Mine& mine) {
      state::hash_map<SK, key_state> fresh;
      for (std::string_view in : parts) {
        auto v = detail::restore_value<std::vector<entry>>(in);
        if (!v) return false;
        for (auto& [k, batch, running, panes] : *v) {
          if (!mine(std::as_const(k))) continue;
          if (!batch && !running) return false;          // a key is made by a record
          if (!panes.empty() && !running) return false;  // panes are in the value
          auto [slot, inserted] = fresh.try_emplace(k);
          if (!inserted) return false;  // one key twice: not one job's state
          key_state& s = slot->second;
          s.batch = std::move(batch);
          s.running = std::move(running);
          for (auto& p : panes) s.panes.push_back(std::move(p));
        }
      }
      keys = std::move(fresh);
      return true;
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
