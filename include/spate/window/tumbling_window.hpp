#pragma once
// Tumbling time windows, per key: the fast path. A record updates exactly one
// window, so the state is one flat hash map from (key, window start) to the
// window's accumulator, which is what a hand-written loop keeps; a timer is
// set once per (key, window), at end − 1 (and at end − 1 + allowed lateness
// for cleanup when lateness is allowed). Semantics as in sliding_window.hpp.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "../state/snapshot.hpp"
#include "core.hpp"

namespace spate::detail {

template <class K>
struct window_key {
  K key;
  std::int64_t start;
  friend bool operator==(const window_key&, const window_key&) = default;
};

}  // namespace spate::detail

template <class K>
struct std::hash<spate::detail::window_key<K>> {
  std::size_t operator()(const spate::detail::window_key<K>& w) const noexcept {
    // key_hash mixes again; this only has to make (key, start) pairs distinct.
    return spate::state::key_hash{}(w.key) + static_cast<std::size_t>(w.start) * 0xC2B2AE3D27D4EB4Full;
  }
};

namespace spate::detail {

template <class S>
struct tumbling_window_op : window_core<S, window_key<typename S::key>> {
  using core = window_core<S, window_key<typename S::key>>;
  using typename core::T;
  using typename core::SK;
  using typename core::acc_type;
  using WK = window_key<SK>;

  std::int64_t size, offset;
  state::hash_map<WK, acc_type> windows{};
  // The window of the previous record: consecutive records mostly share it,
  // and a hit saves a 64-bit division (the window size is not a constant).
  std::int64_t last_start = 0, last_end = 0;

  template <class Assigner>
  tumbling_window_op(window_parts<S> p, const Assigner& a)
      : core(std::move(p)), size(a.size.count()), offset(a.offset.count()) {}

  bool fire(const WK& w, const acc_type& a) {
    return this->emit(w.key, time_window{from_millis(w.start), from_millis(w.start + size)}, a);
  }

  template <class KK>
  bool add(const KK& key, const T& r) {
    std::int64_t t = this->time_of(r);
    std::int64_t start;
    if (t >= last_start && t < last_end) {
      start = last_start;
    } else {
      start = t - floor_mod(t - offset, size);
      last_start = start;
      last_end = start + size;
    }
    std::int64_t last = start + size - 1;  // the window's max timestamp
    if constexpr (!S::processing)
      if (last + this->lateness <= this->now) return this->on_late(r);
    WK wk{SK(key), start};
    auto [slot, inserted] = windows.try_emplace_with(wk, [&] { return this->fn.init(r); });
    if (!inserted) this->fn.add(slot->second, r);
    if (last <= this->now) {  // fired already (or due): a late firing, as in Flink
      bool go = fire(slot->first, slot->second);
      if (inserted) this->schedule(last + this->lateness, slot->first);
      return go;
    }
    if (inserted) this->schedule(last, slot->first);
    return true;
  }

  void advance_to(std::int64_t t) {
    if (t <= this->now) return;
    this->now = t;
    // A key has one window per end, so the windows due at one time belong to
    // distinct keys, and taking due times oldest first fires each key's
    // windows in end order (as Flink's timer queue does), whichever way a due
    // time is handled.
    auto pass = [&](std::int64_t at, std::size_t due) {
      // Most windows are due at `at` (all keys see the same window end): one
      // sequential pass over the table beats a random lookup per window.
      // Without lateness every window has exactly one timer, the one at its
      // end, so the pass fires what the timers at `at` would.
      if (this->lateness != 0 || !this->worth_a_pass(due, windows.size())) return false;
      windows.erase_if([&](const WK& w, const acc_type& a) {
        if (w.start + size - 1 > at) return false;
        fire(w, a);
        return true;
      });
      return true;
    };
    this->run_timers(
        t,
        [&](const WK& w, std::int64_t at) {
          auto* slot = windows.find(w);
          if (!slot) return;
          std::int64_t last = w.start + size - 1;
          if (at == last) fire(slot->first, slot->second);
          if (at == last + this->lateness)
            windows.erase(w);
          else if (at == last)
            this->schedule(last + this->lateness, w);
        },
        pass);
  }

  /// The state: (key, window start) -> accumulator.
  const state::hash_map<WK, acc_type>& state() const noexcept { return windows; }

  void finish() { advance_to(never); }

  /// Every open window: (key, start, accumulator). Timers follow from them.
  std::vector<std::tuple<SK, std::int64_t, acc_type>> state_snapshot() const {
    return entries_of(windows, [](const WK& w, const acc_type& a) { return std::tuple(w.key, w.start, a); });
  }
  void restore_state(std::vector<std::tuple<SK, std::int64_t, acc_type>>&& s) {
    windows.clear();
    for (auto& e : s) {
      WK w{std::get<0>(e), std::get<1>(e)};
      std::int64_t last = w.start + size - 1;
      this->schedule(last > this->now ? last : last + this->lateness, w);
      windows.try_emplace_with(w, [&] { return std::move(std::get<2>(e)); });
    }
  }
};

}  // namespace spate::detail
