#pragma once
// The librdkafka consumer of one source driver: created from the source's
// config with the properties the source needs forced (no auto commit or
// offset store, partition EOF events on) and a made-up group.id when none is
// given (the source never joins the group: the id only names the client).
// Closed (rd_kafka_consumer_close) before its handle goes.
#include <librdkafka/rdkafka.h>
#include <unistd.h>

#include <atomic>
#include <map>
#include <memory>
#include <string>

#include "config.hpp"
#include "errors.hpp"

namespace spate::kafka::detail {

class consumer {
 public:
  explicit consumer(const config& cfg) {
    static std::atomic<unsigned> seq{0};
    std::map<std::string, std::string> defaults{{"auto.offset.reset", "earliest"},
                                                {"allow.auto.create.topics", "false"},
                                                {"client.id", "spate-kafka-source"}};
    if (!cfg.has("group.id"))
      defaults["group.id"] = "spate-source-" + std::to_string(::getpid()) + "-" + std::to_string(seq.fetch_add(1));
    std::map<std::string, std::string> forced{{"enable.auto.commit", "false"},
                                              {"enable.auto.offset.store", "false"},
                                              {"enable.partition.eof", "true"}};
    rk_ = make_handle(RD_KAFKA_CONSUMER, make_conf(cfg, defaults, forced, "kafka source"), "kafka source");
    rd_kafka_poll_set_consumer(rk_.get());
    queue_.reset(rd_kafka_queue_get_consumer(rk_.get()));
  }
  consumer(const consumer&) = delete;
  consumer& operator=(const consumer&) = delete;
  ~consumer() {
    queue_.reset();
    if (rk_) rd_kafka_consumer_close(rk_.get());
  }  // rk_ is destroyed after the close

  rd_kafka_t* native() const noexcept { return rk_.get(); }
  rd_kafka_queue_t* queue() const noexcept { return queue_.get(); }

 private:
  struct queue_deleter {
    void operator()(rd_kafka_queue_t* q) const noexcept { rd_kafka_queue_destroy(q); }
  };
  handle rk_;
  std::unique_ptr<rd_kafka_queue_t, queue_deleter> queue_;  // destroyed before rk_
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

}  // namespace spate::kafka::detail
