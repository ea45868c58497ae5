#pragma once
// Partitions, offsets and where a source starts reading.
//   topic_partition{topic, partition}
//   partition_offset{topic, partition, offset}     offset = the next record to read
//   earliest()                     the first retained record (default)
//   latest()                       only records produced after the start
//   from_timestamp(ms)             the first record with timestamp >= ms
//                                  (partitions with none: their end)
//   committed(fallback)            the consumer group's committed offsets
//                                  (config "group.id"); partitions without
//                                  one start at `fallback` (earliest or latest)
//   from_offsets(map, fallback)    given offsets per partition, e.g. restored
//                                  from a checkpoint; others start at fallback
// A source resolves every start position to numeric offsets when it opens,
// so driver.offsets() is exact from the first record on.
#include <compare>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace spate::kafka {

struct topic_partition {
  std::string topic;
  std::int32_t partition = 0;
  auto operator<=>(const topic_partition&) const = default;
  bool operator==(const topic_partition&) const = default;
};

struct partition_offset {
  std::string topic;
  std::int32_t partition = 0;
  std::int64_t offset = 0;  ///< the next offset to read
  auto operator<=>(const partition_offset&) const = default;
  bool operator==(const partition_offset&) const = default;
};

using offset_map = std::map<topic_partition, std::int64_t>;

/// Turns a driver's offsets() into a map for from_offsets().
inline offset_map to_offset_map(const std::vector<partition_offset>& v) {
  offset_map m;
  for (auto& p : v) m[{p.topic, p.partition}] = p.offset;
  return m;
}

struct start_position {
  enum class kind { earliest, latest, timestamp, committed, offsets };
  kind what = kind::earliest;
  kind fallback = kind::earliest;  ///< committed / offsets: partitions without an offset
  std::int64_t timestamp_ms = 0;
  offset_map offsets;
};

inline start_position earliest() { return {}; }
inline start_position latest() { return {start_position::kind::latest, start_position::kind::latest, 0, {}}; }
inline start_position from_timestamp(std::int64_t ms) {
  return {start_position::kind::timestamp, start_position::kind::latest, ms, {}};
}
/// fallback: earliest() or latest().
inline start_position committed(const start_position& fallback = earliest()) {
  return {start_position::kind::committed, fallback.what, 0, {}};
}
inline start_position from_offsets(offset_map offsets, const start_position& fallback = earliest()) {
  return {start_position::kind::offsets, fallback.what, 0, std::move(offsets)};
}

}  // namespace spate::kafka
