// Spark's incremental windows over micro-batches (window/reduce_by_window.hpp).
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
