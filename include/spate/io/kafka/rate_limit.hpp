#pragma once
// max_rate_per_partition (Spark's maxRatePerPartition): a token bucket per
// partition, refilled at the rate and holding at most one second's worth.
// A record consumed without a token is held (in offset order) and its
// partition paused in librdkafka, so the consumer stops fetching it; the
// held records are pushed as tokens come back, then the partition resumes.
#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>

#include "errors.hpp"
#include "message.hpp"

namespace spate::kafka::detail {

struct tpl_deleter {
  void operator()(rd_kafka_topic_partition_list_t* l) const noexcept { rd_kafka_topic_partition_list_destroy(l); }
};
using tpl_ptr = std::unique_ptr<rd_kafka_topic_partition_list_t, tpl_deleter>;

/// A partition's share of the rate limit.
struct partition_rate {
  double tokens = 0;
  bool paused = false;
  std::deque<message_ptr> held;  // consumed while over the rate, not pushed yet
};

class rate_limiter {
 public:
  explicit rate_limiter(double per_second = 0)
      : per_second_(per_second), last_refill_(std::chrono::steady_clock::now()) {}

  bool on() const noexcept { return per_second_ > 0; }
  /// What a new partition starts with: a full bucket.
  double full() const noexcept { return std::max(1.0, per_second_); }

  /// Adds the tokens earned since the last refill to every partition in `parts`.
  template <class Parts>
  void refill(Parts& parts) {
    if (!on()) return;
    auto now = std::chrono::steady_clock::now();
    double secs = std::chrono::duration<double>(now - last_refill_).count();
    last_refill_ = now;
    for (auto& p : parts) p.rate.tokens = std::min(full(), p.rate.tokens + secs * per_second_);
  }

  /// Pauses or resumes fetching one partition.
  static void set_paused(rd_kafka_t* rk, const std::string& topic, std::int32_t partition, partition_rate& r, bool pause) {
    if (r.paused == pause) return;
    tpl_ptr l(rd_kafka_topic_partition_list_new(1));
    rd_kafka_topic_partition_list_add(l.get(), topic.c_str(), partition);
    auto err = pause ? rd_kafka_pause_partitions(rk, l.get()) : rd_kafka_resume_partitions(rk, l.get());
    if (err) throw_error("kafka source: pause/resume " + topic + "/" + std::to_string(partition), err);
    r.paused = pause;
  }

 private:
  double per_second_;
  std::chrono::steady_clock::time_point last_refill_;
};

}  // namespace spate::kafka::detail
