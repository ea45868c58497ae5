// Sliding time windows (window/sliding_window.hpp): panes, firing order,
// late records between and inside windows, state cleanup.
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
