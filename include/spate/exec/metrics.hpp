#pragma once
// What a micro-batch context measures per batch (Spark's BatchInfo):
//   records            records read from the sources for this batch
//   scheduling_delay   how late the last source shard closed the batch after
//                      its batch time (grows when the pipeline falls behind)
//   processing_time    from that moment until every sink has seen the batch end
//   total_delay        batch time to completion (the sum of the two)
// Records are processed as they arrive, so "processing" here is the tail of a
// batch: what is left to do once its input is complete. Spark's processing
// time (the time the job worked on the batch) is work_time:
//   work_time          the time the source shards spent reading and pushing
//                      the batch's records (the busiest shard; blocked on a
//                      full queue included), plus the tail. A job keeps up
//                      while it stays below the batch interval, as in Spark.
//   source_blocked_time  of that, the time the busiest shard waited on a full
//                      queue downstream (backpressure; exec/queue.hpp times
//                      the waits of a push that finds its queue full)
#include <chrono>
#include <cstddef>
#include <algorithm>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <utility>
#include <vector>

#include "../core/time.hpp"

namespace spate {

struct batch_metrics {
  std::uint64_t number = 0;
  event_time time{};
  std::uint64_t records = 0;
  std::chrono::microseconds scheduling_delay{0};
  std::chrono::microseconds processing_time{0};
  std::chrono::microseconds total_delay{0};
  std::chrono::microseconds work_time{0};
  std::chrono::microseconds source_blocked_time{0};
};

namespace exec {

/// Collects per-batch figures from source threads and sinks; thread-safe.
/// Calls are per batch and shard, never per record.
class metrics_registry {
 public:
  using clock = std::chrono::system_clock;
  using listener = std::function<void(const batch_metrics&)>;

  /// `sinks` sink instances must report a batch before it is complete
  /// (a job's one sink, or one per worker when its sink runs per worker).
  void expect_sinks(std::size_t sinks) {
    std::lock_guard lock(m_);
    reported_.assign(sinks, none);
    ended_.assign(sinks, false);
    next_sink_ = 0;
  }
  /// Each sink instance joins once, when it is built; its id for the calls
  /// below.
  std::size_t join_sink() {
    std::lock_guard lock(m_);
    if (next_sink_ >= reported_.size()) {  // more instances than announced
      reported_.push_back(none);
      ended_.push_back(false);
    }
    return next_sink_++;
  }
  void add_listener(listener l) {
    std::lock_guard lock(m_);
    listeners_.push_back(std::move(l));
  }

  /// A source shard closed batch `number` after reading `records` for it.
  /// `busy`: the time the shard spent reading and pushing this batch's
  /// records, `blocked` the part of it spent waiting on a full queue.
  void source_closed(std::uint64_t number, event_time time, std::uint64_t records, clock::time_point at,
                     std::chrono::nanoseconds busy = {}, std::chrono::nanoseconds blocked = {}) {
    std::lock_guard lock(m_);
    auto& p = pending_[number];
    p.m.number = number;
    p.m.time = time;
    p.m.records += records;
    if (at > p.closed) p.closed = at;
    p.busy = std::max(p.busy, busy);
    p.blocked = std::max(p.blocked, blocked);
  }
  /// Sink instance `sink` has seen the end of batch `number` (each instance
  /// sees its batches in order).
  void sink_done(std::size_t sink, std::uint64_t number, event_time time, clock::time_point at) {
    std::vector<batch_metrics> done;
    {
      std::lock_guard lock(m_);
      if (completed_any_ && number <= last_completed_) return;  // already complete (an instance that lagged)
      auto& p = pending_[number];
      p.m.number = number;
      p.m.time = time;
      ++p.sinks;
      if (sink < reported_.size() && (reported_[sink] == none || number > reported_[sink])) reported_[sink] = number;
      collect(at, done);
    }
    notify(done);
  }
  /// A sink instance's input ended: later batches no longer wait for it (a
  /// context with a bounded and an unbounded job; a worker whose shard ended).
  void sink_ended(std::size_t sink, clock::time_point at) {
    std::vector<batch_metrics> done;
    {
      std::lock_guard lock(m_);
      if (sink < ended_.size()) ended_[sink] = true;
      collect(at, done);
    }
    notify(done);
  }
  /// The most recent completed batches (up to 1000), oldest first.
  std::vector<batch_metrics> history() const {
    std::lock_guard lock(m_);
    return {history_.begin(), history_.end()};
  }
  std::uint64_t completed() const {
    std::lock_guard lock(m_);
    return completed_;
  }

 private:
  // Completes, in order, the pending batches every live sink has seen.
  void collect(clock::time_point at, std::vector<batch_metrics>& done) {
    using us = std::chrono::microseconds;
    while (!pending_.empty() && ready(pending_.begin()->first, pending_.begin()->second.sinks)) {
      auto& p = pending_.begin()->second;
      if (p.closed == clock::time_point{}) p.closed = at;
      auto t = clock::time_point(std::chrono::duration_cast<clock::duration>(p.m.time.time_since_epoch()));
      p.m.scheduling_delay = std::max(us{0}, std::chrono::duration_cast<us>(p.closed - t));
      // A last batch closed early (end of input, stop) starts at its close.
      p.m.processing_time = std::max(us{0}, std::chrono::duration_cast<us>(at - std::max(p.closed, t)));
      p.m.total_delay = std::max(us{0}, std::chrono::duration_cast<us>(at - t));
      p.m.work_time = std::chrono::duration_cast<us>(p.busy) + p.m.processing_time;
      p.m.source_blocked_time = std::chrono::duration_cast<us>(p.blocked);
      done.push_back(p.m);
      history_.push_back(p.m);
      if (history_.size() > 1000) history_.pop_front();
      ++completed_;
      completed_any_ = true;
      last_completed_ = pending_.begin()->first;
      pending_.erase(pending_.begin());
    }
  }
  // Batch n is complete once some sink instance saw it and every instance
  // has seen it or ended (instances not built yet have seen nothing).
  bool ready(std::uint64_t n, std::size_t seen_by) const {
    if (seen_by == 0) return false;
    for (std::size_t i = 0; i < reported_.size(); ++i)
      if (!ended_[i] && (reported_[i] == none || reported_[i] < n)) return false;
    return true;
  }
  void notify(const std::vector<batch_metrics>& done) {
    if (done.empty()) return;
    std::vector<listener> ls;
    {
      std::lock_guard lock(m_);
      ls = listeners_;
    }
    for (auto& b : done)
      for (auto& l : ls) l(b);
  }

  struct pending {
    batch_metrics m;
    clock::time_point closed{};
    std::size_t sinks = 0;
    std::chrono::nanoseconds busy{0}, blocked{0};
  };
  static constexpr std::uint64_t none = ~std::uint64_t{0};
  mutable std::mutex m_;
  std::vector<std::uint64_t> reported_ = std::vector<std::uint64_t>(1, none);  // last batch each instance saw
  std::vector<bool> ended_ = std::vector<bool>(1, false);
  std::size_t next_sink_ = 0;
  bool completed_any_ = false;
  std::uint64_t last_completed_ = 0;
  std::map<std::uint64_t, pending> pending_;
  std::deque<batch_metrics> history_;
  std::vector<listener> listeners_;
  std::uint64_t completed_ = 0;
};

}  // namespace exec
}  // namespace spate
