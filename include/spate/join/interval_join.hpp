#pragma once
// interval_join(lower, upper, f) after connect(a, b) | key_by(ka, kb): every
// pair of an A and a B of one key with
//     a.ts + lower <= b.ts <= a.ts + upper
// becomes f(a, b) (Flink's KeyedStream.intervalJoin(...).between(lower,
// upper).process(f)), in event time:
//   connect(orders, payments) | key_by(&Order::id, &Payment::order)
//       | interval_join(-1s, 5s, [](const Order& o, const Payment& p) { return Paid{o.id, p.amount}; })
// .lower_bound_exclusive() / .upper_bound_exclusive() make a bound strict.
// Each record is kept until the watermark passes the last time a record of
// the other side could still match it (a: a.ts + max(upper, 0); b: b.ts +
// max(-lower, 0)), then dropped with the watermark, so state stays bounded
// by the interval. A record older than the watermark (Flink: ts < watermark)
// could miss matches: it is late, joins nothing, and goes to the side output
// of .late_left_to(tag) / .late_right_to(tag), or, without one, is counted
// (late_count(), .count_late_into(counter)); never silently dropped.
// (Flink drops a buffered record at watermark == its last time; here it goes
// one millisecond later, so that a record exactly at the watermark, which is
// not late, still finds every match.)
// The state (both sides' buffers and the watermark) is snapshotted and
// restored like any keyed state, also at another parallelism by key group.
#include <algorithm>
#include <cstdint>
#include <optional>
#include <queue>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "../algebra/side_output.hpp"
#include "../algebra/stage.hpp"
#include "../core/key_group.hpp"
#include "../state/hash_map.hpp"
#include "../state/snapshot.hpp"
#include "co_process.hpp"
#include "either.hpp"

namespace spate {

namespace diagnostic {
// READ THIS IF YOUR COMPILE BREAKS HERE: a join's function (the stage is the
// first argument) must accept (const A&, const B&): A, input 1's records,
// then B, input 2's records, then the function you gave.
template <fixed_string Stage, class A, class B, class Function>
struct join_function_cannot_accept {
  static_assert(always_false<Function>,
                "spate: the join function cannot be called with (input 1's record, input 2's record)");
};
}  // namespace diagnostic

/// No side output for late records of one input: they are counted.
struct no_late_tag {};

namespace detail {
// f(a, b) must be callable and give a record (not void).
template <class A, class B, class F>
constexpr bool join_function_fits() {
  if constexpr (stage_invocable<F, const A&, const B&>) return !std::is_void_v<stage_result_t<F, const A&, const B&>>;
  else return false;
}
template <fixed_string Stage, class A, class B, class F>
constexpr bool check_join_function() {
  if constexpr (join_function_fits<A, B, F>()) {
    return true;
  } else {
    (void)&diagnostic::report<diagnostic::join_function_cannot_accept<Stage, A, B, F>>;
    return false;
  }
}

template <fixed_string Stage, class Flow, class F>
constexpr bool check_join_input() {
  using T = typename Flow::value_type;
  if constexpr (!is_either_v<T>) {
    (void)&diagnostic::report<diagnostic::stage_needs_connected_stream<Stage, T>>;
    return false;
  } else if constexpr (!Flow::keyed) {
    (void)&diagnostic::report<diagnostic::stage_needs_keyed_stream<Stage, T>>;
    return false;
  } else {
    return check_join_function<Stage, typename T::first_type, typename T::second_type, F>();
  }
}

inline std::string untimed_record_message(std::string_view stage, std::size_t side) {
  return std::string(stage) + ": a record of input " + std::to_string(side) +
         " carries no event time: put with_watermarks(ts, strategy) on both inputs before connect";
}
// The times at which buffered records expire, (time, key), popped oldest
// first. Each input's records mostly arrive in time order, so each input has
// a FIFO that takes a time no older than its last one (O(1) a record), and a
// heap takes the rest (out-of-order records).
template <class Key>
class expiry_queue {
 public:
  using expiry = std::pair<std::int64_t, Key>;
  void push(std::size_t side, std::int64_t at, const Key& k) {
    fifo& f = in_order_[side];
    if (f.head == f.items.size() || f.items.back().first <= at) f.items.emplace_back(at, k);
    else rest_.emplace(at, k);
  }
  /// The key of the oldest expiry before `t`, removed; none when there is none.
  std::optional<Key> pop_before(std::int64_t t) {
    fifo* best = nullptr;
    std::int64_t at = t;
    for (fifo& f : in_order_)
      if (f.head < f.items.size() && f.items[f.head].first < at) {
        best = &f;
        at = f.items[f.head].first;
      }
    if (!rest_.empty() && rest_.top().first < at) {
      std::optional<Key> k(std::move(const_cast<expiry&>(rest_.top()).second));
      rest_.pop();
      return k;
    }
    if (!best) return std::nullopt;
    std::optional<Key> k(std::move(best->items[best->head].second));
    best->pop();
    return k;
  }
  void clear() {
    for (fifo& f : in_order_) f = {};
    rest_ = {};
  }

 private:
  struct fifo {
    std::vector<expiry> items;
    std::size_t head = 0;
    void pop() {
      if (++head == items.size()) {
        items.clear();
        head = 0;
      } else if (head >= 1024 && head * 2 >= items.size()) {  // amortized: drop the popped front
        items.erase(items.begin(), items.begin() + static_cast<std::ptrdiff_t>(head));
        head = 0;
      }
    }
  };
  fifo in_order_[2];
  std::priority_queue<expiry, std::vector<expiry>, std::greater<>> rest_;
};

}  // namespace detail

template <class F, class LateA = no_late_tag, class LateB = no_late_tag>
struct interval_join_stage : stage_tag {
  F fn;
  duration lower{0};
  duration upper{0};
  bool lower_exclusive = false;
  bool upper_exclusive = false;
  std::uint64_t* late_counter = nullptr;
  static constexpr const char* name = "interval_join";

  interval_join_stage lower_bound_exclusive() const {
    auto c = *this;
    c.lower_exclusive = true;
    return c;
  }
  interval_join_stage upper_bound_exclusive() const {
    auto c = *this;
    c.upper_exclusive = true;
    return c;
  }
  /// Late records of input 1 go to side output `tag` (Flink's sideOutputLeftLateData).
  template <class Tag>
    requires is_output_tag_v<Tag>
  interval_join_stage<F, Tag, LateB> late_left_to(const Tag&) const {
    return {{}, fn, lower, upper, lower_exclusive, upper_exclusive, late_counter};
  }
  /// Late records of input 2 go to side output `tag` (Flink's sideOutputRightLateData).
  template <class Tag>
    requires is_output_tag_v<Tag>
  interval_join_stage<F, LateA, Tag> late_right_to(const Tag&) const {
    return {{}, fn, lower, upper, lower_exclusive, upper_exclusive, late_counter};
  }
  /// Adds the number of late records (of both inputs) to `counter`.
  interval_join_stage count_late_into(std::uint64_t& counter) const {
    auto c = *this;
    c.late_counter = &counter;
    return c;
  }

  template <class Flow>
  static constexpr bool check() {
    return detail::check_join_input<"interval_join", Flow, F>();
  }
  template <class T>
  using result_t = std::remove_cvref_t<stage_result_t<F, const typename T::first_type&, const typename T::second_type&>>;
  template <class Flow>
  using output = flow<result_t<typename Flow::value_type>>;

  template <class SK, class A, class B, class Down>
  struct built : forward_control<Down> {
    using R = result_t<either<A, B>>;
    struct buffers {
      std::vector<std::pair<std::int64_t, A>> left;
      std::vector<std::pair<std::int64_t, B>> right;
    };
    F fn;
    stage_label label;
    std::int64_t lo = 0, hi = 0;  // inclusive bounds, ms
    std::uint64_t* late_counter = nullptr;
    state::hash_map<SK, buffers> keys{};
    std::size_t state_keys() const noexcept { return keys.size(); }
    // (time after which a buffered record can match nothing, key); a key may
    // be in it several times: each pop purges what expired of its buffers.
    detail::expiry_queue<SK> expiries{};
    std::int64_t watermark = INT64_MIN;
    std::uint64_t late = 0;

    std::int64_t keep_left() const noexcept { return std::max<std::int64_t>(hi, 0); }
    std::int64_t keep_right() const noexcept { return std::max<std::int64_t>(-lo, 0); }

    template <class Tag, class V>
    void to_late(const V& v) {
      ++late;
      if (late_counter) ++*late_counter;
      if constexpr (!std::is_same_v<Tag, no_late_tag>) detail::emit_side<Tag>(this->down, label, v);
    }

    template <class KK, class E>
    bool push_keyed(const KK& k, E&& e) {
      if (!e.timed())
        throw stage_error(std::string(label.name), label.position, detail::untimed_record_message(label.name, e.side()));
      const std::int64_t t = e.ts;
      if (watermark != INT64_MIN && t < watermark) {
        if (e.is_first()) to_late<LateA>(e.first());
        else to_late<LateB>(e.second());
        return true;
      }
      auto [slot, inserted] = keys.try_emplace(k);
      (void)inserted;
      buffers& b = slot->second;
      bool go = true;
      if (e.is_first()) {
        const A& a = e.first();
        for (const auto& [tb, r] : b.right)
          if (tb >= t + lo && tb <= t + hi) go = emit(a, r) && go;
        b.left.emplace_back(t, std::move(e.first()));
        expiries.push(0, t + keep_left(), slot->first);
      } else {
        const B& r = e.second();
        for (const auto& [ta, a] : b.left)
          if (t >= ta + lo && t <= ta + hi) go = emit(a, r) && go;
        b.right.emplace_back(t, std::move(e.second()));
        expiries.push(1, t + keep_right(), slot->first);
      }
      return go;
    }
    bool emit(const A& a, const B& b) { return this->down.push(detail::call_user(label, fn, a, b)); }

    void on_watermark(event_time w) {
      const std::int64_t t = to_millis(w);
      if (t > watermark) {
        watermark = t;
        purge();
      }
      this->down.on_watermark(w);
    }
    // A buffered record goes once the watermark is past its last matching time.
    void purge() {
      while (std::optional<SK> k = expiries.pop_before(watermark)) {
        auto* slot = keys.find(*k);
        if (!slot) continue;
        buffers& b = slot->second;
        const std::int64_t l = keep_left(), r = keep_right(), w = watermark;
        std::erase_if(b.left, [&](const auto& x) { return x.first + l < w; });
        std::erase_if(b.right, [&](const auto& x) { return x.first + r < w; });
        if (b.left.empty() && b.right.empty()) keys.erase_at(slot);
      }
    }

    /// Records that were too late (of both inputs).
    std::uint64_t late_count() const noexcept { return late; }
    /// Buffered records, for tests of the cleanup.
    std::size_t buffered() const {
      std::size_t n = 0;
      keys.for_each([&](const auto&, const buffers& b) { n += b.left.size() + b.right.size(); });
      return n;
    }

    using snapshot_type = std::tuple<std::vector<std::tuple<SK, std::vector<std::pair<std::int64_t, A>>,
                                                            std::vector<std::pair<std::int64_t, B>>>>,
                                     std::int64_t>;
    static constexpr bool keeps_state = true;
    void snapshot(std::string& out) const
      requires serde::Encodable<snapshot_type>
    {
      snapshot_type s{detail::entries_of(keys, [](const SK& k, const buffers& b) { return std::tuple(k, b.left, b.right); }),
                      watermark};
      detail::snapshot_value(s, out);
    }
    bool restore(std::string_view in)
      requires serde::Encodable<snapshot_type>
    {
      return restore_parts({in}, std::nullopt);
    }
    /// At another parallelism: the keys of the key groups `mine` from every
    /// old instance's snapshot; the watermark is the lowest of them.
    bool restore_rescaled(const std::vector<std::string_view>& parts, key_group_range mine)
      requires serde::Encodable<snapshot_type> && requires(const SK& k) { key_groups{}.group_of(k); }
    {
      return restore_parts(parts, mine);
    }

   private:
    bool restore_parts(const std::vector<std::string_view>& parts, std::optional<key_group_range> mine) {
      std::vector<snapshot_type> decoded;
      for (std::string_view in : parts) {
        auto s = detail::restore_value<snapshot_type>(in);
        if (!s) return false;
        decoded.push_back(std::move(*s));
      }
      keys.clear();
      expiries.clear();
      std::optional<std::int64_t> wm;
      for (auto& s : decoded) {
        for (auto& [k, l, r] : std::get<0>(s)) {
          if constexpr (requires { key_groups{}.group_of(k); })
            if (mine && !mine->contains(key_groups{}.group_of(k))) continue;
          for (const auto& x : l) expiries.push(0, x.first + keep_left(), k);
          for (const auto& x : r) expiries.push(1, x.first + keep_right(), k);
          keys.try_emplace_with(k, [&] { return buffers{std::move(l), std::move(r)}; });
        }
        wm = wm ? std::min(*wm, std::get<1>(s)) : std::get<1>(s);
      }
      if (wm) watermark = *wm;
      return true;
    }
  };

  template <class Flow, class Env, class Down>
  auto build(Env&, stage_label label, Down&& down) const {
    using T = typename Flow::value_type;
    using SK = state::owned_key_t<typename Flow::key_type>;
    using Built = built<SK, typename T::first_type, typename T::second_type, std::remove_cvref_t<Down>>;
    if constexpr (!std::is_same_v<LateA, no_late_tag>) detail::check_side_output<LateA, std::remove_cvref_t<Down>>(label);
    if constexpr (!std::is_same_v<LateB, no_late_tag>) detail::check_side_output<LateB, std::remove_cvref_t<Down>>(label);
    const std::int64_t lo = to_millis(event_time{lower}) + (lower_exclusive ? 1 : 0);
    const std::int64_t hi = to_millis(event_time{upper}) - (upper_exclusive ? 1 : 0);
    if (lo > hi)
      throw std::invalid_argument("spate: interval_join (#" + std::to_string(label.position) +
                                  "): the lower bound is above the upper bound, no pair can match");
    return Built{{std::forward<Down>(down)}, fn, label, lo, hi, late_counter};
  }
};

/// Joins each A with every B of its key whose time is in [a.ts + lower,
/// a.ts + upper] (after connect(a, b) | key_by(ka, kb)); f(a, b) -> R.
template <class F>
constexpr auto interval_join(duration lower, duration upper, F f) {
  return interval_join_stage<F>{{}, std::move(f), lower, upper};
}

}  // namespace spate
