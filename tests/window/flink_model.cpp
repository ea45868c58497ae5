// Property: sliding and tumbling windows emit, per key and in order, what a
// model of Flink's WindowOperator emits, re-firings and late output included.
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
// Flink's WindowOperator with SlidingEventTimeWindows, EventTimeTrigger and
// allowed lateness, reduced to sums: what it emits, in order, and how many
// records it sends to the late output. Per record: the windows from the
// newest start down; a late one (max ts + lateness <= watermark) is skipped;
// the others take the record and fire at once if the watermark has reached
// their max ts, else get a timer there; each gets a cleanup timer at max ts +
// lateness. A record no window took is late if ts + lateness <= watermark.
// Timers run in time order as the watermark advances.
struct flink_model {
  long size, slide, lateness;
  using window = std::tuple<std::string, long>;  // key, start
  std::map<window, long> state;
  std::set<std::tuple<long, std::string, long>> timers;  // time, key, start
  std::vector<std::tuple<std::string, long, long, long>> out;
  std::uint64_t late = 0;
  long wm = std::numeric_limits<long>::min();

  void element(const Ev& e) {
    bool skipped = true;
    for (long s = e.ts - spate::detail::floor_mod(e.ts, slide); s > e.ts - size; s -= slide) {
      long max_ts = s + size - 1;
      if (max_ts + lateness <= wm) continue;
      skipped = false;
      long& v = state[{e.user, s}];
      v += e.v;
      if (max_ts <= wm)
        out.emplace_back(e.user, s, s + size, v);
      else
        timers.emplace(max_ts, e.user, s);
      timers.emplace(max_ts + lateness, e.user, s);
    }
    if (skipped && e.ts + lateness <= wm) ++late;
  }
  void watermark(long w) {
    if (w <= wm) return;
    wm = w;
    while (!timers.empty() && std::get<0>(*timers.begin()) <= w) {
      auto [time, key, s] = *timers.begin();
      timers.erase(timers.begin());
      auto it = state.find({key, s});
      if (it == state.end()) continue;
      if (time == s + size - 1) out.emplace_back(key, s, s + size, it->second);
      if (time == s + size - 1 + lateness) state.erase(it);
    }
  }
};
std::map<std::string, std::vector<std::tuple<long, long, long>>> per_key(
    const std::vector<std::tuple<std::string, long, long, long>>& v) {
  std::map<std::string, std::vector<std::tuple<long, long, long>>> m;
  for (auto& [k, s, e, x] : v) m[k].emplace_back(s, e, x);
  return m;
}
}  // namespace

TEST_CASE("property: each key's firings, re-firings included, come in the order Flink emits them, "
          "and the same records go to the late output", "[window][property][lateness][order]") {
  std::mt19937_64 rng(2024);
  for (int round = 0; round < 80; ++round) {
    const long bound = std::uniform_int_distribution<long>(0, 300)(rng);
    const long lateness = std::uniform_int_distribution<int>(0, 2)(rng) == 0 ? 0 : std::uniform_int_distribution<long>(1, 1500)(rng);
    const long size = 100 * std::uniform_int_distribution<long>(1, 10)(rng);
    const int shape = std::uniform_int_distribution<int>(0, 2)(rng);  // tumbling, overlapping, gaps
    const long slide = shape == 0 ? size : shape == 1 ? 50 * std::uniform_int_distribution<long>(1, 2 * size / 100)(rng)
                                                      : size + 50 * std::uniform_int_distribution<long>(1, 10)(rng);
    std::vector<Ev> evs;
    long t = 0;
    for (int i = 0, n = std::uniform_int_distribution<int>(1, 300)(rng); i < n; ++i) {
      t += std::uniform_int_distribution<long>(0, 60)(rng);
      long back = std::uniform_int_distribution<int>(0, 5)(rng) == 0 ? std::uniform_int_distribution<long>(0, 2500)(rng) : 0;
      evs.push_back({std::string(1, char('a' + std::uniform_int_distribution<int>(0, 2)(rng))), t - back,
                     std::uniform_int_distribution<long>(1, 9)(rng)});
    }
    flink_model m{size, slide, lateness, {}, {}, {}};
    long max_seen = std::numeric_limits<long>::min();
    for (auto& e : evs) {
      m.element(e);
      max_seen = std::max(max_seen, e.ts);
      m.watermark(max_seen - bound - 1);
    }
    m.watermark(std::numeric_limits<long>::max());
    auto want = per_key(m.out);

    auto run_one = [&](auto assigner) {
      std::uint64_t late = 0;
      auto out = fused_and_unfused<wr>([&](auto& o) {
        return spate::from_collection(evs) |
               spate::with_watermarks(&Ev::ts, spate::bounded_out_of_orderness(spate::duration{bound})) |
               spate::key_by(&Ev::user) |
               spate::window(assigner, &Ev::ts).allowed_lateness(spate::duration{lateness}).count_late_into(late) |
               spate::aggregate(sum_agg{}) | spate::collect_into(o);
      });
      std::vector<std::tuple<std::string, long, long, long>> flat;
      for (auto& w : out) flat.emplace_back(w.key, spate::to_millis(w.start), spate::to_millis(w.end), w.value);
      auto got = per_key(flat);
      CHECK(got == want);
      CHECK(late == 2 * m.late);  // the fused and the unfused run
      if (got != want) UNSCOPED_INFO("size " << size << " slide " << slide << " L " << lateness << " bound " << bound);
    };
    run_one(spate::sliding(spate::duration{size}, spate::duration{slide}));
    if (slide == size) run_one(spate::tumbling(spate::duration{size}));
  }
}
