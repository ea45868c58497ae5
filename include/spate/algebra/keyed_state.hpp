#pragma once
// What rolling keyed aggregations (reduce, fold, aggregate, count) share: the
// per-key state table and how updates are emitted.
//   rolling   (continuous): every update goes downstream at once, as
//             std::pair<Key, Value> (Flink's rolling reduce on a KeyedStream);
//   compacted (micro-batch / batch): the table marks the keys changed since
//             the last batch end and emits each once, with its latest value,
//             at on_batch_end and on_end (Spark's per-batch output).
// Either way the last value seen per key is the same: micro-batch output is
// the continuous output compacted at batch ends.
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "../core/key_group.hpp"
#include "../state/hash_map.hpp"
#include "../state/snapshot.hpp"
#include "stage.hpp"

namespace spate {

template <class Flow>
concept keyed_flow = Flow::keyed;

template <emit_mode Mode, class Key, class Value, class Down>
struct keyed_table : forward_control<Down> {
  using table_type = state::hash_map<Key, Value>;
  table_type table;

  /// The entry of key k (made by make() when new), about to be updated;
  /// compacted, it is marked for the batch end in the same probe.
  template <class K, class Make>
  auto upsert(const K& k, Make&& make) {
    return table.template try_emplace_with<Mode == emit_mode::compacted>(k, std::forward<Make>(make));
  }
  /// After `slot` changed: emit it now (rolling); compacted, upsert marked it.
  bool updated(typename table_type::value_type* slot) {
    if constexpr (Mode == emit_mode::rolling)
      return this->down.push(std::as_const(*slot));
    else
      return true;
  }
  void flush() {
    if constexpr (Mode == emit_mode::compacted)
      table.drain_marked([&](const auto& kv) { this->down.push(kv); });
  }
  void on_batch_end(const batch_info& b) {
    flush();
    this->down.on_batch_end(b);
  }
  void on_end() {
    flush();
    this->down.on_end();
  }
  /// Every key's value and, compacted, whether it changed since the last
  /// batch end (so a restored table emits at the next batch end what the
  /// original would have).
  static constexpr bool keeps_state = true;
  void snapshot(std::string& out) const
    requires serde::Encodable<std::vector<std::tuple<Key, Value, bool>>>
  {
    // Encoded as that vector, straight from the table.
    detail::snapshot_entries<Key, Value, bool>(
        table.size(), [&](auto&& emit) { table.for_each_with_mark([&](const Key& k, const Value& x, bool m) { emit(k, x, m); }); },
        out);
  }
  /// Restores at another parallelism: the entries of every old subtask's
  /// snapshot whose key belongs to the key groups `mine`.
  bool restore_rescaled(const std::vector<std::string_view>& parts, key_group_range mine)
    requires serde::Encodable<std::vector<std::tuple<Key, Value, bool>>>
  {
    table.clear();
    const key_groups kg;
    for (std::string_view in : parts) {
      auto v = detail::restore_value<std::vector<std::tuple<Key, Value, bool>>>(in);
      if (!v) return false;
      for (auto& [k, x, marked] : *v) {
        if (!mine.contains(kg.group_of(k))) continue;
        auto [slot, fresh] = table.try_emplace_with(k, [&] { return std::move(x); });
        if (!fresh) return false;  // one key in two subtasks' state: not one job's checkpoint
        if (marked) table.mark(slot);
      }
    }
    return true;
  }
  bool restore(std::string_view in)
    requires serde::Encodable<std::vector<std::tuple<Key, Value, bool>>>
  {
    auto v = detail::restore_value<std::vector<std::tuple<Key, Value, bool>>>(in);
    if (!v) return false;
    table.clear();
    for (auto& [k, x, marked] : *v) {
      auto [slot, fresh] = table.try_emplace_with(k, [&] { return std::move(x); });
      (void)fresh;
      if (marked) table.mark(slot);
    }
    return true;
  }
  /// The state, for inspection, snapshots and tests.
  const table_type& state() const noexcept { return table; }
  table_type& state() noexcept { return table; }
};

}  // namespace spate
