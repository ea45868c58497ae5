// kafka_test_env.hpp — what a test needs to talk to the CTest Kafka fixture
// (cmake/KafkaFixture.cmake, scripts/kafka; see docs/kafka-broker.md).
//
//   bootstrap():        SPATE_KAFKA_BOOTSTRAP if set, else the first line of
//                       the file named by SPATE_KAFKA_BOOTSTRAP_FILE.
//   unique_topic(p):    a topic name no earlier run on the same cluster used.
//   create_topic(...):  the admin API of librdkafka's C library (the C++ API
//                       has none); waits until the topic has leaders.
//   kafka_script(args): runs scripts/kafka (e.g. "stop-broker 1") on the
//                       fixture's cluster; returns its exit status.
#pragma once

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <unistd.h>

namespace spate_test::kafka {

inline std::string bootstrap() {
  if (const char* b = std::getenv("SPATE_KAFKA_BOOTSTRAP"); b && *b) return b;
  const char* file = std::getenv("SPATE_KAFKA_BOOTSTRAP_FILE");
  if (!file || !*file)
    throw std::runtime_error(
        "no Kafka broker: set SPATE_KAFKA_BOOTSTRAP=host:port, or run the test through ctest "
        "(the kafka fixture sets SPATE_KAFKA_BOOTSTRAP_FILE)");
  std::ifstream in(file);
  std::string line;
  if (!std::getline(in, line) || line.empty())
    throw std::runtime_error(std::string("no bootstrap in ") + file +
                             " (did the kafka_up fixture test pass?)");
  return line;
}

inline std::string unique_topic(const std::string& prefix) {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  return prefix + "-" + std::to_string(::getpid()) + "-" +
         std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(now).count());
}

namespace detail {
struct handle {
  rd_kafka_t* rk = nullptr;
  ~handle() {
    if (rk) rd_kafka_destroy(rk);
  }
};

inline rd_kafka_t* admin_client(const std::string& servers) {
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  if (rd_kafka_conf_set(conf, "bootstrap.servers", servers.c_str(), err, sizeof err) !=
      RD_KAFKA_CONF_OK) {
    rd_kafka_conf_destroy(conf);
    throw std::runtime_error(err);
  }
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);  // takes conf
  if (!rk) throw std::runtime_error(std::string("rd_kafka_new: ") + err);
  return rk;
}

// True once every partition of `topic` has a leader in the cluster's metadata.
inline bool topic_ready(rd_kafka_t* rk, const std::string& topic, int partitions) {
  rd_kafka_topic_t* t = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
  const rd_kafka_metadata_t* md = nullptr;
  bool ok = false;
  if (rd_kafka_metadata(rk, 0, t, &md, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR && md->topic_cnt == 1) {
    const auto& tm = md->topics[0];
    ok = tm.err == RD_KAFKA_RESP_ERR_NO_ERROR && tm.partition_cnt == partitions;
    for (int i = 0; ok && i < tm.partition_cnt; ++i) ok = tm.partitions[i].leader >= 0;
  }
  if (md) rd_kafka_metadata_destroy(md);
  rd_kafka_topic_destroy(t);
  return ok;
}
}  // namespace detail

// Creates `topic`; `configs` are topic configs as {"name","value"} pairs.
inline void create_topic(const std::string& servers, const std::string& topic, int partitions,
                         int replication_factor = 1,
                         std::initializer_list<std::pair<const char*, const char*>> configs = {}) {
  detail::handle h{detail::admin_client(servers)};
  char err[512];
  rd_kafka_NewTopic_t* nt =
      rd_kafka_NewTopic_new(topic.c_str(), partitions, replication_factor, err, sizeof err);
  if (!nt) throw std::runtime_error(std::string("NewTopic: ") + err);
  for (const auto& [k, v] : configs) rd_kafka_NewTopic_set_config(nt, k, v);
  rd_kafka_queue_t* q = rd_kafka_queue_new(h.rk);
  rd_kafka_CreateTopics(h.rk, &nt, 1, nullptr, q);
  rd_kafka_event_t* ev = rd_kafka_queue_poll(q, 30000);
  std::string error;
  if (!ev) {
    error = "CreateTopics timed out";
  } else if (rd_kafka_event_error(ev)) {
    error = rd_kafka_event_error_string(ev);
  } else {
    const rd_kafka_CreateTopics_result_t* res = rd_kafka_event_CreateTopics_result(ev);
    size_t n = 0;
    const rd_kafka_topic_result_t** tr = rd_kafka_CreateTopics_result_topics(res, &n);
    if (n != 1) error = "CreateTopics: unexpected result count";
    else if (rd_kafka_topic_result_error(tr[0]))
      error = rd_kafka_topic_result_error_string(tr[0]);
  }
  if (ev) rd_kafka_event_destroy(ev);
  rd_kafka_queue_destroy(q);
  rd_kafka_NewTopic_destroy(nt);
  if (!error.empty()) throw std::runtime_error("create topic " + topic + ": " + error);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!detail::topic_ready(h.rk, topic, partitions)) {
    if (std::chrono::steady_clock::now() > deadline)
      throw std::runtime_error("topic " + topic + " has no leaders after 30 s");
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

// Runs `scripts/kafka ARGS` against the fixture's cluster (e.g. "stop-broker 1").
inline int kafka_script(const std::string& args) {
  const char* script = std::getenv("SPATE_KAFKA_SCRIPT");
  if (!script || !*script) throw std::runtime_error("SPATE_KAFKA_SCRIPT is not set (run via ctest)");
  return std::system(("bash '" + std::string(script) + "' " + args + " >&2").c_str());
}

}  // namespace spate_test::kafka
