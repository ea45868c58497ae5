// Golden tests of window semantics (Flink's documented behaviour), a property
// test against brute-force recomputation, and the law fused == unfused.
#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <string>
#include <limits>
#include <tuple>
#include <vector>

#include <catch2/catch.hpp>
#include <spate/spate.hpp>
#include <spate/window.hpp>

#include "log_sink.hpp"

using namespace std::chrono_literals;
using spate::from_millis;
using spate_test::log_into;

namespace {
struct Ev {
  std::string user;
  std::int64_t ts;  // ms since the epoch
  long v = 1;
};
using wr = spate::window_result<std::string, long>;
const auto sum_v = [](long a, const Ev& e) { return a + e.v; };
const auto add_ev = [](Ev a, const Ev& b) { a.v += b.v; return a; };

struct sum_agg {
  long create_accumulator() const { return 0; }
  long add(const Ev& e, long a) const { return a + e.v; }
  long get_result(long a) const { return a; }
  long merge(long a, long b) const { return a + b; }
};
// Runs make(out) fused and unfused; checks both agree; returns the result.
template <class R, class Make>
std::vector<R> fused_and_unfused(Make make) {
  std::vector<R> a, b;
  spate::run(make(a));
  spate::run_unfused(make(b));
  CHECK(a == b);  // law: fused == unfused
  return a;
}
}  // namespace

TEST_CASE("tumbling windows are aligned to the epoch plus offset, start inclusive, end exclusive", "[window][tumbling]") {
  std::vector<Ev> evs{{"a", 0}, {"a", 999}, {"a", 1000}, {"a", 1999}, {"a", 2000}, {"a", -1}};
  auto out = fused_and_unfused<wr>([&](auto& o) {
    return spate::from_collection(evs) | spate::key_by(&Ev::user) | spate::window(spate::tumbling(1s), &Ev::ts) |
           spate::fold(0L, sum_v) | spate::collect_into(o);
  });
  std::sort(out.begin(), out.end(), [](auto& x, auto& y) { return x.start < y.start; });
  REQUIRE(out.size() == 4);
  CHECK(out[0] == wr{"a", from_millis(-1000), from_millis(0), 1});
  CHECK(out[1] == wr{"a", from_millis(0), from_millis(1000), 2});
  CHECK(out[2] == wr{"a", from_millis(1000), from_millis(2000), 2});
  CHECK(out[3] == wr{"a", from_millis(2000), from_millis(3000), 1});

  auto off = fused_and_unfused<wr>([&](auto& o) {
    return spate::from_collection(evs) | spate::key_by(&Ev::user) |
           spate::window(spate::tumbling(1s, 500ms), &Ev::ts) | spate::fold(0L, sum_v) | spate::collect_into(o);
  });
  std::sort(off.begin(), off.end(), [](auto& x, auto& y) { return x.start < y.start; });
  REQUIRE(off.size() == 3);
  CHECK(off[0] == wr{"a", from_millis(-500), from_millis(500), 2});
  CHECK(off[1] == wr{"a", from_millis(500), from_millis(1500), 2});
  CHECK(off[2] == wr{"a", from_millis(1500), from_millis(2500), 2});
}

TEST_CASE("a window fires when the watermark reaches end - 1", "[window][firing]") {
  // [doc:firing]
  spate::script<Ev> s;
  s.record({"a", 100}).record({"a", 500}).watermark(from_millis(998)).record({"a", 900})
   .watermark(from_millis(999)).record({"a", 1000}).watermark(from_millis(5000));
  std::vector<std::string> log;
  spate::run(spate::from_script(s) | spate::key_by(&Ev::user) | spate::window(spate::tumbling(1s), &Ev::ts) |
             spate::count() | log_into(log));
  CHECK(log == std::vector<std::string>{"W998", "(a, [0, 1000), 3)", "W999", "(a, [1000, 2000), 1)", "W5000",
                                        "Wmax", "end"});
  // [end]
}

TEST_CASE("sliding windows: a record lands in size/slide windows", "[window][sliding]") {
  // [doc:sliding]
  std::vector<Ev> evs{{"a", 1000}, {"a", 6000}, {"a", 12000}};
  std::vector<wr> out;
  spate::run(spate::from_collection(evs) | spate::key_by(&Ev::user) |
             spate::window(spate::sliding(10s, 5s), &Ev::ts) | spate::count() | spate::collect_into(out));
  // [-5s,5s): 1   [0s,10s): 1000,6000   [5s,15s): 6000,12000   [10s,20s): 12000
  CHECK(out == std::vector<wr>{{"a", from_millis(-5000), from_millis(5000), 1},
                               {"a", from_millis(0), from_millis(10000), 2},
                               {"a", from_millis(5000), from_millis(15000), 2},
                               {"a", from_millis(10000), from_millis(20000), 1}});
  // [end]
  // slide not dividing size: panes of gcd(size, slide)
  auto o2 = fused_and_unfused<wr>([&](auto& o) {
    return spate::from_collection(evs) | spate::key_by(&Ev::user) |
           spate::window(spate::sliding(10s, 4s), &Ev::ts) | spate::count() | spate::collect_into(o);
  });
  // starts are multiples of 4s: [-8,2) [-4,6) [0,10) [4,14) [8,18) [12,22)
  std::vector<std::tuple<long, long, long>> got;
  for (auto& r : o2) got.emplace_back(spate::to_millis(r.start), spate::to_millis(r.end), r.value);
  CHECK(got == std::vector<std::tuple<long, long, long>>{{-8000, 2000, 1}, {-4000, 6000, 1}, {0, 10000, 2},
                                                         {4000, 14000, 2}, {8000, 18000, 1}, {12000, 22000, 1}});
}

TEST_CASE("session windows merge when a record bridges them", "[window][session]") {
  // [doc:session]
  std::vector<Ev> evs{{"a", 1000}, {"a", 5000}, {"b", 1000}, {"a", 3500}, {"a", 20000}};
  std::vector<wr> out;
  spate::run(spate::from_collection(evs) |
             spate::with_watermarks(&Ev::ts, spate::bounded_out_of_orderness(10s)) | spate::key_by(&Ev::user) |
             spate::window(spate::session(3s), &Ev::ts) | spate::count() | spate::collect_into(out));
  // a: [1000,4000) and [5000,8000) are bridged by 3500 ([3500,6500)) into [1000,8000)
  std::sort(out.begin(), out.end(), [](auto& x, auto& y) { return std::tie(x.key, x.start) < std::tie(y.key, y.start); });
  CHECK(out == std::vector<wr>{{"a", from_millis(1000), from_millis(8000), 3},
                               {"a", from_millis(20000), from_millis(23000), 1},
                               {"b", from_millis(1000), from_millis(4000), 1}});
  // [end]
  // touching sessions merge too (Flink: start <= other.end)
  std::vector<Ev> t{{"a", 0}, {"a", 3000}};
  auto o2 = fused_and_unfused<wr>([&](auto& o) {
    return spate::from_collection(t) | spate::key_by(&Ev::user) | spate::window(spate::session(3s), &Ev::ts) |
           spate::count() | spate::collect_into(o);
  });
  CHECK(o2 == std::vector<wr>{{"a", from_millis(0), from_millis(6000), 2}});
}

TEST_CASE("session windows merge aggregates with merge()", "[window][session][aggregate]") {
  struct avg {
    std::pair<long, long> create_accumulator() const { return {0, 0}; }
    std::pair<long, long> add(const Ev& e, std::pair<long, long> a) const { return {a.first + e.v, a.second + 1}; }
    double get_result(const std::pair<long, long>& a) const { return double(a.first) / double(a.second); }
    std::pair<long, long> merge(std::pair<long, long> a, const std::pair<long, long>& b) const {
      return {a.first + b.first, a.second + b.second};
    }
  };
  std::vector<Ev> evs{{"a", 0, 1}, {"a", 5000, 3}, {"a", 2500, 8}};
  using rd = spate::window_result<std::string, double>;
  auto out = fused_and_unfused<rd>([&](auto& o) {
    return spate::from_collection(evs) | spate::key_by(&Ev::user) | spate::window(spate::session(3s), &Ev::ts) |
           spate::aggregate(avg{}) | spate::collect_into(o);
  });
  CHECK(out == std::vector<rd>{{"a", from_millis(0), from_millis(8000), 4.0}});
}

TEST_CASE("count windows fire per key every n records", "[window][count]") {
  // [doc:count]
  std::vector<Ev> evs;
  for (long i = 1; i <= 6; ++i) evs.push_back({"a", 0, i});
  evs.push_back({"b", 0, 100});
  std::vector<wr> tumbling, sliding;
  spate::run(spate::from_collection(evs) | spate::key_by(&Ev::user) | spate::window(spate::count_window(4)) |
             spate::fold(0L, sum_v) | spate::collect_into(tumbling));
  spate::run(spate::from_collection(evs) | spate::key_by(&Ev::user) | spate::window(spate::count_window(3, 2)) |
             spate::fold(0L, sum_v) | spate::collect_into(sliding));
  CHECK(tumbling == std::vector<wr>{{"a", {}, {}, 1 + 2 + 3 + 4}});  // 5, 6 and b never reach 4
  CHECK(sliding == std::vector<wr>{{"a", {}, {}, 1 + 2}, {"a", {}, {}, 2 + 3 + 4}, {"a", {}, {}, 4 + 5 + 6}});
  // [end]
}

TEST_CASE("global windows fire by trigger; purging and non-purging", "[window][global][trigger]") {
  std::vector<Ev> evs;
  for (long i = 1; i <= 5; ++i) evs.push_back({"a", i * 1000, i});
  auto run_with = [&](auto trigger) {
    return fused_and_unfused<wr>([&](auto& o) {
      return spate::from_collection(evs) | spate::key_by(&Ev::user) |
             spate::window(spate::global_window(trigger), &Ev::ts) | spate::fold(0L, sum_v) | spate::collect_into(o);
    });
  };
  auto values = [](const std::vector<wr>& v) {
    std::vector<long> r;
    for (auto& x : v) r.push_back(x.value);
    return r;
  };
  CHECK(values(run_with(spate::every_n(2))) == std::vector<long>{3, 10});
  CHECK(values(run_with(spate::purging(spate::every_n(2)))) == std::vector<long>{3, 7});
  CHECK(values(run_with(spate::when([](const Ev& e) { return e.v % 3 == 0; }))) == std::vector<long>{6});
  // a timer trigger: every 2s of event time (here the final watermark fires it once)
  CHECK(values(run_with(spate::purging(spate::every(2s)))) == std::vector<long>{15});
}

TEST_CASE("allowed lateness re-fires; later records go to the late output", "[window][lateness]") {
  // [doc:lateness]
  spate::script<Ev> s;
  s.record({"a", 100})
      .watermark(from_millis(999))   // [0,1000) fires: 1
      .record({"a", 200})            // late but within 500ms: fires again with 2
      .watermark(from_millis(1499))  // lateness over: state dropped
      .record({"a", 300});           // too late: to the late output
  std::vector<std::string> log;
  std::vector<Ev> late;
  std::uint64_t late_count = 0;
  spate::run(spate::from_script(s) | spate::key_by(&Ev::user) |
             spate::window(spate::tumbling(1s), &Ev::ts)
                 .allowed_lateness(500ms)
                 .late_to(spate::collect_into(late))
                 .count_late_into(late_count) |
             spate::count() | log_into(log));
  CHECK(log == std::vector<std::string>{"(a, [0, 1000), 1)", "W999", "(a, [0, 1000), 2)", "W1499", "Wmax", "end"});
  REQUIRE(late.size() == 1);
  CHECK(late[0].ts == 300);
  CHECK(late_count == 1);
  // [end]
}

TEST_CASE("late records without a late sink are counted", "[window][lateness]") {
  spate::script<Ev> s;
  s.record({"a", 1500}).watermark(from_millis(2000)).record({"a", 100}).record({"a", 2500});
  std::vector<wr> out;
  std::uint64_t n = 0;
  spate::run(spate::from_script(s) | spate::key_by(&Ev::user) |
             spate::window(spate::tumbling(1s), &Ev::ts).count_late_into(n) | spate::count() |
             spate::collect_into(out));
  CHECK(n == 1);
  CHECK(out.size() == 2);
}

TEST_CASE("process sees every record of the window and its bounds", "[window][process]") {
  // [doc:process]
  std::vector<Ev> evs{{"a", 100, 5}, {"a", 300, 7}, {"b", 1200, 1}};
  std::vector<spate::window_result<std::string, std::string>> out;
  spate::run(spate::from_collection(evs) | spate::key_by(&Ev::user) | spate::window(spate::tumbling(1s), &Ev::ts) |
             spate::process([](const std::string& key, spate::time_window w, const std::vector<Ev>& records) {
               std::string s = key + "@" + std::to_string(spate::to_millis(w.start)) + ":";
               for (const Ev& e : records) s += " " + std::to_string(e.v);
               return s;
             }) |
             spate::collect_into(out));
  REQUIRE(out.size() == 2);
  CHECK(out[0].value == "a@0: 5 7");
  CHECK(out[1].value == "b@1000: 1");
  // [end]
}

TEST_CASE("reduce per window after window(...), rolling without it", "[window][reduce]") {
  std::vector<Ev> evs{{"a", 100, 1}, {"a", 200, 2}, {"a", 1100, 4}};
  using re = spate::window_result<std::string, Ev>;
  std::vector<re> out;
  spate::run(spate::from_collection(evs) | spate::key_by(&Ev::user) | spate::window(spate::tumbling(1s), &Ev::ts) |
             spate::reduce(add_ev) | spate::collect_into(out));
  REQUIRE(out.size() == 2);
  CHECK(out[0].value.v == 3);
  CHECK(out[1].value.v == 4);
}

TEST_CASE("a reusable chain key_by | window | function composes like the inline form", "[window][chain]") {
  std::vector<Ev> evs{{"a", 100}, {"a", 200}, {"b", 1100}};
  auto per_second = spate::key_by(&Ev::user) | spate::window(spate::tumbling(1s), &Ev::ts) | spate::count();
  auto out = fused_and_unfused<spate::window_result<std::string, std::int64_t>>(
      [&](auto& o) { return spate::from_collection(evs) | per_second | spate::collect_into(o); });
  CHECK(out.size() == 2);
  CHECK(out[0].value == 2);
  // micro-batch execution gives the same windows (law: batch == continuous, compacted)
  std::vector<spate::window_result<std::string, std::int64_t>> batch;
  spate::run_batch(spate::from_collection(evs) | per_second | spate::collect_into(batch));
  CHECK(batch == out);
}

TEST_CASE("window_all: windows over the whole stream", "[window][all]") {
  std::vector<Ev> evs{{"a", 100}, {"b", 200}, {"c", 1100}};
  using ar = spate::all_window_result<std::int64_t>;
  auto out = fused_and_unfused<ar>([&](auto& o) {
    return spate::from_collection(evs) | spate::window_all(spate::tumbling(1s), &Ev::ts) | spate::count() |
           spate::collect_into(o);
  });
  CHECK(out == std::vector<ar>{{from_millis(0), from_millis(1000), 2}, {from_millis(1000), from_millis(2000), 1}});
}

TEST_CASE("processing-time windows fire on ticks of the (manual) clock", "[window][processing]") {
  spate::manual_clock clock;
  spate::script<Ev> s;
  clock.set(from_millis(10));
  s.tick(clock.now()).record({"a", 0}).record({"a", 0});
  clock.advance(995ms);  // 1005: [0,1000) is over
  s.tick(clock.now()).record({"a", 0});
  clock.advance(1s);
  s.tick(clock.now());
  std::vector<std::string> log;
  spate::run(spate::from_script(s) | spate::key_by(&Ev::user) |
             spate::window(spate::tumbling(1s).on_processing_time()) | spate::count() | log_into(log, false));
  CHECK(log == std::vector<std::string>{"(a, [0, 1000), 2)", "(a, [1000, 2000), 1)", "end"});
}

TEST_CASE("processing-time sessions and whole-stream count windows", "[window][processing][count]") {
  spate::script<Ev> s;
  s.tick(from_millis(0)).record({"a", 0}).tick(from_millis(300)).record({"a", 0}).tick(from_millis(2000))
      .record({"a", 0}).tick(from_millis(5000));
  std::vector<std::string> log;
  spate::run(spate::from_script(s) | spate::key_by(&Ev::user) |
             spate::window(spate::session(1s).on_processing_time()) | spate::count() | log_into(log, false));
  CHECK(log == std::vector<std::string>{"(a, [0, 1300), 2)", "(a, [2000, 3000), 1)", "end"});

  std::vector<Ev> evs(7, Ev{"x", 0});
  using ar = spate::all_window_result<std::int64_t>;
  auto out = fused_and_unfused<ar>([&](auto& o) {
    return spate::from_collection(evs) | spate::window_all(spate::count_window(3)) | spate::count() |
           spate::collect_into(o);
  });
  CHECK(out == std::vector<ar>{{{}, {}, 3}, {{}, {}, 3}});
}

TEST_CASE("per_batch: Spark's reduceByKey per micro-batch", "[window][batch]") {
  spate::script<Ev> s;
  s.record({"a", 0}).record({"a", 0}).record({"b", 0}).batch_end(from_millis(1000)).record({"a", 0}).batch_end(
      from_millis(2000));
  std::vector<std::string> log;
  spate::run(spate::from_script(s) | spate::key_by(&Ev::user) | spate::window(spate::per_batch()) | spate::count() |
             log_into(log, false));
  std::sort(log.begin(), log.begin() + 2);
  CHECK(log == std::vector<std::string>{"(a, [0, 1000), 2)", "(b, [0, 1000), 1)", "B1000", "(a, [1000, 2000), 1)",
                                        "B2000", "end"});
}

TEST_CASE("reduce_by_key_and_window and count_by_window work incrementally", "[window][spark]") {
  // [doc:spark_window]
  spate::script<Ev> s;
  s.record({"a", 0, 1}).batch_end(from_millis(1000))
   .record({"a", 0, 2}).batch_end(from_millis(2000))
   .record({"a", 0, 4}).batch_end(from_millis(3000))
   .batch_end(from_millis(4000));
  std::vector<std::string> sums, counts;
  spate::run(spate::from_script(s) | spate::key_by(&Ev::user) |
             spate::reduce_by_key_and_window(add_ev, [](Ev a, const Ev& b) { a.v -= b.v; return a; }, 2s, 1s) |
             spate::map([](const auto& w) { return std::to_string(spate::to_millis(w.end)) + "=" + std::to_string(w.value.v); }) |
             spate::collect_into(sums));
  spate::run(spate::from_script(s) | spate::count_by_window(2s, 2s) |
             spate::map([](const auto& w) { return std::to_string(spate::to_millis(w.end)) + "=" + std::to_string(w.value); }) |
             spate::collect_into(counts));
  CHECK(sums == std::vector<std::string>{"1000=1", "2000=3", "3000=6", "4000=4"});
  CHECK(counts == std::vector<std::string>{"2000=2", "4000=1"});
  // [end]
}

// ---- property: random disorder within the bound -> results equal brute force

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

// ---- firing order and late records, as Flink's WindowOperator has them

namespace {
// A key's results as (start, end, value), in the order they were emitted.
template <class V>
std::vector<std::tuple<long, long, long>> emitted(const V& out, const std::string& key) {
  std::vector<std::tuple<long, long, long>> r;
  for (auto& w : out)
    if (w.key == key) r.emplace_back(spate::to_millis(w.start), spate::to_millis(w.end), w.value);
  return r;
}
template <class V>
bool ends_increase(const std::vector<V>& ws) {
  for (std::size_t i = 1; i < ws.size(); ++i)
    if (!(std::get<1>(ws[i - 1]) < std::get<1>(ws[i]))) return false;
  return true;
}
}  // namespace

TEST_CASE("a key's tumbling windows fire in end order when many fall due at one watermark",
          "[window][tumbling][order]") {
  // 65 windows of one key, all due at the end of input: more than a bulk pass
  // over the table would take at once.
  std::vector<Ev> evs;
  for (long i = 0; i <= 64; ++i) evs.push_back({"a", i, 1});
  auto wm = spate::with_watermarks(&Ev::ts, spate::bounded_out_of_orderness(1000ms));
  auto out = fused_and_unfused<wr>([&](auto& o) {
    return spate::from_collection(evs) | wm | spate::key_by(&Ev::user) |
           spate::window(spate::tumbling(1ms), &Ev::ts) | spate::fold(0L, sum_v) | spate::collect_into(o);
  });
  auto a = emitted(out, "a");
  REQUIRE(a.size() == 65);
  CHECK(ends_increase(a));
  for (auto& [s, e, v] : a) CHECK((e == s + 1 && v == 1));

  using ar = spate::all_window_result<std::int64_t>;
  auto all = fused_and_unfused<ar>([&](auto& o) {
    return spate::from_collection(evs) | wm | spate::window_all(spate::tumbling(1ms), &Ev::ts) | spate::count() |
           spate::collect_into(o);
  });
  REQUIRE(all.size() == 65);
  for (std::size_t i = 0; i < all.size(); ++i) CHECK(spate::to_millis(all[i].start) == long(i));

  // Many keys with several windows each, due at one watermark: the one-pass
  // firing over the table applies, and still each key's windows come in end order.
  std::vector<Ev> many;
  for (long t = 0; t < 3; ++t)
    for (int k = 0; k < 200; ++k) many.push_back({"k" + std::to_string(k), t, k + 1});
  auto mout = fused_and_unfused<wr>([&](auto& o) {
    return spate::from_collection(many) | wm | spate::key_by(&Ev::user) |
           spate::window(spate::tumbling(1ms), &Ev::ts) | spate::fold(0L, sum_v) | spate::collect_into(o);
  });
  REQUIRE(mout.size() == 600);
  for (int k = 0; k < 200; ++k) {
    auto w = emitted(mout, "k" + std::to_string(k));
    CHECK(w == std::vector<std::tuple<long, long, long>>{{0, 1, k + 1}, {1, 2, k + 1}, {2, 3, k + 1}});
  }
  // The same at a watermark in the middle of the stream (not the end of input).
  spate::script<Ev> s;
  for (auto& e : many) s.record(e);
  s.watermark(from_millis(2));
  std::vector<wr> sout;
  spate::run(spate::from_script(s) | spate::key_by(&Ev::user) | spate::window(spate::tumbling(1ms), &Ev::ts) |
             spate::fold(0L, sum_v) | spate::collect_into(sout));
  for (int k = 0; k < 200; ++k) CHECK(ends_increase(emitted(sout, "k" + std::to_string(k))));
}

TEST_CASE("a key's sliding and session windows fire in end order when many fall due at once",
          "[window][sliding][session][order]") {
  std::vector<Ev> evs;
  for (long t = 0; t < 40; ++t)
    for (int k = 0; k < 100; ++k) evs.push_back({"k" + std::to_string(k), 2 * t, 1});
  auto wm = spate::with_watermarks(&Ev::ts, spate::bounded_out_of_orderness(1000ms));
  auto sl = fused_and_unfused<wr>([&](auto& o) {
    return spate::from_collection(evs) | wm | spate::key_by(&Ev::user) |
           spate::window(spate::sliding(4ms, 2ms), &Ev::ts) | spate::aggregate(sum_agg{}) | spate::collect_into(o);
  });
  // sessions of gap 1 ms at 0, 2, 4, ...: none touches the next
  auto se = fused_and_unfused<wr>([&](auto& o) {
    return spate::from_collection(evs) | wm | spate::key_by(&Ev::user) |
           spate::window(spate::session(1ms), &Ev::ts) | spate::aggregate(sum_agg{}) | spate::collect_into(o);
  });
  for (int k = 0; k < 100; ++k) {
    auto a = emitted(sl, "k" + std::to_string(k));
    CHECK(a.size() == 41);
    CHECK(ends_increase(a));
    auto b = emitted(se, "k" + std::to_string(k));
    CHECK(b.size() == 40);
    CHECK(ends_increase(b));
  }
}

TEST_CASE("a late record fires its due sliding windows newest first, as Flink does", "[window][sliding][lateness][order]") {
  // Flink's SlidingEventTimeWindows lists a record's windows from the newest
  // start down, and the WindowOperator fires each one that is due and not late
  // as it adds the record: newest first.
  // [doc:late_order]
  spate::script<Ev> s;
  s.record({"a", 100}).watermark(from_millis(99)).record({"a", 50});
  std::vector<std::string> log;
  spate::run(spate::from_script(s) | spate::key_by(&Ev::user) |
             spate::window(spate::sliding(100ms, 20ms), &Ev::ts).allowed_lateness(51ms) | spate::count() |
             log_into(log));
  // 50 is in [-40,60) [-20,80) [0,100) (due at 99, none late) and [20,120) [40,140) (not due)
  CHECK(log == std::vector<std::string>{"W99", "(a, [0, 100), 1)", "(a, [-20, 80), 1)", "(a, [-40, 60), 1)",
                                        "(a, [20, 120), 2)", "(a, [40, 140), 2)", "(a, [60, 160), 1)",
                                        "(a, [80, 180), 1)", "(a, [100, 200), 1)", "Wmax", "end"});
  // [end]

  // The same through a watermark strategy (bound 0: the watermark is 99 after 100).
  std::vector<Ev> evs{{"a", 100}, {"a", 50}};
  auto out = fused_and_unfused<wr>([&](auto& o) {
    return spate::from_collection(evs) | spate::with_watermarks(&Ev::ts, spate::bounded_out_of_orderness(0ms)) |
           spate::key_by(&Ev::user) | spate::window(spate::sliding(100ms, 20ms), &Ev::ts).allowed_lateness(51ms) |
           spate::count() | spate::collect_into(o);
  });
  REQUIRE(out.size() >= 3);
  CHECK(emitted(out, "a").front() == std::tuple<long, long, long>{0, 100, 1});

  // Re-firing windows that fired before, mixed with a first firing: newest first too.
  spate::script<Ev> r;
  r.record({"a", 100}).watermark(from_millis(129)).record({"a", 90});
  std::vector<std::string> rlog;
  spate::run(spate::from_script(r) | spate::key_by(&Ev::user) |
             spate::window(spate::sliding(100ms, 20ms), &Ev::ts).allowed_lateness(51ms) | spate::count() |
             log_into(rlog));
  // at 129 [20,120) fired with 100; 90 re-fires it (2), then [0,100) fires for the first time (1);
  // [-20,80) and older do not hold 90
  REQUIRE(rlog.size() >= 4);
  CHECK(std::vector<std::string>(rlog.begin(), rlog.begin() + 4) ==
        std::vector<std::string>{"(a, [20, 120), 1)", "W129", "(a, [20, 120), 2)", "(a, [0, 100), 1)"});

  // Windows of the record that are already late are skipped: with lateness 30
  // at watermark 99, [-40,60) (59 + 30 <= 99) takes nothing and does not fire.
  std::vector<std::string> llog;
  spate::run(spate::from_script(s) | spate::key_by(&Ev::user) |
             spate::window(spate::sliding(100ms, 20ms), &Ev::ts).allowed_lateness(30ms) | spate::count() |
             log_into(llog));
  REQUIRE(llog.size() >= 3);
  CHECK(std::vector<std::string>(llog.begin(), llog.begin() + 4) ==
        std::vector<std::string>{"W99", "(a, [0, 100), 1)", "(a, [-20, 80), 1)", "(a, [20, 120), 2)"});
}

TEST_CASE("a late record that falls between sliding windows goes to the late output, as in Flink",
          "[window][sliding][lateness]") {
  // slide > size: [0,10) [20,30) ... 15 is in no window. Flink sends such a
  // record to the late output when timestamp + allowed lateness <= watermark,
  // and drops it (no window takes it) otherwise.
  auto run_with = [](std::vector<Ev> evs, spate::duration lateness) {
    std::vector<Ev> late;
    std::uint64_t n = 0;
    std::vector<wr> out;
    spate::run(spate::from_collection(evs) | spate::with_watermarks(&Ev::ts, spate::bounded_out_of_orderness(0ms)) |
               spate::key_by(&Ev::user) |
               spate::window(spate::sliding(10ms, 20ms), &Ev::ts)
                   .allowed_lateness(lateness)
                   .late_to(spate::collect_into(late))
                   .count_late_into(n) |
               spate::count() | spate::collect_into(out));
    return std::tuple(late, n, out);
  };
  {
    auto [late, n, out] = run_with({{"a", 100}, {"a", 15}}, 0ms);  // watermark 99 when 15 arrives
    REQUIRE(late.size() == 1);
    CHECK(late[0].ts == 15);
    CHECK(n == 1);
    CHECK(out == std::vector<wr>{{"a", from_millis(100), from_millis(110), 1}});
  }
  {
    auto [late, n, out] = run_with({{"a", 100}, {"a", 15}}, 84ms);  // 15 + 84 <= 99: late
    CHECK(late.size() == 1);
    CHECK(n == 1);
  }
  {
    auto [late, n, out] = run_with({{"a", 100}, {"a", 15}}, 85ms);  // 15 + 85 > 99: not late, in no window
    CHECK(late.empty());
    CHECK(n == 0);
    CHECK(out == std::vector<wr>{{"a", from_millis(100), from_millis(110), 1}});
  }
  {
    auto [late, n, out] = run_with({{"a", 100}, {"a", 115}}, 0ms);  // ahead of the watermark, in no window
    CHECK(late.empty());
    CHECK(n == 0);
    CHECK(out == std::vector<wr>{{"a", from_millis(100), from_millis(110), 1}});
  }
}

TEST_CASE("count windows report [0, 0) even with a timestamp function", "[window][count]") {
  std::vector<Ev> evs{{"a", 500, 1}, {"a", 700, 2}};
  auto out = fused_and_unfused<wr>([&](auto& o) {
    return spate::from_collection(evs) | spate::key_by(&Ev::user) | spate::window(spate::count_window(2), &Ev::ts) |
           spate::fold(0L, sum_v) | spate::collect_into(o);
  });
  CHECK(out == std::vector<wr>{{"a", {}, {}, 3}});
}

TEST_CASE("a sliding window key whose last window fired before its panes expire is still forgotten",
          "[window][sliding][state]") {
  // sliding(10, 4) keeps panes of 2 ms; the pane at 2 is in [-4,6) and [0,10),
  // whose last fires at watermark 9, while the pane outlives it until 11.
  std::vector<Ev> none;
  std::vector<wr> out;
  auto job = spate::from_collection(none) | spate::key_by(&Ev::user) |
             spate::window(spate::sliding(10ms, 4ms), &Ev::ts) | spate::count() | spate::collect_into(out);
  spate::rolling_env env;
  auto head = spate::fuse::build(env, job);
  head.push(Ev{"a", 2});
  head.on_watermark(from_millis(10));
  CHECK(out.size() == 2);
  head.on_watermark(from_millis(1000));
  CHECK(head.down.state().size() == 0);
}

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
