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

#include "core.hpp"

namespace spate::detail {

template <class T, class SK, class KOut, class Fn, class TsFn, bool Processing, class LateOut, class Down>
struct count_window_op : window_input<count_window_op<T, SK, KOut, Fn, TsFn, Processing, LateOut, Down>,
                                       window_core<T, SK, KOut, Fn, TsFn, Processing, LateOut, Down>> {
  using plain_key = SK;
  using core = window_core<T, SK, KOut, Fn, TsFn, Processing, LateOut, Down>;
  using acc_type = typename core::acc_type;
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

  void on_end() {
    this->late_on_end();
    this->down.on_end();
  }
};

}  // namespace spate::detail
