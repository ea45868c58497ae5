#pragma once
// Sliding time windows, per key, on event or processing time (tumbling
// windows have their own operator, tumbling_window.hpp).
//
// State is kept per pane: a pane is a tumbling window of gcd(size, slide), so
// a record updates exactly one accumulator (never size/slide copies), and a
// sliding window, when it fires, combines its size/gcd panes. Per key the
// panes sit in a small vector sorted by start; a key has at most one live
// timer (its next due time), so timers cost per window, not per record.
//
// Firing follows Flink: window [start, end) fires when the watermark reaches
// end − 1; with allowed lateness L its state stays until the watermark reaches
// end − 1 + L and each record that arrives meanwhile re-fires it with the
// updated value; a record that re-fires several windows fires them newest
// first, the order in which Flink's assigner lists them. A record all of whose
// windows are past that goes to the late output (and the late counter), and so
// does one in no window (slide > size) once t + lateness has passed the
// watermark (Flink's isElementLate); a record in no window that is not late
// is dropped, as in Flink.
#include <algorithm>
#include <numeric>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "../state/snapshot.hpp"
#include "core.hpp"

namespace spate::detail {

template <class S>
struct sliding_window_op : window_core<S> {
  using core = window_core<S>;
  using typename core::T;
  using typename core::SK;
  using typename core::acc_type;

  struct pane {
    std::int64_t start;
    acc_type acc;
  };
  struct key_state {
    std::vector<pane> panes;                 // sorted by start
    std::int64_t fired_upto = before_all;    // end of the last window fired
    std::int64_t scheduled = never;          // due time of this key's live timer
  };

  std::int64_t size, slide, offset, pane_size;
  state::hash_map<SK, key_state> keys{};
  bool have_pane = false;
  std::int64_t cached_pane = 0, cached_last_start = 0, cached_first_end = 0;

  template <class Assigner>
  sliding_window_op(window_parts<S> p, const Assigner& a)
      : core(std::move(p)), size(a.size.count()), slide(a.slide.count()), offset(a.offset.count()),
        pane_size(std::gcd(a.size.count(), a.slide.count())) {}

  // The smallest window end after p (window ends are offset + size + n*slide).
  std::int64_t first_end(std::int64_t p) const noexcept { return p + 1 + floor_mod(offset + size - (p + 1), slide); }
  std::int64_t pane_start(std::int64_t t) const noexcept { return t - floor_mod(t - offset, pane_size); }
  // The window ends, after fired_upto, of the first window holding any pane.
  std::int64_t next_unfired_end(const key_state& ks) const noexcept {
    std::int64_t c = ks.fired_upto == before_all ? before_all : ks.fired_upto + slide;
    for (const pane& p : ks.panes)
      if (c == before_all || p.start >= c - size) return std::max(c, first_end(p.start));
    return never;
  }

  bool fire(const SK& k, key_state& ks, std::int64_t end) {
    std::int64_t start = end - size;
    auto it = std::find_if(ks.panes.begin(), ks.panes.end(), [&](const pane& p) { return p.start >= start; });
    if (it == ks.panes.end() || it->start >= end) return true;
    time_window w{from_millis(start), from_millis(end)};
    acc_type a = it->acc;
    for (++it; it != ks.panes.end() && it->start < end; ++it) this->fn.merge(a, it->acc);
    return this->emit(k, w, a);
  }

  // Fires what is due for one key, drops what no window needs any more, and
  // sets the key's next timer (or forgets the key).
  void advance_key(typename state::hash_map<SK, key_state>::value_type* slot) {
    if (advance_key_in_place(slot)) keys.erase(SK(slot->first));
  }
  // advance_key without the erasure: true when the key has nothing left.
  bool advance_key_in_place(typename state::hash_map<SK, key_state>::value_type* slot) {
    const SK& k = slot->first;
    key_state& ks = slot->second;
    std::int64_t e = next_unfired_end(ks);
    while (e != never && e - 1 <= this->now) {
      fire(k, ks, e);
      ks.fired_upto = e;
      e = next_unfired_end(ks);
    }
    auto dead = std::find_if(ks.panes.begin(), ks.panes.end(), [&](const pane& p) {
      return p.start + size - 1 + this->lateness > this->now;
    });
    ks.panes.erase(ks.panes.begin(), dead);
    if (ks.panes.empty()) return true;
    std::int64_t due = e == never ? never : e - 1;
    // A pane may outlive its last window (when slide does not divide size):
    // without a timer for it, a key that gets no more records would stay.
    if (this->lateness > 0 || e == never) due = std::min(due, ks.panes.front().start + size - 1 + this->lateness);
    ks.scheduled = due;
    if (due != never) this->schedule(due, k);
    return false;
  }

  template <class KK>
  bool add(const KK& key, const T& r) {
    std::int64_t t = this->time_of(r);
    // Everything below depends on t only through its pane (slide and size are
    // multiples of the pane), and consecutive records mostly share one: the
    // pane's figures are kept, saving three 64-bit divisions per record.
    if (!have_pane || t < cached_pane || t - cached_pane >= pane_size) {
      have_pane = true;
      cached_pane = pane_start(t);
      cached_last_start = t - floor_mod(t - offset, slide);
      cached_first_end = first_end(cached_pane);
    }
    std::int64_t last_start = cached_last_start;
    if (t - last_start >= size) {
      // slide > size: between windows, in none. Flink drops such a record,
      // unless t + lateness has passed the watermark: then it is late.
      if constexpr (!S::processing)
        if (t + this->lateness <= this->now) return this->on_late(r);
      return true;
    }
    if constexpr (!S::processing) {
      if (last_start + size - 1 + this->lateness <= this->now) return this->on_late(r);
    }
    const std::int64_t p = cached_pane;
    auto [slot, inserted] = keys.try_emplace(key);
    key_state& ks = slot->second;
    // A key holds about a window of panes: reserve that (within reason) once.
    if (inserted) ks.panes.reserve(static_cast<std::size_t>(std::min<std::int64_t>(size / pane_size + 1, 32)));
    auto& v = ks.panes;
    std::size_t i = v.size();
    while (i > 0 && v[i - 1].start > p) --i;
    if (i > 0 && v[i - 1].start == p)
      this->fn.add(v[i - 1].acc, r);
    else
      v.insert(v.begin() + static_cast<std::ptrdiff_t>(i), pane{p, this->fn.init(r)});

    std::int64_t e = cached_first_end;  // the end of the oldest window holding p
    bool go = true;
    if (e - 1 <= this->now) {
      // Some windows of p are due already. Flink goes through a record's
      // windows from the newest down and fires each one that is not late as
      // it adds the record, so: newest first; the late ones must never fire
      // with this record. A due window that held data fired at the watermark,
      // so those past fired_upto held nothing before this record, and after
      // it every window of p up to the newest due one counts as fired.
      const std::int64_t newest = last_start + size;
      std::int64_t due_end = newest;
      if (due_end - 1 > this->now)
        due_end = this->now + 1 - floor_mod(this->now + 1 - (offset + size), slide);
      for (std::int64_t x = due_end; x >= e && x - 1 + this->lateness > this->now; x -= slide)
        go = fire(slot->first, ks, x) && go;
      ks.fired_upto = std::max(ks.fired_upto, due_end);
      e = due_end + slide;
      if (e > newest) {
        // Every window of p is due: nothing to fire later, but p's pane must
        // still be dropped when its lateness is over.
        std::int64_t cleanup = p + size - 1 + this->lateness;
        if (cleanup < ks.scheduled) {
          ks.scheduled = cleanup;
          this->schedule(cleanup, slot->first);
        }
        return go;
      }
    }
    if (e - 1 < ks.scheduled) {
      ks.scheduled = e - 1;
      this->schedule(e - 1, slot->first);
    }
    return go;
  }

  void advance_to(std::int64_t t) {
    if (t <= this->now) return;
    this->now = t;
    if (this->bulk_due(t, keys.size())) {
      // A key's live timer is the one at ks.scheduled: visit the keys due in
      // one pass over the table (each key's windows still fire in time order).
      this->drop_timers_until(t);
      keys.erase_if([&](const SK& k, key_state& ks) {
        if (ks.scheduled > t) return false;
        auto* slot = keys.find(k);
        return advance_key_in_place(slot);
      });
      return;
    }
    this->run_timers(t, [&](const SK& k, std::int64_t at) {
      auto* slot = keys.find(k);
      if (slot && slot->second.scheduled == at) advance_key(slot);
    });
  }


  /// The state, for inspection and tests: key -> panes.
  const state::hash_map<SK, key_state>& state() const noexcept { return keys; }

  void finish() { advance_to(never); }

  // per key: panes (start, acc), fired_upto, scheduled (the key's timer)
  using key_snapshot = std::tuple<SK, std::vector<std::pair<std::int64_t, acc_type>>, std::int64_t, std::int64_t>;
  std::vector<key_snapshot> state_snapshot() const {
    return entries_of(keys, [](const SK& k, const key_state& ks) {
      std::vector<std::pair<std::int64_t, acc_type>> ps;
      for (const pane& p : ks.panes) ps.emplace_back(p.start, p.acc);
      return key_snapshot(k, std::move(ps), ks.fired_upto, ks.scheduled);
    });
  }
  void restore_state(std::vector<key_snapshot>&& s) {
    keys.clear();
    have_pane = false;
    for (auto& [k, ps, fired, scheduled] : s) {
      key_state ks;
      for (auto& [st, a] : ps) ks.panes.push_back(pane{st, std::move(a)});
      ks.fired_upto = fired;
      ks.scheduled = scheduled;
      if (scheduled != never) this->schedule(scheduled, k);
      keys.try_emplace_with(k, [&] { return std::move(ks); });
    }
  }
};

}  // namespace spate::detail
