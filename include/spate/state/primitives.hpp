#pragma once
// Per-key state cells, for a keyed process function's state struct:
//   struct per_user {
//     spate::value_state<long> count;
//     spate::list_state<Click> pending;
//     spate::map_state<std::string, int> by_page;
//     spate::reducing_state<long, std::plus<>> total;
//   };
// The struct lives, one per key, in the stage's hash map; ctx.state() is the
// current key's. Each cell is a plain value, so the whole state is a value
// that can be copied, compared and snapshotted.
#include <cstddef>
#include <functional>
#include <optional>
#include <utility>
#include <vector>

#include "hash_map.hpp"

namespace spate {

/// One value (Flink's ValueState): empty until updated.
template <class V>
struct value_state {
  std::optional<V> v;
  bool has_value() const noexcept { return v.has_value(); }
  const V& value() const { return *v; }
  V value_or(V d) const { return v ? *v : std::move(d); }
  void update(V x) { v = std::move(x); }
  void clear() noexcept { v.reset(); }
  friend bool operator==(const value_state&, const value_state&) = default;
};

/// A list of values (Flink's ListState).
template <class V>
struct list_state {
  std::vector<V> items;
  void add(V x) { items.push_back(std::move(x)); }
  const std::vector<V>& get() const noexcept { return items; }
  void update(std::vector<V> xs) { items = std::move(xs); }
  bool empty() const noexcept { return items.empty(); }
  void clear() noexcept { items.clear(); }
  friend bool operator==(const list_state&, const list_state&) = default;
};

/// A map from user keys to values (Flink's MapState), on spate's flat hash map.
template <class K, class V>
struct map_state {
  state::hash_map<K, V> m;
  template <class Q>
  void put(const Q& k, V v) { m[k] = std::move(v); }
  template <class Q>
  const V* get(const Q& k) const { auto* p = m.find(k); return p ? &p->second : nullptr; }
  template <class Q>
  bool contains(const Q& k) const { return m.find(k) != nullptr; }
  template <class Q>
  bool remove(const Q& k) { return m.erase(k); }
  template <class F>
  void for_each(F&& f) const { m.for_each(std::forward<F>(f)); }
  std::size_t size() const noexcept { return m.size(); }
  bool empty() const noexcept { return m.empty(); }
  void clear() { m.clear(); }
};

/// A value that add() combines with F (Flink's ReducingState).
template <class V, class F>
struct reducing_state {
  std::optional<V> v;
  [[no_unique_address]] F f{};
  void add(const V& x) { v = v ? std::invoke(f, std::move(*v), x) : x; }
  bool has_value() const noexcept { return v.has_value(); }
  const V& get() const { return *v; }
  void clear() noexcept { v.reset(); }
};

}  // namespace spate
