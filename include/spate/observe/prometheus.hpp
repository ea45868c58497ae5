#pragma once
// A metrics snapshot (exec/metrics_snapshot.hpp) in Prometheus' text
// exposition format (version 0.0.4). Names and labels: docs/observability.md.
//   spate_stage_records_in_total{job="0",position="2",stage="filter",uid="j0.2:filter"} 1000
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "../core/json_text.hpp"
#include "../exec/metrics_snapshot.hpp"

namespace spate::observe {

namespace detail {
inline std::string label_value(std::string_view s) {
  std::string out;
  for (const char c : s) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}
inline std::string stage_labels(const stage_metrics& s) {
  return "{job=\"" + std::to_string(s.job) + "\",position=\"" + std::to_string(s.position) + "\",stage=\"" +
         label_value(s.name) + "\",uid=\"" + label_value(s.uid) + "\"}";
}
inline void family(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}
inline std::string seconds(std::chrono::microseconds d) { return json_text::number(static_cast<double>(d.count()) / 1e6); }
}  // namespace detail

inline std::string prometheus_text(const metrics_snapshot& m) {
  using detail::family;
  std::string out;
  auto stage_family = [&](std::string_view name, std::string_view type, std::string_view help, auto value, auto has) {
    family(out, name, type, help);
    for (const auto& s : m.stages)
      if (has(s)) out += std::string(name) + detail::stage_labels(s) + ' ' + value(s) + '\n';
  };
  auto all = [](const stage_metrics&) { return true; };
  stage_family("spate_stage_records_in_total", "counter", "Records that entered the stage (the source: records read).",
               [](const stage_metrics& s) { return std::to_string(s.records_in); }, all);
  stage_family("spate_stage_records_out_total", "counter", "Records the stage emitted.",
               [](const stage_metrics& s) { return std::to_string(s.records_out); },
               [](const stage_metrics& s) { return !s.is_sink; });
  stage_family("spate_stage_instances", "gauge", "Parallel instances of the stage that reported.",
               [](const stage_metrics& s) { return std::to_string(s.instances); }, all);
  stage_family("spate_stage_keeps_state", "gauge", "1 when the stage keeps state (checkpoints store it).",
               [](const stage_metrics& s) { return std::string(s.keeps_state ? "1" : "0"); }, all);
  stage_family("spate_stage_watermark_milliseconds", "gauge", "The stage's event-time watermark, ms since the epoch.",
               [](const stage_metrics& s) { return std::to_string(*s.watermark_ms); },
               [](const stage_metrics& s) { return s.watermark_ms.has_value(); });
  stage_family("spate_stage_watermark_lag_milliseconds", "gauge", "Wall clock minus the stage's watermark.",
               [](const stage_metrics& s) { return std::to_string(*s.watermark_lag_ms); },
               [](const stage_metrics& s) { return s.watermark_lag_ms.has_value(); });
  stage_family("spate_stage_state_keys", "gauge", "Entries of keyed state the stage holds (keys, or key-window panes).",
               [](const stage_metrics& s) { return std::to_string(*s.state_keys); },
               [](const stage_metrics& s) { return s.state_keys.has_value(); });
  stage_family("spate_stage_state_bytes", "gauge", "The stage's state files in the last completed checkpoint.",
               [](const stage_metrics& s) { return std::to_string(*s.state_bytes); },
               [](const stage_metrics& s) { return s.state_bytes.has_value(); });

  auto boundary_family = [&](std::string_view name, std::string_view type, std::string_view help, auto value) {
    if (m.boundaries.empty()) return;
    family(out, name, type, help);
    for (const auto& b : m.boundaries)
      out += std::string(name) + "{job=\"" + std::to_string(b.job) + "\",position=\"" + std::to_string(b.position) +
             "\",stage=\"" + detail::label_value(b.name) + "\"" +
             (b.branch.empty() ? std::string() : ",branch=\"" + detail::label_value(b.branch) + "\"") + "} " + value(b) + '\n';
  };
  auto ns_seconds = [](std::chrono::nanoseconds d) { return json_text::number(static_cast<double>(d.count()) / 1e9); };
  boundary_family("spate_boundary_queue_fill_blocks", "gauge", "Blocks queued in front of the stage (backpressure).",
                  [](const boundary_metrics& b) { return std::to_string(b.fill); });
  boundary_family("spate_boundary_queue_capacity_blocks", "gauge", "Blocks the queues in front of the stage hold.",
                  [](const boundary_metrics& b) { return std::to_string(b.capacity); });
  boundary_family("spate_boundary_queue_high_water_ratio", "gauge",
                  "The fullest one queue in front of the stage has been, over its capacity (1: a producer found it full).",
                  [](const boundary_metrics& b) {
                    return json_text::number(b.queue_capacity ? static_cast<double>(b.high_water) / static_cast<double>(b.queue_capacity) : 0.0);
                  });
  boundary_family("spate_boundary_producer_blocked_seconds_total", "counter",
                  "Time producers spent blocked on a full queue in front of the stage.",
                  [&](const boundary_metrics& b) { return ns_seconds(b.producer_blocked); });
  boundary_family("spate_boundary_consumer_waiting_seconds_total", "counter",
                  "Time the stage's consumers spent waiting on empty queues.",
                  [&](const boundary_metrics& b) { return ns_seconds(b.consumer_waiting); });

  auto partition_family = [&](std::string_view name, std::string_view help, auto field) {
    bool any = false;
    for (const auto& p : m.partitions) any = any || (p.*field).has_value();
    if (!any) return;
    family(out, name, "gauge", help);
    for (const auto& p : m.partitions)
      if ((p.*field).has_value())
        out += std::string(name) + "{job=\"" + std::to_string(p.job) + "\",topic=\"" + detail::label_value(p.topic) +
               "\",partition=\"" + std::to_string(p.partition) + "\"} " + std::to_string(*(p.*field)) + '\n';
  };
  partition_family("spate_kafka_partition_offset", "The next offset a Kafka source reads from the partition.",
                   &partition_metrics::offset);
  partition_family("spate_kafka_partition_high_watermark", "The partition's high watermark as its consumer last saw it.",
                   &partition_metrics::high_watermark);
  partition_family("spate_kafka_partition_lag_records", "High watermark minus offset: records not read yet.",
                   &partition_metrics::lag);

  family(out, "spate_batches_completed_total", "counter", "Micro-batches completed.");
  out += "spate_batches_completed_total " + std::to_string(m.batches_completed) + '\n';
  if (!m.batches.empty()) {
    const auto& b = m.batches.back();
    const std::pair<std::string_view, std::string> last[] = {
        {"spate_last_batch_records", std::to_string(b.records)},
        {"spate_last_batch_work_seconds", detail::seconds(b.work_time)},
        {"spate_last_batch_processing_seconds", detail::seconds(b.processing_time)},
        {"spate_last_batch_scheduling_delay_seconds", detail::seconds(b.scheduling_delay)},
        {"spate_last_batch_total_delay_seconds", detail::seconds(b.total_delay)},
        {"spate_last_batch_source_blocked_seconds", detail::seconds(b.source_blocked_time)},
    };
    for (const auto& [name, value] : last) {
      family(out, name, "gauge", "The last completed micro-batch (docs/observability.md).");
      out += std::string(name) + ' ' + value + '\n';
    }
  }
  family(out, "spate_checkpoints_completed_total", "counter", "Checkpoints completed.");
  out += "spate_checkpoints_completed_total " + std::to_string(m.checkpoints.completed) + '\n';
  family(out, "spate_checkpoints_aborted_total", "counter", "Checkpoints aborted (declined, timed out, failed to persist).");
  out += "spate_checkpoints_aborted_total " + std::to_string(m.checkpoints.aborted) + '\n';
  if (const auto& c = m.checkpoints.last) {
    family(out, "spate_last_checkpoint_id", "gauge", "The last completed checkpoint.");
    out += "spate_last_checkpoint_id " + std::to_string(c->id) + '\n';
    family(out, "spate_last_checkpoint_duration_seconds", "gauge", "From its trigger reaching the sources to durable.");
    out += "spate_last_checkpoint_duration_seconds " + json_text::number(static_cast<double>(c->duration.count()) / 1e3) + '\n';
    family(out, "spate_last_checkpoint_alignment_seconds", "gauge",
           "The longest a stage with several inputs waited for its barrier to align.");
    out += "spate_last_checkpoint_alignment_seconds " + detail::seconds(c->alignment) + '\n';
    family(out, "spate_last_checkpoint_bytes", "gauge", "Its state files on disk.");
    out += "spate_last_checkpoint_bytes " + std::to_string(c->bytes) + '\n';
    family(out, "spate_last_checkpoint_completed_timestamp_seconds", "gauge", "When it completed.");
    out += "spate_last_checkpoint_completed_timestamp_seconds " +
           json_text::number(static_cast<double>(c->completed_ms) / 1e3) + '\n';
  }
  family(out, "spate_restarts_total", "counter", "Restarts by the restart strategy.");
  out += "spate_restarts_total " + std::to_string(m.restarts) + '\n';
  if (!m.counters.empty()) {
    family(out, "spate_user_counter_total", "counter", "Counters of rich functions, by \"<uid>/<name>\".");
    for (const auto& [name, v] : m.counters)
      out += "spate_user_counter_total{name=\"" + detail::label_value(name) + "\"} " + std::to_string(v) + '\n';
  }
  return out;
}

}  // namespace spate::observe
