#pragma once
// kafka::admin: the cluster operations tests, examples and the connectors
// need, over librdkafka's C admin API. Every call waits for its result (at
// most cfg.timeout) and throws kafka_error with the broker's message.
//
//   kafka::admin a(cfg);
//   a.create_topic("orders", 3);            // partitions, replication 1
//   a.create_partitions("orders", 6);       // grow to 6 partitions
//   a.partition_count("orders");            // 6
//   a.end_offsets("orders");                // high watermark per partition
//   a.broker_config("transaction.max.timeout.ms");
//   a.delete_topic("orders");
#include <librdkafka/rdkafka.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config.hpp"
#include "errors.hpp"

namespace spate::kafka {

class admin {
 public:
  explicit admin(config cfg) : cfg_(std::move(cfg)) {
    rk_ = detail::make_handle(RD_KAFKA_PRODUCER, detail::make_conf(cfg_, {}, {}, "kafka admin"), "kafka admin");
  }

  const config& cfg() const { return cfg_; }
  rd_kafka_t* native() const { return rk_.get(); }

  /// Creates a topic; throws if it exists (unless if_not_exists).
  void create_topic(const std::string& name, int partitions, int replication = 1,
                    const std::map<std::string, std::string>& configs = {}, bool if_not_exists = false) {
    char err[512];
    rd_kafka_NewTopic_t* nt = rd_kafka_NewTopic_new(name.c_str(), partitions, replication, err, sizeof err);
    if (!nt) throw kafka_error("kafka admin: create topic '" + name + "': " + err);
    for (auto& [k, v] : configs) rd_kafka_NewTopic_set_config(nt, k.c_str(), v.c_str());
    request r(*this, RD_KAFKA_ADMIN_OP_CREATETOPICS);
    rd_kafka_CreateTopics(rk_.get(), &nt, 1, r.options, r.queue);
    rd_kafka_NewTopic_destroy(nt);
    rd_kafka_event_t* ev = r.wait("create topic '" + name + "'");
    size_t n = 0;
    auto res = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &n);
    check_topics(res, n, "create topic", ev, if_not_exists ? RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS : RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_event_destroy(ev);
    wait_for_metadata(name, partitions);
  }

  void delete_topic(const std::string& name) {
    rd_kafka_DeleteTopic_t* dt = rd_kafka_DeleteTopic_new(name.c_str());
    request r(*this, RD_KAFKA_ADMIN_OP_DELETETOPICS);
    rd_kafka_DeleteTopics(rk_.get(), &dt, 1, r.options, r.queue);
    rd_kafka_DeleteTopic_destroy(dt);
    rd_kafka_event_t* ev = r.wait("delete topic '" + name + "'");
    size_t n = 0;
    auto res = rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(ev), &n);
    check_topics(res, n, "delete topic", ev, RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART);
    rd_kafka_event_destroy(ev);
  }

  /// Grows topic to `total` partitions (rd_kafka_CreatePartitions).
  void create_partitions(const std::string& topic, int total) {
    char err[512];
    rd_kafka_NewPartitions_t* np = rd_kafka_NewPartitions_new(topic.c_str(), static_cast<size_t>(total), err, sizeof err);
    if (!np) throw kafka_error("kafka admin: create partitions of '" + topic + "': " + err);
    request r(*this, RD_KAFKA_ADMIN_OP_CREATEPARTITIONS);
    rd_kafka_CreatePartitions(rk_.get(), &np, 1, r.options, r.queue);
    rd_kafka_NewPartitions_destroy(np);
    rd_kafka_event_t* ev = r.wait("create partitions of '" + topic + "'");
    size_t n = 0;
    auto res = rd_kafka_CreatePartitions_result_topics(rd_kafka_event_CreatePartitions_result(ev), &n);
    check_topics(res, n, "create partitions", ev, RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_event_destroy(ev);
    wait_for_metadata(topic, total);
  }

  int partition_count(const std::string& topic) {
    return detail::partition_count(rk_.get(), cfg_, topic, "kafka admin");
  }

  /// The high watermark (end offset) of every partition of topic.
  std::vector<std::int64_t> end_offsets(const std::string& topic) {
    int n = partition_count(topic);
    std::vector<std::int64_t> out(static_cast<std::size_t>(n));
    for (int p = 0; p < n; ++p) {
      std::int64_t lo = 0, hi = 0;
      auto err = rd_kafka_query_watermark_offsets(rk_.get(), topic.c_str(), p, &lo, &hi, cfg_.timeout_ms());
      if (err) detail::throw_error("kafka admin: end offset of " + topic + "/" + std::to_string(p), err);
      out[static_cast<std::size_t>(p)] = hi;
    }
    return out;
  }

  /// A broker configuration value (of the first broker in the metadata),
  /// e.g. "transaction.max.timeout.ms".
  std::string broker_config(const std::string& name) {
    auto md = detail::fetch_metadata(rk_.get(), cfg_, "kafka admin");
    if (md->broker_cnt == 0) throw kafka_error("kafka admin: the cluster reports no brokers");
    std::string id = std::to_string(md->brokers[0].id);
    rd_kafka_ConfigResource_t* cr = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_BROKER, id.c_str());
    request r(*this, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS);
    rd_kafka_DescribeConfigs(rk_.get(), &cr, 1, r.options, r.queue);
    rd_kafka_ConfigResource_destroy(cr);
    rd_kafka_event_t* ev = r.wait("describe configs of broker " + id);
    size_t n = 0;
    auto res = rd_kafka_DescribeConfigs_result_resources(rd_kafka_event_DescribeConfigs_result(ev), &n);
    std::string value;
    bool found = false;
    for (size_t i = 0; i < n && !found; ++i) {
      if (auto e = rd_kafka_ConfigResource_error(res[i])) {
        std::string msg = rd_kafka_ConfigResource_error_string(res[i]) ? rd_kafka_ConfigResource_error_string(res[i]) : "";
        rd_kafka_event_destroy(ev);
        detail::throw_error("kafka admin: describe configs of broker " + id + ": " + msg, e);
      }
      size_t m = 0;
      auto entries = rd_kafka_ConfigResource_configs(res[i], &m);
      for (size_t j = 0; j < m; ++j)
        if (name == rd_kafka_ConfigEntry_name(entries[j])) {
          const char* v = rd_kafka_ConfigEntry_value(entries[j]);
          value = v ? v : "";
          found = true;
          break;
        }
    }
    rd_kafka_event_destroy(ev);
    if (!found) throw kafka_error("kafka admin: broker " + id + " has no configuration '" + name + "'");
    return value;
  }

 private:
  struct request {
    rd_kafka_queue_t* queue;
    rd_kafka_AdminOptions_t* options;
    const admin& a;
    request(const admin& ad, rd_kafka_admin_op_t op) : a(ad) {
      queue = rd_kafka_queue_new(a.rk_.get());
      options = rd_kafka_AdminOptions_new(a.rk_.get(), op);
      char err[256];
      rd_kafka_AdminOptions_set_request_timeout(options, a.cfg_.timeout_ms(), err, sizeof err);
      if (op == RD_KAFKA_ADMIN_OP_CREATETOPICS || op == RD_KAFKA_ADMIN_OP_DELETETOPICS ||
          op == RD_KAFKA_ADMIN_OP_CREATEPARTITIONS)
        rd_kafka_AdminOptions_set_operation_timeout(options, a.cfg_.timeout_ms(), err, sizeof err);
    }
    ~request() {
      rd_kafka_AdminOptions_destroy(options);
      rd_kafka_queue_destroy(queue);
    }
    request(const request&) = delete;
    request& operator=(const request&) = delete;
    rd_kafka_event_t* wait(const std::string& what) {
      rd_kafka_event_t* ev = rd_kafka_queue_poll(queue, a.cfg_.timeout_ms() + 1000);
      if (!ev)
        throw kafka_error("kafka admin: " + what + ": no answer from '" + a.cfg_.bootstrap + "' within " +
                              std::to_string(a.cfg_.timeout.count()) + " ms",
                          RD_KAFKA_RESP_ERR__TIMED_OUT);
      if (auto e = rd_kafka_event_error(ev)) {
        std::string msg = "kafka admin: " + what + ": " + rd_kafka_event_error_string(ev);
        rd_kafka_event_destroy(ev);
        throw kafka_error(msg, e);
      }
      return ev;
    }
  };

  static void check_topics(const rd_kafka_topic_result_t** res, size_t n, const char* what, rd_kafka_event_t* ev,
                           rd_kafka_resp_err_t tolerated) {
    for (size_t i = 0; i < n; ++i) {
      auto e = rd_kafka_topic_result_error(res[i]);
      if (e && e != tolerated) {
        const char* s = rd_kafka_topic_result_error_string(res[i]);
        std::string msg = std::string("kafka admin: ") + what + " '" + rd_kafka_topic_result_name(res[i]) +
                          "': " + (s ? s : rd_kafka_err2str(e));
        rd_kafka_event_destroy(ev);
        throw kafka_error(msg, e);
      }
    }
  }

  // Admin results come from the controller; wait until the metadata this
  // client sees agrees, so that a producer or consumer created next finds it.
  void wait_for_metadata(const std::string& topic, int partitions) {
    for (int i = 0; i < 100; ++i) {
      try {
        if (detail::partition_count(rk_.get(), cfg_, topic, "kafka admin") >= partitions) return;
      } catch (const kafka_error&) {
      }
      rd_kafka_poll(rk_.get(), 50);
    }
  }

  config cfg_;
  detail::handle rk_;
};

}  // namespace spate::kafka
