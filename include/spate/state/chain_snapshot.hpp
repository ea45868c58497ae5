#pragma once
// The state of a whole built chain: every stage that keeps state snapshots
// it (`void snapshot(std::string&) const`, `bool restore(std::string_view)`),
// visited in chain order through each stage's `down`. A checkpoint stores
// one of these per fused segment; the restore law of the tests checks that a
// chain restored from it continues exactly where the original stood:
//   feed(a, xs[0, k)); b.restore(a.snapshot()); feed(b, xs[k, n)) == feed(a, xs)
#include <concepts>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace spate {

/// A built stage that keeps state and can snapshot and restore it.
template <class S>
concept stateful_stage = requires(const S& cs, S& s, std::string& out, std::string_view in) {
  { cs.snapshot(out) } -> std::same_as<void>;
  { s.restore(in) } -> std::same_as<bool>;
};

/// Whether a built stage keeps state across records: its `keeps_state`, or
/// else whether it can snapshot (what plans and metrics say of it).
template <class S>
constexpr bool keeps_state() {
  if constexpr (requires { S::keeps_state; })
    return bool(S::keeps_state);
  else
    return stateful_stage<S>;
}

/// A stateful stage that can say how many entries of keyed state it holds:
/// `state_keys()`, or the size of the table its `state()` returns (keys;
/// key-window panes for tumbling and triggered windows). What the metrics
/// report as the stage's keys (exec/metrics_snapshot.hpp).
template <class S>
concept counts_state_keys = stateful_stage<S> && (requires(const S& s) {
  { s.state_keys() } -> std::convertible_to<std::size_t>;
} || requires(const S& s) {
  { s.state().size() } -> std::convertible_to<std::size_t>;
});
template <counts_state_keys S>
std::size_t state_keys(const S& s) {
  if constexpr (requires { s.state_keys(); })
    return static_cast<std::size_t>(s.state_keys());
  else
    return static_cast<std::size_t>(s.state().size());
}

/// Calls f(stage) for a built chain's stages, first to last (the sink too).
template <class Chain, class F>
void for_each_stage(Chain& c, F&& f) {
  f(c);
  if constexpr (requires { c.down; }) for_each_stage(c.down, f);
}

/// How many stateful stages a chain has.
template <class Chain>
std::size_t stateful_stages(const Chain& c) {
  std::size_t n = 0;
  for_each_stage(c, [&](const auto& s) {
    if constexpr (stateful_stage<std::remove_cvref_t<decltype(s)>>) ++n;
  });
  return n;
}

/// A built stage that keeps state (it says `static constexpr bool
/// keeps_state = true`) but cannot snapshot it: its state type has no binary
/// encoding (serde/codec.hpp), or its strategy cannot be copied as bytes.
template <class S>
concept unsnapshottable_stage = requires {
  { S::keeps_state } -> std::convertible_to<bool>;
} && bool(S::keeps_state) && !stateful_stage<S>;

/// How many stages of a chain keep state they cannot snapshot.
template <class Chain>
std::size_t unsnapshottable_stages(const Chain& c) {
  std::size_t n = 0;
  for_each_stage(c, [&](const auto& s) {
    if constexpr (unsnapshottable_stage<std::remove_cvref_t<decltype(s)>>) ++n;
  });
  return n;
}

/// One snapshot per stateful stage, in chain order.
struct chain_snapshot {
  std::vector<std::string> states;
  friend bool operator==(const chain_snapshot&, const chain_snapshot&) = default;
};

template <class Chain>
chain_snapshot snapshot_chain(const Chain& c) {
  chain_snapshot s;
  for_each_stage(c, [&](const auto& st) {
    if constexpr (stateful_stage<std::remove_cvref_t<decltype(st)>>) st.snapshot(s.states.emplace_back());
  });
  return s;
}

/// Restores every stateful stage; false (state partly restored: build the
/// chain anew) when the snapshot is of another chain or a stage refuses it.
template <class Chain>
bool restore_chain(Chain& c, const chain_snapshot& s) {
  if (s.states.size() != stateful_stages(c)) return false;
  std::size_t i = 0;
  bool ok = true;
  for_each_stage(c, [&](auto& st) {
    if constexpr (stateful_stage<std::remove_cvref_t<decltype(st)>>) ok = st.restore(s.states[i++]) && ok;
  });
  return ok;
}

}  // namespace spate
