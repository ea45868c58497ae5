#pragma once
// Shared by the join tests: two record types, random streams with bounded
// disorder, brute-force joins to compare against.
#include <spate/spate.hpp>
#include <spate/exec.hpp>
#include <spate/join.hpp>

#include <algorithm>
#include <cstdint>
#include <random>
#include <tuple>
#include <vector>

namespace joins_test {

struct left_rec {
  int key = 0;
  std::int64_t ts = 0;
  int id = 0;
  friend bool operator==(const left_rec&, const left_rec&) = default;
};
struct right_rec {
  int key = 0;
  std::int64_t ts = 0;
  int id = 0;
  friend bool operator==(const right_rec&, const right_rec&) = default;
};

/// (left id, right id): what the tests' join functions emit.
using id_pair = std::pair<int, int>;
inline id_pair ids(const left_rec& a, const right_rec& b) { return {a.id, b.id}; }

template <class V>
V sorted(V v) {
  std::sort(v.begin(), v.end());
  return v;
}

/// n records over `keys` keys, timestamps rising by about 1 ms a record,
/// each out of order by at most `disorder` ms.
template <class R>
std::vector<R> random_side(std::uint32_t seed, int n, int keys, int disorder) {
  std::mt19937 rng(seed);
  std::vector<R> v;
  for (int i = 0; i < n; ++i) {
    std::int64_t t = 1000 + i + std::int64_t(rng() % std::uint32_t(disorder + 1)) - disorder;
    v.push_back({int(rng() % std::uint32_t(keys)), std::max<std::int64_t>(t, 0), i});
  }
  return v;
}

/// The records of both sides, alternating, as restore-law events, with a
/// watermark every `every` records just below every time still to come.
template <class Event>
std::vector<Event> interleave(const std::vector<left_rec>& as, const std::vector<right_rec>& bs, std::size_t every) {
  std::vector<spate::either<left_rec, right_rec>> recs;
  for (std::size_t i = 0; i < std::max(as.size(), bs.size()); ++i) {
    if (i < as.size()) recs.push_back(spate::either<left_rec, right_rec>::first_of(as[i], as[i].ts));
    if (i < bs.size()) recs.push_back(spate::either<left_rec, right_rec>::second_of(bs[i], bs[i].ts));
  }
  std::vector<std::int64_t> min_after(recs.size() + 1, INT64_MAX);
  for (std::size_t i = recs.size(); i-- > 0;) min_after[i] = std::min(min_after[i + 1], recs[i].ts);
  std::vector<Event> ev;
  for (std::size_t i = 0; i < recs.size(); ++i) {
    ev.push_back(recs[i]);
    if ((i + 1) % every == 0 && min_after[i + 1] != INT64_MAX) ev.push_back(spate::from_millis(min_after[i + 1] - 1));
  }
  return ev;
}

inline std::vector<id_pair> brute_interval(const std::vector<left_rec>& as, const std::vector<right_rec>& bs,
                                           std::int64_t lo, std::int64_t hi) {
  std::vector<id_pair> out;
  for (const auto& a : as)
    for (const auto& b : bs)
      if (a.key == b.key && b.ts >= a.ts + lo && b.ts <= a.ts + hi) out.push_back({a.id, b.id});
  return sorted(out);
}

inline std::int64_t floor_div(std::int64_t a, std::int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

/// Window starts of t for windows of `size` every `slide` (tumbling: slide == size).
inline std::vector<std::int64_t> window_starts(std::int64_t t, std::int64_t size, std::int64_t slide) {
  std::vector<std::int64_t> s;
  for (std::int64_t start = floor_div(t, slide) * slide; start > t - size; start -= slide) s.push_back(start);
  return s;
}

inline std::vector<id_pair> brute_window(const std::vector<left_rec>& as, const std::vector<right_rec>& bs,
                                         std::int64_t size, std::int64_t slide) {
  std::vector<id_pair> out;
  for (const auto& a : as)
    for (const auto& b : bs)
      if (a.key == b.key)
        for (auto sa : window_starts(a.ts, size, slide))
          for (auto sb : window_starts(b.ts, size, slide))
            if (sa == sb) out.push_back({a.id, b.id});
  return sorted(out);
}

/// Sessions per key over both sides' timestamps: records at most `gap` apart share
/// one (Flink merges session windows [t, t + gap) that touch).
inline std::vector<id_pair> brute_session(const std::vector<left_rec>& as, const std::vector<right_rec>& bs,
                                          std::int64_t gap) {
  std::vector<id_pair> out;
  std::vector<int> keys;
  for (const auto& a : as) keys.push_back(a.key);
  for (const auto& b : bs) keys.push_back(b.key);
  keys = sorted(keys);
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  for (int k : keys) {
    std::vector<std::tuple<std::int64_t, int, int>> ev;  // ts, side, id
    for (const auto& a : as)
      if (a.key == k) ev.emplace_back(a.ts, 0, a.id);
    for (const auto& b : bs)
      if (b.key == k) ev.emplace_back(b.ts, 1, b.id);
    ev = sorted(ev);
    std::size_t i = 0;
    while (i < ev.size()) {
      std::size_t j = i + 1;
      while (j < ev.size() && std::get<0>(ev[j]) <= std::get<0>(ev[j - 1]) + gap) ++j;
      for (std::size_t x = i; x < j; ++x)
        for (std::size_t y = i; y < j; ++y)
          if (std::get<1>(ev[x]) == 0 && std::get<1>(ev[y]) == 1) out.push_back({std::get<2>(ev[x]), std::get<2>(ev[y])});
      i = j;
    }
  }
  return sorted(out);
}

/// Both sides with watermarks that allow their disorder: nothing is late.
inline auto timed_left(const std::vector<left_rec>& v, int disorder) {
  return spate::from_collection(v) |
         spate::with_watermarks(&left_rec::ts, spate::bounded_out_of_orderness(std::chrono::milliseconds(disorder)));
}
inline auto timed_right(const std::vector<right_rec>& v, int disorder) {
  return spate::from_collection(v) |
         spate::with_watermarks(&right_rec::ts, spate::bounded_out_of_orderness(std::chrono::milliseconds(disorder)));
}

using either_t = spate::either<left_rec, right_rec>;


}  // namespace joins_test

BOOST_HANA_ADAPT_STRUCT(joins_test::left_rec, key, ts, id);
BOOST_HANA_ADAPT_STRUCT(joins_test::right_rec, key, ts, id);
