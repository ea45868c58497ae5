#pragma once
// Key groups: the unit keyed state is owned, shuffled and (later) rescaled
// by, as in Flink. A key belongs to group hash(key) mod max_parallelism; with
// P workers, worker w owns a contiguous range of groups. A snapshot organized
// by group restores at any parallelism up to max_parallelism by handing the
// ranges out anew, and the same groups can later become the partitions of a
// repartition topic when a job spans machines.
//
// The hash must not change between a snapshot and its restore, so it is
// spate's own for the types keys usually are (strings by their bytes,
// integers and enums by value); other types fall back to std::hash, which is
// stable within one build of a program only.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>

namespace spate {

/// Flink's default maximum parallelism: the number of key groups.
inline constexpr std::size_t default_max_parallelism = 128;

namespace detail {
constexpr std::uint64_t fmix64(std::uint64_t h) noexcept {  // MurmurHash3's finalizer
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ull;
  h ^= h >> 33;
  return h;
}
constexpr std::uint64_t bytes_hash(std::string_view s) noexcept {  // FNV-1a, then mixed
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ull;
  return fmix64(h);
}
}  // namespace detail

/// A hash of a key that stays the same from one run to the next.
template <class K>
std::uint64_t stable_key_hash(const K& k) {
  if constexpr (std::is_convertible_v<const K&, std::string_view>)
    return detail::bytes_hash(std::string_view(k));
  else if constexpr (std::is_integral_v<K> || std::is_enum_v<K>)
    return detail::fmix64(static_cast<std::uint64_t>(k));
  else
    return detail::fmix64(static_cast<std::uint64_t>(std::hash<K>{}(k)));
}

/// The groups [first, last) one worker owns.
struct key_group_range {
  std::size_t first = 0, last = 0;
  bool contains(std::size_t g) const noexcept { return g >= first && g < last; }
  std::size_t size() const noexcept { return last - first; }
  friend bool operator==(const key_group_range&, const key_group_range&) = default;
};

struct key_groups {
  std::size_t max_parallelism = default_max_parallelism;

  template <class K>
  std::size_t group_of(const K& k) const {
    return static_cast<std::size_t>(stable_key_hash(k) % max_parallelism);
  }
  /// The worker of P that owns group g (Flink's computeOperatorIndexForKeyGroup).
  std::size_t worker_of_group(std::size_t g, std::size_t P) const noexcept { return g * P / max_parallelism; }
  template <class K>
  std::size_t worker_of(const K& k, std::size_t P) const {
    return worker_of_group(group_of(k), P);
  }
  /// The groups worker w of P owns (Flink's computeKeyGroupRangeForOperatorIndex).
  key_group_range range_of(std::size_t w, std::size_t P) const noexcept {
    return {(w * max_parallelism + P - 1) / P, ((w + 1) * max_parallelism + P - 1) / P};
  }
  /// Fails when P workers cannot each own a group.
  void check(std::size_t P) const {
    if (max_parallelism == 0) throw std::invalid_argument("spate: the maximum parallelism must be at least 1");
    if (P > max_parallelism)
      throw std::invalid_argument("spate: parallelism " + std::to_string(P) + " exceeds the maximum parallelism " +
                                  std::to_string(max_parallelism) + " (the number of key groups)");
  }
};

}  // namespace spate
