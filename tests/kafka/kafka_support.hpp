// Helpers for the Kafka connector tests: the fixture's cluster, unique
// topics, producing test records and reading a topic back with a plain
// librdkafka consumer (independent of the source under test).
#pragma once

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <spate/kafka.hpp>

#include "../kafka_broker/kafka_test_env.hpp"

namespace kt {

inline spate::kafka::config cfg() {
  spate::kafka::config c(spate_test::kafka::bootstrap());
  c.timeout = std::chrono::seconds(15);
  return c;
}
inline std::string topic(const std::string& prefix) { return spate_test::kafka::unique_topic("spate-" + prefix); }
inline std::string new_topic(const std::string& prefix, int partitions) {
  auto t = topic(prefix);
  spate::kafka::admin(cfg()).create_topic(t, partitions);
  return t;
}

struct message {
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::int64_t timestamp = 0;
  std::optional<std::string> key;
  std::string value;
  std::map<std::string, std::string> headers;
};

/// Produces records (value, key, partition, timestamp) and waits for all.
class producer {
 public:
  producer() {
    char err[512];
    rd_kafka_conf_t* c = rd_kafka_conf_new();
    rd_kafka_conf_set(c, "bootstrap.servers", spate_test::kafka::bootstrap().c_str(), err, sizeof err);
    rd_kafka_conf_set(c, "linger.ms", "1", err, sizeof err);
    rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, c, err, sizeof err);
    if (!rk_) throw std::runtime_error(err);
  }
  ~producer() {
    rd_kafka_flush(rk_, 10000);
    rd_kafka_destroy(rk_);
  }
  void send(const std::string& topic, const std::string& value, std::int32_t partition = RD_KAFKA_PARTITION_UA,
            std::optional<std::string> key = std::nullopt, std::int64_t ts = 0) {
    rd_kafka_resp_err_t e;
    do {
      e = rd_kafka_producev(rk_, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(partition),
                            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                            RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
                            RD_KAFKA_V_KEY((key ? key->data() : nullptr), (key ? key->size() : 0)),
                            RD_KAFKA_V_TIMESTAMP(ts), RD_KAFKA_V_END);
      if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL) rd_kafka_poll(rk_, 10);
    } while (e == RD_KAFKA_RESP_ERR__QUEUE_FULL);
    if (e) throw std::runtime_error(std::string("produce: ") + rd_kafka_err2str(e));
  }
  void flush() {
    if (rd_kafka_flush(rk_, 30000)) throw std::runtime_error("flush timed out");
  }

 private:
  rd_kafka_t* rk_ = nullptr;
};

/// Every record of topic (all partitions) up to the current end, read with a
/// plain consumer; read_committed hides aborted transactions.
inline std::vector<message> read_all(const std::string& topic, bool read_committed = false,
                                     std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
  char err[512];
  rd_kafka_conf_t* c = rd_kafka_conf_new();
  rd_kafka_conf_set(c, "bootstrap.servers", spate_test::kafka::bootstrap().c_str(), err, sizeof err);
  rd_kafka_conf_set(c, "group.id", "spate-test-reader", err, sizeof err);
  rd_kafka_conf_set(c, "enable.auto.commit", "false", err, sizeof err);
  rd_kafka_conf_set(c, "enable.partition.eof", "true", err, sizeof err);
  rd_kafka_conf_set(c, "isolation.level", read_committed ? "read_committed" : "read_uncommitted", err, sizeof err);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, err, sizeof err);
  int n = spate::kafka::admin(cfg()).partition_count(topic);
  rd_kafka_topic_partition_list_t* l = rd_kafka_topic_partition_list_new(n);
  for (int p = 0; p < n; ++p) rd_kafka_topic_partition_list_add(l, topic.c_str(), p)->offset = RD_KAFKA_OFFSET_BEGINNING;
  rd_kafka_assign(rk, l);
  rd_kafka_topic_partition_list_destroy(l);
  std::vector<message> out;
  int eof = 0;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::vector<bool> at_eof(static_cast<std::size_t>(n), false);
  while (eof < n && std::chrono::steady_clock::now() < deadline) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, 100);
    if (!m) continue;
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      if (!at_eof[static_cast<std::size_t>(m->partition)]) ++eof;
      at_eof[static_cast<std::size_t>(m->partition)] = true;
    } else if (!m->err) {
      message r;
      r.partition = m->partition;
      r.offset = m->offset;
      r.timestamp = rd_kafka_message_timestamp(m, nullptr);
      if (m->key) r.key = std::string(static_cast<const char*>(m->key), m->key_len);
      r.value.assign(static_cast<const char*>(m->payload), m->len);
      rd_kafka_headers_t* h = nullptr;
      if (rd_kafka_message_headers(m, &h) == 0 && h) {
        const char* name;
        const void* v;
        size_t len;
        for (size_t i = 0; rd_kafka_header_get_all(h, i, &name, &v, &len) == 0; ++i)
          r.headers[name] = v ? std::string(static_cast<const char*>(v), len) : "";
      }
      out.push_back(std::move(r));
    }
    rd_kafka_message_destroy(m);
  }
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  if (eof < n) throw std::runtime_error("read_all(" + topic + "): did not reach the end in time");
  return out;
}

inline std::vector<std::string> values(const std::vector<message>& v) {
  std::vector<std::string> out;
  for (auto& m : v) out.push_back(m.value);
  return out;
}

/// A time budget for waiting on the broker: generous, because a loaded
/// machine or a broker that has just started can take seconds to deliver.
/// Loops that count polls instead end early when each poll returns at once.
struct patience {
  std::chrono::steady_clock::time_point until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  explicit operator bool() const { return std::chrono::steady_clock::now() < until; }
};

}  // namespace kt
