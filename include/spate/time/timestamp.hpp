#pragma once
// Where a record's event time comes from: a function or a member pointer
// returning spate::event_time, a std::chrono duration since the epoch, or an
// integer number of milliseconds since the epoch.
//   &Click::ts                       // event_time, std::chrono::milliseconds or int64 ms
//   [](const Click& c) { return c.ts; }
#include <chrono>
#include <concepts>
#include <functional>
#include <type_traits>

#include "../core/time.hpp"

namespace spate {

namespace detail {
template <class X>
constexpr event_time as_event_time(const X& x) {
  if constexpr (std::is_same_v<X, event_time>)
    return x;
  else if constexpr (requires { std::chrono::time_point_cast<duration>(x).time_since_epoch(); })
    return event_time{std::chrono::duration_cast<duration>(x.time_since_epoch())};
  else if constexpr (requires { std::chrono::duration_cast<duration>(x); })
    return event_time{std::chrono::duration_cast<duration>(x)};
  else
    return from_millis(static_cast<std::int64_t>(x));
}
}  // namespace detail

/// A timestamp function for records of type T.
template <class F, class T>
concept TimestampFunction = std::invocable<const F&, const T&> && requires(const F& f, const T& r) {
  detail::as_event_time(std::invoke(f, r));
};

/// The event time of r according to f.
template <class F, class T>
constexpr event_time timestamp_of(const F& f, const T& r) {
  return detail::as_event_time(std::invoke(f, r));
}

/// No timestamp function was given (count, global and per-batch windows,
/// processing time).
struct no_timestamp {};

/// Marks a window or stage as running on processing time (the time the
/// executor reports through on_tick), not on event time.
struct processing_time_t {};
inline constexpr processing_time_t processing_time{};

}  // namespace spate
