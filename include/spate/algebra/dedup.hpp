#pragma once
// Deduplication per key (Flink's Deduplication: ROW_NUMBER() OVER (PARTITION
// BY key ORDER BY time) = 1). Each emits the record itself.
//   keep_first()          the first record of each key, in arrival order, and
//                         never another: an append-only stream, emitted at
//                         once in every mode. State: the keys seen.
//   keep_first().expire_after(d, ts)
//                         the same, but a key's entry lasts d of event time
//                         from its first record: a record with ts(r) >=
//                         ts(first) + d is a first again (and starts a new
//                         period). Entries past the watermark by d are
//                         dropped, so the state does not grow forever.
//   keep_last()           the latest record of each key, in arrival order.
//   keep_latest(ts)       the record with the greatest ts(r) per key (of
//                         equal ones, the later arrival: Flink's keep-last-row
//                         on event time).
//   keep_earliest(ts)     the record with the smallest ts(r) per key (of
//                         equal ones, the earlier arrival: Flink's
//                         keep-first-row on event time).
// keep_last, keep_latest and keep_earliest are updating: rolling
// (continuous) they emit each record that becomes its key's kept record (a
// record that does not replace it emits nothing); compacted (micro-batch,
// batch) they emit each key whose kept record changed, once per batch, with
// its kept record (Flink's upsert stream keyed by the key; the last record
// emitted per key is the kept one either way).
//   ... | key_by(&bid::url) | keep_first()
//   ... | key_by([](const bid& b) { return std::pair(b.bidder, b.auction); }) | keep_latest(&bid::date_time)
// All keep their state per key in a state::hash_map, snapshot it, restore it
// and rescale it by key group.
#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "../core/key_group.hpp"
#include "../state/hash_map.hpp"
#include "../state/snapshot.hpp"
#include "../time/timestamp.hpp"
#include "aggregations.hpp"
#include "keyed_state.hpp"

namespace spate {

/// keep_first(): the first record per key; with expire_after, per period.
template <class TsFn = no_timestamp>
struct keep_first_stage : stage_tag {
  TsFn ts;
  duration ttl{0};
  static constexpr const char* name = "keep_first";
  static constexpr bool expires = !std::is_same_v<TsFn, no_timestamp>;

  /// A key's entry lasts d of event time (ts) from its first record.
  template <class F>
  keep_first_stage<F> expire_after(duration d, F f) const {
    static_assert(!expires, "spate: keep_first().expire_after(...) was given twice");
    return {{}, std::move(f), d};
  }

  template <class Flow>
  static constexpr bool check() {
    using T = typename Flow::value_type;
    if constexpr (!Flow::keyed) {
      (void)&diagnostic::report<diagnostic::stage_needs_keyed_stream<"keep_first", T>>;
      return false;
    } else if constexpr (expires && !TimestampFunction<TsFn, T>) {
      (void)&diagnostic::report<diagnostic::stage_cannot_accept_input<"keep_first", T, TsFn>>;
      return false;
    } else {
      return true;
    }
  }
  template <class Flow>
  using output = flow<typename Flow::value_type>;

  // State: key -> event time (ms) of the key's first record (0 without expiry).
  template <class Key, class Down>
  struct built : forward_control<Down> {
    using table_type = state::hash_map<Key, std::int64_t>;
    table_type table;
    TsFn ts;
    std::int64_t ttl_ms = 0;
    stage_label label;
    std::int64_t next_purge = std::numeric_limits<std::int64_t>::min();

    template <class K, class R>
    bool push_keyed(const K& k, R&& r) {
      if constexpr (!expires) {
        if (!table.try_emplace_with(k, [] { return std::int64_t{0}; }).second) return true;
      } else {
        const std::int64_t t = to_millis(detail::call_user(label, [&](const auto& x) { return timestamp_of(ts, x); }, std::as_const(r)));
        auto [slot, fresh] = table.try_emplace_with(k, [&] { return t; });
        if (!fresh) {
          if (t - slot->second < ttl_ms) return true;  // within the period of the key's first
          slot->second = t;
        }
      }
      return this->down.push(std::forward<R>(r));
    }
    void on_watermark(event_time w) {
      if constexpr (expires) {
        const std::int64_t now = to_millis(w);
        if (now >= next_purge) {  // at most one pass per period of the watermark
          table.erase_if([&](const Key&, std::int64_t first) { return now - first >= ttl_ms; });
          next_purge = now + std::max<std::int64_t>(ttl_ms, 1);
        }
      }
      this->down.on_watermark(w);
    }

    static constexpr bool keeps_state = true;
    void snapshot(std::string& out) const
      requires serde::Encodable<std::vector<std::tuple<Key, std::int64_t>>>
    {
      detail::snapshot_entries<Key, std::int64_t>(
          table.size(), [&](auto&& emit) { table.for_each([&](const Key& k, std::int64_t t) { emit(k, t); }); }, out);
    }
    bool restore(std::string_view in)
      requires serde::Encodable<std::vector<std::tuple<Key, std::int64_t>>>
    {
      auto v = detail::restore_value<std::vector<std::tuple<Key, std::int64_t>>>(in);
      if (!v) return false;
      table.clear();
      for (const auto& e : *v) {
        const std::int64_t t = std::get<1>(e);  // not a structured binding: clang 14 cannot capture those
        table.try_emplace_with(std::get<0>(e), [t] { return t; });
      }
      return true;
    }
    bool restore_rescaled(const std::vector<std::string_view>& parts, key_group_range mine)
      requires serde::Encodable<std::vector<std::tuple<Key, std::int64_t>>>
    {
      table.clear();
      const key_groups kg;
      for (std::string_view in : parts) {
        auto v = detail::restore_value<std::vector<std::tuple<Key, std::int64_t>>>(in);
        if (!v) return false;
        for (const auto& e : *v) {
          if (!mine.contains(kg.group_of(std::get<0>(e)))) continue;
          const std::int64_t t = std::get<1>(e);
          if (!table.try_emplace_with(std::get<0>(e), [t] { return t; }).second) return false;  // one key in two subtasks
        }
      }
      return true;
    }
    const table_type& state() const noexcept { return table; }
  };
  template <class Flow, class Env, class Down>
  auto build(Env&, stage_label label, Down&& down) const {
    using Key = state::owned_key_t<typename Flow::key_type>;
    return built<Key, std::remove_cvref_t<Down>>{{std::forward<Down>(down)}, {}, ts, ttl.count(), label};
  }
};

namespace detail {
enum class keep { last, latest, earliest };
}

/// keep_last / keep_latest / keep_earliest: the kept record per key.
template <detail::keep Which, class TsFn = no_timestamp>
struct keep_stage : stage_tag {
  TsFn ts;
  static constexpr const char* name = Which == detail::keep::last     ? "keep_last"
                                      : Which == detail::keep::latest ? "keep_latest"
                                                                      : "keep_earliest";

  template <class Flow>
  static constexpr bool check() {
    using T = typename Flow::value_type;
    if constexpr (!Flow::keyed) {
      if constexpr (Which == detail::keep::last)
        (void)&diagnostic::report<diagnostic::stage_needs_keyed_stream<"keep_last", T>>;
      else if constexpr (Which == detail::keep::latest)
        (void)&diagnostic::report<diagnostic::stage_needs_keyed_stream<"keep_latest", T>>;
      else
        (void)&diagnostic::report<diagnostic::stage_needs_keyed_stream<"keep_earliest", T>>;
      return false;
    } else if constexpr (Which != detail::keep::last && !TimestampFunction<TsFn, T>) {
      if constexpr (Which == detail::keep::latest)
        (void)&diagnostic::report<diagnostic::stage_cannot_accept_input<"keep_latest", T, TsFn>>;
      else
        (void)&diagnostic::report<diagnostic::stage_cannot_accept_input<"keep_earliest", T, TsFn>>;
      return false;
    } else {
      return true;
    }
  }
  template <class Flow>
  using output = flow<typename Flow::value_type>;

  // The table of (key, kept record) emits pairs; the record goes on.
  template <emit_mode Mode, class Key, class T, class Down>
  struct built : keyed_table<Mode, Key, T, detail::record_of_update<Down>> {
    TsFn ts;
    stage_label label;
    template <class R>
    std::int64_t time_of(const R& r) {
      return to_millis(detail::call_user(label, [&](const auto& x) { return timestamp_of(ts, x); }, r));
    }
    template <class K, class R>
    bool push_keyed(const K& k, R&& r) {
      auto [slot, fresh] = this->table.try_emplace_with(k, [&] { return T(std::forward<R>(r)); });  // r is used only when not fresh
      if (!fresh) {
        if constexpr (Which == detail::keep::latest) {
          if (time_of(r) < time_of(std::as_const(slot->second))) return true;
        } else if constexpr (Which == detail::keep::earliest) {
          if (!(time_of(r) < time_of(std::as_const(slot->second)))) return true;
        }
        slot->second = T(std::forward<R>(r));
      }
      if constexpr (Mode == emit_mode::compacted) this->table.mark(slot);
      return this->updated(slot);
    }
  };
  template <class Flow, class Env, class Down>
  auto build(Env&, stage_label label, Down&& down) const {
    using Key = state::owned_key_t<typename Flow::key_type>;
    using D = detail::record_of_update<std::remove_cvref_t<Down>>;
    return built<Env::mode, Key, typename Flow::value_type, std::remove_cvref_t<Down>>{
        {{D{{std::forward<Down>(down)}}}, {}}, ts, label};
  }
};

/// The first record of each key (arrival order), never another.
constexpr keep_first_stage<> keep_first() { return {}; }
/// The latest record of each key, in arrival order.
constexpr keep_stage<detail::keep::last> keep_last() { return {}; }
/// The record with the greatest ts(r) of each key (ties: the later arrival).
template <class TsFn>
constexpr keep_stage<detail::keep::latest, TsFn> keep_latest(TsFn ts) {
  return {{}, std::move(ts)};
}
/// The record with the smallest ts(r) of each key (ties: the earlier arrival).
template <class TsFn>
constexpr keep_stage<detail::keep::earliest, TsFn> keep_earliest(TsFn ts) {
  return {{}, std::move(ts)};
}

}  // namespace spate
