#pragma once
// The watermark of a source driver with event time (Flink's per-partition
// watermarks): each partition it reads is an input of a spate::valve, whose
// combined watermark is what the driver emits. A partition's watermark is its
// largest record timestamp - out_of_orderness - 1 ms; it is idle once caught
// up (partition EOF) with no record for `idleness`, and a bounded partition
// that reached its end stays idle. When no partition is active the
// watermark stands still and the driver reports itself idle.
//
// The driver brings the valve up to date once per poll, after the poll's
// records, so a record of the poll is never behind a watermark the same
// poll emitted. The updates go in an order that never lets the valve's
// minimum rise past the poll's final one on the way: partitions that became
// active first (that only lowers the minimum), then the active partitions'
// watermarks, then the partitions that became idle. While none is active the
// valve is left as it was. A discovered partition means a valve with one
// input more: a new one, brought up to date the same way (the driver still
// emits only watermarks above the last it emitted).
#include <chrono>
#include <cstdint>
#include <optional>
#include <vector>

#include "../../core/time.hpp"
#include "../../core/valve.hpp"

namespace spate::kafka::detail {

class partition_watermarks {
 public:
  struct combined {
    bool any_active = false;         ///< else: event time stands still, the driver is idle
    std::optional<event_time> next;  ///< the combined watermark, when this update advanced it
  };

  /// Parts: partition_state-like (done, idle, caught_up_at, has_ts, max_ts).
  template <class Parts>
  combined update(const Parts& parts, duration out_of_orderness, std::chrono::milliseconds idleness) {
    if (parts.size() != valve_.size()) valve_ = valve(parts.size());
    const auto now = std::chrono::steady_clock::now();
    idle_.resize(parts.size());
    combined c;
    for (std::size_t i = 0; i < parts.size(); ++i) {
      const auto& p = parts[i];
      idle_[i] = p.done || (p.idle && now - p.caught_up_at >= idleness);
      c.any_active = c.any_active || !idle_[i];
    }
    if (!c.any_active) return c;
    last out;
    for (std::size_t i = 0; i < parts.size(); ++i)
      if (!idle_[i]) valve_.idle(i, false, out);
    for (std::size_t i = 0; i < parts.size(); ++i)
      if (!idle_[i] && parts[i].has_ts) valve_.watermark(i, from_millis(parts[i].max_ts) - out_of_orderness - duration{1}, out);
    for (std::size_t i = 0; i < parts.size(); ++i)
      if (idle_[i]) valve_.idle(i, true, out);
    c.next = out.watermark;
    return c;
  }

 private:
  struct last {  // what the valve forwarded during one update: only its last counts
    std::optional<event_time> watermark;
    void on_watermark(event_time t) { watermark = t; }
    void on_batch_end(const batch_info&) {}
    void on_barrier(checkpoint_id) {}
  };
  valve valve_{0};
  std::vector<bool> idle_;
};

}  // namespace spate::kafka::detail
