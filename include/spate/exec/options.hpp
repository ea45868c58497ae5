#pragma once
// What a context is configured with:
//   spate::context ctx{spate::micro_batch{1s}, spate::parallelism{2}};
//   spate::context ctx{spate::continuous{}, spate::max_rate{100'000}};
// Options may come in any order; each kind at most once.
#include <chrono>
#include <cstddef>
#include <cstdint>

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

/// Capacity, in events, of each queue between threads (default 1024). Memory
/// in flight is bounded by queues x capacity x record size.
struct queue_capacity {
  std::size_t value = 1024;
};

}  // namespace spate
