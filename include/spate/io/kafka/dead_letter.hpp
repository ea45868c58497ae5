#pragma once
// The dead-letter side of a source (on_bad_record(dead_letter(topic))): the
// raw record (key, value, headers) goes to the topic with the headers
// spate.error, spate.topic, spate.partition and spate.offset added, through
// an idempotent shared producer opened (and checked against its topic) when
// the source opens. Deliveries are awaited by flush() (before the source ends,
// whenever offsets() is taken) so a checkpoint never covers an undelivered
// dead letter.
#include <librdkafka/rdkafka.h>
#include <sys/types.h>

#include <algorithm>
#include <chrono>
#include <string>

#include "config.hpp"
#include "errors.hpp"
#include "producer.hpp"

namespace spate::kafka::detail {

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

class dead_letters {
 public:
  /// The source's config (its producer properties are reused); a missing topic fails here.
  dead_letters(const config& source_cfg, const std::string& topic) : wait_(std::max<long long>(30000, source_cfg.timeout.count())) {
    config pc(source_cfg.bootstrap);
    pc.timeout = source_cfg.timeout;
    for (auto& [k, v] : source_cfg.props)
      if (!consumer_only_property(k) && k != "client.id") pc.props[k] = v;
    pc.props["enable.idempotence"] = "true";
    auto p = shared_producer::acquire(pc);
    partition_count(p->native(), source_cfg, topic, "kafka source dead-letter");
    topic_ = p->topic(topic);
    out_ = tracked_producer(std::move(p));
  }
  dead_letters(const dead_letters&) = delete;
  dead_letters& operator=(const dead_letters&) = delete;
  ~dead_letters() { out_.drain(std::chrono::seconds(10), "kafka source dead-letter"); }

  void send(const rd_kafka_message_t* m, const std::string& error) {
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
    out_.produce(topic_, RD_KAFKA_PARTITION_UA, m->key, m->key_len, m->payload, m->len, h);
    out_.producer().poll(0);
    if (out_.pending() > 10000) flush();
  }

  /// Waits for every dead letter's delivery; a failed one is an error.
  void flush() {
    out_.await(wait_, "kafka source dead-letter");
    out_.check("kafka source dead-letter");
  }

 private:
  std::chrono::milliseconds wait_;
  rd_kafka_topic_t* topic_ = nullptr;
  tracked_producer out_;
};

}  // namespace spate::kafka::detail
