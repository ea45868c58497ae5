#pragma once
// Processing time. Stages learn it from on_tick(now), which executors call
// from their clock; a test replaces the clock by a manual one and drives the
// pipeline with a scripted source (time/script.hpp), so processing-time
// results are deterministic.
//   spate::manual_clock c{from_millis(0)};  c.advance(1s);  c.now();
#include <chrono>

#include "../core/time.hpp"

namespace spate {

/// The wall clock at millisecond resolution.
struct system_clock_ms {
  event_time now() const { return std::chrono::time_point_cast<duration>(std::chrono::system_clock::now()); }
};

/// A clock that moves only when told to.
struct manual_clock {
  event_time t{};
  event_time now() const noexcept { return t; }
  void set(event_time to) noexcept { t = to; }
  void advance(duration d) noexcept { t += d; }
};

/// Anything with now() -> event_time.
template <class C>
concept Clock = requires(const C& c) {
  { c.now() } -> std::convertible_to<event_time>;
};

}  // namespace spate
