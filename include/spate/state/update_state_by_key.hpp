#pragma once
// Spark's updateStateByKey and mapWithState: state per key carried across
// micro-batches.
//
// update_state_by_key<S>(f), after key_by:
//   f(const std::vector<T>& new_values, const std::optional<S>& state) -> std::optional<S>
// At each batch end f runs for every key that has state or new records
// (Spark calls it for all keys); std::nullopt removes the key. Emits
// (key, state) for every key that keeps state. At the end of input a last
// batch runs if records arrived since the previous batch end.
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "../algebra/stage.hpp"
#include "hash_map.hpp"
#include "snapshot.hpp"

namespace spate {

template <class S, class F>
struct update_state_by_key_stage : stage_tag {
  F fn;
  static constexpr const char* name = "update_state_by_key";

  template <class Flow>
  static constexpr bool check() {
    using T = typename Flow::value_type;
    if constexpr (!Flow::keyed) {
      (void)&diagnostic::report<diagnostic::stage_needs_keyed_stream<"update_state_by_key", T>>;
      return false;
    } else if constexpr (!std::is_invocable_r_v<std::optional<S>, F&, const std::vector<T>&,
                                                const std::optional<S>&>) {
      (void)&diagnostic::report<diagnostic::stage_cannot_accept_input<"update_state_by_key", T, F>>;
      return false;
    } else {
      return true;
    }
  }
  template <class Flow>
  using output = flow<std::pair<state::owned_key_t<typename Flow::key_type>, S>>;

  template <class SK, class T, class Down>
  struct built : forward_control<Down> {
    F fn;
    stage_label label;
    struct entry {
      std::vector<T> fresh;
      std::optional<S> st;
    };
    state::hash_map<SK, entry> keys{};
    bool pending = false;

    template <class KK, class R>
    bool push_keyed(const KK& k, R&& r) {
      keys[k].fresh.push_back(std::forward<R>(r));
      pending = true;
      return true;
    }
    void run_batch() {
      pending = false;
      keys.erase_if([&](const SK& k, entry& e) {
        e.st = detail::call_user(label, fn, std::as_const(e.fresh), std::as_const(e.st));
        e.fresh.clear();
        if (!e.st) return true;
        this->down.push(std::pair<SK, S>(k, *e.st));
        return false;
      });
    }
    void on_batch_end(const batch_info& b) {
      run_batch();
      this->down.on_batch_end(b);
    }
    void on_end() {
      if (pending) run_batch();
      this->down.on_end();
    }
    const state::hash_map<SK, entry>& state() const noexcept { return keys; }

    // key, records of the open batch, state
    using snapshot_type = std::vector<std::tuple<SK, std::vector<T>, std::optional<S>>>;
    /// Appends every key's state (and the open batch's records) as one binary record.
    static constexpr bool keeps_state = true;
    void snapshot(std::string& out) const
      requires serde::Encodable<snapshot_type>
    {
      detail::snapshot_value(detail::entries_of(keys, [](const SK& k, const entry& e) {
                               return std::tuple(k, e.fresh, e.st);
                             }),
                             out);
    }
    /// Replaces the state with a snapshot; false (state untouched) if it does not decode.
    bool restore(std::string_view in)
      requires serde::Encodable<snapshot_type>
    {
      auto s = detail::restore_value<snapshot_type>(in);
      if (!s) return false;
      keys.clear();
      pending = false;
      for (auto& e : *s) {
        pending = pending || !std::get<1>(e).empty();
        keys.try_emplace_with(std::get<0>(e), [&] { return entry{std::move(std::get<1>(e)), std::move(std::get<2>(e))}; });
      }
      return true;
    }
  };
  template <class Flow, class Env, class Down>
  auto build(Env&, stage_label label, Down&& down) const {
    using SK = state::owned_key_t<typename Flow::key_type>;
    return built<SK, typename Flow::value_type, std::remove_cvref_t<Down>>{{std::forward<Down>(down)}, fn, label};
  }
};

/// Spark's updateStateByKey: per key, state S updated once per batch.
template <class S, class F>
constexpr auto update_state_by_key(F f) {
  return update_state_by_key_stage<S, F>{{}, std::move(f)};
}

}  // namespace spate
