#pragma once
// What a Kafka source was asked to do (independent of its record type), and
// the counters its drivers keep.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "../../core/time.hpp"
#include "config.hpp"
#include "errors.hpp"
#include "offsets.hpp"

namespace spate::kafka {

/// Counters shared by a source descriptor and every driver opened from it.
struct source_metrics {
  std::atomic<std::int64_t> records{0};        ///< records pushed downstream
  std::atomic<std::int64_t> bad_records{0};    ///< records that did not deserialize (skipped or dead-lettered)
  std::atomic<std::int64_t> dead_lettered{0};  ///< of those, sent to the dead-letter topic
  std::atomic<std::int64_t> partitions_discovered{0};  ///< partitions added while running
};

namespace detail {

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

}  // namespace detail
}  // namespace spate::kafka
