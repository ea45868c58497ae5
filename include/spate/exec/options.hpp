#pragma once
// What a context is configured with:
//   spate::context ctx{spate::micro_batch{1s}, spate::parallelism{2}};
//   spate::context ctx{spate::continuous{}, spate::max_rate{100'000}};
// Options may come in any order; each kind at most once.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <stdexcept>

#include "../core/time.hpp"

namespace spate {

/// Record-at-a-time execution (Flink): each fused segment runs on its own
/// thread and pushes every record on at once. Keyed aggregations emit every
/// update. `tick` is how often processing time (on_tick) is announced.
struct continuous {
  duration tick{10};
};

/// Micro-batch execution (Spark Streaming): a batch per `interval`, aligned
/// to multiples of the interval since the epoch. Keyed aggregations and
/// print() emit at batch ends.
struct micro_batch {
  duration interval{1000};
};

/// Spark's local[P]: every source is read as P shards, and the pipeline is
/// cut at its first key_by into P workers behind a hash shuffle.
struct parallelism {
  std::size_t value = 1;
};

/// At most this many records per second from each source shard (Spark's
/// maxRatePerPartition); 0 means no limit. Under micro-batch a batch takes at
/// most rate x interval records from each shard.
struct max_rate {
  std::uint64_t per_second = 0;
};

/// Combining before a shuffle under micro-batch and batch execution (a
/// count() or reduce() after a key_by; exec/shuffle.hpp): each upstream
/// worker keeps at most `keys` partials (keys) before it
/// sends them early (they are always sent at batch ends, barriers and the
/// end of input). 0 turns combining off: every record crosses the shuffle.
struct combine_keys {
  std::size_t keys = 65536;
};

/// Combining before a shuffle under continuous execution too (Flink's
/// local-global aggregation): each upstream worker keeps at most `keys`
/// partials of a count() or reduce() after a key_by, and sends them at the
/// end of each chunk of its source's work (a poll of at most 1024 records),
/// at every watermark, barrier, batch end, idleness and the end of input, or
/// when it holds `keys` keys. The worker after the shuffle then emits one
/// update per partial instead of one per record: every key's latest value is
/// the uncombined run's, but some intermediate updates are skipped, and an
/// update waits at most one chunk of source work (as records in blocks do).
/// Off by default (0): continuous execution emits every update.
struct combine_continuous {
  std::size_t keys = 4096;
};

/// Capacity, in events, of each queue between threads (default 1024). Memory
/// in flight is bounded by queues x capacity x record size.
struct queue_capacity {
  std::size_t value = 1024;
};

/// What a context does when a job fails while it runs (an exception in user
/// code, a connector error after its retries): Flink's restart strategies.
/// Each restart stops every job of the context and starts them again: with
/// checkpointing from the newest completed checkpoint, else from the start.
/// When the attempts are used up, the error reaches await_termination().
///   spate::context ctx{spate::restart_strategy::fixed_delay(3, 1s), spate::checkpointing{...}};
struct restart_strategy {
  enum class kind { none, fixed_delay, exponential_backoff };
  kind what = kind::none;
  std::size_t attempts = 0;
  std::chrono::milliseconds delay{0};      ///< fixed, or the first for backoff
  std::chrono::milliseconds max_delay{0};  ///< backoff: the delay grows up to this
  double multiplier = 2.0;

  /// The first failure ends the context (the default).
  static restart_strategy none() { return {}; }
  /// Up to `attempts` restarts, each after `delay`.
  static restart_strategy fixed_delay(std::size_t attempts, std::chrono::milliseconds delay) {
    return {kind::fixed_delay, attempts, delay, delay, 1.0};
  }
  /// Up to `attempts` restarts; the first after `initial`, each next one
  /// `multiplier` times longer, at most `max`.
  static restart_strategy exponential_backoff(std::size_t attempts, std::chrono::milliseconds initial,
                                              std::chrono::milliseconds max, double multiplier = 2.0) {
    if (initial.count() < 0 || max < initial || multiplier < 1.0)
      throw std::invalid_argument(
          "spate::restart_strategy::exponential_backoff: needs 0 <= initial <= max and multiplier >= 1");
    return {kind::exponential_backoff, attempts, initial, max, multiplier};
  }
  /// The wait before restart `n` (1-based).
  std::chrono::milliseconds delay_before(std::size_t n) const {
    if (what != kind::exponential_backoff) return delay;
    double d = static_cast<double>(delay.count());
    for (std::size_t i = 1; i < n && d < static_cast<double>(max_delay.count()); ++i) d *= multiplier;
    return std::min(max_delay, std::chrono::milliseconds(static_cast<std::int64_t>(d)));
  }
};

}  // namespace spate
