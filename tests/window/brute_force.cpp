// Properties of sliding, tumbling and session windows against brute-force
// recomputation: random streams within the out-of-orderness bound, and with
// allowed lateness and records beyond it.
#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "support.hpp"

using namespace std::chrono_literals;
using spate::from_millis;
using namespace spate_test;

namespace {
struct brute {
  static std::vector<std::tuple<std::string, long, long, long>> sliding(const std::vector<Ev>& evs, long size, long slide) {
    std::map<std::tuple<std::string, long, long>, long> m;
    for (auto& e : evs) {
      long last = e.ts - spate::detail::floor_mod(e.ts, slide);
      for (long s = last; s > e.ts - size; s -= slide) m[{e.user, s, s + size}] += e.v;
    }
    std::vector<std::tuple<std::string, long, long, long>> r;
    for (auto& [k, v] : m) r.emplace_back(std::get<0>(k), std::get<1>(k), std::get<2>(k), v);
    return r;
  }
  static std::vector<std::tuple<std::string, long, long, long>> sessions(std::vector<Ev> evs, long gap) {
    std::sort(evs.begin(), evs.end(), [](auto& a, auto& b) { return std::tie(a.user, a.ts) < std::tie(b.user, b.ts); });
    std::vector<std::tuple<std::string, long, long, long>> r;
    for (std::size_t i = 0; i < evs.size();) {
      long start = evs[i].ts, end = evs[i].ts + gap, sum = 0;
      std::size_t j = i;
      for (; j < evs.size() && evs[j].user == evs[i].user && evs[j].ts <= end; ++j) {
        end = std::max(end, evs[j].ts + gap);
        sum += evs[j].v;
      }
      r.emplace_back(evs[i].user, start, end, sum);
      i = j;
    }
    return r;
  }
};
template <class V>
std::vector<std::tuple<std::string, long, long, long>> as_tuples(const V& out) {
  std::vector<std::tuple<std::string, long, long, long>> r;
  for (auto& w : out) r.emplace_back(w.key, spate::to_millis(w.start), spate::to_millis(w.end), w.value);
  std::sort(r.begin(), r.end());
  return r;
}
}  // namespace

TEST_CASE("property: windows equal brute-force recomputation under bounded disorder", "[window][property]") {
  std::mt19937_64 rng(42);
  for (int round = 0; round < 60; ++round) {
    const long bound = std::uniform_int_distribution<long>(0, 3000)(rng);
    const int n = std::uniform_int_distribution<int>(1, 400)(rng);
    const int keys = std::uniform_int_distribution<int>(1, 6)(rng);
    std::vector<Ev> evs;
    long t = std::uniform_int_distribution<long>(-5000, 5000)(rng);
    long max_ts = t;
    for (int i = 0; i < n; ++i) {
      t += std::uniform_int_distribution<long>(0, 400)(rng);
      max_ts = std::max(max_ts, t);
      // a record is at most `bound` behind the max seen so far: never late
      long ts = std::max(max_ts - bound, t - std::uniform_int_distribution<long>(0, bound)(rng));
      evs.push_back({std::string(1, char('a' + std::uniform_int_distribution<int>(0, keys - 1)(rng))), ts,
                     std::uniform_int_distribution<long>(1, 9)(rng)});
    }
    const long size = 1000 * std::uniform_int_distribution<long>(1, 5)(rng);
    const long slide = std::uniform_int_distribution<int>(0, 1)(rng) ? size : 500 * std::uniform_int_distribution<long>(1, 4)(rng);
    const long gap = std::uniform_int_distribution<long>(100, 2000)(rng);
    std::uint64_t late = 0;
    auto wm = spate::with_watermarks(&Ev::ts, spate::bounded_out_of_orderness(spate::duration{bound}));

    auto sums = fused_and_unfused<wr>([&](auto& o) {
      return spate::from_collection(evs) | wm | spate::key_by(&Ev::user) |
             spate::window(spate::sliding(spate::duration{size}, spate::duration{slide}), &Ev::ts).count_late_into(late) |
             spate::aggregate(sum_agg{}) | spate::collect_into(o);
    });
    CHECK(as_tuples(sums) == brute::sliding(evs, size, slide));

    auto sess = fused_and_unfused<wr>([&](auto& o) {
      return spate::from_collection(evs) | wm | spate::key_by(&Ev::user) |
             spate::window(spate::session(spate::duration{gap}), &Ev::ts).count_late_into(late) |
             spate::aggregate(sum_agg{}) | spate::collect_into(o);
    });
    CHECK(as_tuples(sess) == brute::sessions(evs, gap));
    CHECK(late == 0);
  }
}

TEST_CASE("property: with allowed lateness the last firing of each window equals brute force, "
          "and exactly the too-late records go to the late output", "[window][property][lateness]") {
  std::mt19937_64 rng(7);
  for (int round = 0; round < 60; ++round) {
    const long bound = std::uniform_int_distribution<long>(0, 500)(rng);
    const long lateness = std::uniform_int_distribution<int>(0, 1)(rng) ? 0 : std::uniform_int_distribution<long>(1, 2000)(rng);
    const long size = 1000 * std::uniform_int_distribution<long>(1, 3)(rng);
    // up to 2 * size: with slide > size some records fall between windows
    const long slide = std::uniform_int_distribution<int>(0, 1)(rng) ? size : 500 * std::uniform_int_distribution<long>(1, 4 * size / 1000)(rng);
    std::vector<Ev> evs;
    long t = 0;
    for (int i = 0, n = std::uniform_int_distribution<int>(1, 300)(rng); i < n; ++i) {
      t += std::uniform_int_distribution<long>(0, 200)(rng);
      long back = std::uniform_int_distribution<int>(0, 9)(rng) == 0 ? std::uniform_int_distribution<long>(0, 6000)(rng) : 0;
      evs.push_back({std::string(1, char('a' + std::uniform_int_distribution<int>(0, 2)(rng))), t - back,
                     std::uniform_int_distribution<long>(1, 9)(rng)});
    }
    // brute force: the watermark before record i is max(ts before i) - bound - 1
    std::map<std::tuple<std::string, long, long>, long> want;
    std::uint64_t want_late = 0;
    long max_seen = std::numeric_limits<long>::min();
    for (auto& e : evs) {
      long wm = max_seen == std::numeric_limits<long>::min() ? max_seen : max_seen - bound - 1;
      long last = e.ts - spate::detail::floor_mod(e.ts, slide);
      bool in_some = false, late = true;
      for (long s = last; s > e.ts - size; s -= slide) {
        in_some = true;
        if (s + size - 1 + lateness > wm) late = false;
      }
      max_seen = std::max(max_seen, e.ts);
      if (!in_some) {  // between windows: late (Flink's isElementLate) or dropped
        if (e.ts + lateness <= wm) ++want_late;
        continue;
      }
      if (late) {
        ++want_late;
        continue;
      }
      for (long s = last; s > e.ts - size; s -= slide)
        if (s + size - 1 + lateness > wm) want[{e.user, s, s + size}] += e.v;
    }
    std::uint64_t late = 0;
    std::vector<Ev> late_records;
    auto out = fused_and_unfused<wr>([&](auto& o) {
      return spate::from_collection(evs) |
             spate::with_watermarks(&Ev::ts, spate::bounded_out_of_orderness(spate::duration{bound})) |
             spate::key_by(&Ev::user) |
             spate::window(spate::sliding(spate::duration{size}, spate::duration{slide}), &Ev::ts)
                 .allowed_lateness(spate::duration{lateness})
                 .count_late_into(late) |
             spate::aggregate(sum_agg{}) | spate::collect_into(o);
    });
    std::map<std::tuple<std::string, long, long>, long> got;  // the last firing of each window
    for (auto& w : out) got[{w.key, spate::to_millis(w.start), spate::to_millis(w.end)}] = w.value;
    CHECK(got == want);
    if (got != want) {
      for (auto& [k, v] : want) if (!got.count(k) || got[k] != v) { UNSCOPED_INFO("want " << std::get<0>(k) << " " << std::get<1>(k) << " " << std::get<2>(k) << " = " << v << " got " << (got.count(k) ? got[k] : -1)); }
      for (auto& [k, v] : got) if (!want.count(k)) { UNSCOPED_INFO("extra " << std::get<0>(k) << " " << std::get<1>(k) << " " << v); }
      UNSCOPED_INFO("size " << size << " slide " << slide << " L " << lateness << " bound " << bound);
      CHECK(false);
    }
    CHECK(late == 2 * want_late);  // counted by the fused and the unfused run
    if (slide == size) {
      auto tum = fused_and_unfused<wr>([&](auto& o) {
        return spate::from_collection(evs) |
               spate::with_watermarks(&Ev::ts, spate::bounded_out_of_orderness(spate::duration{bound})) |
               spate::key_by(&Ev::user) |
               spate::window(spate::tumbling(spate::duration{size}), &Ev::ts)
                   .allowed_lateness(spate::duration{lateness})
                   .late_to(spate::collect_into(late_records)) |
               spate::fold(0L, sum_v) | spate::collect_into(o);
      });
      std::map<std::tuple<std::string, long, long>, long> got2;
      for (auto& w : tum) got2[{w.key, spate::to_millis(w.start), spate::to_millis(w.end)}] = w.value;
      CHECK(got2 == want);
      CHECK(late_records.size() == 2 * want_late);
    }
  }
}
