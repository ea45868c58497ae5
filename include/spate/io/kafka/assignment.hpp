#pragma once
// Which partitions one source driver reads, and where each starts.
//   worker_of(topic, p, P)   partition p of topic goes to worker
//                            (fnv1a(topic) + p) % P: every partition to one
//                            worker, consecutive ones to different workers,
//                            partitions added later by the same rule
//   assignment               discovery (the source's topics, or every topic
//                            a pattern matches, from the cluster metadata),
//                            start positions resolved to numeric offsets
//                            (one ListOffsets per partition, clamped into the
//                            retained range), the consumer's assignment
//                            (incremental_assign, no group rebalancing) and
//                            the state of each partition: the next offset,
//                            the bound, whether it is caught up.
#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../source.hpp"
#include "config.hpp"
#include "errors.hpp"
#include "offsets.hpp"
#include "rate_limit.hpp"
#include "source_settings.hpp"

namespace spate::exec {
struct partition_cell;  // exec/stage_metrics.hpp
}

namespace spate::kafka::detail {

inline std::uint32_t topic_hash(std::string_view s) {
  std::uint32_t h = 2166136261u;
  for (unsigned char c : s) h = (h ^ c) * 16777619u;
  return h;
}
/// Which worker of `count` reads partition p of topic t.
inline std::size_t worker_of(std::string_view topic, std::int32_t p, std::size_t count) {
  return (static_cast<std::size_t>(topic_hash(topic)) + static_cast<std::size_t>(p)) % count;
}

/// One partition a driver reads.
struct partition_state {
  std::string topic;
  std::int32_t partition = 0;
  std::int64_t next = 0;                                        // next offset to push
  std::int64_t end = std::numeric_limits<std::int64_t>::max();  // bounded: stop here
  bool done = false;                                            // bounded and reached end
  bool idle = false;                                            // caught up (partition EOF)
  std::chrono::steady_clock::time_point caught_up_at{};         // when it last became idle
  std::int64_t eof_pending = -1;  // an EOF that came while records were held (librdkafka reports it once)
  bool has_ts = false;            // event time: the largest record timestamp so far
  std::int64_t max_ts = 0;
  partition_rate rate;
  std::int64_t high_at_open = -1;         // the high watermark when assigned
  exec::partition_cell* meter = nullptr;  // its figures in the context's metrics (source.hpp), if any

  partition_state() = default;
  partition_state(partition_state&&) = default;  // moved, never copied: it owns held messages
  partition_state& operator=(partition_state&&) = default;
};

class assignment {
 public:
  /// Discovers the partitions of this shard and assigns them at their start
  /// positions. Throws for a missing topic, or a bounded pattern that matches none.
  assignment(rd_kafka_t* rk, const source_settings& s, shard sh, double initial_tokens)
      : rk_(rk), s_(s), sh_(sh), tokens_(initial_tokens), last_discovery_(std::chrono::steady_clock::now()) {
    if (sh_.count == 0) sh_.count = 1;
    if (!s_.pattern.empty()) pattern_ = std::regex(s_.pattern, std::regex::ECMAScript);
  }
  void open() {
    auto found = discover(true);
    if (!s_.pattern.empty() && pattern_topics_ == 0) no_topic_matches();
    add(found, s_.start);
  }

  std::vector<partition_state>& parts() noexcept { return parts_; }
  const std::vector<partition_state>& parts() const noexcept { return parts_; }

  /// The next offset of every partition (a held record is not read yet).
  std::vector<partition_offset> offsets() const {
    std::vector<partition_offset> v;
    v.reserve(parts_.size());
    for (auto& p : parts_) v.push_back({p.topic, p.partition, p.rate.held.empty() ? p.next : p.rate.held.front()->offset});
    std::sort(v.begin(), v.end());
    return v;
  }

  bool all_done() const {
    if (!s_.bounded) return false;
    for (auto& p : parts_)
      if (!p.done || !p.rate.held.empty()) return false;
    return true;
  }

  /// The partition of a consumed message (null when it is not ours).
  partition_state* find(const rd_kafka_message_t* m) {
    topic_slot* t = nullptr;
    for (auto& ts : topics_)
      if (ts.rkt == m->rkt) {
        t = &ts;
        break;
      }
    if (!t) {
      const char* name = rd_kafka_topic_name(m->rkt);
      for (auto& ts : topics_)
        if (ts.name == name) {
          ts.rkt = m->rkt;
          t = &ts;
          break;
        }
      if (!t) return nullptr;
    }
    if (m->partition < 0 || static_cast<std::size_t>(m->partition) >= t->index.size()) return nullptr;
    int i = t->index[static_cast<std::size_t>(m->partition)];
    return i < 0 ? nullptr : &parts_[static_cast<std::size_t>(i)];
  }

  /// A partition reached its current end (RD_KAFKA_RESP_ERR__PARTITION_EOF).
  void on_eof(partition_state& p, std::int64_t eof_offset) {
    if (!p.rate.held.empty()) {
      p.eof_pending = eof_offset;  // applied once the held records are pushed
      return;
    }
    p.eof_pending = -1;
    if (eof_offset > p.next) p.next = eof_offset;  // control records (transaction markers) end the log
    if (!p.idle) p.caught_up_at = std::chrono::steady_clock::now();
    p.idle = true;
    if (s_.bounded && p.next >= p.end) p.done = true;
  }

  /// Periodic partition discovery (off unless discover_partitions was set,
  /// and in bounded mode). Returns how many partitions were added.
  std::size_t maybe_discover() {
    if (s_.discovery.count() <= 0 || s_.bounded) return 0;
    auto now = std::chrono::steady_clock::now();
    if (now - last_discovery_ < s_.discovery) return 0;
    last_discovery_ = now;
    std::vector<topic_partition> found;
    try {
      found = discover(false);
    } catch (const kafka_error&) {
      return 0;  // the cluster may be restarting: try again at the next interval
    }
    std::vector<topic_partition> added;
    for (auto& tp : found)
      if (!known(tp)) added.push_back(tp);
    if (added.empty()) return 0;
    try {
      add(added, earliest());  // new partitions are read from their beginning
    } catch (const kafka_error&) {
      return 0;  // e.g. a new partition without a leader yet: picked up at the next interval
    }
    return added.size();
  }

 private:
  struct topic_slot {
    std::string name;
    rd_kafka_topic_t* rkt = nullptr;  // as seen on messages
    std::vector<int> index;           // partition -> parts_ index, -1 if not ours
  };

  bool known(const topic_partition& tp) const {
    for (auto& t : topics_)
      if (t.name == tp.topic)
        return static_cast<std::size_t>(tp.partition) < t.index.size() &&
               t.index[static_cast<std::size_t>(tp.partition)] >= 0;
    return false;
  }

  /// Every partition of the source's topics that this shard reads.
  std::vector<topic_partition> discover(bool first) {
    auto md = fetch_metadata(rk_, s_.cfg, "kafka source");
    std::vector<topic_partition> out;
    auto take = [&](const rd_kafka_metadata_topic_t& t) {
      for (int i = 0; i < t.partition_cnt; ++i) {
        std::int32_t p = t.partitions[i].id;
        // While running, a partition without a leader yet waits for the next discovery.
        if (!first && (t.partitions[i].err || t.partitions[i].leader < 0)) continue;
        if (worker_of(t.topic, p, sh_.count) == sh_.index) out.push_back({t.topic, p});
      }
    };
    if (!s_.pattern.empty()) {
      pattern_topics_ = 0;  // on the whole cluster, not only this shard's partitions
      for (int i = 0; i < md->topic_cnt; ++i) {
        const auto& t = md->topics[i];
        std::string name = t.topic;
        if (t.err || name.rfind("__", 0) == 0) continue;
        if (std::regex_match(name, pattern_)) {
          ++pattern_topics_;
          take(t);
        }
      }
    } else {
      for (auto& name : s_.topics) {
        bool found = false;
        for (int i = 0; i < md->topic_cnt; ++i) {
          const auto& t = md->topics[i];
          if (name != t.topic) continue;
          found = !t.err && t.partition_cnt > 0;
          if (found) take(t);
        }
        if (!found && first)
          throw kafka_error("kafka source: topic '" + name + "' does not exist on '" + s_.cfg.bootstrap + "'",
                            RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART);
      }
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  /// A pattern that matches no topic when the source opens: a bounded read
  /// would end at once having read nothing, so it fails; an unbounded one
  /// warns (once per source, from its first shard) and goes on, picking up
  /// matching topics later if discovery is on.
  void no_topic_matches() {
    std::string what = "kafka source: the topic pattern '" + s_.pattern + "' matches no topic on '" + s_.cfg.bootstrap + "'";
    if (s_.bounded)
      throw kafka_error(what + ": a bounded read (until_offsets_end) would end at once with nothing read",
                        RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART);
    if (sh_.index != 0) return;
    if (s_.discovery.count() > 0)
      what += "; reading nothing until one is created (discovery looks every " + std::to_string(s_.discovery.count()) +
              " ms)";
    else
      what += "; partition discovery is off (discover_partitions), so topics created later are not read either";
    log_warning(rk_, s_.cfg, "PATTERN", what);
  }

  /// The offset each of tps starts at (lo/hi: its retained range).
  std::vector<std::int64_t> start_offsets(const std::vector<topic_partition>& tps, const start_position& start,
                                          const std::vector<std::int64_t>& lo, const std::vector<std::int64_t>& hi) {
    const int to = s_.cfg.timeout_ms();
    auto pick = [&](start_position::kind k, std::size_t i) { return k == start_position::kind::latest ? hi[i] : lo[i]; };
    std::vector<std::int64_t> start_at(tps.size());
    using K = start_position::kind;
    switch (start.what) {
      case K::earliest:
      case K::latest:
        for (std::size_t i = 0; i < tps.size(); ++i) start_at[i] = pick(start.what, i);
        break;
      case K::timestamp: {
        tpl_ptr l(rd_kafka_topic_partition_list_new(static_cast<int>(tps.size())));
        for (auto& tp : tps) rd_kafka_topic_partition_list_add(l.get(), tp.topic.c_str(), tp.partition)->offset = start.timestamp_ms;
        auto err = rd_kafka_offsets_for_times(rk_, l.get(), to);
        if (err) throw_error("kafka source: offsets for timestamp " + std::to_string(start.timestamp_ms), err);
        for (std::size_t i = 0; i < tps.size(); ++i) {
          auto& e = l->elems[i];
          if (e.err) throw_error("kafka source: offset for timestamp of " + tps[i].topic + "/" + std::to_string(tps[i].partition), e.err);
          start_at[i] = e.offset < 0 ? hi[i] : e.offset;  // no record at or after the time: the end
        }
        break;
      }
      case K::committed: {
        tpl_ptr l(rd_kafka_topic_partition_list_new(static_cast<int>(tps.size())));
        for (auto& tp : tps) rd_kafka_topic_partition_list_add(l.get(), tp.topic.c_str(), tp.partition);
        auto err = rd_kafka_committed(rk_, l.get(), to);
        if (err) throw_error("kafka source: committed offsets of group '" + s_.cfg.get("group.id") + "'", err);
        for (std::size_t i = 0; i < tps.size(); ++i) {
          auto& e = l->elems[i];
          start_at[i] = (e.err || e.offset < 0) ? pick(start.fallback, i) : e.offset;
        }
        break;
      }
      case K::offsets:
        for (std::size_t i = 0; i < tps.size(); ++i) {
          auto it = start.offsets.find(tps[i]);
          start_at[i] = it == start.offsets.end() ? pick(start.fallback, i) : it->second;
        }
        break;
    }
    return start_at;
  }

  /// Resolves start offsets numerically and assigns the partitions.
  void add(const std::vector<topic_partition>& tps, const start_position& start) {
    if (tps.empty()) return;
    const int to = s_.cfg.timeout_ms();
    std::vector<std::int64_t> lo(tps.size()), hi(tps.size());
    for (std::size_t i = 0; i < tps.size(); ++i) {
      auto err = rd_kafka_query_watermark_offsets(rk_, tps[i].topic.c_str(), tps[i].partition, &lo[i], &hi[i], to);
      if (err)
        throw_error("kafka source: cannot read the offsets of " + tps[i].topic + "/" + std::to_string(tps[i].partition) +
                        " from '" + s_.cfg.bootstrap + "' within " + std::to_string(to) + " ms",
                    err);
    }
    std::vector<std::int64_t> start_at = start_offsets(tps, start, lo, hi);
    std::vector<partition_state> fresh;
    fresh.reserve(tps.size());
    tpl_ptr assign(rd_kafka_topic_partition_list_new(static_cast<int>(tps.size())));
    for (std::size_t i = 0; i < tps.size(); ++i) {
      partition_state p;
      p.topic = tps[i].topic;
      p.partition = tps[i].partition;
      p.next = std::clamp(start_at[i], lo[i], hi[i]);
      p.high_at_open = hi[i];
      p.rate.tokens = tokens_;
      if (s_.bounded) {
        p.end = hi[i];
        p.done = p.next >= p.end;
      }
      p.idle = p.next >= hi[i];
      p.caught_up_at = std::chrono::steady_clock::now();
      if (!p.done) rd_kafka_topic_partition_list_add(assign.get(), p.topic.c_str(), p.partition)->offset = p.next;
      fresh.push_back(std::move(p));
    }
    // Assigned first: when it fails, nothing was recorded (discovery tries again).
    if (assign->cnt > 0) throw_if(rd_kafka_incremental_assign(rk_, assign.get()), "kafka source: assign partitions");
    for (auto& p : fresh) {
      topic_slot* t = nullptr;
      for (auto& ts : topics_)
        if (ts.name == p.topic) t = &ts;
      if (!t) {
        topics_.push_back({p.topic, nullptr, {}});
        t = &topics_.back();
      }
      if (t->index.size() <= static_cast<std::size_t>(p.partition)) t->index.resize(static_cast<std::size_t>(p.partition) + 1, -1);
      t->index[static_cast<std::size_t>(p.partition)] = static_cast<int>(parts_.size());
      parts_.push_back(std::move(p));
    }
  }

  rd_kafka_t* rk_;
  const source_settings& s_;  // the driver's, which outlives this
  shard sh_;
  double tokens_;  // a new partition's rate tokens
  std::regex pattern_;
  std::size_t pattern_topics_ = 0;  // topics the pattern matched at the last discovery
  std::vector<topic_slot> topics_;
  std::vector<partition_state> parts_;
  std::chrono::steady_clock::time_point last_discovery_;
};

}  // namespace spate::kafka::detail
