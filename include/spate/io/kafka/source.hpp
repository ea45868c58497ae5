#pragma once
// The Kafka source (Flink's KafkaSource, Spark's direct stream).
//
//   auto src = kafka::source(cfg, {"orders"}, serde::json<order>{})   // or kafka::source_pattern(cfg, "orders-.*", d)
//                .start_from(kafka::earliest())      // latest(), from_timestamp(ms), committed(fb), from_offsets(m, fb)
//                .until_offsets_end()                // bounded: stop at the end offsets seen at start
//                .discover_partitions(std::chrono::seconds(10))
//                .max_rate_per_partition(5000)       // records per second per partition
//                .with_event_time(std::chrono::milliseconds(200))   // watermarks from record timestamps
//                .on_bad_record(kafka::dead_letter("orders-dlq"));
//
// The source assigns partitions itself (assign(), no consumer-group
// rebalancing, no offset commits) and tracks the next offset of every
// partition: driver.offsets() is what a checkpoint stores, from_offsets()
// where a restore starts. With P shards, partition p of topic t goes to
// worker (hash(t) + p) % P, a stable assignment that new partitions follow.
#include <librdkafka/rdkafka.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <initializer_list>
#include <limits>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include "../../core/time.hpp"
#include "../source.hpp"
#include "config.hpp"
#include "errors.hpp"
#include "offsets.hpp"
#include "producer.hpp"
#include "record.hpp"

namespace spate::kafka {

/// Counters shared by a source descriptor and every driver opened from it.
struct source_metrics {
  std::atomic<std::int64_t> records{0};        ///< records pushed downstream
  std::atomic<std::int64_t> bad_records{0};    ///< records that did not deserialize (skipped or dead-lettered)
  std::atomic<std::int64_t> dead_lettered{0};  ///< of those, sent to the dead-letter topic
  std::atomic<std::int64_t> partitions_discovered{0};  ///< partitions added while running
};

namespace detail {

inline std::uint32_t topic_hash(std::string_view s) {
  std::uint32_t h = 2166136261u;
  for (unsigned char c : s) h = (h ^ c) * 16777619u;
  return h;
}
/// Which worker of `count` reads partition p of topic t.
inline std::size_t worker_of(std::string_view topic, std::int32_t p, std::size_t count) {
  return (static_cast<std::size_t>(topic_hash(topic)) + static_cast<std::size_t>(p)) % count;
}

struct tpl_deleter {
  void operator()(rd_kafka_topic_partition_list_t* l) const noexcept { rd_kafka_topic_partition_list_destroy(l); }
};
using tpl_ptr = std::unique_ptr<rd_kafka_topic_partition_list_t, tpl_deleter>;

/// The settings of a source that do not depend on its record type.
struct source_settings {
  config cfg;
  std::vector<std::string> topics;
  std::string pattern;  // a regex over topic names (instead of topics)
  start_position start;
  bool bounded = false;
  std::chrono::milliseconds discovery{0};
  double max_rate = 0;  // records per second per partition, 0 = unlimited
  bool event_time = false;
  duration out_of_orderness{0};
  std::chrono::milliseconds idleness{1000};  // caught up and quiet this long: left out of the watermark
  bad_record_policy on_bad;
  std::chrono::milliseconds poll_timeout{10};
  const std::atomic<bool>* stop_flag = nullptr;
};

// Properties that only consumers know: left out of the dead-letter producer.
inline bool consumer_only_property(const std::string& k) {
  static const char* const names[] = {"group.id", "group.instance.id", "isolation.level", "auto.offset.reset",
                                      "enable.auto.commit", "auto.commit.interval.ms", "enable.auto.offset.store",
                                      "enable.partition.eof", "session.timeout.ms", "heartbeat.interval.ms",
                                      "max.poll.interval.ms", "check.crcs", "allow.auto.create.topics",
                                      "partition.assignment.strategy", "queued.min.messages",
                                      "queued.max.messages.kbytes", "group.protocol.type", "client.rack",
                                      "coordinator.query.interval.ms"};
  for (const char* n : names)
    if (k == n) return true;
  return k.rfind("fetch.", 0) == 0 || k.rfind("consume.", 0) == 0;
}

/// The consumer side of a source driver: the handle, the assignment and the
/// state of each partition. Independent of the record type.
class consumer_state {
 public:
  struct part {
    std::string topic;
    std::int32_t partition = 0;
    std::int64_t next = 0;                                   // next offset to push
    std::int64_t end = std::numeric_limits<std::int64_t>::max();  // bounded: stop here
    bool done = false;                                       // bounded and reached end
    bool idle = false;                                       // caught up (partition EOF)
    std::chrono::steady_clock::time_point caught_up_at{};   // when it last became idle
    std::int64_t eof_pending = -1;  // an EOF that came while records were held (librdkafka reports it once)
    bool has_ts = false;
    std::int64_t max_ts = 0;
    // max_rate_per_partition
    double tokens = 0;
    bool paused = false;
    std::deque<rd_kafka_message_t*> held;  // consumed while over the rate, not pushed yet
  };

  consumer_state(source_settings s, shard sh) : s_(std::move(s)), sh_(sh) {
    if (sh_.count == 0) sh_.count = 1;
    static std::atomic<unsigned> seq{0};
    bool has_group = s_.cfg.has("group.id");
    if (s_.start.what == start_position::kind::committed && !has_group)
      throw kafka_error("kafka source: start position committed() needs the consumer group: set \"group.id\"",
                        RD_KAFKA_RESP_ERR__INVALID_ARG);
    std::map<std::string, std::string> defaults{{"auto.offset.reset", "earliest"},
                                                {"allow.auto.create.topics", "false"},
                                                {"client.id", "spate-kafka-source"}};
    if (!has_group)
      defaults["group.id"] = "spate-source-" + std::to_string(::getpid()) + "-" + std::to_string(seq.fetch_add(1));
    std::map<std::string, std::string> forced{{"enable.auto.commit", "false"},
                                              {"enable.auto.offset.store", "false"},
                                              {"enable.partition.eof", "true"}};
    rk_ = make_handle(RD_KAFKA_CONSUMER, make_conf(s_.cfg, defaults, forced, "kafka source"), "kafka source");
    rd_kafka_poll_set_consumer(rk_.get());
    queue_.reset(rd_kafka_queue_get_consumer(rk_.get()));
    last_discovery_ = std::chrono::steady_clock::now();
    last_refill_ = last_discovery_;
    if (s_.pattern.empty() && s_.topics.empty())
      throw kafka_error("kafka source: no topic given", RD_KAFKA_RESP_ERR__INVALID_ARG);
    if (!s_.pattern.empty()) pattern_ = std::regex(s_.pattern, std::regex::ECMAScript);
    if (s_.on_bad.what == bad_record_policy::action::dead_letter) open_dead_letter();  // a missing topic fails now
    auto found = discover(true);
    if (!s_.pattern.empty() && pattern_topics_ == 0) no_topic_matches();
    add_partitions(found, s_.start);
  }

  consumer_state(const consumer_state&) = delete;
  consumer_state& operator=(const consumer_state&) = delete;

  ~consumer_state() {
    for (auto& p : parts_)
      for (auto* m : p.held) rd_kafka_message_destroy(m);
    queue_.reset();
    if (rk_) rd_kafka_consumer_close(rk_.get());
    // rk_ is destroyed after the close (member order)
    if (dlq_ && dlq_tracker_ && dlq_tracker_->pending.load() > 0) {
      try {
        dlq_->await(*dlq_tracker_, std::chrono::seconds(10), "kafka source dead-letter");
      } catch (...) {
      }
      // Reports may still come through the shared producer: keep the tracker.
      if (dlq_tracker_->pending.load() > 0) new std::shared_ptr<delivery_tracker>(dlq_tracker_);
    }
  }

  const source_settings& settings() const { return s_; }
  rd_kafka_t* native() const { return rk_.get(); }
  rd_kafka_queue_t* queue() const { return queue_.get(); }
  std::vector<part>& parts() { return parts_; }

  /// The next offset of every partition this driver reads.
  std::vector<partition_offset> offsets() const {
    std::vector<partition_offset> v;
    v.reserve(parts_.size());
    for (auto& p : parts_) v.push_back({p.topic, p.partition, p.held.empty() ? p.next : p.held.front()->offset});
    std::sort(v.begin(), v.end());
    return v;
  }

  bool all_done() const {
    if (!s_.bounded) return false;
    for (auto& p : parts_)
      if (!p.done || !p.held.empty()) return false;
    return true;
  }

  /// The partition state of a consumed message (null when it is not ours).
  part* find(const rd_kafka_message_t* m) {
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
  void on_eof(part& p, std::int64_t eof_offset) {
    if (!p.held.empty()) {
      p.eof_pending = eof_offset;  // applied once the held records are pushed
      return;
    }
    p.eof_pending = -1;
    if (eof_offset > p.next) p.next = eof_offset;  // control records (transaction markers) end the log
    if (!p.idle) p.caught_up_at = std::chrono::steady_clock::now();
    p.idle = true;
    if (s_.bounded && p.next >= p.end) p.done = true;
  }

  /// Periodic partition discovery (off unless discover_partitions was set).
  void maybe_discover() {
    if (s_.discovery.count() <= 0 || s_.bounded) return;
    auto now = std::chrono::steady_clock::now();
    if (now - last_discovery_ < s_.discovery) return;
    last_discovery_ = now;
    std::vector<topic_partition> found;
    try {
      found = discover(false);
    } catch (const kafka_error&) {
      return;  // the cluster may be restarting: try again at the next interval
    }
    std::vector<topic_partition> added;
    for (auto& tp : found)
      if (!known(tp)) added.push_back(tp);
    if (added.empty()) return;
    try {
      add_partitions(added, earliest());  // new partitions are read from their beginning
    } catch (const kafka_error&) {
      return;  // e.g. a new partition without a leader yet: picked up at the next interval
    }
    if (metrics) metrics->partitions_discovered.fetch_add(static_cast<std::int64_t>(added.size()));
  }

  /// Refills rate tokens; returns the partitions that may push held records.
  void refill() {
    if (s_.max_rate <= 0) return;
    auto now = std::chrono::steady_clock::now();
    double secs = std::chrono::duration<double>(now - last_refill_).count();
    last_refill_ = now;
    double cap = std::max(1.0, s_.max_rate);  // at most one second's worth in the bucket
    for (auto& p : parts_) p.tokens = std::min(cap, p.tokens + secs * s_.max_rate);
  }
  void pause(part& p) { pause_resume(p, true); }
  void resume(part& p) { pause_resume(p, false); }

  /// Dead-letter: sends the raw record with the error in headers.
  /// The dead-letter producer (shared), checked against its topic at start.
  void open_dead_letter() {
    config pc(s_.cfg.bootstrap);
    pc.timeout = s_.cfg.timeout;
    for (auto& [k, v] : s_.cfg.props)
      if (!consumer_only_property(k) && k != "client.id") pc.props[k] = v;
    pc.props["enable.idempotence"] = "true";
    auto p = shared_producer::acquire(pc);
    partition_count(p->native(), s_.cfg, s_.on_bad.dead_letter_topic, "kafka source dead-letter");
    dlq_topic_ = p->topic(s_.on_bad.dead_letter_topic);
    dlq_tracker_ = std::make_shared<delivery_tracker>();
    dlq_ = std::move(p);
  }

  /// Only with the dead_letter policy: the producer was opened at start.
  void dead_letter(const rd_kafka_message_t* m, const std::string& error) {
    rd_kafka_headers_t* h = nullptr;
    rd_kafka_headers_t* orig = nullptr;
    if (rd_kafka_message_headers(m, &orig) == RD_KAFKA_RESP_ERR_NO_ERROR && orig)
      h = rd_kafka_headers_copy(orig);
    else
      h = rd_kafka_headers_new(4);
    std::string topic = rd_kafka_topic_name(m->rkt), part = std::to_string(m->partition),
                off = std::to_string(m->offset);
    rd_kafka_header_add(h, "spate.error", -1, error.data(), static_cast<ssize_t>(error.size()));
    rd_kafka_header_add(h, "spate.topic", -1, topic.data(), static_cast<ssize_t>(topic.size()));
    rd_kafka_header_add(h, "spate.partition", -1, part.data(), static_cast<ssize_t>(part.size()));
    rd_kafka_header_add(h, "spate.offset", -1, off.data(), static_cast<ssize_t>(off.size()));
    dlq_->produce(dlq_topic_, RD_KAFKA_PARTITION_UA, m->key, m->key_len, m->payload, m->len, h, dlq_tracker_.get());
    dlq_->poll(0);
    if (dlq_tracker_->pending.load() > 10000) flush_dead_letters();
  }
  /// Waits for the dead-letter deliveries (before end, at checkpoints).
  void flush_dead_letters() {
    if (!dlq_) return;
    dlq_->await(*dlq_tracker_, std::chrono::milliseconds(std::max<long long>(30000, s_.cfg.timeout.count())),
                "kafka source dead-letter");
    dlq_tracker_->check("kafka source dead-letter");
  }

  /// The watermark over this driver's partitions: the minimum over the
  /// partitions that are active. A partition is idle once it has been caught
  /// up (partition EOF) with no record for `idleness`; idle partitions do not
  /// hold the watermark back. When none is active the watermark stands still:
  /// nullopt (and the driver tells the executor it is idle, so other workers
  /// are not held back either).
  std::optional<std::int64_t> watermark() const {
    std::int64_t lo = std::numeric_limits<std::int64_t>::max();
    bool any_active = false;
    const std::int64_t d = s_.out_of_orderness.count() + 1;
    const auto now = std::chrono::steady_clock::now();
    for (auto& p : parts_) {
      if (p.done) continue;
      if (p.idle && now - p.caught_up_at >= s_.idleness) continue;
      any_active = true;
      lo = std::min(lo, p.has_ts ? p.max_ts - d : std::numeric_limits<std::int64_t>::min());
    }
    if (!any_active) return std::nullopt;
    return lo;
  }

  std::shared_ptr<source_metrics> metrics;

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
    auto md = fetch_metadata(rk_.get(), s_.cfg, "kafka source");
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
    log_warning(rk_.get(), s_.cfg, "PATTERN", what);
  }

  /// Resolves start offsets numerically and assigns the partitions.
  void add_partitions(const std::vector<topic_partition>& tps, const start_position& start) {
    if (tps.empty()) return;
    const int to = s_.cfg.timeout_ms();
    std::vector<part> fresh;
    fresh.reserve(tps.size());
    std::vector<std::int64_t> lo(tps.size()), hi(tps.size());
    for (std::size_t i = 0; i < tps.size(); ++i) {
      auto err = rd_kafka_query_watermark_offsets(rk_.get(), tps[i].topic.c_str(), tps[i].partition, &lo[i], &hi[i], to);
      if (err)
        throw_error("kafka source: cannot read the offsets of " + tps[i].topic + "/" + std::to_string(tps[i].partition) +
                        " from '" + s_.cfg.bootstrap + "' within " + std::to_string(to) + " ms",
                    err);
    }
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
        auto err = rd_kafka_offsets_for_times(rk_.get(), l.get(), to);
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
        auto err = rd_kafka_committed(rk_.get(), l.get(), to);
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
    tpl_ptr assign(rd_kafka_topic_partition_list_new(static_cast<int>(tps.size())));
    for (std::size_t i = 0; i < tps.size(); ++i) {
      part p;
      p.topic = tps[i].topic;
      p.partition = tps[i].partition;
      p.next = std::clamp(start_at[i], lo[i], hi[i]);
      p.tokens = std::max(1.0, s_.max_rate);
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
    if (assign->cnt > 0) throw_if(rd_kafka_incremental_assign(rk_.get(), assign.get()), "kafka source: assign partitions");
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

  void pause_resume(part& p, bool pause) {
    if (p.paused == pause) return;
    tpl_ptr l(rd_kafka_topic_partition_list_new(1));
    rd_kafka_topic_partition_list_add(l.get(), p.topic.c_str(), p.partition);
    auto err = pause ? rd_kafka_pause_partitions(rk_.get(), l.get()) : rd_kafka_resume_partitions(rk_.get(), l.get());
    if (err) throw_error("kafka source: pause/resume " + p.topic + "/" + std::to_string(p.partition), err);
    p.paused = pause;
  }

  source_settings s_;
  shard sh_;
  struct queue_deleter {
    void operator()(rd_kafka_queue_t* q) const noexcept { rd_kafka_queue_destroy(q); }
  };
  handle rk_;
  std::unique_ptr<rd_kafka_queue_t, queue_deleter> queue_;  // destroyed before rk_
  std::regex pattern_;
  std::size_t pattern_topics_ = 0;  // topics the pattern matched at the last discovery
  std::vector<topic_slot> topics_;
  std::vector<part> parts_;
  std::chrono::steady_clock::time_point last_discovery_, last_refill_;
  std::shared_ptr<delivery_tracker> dlq_tracker_;  // declared first: outlives the producer that reports to it
  std::shared_ptr<shared_producer> dlq_;
  rd_kafka_topic_t* dlq_topic_ = nullptr;
};

// Errors on the consumer queue that mean the job cannot go on. Others
// (transport errors, a broker restarting, ...) librdkafka recovers from.
inline bool fatal_consumer_error(rd_kafka_resp_err_t e) {
  switch (e) {
    case RD_KAFKA_RESP_ERR__FATAL:
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
    case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR__SSL:
    case RD_KAFKA_RESP_ERR__AUTHENTICATION:
      return true;
    default:
      return false;
  }
}

}  // namespace detail

/// A Kafka source descriptor. Deser is a RecordDeserializer.
template <RecordDeserializer Deser>
struct source_t : source_tag {
  using value_type = typename Deser::value_type;
  static constexpr const char* name = "kafka source";

  detail::source_settings settings;
  Deser deser;
  std::shared_ptr<source_metrics> stats = std::make_shared<source_metrics>();

  // ---- options (each returns the changed source) ----
  /// Where reading starts (default earliest()).
  source_t start_from(start_position p) const {
    auto c = *this;
    c.settings.start = std::move(p);
    return c;
  }
  /// Bounded mode (Flink's setBounded(OffsetsInitializer.latest())): stop at
  /// the end offsets the partitions had when the source opened; on_end follows.
  source_t until_offsets_end() const {
    auto c = *this;
    c.settings.bounded = true;
    return c;
  }
  /// Looks for new partitions (and, with a pattern, new topics) every
  /// `interval`; new ones are read from their earliest offset. Off by default;
  /// ignored in bounded mode.
  source_t discover_partitions(std::chrono::milliseconds interval) const {
    auto c = *this;
    c.settings.discovery = interval;
    return c;
  }
  /// At most `per_second` records per second from each partition (Spark's
  /// maxRatePerPartition); 0 = unlimited.
  source_t max_rate_per_partition(double per_second) const {
    auto c = *this;
    c.settings.max_rate = per_second;
    return c;
  }
  /// Event time from the Kafka record timestamps: per-partition watermarks
  /// (max timestamp - out_of_orderness - 1 ms), the minimum over partitions
  /// that are not idle goes downstream.
  source_t with_event_time(duration out_of_orderness = duration{0}) const {
    auto c = *this;
    c.settings.event_time = true;
    c.settings.out_of_orderness = out_of_orderness;
    return c;
  }
  /// Event time: a partition that has caught up and had no record for `d`
  /// (default 1 s) is idle and no longer holds the watermark back; its next
  /// record makes it active again. When every partition of a worker is idle
  /// its watermark stands still and the worker is left out of the minimum
  /// across workers (Flink's withIdleness).
  source_t with_idleness(std::chrono::milliseconds d) const {
    auto c = *this;
    c.settings.idleness = d;
    return c;
  }
  /// fail() (default), skip() or dead_letter(topic).
  source_t on_bad_record(bad_record_policy p) const {
    auto c = *this;
    c.settings.on_bad = std::move(p);
    return c;
  }
  /// How long poll() waits for a record before it reports idle.
  source_t poll_timeout(std::chrono::milliseconds t) const {
    auto c = *this;
    c.settings.poll_timeout = t;
    return c;
  }
  /// Ends the input (gracefully: on_end, sinks commit) once *flag is true;
  /// e.g. set from a signal handler. The flag must outlive the job.
  source_t stop_when(const std::atomic<bool>& flag) const {
    auto c = *this;
    c.settings.stop_flag = &flag;
    return c;
  }

  /// Counters shared by every driver of this source (and its copies).
  const source_metrics& metrics() const { return *stats; }

  template <class Down>
  struct driver : driver_base<driver<Down>, Down> {
    std::unique_ptr<detail::consumer_state> st;
    Deser deser;
    std::shared_ptr<source_metrics> stats;
    std::int64_t last_wm = std::numeric_limits<std::int64_t>::min();
    std::vector<rd_kafka_message_t*> buf = std::vector<rd_kafka_message_t*>(1024);

    /// The next offset of every partition this driver reads (for checkpoints).
    std::vector<partition_offset> offsets() const {
      st->flush_dead_letters();
      return st->offsets();
    }
    detail::consumer_state& state() { return *st; }

    poll_result poll(std::size_t max) {
      if (this->done) return {0, poll_status::ended};
      struct count_records {  // one atomic add per poll, not per record
        driver* d;
        ~count_records() {
          if (d->pushed_) d->stats->records.fetch_add(d->pushed_, std::memory_order_relaxed);
          d->pushed_ = 0;
        }
      } counting{this};
      auto& s = st->settings();
      if (s.stop_flag && s.stop_flag->load(std::memory_order_relaxed)) return end(0, false);
      if (st->all_done()) return end(0, false);
      st->maybe_discover();
      std::size_t n = 0;
      bool stop = false;
      if (s.max_rate > 0) n += push_held(max, stop);
      if (stop) return end(n, true);
      if (n < max && !st->all_done()) {
        std::size_t want = std::min(max - n, buf.size());
        ssize_t got = rd_kafka_consume_batch_queue(st->queue(), 0, buf.data(), want);
        if (got <= 0) {
          rd_kafka_message_t* m = rd_kafka_consume_queue(st->queue(), static_cast<int>(s.poll_timeout.count()));
          if (m) {
            buf[0] = m;
            got = 1;
          }
        }
        ssize_t i = 0;
        try {
          for (; i < got; ++i) {
            rd_kafka_message_t* m = buf[static_cast<std::size_t>(i)];
            if (stop) {
              rd_kafka_message_destroy(m);
              continue;
            }
            if (!handle(m, n)) rd_kafka_message_destroy(m);  // else: held for the rate limit
            if (stopped_) stop = true;
          }
        } catch (...) {
          // handle() destroyed buf[i]; the rest must go before the consumer closes
          for (ssize_t j = i + 1; j < got; ++j) rd_kafka_message_destroy(buf[static_cast<std::size_t>(j)]);
          throw;
        }
      }
      if (s.event_time) emit_watermark();
      if (stop) return end(n, true);
      if (st->all_done()) return end(n, false);
      return {n, n ? poll_status::more : poll_status::idle};
    }

    /// Pushes everything until the input ends (bounded) or a stop. Without an
    /// executor to tick (spate::run), it announces processing time itself
    /// every 100 ms, so time-based work downstream (processing-time windows,
    /// the sink's transaction interval) goes on while the topic is quiet.
    bool drain() {
      auto next_tick = std::chrono::steady_clock::now() + std::chrono::milliseconds(100);
      for (;;) {
        poll_result r = poll(std::size_t(1) << 16);
        if (r.finished()) return r.status == poll_status::ended;
        auto now = std::chrono::steady_clock::now();
        if (now >= next_tick) {
          next_tick = now + std::chrono::milliseconds(100);
          this->down->on_tick(std::chrono::time_point_cast<duration>(std::chrono::system_clock::now()));
        }
      }
    }

    /// Ends the input at the executor's request (a graceful stop): the
    /// dead letters are flushed first, and a failure to deliver them is an error.
    void cancel() {
      if (!this->done) st->flush_dead_letters();
      this->finish(0, true);
    }

   private:
    bool stopped_ = false;
    bool idle_announced_ = false;
    std::int64_t pushed_ = 0;

    poll_result end(std::size_t n, bool stopped) {
      if (!this->done) st->flush_dead_letters();
      return this->finish(n, stopped);
    }

    // Returns true when m was kept (held for the rate limit). Destroys m when it throws.
    bool handle(rd_kafka_message_t* m, std::size_t& n) {
      try {
        return handle_message(m, n);
      } catch (...) {
        rd_kafka_message_destroy(m);
        throw;
      }
    }
    bool handle_message(rd_kafka_message_t* m, std::size_t& n) {
      if (m->err) {
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
          if (auto* p = st->find(m)) st->on_eof(*p, m->offset);
          return false;
        }
        if (detail::fatal_consumer_error(m->err)) {
          std::string where = m->rkt ? std::string(" (") + rd_kafka_topic_name(m->rkt) + "/" + std::to_string(m->partition) + ")" : "";
          std::string msg = "kafka source: consumer error" + where + ": " + rd_kafka_message_errstr(m);
          throw kafka_error(msg, m->err);
        }
        return false;  // transient (e.g. a broker restarting): librdkafka retries
      }
      auto* p = st->find(m);
      if (!p || p->done || m->offset < p->next) return false;  // not ours, past the bound, or seen
      if (st->settings().bounded && m->offset >= p->end) {
        // Past the bound. Done once the records held for the rate limit are
        // pushed (the last of them, end - 1, marks it done in deliver).
        if (p->held.empty()) p->done = true;
        return false;
      }
      if (st->settings().max_rate > 0) {
        if (!p->held.empty() || p->tokens < 1) {
          p->held.push_back(m);
          st->pause(*p);
          return true;
        }
        p->tokens -= 1;
      }
      deliver(*p, m);
      ++n;
      return false;
    }

    std::size_t push_held(std::size_t max, bool& stop) {
      st->refill();
      std::size_t n = 0;
      for (auto& p : st->parts()) {
        while (!p.held.empty() && p.tokens >= 1 && n < max && !stop) {
          rd_kafka_message_t* m = p.held.front();
          p.held.pop_front();
          p.tokens -= 1;
          try {
            deliver(p, m);
          } catch (...) {
            rd_kafka_message_destroy(m);
            throw;
          }
          rd_kafka_message_destroy(m);
          ++n;
          if (stopped_) stop = true;
        }
        if (p.held.empty() && p.eof_pending >= 0) st->on_eof(p, p.eof_pending);  // past control records too
        if (p.held.empty() && p.paused && p.tokens >= 1) st->resume(p);
      }
      return n;
    }

    // The partition's offset moves past m only once m was pushed (or skipped
    // by policy): after a failure, offsets() still points at m.
    void deliver(detail::consumer_state::part& p, const rd_kafka_message_t* m) {
      kafka_record rec(m);
      auto r = deser.deserialize(rec);
      if (r.ok()) [[likely]] {
        if (st->settings().event_time) {
          if (auto ts = rec.timestamp()) {
            if (!p.has_ts || *ts > p.max_ts) p.max_ts = *ts;
            p.has_ts = true;
          }
        }
        ++pushed_;
        if (idle_announced_) [[unlikely]]
          announce_idle(false);
        if (!this->down->push(std::move(r).value())) stopped_ = true;
      } else {
        const auto& pol = st->settings().on_bad;
        std::string err = r.error().message();
        if (pol.what == bad_record_policy::action::fail)
          throw kafka_error("kafka source: cannot deserialize the record at " + std::string(rec.topic()) + "/" +
                                std::to_string(rec.partition()) + " offset " + std::to_string(rec.offset()) + ": " +
                                err,
                            RD_KAFKA_RESP_ERR__VALUE_DESERIALIZATION);
        stats->bad_records.fetch_add(1, std::memory_order_relaxed);
        if (pol.what == bad_record_policy::action::dead_letter) {
          st->dead_letter(m, err);
          stats->dead_lettered.fetch_add(1, std::memory_order_relaxed);
        }
      }
      p.next = m->offset + 1;
      p.idle = false;
      if (st->settings().bounded && p.next >= p.end) p.done = true;
    }

    void emit_watermark() {
      auto w = st->watermark();
      if (!w) {
        announce_idle(true);
        return;
      }
      if (*w > last_wm) {
        last_wm = *w;
        this->down->on_watermark(from_millis(*w));
      }
    }
    // Downstream stages that merge inputs (the shuffle of a parallel context,
    // merge) leave an idle input out of their watermark minimum.
    void announce_idle(bool idle) {
      if (idle == idle_announced_) return;
      idle_announced_ = idle;
      if constexpr (requires { this->down->on_idle(idle); }) this->down->on_idle(idle);
    }
  };

  template <class Env, class Down>
  driver<Down> open(Env&, shard sh, Down& down) const {
    auto st = std::make_unique<detail::consumer_state>(settings, sh);
    st->metrics = stats;
    driver<Down> d;
    d.down = &down;
    d.st = std::move(st);
    d.deser = deser;
    d.stats = stats;
    return d;
  }
};

/// A source over the given topics. `d`: a RecordDeserializer, a Serializer
/// (values) or a serde::key_value (keys and values).
template <class D = serde::string_schema>
auto source(config cfg, std::vector<std::string> topics, D d = {}) {
  using R = detail::record_deserializer_t<D>;
  source_t<R> s;
  s.settings.cfg = std::move(cfg);
  s.settings.topics = std::move(topics);
  s.deser = detail::as_record_deserializer(std::move(d));
  return s;
}
/// A source over every topic whose whole name matches the ECMAScript regex.
template <class D = serde::string_schema>
auto source_pattern(config cfg, std::string regex, D d = {}) {
  using R = detail::record_deserializer_t<D>;
  source_t<R> s;
  s.settings.cfg = std::move(cfg);
  s.settings.pattern = std::move(regex);
  s.deser = detail::as_record_deserializer(std::move(d));
  return s;
}

}  // namespace spate::kafka
