// window(...) and window_all(...) (window/window.hpp): the descriptor, its
// options (late output, lateness, counters) and how it composes.
#include <string>
#include <vector>

#include "support.hpp"

using namespace std::chrono_literals;
using spate::from_millis;
using namespace spate_test;

TEST_CASE("late_to takes a capturing for_each sink, also on window_all with watermarks", "[window][lateness][late_to]") {
  std::vector<Ev> evs{{"a", 100}, {"a", 5}, {"a", 120}, {"a", 3}};
  std::vector<std::int64_t> late;
  std::vector<spate::all_window_result<std::int64_t>> out;
  // the pipeline of the report: GCC 12's tuple_cat asked whether window_stage is
  // default-constructible, which instantiated `late{}` for a lambda with captures
  spate::run(spate::from_collection(evs) | spate::with_watermarks(&Ev::ts, spate::monotonous()) |
             spate::window_all(spate::tumbling(10ms), &Ev::ts).late_to(spate::for_each([&](const Ev& e) {
               late.push_back(e.ts);
             })) |
             spate::count() | spate::collect_into(out));
  CHECK(late == std::vector<std::int64_t>{5, 3});
  CHECK(out == std::vector<spate::all_window_result<std::int64_t>>{{from_millis(100), from_millis(110), 1},
                                                                   {from_millis(120), from_millis(130), 1}});
}
