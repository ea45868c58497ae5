#pragma once
// Evictors remove records from a time window's buffer when it fires, before
// and/or after the window function sees them (Flink's Evictor):
//   window(tumbling(1min), &Ev::ts).evictor(count_evictor(100)) | process(f)
// f sees at most the window's last 100 records. An evictor needs the
// window's records, so it goes with process(f) only: reduce, fold, count and
// aggregate keep an accumulator, not the records (refused at compile time).
//
// An evictor for records T is any type with either or both of
//   void evict_before(window_elements<T>&, const evictor_context&) const;  // before f
//   void evict_after(window_elements<T>&, const evictor_context&) const;   // after f
// What it removes is gone from the window for later firings too.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

#include "../core/time.hpp"
#include "result.hpp"

namespace spate {

/// A window's records and their timestamps, in the order they arrived (for
/// a merged session: the sessions' records by start, each in arrival order).
template <class T>
class window_elements {
 public:
  window_elements(std::vector<T>& values, std::vector<std::int64_t>& times) noexcept
      : values_(values), times_(times) {}
  std::size_t size() const noexcept { return values_.size(); }
  const T& value(std::size_t i) const noexcept { return values_[i]; }
  event_time timestamp(std::size_t i) const noexcept { return from_millis(times_[i]); }
  /// Removes the records for which pred(record, timestamp) is true, keeping
  /// the order of the others.
  template <class Pred>
  void remove_if(Pred&& pred) {
    std::size_t out = 0;
    for (std::size_t i = 0; i < values_.size(); ++i) {
      if (std::invoke(pred, std::as_const(values_[i]), from_millis(times_[i]))) continue;
      if (out != i) {
        values_[out] = std::move(values_[i]);
        times_[out] = times_[i];
      }
      ++out;
    }
    values_.erase(values_.begin() + static_cast<std::ptrdiff_t>(out), values_.end());
    times_.resize(out);
  }
  /// Removes the first n records (the oldest).
  void remove_first(std::size_t n) {
    n = std::min(n, values_.size());
    values_.erase(values_.begin(), values_.begin() + static_cast<std::ptrdiff_t>(n));
    times_.erase(times_.begin(), times_.begin() + static_cast<std::ptrdiff_t>(n));
  }

 private:
  std::vector<T>& values_;
  std::vector<std::int64_t>& times_;
};

/// What an evictor sees besides the records (Flink's EvictorContext).
struct evictor_context {
  time_window window{};
  event_time watermark = min_watermark;
  event_time processing_time{};
};

/// Whether an evictor removes records before the window function sees them
/// (the default) or after.
enum class evict_when : std::uint8_t { before, after };

/// Keeps the window's last n records (Flink's CountEvictor).
struct count_evictor {
  std::uint64_t n = 0;
  evict_when when = evict_when::before;
  template <class T>
  void evict_before(window_elements<T>& e, const evictor_context&) const {
    if (when == evict_when::before) evict(e);
  }
  template <class T>
  void evict_after(window_elements<T>& e, const evictor_context&) const {
    if (when == evict_when::after) evict(e);
  }
  template <class T>
  void evict(window_elements<T>& e) const {
    if (e.size() > n) e.remove_first(e.size() - static_cast<std::size_t>(n));
  }
};

/// Keeps the records within `size` of the window's newest record: removes
/// those with timestamp <= newest − size (Flink's TimeEvictor).
struct time_evictor {
  duration size{0};
  evict_when when = evict_when::before;
  template <class T>
  void evict_before(window_elements<T>& e, const evictor_context&) const {
    if (when == evict_when::before) evict(e);
  }
  template <class T>
  void evict_after(window_elements<T>& e, const evictor_context&) const {
    if (when == evict_when::after) evict(e);
  }
  template <class T>
  void evict(window_elements<T>& e) const {
    if (e.size() == 0) return;
    event_time newest = e.timestamp(0);
    for (std::size_t i = 1; i < e.size(); ++i) newest = std::max(newest, e.timestamp(i));
    const event_time cutoff = newest - size;
    e.remove_if([&](const T&, event_time t) { return t <= cutoff; });
  }
};

/// No evictor: the window keeps what its function needs.
struct no_evictor {};

}  // namespace spate
