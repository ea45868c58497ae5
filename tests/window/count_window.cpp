// Count windows (window/count_window.hpp).
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

TEST_CASE("count windows report the bounds 0 to 0 even with a timestamp function", "[window][count]") {
  std::vector<Ev> evs{{"a", 500, 1}, {"a", 700, 2}};
  auto out = fused_and_unfused<wr>([&](auto& o) {
    return spate::from_collection(evs) | spate::key_by(&Ev::user) | spate::window(spate::count_window(2), &Ev::ts) |
           spate::fold(0L, sum_v) | spate::collect_into(o);
  });
  CHECK(out == std::vector<wr>{{"a", {}, {}, 3}});
}
