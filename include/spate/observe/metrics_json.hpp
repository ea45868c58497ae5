#pragma once
// A metrics snapshot as JSON (what /metrics.json serves; the dashboard reads
// it): {"taken_ms", "stages": [...], "boundaries": [...], "partitions": [...], "batches": [...], "checkpoints": {...},
// "counters": {...}, "restarts"}. Field names follow the C++ members.
#include <string>

#include "../core/json_text.hpp"
#include "../exec/metrics_snapshot.hpp"

namespace spate::observe {

inline std::string metrics_json(const metrics_snapshot& m, std::size_t max_batches = 120) {
  using namespace json_text;
  std::string out = "{\"taken_ms\":" + number(static_cast<std::int64_t>(m.taken_ms)) + ",\"stages\":[";
  for (std::size_t i = 0; i < m.stages.size(); ++i) {
    const auto& s = m.stages[i];
    if (i) out += ',';
    out += "{\"job\":" + std::to_string(s.job) + ",\"position\":" + std::to_string(s.position) +
           ",\"name\":" + quote(s.name) + ",\"uid\":" + quote(s.uid) +
           (s.branch.empty() ? std::string() : ",\"branch\":" + quote(s.branch)) + ",\"records_in\":" + number(s.records_in) +
           ",\"records_out\":" + number(s.records_out) + ",\"instances\":" + std::to_string(s.instances) +
           ",\"keeps_state\":" + boolean(s.keeps_state) + ",\"is_sink\":" + boolean(s.is_sink) + ",\"watermark_ms\":" +
           (s.watermark_ms ? number(static_cast<std::int64_t>(*s.watermark_ms)) : "null") + ",\"watermark_lag_ms\":" +
           (s.watermark_lag_ms ? number(static_cast<std::int64_t>(*s.watermark_lag_ms)) : "null") +
           ",\"state_keys\":" + (s.state_keys ? number(*s.state_keys) : "null") +
           ",\"state_bytes\":" + (s.state_bytes ? number(*s.state_bytes) : "null") + "}";
  }
  out += "],\"boundaries\":[";
  for (std::size_t i = 0; i < m.boundaries.size(); ++i) {
    const auto& b = m.boundaries[i];
    if (i) out += ',';
    out += "{\"job\":" + std::to_string(b.job) + ",\"position\":" + std::to_string(b.position) +
           ",\"name\":" + quote(b.name) + (b.branch.empty() ? std::string() : ",\"branch\":" + quote(b.branch)) +
           ",\"instances\":" + std::to_string(b.instances) + ",\"fill\":" +
           number(b.fill) + ",\"capacity\":" + number(b.capacity) + ",\"high_water\":" + number(b.high_water) +
           ",\"queue_capacity\":" + number(b.queue_capacity) + ",\"producer_blocked_us\":" +
           number(static_cast<std::int64_t>(b.producer_blocked.count() / 1000)) + ",\"consumer_waiting_us\":" +
           number(static_cast<std::int64_t>(b.consumer_waiting.count() / 1000)) + "}";
  }
  out += "],\"partitions\":[";
  auto optional_number = [](const std::optional<std::int64_t>& v) { return v ? number(*v) : std::string("null"); };
  for (std::size_t i = 0; i < m.partitions.size(); ++i) {
    const auto& p = m.partitions[i];
    if (i) out += ',';
    out += "{\"job\":" + std::to_string(p.job) + ",\"topic\":" + quote(p.topic) +
           ",\"partition\":" + std::to_string(p.partition) + ",\"offset\":" + optional_number(p.offset) +
           ",\"high_watermark\":" + optional_number(p.high_watermark) + ",\"lag\":" + optional_number(p.lag) + "}";
  }
  out += "],\"batches_completed\":" + number(m.batches_completed) + ",\"batches\":[";
  const std::size_t from = m.batches.size() > max_batches ? m.batches.size() - max_batches : 0;
  for (std::size_t i = from; i < m.batches.size(); ++i) {
    const auto& b = m.batches[i];
    if (i > from) out += ',';
    out += "{\"number\":" + number(b.number) + ",\"time_ms\":" + number(static_cast<std::int64_t>(to_millis(b.time))) +
           ",\"records\":" + number(b.records) + ",\"work_us\":" + number(static_cast<std::int64_t>(b.work_time.count())) +
           ",\"processing_us\":" + number(static_cast<std::int64_t>(b.processing_time.count())) +
           ",\"scheduling_delay_us\":" + number(static_cast<std::int64_t>(b.scheduling_delay.count())) +
           ",\"total_delay_us\":" + number(static_cast<std::int64_t>(b.total_delay.count())) +
           ",\"source_blocked_us\":" + number(static_cast<std::int64_t>(b.source_blocked_time.count())) + "}";
  }
  auto record = [&](const checkpoint_record& c) {
    return "{\"id\":" + number(c.id) + ",\"completed_ms\":" + number(static_cast<std::int64_t>(c.completed_ms)) +
           ",\"duration_ms\":" + number(static_cast<std::int64_t>(c.duration.count())) +
           ",\"alignment_us\":" + number(static_cast<std::int64_t>(c.alignment.count())) + ",\"bytes\":" + number(c.bytes) + "}";
  };
  out += "],\"checkpoints\":{\"completed\":" + number(m.checkpoints.completed) +
         ",\"aborted\":" + number(m.checkpoints.aborted) +
         ",\"last\":" + (m.checkpoints.last ? record(*m.checkpoints.last) : std::string("null")) + ",\"history\":[";
  for (std::size_t i = 0; i < m.checkpoints.history.size(); ++i) out += (i ? "," : "") + record(m.checkpoints.history[i]);
  out += "]},\"counters\":{";
  bool first = true;
  for (const auto& [name, v] : m.counters) {
    out += (first ? "" : ",") + quote(name) + ":" + number(v);
    first = false;
  }
  out += "},\"restarts\":" + std::to_string(m.restarts) + "}";
  return out;
}

}  // namespace spate::observe
