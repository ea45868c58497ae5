// Window functions (window/functions.hpp): what reduce, fold, count,
// aggregate and process compute per window, and user functions with state of
// their own (each built operator calls its own copy).
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "support.hpp"

using namespace std::chrono_literals;
using spate::from_millis;
using namespace spate_test;

TEST_CASE("mutable reduce, aggregate and process functions after window(...): each operator has its own copy",
          "[window][functions][mutable]") {
  std::vector<Ev> evs{{"a", 100, 1}, {"a", 200, 2}, {"b", 300, 5}, {"a", 1100, 3}};
  // the reduce counts its own calls: a in [0,1000) is one call, nothing else reduces
  auto reduce = spate::reduce([calls = 0L](Ev x, const Ev& y) mutable {
    x.v += y.v + 100 * ++calls;
    return x;
  });
  struct counting_agg {
    long created = 0;
    long create_accumulator() { return ++created * 1000; }
    long add(const Ev& e, long a) { return a + e.v; }
    long get_result(long a) { return a; }
    long merge(long a, long b) { return a + b; }
  };
  auto process = spate::process([n = 0](const std::string& k, spate::time_window, const std::vector<Ev>& rs) mutable {
    return k + std::to_string(++n) + ":" + std::to_string(rs.size());
  });
  auto job_of = [&](auto fn, auto& out) {
    return spate::from_collection(evs) | spate::key_by(&Ev::user) | spate::window(spate::tumbling(1s), &Ev::ts) | fn |
           spate::collect_into(out);
  };
  for (int round = 0; round < 2; ++round) {  // a second build starts from the descriptor's copy again
    std::vector<spate::window_result<std::string, Ev>> r;
    spate::run(job_of(reduce, r));
    REQUIRE(r.size() == 3);
    CHECK(r[0].value.v == 1 + 2 + 100);
    CHECK(r[1].value.v == 5);
    CHECK(r[2].value.v == 3);
    std::vector<wr> a;
    spate::run(job_of(spate::aggregate(counting_agg{}), a));
    CHECK(a == std::vector<wr>{{"a", from_millis(0), from_millis(1000), 1000 + 3},
                               {"b", from_millis(0), from_millis(1000), 2000 + 5},
                               {"a", from_millis(1000), from_millis(2000), 3000 + 3}});
    std::vector<spate::window_result<std::string, std::string>> p, pu;
    spate::run(job_of(process, p));
    spate::run_unfused(job_of(process, pu));
    REQUIRE(p.size() == 3);
    CHECK(p[0].value == "a1:2");
    CHECK(p[1].value == "b2:1");
    CHECK(p[2].value == "a3:1");
    CHECK(p == pu);
  }
  // sliding windows merge panes through the same (mutable) function
  std::vector<wr> s;
  spate::run(spate::from_collection(evs) | spate::key_by(&Ev::user) |
             spate::window(spate::sliding(2s, 1s), &Ev::ts) | spate::aggregate(counting_agg{}) |
             spate::map([](const wr& w) { return w; }) | spate::collect_into(s));
  CHECK(s.size() == 5);  // a: [-1s,1s) [0,2s) [1s,3s); b: [-1s,1s) [0,2s)
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
