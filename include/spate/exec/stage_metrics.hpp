#pragma once
// Per-stage figures of a running context: records in, the watermark. Each
// parallel instance of a stage counts into a member of its own (a plain
// increment, which the compiler keeps in a register and vectorizes like the
// rest of the fused loop) and publishes the count into its cell at control
// calls (ticks, batch ends, barriers, watermarks, the end), so readers see it
// within one tick (10 ms by default). Readers sum the cells: counting is
// per-thread and increment-only, aggregated when read.
#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <limits>
#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "../core/time.hpp"
#include "queue.hpp"  // boundary_cell, blocked_nanoseconds

namespace spate::exec {

/// One instance's figures of one stage: written by its thread, read by any.
struct alignas(64) stage_cell {
  static constexpr std::int64_t no_watermark = std::numeric_limits<std::int64_t>::min();
  std::atomic<std::uint64_t> in{0};
  std::atomic<std::int64_t> watermark_ms{no_watermark};
  /// Sources only (position 0), where the input's size is known (a file):
  /// bytes read by this shard, and the input's size.
  std::atomic<std::uint64_t> bytes_read{0};
  std::atomic<std::uint64_t> bytes_total{0};
  /// Stateful stages that count them (state/chain_snapshot.hpp's
  /// state_keys): the entries of keyed state this instance holds.
  static constexpr std::uint64_t no_keys = std::numeric_limits<std::uint64_t>::max();
  std::atomic<std::uint64_t> keys{no_keys};
  /// The stage keeps state (set when its instance is built; the plan says
  /// so too, but not of a fan_out branch's stages run behind their shuffle).
  std::atomic<bool> keeps_state{false};
  /// A source shard reading input of a known size (a file): byte `at` of
  /// `size`, from byte `first` where the shard started.
  void publish_read(std::uint64_t first, std::uint64_t at, std::uint64_t size) noexcept {
    bytes_read.store(at - std::min(at, first), std::memory_order_relaxed);
    bytes_total.store(size, std::memory_order_relaxed);
  }
  /// The owner's 32-bit count (fused/build.hpp's metered) folded into `in`.
  void publish(std::uint32_t count) noexcept {
    total_ += static_cast<std::uint32_t>(count - low_);
    low_ = count;
    in.store(total_, std::memory_order_relaxed);
  }

 private:
  std::uint64_t total_ = 0;  // the owner's only
  std::uint32_t low_ = 0;
};

/// One Kafka partition a source shard reads (io/kafka/source.hpp): the next
/// offset it will push and the partition's high watermark as the consumer
/// last saw it (librdkafka's cached figure, updated by each fetch). Gauges,
/// written by the shard that reads the partition, read by any.
struct alignas(64) partition_cell {
  static constexpr std::int64_t unknown = -1;
  std::atomic<std::int64_t> offset{unknown};
  std::atomic<std::int64_t> high_watermark{unknown};
};

/// Every stage cell of a context's jobs; cells live as long as the context
/// (a restart adds instances, so counts stay increment-only across it).
class stage_registry {
 public:
  /// A new cell for an instance of stage `position` (1-based; the sink is
  /// stage_count + 1) of job `job`.
  stage_cell* join(std::size_t job, std::size_t position) {
    std::lock_guard lock(m_);
    cells_.emplace_back();
    auto* c = &cells_.back();
    index_[{job, position}].push_back(c);
    return c;
  }

  /// Before a restart launches the jobs again: the failed attempt's gauges
  /// (keys) no longer count; its counts (records) do, increment-only.
  void retire_gauges() {
    std::lock_guard lock(m_);
    for (auto& c : cells_) c.keys.store(stage_cell::no_keys, std::memory_order_relaxed);
  }

  /// A new cell for an instance of the boundary (the queues) in front of
  /// stage `position` of job `job` (the sink: stage_count + 1).
  boundary_cell* join_boundary(std::size_t job, std::size_t position) {
    std::lock_guard lock(m_);
    boundary_cells_.emplace_back();
    auto* c = &boundary_cells_.back();
    boundary_index_[{job, position}].push_back(c);
    return c;
  }
  /// The cell of partition `partition` of `topic` read by a source of job
  /// `job`: one per partition, so a restart (or a partition moving to
  /// another shard) goes on writing the same gauge.
  partition_cell* join_partition(std::size_t job, const std::string& topic, std::int32_t partition) {
    std::lock_guard lock(m_);
    auto [it, added] = partition_index_.try_emplace(partition_key{job, topic, partition}, nullptr);
    if (added) it->second = &partition_cells_.emplace_back();
    return it->second;
  }
  struct partition_reading {
    std::size_t job = 0;
    std::string topic;
    std::int32_t partition = 0;
    std::int64_t offset = partition_cell::unknown, high_watermark = partition_cell::unknown;
  };
  /// Every partition's figures, by job, topic and partition.
  std::vector<partition_reading> read_partitions() const {
    std::lock_guard lock(m_);
    std::vector<partition_reading> out;
    out.reserve(partition_index_.size());
    for (const auto& [key, c] : partition_index_)
      out.push_back({std::get<0>(key), std::get<1>(key), std::get<2>(key), c->offset.load(std::memory_order_relaxed),
                     c->high_watermark.load(std::memory_order_relaxed)});
    return out;
  }

  /// A fan_out branch run behind its shuffle (job_runner's
  /// launch_branch_tail) meters its stages under an id of its own, so that
  /// its positions do not add to the job's: the same id for the same job and
  /// branch (across threads and restarts). names/uids by position (1-based;
  /// the sink last).
  struct branch_info {
    std::size_t job = 0;
    std::string branch;
    std::vector<std::string> names, uids;
  };
  static constexpr std::size_t branch_ids = std::size_t{1} << 40;
  std::size_t branch_job(const branch_info& b) {
    std::lock_guard lock(m_);
    for (std::size_t i = 0; i < branches_.size(); ++i)
      if (branches_[i].job == b.job && branches_[i].branch == b.branch) return branch_ids + i;
    branches_.push_back(b);
    return branch_ids + branches_.size() - 1;
  }
  /// Every branch registered, with the id its stages are metered under.
  std::vector<std::pair<std::size_t, branch_info>> branches() const {
    std::lock_guard lock(m_);
    std::vector<std::pair<std::size_t, branch_info>> out;
    for (std::size_t i = 0; i < branches_.size(); ++i) out.emplace_back(branch_ids + i, branches_[i]);
    return out;
  }

  struct boundary_reading {
    std::size_t job = 0, position = 0, instances = 0;
    std::uint64_t fill = 0, capacity = 0;           ///< blocks, summed over instances
    std::uint64_t high_water = 0, queue_capacity = 0;  ///< blocks, the fullest one queue was seen; one queue's size
    std::uint64_t producer_blocked_ns = 0, consumer_wait_ns = 0;  ///< summed
  };
  std::vector<boundary_reading> read_boundaries() const {
    std::lock_guard lock(m_);
    std::vector<boundary_reading> out;
    for (const auto& [key, cells] : boundary_index_) {
      boundary_reading r{key.first, key.second, cells.size()};
      for (const auto* c : cells) {
        r.fill += c->fill.load(std::memory_order_relaxed);
        r.capacity += c->capacity.load(std::memory_order_relaxed);
        r.high_water = std::max<std::uint64_t>(r.high_water, c->high_water.load(std::memory_order_relaxed));
        r.queue_capacity = std::max<std::uint64_t>(r.queue_capacity, c->queue_capacity.load(std::memory_order_relaxed));
        r.producer_blocked_ns += c->producer_blocked_ns.load(std::memory_order_relaxed);
        r.consumer_wait_ns += c->consumer_wait_ns.load(std::memory_order_relaxed);
      }
      out.push_back(r);
    }
    return out;
  }

  struct reading {
    std::size_t job = 0, position = 0;
    std::uint64_t in = 0;
    std::size_t instances = 0;
    /// The least watermark over the instances that have one (Flink's
    /// operator watermark), or stage_cell::no_watermark.
    std::int64_t watermark_ms = stage_cell::no_watermark;
    std::uint64_t bytes_read = 0;   ///< summed over shards (sources)
    std::uint64_t bytes_total = 0;  ///< the largest size a shard reported (sources)
    std::uint64_t keys = stage_cell::no_keys;  ///< summed over the instances that count keys
    bool keeps_state = false;
  };
  /// Sums over instances, by job and position.
  std::vector<reading> read() const {
    std::lock_guard lock(m_);
    std::vector<reading> out;
    for (const auto& [key, cells] : index_) {
      reading r{key.first, key.second, 0, cells.size(), stage_cell::no_watermark};
      for (const auto* c : cells) {
        r.in += c->in.load(std::memory_order_relaxed);
        r.bytes_read += c->bytes_read.load(std::memory_order_relaxed);
        r.bytes_total = std::max<std::uint64_t>(r.bytes_total, c->bytes_total.load(std::memory_order_relaxed));
        r.keeps_state = r.keeps_state || c->keeps_state.load(std::memory_order_relaxed);
        if (const auto k = c->keys.load(std::memory_order_relaxed); k != stage_cell::no_keys)
          r.keys = (r.keys == stage_cell::no_keys ? 0 : r.keys) + k;
        const auto w = c->watermark_ms.load(std::memory_order_relaxed);
        if (w != stage_cell::no_watermark && (r.watermark_ms == stage_cell::no_watermark || w < r.watermark_ms))
          r.watermark_ms = w;
      }
      out.push_back(r);
    }
    return out;
  }

 private:
  mutable std::mutex m_;
  std::deque<stage_cell> cells_;  // stable addresses
  std::deque<boundary_cell> boundary_cells_;
  std::deque<partition_cell> partition_cells_;
  using partition_key = std::tuple<std::size_t, std::string, std::int32_t>;
  std::map<partition_key, partition_cell*> partition_index_;
  std::vector<branch_info> branches_;
  std::map<std::pair<std::size_t, std::size_t>, std::vector<const boundary_cell*>> boundary_index_;
  std::map<std::pair<std::size_t, std::size_t>, std::vector<const stage_cell*>> index_;
};

/// Where the segments a thread builds report: set by the context on each
/// thread it starts (null elsewhere, e.g. under spate::run: nothing reported).
class checkpoint_log;
struct metering_scope {
  stage_registry* stages = nullptr;
  checkpoint_log* checkpoints = nullptr;
  std::size_t job = 0;
  bool building = false;  // inside a segment's build (nested chains are not metered)
};
inline metering_scope& current_metering() noexcept {
  thread_local metering_scope scope;
  return scope;
}

/// Publishes the counts of every metered layer of a built chain (after each
/// chunk a source reads, so that counts move between ticks too).
template <class Chain>
void publish_chain(const Chain& c) noexcept {
  if constexpr (requires { c.publish(); }) c.publish();
  if constexpr (requires { c.down; }) publish_chain(c.down);
}

}  // namespace spate::exec
