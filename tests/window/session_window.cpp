// Session windows (window/session_window.hpp): merging, touching sessions,
// merged aggregates.
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
