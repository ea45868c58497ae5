#pragma once
// Keyed state split by key group (core/key_group.hpp), so that state written
// at parallelism P restores at any P' <= max parallelism: a worker of P'
// reads, from every old file whose range meets its own, just the groups of
// its range (Flink's key-group-range restore).
//
//   payload = "SPKG" | version u8 | varint max_parallelism | varint first | varint last
//           | index: one varint byte length per group of [first, last)
//           | blocks: per group, varint entry count, then the entries
//             (key, value in serde's binary encoding, codec.hpp)
//
// The index lets a reader skip to a group without decoding the others. Each
// key read back is checked to belong to its group: a hash that changed
// between runs, or a file of another job, is an error and not a silent
// misplacement. The payload sits inside a checkpoint state file, whose frame
// carries the checksum.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <spate/core/key_group.hpp>
#include <spate/core/result.hpp>
#include <spate/serde/reader.hpp>
#include <spate/serde/writer.hpp>

namespace spate::checkpoint {

inline constexpr std::string_view keyed_magic = "SPKG";
inline constexpr std::uint8_t keyed_version = 1;

/// Collects (key, value) entries of one worker's key-group range and encodes them.
template <class K, class V>
class keyed_state_writer {
 public:
  keyed_state_writer(key_groups kg, key_group_range range)
      : kg_(kg), range_(range), blocks_(range.size()), counts_(range.size(), 0) {
    if (range.first > range.last || range.last > kg.max_parallelism)
      throw std::invalid_argument("spate: key-group range [" + std::to_string(range.first) + ", " +
                                  std::to_string(range.last) + ") is outside [0, " +
                                  std::to_string(kg.max_parallelism) + ")");
  }

  /// Adds one entry; its key must be in the writer's range.
  void add(const K& k, const V& v) {
    const std::size_t g = kg_.group_of(k);
    if (!range_.contains(g))
      throw std::invalid_argument("spate: a key of key group " + std::to_string(g) + " written into the range [" +
                                  std::to_string(range_.first) + ", " + std::to_string(range_.last) +
                                  ") (the state is not partitioned by this key_groups)");
    serde::writer w(blocks_[g - range_.first]);
    w.write(k, v);
    ++counts_[g - range_.first];
  }

  std::size_t entries() const noexcept {
    std::size_t n = 0;
    for (auto c : counts_) n += c;
    return n;
  }

  /// The payload; the writer is empty afterwards.
  std::string finish() {
    std::vector<std::string> heads(blocks_.size());
    for (std::size_t i = 0; i < blocks_.size(); ++i) serde::writer(heads[i]).write_varint(counts_[i]);
    std::string out;
    serde::writer w(out);
    w.write_bytes(keyed_magic);
    w.write_u8(keyed_version);
    w.write_varint(kg_.max_parallelism);
    w.write_varint(range_.first);
    w.write_varint(range_.last);
    for (std::size_t i = 0; i < blocks_.size(); ++i) w.write_varint(heads[i].size() + blocks_[i].size());
    for (std::size_t i = 0; i < blocks_.size(); ++i) {
      w.write_bytes(heads[i]);
      w.write_bytes(blocks_[i]);
      blocks_[i].clear();
      counts_[i] = 0;
    }
    return out;
  }

 private:
  key_groups kg_;
  key_group_range range_;
  std::vector<std::string> blocks_;
  std::vector<std::size_t> counts_;
};

/// Encodes a whole map-like range of (key, value) pairs in one go.
template <class K, class V, class Entries>
std::string encode_keyed_state(key_groups kg, key_group_range range, const Entries& entries) {
  keyed_state_writer<K, V> w(kg, range);
  for (const auto& [k, v] : entries) w.add(k, v);
  return w.finish();
}

/// A view of one keyed payload: header and index checked at open.
class keyed_state_reader {
 public:
  static result<keyed_state_reader> open(std::string_view bytes) {
    serde::reader r(bytes);
    auto magic = r.read_bytes(4);
    if (!magic || *magic != keyed_magic) return error("not keyed state (bad magic)", 0);
    auto version = r.read_u8();
    if (!version) return std::move(version).error();
    if (*version != keyed_version)
      return error("unsupported keyed state version " + std::to_string(*version) + " (this build reads version " +
                       std::to_string(keyed_version) + ")",
                   4);
    auto maxp = r.read_varint();
    if (!maxp) return std::move(maxp).error();
    auto first = r.read_varint();
    if (!first) return std::move(first).error();
    auto last = r.read_varint();
    if (!last) return std::move(last).error();
    if (*maxp == 0 || *first > *last || *last > *maxp)
      return error("bad key-group range [" + std::to_string(*first) + ", " + std::to_string(*last) +
                   ") for max parallelism " + std::to_string(*maxp));
    keyed_state_reader k;
    k.max_parallelism_ = static_cast<std::size_t>(*maxp);
    k.range_ = {static_cast<std::size_t>(*first), static_cast<std::size_t>(*last)};
    std::vector<std::size_t> lengths;
    std::size_t total = 0;
    for (std::size_t g = k.range_.first; g < k.range_.last; ++g) {
      auto n = r.read_length();
      if (!n) return std::move(n).error().in_field("index[" + std::to_string(g) + "]");
      lengths.push_back(*n);
      total += *n;
    }
    if (total != r.remaining())
      return error("the index lists " + std::to_string(total) + " bytes of groups, " +
                       std::to_string(r.remaining()) + " follow (truncated or corrupt)",
                   r.offset());
    std::size_t at = r.offset();
    for (auto n : lengths) {
      k.blocks_.push_back(bytes.substr(at, n));
      at += n;
    }
    return k;
  }

  key_group_range range() const noexcept { return range_; }
  std::size_t max_parallelism() const noexcept { return max_parallelism_; }

  /// Calls f(K&&, V&&) for each entry of group g (none when g is outside the
  /// range); returns how many.
  template <class K, class V, class F>
  result<std::size_t> read_group(std::size_t g, F&& f) const {
    if (!range_.contains(g)) return std::size_t{0};
    key_groups kg{max_parallelism_};
    serde::reader r(blocks_[g - range_.first]);
    auto count = r.read_varint();
    if (!count) return std::move(count).error().in_field("group " + std::to_string(g));
    for (std::uint64_t i = 0; i < *count; ++i) {
      auto k = r.read<K>();
      if (!k) return std::move(k).error().in_field("group " + std::to_string(g));
      auto v = r.read<V>();
      if (!v) return std::move(v).error().in_field("group " + std::to_string(g));
      if (kg.group_of(*k) != g)
        return error("a key of key group " + std::to_string(kg.group_of(*k)) + " stored in group " +
                     std::to_string(g) + " (the key hash changed, or the state is not this job's)");
      f(std::move(*k), std::move(*v));
    }
    if (!r.at_end())
      return error(std::to_string(r.remaining()) + " bytes left after group " + std::to_string(g) + "'s entries");
    return static_cast<std::size_t>(*count);
  }

  /// read_group for every group of `groups` this payload holds.
  template <class K, class V, class F>
  result<std::size_t> read_range(key_group_range groups, F&& f) const {
    std::size_t n = 0;
    for (std::size_t g = std::max(groups.first, range_.first); g < std::min(groups.last, range_.last); ++g) {
      auto c = read_group<K, V>(g, f);
      if (!c) return c;
      n += *c;
    }
    return n;
  }

 private:
  keyed_state_reader() = default;
  std::size_t max_parallelism_ = 0;
  key_group_range range_;
  std::vector<std::string_view> blocks_;
};

/// The restore of one worker at any parallelism: reads the entries of the
/// groups in `mine` from the payloads written by the old workers (any number,
/// any ranges). Fails when a payload was written with another max
/// parallelism, two payloads hold the same group, or a group of `mine` is in
/// none of them. Returns the number of entries.
template <class K, class V, class F>
result<std::size_t> read_key_groups(const std::vector<std::string_view>& payloads, key_groups kg,
                                    key_group_range mine, F&& f) {
  std::vector<keyed_state_reader> readers;
  std::vector<int> owner(mine.size(), -1);
  for (std::size_t i = 0; i < payloads.size(); ++i) {
    auto r = keyed_state_reader::open(payloads[i]);
    if (!r) return std::move(r).error().in_field("payload[" + std::to_string(i) + "]");
    if (r->max_parallelism() != kg.max_parallelism)
      return error("keyed state written with max parallelism " + std::to_string(r->max_parallelism()) +
                   " cannot be read with max parallelism " + std::to_string(kg.max_parallelism) +
                   " (the number of key groups is fixed for the life of a job's state)");
    for (std::size_t g = std::max(mine.first, r->range().first); g < std::min(mine.last, r->range().last); ++g) {
      if (owner[g - mine.first] >= 0)
        return error("key group " + std::to_string(g) + " is in two payloads (" +
                     std::to_string(owner[g - mine.first]) + " and " + std::to_string(i) + ")");
      owner[g - mine.first] = static_cast<int>(i);
    }
    readers.push_back(std::move(*r));
  }
  for (std::size_t g = mine.first; g < mine.last; ++g)
    if (owner[g - mine.first] < 0) return error("key group " + std::to_string(g) + " is in none of the payloads");
  std::size_t n = 0;
  for (const auto& r : readers) {
    auto c = r.read_range<K, V>(mine, f);
    if (!c) return c;
    n += *c;
  }
  return n;
}

}  // namespace spate::checkpoint
