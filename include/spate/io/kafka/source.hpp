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

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "../../core/time.hpp"
#include "../source.hpp"
#include "../../exec/barriers.hpp"
#include "../../exec/stage_metrics.hpp"
#include "assignment.hpp"
#include "config.hpp"
#include "consumer.hpp"
#include "dead_letter.hpp"
#include "errors.hpp"
#include "message.hpp"
#include "offsets.hpp"
#include "partition_watermarks.hpp"
#include "rate_limit.hpp"
#include "record.hpp"
#include "source_settings.hpp"

namespace spate::kafka {
namespace detail {

/// The side of a driver that does not depend on the record type. Members
/// are destroyed in reverse order: the consumed messages (held for the rate,
/// in the batch) before the consumer closes.
struct source_reader {
  source_settings s;
  consumer c;
  rate_limiter rate;
  std::optional<dead_letters> dlq;
  assignment parts;
  message_batch batch{1024};
  partition_watermarks watermarks;  // with_event_time

  source_reader(source_settings settings, shard sh)
      : s(checked(std::move(settings))), c(s.cfg), rate(s.max_rate), parts(c.native(), s, sh, rate.full()) {
    if (s.pattern.empty() && s.topics.empty())
      throw kafka_error("kafka source: no topic given", RD_KAFKA_RESP_ERR__INVALID_ARG);
    if (s.on_bad.what == bad_record_policy::action::dead_letter)
      dlq.emplace(s.cfg, s.on_bad.dead_letter_topic);  // a missing dead-letter topic fails now
    parts.open();
  }

  void flush_dead_letters() {
    if (dlq) dlq->flush();
  }

 private:
  static source_settings checked(source_settings s) {
    if (s.start.what == start_position::kind::committed && !s.cfg.has("group.id"))
      throw kafka_error("kafka source: start position committed() needs the consumer group: set \"group.id\"",
                        RD_KAFKA_RESP_ERR__INVALID_ARG);
    return s;
  }
};

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
    std::unique_ptr<detail::source_reader> st;
    Deser deser;
    std::shared_ptr<source_metrics> stats;
    std::int64_t last_wm = std::numeric_limits<std::int64_t>::min();

    /// The position for a checkpoint: every partition's next offset, one
    /// "topic partition offset" line each (topic names have no spaces).
    void position(std::string& out) const {
      for (const auto& o : offsets())
        out += o.topic + " " + std::to_string(o.partition) + " " + std::to_string(o.offset) + "\n";
    }

    /// The next offset of every partition this driver reads (for checkpoints).
    std::vector<partition_offset> offsets() const {
      st->flush_dead_letters();
      return st->parts.offsets();
    }

    poll_result poll(std::size_t max) {
      if (this->done) return {0, poll_status::ended};
      struct after_poll {  // one atomic add per poll, not per record; the partitions' gauges every 50 ms
        driver* d;
        ~after_poll() {
          if (d->pushed_) d->stats->records.fetch_add(d->pushed_, std::memory_order_relaxed);
          d->pushed_ = 0;
          if (d->registry_) d->publish_partitions(false);
        }
      } publishing{this};
      auto& r = *st;
      if (r.s.stop_flag && r.s.stop_flag->load(std::memory_order_relaxed)) return end(0, false);
      if (r.parts.all_done()) return end(0, false);
      if (auto added = r.parts.maybe_discover()) stats->partitions_discovered.fetch_add(static_cast<std::int64_t>(added));
      std::size_t n = 0;
      bool stop = false;
      std::chrono::nanoseconds waited{0};
      if (r.rate.on()) n += push_held(max, stop);
      if (stop) return end(n, true);
      if (n < max && !r.parts.all_done()) {
        r.batch.fill(r.c.queue(), max - n, static_cast<int>(r.s.poll_timeout.count()));
        waited = r.batch.waited();
        while (auto m = r.batch.take()) {  // what is not taken goes with the batch (a stop, an exception)
          handle(std::move(m), n);
          if (stopped_) {
            stop = true;
            break;
          }
        }
        r.batch.clear();
      }
      if (r.s.event_time) emit_watermark();
      if (stop) return end(n, true);
      if (r.parts.all_done()) return end(n, false);
      return {n, n ? poll_status::more : poll_status::idle, waited};
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

    /// Under a context's metrics (exec/stage_metrics.hpp): job `job`'s
    /// source reports each partition's offset and high watermark there.
    void meter_partitions(exec::stage_registry* reg, std::size_t job) {
      registry_ = reg;
      job_ = job;
      if (reg) publish_partitions(true);
    }

   private:
    bool stopped_ = false;
    bool idle_announced_ = false;
    std::int64_t pushed_ = 0;
    exec::stage_registry* registry_ = nullptr;
    std::size_t job_ = 0;
    std::chrono::steady_clock::time_point next_publish_{};

    poll_result end(std::size_t n, bool stopped) {
      if (!this->done) st->flush_dead_letters();
      if (registry_ && !this->done) publish_partitions(true);
      return this->finish(n, stopped);
    }

    // Each partition's next offset (the one a checkpoint would store) and
    // its high watermark from librdkafka's cache (no request to the broker;
    // updated by each fetch; before the first, the one seen when assigned). The lag is high watermark - offset,
    // counted in offsets: a transaction's markers count, until the
    // partition's end is reached and the offset moves past them.
    void publish_partitions(bool now) {
      const auto t = std::chrono::steady_clock::now();
      if (!now && t < next_publish_) return;
      next_publish_ = t + std::chrono::milliseconds(50);
      auto& r = *st;
      for (auto& p : r.parts.parts()) {
        if (!p.meter) p.meter = registry_->join_partition(job_, p.topic, p.partition);
        p.meter->offset.store(p.rate.held.empty() ? p.next : p.rate.held.front()->offset, std::memory_order_relaxed);
        std::int64_t low = RD_KAFKA_OFFSET_INVALID, high = RD_KAFKA_OFFSET_INVALID;
        if (rd_kafka_get_watermark_offsets(r.c.native(), p.topic.c_str(), p.partition, &low, &high) !=
            RD_KAFKA_RESP_ERR_NO_ERROR)
          high = RD_KAFKA_OFFSET_INVALID;
        p.meter->high_watermark.store(std::max(high, p.high_at_open), std::memory_order_relaxed);
      }
    }

    void handle(detail::message_ptr m, std::size_t& n) {
      auto& r = *st;
      if (m->err) {
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
          if (auto* p = r.parts.find(m.get())) r.parts.on_eof(*p, m->offset);
          return;
        }
        if (detail::fatal_consumer_error(m->err)) {
          std::string where = m->rkt ? std::string(" (") + rd_kafka_topic_name(m->rkt) + "/" + std::to_string(m->partition) + ")" : "";
          std::string msg = "kafka source: consumer error" + where + ": " + rd_kafka_message_errstr(m.get());
          throw kafka_error(msg, m->err);
        }
        return;  // transient (e.g. a broker restarting): librdkafka retries
      }
      auto* p = r.parts.find(m.get());
      if (!p || p->done || m->offset < p->next) return;  // not ours, past the bound, or seen
      if (r.s.bounded && m->offset >= p->end) {
        // Past the bound. Done once the records held for the rate limit are
        // pushed (the last of them, end - 1, marks it done in deliver).
        if (p->rate.held.empty()) p->done = true;
        return;
      }
      if (r.rate.on()) {
        if (!p->rate.held.empty() || p->rate.tokens < 1) {
          p->rate.held.push_back(std::move(m));
          detail::rate_limiter::set_paused(r.c.native(), p->topic, p->partition, p->rate, true);
          return;
        }
        p->rate.tokens -= 1;
      }
      deliver(*p, *m);
      ++n;
    }

    std::size_t push_held(std::size_t max, bool& stop) {
      auto& r = *st;
      r.rate.refill(r.parts.parts());
      std::size_t n = 0;
      for (auto& p : r.parts.parts()) {
        while (!p.rate.held.empty() && p.rate.tokens >= 1 && n < max && !stop) {
          detail::message_ptr m = std::move(p.rate.held.front());
          p.rate.held.pop_front();
          p.rate.tokens -= 1;
          deliver(p, *m);
          ++n;
          if (stopped_) stop = true;
        }
        if (p.rate.held.empty() && p.eof_pending >= 0) r.parts.on_eof(p, p.eof_pending);  // past control records too
        if (p.rate.held.empty() && p.rate.paused && p.rate.tokens >= 1)
          detail::rate_limiter::set_paused(r.c.native(), p.topic, p.partition, p.rate, false);
      }
      return n;
    }

    // The partition's offset moves past m only once m was pushed (or skipped
    // by policy): after a failure, offsets() still points at m.
    void deliver(detail::partition_state& p, const rd_kafka_message_t& m) {
      const auto& s = st->s;
      kafka_record rec(&m);
      auto r = deser.deserialize(rec);
      if (r.ok()) [[likely]] {
        if (s.event_time) {
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
        const auto& pol = s.on_bad;
        std::string err = r.error().message();
        if (pol.what == bad_record_policy::action::fail)
          throw kafka_error("kafka source: cannot deserialize the record at " + std::string(rec.topic()) + "/" +
                                std::to_string(rec.partition()) + " offset " + std::to_string(rec.offset()) + ": " +
                                err,
                            RD_KAFKA_RESP_ERR__VALUE_DESERIALIZATION);
        stats->bad_records.fetch_add(1, std::memory_order_relaxed);
        if (pol.what == bad_record_policy::action::dead_letter) {
          st->dlq->send(&m, err);
          stats->dead_lettered.fetch_add(1, std::memory_order_relaxed);
        }
      }
      p.next = m.offset + 1;
      p.idle = false;
      if (s.bounded && p.next >= p.end) p.done = true;
    }

    void emit_watermark() {
      auto& r = *st;
      auto c = r.watermarks.update(r.parts.parts(), r.s.out_of_orderness, r.s.idleness);
      if (!c.any_active) {
        announce_idle(true);
        return;
      }
      if (c.next && to_millis(*c.next) > last_wm) {  // a valve rebuilt for a new partition starts lower
        last_wm = to_millis(*c.next);
        this->down->on_watermark(*c.next);
      }
    }
    // Downstream stages that merge inputs (the shuffle of a parallel context,
    // merge) leave an idle input out of their watermark minimum.
    void announce_idle(bool idle) {
      if (idle == idle_announced_) return;
      idle_announced_ = idle;
      this->down->on_idle(idle);
    }
  };

  /// Shard `sh` resumed from a checkpoint: the saved offsets of every shard
  /// (so it works at another parallelism too) win over the start position;
  /// partitions the checkpoint does not know start from the earliest offset.
  template <class Env, class Down>
  driver<Down> open_at(Env& env, shard sh, Down& down, const exec::restored_input& at) const {
    offset_map m;
    for (std::string_view pos : at.shards) {
      while (!pos.empty()) {
        auto nl = pos.find('\n');
        std::string line(pos.substr(0, nl));
        pos = nl == std::string_view::npos ? std::string_view{} : pos.substr(nl + 1);
        auto a = line.find(' '), b = line.rfind(' ');
        if (a == std::string::npos || a == b)
          throw kafka_error("kafka source: a checkpointed position '" + line + "' is not 'topic partition offset'",
                            RD_KAFKA_RESP_ERR__BAD_MSG);
        m[{line.substr(0, a), static_cast<std::int32_t>(std::stol(line.substr(a + 1, b - a - 1)))}] =
            std::stoll(line.substr(b + 1));
      }
    }
    return start_from(from_offsets(std::move(m), earliest())).open(env, sh, down);
  }

  template <class Env, class Down>
  driver<Down> open(Env&, shard sh, Down& down) const {
    driver<Down> d;
    d.down = &down;
    d.st = std::make_unique<detail::source_reader>(settings, sh);
    d.deser = deser;
    d.stats = stats;
    if (auto& scope = exec::current_metering(); scope.stages) d.meter_partitions(scope.stages, scope.job);
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
