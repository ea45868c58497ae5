#pragma once
// Time in spate: event time and processing time are both milliseconds since
// the Unix epoch, as in Flink and Kafka. A watermark is an event_time.
#include <chrono>
#include <cstdint>
#include <limits>

namespace spate {

using duration = std::chrono::milliseconds;
using event_time = std::chrono::time_point<std::chrono::system_clock, duration>;

/// The watermark before any record: nothing is known yet.
inline constexpr event_time min_watermark{duration{std::numeric_limits<std::int64_t>::min()}};
/// The watermark at the end of a bounded input: every event-time window fires.
inline constexpr event_time max_watermark{duration{std::numeric_limits<std::int64_t>::max()}};

using checkpoint_id = std::uint64_t;

/// What a micro-batch executor tells the pipeline when a batch is complete.
struct batch_info {
  event_time time;        ///< the batch time (end of its interval), Spark's `Time: ... ms`
  std::uint64_t number;   ///< 0, 1, 2, ... per context
};

inline constexpr std::int64_t to_millis(event_time t) noexcept { return t.time_since_epoch().count(); }
inline constexpr event_time from_millis(std::int64_t ms) noexcept { return event_time{duration{ms}}; }

}  // namespace spate
