#pragma once
// Count windows, per key. Tumbling count_window(n): every n records of a key
// fire one window, then it is purged (an accumulator per key). Sliding
// count_window(n, step): every `step` records fire a window over the key's
// last n records (Flink's countWindow(size, slide): a count trigger plus a
// count evictor), so the last n records are kept. Like Flink, a window that
// has not reached its count when the input ends does not fire. Result bounds
// are zero: count windows have no time.
#include <cstdint>
#include <deque>
#include <tuple>
#include <vector>

#include "../state/snapshot.hpp"
#include "core.hpp"

namespace spate::detail {

template <class S>
struct count_window_op : window_core<S> {
  using core = window_core<S>;
  using typename core::T;
  using typename core::SK;
  using typename core::acc_type;

  struct tumbling_state {
    acc_type acc;
    std::uint64_t count;
  };
  struct sliding_state {
    std::deque<T> last;
    std::uint64_t since = 0;
  };
  std::uint64_t size, step;
  state::hash_map<SK, tumbling_state> tumbling{};
  state::hash_map<SK, sliding_state> sliding{};
  std::size_t state_keys() const noexcept { return tumbling.size() + sliding.size(); }

  template <class Assigner>
  count_window_op(window_parts<S> p, const Assigner& a) : core(std::move(p)), size(a.size), step(a.step) {}

  template <class KK>
  bool add(const KK& key, const T& r) {
    if (size == step) {
      bool inserted;
      typename state::hash_map<SK, tumbling_state>::value_type* slot;
      std::tie(slot, inserted) = tumbling.try_emplace_with(key, [&] { return tumbling_state{this->fn.init(r), 0}; });
      if (!inserted) this->fn.add(slot->second.acc, r);
      if (++slot->second.count < size) return true;
      bool go = this->emit(slot->first, time_window{}, slot->second.acc);
      tumbling.erase(SK(slot->first));
      return go;
    }
    auto [slot, inserted] = sliding.try_emplace(key);
    (void)inserted;
    sliding_state& s = slot->second;
    s.last.push_back(r);
    if (s.last.size() > size) s.last.pop_front();
    if (++s.since < step) return true;
    s.since = 0;
    auto it = s.last.begin();
    acc_type a = this->fn.init(*it);
    for (++it; it != s.last.end(); ++it) this->fn.add(a, *it);
    return this->emit(slot->first, time_window{}, a);
  }

  // tumbling: (key, acc, count); sliding: (key, last records, records since the last firing)
  using count_snapshot = std::tuple<std::vector<std::tuple<SK, acc_type, std::uint64_t>>,
                                   std::vector<std::tuple<SK, std::vector<T>, std::uint64_t>>>;
  count_snapshot state_snapshot() const {
    return {entries_of(tumbling, [](const SK& k, const tumbling_state& s) { return std::tuple(k, s.acc, s.count); }),
            entries_of(sliding, [](const SK& k, const sliding_state& s) {
              return std::tuple(k, std::vector<T>(s.last.begin(), s.last.end()), s.since);
            })};
  }
  void restore_state(count_snapshot&& s) {
    tumbling.clear();
    sliding.clear();
    for (auto& [k, acc, count] : std::get<0>(s))
      tumbling.try_emplace_with(k, [&] { return tumbling_state{std::move(acc), count}; });
    for (auto& [k, last, since] : std::get<1>(s))
      sliding.try_emplace_with(k, [&] { return sliding_state{std::deque<T>(last.begin(), last.end()), since}; });
  }
};

}  // namespace spate::detail
