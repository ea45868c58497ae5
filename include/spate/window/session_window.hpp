#pragma once
// Session windows, per key. A record at t opens [t, t + gap); windows that
// touch or overlap merge (Flink's TimeWindow.intersects), and so do their
// accumulators (window_fn::merge), so a session keeps O(1) state except for
// process(). A session fires when the watermark reaches end − 1, stays for
// allowed lateness and re-fires on late records; a record whose merged
// session would already be past end − 1 + lateness goes to the late output.
#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "../state/snapshot.hpp"
#include "core.hpp"

namespace spate::detail {

template <class S>
struct session_window_op : window_core<S> {
  using core = window_core<S>;
  using typename core::T;
  using typename core::SK;
  using typename core::acc_type;

  struct session {
    std::int64_t start, end;
    acc_type acc;
    bool fired = false;
  };
  struct key_state {
    std::vector<session> sessions;  // sorted by start, disjoint
    std::int64_t scheduled = never;
  };
  std::int64_t gap;
  state::hash_map<SK, key_state> keys{};

  template <class Assigner>
  session_window_op(window_parts<S> p, const Assigner& a) : core(std::move(p)), gap(a.gap.count()) {}

  bool fire(const SK& k, session& s) {
    s.fired = true;
    return this->emit(k, time_window{from_millis(s.start), from_millis(s.end)}, s.acc);
  }
  std::int64_t due_of(const session& s) const noexcept { return s.fired ? s.end - 1 + this->lateness : s.end - 1; }

  void advance_key(typename state::hash_map<SK, key_state>::value_type* slot) {
    const SK& k = slot->first;
    key_state& ks = slot->second;
    for (session& s : ks.sessions)
      if (!s.fired && s.end - 1 <= this->now) fire(k, s);
    std::erase_if(ks.sessions, [&](const session& s) { return s.end - 1 + this->lateness <= this->now; });
    if (ks.sessions.empty()) {
      keys.erase(SK(k));
      return;
    }
    std::int64_t due = never;
    for (const session& s : ks.sessions) due = std::min(due, due_of(s));
    ks.scheduled = due;
    this->schedule(due, k);
  }

  template <class KK>
  bool add(const KK& key, const T& r) {
    std::int64_t t = this->time_of(r);
    std::int64_t lo = t, hi = t + gap;
    auto [slot, inserted] = keys.try_emplace(key);
    key_state& ks = slot->second;
    auto& v = ks.sessions;
    auto first = std::find_if(v.begin(), v.end(), [&](const session& s) { return s.end >= lo; });
    auto last = std::find_if(first, v.end(), [&](const session& s) { return s.start > hi; });
    std::int64_t start = lo, end = hi;
    if (first != last) start = std::min(start, first->start), end = std::max(end, std::prev(last)->end);
    if constexpr (!S::processing) {
      if (end - 1 + this->lateness <= this->now) {
        if (inserted) keys.erase(SK(slot->first));
        return this->on_late(r);
      }
    }
    session* s;
    if (first == last) {
      s = &*v.insert(first, session{start, end, this->fn.init(r), false});
    } else {
      for (auto it = std::next(first); it != last; ++it) this->fn.merge(first->acc, it->acc);
      this->fn.add(first->acc, r);
      bool grew = first->start != start || first->end != end || std::next(first) != last;
      first->start = start;
      first->end = end;
      if (grew) first->fired = false;  // a different window now: it fires as itself
      s = &*first;
      v.erase(std::next(first), last);
    }
    if (end - 1 <= this->now) {
      fire(slot->first, *s);  // due already: fire now (a late firing)
      advance_key(slot);
      return true;
    }
    std::int64_t due = due_of(*s);
    if (due < ks.scheduled) {
      ks.scheduled = due;
      this->schedule(due, slot->first);
    }
    return true;
  }

  void advance_to(std::int64_t t) {
    if (t <= this->now) return;
    this->now = t;
    this->run_timers(t, [&](const SK& k, std::int64_t at) {
      auto* slot = keys.find(k);
      if (slot && slot->second.scheduled == at) advance_key(slot);
    });
  }

  const state::hash_map<SK, key_state>& state() const noexcept { return keys; }

  void finish() { advance_to(never); }

  // per key: sessions (start, end, acc, fired), scheduled (the key's timer)
  using key_snapshot =
      std::tuple<SK, std::vector<std::tuple<std::int64_t, std::int64_t, acc_type, bool>>, std::int64_t>;
  std::vector<key_snapshot> state_snapshot() const {
    return entries_of(keys, [](const SK& k, const key_state& ks) {
      std::vector<std::tuple<std::int64_t, std::int64_t, acc_type, bool>> v;
      for (const session& x : ks.sessions) v.emplace_back(x.start, x.end, x.acc, x.fired);
      return key_snapshot(k, std::move(v), ks.scheduled);
    });
  }
  void restore_state(std::vector<key_snapshot>&& s) {
    keys.clear();
    for (auto& e : s) {
      key_state ks;
      for (auto& x : std::get<1>(e))
        ks.sessions.push_back(session{std::get<0>(x), std::get<1>(x), std::move(std::get<2>(x)), std::get<3>(x)});
      ks.scheduled = std::get<2>(e);
      if (ks.scheduled != never) this->schedule(ks.scheduled, std::get<0>(e));
      keys.try_emplace_with(std::get<0>(e), [&] { return std::move(ks); });
    }
  }
};

}  // namespace spate::detail
