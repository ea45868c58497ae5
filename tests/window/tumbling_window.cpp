// Tumbling time windows (window/tumbling_window.hpp): alignment, when they
// fire, and the order of a key's windows due at once.
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
