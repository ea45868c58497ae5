#pragma once
// Spark's mapWithState, after key_by: each record maps to one output with
// access to its key's state.
//   map_with_state<S>(f).timeout(30s)
//   f(const K& key, const T* value, state_handle<S>& state) -> R
// value is null when the call is a timeout: the key saw no record for the
// timeout (processing time, from on_tick); state.is_timing_out() is then true
// and the state is removed after the call. state_handle: exists(), get(),
// update(s), remove().
#include <cstdint>
#include <map>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

#include "../algebra/stage.hpp"
#include "hash_map.hpp"
#include "snapshot.hpp"

namespace spate {

template <class S>
struct state_handle {
  std::optional<S>* slot;
  bool timing_out = false;
  bool exists() const noexcept { return slot->has_value(); }
  const S& get() const { return **slot; }
  void update(S s) { *slot = std::move(s); }
  void remove() noexcept { slot->reset(); }
  bool is_timing_out() const noexcept { return timing_out; }
};

template <class S, class F>
struct map_with_state_stage : stage_tag {
  F fn;
  duration idle_timeout{0};  // 0: never
  static constexpr const char* name = "map_with_state";

  /// Call f once more (value == nullptr) for keys idle for d, then drop their state.
  map_with_state_stage timeout(duration d) const {
    auto c = *this;
    c.idle_timeout = d;
    return c;
  }

  template <class Flow>
  using key_t = state::owned_key_t<typename Flow::key_type>;
  template <class Flow>
  using result_t =
      std::remove_cvref_t<stage_result_t<F, const key_t<Flow>&, const typename Flow::value_type*, state_handle<S>&>>;
  template <class Flow>
  static constexpr bool check() {
    using T = typename Flow::value_type;
    if constexpr (!Flow::keyed) {
      (void)&diagnostic::report<diagnostic::stage_needs_keyed_stream<"map_with_state", T>>;
      return false;
    } else if constexpr (!stage_invocable<F, const key_t<Flow>&, const T*, state_handle<S>&>) {
      (void)&diagnostic::report<diagnostic::stage_cannot_accept_input<"map_with_state", T, F>>;
      return false;
    } else {
      return true;
    }
  }
  template <class Flow>
  using output = flow<result_t<Flow>>;

  template <class SK, class T, class Down>
  struct built : forward_control<Down> {
    F fn;
    std::int64_t timeout_ms;
    stage_label label;
    struct entry {
      std::optional<S> st;
      std::int64_t last_seen = 0;
    };
    state::hash_map<SK, entry> keys{};
    std::map<std::int64_t, std::vector<SK>> deadlines{};
    std::int64_t now = 0;

    template <class KK, class R>
    bool push_keyed(const KK& k, R&& r) {
      auto [slot, inserted] = keys.try_emplace(k);
      (void)inserted;
      entry& e = slot->second;
      state_handle<S> h{&e.st};
      const T& rec = r;
      bool go = this->down.push(detail::call_user(label, fn, std::as_const(slot->first), &rec, h));
      if (!e.st) {
        keys.erase(k);
      } else if (timeout_ms > 0) {
        e.last_seen = now;
        deadlines[now + timeout_ms].push_back(slot->first);
      }
      return go;
    }
    void on_tick(event_time t) {
      now = to_millis(t);
      while (!deadlines.empty() && deadlines.begin()->first <= now) {
        auto node = deadlines.extract(deadlines.begin());
        for (const SK& k : node.mapped()) {
          auto* slot = keys.find(k);
          if (!slot || slot->second.last_seen + timeout_ms != node.key()) continue;  // seen since
          state_handle<S> h{&slot->second.st, true};
          this->down.push(detail::call_user(label, fn, std::as_const(slot->first), static_cast<const T*>(nullptr), h));
          keys.erase(k);
        }
      }
      this->down.on_tick(t);
    }
    const state::hash_map<SK, entry>& state() const noexcept { return keys; }

    // key, state, last seen; then the current processing time
    using snapshot_type = std::tuple<std::vector<std::tuple<SK, std::optional<S>, std::int64_t>>, std::int64_t>;
    /// Appends every key's state and when it was last seen as one binary record.
    static constexpr bool keeps_state = true;
    void snapshot(std::string& out) const
      requires serde::Encodable<snapshot_type>
    {
      snapshot_type s{detail::entries_of(keys, [](const SK& k, const entry& e) { return std::tuple(k, e.st, e.last_seen); }),
                      now};
      detail::snapshot_value(s, out);
    }
    /// Replaces the state with a snapshot (timeouts are rebuilt); false (state
    /// untouched) if it does not decode.
    bool restore(std::string_view in)
      requires serde::Encodable<snapshot_type>
    {
      auto s = detail::restore_value<snapshot_type>(in);
      if (!s) return false;
      keys.clear();
      deadlines.clear();
      now = std::get<1>(*s);
      for (auto& e : std::get<0>(*s)) {  // (no structured binding: clang 14 cannot capture one)
        const std::int64_t seen = std::get<2>(e);
        if (timeout_ms > 0) deadlines[seen + timeout_ms].push_back(std::get<0>(e));
        keys.try_emplace_with(std::get<0>(e), [&] { return entry{std::move(std::get<1>(e)), seen}; });
      }
      return true;
    }
  };
  template <class Flow, class Env, class Down>
  auto build(Env&, stage_label label, Down&& down) const {
    return built<key_t<Flow>, typename Flow::value_type, std::remove_cvref_t<Down>>{
        {std::forward<Down>(down)}, fn, idle_timeout.count(), label};
  }
};

/// Spark's mapWithState: f(key, value*, state_handle<S>&) -> R per record.
template <class S, class F>
constexpr auto map_with_state(F f) {
  return map_with_state_stage<S, F>{{}, std::move(f)};
}

}  // namespace spate
