// Global and per-batch windows (window/global_window.hpp).
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

TEST_CASE("global windows fire by trigger, purging and non-purging", "[window][global][trigger]") {
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
