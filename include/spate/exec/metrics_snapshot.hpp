#pragma once
// What ctx.metrics() returns: every figure of a running context at one
// moment, by value (the pull API; the exporters in spate/observe/ render it).
//   per stage     records in and out (summed over instances), instances, the
//                 watermark (least over instances) and its lag behind the
//                 wall clock; position 0 is the source, stage_count + 1 the sink
//   partitions    each Kafka partition a source reads: offset, high watermark, lag
//   batches       the latest completed micro-batches (exec/metrics.hpp)
//   checkpoints   completed, aborted, the last one's duration and size
//   counters      the rich functions' counters by "<uid>/<name>"
// Rates are differences of two snapshots over their `taken_ms`.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "checkpoint_log.hpp"
#include "metrics.hpp"
#include "plan.hpp"
#include "stage_metrics.hpp"

namespace spate {

struct stage_metrics {
  std::size_t job = 0;
  std::size_t position = 0;  ///< 0: the source; 1..n: stages; n + 1: the sink
  std::string name;
  std::string uid;
  std::string branch;  ///< a fan_out branch run behind its own shuffle: its name (its positions are the branch's)
  std::uint64_t records_in = 0;
  std::uint64_t records_out = 0;  ///< the sink: none (0)
  std::size_t instances = 0;      ///< parallel instances that reported
  bool keeps_state = false;
  bool is_sink = false;
  std::optional<std::int64_t> watermark_ms;      ///< event time reached, ms since the epoch
  std::optional<std::int64_t> watermark_lag_ms;  ///< wall clock minus watermark
  /// A stateful stage that counts them: entries of keyed state (keys, or
  /// key-window panes), summed over instances, as of its last control call.
  std::optional<std::uint64_t> state_keys;
  /// A stateful stage (or a source's position): its files in the last
  /// completed checkpoint, summed over instances.
  std::optional<std::uint64_t> state_bytes;
};

/// One boundary: the queues in front of a stage (a shuffle's, or the sink
/// thread's), summed over its parallel instances. Fill and capacity count
/// blocks (a block: up to a few hundred records, exec/shuffle.hpp).
struct boundary_metrics {
  std::size_t job = 0;
  std::size_t position = 0;  ///< the stage the queues feed (the sink: stage_count + 1)
  std::string name;          ///< that stage's name
  std::string branch;        ///< a fan_out branch run behind its own shuffle: its name (positions are the branch's)
  std::size_t instances = 0;
  std::uint64_t fill = 0;        ///< blocks queued now (at each consumer's last turn)
  std::uint64_t capacity = 0;    ///< blocks the queues hold
  std::uint64_t high_water = 0;  ///< the fullest one queue has been (blocks)
  std::uint64_t queue_capacity = 0;  ///< one queue's blocks (high_water == queue_capacity: a producer found it full)
  std::chrono::nanoseconds producer_blocked{0};  ///< producers waiting on a full queue, summed (backpressure)
  std::chrono::nanoseconds consumer_waiting{0};  ///< consumers waiting on empty queues, summed (starved)
};

/// One Kafka partition a source of job `job` reads (io/kafka/source.hpp):
/// the next offset it will read and how far it is behind the partition's
/// high watermark, as its consumer last saw it (Flink's records-lag).
struct partition_metrics {
  std::size_t job = 0;
  std::string topic;
  std::int32_t partition = 0;
  std::optional<std::int64_t> offset;          ///< the next offset to read
  std::optional<std::int64_t> high_watermark;  ///< the offset the next record written will get
  /// high_watermark - offset, at least 0. In offsets: a transaction's commit
  /// markers count until the partition's end is reached.
  std::optional<std::int64_t> lag;
};

struct metrics_snapshot {
  std::int64_t taken_ms = 0;  ///< wall clock, ms since the epoch
  std::vector<stage_metrics> stages{};
  std::vector<boundary_metrics> boundaries{};
  std::vector<partition_metrics> partitions{};  ///< Kafka sources' partitions, by job, topic, partition
  std::vector<batch_metrics> batches{};  ///< the latest (up to 1000), oldest first
  std::uint64_t batches_completed = 0;
  checkpoint_metrics checkpoints{};
  std::map<std::string, std::uint64_t> counters{};
  std::size_t restarts = 0;

  /// The figures of stage `position` of job `job` (of its fan_out branch
  /// `branch`, when given), or null.
  const stage_metrics* stage(std::size_t job, std::size_t position, std::string_view branch = {}) const {
    for (const auto& s : stages)
      if (s.job == job && s.position == position && s.branch == branch) return &s;
    return nullptr;
  }
};

namespace exec {

/// Per-stage figures of one job from the registry's readings and its plan.
inline void add_stage_metrics(std::vector<stage_metrics>& out, const plan& p,
                              const std::vector<stage_registry::reading>& readings, std::int64_t now_ms) {
  const std::size_t n = p.stages.size();
  std::vector<const stage_registry::reading*> at(n + 2, nullptr);
  for (const auto& r : readings)
    if (r.job == p.job && r.position < at.size()) at[r.position] = &r;
  std::vector<std::uint64_t> in(n + 2, 0);
  for (std::size_t k = 0; k < n + 2; ++k) {
    if (at[k]) in[k] = at[k]->in;
    // A stage not measured itself (an aggregation combined before its
    // shuffle, built in the shuffle): what the stage before it let through.
    else if (k > 0) in[k] = in[k - 1];
  }
  for (std::size_t k = 0; k < n + 2; ++k) {
    stage_metrics m;
    m.job = p.job;
    m.position = k;
    if (k == 0) {
      m.name = std::string(p.source);
      m.uid = p.source_uid;
    } else if (k == n + 1) {
      m.name = std::string(p.sink);
      m.uid = p.sink_uid;
      m.keeps_state = p.sink_keeps_state;
      m.is_sink = true;
    } else {
      m.name = std::string(p.stages[k - 1].name);
      m.uid = p.stages[k - 1].uid;
      m.keeps_state = p.stages[k - 1].keeps_state;
    }
    m.records_in = in[k];
    m.records_out = k == 0 ? in[0] : k <= n ? in[k + 1] : 0;
    if (k == 0 && !at[0] && n + 1 < in.size()) m.records_in = m.records_out = in[1];
    if (at[k]) {
      m.instances = at[k]->instances;
      if (at[k]->keys != stage_cell::no_keys) m.state_keys = at[k]->keys;
      if (at[k]->watermark_ms != stage_cell::no_watermark) {
        m.watermark_ms = at[k]->watermark_ms;
        if (*m.watermark_ms < now_ms + 365LL * 24 * 3600 * 1000)  // not the end of input's watermark
          m.watermark_lag_ms = now_ms - *m.watermark_ms;
      }
    }
    out.push_back(std::move(m));
  }
}

/// The stages of the fan_out branches run behind their own shuffles: what
/// their instances counted, by the branch's positions (from its first
/// key_by on; the positions before it run in the job's fan_out instances).
inline void add_branch_metrics(std::vector<stage_metrics>& out, const stage_registry& reg,
                               const std::vector<stage_registry::reading>& readings, std::int64_t now_ms) {
  for (const auto& [id, b] : reg.branches())
    for (const auto& r : readings) {
      if (r.job != id || r.position == 0 || r.position > b.names.size()) continue;
      stage_metrics m;
      m.job = b.job;
      m.branch = b.branch;
      m.position = r.position;
      m.name = b.names[r.position - 1];
      m.uid = b.uids[r.position - 1];
      m.is_sink = r.position == b.names.size();
      m.records_in = r.in;
      m.instances = r.instances;
      m.keeps_state = r.keeps_state;
      if (r.keys != stage_cell::no_keys) m.state_keys = r.keys;
      if (r.watermark_ms != stage_cell::no_watermark) {
        m.watermark_ms = r.watermark_ms;
        if (*m.watermark_ms < now_ms + 365LL * 24 * 3600 * 1000) m.watermark_lag_ms = now_ms - *m.watermark_ms;
      }
      out.push_back(std::move(m));
    }
  // records_out: what the next measured position of the branch took in.
  for (auto& m : out) {
    if (m.branch.empty() || m.is_sink) continue;
    for (const auto& n : out)
      if (n.job == m.job && n.branch == m.branch && n.position == m.position + 1) m.records_out = n.records_in;
  }
}

/// Each stage's (and source's) files in the last completed checkpoint, by uid.
inline void add_state_bytes(std::vector<stage_metrics>& stages, const std::map<std::string, std::uint64_t>& by_uid) {
  for (auto& s : stages)
    if (auto it = by_uid.find(s.uid); it != by_uid.end() && !s.uid.empty()) s.state_bytes = it->second;
}

/// The Kafka partitions the sources read.
inline void add_partition_metrics(std::vector<partition_metrics>& out,
                                  const std::vector<stage_registry::partition_reading>& readings) {
  for (const auto& r : readings) {
    partition_metrics m;
    m.job = r.job;
    m.topic = r.topic;
    m.partition = r.partition;
    if (r.offset >= 0) m.offset = r.offset;
    if (r.high_watermark >= 0) m.high_watermark = r.high_watermark;
    if (m.offset && m.high_watermark) m.lag = std::max<std::int64_t>(0, *m.high_watermark - *m.offset);
    out.push_back(std::move(m));
  }
}

namespace detail {
inline boundary_metrics boundary_of(const stage_registry::boundary_reading& r) {
  boundary_metrics b;
  b.job = r.job;
  b.position = r.position;
  b.instances = r.instances;
  b.fill = r.fill;
  b.capacity = r.capacity;
  b.high_water = r.high_water;
  b.queue_capacity = r.queue_capacity;
  b.producer_blocked = std::chrono::nanoseconds(r.producer_blocked_ns);
  b.consumer_waiting = std::chrono::nanoseconds(r.consumer_wait_ns);
  return b;
}
}  // namespace detail

/// The boundaries of one job from the registry's readings and its plan.
inline void add_boundary_metrics(std::vector<boundary_metrics>& out, const plan& p,
                                 const std::vector<stage_registry::boundary_reading>& readings) {
  for (const auto& r : readings) {
    if (r.job != p.job) continue;
    boundary_metrics b = detail::boundary_of(r);
    if (r.position >= 1 && r.position <= p.stages.size()) b.name = std::string(p.stages[r.position - 1].name);
    else if (r.position == p.stages.size() + 1) b.name = std::string(p.sink);
    out.push_back(std::move(b));
  }
}

/// The boundaries of the fan_out branches run behind their own shuffles
/// (the branch's shuffle and sink thread), by the branch's positions.
inline void add_branch_boundaries(std::vector<boundary_metrics>& out, const stage_registry& reg,
                                  const std::vector<stage_registry::boundary_reading>& readings) {
  for (const auto& [id, br] : reg.branches())
    for (const auto& r : readings) {
      if (r.job != id) continue;
      boundary_metrics b = detail::boundary_of(r);
      b.job = br.job;
      b.branch = br.branch;
      if (r.position >= 1 && r.position <= br.names.size()) b.name = br.names[r.position - 1];
      out.push_back(std::move(b));
    }
}

}  // namespace exec
}  // namespace spate
