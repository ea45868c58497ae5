#pragma once
// Watermarks: "no record older than t will come". with_watermarks(ts, strategy)
// reads each record's event time and sends watermarks downstream through the
// same fused chain as the records (on_watermark), so windows and timers fire.
//
//   src | with_watermarks(&Click::ts, bounded_out_of_orderness(5s)) | key_by(...) | window(...) | count()
//
// Strategies (a WatermarkStrategy is any type with these two members):
//   on_event(event_time ts)      a record with event time ts was seen
//   current() -> event_time      the watermark it allows now
// Built in:
//   monotonous()                 timestamps never decrease: max - 1 ms
//   bounded_out_of_orderness(d)  records at most d late: max - d - 1 ms (Flink)
// Emission, on the stage:
//   (default) per record         after each record whose watermark advanced
//   .periodic(interval)          on on_tick, at most once per interval of processing time
//   .with_idleness(d)            after d of processing time without records the input
//                                is idle; see "Idle inputs" below
// End of input sends max_watermark before on_end, so every window fires.
//
// Idle inputs. This stage calls on_idle(true) when the input turns idle and
// on_idle(false) before the next record; every stage passes it on (the
// protocol, algebra/stage.hpp) to where inputs meet (a merge, the shuffle of
// a parallel context), whose valve leaves an idle input out of the minimum.
// Idle: no record between ticks for `idleness`. For a single input it changes
// nothing: an idle input simply does not advance event time.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

#include "../algebra/stage.hpp"
#include "../state/snapshot.hpp"
#include "timestamp.hpp"

namespace spate {

template <class S>
concept WatermarkStrategy = requires(S& s, const S& cs, event_time t) {
  s.on_event(t);
  { cs.current() } -> std::convertible_to<event_time>;
};

/// max timestamp seen − bound − 1 ms; nothing before the first record.
struct bounded_out_of_orderness_strategy {
  duration bound{0};
  event_time max_seen = min_watermark;
  void on_event(event_time t) noexcept { max_seen = std::max(max_seen, t); }
  event_time current() const noexcept {
    return max_seen == min_watermark ? min_watermark : max_seen - bound - duration{1};
  }
};

/// Records may be up to d late (Flink's forBoundedOutOfOrderness).
constexpr bounded_out_of_orderness_strategy bounded_out_of_orderness(duration d) { return {d}; }
/// Timestamps never decrease (Flink's forMonotonousTimestamps).
constexpr bounded_out_of_orderness_strategy monotonous() { return {duration{0}}; }

template <class TsFn, class Strategy>
struct with_watermarks_stage : stage_tag {
  TsFn ts;
  Strategy strategy;
  duration period{0};    // 0: per record
  duration idleness{0};  // 0: never idle
  static constexpr const char* name = "with_watermarks";
  using watermark_timestamp_type = TsFn;  // a later window or process(f) takes it (time/travel.hpp)

  /// Emit on on_tick, at most once per `interval` of processing time.
  with_watermarks_stage periodic(duration interval) const {
    auto c = *this;
    c.period = interval;
    return c;
  }
  /// Mark the input idle after `d` of processing time without records.
  with_watermarks_stage with_idleness(duration d) const {
    auto c = *this;
    c.idleness = d;
    return c;
  }

  template <class Flow>
  static constexpr bool check() {
    using T = typename Flow::value_type;
    if constexpr (!TimestampFunction<TsFn, T>) {
      (void)&diagnostic::report<diagnostic::stage_cannot_accept_input<"with_watermarks", T, TsFn>>;
      return false;
    } else {
      return true;
    }
  }
  template <class Flow>
  using output = Flow;

  template <class Down>
  struct built {
    Down down;
    TsFn ts;
    Strategy strategy;
    duration period, idleness;
    stage_label label;
    event_time emitted = min_watermark;
    event_time now{};
    event_time last_emit_at{};
    event_time last_record_at{};  // the tick at which a record was last seen
    bool seen_since_tick = false;
    bool ticked = false;
    bool idle = false;

    void signal_idle(bool v) {
      idle = v;
      down.on_idle(v);
    }
    void emit_if_advanced() {
      event_time w = strategy.current();
      if (w > emitted) {
        emitted = w;
        down.on_watermark(w);
      }
    }
    template <class R>
    bool push(R&& r) {
      event_time t = detail::call_user(label, [&](const auto& x) { return timestamp_of(ts, x); }, std::as_const(r));
      strategy.on_event(t);
      if (idle) signal_idle(false);
      seen_since_tick = true;  // no clock per record: the next tick stamps it
      bool go = down.push(std::forward<R>(r));
      if (period == duration{0}) emit_if_advanced();
      return go;
    }
    void on_watermark(event_time) {}  // this stage is the source of event time from here on
    void on_idle(bool v) {  // idleness from further up (a merge's input, say) is this input's idleness
      if (v != idle) signal_idle(v);
    }
    void on_barrier(checkpoint_id id) { down.on_barrier(id); }
    void on_batch_end(const batch_info& b) { down.on_batch_end(b); }
    void on_tick(event_time t) {
      now = t;
      // Idle means no record between ticks for `idleness`: a record since the
      // last tick (or the first tick) restarts the count, so a busy input
      // whose ticks come late is never taken for an idle one.
      if (seen_since_tick || !ticked) last_record_at = t;
      seen_since_tick = false;
      ticked = true;
      if (period != duration{0} && now - last_emit_at >= period) {
        last_emit_at = now;
        emit_if_advanced();
      }
      if (idleness != duration{0} && !idle && now - last_record_at >= idleness) signal_idle(true);
      down.on_tick(t);
    }
    void on_end() {
      if (emitted != max_watermark) {
        emitted = max_watermark;
        down.on_watermark(max_watermark);
      }
      down.on_end();
    }
    /// The last watermark sent.
    event_time current_watermark() const noexcept { return emitted; }
    /// What event time has reached: the watermark sent and the strategy (the
    /// maximum timestamp seen), so a restored stage neither sends a
    /// watermark backwards nor forgets how far event time got.
    static constexpr bool keeps_state = true;
    void snapshot(std::string& out) const
      requires std::is_trivially_copyable_v<Strategy>
    {
      std::string bytes(sizeof(Strategy), '\0');
      std::memcpy(bytes.data(), &strategy, sizeof(Strategy));
      detail::snapshot_value(std::pair<std::int64_t, std::string>(to_millis(emitted), bytes), out);
    }
    bool restore(std::string_view in)
      requires std::is_trivially_copyable_v<Strategy>
    {
      auto v = detail::restore_value<std::pair<std::int64_t, std::string>>(in);
      if (!v || v->second.size() != sizeof(Strategy)) return false;
      emitted = from_millis(v->first);
      std::memcpy(&strategy, v->second.data(), sizeof(Strategy));
      return true;
    }
  };
  template <class Flow, class Env, class Down>
  auto build(Env&, stage_label label, Down&& down) const {
    return built<std::remove_cvref_t<Down>>{std::forward<Down>(down), ts, strategy, period, idleness, label};
  }
};

/// Reads event time with `ts` and generates watermarks with `strategy`.
template <class TsFn, WatermarkStrategy Strategy>
constexpr auto with_watermarks(TsFn ts, Strategy strategy) {
  return with_watermarks_stage<TsFn, Strategy>{{}, std::move(ts), std::move(strategy)};
}

namespace detail {
/// The timestamp function of the last with_watermarks among stages Ds...
/// (what a later window or process function takes when not told): found
/// when there is one.
template <class... Ds>
struct upstream_timestamp;
template <>
struct upstream_timestamp<> {
  static constexpr bool found = false;
  static constexpr std::size_t index = 0;
};
template <class D, class... Ds>
struct upstream_timestamp<D, Ds...> {
  using later = upstream_timestamp<Ds...>;
  static constexpr bool here = requires { typename D::watermark_timestamp_type; };
  static constexpr bool found = later::found || here;
  static constexpr std::size_t index = later::found ? 1 + later::index : 0;
};
template <class... Ds, class Tuple>
decltype(auto) upstream_timestamp_of(const Tuple& stages) {
  return std::get<upstream_timestamp<Ds...>::index>(stages).ts;
}
}  // namespace detail

}  // namespace spate
