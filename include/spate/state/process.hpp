#pragma once
// process(f) after key_by: a keyed process function (Flink's
// KeyedProcessFunction). f is a struct:
//   struct alerts {
//     using state_type = per_user;        // per-key state (optional; default: none)
//     using output_type = Alert;          // what it emits
//     void process(const Click& c, auto& ctx, auto& out);
//     void on_timer(spate::event_time t, auto& ctx, auto& out);   // optional
//   };
// ctx: key(), state() (this key's state_type), timestamp() (the record's event
// time with process(f, ts), else processing time), current_watermark(),
// current_processing_time(), register_event_time_timer(t),
// register_processing_time_timer(t), delete_*_timer(t), clear_state(),
// output(tag, v) (a side output, algebra/side_output.hpp), and in on_timer
// domain() (time_domain::event or ::processing).
// out: out.collect(v) or out(v).
// Event-time timers fire when the watermark reaches them (all of them at the
// end of input, which brings max_watermark); processing-time timers fire in
// on_tick. Timers are kept per (key, time) once, as in Flink.
// After window(...), process(f) is a window function instead (window/functions.hpp).
#include <optional>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>
#include <type_traits>
#include <utility>

#include "../core/key_group.hpp"
#include "../algebra/side_output.hpp"
#include "../algebra/stage.hpp"
#include "../time/timestamp.hpp"
#include "hash_map.hpp"
#include "snapshot.hpp"

namespace spate {

struct no_state {
  friend bool operator==(no_state, no_state) = default;
};
enum class time_domain : std::uint8_t { event, processing };

namespace detail {
template <class F>
struct state_type_of {
  using type = no_state;
};
template <class F>
  requires requires { typename F::state_type; }
struct state_type_of<F> {
  using type = typename F::state_type;
};
// (Flow only makes the lookup dependent, so that process(f) after window(...),
// whose f has no output_type, never looks.)
template <class F, class Flow>
struct output_type_of {
  using type = typename F::output_type;
};
}  // namespace detail

template <class F, class TsFn = no_timestamp>
struct process_stage;

template <class F, class TsFn>
struct process_stage : stage_tag {
  F fn;
  TsFn ts;
  static constexpr const char* name = "process";
  using fn_type = F;

  template <class Flow>
  static constexpr bool check() {
    using T = typename Flow::value_type;
    if constexpr (!Flow::keyed) {
      (void)&diagnostic::report<diagnostic::stage_needs_keyed_stream<"process", T>>;
      return false;
    } else if constexpr (!requires { typename F::output_type; }) {
      (void)&diagnostic::report<diagnostic::stage_bad_result<"process", T, F>>;
      return false;
    } else {
      return true;
    }
  }
  template <class Flow>
  using output = flow<typename detail::output_type_of<F, Flow>::type>;

  template <class SK, class T, class Down>
  struct built {
    using S = typename detail::state_type_of<F>::type;
    using R = typename F::output_type;
    Down down;
    F fn;
    TsFn ts;
    stage_label label;
    state::hash_map<SK, S> states{};
    std::set<std::pair<std::int64_t, SK>> event_timers{}, processing_timers{};
    event_time watermark = min_watermark;
    event_time proc_now{};

    struct out_type {
      built* self;
      bool go = true;
      void collect(R v) { go = self->down.push(std::move(v)) && go; }
      void operator()(R v) { collect(std::move(v)); }
    };
    struct context {
      built* self;
      const SK* k;
      S* st;
      event_time ts;
      time_domain dom = time_domain::event;
      bool clear = false;
      const SK& key() const noexcept { return *k; }
      S& state() noexcept { return *st; }
      event_time timestamp() const noexcept { return ts; }
      event_time current_watermark() const noexcept { return self->watermark; }
      event_time current_processing_time() const noexcept { return self->proc_now; }
      time_domain domain() const noexcept { return dom; }
      void register_event_time_timer(event_time t) { self->event_timers.emplace(to_millis(t), *k); }
      void register_processing_time_timer(event_time t) { self->processing_timers.emplace(to_millis(t), *k); }
      void delete_event_time_timer(event_time t) { self->event_timers.erase({to_millis(t), *k}); }
      void delete_processing_time_timer(event_time t) { self->processing_timers.erase({to_millis(t), *k}); }
      /// Drops this key's state after the current call.
      void clear_state() noexcept { clear = true; }
      /// Emits v to side output `tag`: to the fan-out branch(tag) after
      /// this stage (algebra/side_output.hpp).
      template <class Tag, class V>
        requires is_output_tag_v<Tag>
      void output(const Tag&, V&& v) {
        detail::emit_side<Tag>(self->down, self->label, std::forward<V>(v));
      }
    };

    template <class KK, class Rec>
    bool push_keyed(const KK& k, Rec&& r) {
      auto [slot, inserted] = states.try_emplace(k);
      (void)inserted;
      event_time t = proc_now;
      if constexpr (!std::is_same_v<TsFn, no_timestamp>) t = timestamp_of(ts, std::as_const(r));
      context c{this, &slot->first, &slot->second, t};
      out_type o{this};
      detail::call_user(label, [&](const auto& x) { fn.process(x, c, o); }, std::as_const(r));
      if (c.clear) states.erase(k);
      return o.go;
    }
    void fire(std::set<std::pair<std::int64_t, SK>>& timers, std::int64_t upto, time_domain dom) {
      while (!timers.empty() && timers.begin()->first <= upto) {
        auto [t, k] = *timers.begin();
        timers.erase(timers.begin());
        if constexpr (requires(context& c, out_type& o) { fn.on_timer(event_time{}, c, o); }) {
          auto [slot, inserted] = states.try_emplace(k);
          (void)inserted;
          context c{this, &slot->first, &slot->second, from_millis(t), dom};
          out_type o{this};
          detail::call_user(label, [&](event_time x) { fn.on_timer(x, c, o); }, from_millis(t));
          if (c.clear) states.erase(k);
        }
      }
    }
    void on_watermark(event_time t) {
      if (t > watermark) {
        watermark = t;
        fire(event_timers, to_millis(t), time_domain::event);
      }
      down.on_watermark(t);
    }
    void on_tick(event_time now) {
      proc_now = now;
      fire(processing_timers, to_millis(now), time_domain::processing);
      down.on_tick(now);
    }
    void on_barrier(checkpoint_id id) { down.on_barrier(id); }
    void on_batch_end(const batch_info& b) { down.on_batch_end(b); }
    void on_idle(bool idle) { down.on_idle(idle); }
    void on_end() {
      if (watermark != max_watermark) on_watermark(max_watermark);
      down.on_end();
    }
    /// Per-key state, for inspection and snapshots.
    const state::hash_map<SK, S>& state() const noexcept { return states; }

    using snapshot_type = std::tuple<std::vector<std::pair<SK, S>>, std::vector<std::pair<std::int64_t, SK>>,
                                     std::vector<std::pair<std::int64_t, SK>>, std::int64_t>;
    /// Appends the state, timers and watermark as one binary record.
    static constexpr bool keeps_state = true;
    void snapshot(std::string& out) const
      requires serde::Encodable<snapshot_type>
    {
      snapshot_type s{detail::entries_of(states, [](const SK& k, const S& v) { return std::pair<SK, S>(k, v); }),
                      {event_timers.begin(), event_timers.end()},
                      {processing_timers.begin(), processing_timers.end()},
                      to_millis(watermark)};
      detail::snapshot_value(s, out);
    }
    /// Restores at another parallelism: the state and timers of the keys of
    /// the key groups `mine`, from every old subtask's snapshot; the
    /// watermark is the lowest of them (nothing fires early).
    bool restore_rescaled(const std::vector<std::string_view>& parts, key_group_range mine)
      requires serde::Encodable<snapshot_type> && requires(const SK& k) { key_groups{}.group_of(k); }
    {
      const key_groups kg;
      auto ours = [&](const SK& k) { return mine.contains(kg.group_of(k)); };
      states.clear();
      event_timers.clear();
      processing_timers.clear();
      std::optional<std::int64_t> wm;
      for (std::string_view in : parts) {
        auto s = detail::restore_value<snapshot_type>(in);
        if (!s) return false;
        for (auto& kv : std::get<0>(*s))
          if (ours(kv.first)) states.try_emplace_with(kv.first, [&] { return std::move(kv.second); });
        for (auto& t : std::get<1>(*s))
          if (ours(t.second)) event_timers.insert(std::move(t));
        for (auto& t : std::get<2>(*s))
          if (ours(t.second)) processing_timers.insert(std::move(t));
        wm = wm ? std::min(*wm, std::get<3>(*s)) : std::get<3>(*s);
      }
      if (wm) watermark = from_millis(*wm);
      return true;
    }
    /// Replaces the state with a snapshot; false (state untouched) if it does not decode.
    bool restore(std::string_view in)
      requires serde::Encodable<snapshot_type>
    {
      auto s = detail::restore_value<snapshot_type>(in);
      if (!s) return false;
      states.clear();
      for (auto& kv : std::get<0>(*s)) states.try_emplace_with(kv.first, [&] { return std::move(kv.second); });
      event_timers = {std::get<1>(*s).begin(), std::get<1>(*s).end()};
      processing_timers = {std::get<2>(*s).begin(), std::get<2>(*s).end()};
      watermark = from_millis(std::get<3>(*s));
      return true;
    }
  };
  template <class Flow, class Env, class Down>
  auto build(Env&, stage_label label, Down&& down) const {
    using SK = state::owned_key_t<typename Flow::key_type>;
    return built<SK, typename Flow::value_type, std::remove_cvref_t<Down>>{std::forward<Down>(down), fn, ts, label};
  }
};

/// A keyed process function (after key_by), or a window's process function
/// (after window(...)). With `ts`, ctx.timestamp() is the record's event time.
template <class F>
constexpr auto process(F f) {
  return process_stage<F>{{}, std::move(f), {}};
}
template <class F, class TsFn>
constexpr auto process(F f, TsFn ts) {
  return process_stage<F, TsFn>{{}, std::move(f), std::move(ts)};
}

namespace detail {
template <class D>
inline constexpr bool is_process_stage = false;
template <class F, class Ts>
inline constexpr bool is_process_stage<process_stage<F, Ts>> = true;
}  // namespace detail

}  // namespace spate
